/*
 * loop.h - the one event loop of a process (epoll, no threads).
 *
 * File handlers are called when their fd is readable/writable; timers fire
 * once after a delay (re-arm from the callback for periodic work). Deferred
 * callbacks ("soon") run once after the current iteration's I/O, which is how
 * a handler yields its fair share and comes back later without sleeping.
 */
#ifndef XENCHANNEL_LOOP_H
#define XENCHANNEL_LOOP_H

#include <stdint.h>

#define LOOP_READ 1u
#define LOOP_WRITE 2u

struct loop;
typedef void (*loop_fd_cb)(struct loop *l, int fd, unsigned events, void *arg);
typedef void (*loop_cb)(struct loop *l, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watch fd for the given LOOP_READ|LOOP_WRITE mask; replaces any earlier
 * registration of fd. Returns 0 or -1 with errno. */
int loop_watch(struct loop *l, int fd, unsigned events, loop_fd_cb cb, void *arg);
/* Change only the mask of a watched fd (0 pauses it without forgetting it). */
int loop_modify(struct loop *l, int fd, unsigned events);
void loop_unwatch(struct loop *l, int fd);

/* One-shot timer after ms milliseconds; returns an id > 0, or 0 on failure. */
uint64_t loop_timer(struct loop *l, uint64_t ms, loop_cb cb, void *arg);
void loop_timer_cancel(struct loop *l, uint64_t id);

/* Run cb once after the current iteration, before the loop sleeps again. */
int loop_soon(struct loop *l, loop_cb cb, void *arg);

/* Run until loop_stop(). Returns 0, or -1 with errno on a fatal epoll error. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

/* Signals as loop events: block sigs (a 0-terminated list) and watch a
 * signalfd for them with cb, which takes each with loop_signal_next().
 * Returns the fd (close it after the loop), or -1 with errno. Children
 * inherit the blocked mask: unblock it before exec. */
int loop_signals(struct loop *l, const int *sigs, loop_fd_cb cb, void *arg);
/* The next pending signal on a loop_signals() fd, or 0 when none is left. */
int loop_signal_next(int fd);

/* Monotonic milliseconds / microseconds (the one clock of every component). */
uint64_t loop_now_ms(void);
uint64_t loop_now_us(void);

/* Count of times epoll_wait returned (for idle-wakeup measurements). */
uint64_t loop_wakeups(const struct loop *l);

#endif
