/*
 * test-xstore.c - the xenstore helpers every component shares: the one
 * spelling of a number, reads that refuse an embedded NUL, transactions
 * redone on conflict, and writes that never resurrect a removed directory.
 * Against the simulator's xenstored in a thread (tests/unit/sim/xenstored/harness.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include <cmocka.h>

#include "harness.h"
#include "xenchannel/xstore.h"

static struct harness H;
static struct xs_handle *xs, *other;

static int setup(void **state)
{
	if (harness_start(&H) < 0)
		return -1;
	xs = xs_open(0);
	other = xs_open(0);
	return xs && other ? 0 : -1;
}

static int teardown(void **state)
{
	xs_close(xs);
	xs_close(other);
	harness_finish(&H);
	return 0;
}

static void put(struct xs_handle *h, const char *path, const char *v, unsigned len)
{
	assert_true(xs_write(h, XBT_NULL, path, v, len));
}

static void assert_value(const char *path, const char *want)
{
	char *v = xstore_read(xs, XBT_NULL, path);
	if (!want) {
		assert_null(v);
		assert_int_equal(errno, ENOENT);
		return;
	}
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

/* ---- numbers -------------------------------------------------------------- */

static int parses(const char *s, uint32_t max, uint32_t *out)
{
	*out = 12345;
	return xstore_parse_uint(s, max, out);
}

static void test_number_one_spelling(void **state)
{
	uint32_t v;
	assert_int_equal(parses("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parses("7", 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parses("4294967295", UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	/* what no xenstore writer writes: padded, signed, spaced, other bases */
	const char *bad[] = {"007", "00",   "01",  "+7", "-1", " 7", "7 ",
	                     "7\n", "0x10", "1e3", "",   "a",  "7a", "\xd9\xa3"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parses(bad[i], UINT32_MAX, &v) == 0)
			fail_msg("'%s' accepted as %u", bad[i], (unsigned)v);
		assert_int_equal(v, 12345); /* untouched */
	}
	assert_int_equal(parses(NULL, 10, &v), -1);
}

static void test_number_range(void **state)
{
	uint32_t v;
	assert_int_equal(parses("8", 8, &v), 0);
	assert_int_equal(parses("9", 8, &v), -1);
	assert_int_equal(parses("4294967296", UINT32_MAX, &v), -1);
	assert_int_equal(parses("99999999999", UINT32_MAX, &v), -1);
	assert_int_equal(parses("18446744073709551617", UINT32_MAX, &v), -1);
	assert_int_equal(v, 12345);
}

/* ---- reads ---------------------------------------------------------------- */

static void test_read_refuses_embedded_nul(void **state)
{
	put(other, "/r/plain", "42", 2);
	put(other, "/r/nul", "4\0002", 3);
	assert_value("/r/plain", "42");
	errno = 0;
	assert_null(xstore_read(xs, XBT_NULL, "/r/nul"));
	assert_int_equal(errno, EINVAL);
	assert_value("/r/missing", NULL);
}

/* ---- transactions --------------------------------------------------------- */

struct bump {
	int runs;
	int interfere; /* runs in which another writer changes /t/n meanwhile */
	int verdict;   /* returned instead of committing, when not 0 */
	int fail_errno;
};

/* Read /t/n and write n + 1, the classic read-modify-write. */
static int bump_body(struct xs_handle *h, xs_transaction_t t, void *arg)
{
	struct bump *b = arg;
	b->runs++;
	char *v = xstore_read(h, t, "/t/n");
	if (!v)
		return -1;
	uint32_t n;
	assert_int_equal(xstore_parse_uint(v, UINT32_MAX, &n), 0);
	free(v);
	if (b->runs <= b->interfere)
		put(other, "/t/n", "100", 3);
	if (b->fail_errno) {
		errno = b->fail_errno;
		return -1;
	}
	if (b->verdict)
		return b->verdict;
	char s[16];
	snprintf(s, sizeof(s), "%u", n + 1);
	return xs_write(h, t, "/t/n", s, (unsigned)strlen(s)) ? 0 : -1;
}

/* Each row: how the body behaves, what xstore_transact answers, how often
 * the body ran and what /t/n (1 before) holds afterwards. */
static const struct tx_case {
	const char *what;
	struct bump body;
	unsigned max_tries;
	int result, err, runs;
	const char *value;
} tx_cases[] = {
    {"commits at once", {0}, 5, 0, 0, 1, "2"},
    {"redone after two conflicts, from what the other wrote", {.interfere = 2}, 5, 0, 0, 3, "101"},
    {"gives up after max_tries conflicts",
     {.interfere = 100},
     3,
     XSTORE_TX_NOCOMMIT,
     EAGAIN,
     3,
     "100"},
    {"max_tries 0: until it commits", {.interfere = 20}, 0, 0, 0, 21, "101"},
    {"a positive verdict aborts and is returned", {.verdict = 7}, 5, 7, 0, 1, "1"},
    {"a failed operation aborts, errno kept",
     {.fail_errno = EACCES},
     5,
     XSTORE_TX_FAILED,
     EACCES,
     1,
     "1"},
    {"EAGAIN from the body is a conflict: redone",
     {.fail_errno = EAGAIN},
     4,
     XSTORE_TX_NOCOMMIT,
     EAGAIN,
     4,
     "1"},
};

static void test_transactions(void **state)
{
	for (size_t i = 0; i < sizeof(tx_cases) / sizeof(tx_cases[0]); i++) {
		const struct tx_case *tc = &tx_cases[i];
		put(other, "/t/n", "1", 1);
		struct bump b = tc->body;
		errno = 0;
		int r = xstore_transact(xs, tc->max_tries, bump_body, &b);
		int e = errno;
		if (r != tc->result || (tc->err && e != tc->err) || b.runs != tc->runs)
			fail_msg("%s: result %d errno %d after %d runs; want %d, %d, %d", tc->what,
			         r, e, b.runs, tc->result, tc->err, tc->runs);
		assert_value("/t/n", tc->value);
	}
}

/* ---- guarded writes ------------------------------------------------------- */

static void test_write_if_present(void **state)
{
	put(other, "/dev/1/state", "1", 1);
	assert_int_equal(xstore_write_if(xs, "/dev/1/state", "/dev/1/state", "4", 5), 0);
	assert_value("/dev/1/state", "4");
	assert_int_equal(xstore_write_if(xs, "/dev/1/state", "/dev/1/error", "x", 5), 0);
	assert_value("/dev/1/error", "x");
}

static void test_write_if_never_resurrects(void **state)
{
	assert_int_equal(xstore_write_if(xs, "/gone/2/state", "/gone/2/state", "6", 5), 1);
	assert_value("/gone/2/state", NULL);
	assert_value("/gone/2", NULL);
	assert_value("/gone", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_number_one_spelling),
	    cmocka_unit_test(test_number_range),
	    cmocka_unit_test(test_read_refuses_embedded_nul),
	    cmocka_unit_test(test_transactions),
	    cmocka_unit_test(test_write_if_present),
	    cmocka_unit_test(test_write_if_never_resurrects),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
