/*
 * test-escape.c - esc_text: what an untrusted string looks like once it may
 * be shown (printable ASCII as is, every other byte \xNN, bounded by "...").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xenchannel/escape.h"

static const char *esc(const char *s, size_t len, size_t max, unsigned flags)
{
	static char buf[128];
	return esc_text(buf, sizeof(buf), s, len, max, flags);
}

static void test_printable_kept(void **state)
{
	assert_string_equal(esc("org.example.a-0 ~!", 18, 0, 0), "org.example.a-0 ~!");
}

static void test_other_bytes_hex(void **state)
{
	assert_string_equal(esc("a\tb\n\x7f\x80\xff", 7, 0, 0), "a\\x09b\\x0a\\x7f\\x80\\xff");
	assert_string_equal(esc("\x1b[2J", 4, 0, 0), "\\x1b[2J"); /* no terminal escapes */
}

static void test_embedded_nul_shown(void **state)
{
	assert_string_equal(esc("a\0b", 3, 0, 0), "a\\x00b");
}

static void test_backslash_on_request(void **state)
{
	assert_string_equal(esc("a\\x41", 5, 0, 0), "a\\x41");
	assert_string_equal(esc("a\\x41", 5, 0, ESC_BACKSLASH), "a\\x5cx41");
}

static void test_input_limit(void **state)
{
	assert_string_equal(esc("abcdef", 6, 4, 0), "abcd...");
	assert_string_equal(esc("abcd", 4, 4, 0), "abcd"); /* exactly max: nothing cut */
	assert_string_equal(esc("\x01\x02\x03", 3, 2, 0), "\\x01\\x02...");
}

static void test_buffer_limit(void **state)
{
	/* room for "...\0" is kept after the widest escape: a 21-byte buffer
	 * holds 13 bytes of text and the mark */
	char buf[21];
	assert_string_equal(esc_text(buf, sizeof(buf), "abcdefghijklmnopqrstuvwxyz", 26, 0, 0),
	                    "abcdefghijklm...");
	assert_string_equal(esc_text(buf, sizeof(buf), "abcdefghijkl", 12, 0, 0), "abcdefghijkl");
	char tiny[12];
	assert_string_equal(esc_text(tiny, sizeof(tiny), "\xff\xff\xff\xff", 4, 0, 0), "\\xff...");
	for (size_t size = 12; size < 40; size++) {
		char b[40];
		memset(b, 'X', sizeof(b));
		esc_text(b, size, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b", 11, 0, 0);
		assert_true(strlen(b) < size);
	}
}

static void test_degenerate(void **state)
{
	char buf[11] = "unchanged";
	assert_string_equal(esc_text(buf, sizeof(buf), "abc", 3, 0, 0), "");
	assert_string_equal(esc(NULL, 0, 0, 0), "");
	assert_string_equal(esc("", 0, 0, ESC_BACKSLASH), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_printable_kept),     cmocka_unit_test(test_other_bytes_hex),
	    cmocka_unit_test(test_embedded_nul_shown), cmocka_unit_test(test_backslash_on_request),
	    cmocka_unit_test(test_input_limit),        cmocka_unit_test(test_buffer_limit),
	    cmocka_unit_test(test_degenerate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
