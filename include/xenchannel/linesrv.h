/*
 * linesrv.h - a control socket that takes one request line per connection.
 *
 * A client connects, sends one line ('\n' ends it, a '\r' before it is
 * dropped) and reads the answer until EOF. The answer is queued in memory and
 * written as the client drains it, so a slow reader never blocks the loop. A
 * line longer than the server's limit is answered "error request longer than
 * N bytes". When accept runs out of descriptors the listener pauses for
 * 100 ms instead of spinning on it.
 */
#ifndef XENCHANNEL_LINESRV_H
#define XENCHANNEL_LINESRV_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct linesrv;
struct linesrv_conn;

/* Called with the request (NUL-terminated, without its line end). The handler
 * answers with linesrv_printf/linesrv_write and ends with linesrv_done, then
 * or later (from another callback): the connection waits until then. */
typedef void (*linesrv_fn)(struct linesrv_conn *c, char *line, void *arg);

/* Serve the listening, non-blocking socket fd, which the server then owns.
 * max: the longest request, its '\n' included. timeout_ms: a client that has
 * not sent its line by then is dropped (0: never). NULL with errno. */
struct linesrv *linesrv_new(struct loop *l, int fd, size_t max, uint64_t timeout_ms, linesrv_fn fn,
                            void *arg);
/* Close the listener and every connection (answers not yet sent are lost). */
void linesrv_free(struct linesrv *s);

/* Queue answer bytes. When memory runs out, the whole answer is dropped and
 * the client sees EOF only. 0, or -1. */
int linesrv_write(struct linesrv_conn *c, const void *buf, size_t len);
int linesrv_printf(struct linesrv_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The answer is complete: send it, then close. c is gone after this. */
void linesrv_done(struct linesrv_conn *c);

#endif
