/*
 * pty-clients.c - whether a dom0 program has a pty channel's tty open.
 *
 * We hold the slave ourselves (endpoint-pty.c), so the master never reports
 * a hangup and cannot tell. inotify can: each open() of /dev/pts/N is an
 * IN_OPEN on its inode and the last close of that open file an IN_CLOSE_*;
 * opens minus closes is the number of clients. Our own slave was opened
 * before the watch and is not counted; a descriptor shared by fork or
 * SCM_RIGHTS is one open file, counted once. One inotify descriptor serves
 * every channel; watches are found by a linear search, pty channels being
 * few and opens and closes rare.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "xenchannel/loop.h"

#define PTYC_MASK (IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)

static struct chan *find(struct xcd *d, int wd)
{
	for (size_t i = 0; i < d->npty; i++)
		if (d->ptys[i]->pty_wd == wd)
			return d->ptys[i];
	return NULL;
}

static void events_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct xcd *d = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				log_err("reading pty open/close events: %s", strerror(errno));
			return;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			p += sizeof(*e) + e->len;
			if (e->mask & IN_Q_OVERFLOW) {
				log_warn("pty open/close events lost (queue overflow): the client "
				         "state of pty channels may be wrong until their clients "
				         "reconnect");
				continue;
			}
			struct chan *c = find(d, e->wd);
			if (!c)
				continue; /* a watch removed meanwhile */
			if (e->mask & IN_OPEN)
				c->pty_clients++;
			if ((e->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) && c->pty_clients > 0)
				c->pty_clients--;
		}
	}
}

int ptyc_init(struct xcd *d, char *err, size_t errlen)
{
	d->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->ino_fd < 0) {
		snprintf(err, errlen, "inotify_init1: %s", strerror(errno));
		return -1;
	}
	if (loop_watch(d->loop, d->ino_fd, LOOP_READ, events_cb, d) < 0) {
		snprintf(err, errlen, "watching the inotify descriptor: %s", strerror(errno));
		close(d->ino_fd);
		d->ino_fd = -1;
		return -1;
	}
	return 0;
}

void ptyc_close(struct xcd *d)
{
	if (d->ino_fd >= 0) {
		loop_unwatch(d->loop, d->ino_fd);
		close(d->ino_fd);
		d->ino_fd = -1;
	}
	free(d->ptys);
	d->ptys = NULL;
	d->npty = d->pty_cap = 0;
}

int ptyc_watch(struct chan *c, const char *tty)
{
	struct xcd *d = c->d;
	c->pty_clients = 0;
	if (d->ino_fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (d->npty == d->pty_cap) {
		size_t cap = d->pty_cap ? 2 * d->pty_cap : 16;
		struct chan **t = realloc(d->ptys, cap * sizeof(*t));
		if (!t)
			return -1;
		d->ptys = t;
		d->pty_cap = cap;
	}
	int wd = inotify_add_watch(d->ino_fd, tty, PTYC_MASK);
	if (wd < 0)
		return -1;
	c->pty_wd = wd;
	d->ptys[d->npty++] = c;
	return 0;
}

void ptyc_unwatch(struct chan *c)
{
	struct xcd *d = c->d;
	if (c->pty_wd < 0)
		return;
	for (size_t i = 0; i < d->npty; i++) {
		if (d->ptys[i] == c) {
			d->ptys[i] = d->ptys[--d->npty];
			break;
		}
	}
	/* (the pty may be gone already, which removed the watch with it) */
	inotify_rm_watch(d->ino_fd, c->pty_wd);
	c->pty_wd = -1;
	c->pty_clients = 0;
}
