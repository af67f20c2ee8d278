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
	/* The watches are set directly: their replies and first events (four
	 * messages sent and drained per input) tell nothing about the stream. */
	struct conn *watcher = conn_on(x, b[0], NULL);
	if (watch_add(watcher, "/", 1, false, "all") ||
	    watch_add(watcher, "@releaseDomain", 14, false, "rel"))
		abort();
	struct domain *d = NULL;
	if (data[0] & 1) {
		domain_introduce(x, 1, 1);
		d = domain_get(x, 1);
	}
	struct conn *c = conn_on(x, a[0], d);
	size_t chunk = data[1] ? data[1] : 4096;
	data += 2;
	size_t left = size - 2;
	while (left && !c->dead) {
		size_t n = left < chunk ? left : chunk, had = c->in_len;
		/* (a closed watcher stays allocated until xsd_free) */
		bool queued = c->oq_head || watcher->oq_head;
		conn_feed(c, data, n);
		data += n;
		left -= n;
		/* Nothing is sent but replies to whole requests, their events and
		 * what was queued (the setup sends nothing): drain after a chunk
		 * that completed a request or met a queue, so the next input
		 * starts with empty sockets, but not after every byte. */
		if (c->dead || queued || c->in_len != had + n) {
			drain(a[1]);
			drain(b[1]);
		}
	}
	if (!store_check(&x->st))
		abort();
	xsd_free(x); /* closes both duplicates, sends nothing */
	return 0;
}
