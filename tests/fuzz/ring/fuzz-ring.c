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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[8192 + 1], before[RING_PAGE_SIZE];
	struct input in = {data, size};
	unsigned char *page = malloc(RING_PAGE_SIZE);
	struct ring rings[2];
	struct ring_span last[2][2]; /* [role][0 read, 1 write] from the last peek */
	int have_last[2][2] = {{0, 0}, {0, 0}};
	static const unsigned idx_off[4] = {RING_OFF_IN_CONS, RING_OFF_IN_PROD, RING_OFF_OUT_CONS,
	                                    RING_OFF_OUT_PROD};

	if (!page)
		return 0;
	for (unsigned i = 0; i < RING_PAGE_SIZE; i++)
		page[i] = (unsigned char)(i * 7);
	/* Starting indices straight from the input. */
	for (int i = 0; i < 4; i++) {
		uint32_t v = get32(&in);

		memcpy(page + idx_off[i], &v, 4);
	}
	ring_init(&rings[0], page, RING_BACKEND);
	ring_init(&rings[1], page, RING_FRONTEND);

	while (in.n) {
		uint8_t op = get8(&in);
		int r = op >> 7; /* which role */
		struct ring *ring = &rings[r];
		enum ring_role role = r ? RING_FRONTEND : RING_BACKEND;
		struct dir rd = rx_dir(role), wd = tx_dir(role);
		uint32_t cons, prod, used;
		struct ring_span s;
		size_t n;
		long got;
		int rc;

		memcpy(before, page, RING_PAGE_SIZE);
		switch (op & 7) {
		case 0: { /* someone writes an arbitrary index value */
			uint32_t v = get32(&in);

			memcpy(page + idx_off[get8(&in) & 3], &v, 4);
			break;
		}
		case 1: /* peer nudges an index by a small amount (near-boundary cases) */
		{
			unsigned off = idx_off[get8(&in) & 3];
			uint32_t v = idx_at(page, off) + (uint32_t)(int8_t)get8(&in);

			memcpy(page + off, &v, 4);
			break;
		}
		case 2: /* peek read, maybe commit */
			cons = idx_at(page, rd.cons);
			prod = idx_at(page, rd.prod);
			used = prod - cons;
			rc = ring_peek_read(ring, &s);
			CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
			if (used > rd.size) {
				CHECK(rc == RING_CORRUPT);
				check_corrupt_span(&s);
				break;
			}
			CHECK(rc == RING_OK);
			check_span(page, &rd, &s, cons, used);
			last[r][0] = s;
			have_last[r][0] = 1;
			n = get_count(&in);
			rc = ring_commit_read(ring, &s, n);
			if (n > s.len) {
				CHECK(rc == RING_BADARG);
				CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
			} else {
				CHECK(rc == RING_OK);
				check_changes(before, page, &rd, rd.cons,
				              n ? cons + (uint32_t)n : cons, 0, 0);
			}
			break;
		case 3: /* peek write, fill some of the span, maybe commit */
			cons = idx_at(page, wd.cons);
			prod = idx_at(page, wd.prod);
			used = prod - cons;
			rc = ring_peek_write(ring, &s);
			CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
			if (used > wd.size) {
				CHECK(rc == RING_CORRUPT);
				check_corrupt_span(&s);
				break;
			}
			CHECK(rc == RING_OK);
			check_span(page, &wd, &s, prod, wd.size - used);
			last[r][1] = s;
			have_last[r][1] = 1;
			n = get_count(&in);
			{
				size_t fill = n < s.len ? n : s.len, done = 0;

				for (int i = 0; i < s.iovcnt && done < fill; i++) {
					size_t m = s.iov[i].iov_len < fill - done ? s.iov[i].iov_len
					                                          : fill - done;

					memset(s.iov[i].iov_base, op, m);
					done += m;
				}
			}
			memcpy(before, page, RING_PAGE_SIZE);
			rc = ring_commit_write(ring, &s, n);
			if (n > s.len) {
				CHECK(rc == RING_BADARG);
				CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
			} else {
				CHECK(rc == RING_OK);
				check_changes(before, page, &wd, wd.prod,
				              n ? prod + (uint32_t)n : prod, 0, 0);
			}
			break;
		case 4: /* ring_read of up to 8 KiB */
			cons = idx_at(page, rd.cons);
			prod = idx_at(page, rd.prod);
			used = prod - cons;
			n = get_len(&in);
			memset(buf, 0xEE, n + 1);
			got = ring_read(ring, buf, n);
			if (used > rd.size) {
				CHECK(got == RING_CORRUPT);
				CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
				CHECK(buf[0] == 0xEE);
				break;
			}
			CHECK(got == (long)(n < used ? n : used));
			for (long i = 0; i < got; i++)
				CHECK(buf[i] ==
				      page[rd.data + ((cons + (uint32_t)i) & (rd.size - 1))]);
			CHECK(buf[got] == 0xEE);
			check_changes(before, page, &rd, rd.cons, cons + (uint32_t)got, 0, 0);
			break;
		case 5: /* ring_write of up to 8 KiB */
			cons = idx_at(page, wd.cons);
			prod = idx_at(page, wd.prod);
			used = prod - cons;
			n = get_len(&in);
			for (size_t i = 0; i < n; i++)
				buf[i] = (unsigned char)(i ^ op);
			got = ring_write(ring, buf, n);
			if (used > wd.size) {
				CHECK(got == RING_CORRUPT);
				CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
				break;
			}
			CHECK(got == (long)(n < wd.size - used ? n : wd.size - used));
			check_changes(before, page, &wd, wd.prod, prod + (uint32_t)got, prod,
			              (uint32_t)got);
			for (long i = 0; i < got; i++)
				CHECK(page[wd.data + ((prod + (uint32_t)i) & (wd.size - 1))] ==
				      buf[i]);
			break;
		case 6: { /* fill levels */
			long rl = ring_readable(ring), wl = ring_writable(ring);
			uint32_t ru = idx_at(page, rd.prod) - idx_at(page, rd.cons);
			uint32_t wu = idx_at(page, wd.prod) - idx_at(page, wd.cons);

			CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
			CHECK(rl == (ru > rd.size ? RING_CORRUPT : (long)ru));
			CHECK(wl == (wu > wd.size ? RING_CORRUPT : (long)(wd.size - wu)));
			break;
		}
		case 7: { /* commit a span from an earlier peek (maybe stale) */
			int w = get8(&in) & 1;
			const struct dir *d = w ? &wd : &rd;

			n = get_count(&in);
			if (!have_last[r][w])
				break;
			s = last[r][w];
			rc = w ? ring_commit_write(ring, &s, n) : ring_commit_read(ring, &s, n);
			if (n > s.len) {
				CHECK(rc == RING_BADARG);
				CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
			} else if (n == 0) {
				CHECK(rc == RING_OK);
				CHECK(memcmp(before, page, RING_PAGE_SIZE) == 0);
			} else {
				/* publishes the peek's copy plus n, whatever the page says now */
				CHECK(rc == RING_OK);
				check_changes(before, page, d, w ? d->prod : d->cons,
				              s.idx + (uint32_t)n, 0, 0);
			}
			break;
		}
		}
	}
	free(page);
	return 0;
}
