/*
 * fuzz-xenstored - bytes as the stream of one client (dom0 or a domain),
 * with a second client watching "/", into a fresh in-process store; the
 * tree must stay consistent whatever arrives.
 *
 * Input: byte 0 picks the client (even: the privileged socket, odd: domain
 * 1) and byte 1 the chunk size the stream is cut into; the rest is the stream.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xsd.h"

static void drain(int fd)
{
	/* static: ASan clears the shadow of a large stack buffer on every
	 * return; a short read means the socket is empty */
	static char buf[65536];
	while (read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		;
}

static void put_msg(struct conn *c, uint32_t type, const char *body, uint32_t len)
{
	unsigned char m[XSD_HDR_SIZE + 64];
	struct xsd_hdr h = {type, 0, 0, len};
	wire_put_hdr(m, &h);
	memcpy(m + XSD_HDR_SIZE, body, len);
	conn_feed(c, m, XSD_HDR_SIZE + len);
}

/* A connection of x on a duplicate of fd (the store closes it when done). */
static struct conn *conn_on(struct xsd *x, int fd, struct domain *d)
{
	int dfd = dup(fd);
	struct conn *c = dfd < 0 ? NULL : conn_new(x, dfd, d);
	if (!c)
		abort();
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The event loop (never run: xsd_free leaves it with no descriptor
	 * and no timer) and the socket pairs outlive the inputs: each input's
	 * connections get duplicates of our ends, and the replies are drained
	 * before the next one. The store has no run directory, so no socket
	 * is bound: sockets and directories were most of the time of an input. */
	static struct loop *l;
	static int a[2], b[2];
	if (size < 2)
		return 0;
	if (!l) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a) < 0 ||
		    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b) < 0 || !(l = loop_new()))
			abort();
		log_set_level(LOG_LVL_ERR);
	}
	char err[256];
	struct xsd *x = xsd_new(l, NULL, err, sizeof(err));
	if (!x) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	struct conn *watcher = conn_on(x, b[0], NULL);
	put_msg(watcher, XSD_WATCH, "/\0all", 6);
	put_msg(watcher, XSD_WATCH, "@releaseDomain\0rel", 19);
	struct domain *d = NULL;
	if (data[0] & 1) {
		domain_introduce(x, 1, 1);
		d = domain_get(x, 1);
	}
	struct conn *c = conn_on(x, a[0], d);
	size_t chunk = data[1] ? data[1] : 4096;
	data += 2;
	size_t left = size - 2;
	bool unread = true; /* the replies to the watches */
	while (left && !c->dead) {
		size_t n = left < chunk ? left : chunk, had = c->in_len;
		/* (a closed watcher stays allocated until xsd_free) */
		bool queued = c->oq_head || watcher->oq_head;
		conn_feed(c, data, n);
		data += n;
		left -= n;
		/* Nothing is sent but replies to whole requests and what was
		 * queued: drain after a chunk that completed a request or met a
		 * queue, as before, but not after every byte of a request. */
		if (c->dead || queued || c->in_len != had + n) {
			drain(a[1]);
			drain(b[1]);
			unread = false;
		}
	}
	if (!store_check(&x->st))
		abort();
	xsd_free(x); /* closes both duplicates, sends nothing */
	if (unread) {
		drain(a[1]);
		drain(b[1]);
	}
	return 0;
}
