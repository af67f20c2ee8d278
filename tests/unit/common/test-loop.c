/*
 * test-loop.c - the event loop's contract (include/xenchannel/loop.h):
 * timers fire in deadline order and not once cancelled, deferred calls run
 * after the iteration's I/O without starving it, a handler may remove any
 * watch (its own included) and a removed fd is not called again, paused fds
 * stay quiet, and signals arrive as loop events.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xenchannel/loop.h"

#define GUARD_MS 5000 /* a test that reaches this has failed: it is no wait */

static struct loop *L;
static char order[64];
static size_t norder;

static void note(char c)
{
	if (norder + 1 < sizeof(order))
		order[norder++] = c;
	order[norder] = '\0';
}

static void guard_cb(struct loop *l, void *arg)
{
	fail_msg("the loop did not finish within %d ms", GUARD_MS);
}

static int setup(void **state)
{
	L = loop_new();
	norder = 0;
	order[0] = '\0';
	return L && loop_timer(L, GUARD_MS, guard_cb, NULL) ? 0 : -1;
}

static int teardown(void **state)
{
	loop_free(L);
	return 0;
}

static void stop_cb(struct loop *l, void *arg)
{
	loop_stop(l);
}

static void note_cb(struct loop *l, void *arg)
{
	note(*(const char *)arg);
}

/* ---- timers --------------------------------------------------------------- */

static void test_timers_fire_in_deadline_order(void **state)
{
	loop_timer(L, 30, note_cb, "c");
	loop_timer(L, 10, note_cb, "a");
	loop_timer(L, 20, note_cb, "b");
	loop_timer(L, 0, note_cb, "0");
	loop_timer(L, 40, stop_cb, NULL);
	uint64_t t0 = loop_now_ms();
	assert_int_equal(loop_run(L), 0);
	assert_string_equal(order, "0abc");
	assert_true(loop_now_ms() - t0 >= 40);
}

static void test_cancelled_timer_never_fires(void **state)
{
	uint64_t ids[6];
	static const char names[] = "abcdef";
	for (int i = 0; i < 6; i++)
		ids[i] = loop_timer(L, (uint64_t)(5 * (i + 1)), note_cb, (void *)&names[i]);
	loop_timer_cancel(L, ids[2]); /* from the middle of the heap */
	loop_timer_cancel(L, ids[0]); /* and its root */
	loop_timer_cancel(L, 999999); /* unknown ids are ignored */
	loop_timer(L, 40, stop_cb, NULL);
	loop_run(L);
	assert_string_equal(order, "bdef");
}

static uint64_t rearm_id;

static void rearm_cb(struct loop *l, void *arg)
{
	note('r');
	int *left = arg;
	if (--*left > 0)
		rearm_id = loop_timer(l, 1, rearm_cb, arg);
	else
		loop_stop(l);
}

static void test_timer_rearmed_from_its_callback(void **state)
{
	int left = 3;
	rearm_id = loop_timer(L, 1, rearm_cb, &left);
	loop_run(L);
	assert_string_equal(order, "rrr");
}

/* ---- deferred calls ------------------------------------------------------- */

static void test_soon_runs_in_order_after_io(void **state)
{
	loop_soon(L, note_cb, "1");
	loop_soon(L, note_cb, "2");
	loop_soon(L, stop_cb, NULL);
	loop_run(L);
	assert_string_equal(order, "12");
}

struct spin {
	int soon_runs;
	int runs_at_io;
	int p[2];
};

static void spin_soon(struct loop *l, void *arg)
{
	struct spin *s = arg;
	if (++s->soon_runs == 3)
		assert_int_equal(write(s->p[1], "x", 1), 1);
	loop_soon(l, spin_soon, s); /* forever: must wait a turn each time */
}

static void spin_fd(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct spin *s = arg;
	s->runs_at_io = s->soon_runs;
	loop_stop(l);
}

static void test_requeued_soon_does_not_starve_io(void **state)
{
	struct spin s = {0};
	assert_int_equal(pipe(s.p), 0);
	assert_int_equal(loop_watch(L, s.p[0], LOOP_READ, spin_fd, &s), 0);
	loop_soon(L, spin_soon, &s);
	loop_run(L);
	/* once per iteration: the write of the third run is read in the next */
	assert_int_equal(s.runs_at_io, 3);
	assert_int_equal(s.soon_runs, 3);
	loop_unwatch(L, s.p[0]);
	close(s.p[0]);
	close(s.p[1]);
}

/* ---- removing watches from inside callbacks ------------------------------- */

struct pair {
	int a[2], b[2];
	int calls_a, calls_b;
};

static void pair_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct pair *p = arg;
	int mine_a = fd == p->a[0];
	if (mine_a)
		p->calls_a++;
	else
		p->calls_b++;
	/* the first one called removes the other, also readable in this batch */
	loop_unwatch(l, mine_a ? p->b[0] : p->a[0]);
	loop_unwatch(l, fd);
	loop_soon(l, stop_cb, NULL);
}

static void test_unwatch_of_a_ready_fd_inside_a_callback(void **state)
{
	struct pair p = {0};
	assert_int_equal(pipe(p.a), 0);
	assert_int_equal(pipe(p.b), 0);
	assert_int_equal(loop_watch(L, p.a[0], LOOP_READ, pair_cb, &p), 0);
	assert_int_equal(loop_watch(L, p.b[0], LOOP_READ, pair_cb, &p), 0);
	assert_int_equal(write(p.a[1], "x", 1), 1);
	assert_int_equal(write(p.b[1], "x", 1), 1);
	loop_run(L);
	assert_int_equal(p.calls_a + p.calls_b, 1);
	int *fds[] = {p.a, p.b};
	for (int i = 0; i < 2; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

static void stop_next_turn(struct loop *l, void *arg)
{
	loop_soon(l, stop_cb, NULL); /* one more epoll_wait happens before this */
}

static void self_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	int *calls = arg;
	++*calls;
	loop_unwatch(l, fd);
	close(fd);
	loop_soon(l, stop_next_turn, NULL);
}

static void test_unwatch_self_and_close(void **state)
{
	int p[2], calls = 0;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_watch(L, p[0], LOOP_READ, self_cb, &calls), 0);
	assert_int_equal(write(p[1], "xy", 2), 2); /* left unread: would repeat */
	loop_run(L);
	assert_int_equal(calls, 1);
	close(p[1]);
}

/* ---- pausing -------------------------------------------------------------- */

struct paused {
	int p[2];
	int calls;
};

static void paused_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct paused *s = arg;
	s->calls++;
	loop_stop(l);
}

static void resume_cb(struct loop *l, void *arg)
{
	struct paused *s = arg;
	note(s->calls ? 'X' : 'r');
	loop_modify(l, s->p[0], LOOP_READ);
}

static void test_paused_fd_stays_quiet(void **state)
{
	struct paused s = {0};
	assert_int_equal(pipe(s.p), 0);
	assert_int_equal(loop_watch(L, s.p[0], LOOP_READ, paused_cb, &s), 0);
	assert_int_equal(loop_modify(L, s.p[0], 0), 0);
	assert_int_equal(write(s.p[1], "x", 1), 1);
	close(s.p[1]); /* a hung-up writer does not wake a paused reader either */
	loop_timer(L, 20, resume_cb, &s);
	loop_run(L);
	assert_string_equal(order, "r");
	assert_int_equal(s.calls, 1);
	assert_int_equal(loop_modify(L, 12345, LOOP_READ), -1);
	assert_int_equal(errno, ENOENT);
	loop_unwatch(L, s.p[0]);
	close(s.p[0]);
}

/* ---- signals -------------------------------------------------------------- */

static void signal_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	int *got = arg, sig;
	while ((sig = loop_signal_next(fd)) > 0)
		got[got[0] < 2 ? ++got[0] : 0] = sig;
	if (got[0] == 2)
		loop_stop(l);
}

static void test_signals_arrive_as_events(void **state)
{
	static const int sigs[] = {SIGUSR1, SIGUSR2, 0};
	int got[3] = {0};
	int fd = loop_signals(L, sigs, signal_cb, got);
	assert_true(fd >= 0);
	raise(SIGUSR1); /* blocked: waits in the signalfd instead of killing us */
	raise(SIGUSR2);
	loop_run(L);
	assert_int_equal(got[0], 2);
	assert_true((got[1] == SIGUSR1 && got[2] == SIGUSR2) ||
	            (got[1] == SIGUSR2 && got[2] == SIGUSR1));
	assert_int_equal(loop_signal_next(fd), 0); /* none left */
	loop_unwatch(L, fd);
	close(fd);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_timers_fire_in_deadline_order),
	    T(test_cancelled_timer_never_fires),
	    T(test_timer_rearmed_from_its_callback),
	    T(test_soon_runs_in_order_after_io),
	    T(test_requeued_soon_does_not_starve_io),
	    T(test_unwatch_of_a_ready_fd_inside_a_callback),
	    T(test_unwatch_self_and_close),
	    T(test_paused_fd_stays_quiet),
	    T(test_signals_arrive_as_events),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
