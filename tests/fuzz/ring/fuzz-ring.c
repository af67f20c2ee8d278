/*
 * fuzz-ring.c - libFuzzer target for the console ring.
 *
 * The input is a program: arbitrary index values written straight into the
 * page (a hostile or buggy peer, or a peer scribbling over our own index),
 * arbitrary data bytes, and peeks, commits (including stale spans and
 * oversized counts) and copying reads/writes from either role. After every
 * operation the target checks, against a plain model computed from the page:
 *   - the result is RING_CORRUPT exactly when prod - cons > ring size, and then
 *     the page is unchanged and the span empty;
 *   - a span never describes more than the ring, and every iovec lies inside
 *     the right data array, starting at the masked index;
 *   - a commit of more than the span is RING_BADARG and changes nothing;
 *   - an operation changes only the bytes its role owns: its own index (to
 *     exactly the expected value) and, for writes, the free space it filled;
 *   - copied data equals the ring bytes at the masked positions.
 * The page is an exact 4096-byte heap block, so ASan catches any access
 * outside it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel/ring.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-ring: %s:%d: invariant failed: %s\n", __FILE__,      \
			        __LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t get8(struct input *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

/* A commit count 0..4095: around and beyond the ring sizes. */
static size_t get_count(struct input *in)
{
	size_t hi = get8(in);

	return hi << 4 | (get8(in) & 15);
}

/* A copy length 0..8191. */
static size_t get_len(struct input *in)
{
	size_t hi = get8(in);

	return (hi << 8 | get8(in)) % 8192;
}

static uint32_t get32(struct input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | get8(in);
	return v;
}

/* The model of one direction as a role sees it. */
struct dir {
	unsigned data, size, cons, prod;
};

static struct dir rx_dir(enum ring_role role)
{
	if (role == RING_BACKEND)
		return (struct dir){RING_OFF_OUT, RING_OUT_SIZE, RING_OFF_OUT_CONS,
		                    RING_OFF_OUT_PROD};
	return (struct dir){RING_OFF_IN, RING_IN_SIZE, RING_OFF_IN_CONS, RING_OFF_IN_PROD};
}

static struct dir tx_dir(enum ring_role role)
{
	return rx_dir(role == RING_BACKEND ? RING_FRONTEND : RING_BACKEND);
}

static uint32_t idx_at(const unsigned char *page, unsigned off)
{
	uint32_t v;

	memcpy(&v, page + off, 4);
	return v;
}

/* The page differs from `before` only in the index at `own`, which must now
 * equal `want`, and in the data bytes of [wfrom, wfrom + wlen) of ring d. */
static void check_changes(const unsigned char *before, const unsigned char *page,
                          const struct dir *d, unsigned own, uint32_t want, uint32_t wfrom,
                          uint32_t wlen)
{
	static unsigned char expect[RING_PAGE_SIZE];

	memcpy(expect, before, RING_PAGE_SIZE);
	memcpy(expect + own, &want, 4);
	for (uint32_t i = 0; i < wlen; i++) {
		unsigned pos = d->data + ((wfrom + i) & (d->size - 1));

		expect[pos] = page[pos];
	}
	CHECK(memcmp(expect, page, RING_PAGE_SIZE) == 0);
}

static void check_span(const unsigned char *page, const struct dir *d, const struct ring_span *s,
                       uint32_t idx, uint32_t len)
{
	const unsigned char *data = page + d->data;
	size_t sum = 0;

	CHECK(s->len == len);
	CHECK(s->len <= d->size);
	CHECK(s->idx == idx);
	CHECK(s->iovcnt >= 0 && s->iovcnt <= 2);
	CHECK((s->iovcnt == 0) == (len == 0));
	for (int i = 0; i < s->iovcnt; i++) {
		const unsigned char *b = s->iov[i].iov_base;

		CHECK(s->iov[i].iov_len > 0);
		CHECK(b >= data && b + s->iov[i].iov_len <= data + d->size);
		sum += s->iov[i].iov_len;
	}
	CHECK(sum == len);
	if (s->iovcnt >= 1)
		CHECK((const unsigned char *)s->iov[0].iov_base == data + (idx & (d->size - 1)));
	if (s->iovcnt == 2) {
		CHECK((const unsigned char *)s->iov[0].iov_base + s->iov[0].iov_len ==
		      data + d->size);
		CHECK(s->iov[1].iov_base == data);
	}
}

static void check_corrupt_span(const struct ring_span *s)
{
	CHECK(s->iovcnt == 0 && s->len == 0);
}

static unsigned char buf[8192 + 1], before[RING_PAGE_SIZE];
static const unsigned idx_off[4] = {RING_OFF_IN_CONS, RING_OFF_IN_PROD, RING_OFF_OUT_CONS,
                                    RING_OFF_OUT_PROD};

/* The state a program runs against. */
struct fuzz {
	struct input in;
	unsigned char *page;
	struct ring rings[2];
	struct ring_span last[2][2]; /* [role][0 read, 1 write] from the last peek */
	int have_last[2][2];
};

/* One operation: its code, and the role (0 backend, 1 frontend) doing it. */
struct op {
	uint8_t code;
	int r;
	struct ring *ring;
	struct dir rd, wd; /* the directions it reads and writes */
};

/* someone writes an arbitrary index value */
static void op_poke(struct fuzz *f)
{
	uint32_t v = get32(&f->in);

	memcpy(f->page + idx_off[get8(&f->in) & 3], &v, 4);
}

/* peer nudges an index by a small amount (near-boundary cases) */
static void op_nudge(struct fuzz *f)
{
	unsigned off = idx_off[get8(&f->in) & 3];
	uint32_t v = idx_at(f->page, off) + (uint32_t)(int8_t)get8(&f->in);

	memcpy(f->page + off, &v, 4);
}

/* peek read, maybe commit */
static void op_peek_read(struct fuzz *f, const struct op *o)
{
	unsigned char *page = f->page;
	const struct dir *rd = &o->rd;
	uint32_t cons = idx_at(page, rd->cons), prod = idx_at(page, rd->prod);
	uint32_t used = prod - cons;
	struct ring_span s;
	int rc = ring_peek_read(o->ring, &s);

	CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
	if (used > rd->size) {
		CHECK(rc == RING_CORRUPT);
		check_corrupt_span(&s);
		return;
	}
	CHECK(rc == RING_OK);
	check_span(page, rd, &s, cons, used);
	f->last[o->r][0] = s;
	f->have_last[o->r][0] = 1;
	size_t n = get_count(&f->in);
	rc = ring_commit_read(o->ring, &s, n);
	if (n > s.len) {
		CHECK(rc == RING_BADARG);
		CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
	} else {
		CHECK(rc == RING_OK);
		check_changes(before, page, rd, rd->cons, n ? cons + (uint32_t)n : cons, 0, 0);
	}
}

/* peek write, fill some of the span, maybe commit */
static void op_peek_write(struct fuzz *f, const struct op *o)
{
	unsigned char *page = f->page;
	const struct dir *wd = &o->wd;
	uint32_t cons = idx_at(page, wd->cons), prod = idx_at(page, wd->prod);
	uint32_t used = prod - cons;
	struct ring_span s;
	int rc = ring_peek_write(o->ring, &s);

	CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
	if (used > wd->size) {
		CHECK(rc == RING_CORRUPT);
		check_corrupt_span(&s);
		return;
	}
	CHECK(rc == RING_OK);
	check_span(page, wd, &s, prod, wd->size - used);
	f->last[o->r][1] = s;
	f->have_last[o->r][1] = 1;
	size_t n = get_count(&f->in);
	size_t fill = n < s.len ? n : s.len, done = 0;

	for (int i = 0; i < s.iovcnt && done < fill; i++) {
		size_t m = s.iov[i].iov_len < fill - done ? s.iov[i].iov_len : fill - done;

		memset(s.iov[i].iov_base, o->code, m);
		done += m;
	}
	memcpy(before, page, RING_PAGE_SIZE);
	rc = ring_commit_write(o->ring, &s, n);
	if (n > s.len) {
		CHECK(rc == RING_BADARG);
		CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
	} else {
		CHECK(rc == RING_OK);
		check_changes(before, page, wd, wd->prod, n ? prod + (uint32_t)n : prod, 0, 0);
	}
}

/* ring_read of up to 8 KiB */
static void op_read(struct fuzz *f, const struct op *o)
{
	unsigned char *page = f->page;
	const struct dir *rd = &o->rd;
	uint32_t cons = idx_at(page, rd->cons), prod = idx_at(page, rd->prod);
	uint32_t used = prod - cons;
	size_t n = get_len(&f->in);

	memset(buf, 0xEE, n + 1);
	long got = ring_read(o->ring, buf, n);
	if (used > rd->size) {
		CHECK(got == RING_CORRUPT);
		CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
		CHECK(buf[0] == 0xEE);
		return;
	}
	CHECK(got == (long)(n < used ? n : used));
	for (long i = 0; i < got; i++)
		CHECK(buf[i] == page[rd->data + ((cons + (uint32_t)i) & (rd->size - 1))]);
	CHECK(buf[got] == 0xEE);
	check_changes(before, page, rd, rd->cons, cons + (uint32_t)got, 0, 0);
}

/* ring_write of up to 8 KiB */
static void op_write(struct fuzz *f, const struct op *o)
{
	unsigned char *page = f->page;
	const struct dir *wd = &o->wd;
	uint32_t cons = idx_at(page, wd->cons), prod = idx_at(page, wd->prod);
	uint32_t used = prod - cons;
	size_t n = get_len(&f->in);

	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i ^ o->code);
	long got = ring_write(o->ring, buf, n);
	if (used > wd->size) {
		CHECK(got == RING_CORRUPT);
		CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
		return;
	}
	CHECK(got == (long)(n < wd->size - used ? n : wd->size - used));
	check_changes(before, page, wd, wd->prod, prod + (uint32_t)got, prod, (uint32_t)got);
	for (long i = 0; i < got; i++)
		CHECK(page[wd->data + ((prod + (uint32_t)i) & (wd->size - 1))] == buf[i]);
}

/* fill levels */
static void op_levels(struct fuzz *f, const struct op *o)
{
	const unsigned char *page = f->page;
	long rl = ring_readable(o->ring), wl = ring_writable(o->ring);
	uint32_t ru = idx_at(page, o->rd.prod) - idx_at(page, o->rd.cons);
	uint32_t wu = idx_at(page, o->wd.prod) - idx_at(page, o->wd.cons);

	CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
	CHECK(rl == (ru > o->rd.size ? RING_CORRUPT : (long)ru));
	CHECK(wl == (wu > o->wd.size ? RING_CORRUPT : (long)(o->wd.size - wu)));
}

/* commit a span from an earlier peek (maybe stale) */
static void op_stale_commit(struct fuzz *f, const struct op *o)
{
	int w = get8(&f->in) & 1;
	const struct dir *d = w ? &o->wd : &o->rd;
	size_t n = get_count(&f->in);

	if (!f->have_last[o->r][w])
		return;
	struct ring_span s = f->last[o->r][w];
	int rc = w ? ring_commit_write(o->ring, &s, n) : ring_commit_read(o->ring, &s, n);
	if (n > s.len) {
		CHECK(rc == RING_BADARG);
		CHECK(memcmp(before, f->page, RING_PAGE_SIZE) == 0);
	} else if (n == 0) {
		CHECK(rc == RING_OK);
		CHECK(memcmp(before, f->page, RING_PAGE_SIZE) == 0);
	} else {
		/* publishes the peek's copy plus n, whatever the page says now */
		CHECK(rc == RING_OK);
		check_changes(before, f->page, d, w ? d->prod : d->cons, s.idx + (uint32_t)n, 0,
		              0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz f = {.in = {data, size}, .page = malloc(RING_PAGE_SIZE)};

	if (!f.page)
		return 0;
	for (unsigned i = 0; i < RING_PAGE_SIZE; i++)
		f.page[i] = (unsigned char)(i * 7);
	/* Starting indices straight from the input. */
	for (int i = 0; i < 4; i++) {
		uint32_t v = get32(&f.in);

		memcpy(f.page + idx_off[i], &v, 4);
	}
	ring_init(&f.rings[0], f.page, RING_BACKEND);
	ring_init(&f.rings[1], f.page, RING_FRONTEND);

	while (f.in.n) {
		struct op o = {.code = get8(&f.in)};

		o.r = o.code >> 7; /* which role */
		o.ring = &f.rings[o.r];
		o.rd = rx_dir(o.r ? RING_FRONTEND : RING_BACKEND);
		o.wd = tx_dir(o.r ? RING_FRONTEND : RING_BACKEND);
		memcpy(before, f.page, RING_PAGE_SIZE);
		switch (o.code & 7) {
		case 0: op_poke(&f); break;
		case 1: op_nudge(&f); break;
		case 2: op_peek_read(&f, &o); break;
		case 3: op_peek_write(&f, &o); break;
		case 4: op_read(&f, &o); break;
		case 5: op_write(&f, &o); break;
		case 6: op_levels(&f, &o); break;
		case 7: op_stale_commit(&f, &o); break;
		}
	}
	free(f.page);
	return 0;
}
