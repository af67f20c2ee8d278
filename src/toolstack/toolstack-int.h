/*
 * toolstack-int.h - shared between the files of src/toolstack only.
 */
#ifndef XENCHANNEL_TOOLSTACK_INTERNAL_H
#define XENCHANNEL_TOOLSTACK_INTERNAL_H

#include <stdint.h>
#include <xenstore.h>

#include "xenchannel/toolstack.h"
#include "xenchannel/xstore.h"

#define TS_PATH_MAX 256
#define TS_TXN_RETRIES 1000

struct ts {
	struct xs_handle *xsh;
};

void ts_fail(struct ts_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* xstore_read / xs_directory on a printf-built path (NULL + errno on failure). */
char *ts_read(struct ts *ts, xs_transaction_t t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char **ts_dir(struct ts *ts, xs_transaction_t t, unsigned *num, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int ts_domain_exists(struct ts *ts, xs_transaction_t t, uint32_t domid);
/* XenbusState of dir/state: 0-8, -1 missing, -2 unparsable. */
int ts_read_state(struct ts *ts, const char *dir);
/* Wait, driven by the watches already set on ts, until done() says so or the
 * deadline passes (loop_now_ms() clock; < 0: none). done() runs first, then
 * after each batch of watch events. 0 done, 1 timed out, -1 error (err; what
 * names the thing waited for). Nothing sleeps: poll() on the xenstore fd. */
int ts_wait(struct ts *ts, int (*done)(struct ts *ts, void *arg), void *arg, long long deadline,
            const char *what, struct ts_error *err);
/* Remove a channel's frontend, backend and /libxl directories in one
 * transaction (missing ones are fine). 0, or -1 with errno. */
int ts_remove_dirs(struct ts *ts, const char *fe, const char *be, const char *lp);

#endif
