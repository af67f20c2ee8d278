/*
 * control.c - the control socket: one request line per connection.
 *
 *   stats\n  ->  one JSON object per channel per line, then EOF
 *
 * The connections are linesrv's: the reply is built in memory and written as
 * the client drains it, so a slow reader never blocks the relay.
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

#include "xenchannel/linesrv.h"

#define REQ_MAX 64 /* the longest request, its newline included */

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

/* "true"/"false", or "null" while nobody can tell (a pty not followed). */
static const char *client_state(const struct chan *c)
{
	if (c->kind == EP_SOCKET)
		return c->fd >= 0 ? "true" : "false";
	if (c->pty_wd < 0)
		return c->fd >= 0 ? "null" : "false";
	return c->pty_clients > 0 ? "true" : "false";
}

size_t control_format(const struct chan *c, char *buf, size_t len)
{
	char name[600], path[600], ptyc[16] = "null";
	if (c->kind == EP_PTY && c->pty_wd >= 0)
		snprintf(ptyc, sizeof(ptyc), "%d", c->pty_clients);
	json_str(name, sizeof(name), c->name);
	json_str(path, sizeof(path), c->path);
	int n = snprintf(
	    buf, len,
	    "{\"domid\":%u,\"devid\":%u,\"name\":%s,\"connection\":\"%s\",\"path\":%s,"
	    "\"state\":\"%s\",\"bytes_to_guest\":%" PRIu64 ",\"bytes_from_guest\":%" PRIu64
	    ",\"events\":%" PRIu64 ",\"events_from_guest\":%" PRIu64 ",\"events_to_guest\":%" PRIu64
	    ",\"drops\":0,\"errors\":%" PRIu64 ",\"storms\":%" PRIu64
	    ",\"client_connected\":%s,\"pty_clients\":%s"
	    ",\"ring_out_pending\":%ld,\"ring_in_free\":%ld}",
	    c->domid, c->devid, name, c->kind == EP_SOCKET ? "socket" : "pty", path,
	    fsm_state_name(c->st), c->bytes_to_guest, c->bytes_from_guest, c->events, c->events,
	    c->notifies, c->errors, c->storms, client_state(c), ptyc,
	    c->page ? ring_readable(&c->ring) : -1L, c->page ? ring_writable(&c->ring) : -1L);
	return n < 0 ? 0 : (size_t)n;
}

static void add_line(struct chan *c, void *arg)
{
	struct linesrv_conn *cl = arg;
	char line[2048];
	size_t n = control_format(c, line, sizeof(line));
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	linesrv_write(cl, line, n);
}

static void request(struct linesrv_conn *cl, char *req, void *arg)
{
	struct xcd *d = arg;
	if (strcmp(req, "stats") == 0)
		chan_foreach(d, add_line, cl);
	else
		linesrv_printf(cl, "error unknown request '%.32s'\n", req);
	linesrv_done(cl);
}

int control_path(const struct xcd_opts *o, char *path, size_t len, char *err, size_t errlen)
{
	int n;
	if (o->control_path) {
		n = snprintf(path, len, "%s", o->control_path);
	} else {
		const char *run = getenv("XENSIM_RUN_DIR");
		n = snprintf(path, len, "%s/xenchanneld/control.sock", run && *run ? run : "/run");
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "control socket path too long (at most %zu bytes)", len - 1);
		return -1;
	}
	return 0;
}

int control_open(struct xcd *d, char *err, size_t errlen)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	if (control_path(&d->opt, path, sizeof(path), err, errlen) < 0)
		return -1;
	if (!d->opt.control_path) {
		/* our own directory: create it */
		char *slash = strrchr(path, '/');
		*slash = '\0';
		int r = mkdir(path, 0755);
		if (r < 0 && errno != EEXIST) {
			snprintf(err, errlen, "creating %s: %s", path, strerror(errno));
			return -1;
		}
		*slash = '/';
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
	d->control = linesrv_new(d->loop, fd, REQ_MAX, 0, request, d);
	if (!d->control) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	d->control_path = strdup(path);
	d->control_dev = dev;
	d->control_ino = ino;
	return 0;
}

void control_close(struct xcd *d)
{
	if (!d->control)
		return;
	linesrv_free(d->control);
	d->control = NULL;
	if (d->control_path)
		eps_unlink(d->control_path, d->control_dev, d->control_ino);
	free(d->control_path);
	d->control_path = NULL;
}
