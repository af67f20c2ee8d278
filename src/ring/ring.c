/*
 * ring.c - the Xen PV console ring (struct xencons_interface), both roles.
 *
 * One implementation serves both ends: a role only selects which of the two
 * byte arrays we consume and which we produce. The backend consumes `out`
 * (written by the guest) and produces `in`; the frontend does the reverse.
 *
 * Indices are free-running uint32 counters (spec section 1.2): the fill level
 * is prod - cons in unsigned 32-bit arithmetic, which stays correct across the
 * 2^32 wrap because both ring sizes divide 2^32. Every access to ring memory
 * masks the counter with (size - 1).
 *
 * The peer is untrusted (spec section 1.4). Each shared index is loaded once
 * into a local per decision; the span carries that copy, and commit publishes
 * span.idx + n without looking at the page again. If prod - cons exceeds the
 * ring size, the peek reports RING_CORRUPT before any data byte is touched.
 *
 * Memory ordering follows spec section 1.3 (the pattern of Linux hvc_xen,
 * xenconsoled and QEMU) with C11 atomics: the index fields are accessed with
 * relaxed atomic loads/stores (a single, untorn 32-bit access each), and the
 * ordering between indices and data comes from explicit fences at the places
 * the spec puts mb()/wmb().
 */
#include <stdatomic.h>
#include <string.h>

#include "xenchannel/ring.h"

#ifdef XC_HAVE_XEN_CONSOLE_H
#include <xen/io/console.h>

/* Our offsets and sizes must be exactly Xen's (compiled only when
 * <xen/io/console.h> is installed, i.e. with libxen-dev). */
#define XENCONS_FIELD_SIZE(f) sizeof(((struct xencons_interface *)0)->f)
_Static_assert(offsetof(struct xencons_interface, in) == RING_OFF_IN, "in offset");
_Static_assert(offsetof(struct xencons_interface, out) == RING_OFF_OUT, "out offset");
_Static_assert(offsetof(struct xencons_interface, in_cons) == RING_OFF_IN_CONS, "in_cons offset");
_Static_assert(offsetof(struct xencons_interface, in_prod) == RING_OFF_IN_PROD, "in_prod offset");
_Static_assert(offsetof(struct xencons_interface, out_cons) == RING_OFF_OUT_CONS,
               "out_cons offset");
_Static_assert(offsetof(struct xencons_interface, out_prod) == RING_OFF_OUT_PROD,
               "out_prod offset");
_Static_assert(XENCONS_FIELD_SIZE(in) == RING_IN_SIZE, "in size");
_Static_assert(XENCONS_FIELD_SIZE(out) == RING_OUT_SIZE, "out size");
_Static_assert(XENCONS_FIELD_SIZE(in_cons) == sizeof(uint32_t), "in_cons size");
_Static_assert(XENCONS_FIELD_SIZE(in_prod) == sizeof(uint32_t), "in_prod size");
_Static_assert(XENCONS_FIELD_SIZE(out_cons) == sizeof(uint32_t), "out_cons size");
_Static_assert(XENCONS_FIELD_SIZE(out_prod) == sizeof(uint32_t), "out_prod size");
_Static_assert(sizeof(struct xencons_interface) == RING_OFF_OUT_PROD + sizeof(uint32_t),
               "xencons_interface size");
_Static_assert(sizeof(struct xencons_interface) <= RING_PAGE_SIZE, "fits in a page");
#endif

/* Layout facts we rely on whether or not the Xen header is present. */
_Static_assert(RING_OFF_OUT == RING_OFF_IN + RING_IN_SIZE, "out follows in");
_Static_assert(RING_OFF_IN_CONS == RING_OFF_OUT + RING_OUT_SIZE, "indices follow out");
_Static_assert((RING_IN_SIZE & (RING_IN_SIZE - 1)) == 0, "in size is a power of two");
_Static_assert((RING_OUT_SIZE & (RING_OUT_SIZE - 1)) == 0, "out size is a power of two");
_Static_assert(RING_OFF_IN_CONS % 4 == 0 && RING_OFF_OUT_CONS % 4 == 0, "indices aligned");
/* The index fields are plain uint32 in the page; we access them as C11
 * atomics, which must therefore have the same size and be lock-free. */
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "atomic uint32 is 4 bytes");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics are lock-free");

/* One direction of the page as seen by one role. */
struct ring_dir {
	unsigned char *data;
	uint32_t size;
	_Atomic uint32_t *cons;
	_Atomic uint32_t *prod;
};

static _Atomic uint32_t *ring_index(unsigned char *page, unsigned off)
{
	return (_Atomic uint32_t *)(void *)(page + off);
}

/* The array we consume: `out` for the backend, `in` for the frontend. */
static struct ring_dir ring_rx(const struct ring *r)
{
	struct ring_dir d;

	if (r->role == RING_BACKEND) {
		d.data = r->page + RING_OFF_OUT;
		d.size = RING_OUT_SIZE;
		d.cons = ring_index(r->page, RING_OFF_OUT_CONS);
		d.prod = ring_index(r->page, RING_OFF_OUT_PROD);
	} else {
		d.data = r->page + RING_OFF_IN;
		d.size = RING_IN_SIZE;
		d.cons = ring_index(r->page, RING_OFF_IN_CONS);
		d.prod = ring_index(r->page, RING_OFF_IN_PROD);
	}
	return d;
}

/* The array we produce: `in` for the backend, `out` for the frontend. */
static struct ring_dir ring_tx(const struct ring *r)
{
	struct ring_dir d;

	if (r->role == RING_BACKEND) {
		d.data = r->page + RING_OFF_IN;
		d.size = RING_IN_SIZE;
		d.cons = ring_index(r->page, RING_OFF_IN_CONS);
		d.prod = ring_index(r->page, RING_OFF_IN_PROD);
	} else {
		d.data = r->page + RING_OFF_OUT;
		d.size = RING_OUT_SIZE;
		d.cons = ring_index(r->page, RING_OFF_OUT_CONS);
		d.prod = ring_index(r->page, RING_OFF_OUT_PROD);
	}
	return d;
}

static void span_empty(struct ring_span *s, uint32_t idx)
{
	s->iov[0].iov_base = NULL;
	s->iov[0].iov_len = 0;
	s->iov[1].iov_base = NULL;
	s->iov[1].iov_len = 0;
	s->iovcnt = 0;
	s->len = 0;
	s->idx = idx;
}

/* Describe `len` bytes of ring `d` starting at free-running index `idx` as at
 * most two iovecs: from the masked position to the end of the array, then the
 * remainder from the start. Requires len <= d->size. */
static void span_fill(struct ring_span *s, const struct ring_dir *d, uint32_t idx, uint32_t len)
{
	uint32_t off = idx & (d->size - 1);
	uint32_t first = d->size - off;

	span_empty(s, idx);
	if (len == 0)
		return;
	if (first > len)
		first = len;
	s->iov[0].iov_base = d->data + off;
	s->iov[0].iov_len = first;
	s->iovcnt = 1;
	if (len > first) {
		s->iov[1].iov_base = d->data;
		s->iov[1].iov_len = len - first;
		s->iovcnt = 2;
	}
	s->len = len;
}

void ring_init(struct ring *r, void *page, enum ring_role role)
{
	r->page = page;
	r->role = role;
}

int ring_peek_read(const struct ring *r, struct ring_span *s)
{
	struct ring_dir d = ring_rx(r);
	uint32_t cons, prod, used;

	/* Consumer step 1: read each index once into a local. cons is ours,
	 * but it lives in the shared page, so it is loaded once as well. */
	cons = atomic_load_explicit(d.cons, memory_order_relaxed);
	prod = atomic_load_explicit(d.prod, memory_order_relaxed);
	/* Consumer step 2 (mb): the indices are read before any data byte the
	 * caller will read through the span, so we never see data older than
	 * the prod that announced it. */
	atomic_thread_fence(memory_order_seq_cst);
	/* Consumer step 3: validate before describing any memory. */
	used = prod - cons;
	if (used > d.size) {
		span_empty(s, cons);
		return RING_CORRUPT;
	}
	span_fill(s, &d, cons, used);
	return RING_OK;
}

int ring_commit_read(struct ring *r, const struct ring_span *s, size_t n)
{
	struct ring_dir d = ring_rx(r);

	if (n > s->len)
		return RING_BADARG;
	if (n == 0)
		return RING_OK; /* nothing consumed, nothing to publish */
	/* Consumer step 4 (mb): every read of the consumed bytes completes
	 * before the peer can see the space as free and overwrite it. */
	atomic_thread_fence(memory_order_seq_cst);
	/* Consumer step 5: publish our cons from the peek's copy. */
	atomic_store_explicit(d.cons, s->idx + (uint32_t)n, memory_order_relaxed);
	return RING_OK;
}

int ring_peek_write(const struct ring *r, struct ring_span *s)
{
	struct ring_dir d = ring_tx(r);
	uint32_t cons, prod, used;

	/* Producer step 1: read the peer's cons and our prod once each. */
	cons = atomic_load_explicit(d.cons, memory_order_relaxed);
	prod = atomic_load_explicit(d.prod, memory_order_relaxed);
	/* (mb): the peer's reads of the bytes it freed are complete before we
	 * write new bytes into that space. */
	atomic_thread_fence(memory_order_seq_cst);
	used = prod - cons;
	if (used > d.size) {
		span_empty(s, prod);
		return RING_CORRUPT;
	}
	span_fill(s, &d, prod, d.size - used);
	return RING_OK;
}

int ring_commit_write(struct ring *r, const struct ring_span *s, size_t n)
{
	struct ring_dir d = ring_tx(r);

	if (n > s->len)
		return RING_BADARG;
	if (n == 0)
		return RING_OK; /* nothing produced, nothing to publish */
	/* Producer step 4 (wmb): the data bytes are visible before the index
	 * that announces them. A release fence orders all prior writes before
	 * the following store, which is exactly wmb for this purpose. */
	atomic_thread_fence(memory_order_release);
	/* Producer step 5: publish our prod from the peek's copy. */
	atomic_store_explicit(d.prod, s->idx + (uint32_t)n, memory_order_relaxed);
	return RING_OK;
}

long ring_read(struct ring *r, void *buf, size_t len)
{
	struct ring_span s;
	unsigned char *p = buf;
	size_t done = 0;
	int rc;

	rc = ring_peek_read(r, &s);
	if (rc != RING_OK)
		return rc;
	for (int i = 0; i < s.iovcnt && done < len; i++) {
		size_t n = s.iov[i].iov_len;

		if (n > len - done)
			n = len - done;
		memcpy(p + done, s.iov[i].iov_base, n);
		done += n;
	}
	rc = ring_commit_read(r, &s, done);
	return rc != RING_OK ? rc : (long)done;
}

long ring_write(struct ring *r, const void *buf, size_t len)
{
	struct ring_span s;
	const unsigned char *p = buf;
	size_t done = 0;
	int rc;

	rc = ring_peek_write(r, &s);
	if (rc != RING_OK)
		return rc;
	for (int i = 0; i < s.iovcnt && done < len; i++) {
		size_t n = s.iov[i].iov_len;

		if (n > len - done)
			n = len - done;
		memcpy(s.iov[i].iov_base, p + done, n);
		done += n;
	}
	rc = ring_commit_write(r, &s, done);
	return rc != RING_OK ? rc : (long)done;
}

long ring_readable(const struct ring *r)
{
	struct ring_span s;
	int rc = ring_peek_read(r, &s);

	return rc != RING_OK ? rc : (long)s.len;
}

long ring_writable(const struct ring *r)
{
	struct ring_span s;
	int rc = ring_peek_write(r, &s);

	return rc != RING_OK ? rc : (long)s.len;
}

const char *ring_strerror(int status)
{
	switch (status) {
	case RING_OK:
		return "success";
	case RING_CORRUPT:
		return "ring indices corrupt: peer published prod - cons > ring size";
	case RING_BADARG:
		return "commit of more bytes than the peeked span holds";
	default:
		return "unknown ring status";
	}
}
