/*
 * test-log.c - log_limited(): at most `burst` lines per key in a 10 s window,
 * then one "N similar lines suppressed" line when the window ends; keys do
 * not share their budget. The window is ended by moving its start back, not
 * by waiting ten seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "xenchannel/log.h"

static int saved_stderr = -1, capture = -1;

/* stderr goes to a memory file until captured() returns what was written */
static void capture_start(void)
{
	fflush(stderr);
	capture = memfd_create("log", MFD_CLOEXEC);
	assert_true(capture >= 0);
	saved_stderr = dup(2);
	assert_true(dup2(capture, 2) == 2);
}

static const char *captured(void)
{
	static char text[4096];
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	ssize_t n = pread(capture, text, sizeof(text) - 1, 0);
	close(capture);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void end_window(struct log_limit *lim)
{
	lim->window_start_ms -= 10000;
}

static void test_burst_then_silence(void **state)
{
	struct log_limit lim = {0};
	capture_start();
	for (int i = 1; i <= 5; i++)
		log_limited(&lim, 3, LOG_LVL_WARN, "ring of dom%d is bad", i);
	assert_string_equal(captured(), "t: warning: ring of dom1 is bad\n"
	                                "t: warning: ring of dom2 is bad\n"
	                                "t: warning: ring of dom3 is bad\n");
	assert_int_equal(lim.suppressed, 2);
}

static void test_window_end_reports_suppressed(void **state)
{
	struct log_limit lim = {0};
	capture_start();
	for (int i = 0; i < 4; i++)
		log_limited(&lim, 1, LOG_LVL_ERR, "storm %d", i);
	end_window(&lim);
	log_limited(&lim, 1, LOG_LVL_ERR, "storm again");
	log_limited(&lim, 1, LOG_LVL_ERR, "storm once more");
	assert_string_equal(captured(), "t: error: storm 0\n"
	                                "t: error: 3 similar lines suppressed\n"
	                                "t: error: storm again\n");
	/* a window with nothing held back ends without a word */
	struct log_limit calm = {0};
	capture_start();
	log_limited(&calm, 1, LOG_LVL_ERR, "one");
	end_window(&calm);
	log_limited(&calm, 1, LOG_LVL_ERR, "two");
	assert_string_equal(captured(), "t: error: one\nt: error: two\n");
}

static void test_keys_have_their_own_budget(void **state)
{
	struct log_limit a = {0}, b = {0};
	capture_start();
	log_limited(&a, 1, LOG_LVL_INFO, "a1");
	log_limited(&a, 1, LOG_LVL_INFO, "a2");
	log_limited(&b, 1, LOG_LVL_INFO, "b1");
	assert_string_equal(captured(), "t: a1\nt: b1\n");
}

static void test_level_filter_applies(void **state)
{
	struct log_limit lim = {0};
	log_set_level(LOG_LVL_WARN);
	capture_start();
	log_limited(&lim, 5, LOG_LVL_DEBUG, "debug detail");
	log_limited(&lim, 5, LOG_LVL_WARN, "shown");
	const char *text = captured();
	log_set_level(LOG_LVL_INFO);
	assert_string_equal(text, "t: warning: shown\n");
}

int main(void)
{
	log_init("t");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_silence),
	    cmocka_unit_test(test_window_end_reports_suppressed),
	    cmocka_unit_test(test_keys_have_their_own_budget),
	    cmocka_unit_test(test_level_filter_applies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
