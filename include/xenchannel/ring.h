/*
 * ring.h - the Xen PV console ring (struct xencons_interface), both roles.
 *
 * The only code in xenchannel that touches the shared page. The page layout is
 * <xen/io/console.h>: in[1024] (to the guest), out[2048] (from the guest), then
 * in_cons, in_prod, out_cons, out_prod as free-running uint32 counters, masked
 * with (size - 1) on every access; wrap-around at 2^32 is normal operation.
 * The page must be at least 4-byte aligned (a mapped page always is).
 *
 * Zero-copy API: ring_peek_read()/ring_peek_write() describe the readable bytes
 * or the free space as up to two iovecs pointing INTO ring memory (two when the
 * region wraps past the end of the array), so a caller can readv()/writev()
 * directly; ring_commit_*() then publishes how many bytes really moved. Each
 * peek copies the shared indices exactly once into the span; commit publishes
 * span.idx + n and never re-reads the page. Peeking has no side effect; a span
 * that is never committed costs nothing.
 *
 * Barriers are those of Xen's reference implementations: after a peek, data
 * reads/writes through the span are ordered after the index reads; a read
 * commit orders the data reads before the new cons, a write commit orders the
 * data writes before the new prod.
 *
 * The peer is untrusted: when prod - cons exceeds the ring size (whichever
 * index is bad, ours included, since both live in shared memory), peek returns
 * RING_CORRUPT, leaves the span empty and touches no ring memory; the caller
 * decides to disconnect. The other direction of the page is unaffected.
 *
 * Notification is the caller's business (no I/O here): kick the peer's event
 * channel after a commit batch that moved bytes; a side may sleep only after
 * it found nothing to do, and must re-check the ring after each wakeup. Events
 * may be spurious.
 */
#ifndef XENCHANNEL_RING_H
#define XENCHANNEL_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define RING_IN_SIZE 1024u  /* backend -> guest */
#define RING_OUT_SIZE 2048u /* guest -> backend */
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

/* Bytes the peer produced for us. Returns RING_OK or RING_CORRUPT (span empty). */
int ring_peek_read(const struct ring *r, struct ring_span *s);
/* Mark n <= s->len bytes consumed (publishes our cons = s->idx + n; n == 0
 * publishes nothing). RING_OK, or RING_BADARG (nothing published). */
int ring_commit_read(struct ring *r, const struct ring_span *s, size_t n);

/* Free space we may produce into. Returns RING_OK or RING_CORRUPT (span empty). */
int ring_peek_write(const struct ring *r, struct ring_span *s);
/* Publish n <= s->len bytes written into the start of the span (publishes our
 * prod = s->idx + n; n == 0 publishes nothing). RING_OK or RING_BADARG. */
int ring_commit_write(struct ring *r, const struct ring_span *s, size_t n);

/* Convenience copies built on the calls above (used by tests and tools).
 * Move min(len, available) bytes; return bytes moved (>= 0, 0 when empty or
 * full) or a negative ring_status. */
long ring_read(struct ring *r, void *buf, size_t len);
long ring_write(struct ring *r, const void *buf, size_t len);

/* Fill levels without consuming: readable bytes for us, free bytes for us,
 * or RING_CORRUPT. */
long ring_readable(const struct ring *r);
long ring_writable(const struct ring *r);

const char *ring_strerror(int status);

#endif
