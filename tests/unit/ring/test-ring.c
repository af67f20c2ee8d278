/*
 * test-ring.c - the console ring's behaviour, one direction at a time.
 *
 * Every direction test runs twice: backend -> frontend over `in` (1024 bytes)
 * and frontend -> backend over `out` (2048 bytes). The page is a plain
 * 4096-byte buffer; "the peer" is the other struct ring on the same page, and
 * a hostile peer is modelled by writing index fields directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xenchannel/ring.h"

#ifdef XC_HAVE_XEN_CONSOLE_H
#include <xen/io/console.h>
#endif

/* One direction of the page: who writes, who reads, where. */
struct dir {
	const char *name;
	enum ring_role writer_role;
	uint32_t size;
	unsigned data_off;
	unsigned prod_off; /* written by the writer */
	unsigned cons_off; /* written by the reader */
};

static const struct dir dir_in = {
    "in (backend -> frontend)", RING_BACKEND,    RING_IN_SIZE, RING_OFF_IN,
    RING_OFF_IN_PROD,           RING_OFF_IN_CONS};
static const struct dir dir_out = {
    "out (frontend -> backend)", RING_FRONTEND,    RING_OUT_SIZE, RING_OFF_OUT,
    RING_OFF_OUT_PROD,           RING_OFF_OUT_CONS};

struct fx {
	const struct dir *d;
	unsigned char *page;
	struct ring w; /* the producing end of d */
	struct ring r; /* the consuming end of d */
};

static enum ring_role other(enum ring_role role)
{
	return role == RING_BACKEND ? RING_FRONTEND : RING_BACKEND;
}

static int setup(void **state)
{
	const struct dir *d = *state;
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->d = d;
	f->page = aligned_alloc(RING_PAGE_SIZE, RING_PAGE_SIZE);
	if (!f->page) {
		free(f);
		return -1;
	}
	memset(f->page, 0, RING_PAGE_SIZE);
	ring_init(&f->w, f->page, d->writer_role);
	ring_init(&f->r, f->page, other(d->writer_role));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->page);
	free(f);
	return 0;
}

static uint32_t get_idx(const unsigned char *page, unsigned off)
{
	uint32_t v;

	memcpy(&v, page + off, sizeof(v));
	return v;
}

static void set_idx(unsigned char *page, unsigned off, uint32_t v)
{
	memcpy(page + off, &v, sizeof(v));
}

/* Byte k of a test stream: position-dependent, not periodic in the ring size. */
static unsigned char pat(uint64_t k)
{
	return (unsigned char)((k * 0x9E3779B97F4A7C15ull) >> 56);
}

static void fill_pat(unsigned char *buf, size_t n, uint64_t start)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pat(start + i);
}

static void check_pat(const unsigned char *buf, size_t n, uint64_t start)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pat(start + i))
			fail_msg("byte %zu of stream differs", (size_t)(start + i));
}

/* ------------------------------------------------------------------ */

static void test_empty(void **state)
{
	struct fx *f = *state;
	struct ring_span s;

	assert_int_equal(ring_readable(&f->r), 0);
	assert_int_equal(ring_writable(&f->w), (long)f->d->size);
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(s.iovcnt, 0);
	assert_int_equal(s.len, 0);
	assert_int_equal(ring_peek_write(&f->w, &s), RING_OK);
	assert_int_equal(s.iovcnt, 1);
	assert_int_equal(s.len, f->d->size);
	assert_ptr_equal(s.iov[0].iov_base, f->page + f->d->data_off);
	assert_int_equal(s.iov[0].iov_len, f->d->size);
}

static void test_full(void **state)
{
	struct fx *f = *state;
	uint32_t size = f->d->size;
	unsigned char *buf = malloc(size + 1), *got = malloc(size + 1);
	struct ring_span s;

	fill_pat(buf, size + 1, 0);
	/* A write larger than the ring moves exactly the ring size. */
	assert_int_equal(ring_write(&f->w, buf, size + 1), (long)size);
	assert_int_equal(ring_writable(&f->w), 0);
	assert_int_equal(ring_readable(&f->r), (long)size);
	assert_int_equal(get_idx(f->page, f->d->prod_off), size);
	/* Full is not corrupt: prod - cons == size is legal. */
	assert_int_equal(ring_peek_write(&f->w, &s), RING_OK);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.iovcnt, 0);
	assert_int_equal(ring_write(&f->w, buf, 1), 0);
	assert_int_equal(get_idx(f->page, f->d->prod_off), size);

	assert_int_equal(ring_read(&f->r, got, size + 1), (long)size);
	check_pat(got, size, 0);
	assert_int_equal(ring_readable(&f->r), 0);
	assert_int_equal(ring_writable(&f->w), (long)size);
	assert_int_equal(get_idx(f->page, f->d->cons_off), size);
	free(buf);
	free(got);
}

/* Each role writes only the bytes it owns: its data array and its index. */
static void test_writes_only_own_fields(void **state)
{
	struct fx *f = *state;
	const struct dir *d = f->d;
	unsigned char before[RING_PAGE_SIZE], buf[100];

	memset(f->page, 0xA5, RING_PAGE_SIZE);
	set_idx(f->page, d->prod_off, 7);
	set_idx(f->page, d->cons_off, 7);
	memcpy(before, f->page, RING_PAGE_SIZE);
	fill_pat(buf, sizeof(buf), 0);
	assert_int_equal(ring_write(&f->w, buf, sizeof(buf)), (long)sizeof(buf));
	for (unsigned i = 0; i < RING_PAGE_SIZE; i++) {
		int in_data = i >= d->data_off + 7 && i < d->data_off + 7 + sizeof(buf);
		int in_prod = i >= d->prod_off && i < d->prod_off + 4;

		if (!in_data && !in_prod && f->page[i] != before[i])
			fail_msg("writer changed byte %u outside its fields", i);
	}
	assert_int_equal(get_idx(f->page, d->prod_off), 107);

	memcpy(before, f->page, RING_PAGE_SIZE);
	assert_int_equal(ring_read(&f->r, buf, sizeof(buf)), (long)sizeof(buf));
	check_pat(buf, sizeof(buf), 0);
	for (unsigned i = 0; i < RING_PAGE_SIZE; i++) {
		int in_cons = i >= d->cons_off && i < d->cons_off + 4;

		if (!in_cons && f->page[i] != before[i])
			fail_msg("reader changed byte %u outside its index", i);
	}
	assert_int_equal(get_idx(f->page, d->cons_off), 107);
}

static void test_partial_commits(void **state)
{
	struct fx *f = *state;
	struct ring_span s;
	unsigned char buf[100], got[100];

	fill_pat(buf, sizeof(buf), 0);
	/* Writer fills 100 bytes of the span but only 40 "really moved". */
	assert_int_equal(ring_peek_write(&f->w, &s), RING_OK);
	memcpy(s.iov[0].iov_base, buf, 100);
	assert_int_equal(ring_commit_write(&f->w, &s, 40), RING_OK);
	assert_int_equal(get_idx(f->page, f->d->prod_off), 40);
	assert_int_equal(ring_readable(&f->r), 40);
	assert_int_equal(ring_writable(&f->w), (long)f->d->size - 40);

	/* The next write continues right after the committed part. */
	assert_int_equal(ring_peek_write(&f->w, &s), RING_OK);
	assert_int_equal(s.idx, 40);
	assert_ptr_equal(s.iov[0].iov_base, f->page + f->d->data_off + 40);
	memcpy(s.iov[0].iov_base, buf + 40, 60);
	assert_int_equal(ring_commit_write(&f->w, &s, 60), RING_OK);

	/* Reader consumes 10, then 25, then the rest; each peek starts after
	 * the last commit. */
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(s.len, 100);
	memcpy(got, s.iov[0].iov_base, 10);
	assert_int_equal(ring_commit_read(&f->r, &s, 10), RING_OK);
	assert_int_equal(get_idx(f->page, f->d->cons_off), 10);
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(s.len, 90);
	assert_int_equal(s.idx, 10);
	memcpy(got + 10, s.iov[0].iov_base, 25);
	assert_int_equal(ring_commit_read(&f->r, &s, 25), RING_OK);
	assert_int_equal(ring_read(&f->r, got + 35, sizeof(got)), 65);
	check_pat(got, sizeof(got), 0);
	assert_int_equal(ring_readable(&f->r), 0);
}

/* Commit publishes the peek's copy of our index plus n; an index the peer
 * scribbled over in between is not read back. */
static void test_commit_uses_peek_copy(void **state)
{
	struct fx *f = *state;
	struct ring_span s;

	assert_int_equal(ring_peek_write(&f->w, &s), RING_OK);
	set_idx(f->page, f->d->prod_off, 0x5000);
	assert_int_equal(ring_commit_write(&f->w, &s, 3), RING_OK);
	assert_int_equal(get_idx(f->page, f->d->prod_off), 3);

	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(s.len, 3);
	set_idx(f->page, f->d->cons_off, 0x7000);
	assert_int_equal(ring_commit_read(&f->r, &s, 2), RING_OK);
	assert_int_equal(get_idx(f->page, f->d->cons_off), 2);
}

/* Stream 5 ring sizes across the 2^32 index wrap in uneven pieces. */
static void test_wrap_at_ffffff00(void **state)
{
	struct fx *f = *state;
	const uint32_t start = 0xFFFFFF00u;
	uint32_t size = f->d->size;
	size_t total = 5 * (size_t)size, wrote = 0, readn = 0;
	unsigned char *src = malloc(total), *dst = malloc(total);
	size_t step = 1;

	fill_pat(src, total, 0);
	set_idx(f->page, f->d->prod_off, start);
	set_idx(f->page, f->d->cons_off, start);
	assert_int_equal(ring_readable(&f->r), 0);
	assert_int_equal(ring_writable(&f->w), (long)size);
	while (readn < total) {
		size_t n = step < total - wrote ? step : total - wrote;
		long w = ring_write(&f->w, src + wrote, n);
		long r;

		assert_true(w >= 0);
		wrote += (size_t)w;
		r = ring_read(&f->r, dst + readn, (step * 7) % (size + 3) + 1);
		assert_true(r >= 0);
		readn += (size_t)r;
		step = (step * 5 + 3) % (size + size / 2) + 1;
	}
	assert_memory_equal(src, dst, total);
	assert_int_equal(get_idx(f->page, f->d->prod_off), (uint32_t)(start + total));
	assert_int_equal(get_idx(f->page, f->d->cons_off), (uint32_t)(start + total));
	assert_true(get_idx(f->page, f->d->prod_off) < start); /* it did wrap */
	free(src);
	free(dst);
}

/* Fill level across the wrap: prod just past 0, cons just before 2^32. */
static void test_fill_level_across_wrap(void **state)
{
	struct fx *f = *state;
	uint32_t size = f->d->size;

	set_idx(f->page, f->d->cons_off, 0xFFFFFFF0u);
	set_idx(f->page, f->d->prod_off, 0x10u);
	assert_int_equal(ring_readable(&f->r), 0x20);
	assert_int_equal(ring_writable(&f->w), (long)size - 0x20);
	/* Exactly full across the wrap. */
	set_idx(f->page, f->d->cons_off, 0xFFFFFFFFu);
	set_idx(f->page, f->d->prod_off, size - 1);
	assert_int_equal(ring_readable(&f->r), (long)size);
	assert_int_equal(ring_writable(&f->w), 0);
}

static void test_two_segments(void **state)
{
	struct fx *f = *state;
	uint32_t size = f->d->size;
	const uint32_t start = 0xFFFFFF00u;
	uint32_t off = start & (size - 1);
	unsigned char *data = f->page + f->d->data_off;
	struct ring_span s;

	set_idx(f->page, f->d->prod_off, start);
	set_idx(f->page, f->d->cons_off, start);
	/* Free space wraps: from the masked index to the end, then the start. */
	assert_int_equal(ring_peek_write(&f->w, &s), RING_OK);
	assert_int_equal(s.iovcnt, 2);
	assert_int_equal(s.len, size);
	assert_ptr_equal(s.iov[0].iov_base, data + off);
	assert_int_equal(s.iov[0].iov_len, size - off);
	assert_ptr_equal(s.iov[1].iov_base, data);
	assert_int_equal(s.iov[1].iov_len, off);
	fill_pat(s.iov[0].iov_base, s.iov[0].iov_len, 0);
	fill_pat(s.iov[1].iov_base, 10, s.iov[0].iov_len);
	assert_int_equal(ring_commit_write(&f->w, &s, s.iov[0].iov_len + 10), RING_OK);

	/* Readable data wraps the same way. */
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(s.iovcnt, 2);
	assert_int_equal(s.len, size - off + 10);
	assert_ptr_equal(s.iov[0].iov_base, data + off);
	assert_int_equal(s.iov[0].iov_len, size - off);
	assert_ptr_equal(s.iov[1].iov_base, data);
	assert_int_equal(s.iov[1].iov_len, 10);
	check_pat(s.iov[0].iov_base, s.iov[0].iov_len, 0);
	check_pat(s.iov[1].iov_base, 10, s.iov[0].iov_len);

	/* Data ending exactly at the end of the array is one segment. */
	assert_int_equal(ring_commit_read(&f->r, &s, s.len), RING_OK);
	set_idx(f->page, f->d->prod_off, start + (size - off));
	set_idx(f->page, f->d->cons_off, start);
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(s.iovcnt, 1);
	assert_int_equal(s.len, size - off);
}

/* readv()/writev() straight on ring memory through a pipe, across the wrap. */
static void test_readv_writev_on_ring(void **state)
{
	struct fx *f = *state;
	uint32_t size = f->d->size;
	unsigned char src[600], dst[600];
	struct ring_span s;
	int p[2];
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	set_idx(f->page, f->d->prod_off, 0xFFFFFF00u + size - 300);
	set_idx(f->page, f->d->cons_off, 0xFFFFFF00u + size - 300);
	fill_pat(src, sizeof(src), 1000);
	assert_int_equal(write(p[1], src, sizeof(src)), (ssize_t)sizeof(src));

	/* Producer: readv from the pipe into the free space, commit what came. */
	assert_int_equal(ring_peek_write(&f->w, &s), RING_OK);
	n = readv(p[0], s.iov, s.iovcnt);
	assert_int_equal(n, (ssize_t)sizeof(src));
	assert_int_equal(ring_commit_write(&f->w, &s, (size_t)n), RING_OK);

	/* Consumer: writev the readable spans to the pipe, commit what went. */
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(s.len, sizeof(src));
	n = writev(p[1], s.iov, s.iovcnt);
	assert_int_equal(n, (ssize_t)sizeof(src));
	assert_int_equal(ring_commit_read(&f->r, &s, (size_t)n), RING_OK);
	assert_int_equal(read(p[0], dst, sizeof(dst)), (ssize_t)sizeof(dst));
	check_pat(dst, sizeof(dst), 1000);
	assert_int_equal(ring_readable(&f->r), 0);
	close(p[0]);
	close(p[1]);
}

static void test_zero_length(void **state)
{
	struct fx *f = *state;
	unsigned char before[RING_PAGE_SIZE], buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct ring_span s;

	memcpy(before, f->page, RING_PAGE_SIZE);
	/* Nothing to move: 0 bytes, page untouched. */
	assert_int_equal(ring_write(&f->w, buf, 0), 0);
	assert_int_equal(ring_read(&f->r, buf, sizeof(buf)), 0);
	assert_int_equal(ring_read(&f->r, buf, 0), 0);
	assert_int_equal(ring_peek_write(&f->w, &s), RING_OK);
	assert_int_equal(ring_commit_write(&f->w, &s, 0), RING_OK);
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(ring_commit_read(&f->r, &s, 0), RING_OK);
	assert_memory_equal(before, f->page, RING_PAGE_SIZE);

	/* With data present, a 0-byte read consumes nothing. */
	assert_int_equal(ring_write(&f->w, buf, 5), 5);
	assert_int_equal(ring_read(&f->r, buf, 0), 0);
	assert_int_equal(ring_readable(&f->r), 5);
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(ring_commit_read(&f->r, &s, 0), RING_OK);
	assert_int_equal(get_idx(f->page, f->d->cons_off), 0);
}

static void test_commit_beyond_span(void **state)
{
	struct fx *f = *state;
	unsigned char before[RING_PAGE_SIZE], buf[10] = {0};
	struct ring_span s;

	assert_int_equal(ring_write(&f->w, buf, 10), 10);
	memcpy(before, f->page, RING_PAGE_SIZE);
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(ring_commit_read(&f->r, &s, 11), RING_BADARG);
	assert_int_equal(ring_peek_write(&f->w, &s), RING_OK);
	assert_int_equal(ring_commit_write(&f->w, &s, f->d->size - 10 + 1), RING_BADARG);
	assert_int_equal(ring_commit_write(&f->w, &s, SIZE_MAX), RING_BADARG);
	assert_memory_equal(before, f->page, RING_PAGE_SIZE);

	/* An empty span accepts only 0. */
	assert_int_equal(ring_read(&f->r, buf, 10), 10);
	assert_int_equal(ring_peek_read(&f->r, &s), RING_OK);
	assert_int_equal(ring_commit_read(&f->r, &s, 1), RING_BADARG);
	assert_int_equal(get_idx(f->page, f->d->cons_off), 10);
}

/*
 * Corrupt indices: every (cons, prod) pair whose unsigned difference exceeds
 * the ring size, whichever side wrote the bad value. Each peek and each
 * convenience call reports RING_CORRUPT, leaves an empty span, and changes
 * neither the page nor the caller's buffer.
 */
static void test_corrupt_indices(void **state)
{
	struct fx *f = *state;
	uint32_t size = f->d->size;
	const struct {
		uint32_t cons, prod;
	} bad[] = {
	    {0, size + 1},       /* one past full */
	    {1, 0},              /* cons ahead of prod by one */
	    {100, 50},           /* cons ahead of prod */
	    {0, 0x80000000u},    /* half the index space */
	    {0, 0xFFFFFFFFu},    /* prod = -1 */
	    {0xFFFFFFFFu, size}, /* one past full across the wrap */
	    {0xFFFFFF00u, 0xFFFFFF00u + size + 1},
	    {0x10u, 0xFFFFFFF0u}, /* cons wrapped, prod did not */
	    {0x12345678u, 0x12345678u + 0x7FFFFFFFu},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char before[RING_PAGE_SIZE], buf[16], buf_before[16];
		struct ring_span s;

		memset(f->page, 0x5A, RING_PAGE_SIZE);
		set_idx(f->page, f->d->cons_off, bad[i].cons);
		set_idx(f->page, f->d->prod_off, bad[i].prod);
		memcpy(before, f->page, RING_PAGE_SIZE);
		memset(buf, 0xC3, sizeof(buf));
		memcpy(buf_before, buf, sizeof(buf));

		memset(&s, 0xEE, sizeof(s));
		assert_int_equal(ring_peek_read(&f->r, &s), RING_CORRUPT);
		assert_int_equal(s.iovcnt, 0);
		assert_int_equal(s.len, 0);
		assert_null(s.iov[0].iov_base);
		memset(&s, 0xEE, sizeof(s));
		assert_int_equal(ring_peek_write(&f->w, &s), RING_CORRUPT);
		assert_int_equal(s.iovcnt, 0);
		assert_int_equal(s.len, 0);
		assert_null(s.iov[0].iov_base);
		/* A commit against the empty span cannot publish anything. */
		assert_int_equal(ring_commit_write(&f->w, &s, 1), RING_BADARG);
		assert_int_equal(ring_read(&f->r, buf, sizeof(buf)), RING_CORRUPT);
		assert_int_equal(ring_read(&f->r, buf, 0), RING_CORRUPT);
		assert_int_equal(ring_write(&f->w, buf, sizeof(buf)), RING_CORRUPT);
		assert_int_equal(ring_readable(&f->r), RING_CORRUPT);
		assert_int_equal(ring_writable(&f->w), RING_CORRUPT);
		if (memcmp(before, f->page, RING_PAGE_SIZE) != 0)
			fail_msg("case %zu (cons %#x prod %#x) changed the page", i, bad[i].cons,
			         bad[i].prod);
		assert_memory_equal(buf, buf_before, sizeof(buf));
	}
}

/* A corrupt direction does not poison the other one: the caller decides. */
static void test_corrupt_is_per_direction(void **state)
{
	struct fx *f = *state;
	const struct dir *o = f->d == &dir_in ? &dir_out : &dir_in;
	unsigned char buf[4] = {9, 8, 7, 6};

	set_idx(f->page, f->d->prod_off, f->d->size + 1);
	assert_int_equal(ring_readable(&f->r), RING_CORRUPT);
	/* The reader of this direction is the writer of the other one. */
	assert_int_equal(ring_write(&f->r, buf, sizeof(buf)), (long)sizeof(buf));
	assert_int_equal(get_idx(f->page, o->prod_off), sizeof(buf));
	assert_int_equal(ring_read(&f->w, buf, sizeof(buf)), (long)sizeof(buf));
	/* And a repaired index makes the ring usable again. */
	set_idx(f->page, f->d->prod_off, 1);
	assert_int_equal(ring_readable(&f->r), 1);
}

/* Exact places of the index fields, cross-checked against Xen's struct. */
static void test_layout(void **state)
{
	struct fx *f = *state;
	unsigned char buf[3] = {1, 2, 3};

	assert_int_equal(ring_write(&f->w, buf, 3), 3);
	assert_int_equal(get_idx(f->page, f->d->prod_off), 3);
	assert_memory_equal(f->page + f->d->data_off, buf, 3);
	assert_int_equal(ring_read(&f->r, buf, 2), 2);
	assert_int_equal(get_idx(f->page, f->d->cons_off), 2);
#ifdef XC_HAVE_XEN_CONSOLE_H
	{
		struct xencons_interface *x = (struct xencons_interface *)(void *)f->page;

		if (f->d == &dir_in) {
			assert_int_equal(x->in_prod, 3);
			assert_int_equal(x->in_cons, 2);
			assert_int_equal(x->in[2], 3);
		} else {
			assert_int_equal(x->out_prod, 3);
			assert_int_equal(x->out_cons, 2);
			assert_int_equal(x->out[2], 3);
		}
	}
#endif
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_not_equal(ring_strerror(RING_OK), ring_strerror(RING_CORRUPT));
	assert_string_not_equal(ring_strerror(RING_CORRUPT), ring_strerror(RING_BADARG));
	assert_non_null(strstr(ring_strerror(RING_CORRUPT), "corrupt"));
	assert_non_null(ring_strerror(12345));
}

/* Each direction test once per direction, named after it. */
#define BOTH(t)                                                                                    \
	{#t "/in", t, setup, teardown, (void *)&dir_in},                                           \
	{                                                                                          \
#t "/out", t, setup, teardown, (void *)&dir_out                                    \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_empty),
	    BOTH(test_full),
	    BOTH(test_writes_only_own_fields),
	    BOTH(test_partial_commits),
	    BOTH(test_commit_uses_peek_copy),
	    BOTH(test_wrap_at_ffffff00),
	    BOTH(test_fill_level_across_wrap),
	    BOTH(test_two_segments),
	    BOTH(test_readv_writev_on_ring),
	    BOTH(test_zero_length),
	    BOTH(test_commit_beyond_span),
	    BOTH(test_corrupt_indices),
	    BOTH(test_corrupt_is_per_direction),
	    BOTH(test_layout),
	    cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
