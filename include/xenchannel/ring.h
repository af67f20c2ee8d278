/*
 * ring.h - the Xen PV console ring (struct xencons_interface), both roles.
 *
 * The only code in xenchannel that touches the shared page. The page layout is
 * <xen/io/console.h>: in[1024] (to the guest), out[2048] (from the guest), then
 * in_cons, in_prod, out_cons, out_prod as free-running uint32 counters.
 *
 * Zero-copy API: ring_peek_read()/ring_peek_write() describe the readable bytes
 * or the free space as up to two iovecs pointing INTO ring memory, so a caller
 * can readv()/writev() directly; ring_commit_*() then publishes how many bytes
 * really moved. Each peek copies the shared indices exactly once into the span;
 * commit uses that copy, never re-reads the peer's index.
 *
 * The peer is untrusted: when prod - cons exceeds the ring size, peek returns
 * RING_CORRUPT and touches nothing; the caller decides to disconnect.
 */
#ifndef XENCHANNEL_RING_H
#define XENCHANNEL_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define RING_IN_SIZE 1024u   /* backend -> guest */
#define RING_OUT_SIZE 2048u  /* guest -> backend */
#define RING_PAGE_SIZE 4096u

/* Offsets of the fields in the page, as <xen/io/console.h> lays them out. */
#define RING_OFF_IN 0u
#define RING_OFF_OUT 1024u
#define RING_OFF_IN_CONS 3072u
#define RING_OFF_IN_PROD 3076u
#define RING_OFF_OUT_CONS 3080u
#define RING_OFF_OUT_PROD 3084u

enum ring_role {
	RING_BACKEND,  /* consumes out, produces in (dom0 side) */
	RING_FRONTEND, /* consumes in, produces out (guest side) */
};

enum ring_status {
	RING_OK = 0,
	RING_CORRUPT = -1, /* peer published prod - cons > ring size */
	RING_BADARG = -2,  /* commit of more bytes than the span held */
};

struct ring {
	unsigned char *page; /* the shared 4096-byte page */
	enum ring_role role;
};

/* A snapshot of readable data or free space, as iovecs into ring memory. */
struct ring_span {
	struct iovec iov[2];
	int iovcnt;   /* 0, 1 or 2 */
	size_t len;   /* total bytes described */
	uint32_t idx; /* our own index (cons for reads, prod for writes) at peek time */
};

void ring_init(struct ring *r, void *page, enum ring_role role);

/* Bytes the peer produced for us. Returns RING_OK or RING_CORRUPT. */
int ring_peek_read(const struct ring *r, struct ring_span *s);
/* Mark n <= s->len bytes consumed (publishes our cons). RING_OK or RING_BADARG. */
int ring_commit_read(struct ring *r, const struct ring_span *s, size_t n);

/* Free space we may produce into. Returns RING_OK or RING_CORRUPT. */
int ring_peek_write(const struct ring *r, struct ring_span *s);
/* Publish n <= s->len bytes written into the span (publishes our prod). */
int ring_commit_write(struct ring *r, const struct ring_span *s, size_t n);

/* Convenience copies built on the calls above (used by tests and tools).
 * Return bytes moved (>= 0) or a negative ring_status. */
long ring_read(struct ring *r, void *buf, size_t len);
long ring_write(struct ring *r, const void *buf, size_t len);

/* Fill levels without consuming: readable bytes for us, free bytes for us,
 * or RING_CORRUPT. */
long ring_readable(const struct ring *r);
long ring_writable(const struct ring *r);

const char *ring_strerror(int status);

#endif
