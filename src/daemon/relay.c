/*
 * relay.c - one budgeted pass moving bytes between a ring and a stream fd.
 *
 * The ring is the buffer: writev() takes its iovecs straight from the `out`
 * ring and only the bytes the fd accepted are consumed; readv() fills only
 * the free space of the `in` ring. Nothing is copied and nothing is queued
 * here, so a stalled peer on either side simply stops the other one.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* guest -> fd */
static void drain_out(struct ring *r, int fd, size_t budget, struct relay_result *res)
{
	for (unsigned i = 0; i < RELAY_ITERS; i++) {
		struct ring_span sp;
		if (ring_peek_read(r, &sp) != RING_OK) {
			res->corrupt = 1;
			return;
		}
		if (sp.len == 0)
			return;
		if (res->from_guest >= budget) {
			res->more = 1;
			return;
		}
		ssize_t n = writev(fd, sp.iov, sp.iovcnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				res->want_write = 1;
				return;
			}
			res->client_gone = 1;
			res->err = errno;
			return;
		}
		/* Killed right here, the next instance sends these n bytes again;
		 * committing before the write would lose them (xenchanneld(8)). */
		ring_commit_read(r, &sp, (size_t)n);
		res->from_guest += (size_t)n;
		if ((size_t)n < sp.len) {
			res->want_write = 1;
			return;
		}
	}
	res->more = 1;
}

/* fd -> guest */
static void fill_in(struct ring *r, int fd, size_t budget, struct relay_result *res)
{
	for (unsigned i = 0; i < RELAY_ITERS; i++) {
		struct ring_span sp;
		if (ring_peek_write(r, &sp) != RING_OK) {
			res->corrupt = 1;
			return;
		}
		if (sp.len == 0)
			return; /* ring full: the guest's next read event resumes us */
		if (res->to_guest >= budget) {
			res->more = 1;
			return;
		}
		ssize_t n = readv(fd, sp.iov, sp.iovcnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				res->want_read = 1;
				return;
			}
			res->client_gone = 1;
			res->err = errno;
			return;
		}
		if (n == 0) {
			res->client_gone = 1;
			return;
		}
		ring_commit_write(r, &sp, (size_t)n);
		res->to_guest += (size_t)n;
		if ((size_t)n < sp.len) {
			res->want_read = 1;
			return;
		}
	}
	res->more = 1;
}

void relay_pass(struct ring *r, int fd, size_t budget, struct relay_result *res)
{
	memset(res, 0, sizeof(*res));
	if (fd < 0) {
		/* No client: leave the guest's bytes in the ring, but still
		 * notice a corrupt ring now rather than when a client comes. */
		if (ring_readable(r) < 0 || ring_writable(r) < 0)
			res->corrupt = 1;
		return;
	}
	drain_out(r, fd, budget, res);
	if (res->corrupt || res->client_gone)
		return;
	fill_in(r, fd, budget, res);
}
