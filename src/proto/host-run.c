/*
 * host-run.c - many host-side exchanges (provision, qga) from one event loop:
 * up to `jobs` at a time, each with its fd, its timed actions and a deadline.
 */
#include "xenchannel/host.h"
#include "xenchannel/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>

struct slot {
	struct run *run;
	void *task;
	int fd;
	uint64_t wake_timer, deadline_timer;
};

struct run {
	struct loop *loop;
	const struct host_task_ops *ops;
	const struct host_run_opts *o;
	struct slot *s;
	size_t n, next, running, finished, failed, jobs;
	uint64_t last_progress, progress_timer;
};

static void on_progress_timer(struct loop *l, void *arg);

/* The caller's progress callback, at most every 100 ms. */
static void show_progress(struct run *r)
{
	if (!r->o->progress || r->progress_timer)
		return;
	uint64_t now = loop_now_ms();
	if (now - r->last_progress >= 100 || r->finished == r->n) {
		r->o->progress(r->o->progress_arg, r->finished, r->n, r->failed, 0);
		r->last_progress = now;
	} else {
		r->progress_timer =
		    loop_timer(r->loop, 100 - (now - r->last_progress), on_progress_timer, r);
	}
}

static void on_progress_timer(struct loop *l, void *arg)
{
	struct run *r = arg;
	r->progress_timer = 0;
	show_progress(r);
}

static void start_more(struct run *r);

/* An ended task leaves the loop and makes room for the next one. */
static void slot_done(struct slot *x)
{
	struct run *r = x->run;
	if (x->fd >= 0)
		loop_unwatch(r->loop, x->fd);
	x->fd = -1;
	loop_timer_cancel(r->loop, x->wake_timer);
	loop_timer_cancel(r->loop, x->deadline_timer);
	x->wake_timer = x->deadline_timer = 0;
	r->running--;
	r->finished++;
	if (!r->ops->ok(x->task))
		r->failed++;
	start_more(r);
	show_progress(r);
	if (r->finished == r->n)
		loop_stop(r->loop);
}

static void on_wake(struct loop *l, void *arg);
static void on_fd(struct loop *l, int fd, unsigned events, void *arg);

/* Watch for what the task waits for, and wake it for its next timed action.
 * A task that connected again has another fd; -1: nothing to watch. */
static void slot_arm(struct slot *x)
{
	struct run *r = x->run;
	int fd = r->ops->fd(x->task);
	if (fd != x->fd) {
		if (x->fd >= 0)
			loop_unwatch(r->loop, x->fd);
		x->fd = fd >= 0 && loop_watch(r->loop, fd, 0, on_fd, x) == 0 ? fd : -1;
	}
	unsigned ev = r->ops->events(x->task);
	if (x->fd >= 0)
		loop_modify(r->loop, x->fd,
		            (ev & HOST_READ ? LOOP_READ : 0) | (ev & HOST_WRITE ? LOOP_WRITE : 0));
	loop_timer_cancel(r->loop, x->wake_timer);
	x->wake_timer = 0;
	uint64_t nx = r->ops->next_ms(x->task), now = loop_now_ms();
	if (nx)
		x->wake_timer = loop_timer(r->loop, nx > now ? nx - now : 0, on_wake, x);
}

static void slot_step(struct slot *x, unsigned got)
{
	if (x->run->ops->step(x->task, got))
		slot_done(x);
	else
		slot_arm(x);
}

static void on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
	slot_step(arg,
	          (events & LOOP_READ ? HOST_READ : 0) | (events & LOOP_WRITE ? HOST_WRITE : 0));
}

static void on_wake(struct loop *l, void *arg)
{
	struct slot *x = arg;
	x->wake_timer = 0;
	slot_step(x, 0);
}

static void on_deadline(struct loop *l, void *arg)
{
	struct slot *x = arg;
	x->deadline_timer = 0;
	if (!x->run->ops->step(x->task, 0))
		x->run->ops->expire(x->task);
	slot_done(x);
}

/* Start a task; 0, or -1 when it ended at once. */
static int slot_start(struct run *r, struct slot *x)
{
	if (r->ops->start(x->task) < 0)
		return -1;
	if (!(x->deadline_timer = loop_timer(r->loop, r->o->timeout_ms, on_deadline, x))) {
		r->ops->expire(x->task);
		return -1;
	}
	slot_arm(x);
	return 0;
}

static void start_more(struct run *r)
{
	while (r->running < r->jobs && r->next < r->n) {
		struct slot *x = &r->s[r->next++];
		if (slot_start(r, x) < 0) {
			r->finished++;
			if (!r->ops->ok(x->task))
				r->failed++;
			continue;
		}
		r->running++;
	}
}

int host_run_tasks(void *tasks, size_t n, size_t size, const struct host_task_ops *ops,
                   const struct host_run_opts *o)
{
	struct run r = {.ops = ops, .o = o, .n = n, .jobs = o->jobs ? o->jobs : n};
	if (n == 0)
		return 0;
	r.s = calloc(n, sizeof(*r.s));
	if (!r.s || !(r.loop = loop_new())) {
		free(r.s);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		r.s[i] = (struct slot){.run = &r, .task = (char *)tasks + i * size, .fd = -1};
	int rc = 0;
	start_more(&r);
	show_progress(&r);
	if (r.finished < r.n && loop_run(r.loop) < 0)
		rc = -1;
	int saved = errno;
	if (o->progress)
		o->progress(o->progress_arg, r.finished, r.n, r.failed, 1);
	loop_free(r.loop);
	free(r.s);
	errno = saved;
	return rc;
}

size_t host_run_fit_jobs(size_t jobs)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)jobs + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < want && rl.rlim_cur > 64)
			jobs = (size_t)rl.rlim_cur - 64;
	}
	return jobs;
}
