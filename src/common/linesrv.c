/* linesrv.c - one request line per connection, answers queued in memory. */
#include "xenchannel/linesrv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xenchannel/loop.h"

#define RELISTEN_MS 100u

struct linesrv {
	struct loop *loop;
	int fd;
	size_t max;
	uint64_t timeout_ms;
	linesrv_fn fn;
	void *arg;
	uint64_t relisten; /* timer while accept is paused */
	struct linesrv_conn *conns;
};

struct linesrv_conn {
	struct linesrv *s;
	struct linesrv_conn *next, **pprev;
	int fd;
	uint64_t timer;
	int oom;
	char *out;
	size_t outlen, outcap, outpos;
	size_t len;
	char line[]; /* s->max + 1 */
};

static void conn_free(struct linesrv_conn *c)
{
	struct loop *l = c->s->loop;
	if (c->timer)
		loop_timer_cancel(l, c->timer);
	loop_unwatch(l, c->fd);
	close(c->fd);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	free(c->out);
	free(c);
}

int linesrv_write(struct linesrv_conn *c, const void *buf, size_t len)
{
	if (c->oom)
		return -1;
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 256;
		while (cap < c->outlen + len)
			cap *= 2;
		char *o = realloc(c->out, cap);
		if (!o) {
			c->oom = 1;
			return -1;
		}
		c->out = o;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
	return 0;
}

int linesrv_printf(struct linesrv_conn *c, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return linesrv_write(c, small, (size_t)n);
	char *big = malloc((size_t)n + 1);
	if (!big) {
		c->oom = 1;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = linesrv_write(c, big, (size_t)n);
	free(big);
	return rc;
}

static void conn_write(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct linesrv_conn *c = arg;
	while (c->outpos < c->outlen) {
		ssize_t n = send(fd, c->out + c->outpos, c->outlen - c->outpos, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (loop_watch(l, fd, LOOP_WRITE, conn_write, c) < 0)
				break;
			return; /* the rest when the client has read some */
		}
		if (n <= 0)
			break; /* the client went away: nothing more to say */
		c->outpos += (size_t)n;
	}
	conn_free(c);
}

void linesrv_done(struct linesrv_conn *c)
{
	if (c->oom)
		c->outlen = 0;
	conn_write(c->s->loop, c->fd, LOOP_WRITE, c);
}

static void conn_timeout(struct loop *l, void *arg)
{
	struct linesrv_conn *c = arg;
	c->timer = 0;
	conn_free(c);
}

static void conn_read(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct linesrv_conn *c = arg;
	size_t max = c->s->max;
	ssize_t n = recv(fd, c->line + c->len, max - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c); /* gone before the line ended: nobody to answer */
		return;
	}
	char *nl = memchr(c->line + c->len, '\n', (size_t)n);
	c->len += (size_t)n;
	if (!nl && c->len < max)
		return;
	/* one line, one answer: read no more of this client */
	loop_unwatch(l, fd);
	if (c->timer) {
		loop_timer_cancel(l, c->timer);
		c->timer = 0;
	}
	if (!nl) {
		linesrv_printf(c, "error request longer than %zu bytes\n", max);
		linesrv_done(c);
		return;
	}
	*nl = '\0';
	if (nl > c->line && nl[-1] == '\r')
		nl[-1] = '\0';
	c->s->fn(c, c->line, c->s->arg); /* c may be gone when it returns */
}

static void accept_cb(struct loop *l, int fd, unsigned ev, void *arg);

static void relisten(struct loop *l, void *arg)
{
	struct linesrv *s = arg;
	s->relisten = 0;
	loop_watch(l, s->fd, LOOP_READ, accept_cb, s);
}

static void accept_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct linesrv *s = arg;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* the listener stays readable: pause it rather than spin */
				loop_unwatch(l, fd);
				s->relisten = loop_timer(l, RELISTEN_MS, relisten, s);
			}
			return;
		}
		struct linesrv_conn *c = calloc(1, sizeof(*c) + s->max + 1);
		if (!c || loop_watch(l, cfd, LOOP_READ, conn_read, c) < 0) {
			free(c);
			close(cfd);
			continue;
		}
		c->s = s;
		c->fd = cfd;
		c->next = s->conns;
		if (c->next)
			c->next->pprev = &c->next;
		c->pprev = &s->conns;
		s->conns = c;
		if (s->timeout_ms)
			c->timer = loop_timer(l, s->timeout_ms, conn_timeout, c);
	}
}

struct linesrv *linesrv_new(struct loop *l, int fd, size_t max, uint64_t timeout_ms, linesrv_fn fn,
                            void *arg)
{
	struct linesrv *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct linesrv){.loop = l,
	                      .fd = fd,
	                      .max = max ? max : 1,
	                      .timeout_ms = timeout_ms,
	                      .fn = fn,
	                      .arg = arg};
	if (loop_watch(l, fd, LOOP_READ, accept_cb, s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void linesrv_free(struct linesrv *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	if (s->relisten)
		loop_timer_cancel(s->loop, s->relisten);
	loop_unwatch(s->loop, s->fd);
	close(s->fd);
	free(s);
}
