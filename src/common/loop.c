/* loop.c - epoll event loop: fd handlers, one-shot timers, deferred calls. */
#include "xenchannel/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct fd_entry {
	int fd;
	unsigned events;
	loop_fd_cb cb;
	void *arg;
	struct fd_entry *next; /* hash chain */
};

struct timer {
	uint64_t id;
	uint64_t when_ms;
	loop_cb cb;
	void *arg;
};

struct soon {
	loop_cb cb;
	void *arg;
};

#define FD_BUCKETS 1024u

struct loop {
	int epfd;
	int stop;
	uint64_t wakeups;
	struct fd_entry *fds[FD_BUCKETS];
	/* timers: a binary min-heap on when_ms */
	struct timer *timers;
	size_t ntimers, timers_cap;
	uint64_t next_timer_id;
	/* deferred calls: swapped out before running so callbacks may add more */
	struct soon *soon;
	size_t nsoon, soon_cap;
};

uint64_t loop_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t loop_now_ms(void)
{
	return loop_now_us() / 1000u;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < FD_BUCKETS; i++) {
		struct fd_entry *e = l->fds[i];
		while (e) {
			struct fd_entry *n = e->next;
			free(e);
			e = n;
		}
	}
	close(l->epfd);
	free(l->timers);
	free(l->soon);
	free(l);
}

static struct fd_entry **find_slot(struct loop *l, int fd)
{
	struct fd_entry **p = &l->fds[(unsigned)fd % FD_BUCKETS];
	while (*p && (*p)->fd != fd)
		p = &(*p)->next;
	return p;
}

static uint32_t to_epoll(unsigned events)
{
	return ((events & LOOP_READ) ? EPOLLIN : 0u) | ((events & LOOP_WRITE) ? EPOLLOUT : 0u);
}

int loop_watch(struct loop *l, int fd, unsigned events, loop_fd_cb cb, void *arg)
{
	struct fd_entry **slot = find_slot(l, fd);
	struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
	if (*slot) {
		(*slot)->events = events;
		(*slot)->cb = cb;
		(*slot)->arg = arg;
		int rc = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
		if (rc < 0 && errno == ENOENT) /* paused by loop_modify(fd, 0) */
			rc = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
		return rc;
	}
	struct fd_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(e);
		return -1;
	}
	e->fd = fd;
	e->events = events;
	e->cb = cb;
	e->arg = arg;
	*slot = e;
	return 0;
}

int loop_modify(struct loop *l, int fd, unsigned events)
{
	struct fd_entry *e = *find_slot(l, fd);
	if (!e) {
		errno = ENOENT;
		return -1;
	}
	if (e->events == events)
		return 0;
	struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
	/* epoll reports EPOLLHUP/EPOLLERR whatever the mask: a paused fd leaves
	 * the set, or a hung-up peer would wake the loop forever. */
	int op = !events ? EPOLL_CTL_DEL : e->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	e->events = events;
	int rc = epoll_ctl(l->epfd, op, fd, &ev);
	if (rc < 0 && op == EPOLL_CTL_ADD && errno == EEXIST) /* watched with mask 0 */
		rc = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
	return rc;
}

void loop_unwatch(struct loop *l, int fd)
{
	struct fd_entry **slot = find_slot(l, fd);
	struct fd_entry *e = *slot;
	if (!e)
		return;
	*slot = e->next;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	free(e);
}

static void heap_swap(struct timer *a, struct timer *b)
{
	struct timer t = *a;
	*a = *b;
	*b = t;
}

static void heap_up(struct timer *h, size_t i)
{
	while (i > 0 && h[(i - 1) / 2].when_ms > h[i].when_ms) {
		heap_swap(&h[(i - 1) / 2], &h[i]);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct timer *h, size_t n, size_t i)
{
	for (;;) {
		size_t m = i, a = 2 * i + 1, b = 2 * i + 2;
		if (a < n && h[a].when_ms < h[m].when_ms)
			m = a;
		if (b < n && h[b].when_ms < h[m].when_ms)
			m = b;
		if (m == i)
			return;
		heap_swap(&h[m], &h[i]);
		i = m;
	}
}

static void heap_remove_at(struct loop *l, size_t i)
{
	l->timers[i] = l->timers[--l->ntimers];
	if (i < l->ntimers) {
		heap_down(l->timers, l->ntimers, i);
		heap_up(l->timers, i);
	}
}

uint64_t loop_timer(struct loop *l, uint64_t ms, loop_cb cb, void *arg)
{
	if (l->ntimers == l->timers_cap) {
		size_t cap = l->timers_cap ? l->timers_cap * 2 : 16;
		struct timer *t = realloc(l->timers, cap * sizeof(*t));
		if (!t)
			return 0;
		l->timers = t;
		l->timers_cap = cap;
	}
	struct timer *t = &l->timers[l->ntimers];
	t->id = ++l->next_timer_id;
	t->when_ms = loop_now_ms() + ms;
	t->cb = cb;
	t->arg = arg;
	heap_up(l->timers, l->ntimers++);
	return l->next_timer_id;
}

void loop_timer_cancel(struct loop *l, uint64_t id)
{
	for (size_t i = 0; i < l->ntimers; i++) {
		if (l->timers[i].id == id) {
			heap_remove_at(l, i);
			return;
		}
	}
}

int loop_soon(struct loop *l, loop_cb cb, void *arg)
{
	if (l->nsoon == l->soon_cap) {
		size_t cap = l->soon_cap ? l->soon_cap * 2 : 16;
		struct soon *s = realloc(l->soon, cap * sizeof(*s));
		if (!s)
			return -1;
		l->soon = s;
		l->soon_cap = cap;
	}
	l->soon[l->nsoon++] = (struct soon){cb, arg};
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}

uint64_t loop_wakeups(const struct loop *l)
{
	return l->wakeups;
}

static void run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();
	while (l->ntimers && l->timers[0].when_ms <= now && !l->stop) {
		struct timer t = l->timers[0];
		heap_remove_at(l, 0);
		t.cb(l, t.arg);
	}
}

static void run_soon(struct loop *l)
{
	/* Run only what was queued before this pass; new entries wait a turn so
	 * a callback that re-queues itself cannot starve I/O. */
	size_t n = l->nsoon;
	if (n == 0)
		return; /* l->soon may still be NULL: memmove(NULL, ...) is UB */
	for (size_t i = 0; i < n && !l->stop; i++)
		l->soon[i].cb(l, l->soon[i].arg);
	memmove(l->soon, l->soon + n, (l->nsoon - n) * sizeof(*l->soon));
	l->nsoon -= n;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[64];
	l->stop = 0;
	while (!l->stop) {
		int timeout = -1;
		if (l->nsoon)
			timeout = 0;
		else if (l->ntimers) {
			uint64_t now = loop_now_ms();
			timeout =
			    l->timers[0].when_ms <= now ? 0 : (int)(l->timers[0].when_ms - now);
		}
		int n = epoll_wait(l->epfd, evs, 64, timeout);
		l->wakeups++;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			/* Look the entry up again: an earlier handler may have removed it. */
			struct fd_entry *e = *find_slot(l, evs[i].data.fd);
			if (!e)
				continue;
			unsigned got = 0;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				got |= LOOP_READ;
			if (evs[i].events & (EPOLLOUT | EPOLLERR))
				got |= LOOP_WRITE;
			got &= e->events ? e->events | LOOP_READ : 0;
			if (got)
				e->cb(l, e->fd, got, e->arg);
		}
		run_timers(l);
		run_soon(l);
	}
	return 0;
}
