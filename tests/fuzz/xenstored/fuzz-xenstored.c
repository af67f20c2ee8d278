/*
 * fuzz-xenstored - bytes as the stream of one client (dom0 or a domain),
 * with a second client watching "/", into a fresh in-process store; the
 * tree must stay consistent whatever arrives.
 *
 * Input: byte 0 picks the client (even: the privileged socket, odd: domain
 * 1) and byte 1 the chunk size the stream is cut into; the rest is the stream.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xsd.h"

static char dir[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void cleanup(void)
{
	/* sockets are gone with each store; the directories of introduced
	 * domains stay until here */
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void drain(int fd)
{
	char buf[65536];
	while (read(fd, buf, sizeof(buf)) > 0)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (!dir[0]) {
		/* tmpfs when there is one: every input binds and removes sockets */
		snprintf(dir, sizeof(dir), "%s/fuzz-xenstored.XXXXXX",
		         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		log_set_level(LOG_LVL_ERR);
	}
	char err[256];
	struct loop *l = loop_new();
	struct xsd *x = xsd_new(l, dir, err, sizeof(err));
	if (!x) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	int a[2], b[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b) < 0)
		abort();
	struct conn *watcher = conn_new(x, b[0], NULL);
	put_msg(watcher, XSD_WATCH, "/\0all", 6);
	put_msg(watcher, XSD_WATCH, "@releaseDomain\0rel", 19);
	struct domain *d = NULL;
	if (data[0] & 1) {
		domain_introduce(x, 1, 1);
		d = domain_get(x, 1);
	}
	struct conn *c = conn_new(x, a[0], d);
	size_t chunk = data[1] ? data[1] : 4096;
	data += 2;
	size_t left = size - 2;
	while (left && !c->dead) {
		size_t n = left < chunk ? left : chunk;
		conn_feed(c, data, n);
		data += n;
		left -= n;
		drain(a[1]);
		drain(b[1]);
	}
	if (!store_check(&x->st))
		abort();
	xsd_free(x); /* closes a[0], b[0] */
	loop_free(l);
	close(a[1]);
	close(b[1]);
	return 0;
}
