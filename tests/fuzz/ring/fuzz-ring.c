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

/* Where `len` bytes of ring d from free-running index `from` lie in the page:
 * the bytes [*off, *off + return) and then, if the region wraps, the rest
 * from the start of the array. Requires len <= d->size. */
static size_t ring_chunk(const struct dir *d, uint32_t from, size_t len, unsigned *off)
{
	unsigned pos = from & (d->size - 1);

	*off = d->data + pos;
	return len < d->size - pos ? len : d->size - pos;
}

/* The ring bytes at the masked positions of [from, from + len) equal buf.
 * Block compares, not a loop per byte: -fsanitize=fuzzer traces every
 * compare, and a byte loop here made this the hottest code of the target. */
static int ring_equals(const unsigned char *page, const struct dir *d, uint32_t from,
                       const unsigned char *buf, size_t len)
{
	unsigned off;
	size_t first = ring_chunk(d, from, len, &off);

	return memcmp(page + off, buf, first) == 0 &&
	       memcmp(page + d->data, buf + first, len - first) == 0;
}

/* The page differs from `model` (the page as it was before the operation)
 * only in the index at `own`, which must now equal `want`, and in the data
 * bytes of [wfrom, wfrom + wlen) of ring d. `model` follows the page. */
static void check_changes(unsigned char *model, const unsigned char *page, const struct dir *d,
                          unsigned own, uint32_t want, uint32_t wfrom, uint32_t wlen)
{
	unsigned off;
	size_t first = ring_chunk(d, wfrom, wlen, &off);

	memcpy(model + own, &want, 4);
	memcpy(model + off, page + off, first);
	memcpy(model + d->data, page + d->data, wlen - first);
	CHECK(memcmp(model, page, RING_PAGE_SIZE) == 0);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The page every input starts from, and the bytes ring_write copies in: made
 * once, since a loop over them per input costs more than the input itself. */
static unsigned char start_page[RING_PAGE_SIZE], pattern[8192 + 256];

static void init_once(void)
{
	for (unsigned i = 0; i < RING_PAGE_SIZE; i++)
		start_page[i] = (unsigned char)(i * 7);
	/* not periodic, so data landing at a wrong offset cannot match */
	for (uint32_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)((i * 2654435761u) >> 24);
}

/* model: the page as it must be. Every change the target makes itself goes to
 * both, every change an operation is allowed to make is applied to it, and the
 * two are compared after each operation: no copy of the page per operation. */
static unsigned char buf[8192 + 1], model[RING_PAGE_SIZE];
static const unsigned idx_off[4] = {RING_OFF_IN_CONS, RING_OFF_IN_PROD, RING_OFF_OUT_CONS,
                                    RING_OFF_OUT_PROD};

/* One program's state, and the operation being run: its code byte, the role
 * doing it (0 backend, 1 frontend) and the directions it reads and writes. */
struct fuzz {
	struct input in;
	unsigned char *page;
	struct ring rings[2];
	struct ring_span last[2][2]; /* [role][0 read, 1 write] from the last peek */
	int have_last[2][2];
	uint8_t op;
	int r;
	struct dir rd, wd;
};

static void model_same(const struct fuzz *f)
{
	CHECK(memcmp(model, f->page, RING_PAGE_SIZE) == 0);
}

/* someone writes an arbitrary index value, or nudges one by a small amount
 * (near-boundary cases) */
static void op_poke(struct fuzz *f, int nudge)
{
	uint32_t v = nudge ? 0 : get32(&f->in);
	unsigned off = idx_off[get8(&f->in) & 3];

	if (nudge)
		v = idx_at(f->page, off) + (uint32_t)(int8_t)get8(&f->in);
	memcpy(f->page + off, &v, 4);
	memcpy(model + off, &v, 4);
}

/* after a commit of n from span s (cur: the index it started from) */
static void check_commit(struct fuzz *f, const struct dir *d, unsigned own, int rc, size_t n,
                         const struct ring_span *s, uint32_t cur)
{
	if (n > s->len) {
		CHECK(rc == RING_BADARG);
		model_same(f);
	} else {
		CHECK(rc == RING_OK);
		check_changes(model, f->page, d, own, n ? cur + (uint32_t)n : cur, 0, 0);
	}
}

/* peek read, maybe commit */
static void op_peek_read(struct fuzz *f)
{
	const struct dir *rd = &f->rd;
	uint32_t cons = idx_at(f->page, rd->cons), used = idx_at(f->page, rd->prod) - cons;
	struct ring_span s;
	int rc = ring_peek_read(&f->rings[f->r], &s);

	model_same(f);
	if (used > rd->size) {
		CHECK(rc == RING_CORRUPT);
		check_corrupt_span(&s);
		return;
	}
	CHECK(rc == RING_OK);
	check_span(f->page, rd, &s, cons, used);
	f->last[f->r][0] = s;
	f->have_last[f->r][0] = 1;
	size_t n = get_count(&f->in);
	rc = ring_commit_read(&f->rings[f->r], &s, n);
	check_commit(f, rd, rd->cons, rc, n, &s, cons);
}

/* peek write, fill some of the span, maybe commit */
static void op_peek_write(struct fuzz *f)
{
	const struct dir *wd = &f->wd;
	uint32_t prod = idx_at(f->page, wd->prod), used = prod - idx_at(f->page, wd->cons);
	struct ring_span s;
	int rc = ring_peek_write(&f->rings[f->r], &s);

	model_same(f);
	if (used > wd->size) {
		CHECK(rc == RING_CORRUPT);
		check_corrupt_span(&s);
		return;
	}
	CHECK(rc == RING_OK);
	check_span(f->page, wd, &s, prod, wd->size - used);
	f->last[f->r][1] = s;
	f->have_last[f->r][1] = 1;
	size_t n = get_count(&f->in);
	size_t fill = n < s.len ? n : s.len, done = 0;

	for (int i = 0; i < s.iovcnt && done < fill; i++) {
		size_t m = s.iov[i].iov_len < fill - done ? s.iov[i].iov_len : fill - done;

		memset(s.iov[i].iov_base, f->op, m);
		memset(model + ((unsigned char *)s.iov[i].iov_base - f->page), f->op, m);
		done += m;
	}
	rc = ring_commit_write(&f->rings[f->r], &s, n);
	check_commit(f, wd, wd->prod, rc, n, &s, prod);
}

/* ring_read of up to 8 KiB */
static void op_read(struct fuzz *f)
{
	const struct dir *rd = &f->rd;
	uint32_t cons = idx_at(f->page, rd->cons), used = idx_at(f->page, rd->prod) - cons;
	size_t n = get_len(&f->in);

	/* it may write min(n, readable) <= RING_OUT_SIZE bytes */
	memset(buf, 0xEE, (n < RING_OUT_SIZE ? n : RING_OUT_SIZE) + 1);
	long got = ring_read(&f->rings[f->r], buf, n);
	if (used > rd->size) {
		CHECK(got == RING_CORRUPT);
		model_same(f);
		CHECK(buf[0] == 0xEE);
		return;
	}
	CHECK(got == (long)(n < used ? n : used));
	CHECK(ring_equals(f->page, rd, cons, buf, (size_t)got));
	CHECK(buf[got] == 0xEE);
	check_changes(model, f->page, rd, rd->cons, cons + (uint32_t)got, 0, 0);
}

/* ring_write of up to 8 KiB */
static void op_write(struct fuzz *f)
{
	const struct dir *wd = &f->wd;
	uint32_t prod = idx_at(f->page, wd->prod), used = prod - idx_at(f->page, wd->cons);
	size_t n = get_len(&f->in);
	const unsigned char *src = pattern + f->op; /* differs per op */
	long got = ring_write(&f->rings[f->r], src, n);

	if (used > wd->size) {
		CHECK(got == RING_CORRUPT);
		model_same(f);
		return;
	}
	CHECK(got == (long)(n < wd->size - used ? n : wd->size - used));
	check_changes(model, f->page, wd, wd->prod, prod + (uint32_t)got, prod, (uint32_t)got);
	CHECK(ring_equals(f->page, wd, prod, src, (size_t)got));
}

/* fill levels */
static void op_levels(struct fuzz *f)
{
	const struct dir *rd = &f->rd, *wd = &f->wd;
	long rl = ring_readable(&f->rings[f->r]), wl = ring_writable(&f->rings[f->r]);
	uint32_t ru = idx_at(f->page, rd->prod) - idx_at(f->page, rd->cons);
	uint32_t wu = idx_at(f->page, wd->prod) - idx_at(f->page, wd->cons);

	model_same(f);
	CHECK(rl == (ru > rd->size ? RING_CORRUPT : (long)ru));
	CHECK(wl == (wu > wd->size ? RING_CORRUPT : (long)(wd->size - wu)));
}

/* commit a span from an earlier peek (maybe stale) */
static void op_stale_commit(struct fuzz *f)
{
	int w = get8(&f->in) & 1;
	const struct dir *d = w ? &f->wd : &f->rd;
	size_t n = get_count(&f->in);

	if (!f->have_last[f->r][w])
		return;
	struct ring_span s = f->last[f->r][w];
	struct ring *ring = &f->rings[f->r];
	int rc = w ? ring_commit_write(ring, &s, n) : ring_commit_read(ring, &s, n);
	if (n > s.len) {
		CHECK(rc == RING_BADARG);
		model_same(f);
	} else if (n == 0) {
		CHECK(rc == RING_OK);
		model_same(f);
	} else {
		/* publishes the peek's copy plus n, whatever the page says now */
		CHECK(rc == RING_OK);
		check_changes(model, f->page, d, w ? d->prod : d->cons, s.idx + (uint32_t)n, 0, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char *page;
	struct fuzz f = {.in = {data, size}};

	if (!page) {
		page = malloc(RING_PAGE_SIZE);
		if (!page)
			abort();
		init_once();
	}
	f.page = page;
	memcpy(page, start_page, RING_PAGE_SIZE);
	/* Starting indices straight from the input. */
	for (int i = 0; i < 4; i++) {
		uint32_t v = get32(&f.in);

		memcpy(page + idx_off[i], &v, 4);
	}
	memcpy(model, page, RING_PAGE_SIZE);
	ring_init(&f.rings[0], page, RING_BACKEND);
	ring_init(&f.rings[1], page, RING_FRONTEND);

	while (f.in.n) {
		f.op = get8(&f.in);
		f.r = f.op >> 7; /* which role */
		enum ring_role role = f.r ? RING_FRONTEND : RING_BACKEND;
		f.rd = rx_dir(role);
		f.wd = tx_dir(role);
		switch (f.op & 7) {
		case 0:
		case 1:
			op_poke(&f, f.op & 1);
			break;
		case 2:
			op_peek_read(&f);
			break;
		case 3:
			op_peek_write(&f);
			break;
		case 4:
			op_read(&f);
			break;
		case 5:
			op_write(&f);
			break;
		case 6:
			op_levels(&f);
			break;
		case 7:
			op_stale_commit(&f);
			break;
		}
	}
	return 0;
}
