/*
 * control.c - the control socket: one request line per connection.
 *
 *   stats\n  ->  one JSON object per channel per line, then EOF
 *
 * The reply is built in memory and written as the client drains it, so a
 * slow reader never blocks the relay.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenchannel/loop.h"

#define REQ_MAX 64

struct ctl_client {
	struct xcd *d;
	int fd;
	char req[REQ_MAX];
	size_t reqlen;
	char *out;
	size_t outlen, outpos;
};

static size_t json_str(char *buf, size_t len, const char *s)
{
	size_t n = 0;
#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (n + 1 < len)                                                                   \
			buf[n] = (ch);                                                             \
		n++;                                                                               \
	} while (0)
	PUT('"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\') {
			PUT('\\');
			PUT((char)*p);
		} else if (*p < 0x20 || *p == 0x7f) {
			char esc[8];
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			for (char *e = esc; *e; e++)
				PUT(*e);
		} else {
			PUT((char)*p);
		}
	}
	PUT('"');
#undef PUT
	if (len)
		buf[n < len ? n : len - 1] = '\0';
	return n;
}

size_t control_format(const struct chan *c, char *buf, size_t len)
{
	char name[600], path[600];
	json_str(name, sizeof(name), c->name);
	json_str(path, sizeof(path), c->path);
	int n = snprintf(
	    buf, len,
	    "{\"domid\":%u,\"devid\":%u,\"name\":%s,\"connection\":\"%s\",\"path\":%s,"
	    "\"state\":\"%s\",\"bytes_to_guest\":%" PRIu64 ",\"bytes_from_guest\":%" PRIu64
	    ",\"events\":%" PRIu64 ",\"drops\":0,\"errors\":%" PRIu64 ",\"storms\":%" PRIu64
	    ",\"client_connected\":%s,\"ring_out_pending\":%ld,\"ring_in_free\":%ld}",
	    c->domid, c->devid, name, c->kind == EP_SOCKET ? "socket" : "pty", path,
	    fsm_state_name(c->st), c->bytes_to_guest, c->bytes_from_guest, c->events, c->errors,
	    c->storms, c->fd >= 0 ? "true" : "false", c->page ? ring_readable(&c->ring) : -1L,
	    c->page ? ring_writable(&c->ring) : -1L);
	return n < 0 ? 0 : (size_t)n;
}

static void client_free(struct ctl_client *cl)
{
	loop_unwatch(cl->d->loop, cl->fd);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

struct buildbuf {
	char *buf;
	size_t len, cap;
	int oom;
};

static void add_line(struct chan *c, void *arg)
{
	struct buildbuf *b = arg;
	char line[2048];
	size_t n = control_format(c, line, sizeof(line));
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n)
			cap *= 2;
		char *t = realloc(b->buf, cap);
		if (!t) {
			b->oom = 1;
			return;
		}
		b->buf = t;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, line, n);
	b->len += n;
}

static void client_write(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct ctl_client *cl = arg;
	while (cl->outpos < cl->outlen) {
		ssize_t n =
		    send(cl->fd, cl->out + cl->outpos, cl->outlen - cl->outpos, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			break;
		}
		cl->outpos += (size_t)n;
	}
	client_free(cl);
}

static void respond(struct ctl_client *cl)
{
	struct buildbuf b = {0};
	if (strcmp(cl->req, "stats") == 0) {
		chan_foreach(cl->d, add_line, &b);
		if (b.oom) {
			free(b.buf);
			b = (struct buildbuf){0};
		}
	} else {
		char msg[128];
		int n = snprintf(msg, sizeof(msg), "error unknown request '%.32s'\n", cl->req);
		b.buf = strdup(msg);
		b.len = b.buf ? (size_t)n : 0;
	}
	cl->out = b.buf;
	cl->outlen = b.len;
	if (loop_watch(cl->d->loop, cl->fd, LOOP_WRITE, client_write, cl) < 0)
		client_free(cl);
}

static void client_read(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct ctl_client *cl = arg;
	ssize_t n = recv(fd, cl->req + cl->reqlen, sizeof(cl->req) - 1 - cl->reqlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(cl);
		return;
	}
	cl->reqlen += (size_t)n;
	cl->req[cl->reqlen] = '\0';
	char *nl = strchr(cl->req, '\n');
	if (!nl && cl->reqlen < sizeof(cl->req) - 1)
		return;
	if (nl)
		*nl = '\0';
	respond(cl);
}

static void accept_cb(struct loop *l, int fd, unsigned ev, void *arg);

static void control_relisten(struct loop *l, void *arg)
{
	struct xcd *d = arg;
	if (d->control_fd >= 0)
		loop_watch(l, d->control_fd, LOOP_READ, accept_cb, d);
}

static void accept_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct xcd *d = arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* the listener stays readable: pause it rather than spin */
			loop_unwatch(l, fd);
			loop_timer(l, 100, control_relisten, d);
		}
		return;
	}
	struct ctl_client *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(cfd);
		return;
	}
	cl->d = d;
	cl->fd = cfd;
	if (loop_watch(l, cfd, LOOP_READ, client_read, cl) < 0) {
		close(cfd);
		free(cl);
	}
}

int control_open(struct xcd *d, char *err, size_t errlen)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	if (d->opt.control_path) {
		snprintf(path, sizeof(path), "%s", d->opt.control_path);
	} else {
		const char *run = getenv("XENSIM_RUN_DIR");
		int n = snprintf(path, sizeof(path), "%s/xenchanneld", run && *run ? run : "/run");
		if (n < 0 || (size_t)n >= sizeof(path)) {
			snprintf(err, errlen, "control socket directory name too long");
			return -1;
		}
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "creating %s: %s", path, strerror(errno));
			return -1;
		}
		strncat(path, "/control.sock", sizeof(path) - strlen(path) - 1);
	}
	/* The control socket lives in our own directory: the same rules as a
	 * channel socket apply (stale ones are replaced, live ones refused). */
	dev_t dev;
	ino_t ino;
	char e2[512];
	int fd = eps_listen(path, 0600, 16, &dev, &ino, e2, sizeof(e2));
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", e2);
		return -1;
	}
	if (loop_watch(d->loop, fd, LOOP_READ, accept_cb, d) < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	d->control_fd = fd;
	d->control_path = strdup(path);
	d->control_dev = dev;
	d->control_ino = ino;
	return 0;
}

void control_close(struct xcd *d)
{
	if (d->control_fd < 0)
		return;
	loop_unwatch(d->loop, d->control_fd);
	close(d->control_fd);
	d->control_fd = -1;
	if (d->control_path)
		eps_unlink(d->control_path, d->control_dev, d->control_ino);
	free(d->control_path);
	d->control_path = NULL;
}
