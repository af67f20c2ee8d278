/*
 * control.c - frontend.sock: one request line per connection.
 *   fault DEVID KIND [ARG]  -> "ok" or "error MESSAGE"
 *   status                  -> one line per device, then EOF
 *   settle                  -> "ok" once xenstore changes and tty opens/closes made
 *                              before the request are acted on and every queued
 *                              uevent is handled
 */
#include "guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define REQ_MAX 4096
#define CLIENT_TIMEOUT_MS 5000u

struct client {
	struct guest *g;
	int fd;
	size_t len;
	uint64_t timer;
	char buf[REQ_MAX];
};

static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void client_close(struct client *c)
{
	if (c->timer)
		loop_timer_cancel(c->g->loop, c->timer);
	loop_unwatch(c->g->loop, c->fd);
	close(c->fd);
	free(c);
}

/* Replies are short; the peer reads them at once. A slow peer gets a bounded
 * blocking write rather than an unbounded buffer here. */
static void reply(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(struct client *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(c->fd, line + off, (size_t)(n - off));
		if (w <= 0)
			return;
		off += w;
	}
}

static void settled(void *arg)
{
	struct client *c = arg;
	reply(c, "ok\n");
	client_close(c);
}

static void handle(struct client *c, char *line)
{
	struct guest *g = c->g;
	char *save = NULL;
	char *cmd = strtok_r(line, " \t", &save);
	if (!cmd) {
		reply(c, "error empty request\n");
	} else if (strcmp(cmd, "status") == 0) {
		for (struct fe_dev *d = g->devs; d; d = d->next) {
			uint32_t ip = 0, ic = 0, op = 0, oc = 0;
			if (d->page) {
				const volatile uint32_t *pg = d->page;
				ic = pg[RING_OFF_IN_CONS / 4];
				ip = pg[RING_OFF_IN_PROD / 4];
				oc = pg[RING_OFF_OUT_CONS / 4];
				op = pg[RING_OFF_OUT_PROD / 4];
			}
			char hvc[16] = "-";
			if (d->hvc >= 0)
				snprintf(hvc, sizeof(hvc), "hvc%d", d->hvc);
			reply(c,
			      "%s devid=%d state=%d backend-state=%d bound=%d hvc=%s tty=%s "
			      "ring-ref=%u port=%d opens=%d in_cons=%u in_prod=%u out_cons=%u "
			      "out_prod=%u bytes_out=%llu bytes_in=%llu stalled=%d corrupt=%d\n",
			      d->kname, d->devid, (int)d->state, (int)d->be_state, d->bound, hvc,
			      d->master >= 0 ? d->pts : "-", (unsigned)d->gref, d->port, d->opens, ic,
			      ip, oc, op, (unsigned long long)d->bytes_out,
			      (unsigned long long)d->bytes_in, d->stalled, d->corrupt);
		}
	} else if (strcmp(cmd, "settle") == 0) {
		if (c->timer) {
			loop_timer_cancel(g->loop, c->timer);
			c->timer = 0;
		}
		loop_unwatch(g->loop, c->fd);
		xb_sync(g); /* everything xenstore said before this request is acted on */
		if (g->ino_fd >= 0)
			hvc_on_inotify(g); /* and every tty open/close that happened */
		if (hp_settle(g->hp, settled, c) < 0)
			reply(c, "error out of memory\n");
		else
			return; /* the reply comes later */
	} else if (strcmp(cmd, "fault") == 0) {
		char *devid = strtok_r(NULL, " \t", &save);
		char *kind = strtok_r(NULL, " \t", &save);
		char *arg = save && *save ? save : NULL;
		struct fe_dev *d = devid ? xb_find(g, devid) : NULL;
		char err[256];
		if (!devid || !kind)
			reply(c, "error usage: fault DEVID KIND [ARG]\n");
		else if (!d)
			reply(c, "error no console device %.32s in domain %u\n", devid,
			      (unsigned)g->domid);
		else if (con_fault(d, kind, arg, err, sizeof(err)) < 0)
			reply(c, "error %s\n", err);
		else
			reply(c, "ok\n");
	} else {
		reply(c, "error unknown request '%.32s' (fault, status, settle)\n", cmd);
	}
	client_close(c);
}

static void on_client(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct client *c = arg;
	ssize_t n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	char *nl = strchr(c->buf, '\n');
	if (!nl) {
		if (c->len == sizeof(c->buf) - 1) {
			reply(c, "error request longer than %d bytes\n", REQ_MAX - 1);
			client_close(c);
		}
		return;
	}
	*nl = '\0';
	if (nl > c->buf && nl[-1] == '\r')
		nl[-1] = '\0';
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	handle(c, c->buf);
}

static void on_client_timeout(struct loop *l, void *arg)
{
	struct client *c = arg;
	c->timer = 0;
	client_close(c);
}

static void on_accept(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct guest *g = arg;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		struct client *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->g = g;
		c->fd = cfd;
		if (loop_watch(l, cfd, LOOP_READ, on_client, c) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		c->timer = loop_timer(l, CLIENT_TIMEOUT_MS, on_client_timeout, c);
	}
}

int ctl_open(struct guest *g, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("control socket path %s is too long", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -1;
	unlink(path);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listen_fd, 16) < 0 ||
	    loop_watch(g->loop, listen_fd, LOOP_READ, on_accept, g) < 0) {
		log_err("control socket %s: %s", path, strerror(errno));
		close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	return 0;
}

void ctl_close(void)
{
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
		listen_fd = -1;
	}
}
