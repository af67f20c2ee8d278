/*
 * test-xlu-diff.c - our xl.cfg grammar against the real one: every corpus
 * file and a list of edge cases are parsed by Xen's own libxlutil (the
 * library xl uses) and by cfg_parse(), and must agree:
 *  - what xl rejects we reject;
 *  - what xl accepts we accept, with the same value for every key (lists
 *    compared item by item, nested lists too), except the few inputs
 *    listed in `stricter' where xl silently reads something other than
 *    what is written and we refuse instead.
 *
 * usage: test-config-xlu-diff CORPUS_DIR
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxlutil.h>

#include "xenchannel/config.h"

/* Inputs xl accepts although they do not mean what they say. */
static const struct {
	const char *needle; /* a substring of the input */
	const char *why;
} stricter[] = {
    {"\\101", "xl drops octal escapes: \"a\\101b\" reads as \"ab\""},
    {"= 512M", "at the end of the file xl reads 512M as 512"},
    {"k.x", "xl ignores `k.x = 1' without an error"},
    {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "our resource limit: lists nest at most 32 deep"},
};

static const char *snippets[] = {
    "k = \"a\"\n",
    "k = 'a'\n",
    "K = \"a\"\n",
    "k_A = \"a\"\n",
    "_k = \"a\"\n",
    "k9_x = \"a\"\n",
    "k = \"a\" # c",
    "k = \"a\" # c\n",
    "# only a comment",
    "# only a comment\n",
    "k = 512M",
    "k = 512M\n",
    "k = \"a\\x41b\"\n",
    "k = \"a\\101b\"\n",
    "k = \"a\\12b\"\n",
    "k = \"\\0\"\n",
    "k = \"\\q\"\n",
    "k = \"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\'\"\n",
    "k = 'it\\'s'\n",
    "k = \"a\"\r\n",
    "k = \"a\"; k += \"b\"\n",
    "k = [\"a\"]; k += [\"b\", [\"c\"]]\n",
    "k = \"a\"; k += [\"b\"]\n",
    "k = [\"a\"]; k += []\n", /* an empty list appended: it has no items array */
    "k = []; k += []\n",
    "k += \"first\"\n",
    "k.x = 1",
    "k = (1)\n",
    "k = 1 2\n",
    "k = \"a\" \"b\"\n",
    "k = [ , \"x\" ]\n",
    "k = []\n",
    "k = [ \"a\"\n\n, \"b\" ,\n ]\n",
    "k = [[1], [[2, \"x\"]], []]\n",
    "k\n= \"a\"\n",
    "k = \n\"a\"\n",
    "k = \"x\";;\n",
    "k = \"x\"\tj = \"y\"\n",
    "k = \"x\"; j = \"y\"\n",
    "k = \"\xe9t\xe9\"\n",
    "k = 0x1f\n",
    "k = 1e5\n",
    "k = 007\n",
    "k = \"x\"\nk = \"y\"\n",
    "k = [\"a\"]\nk = \"s\"\n",
    "k = \"unterminated\n",
    "k = [ \"a\", \n",
    "k = \"a\"\n\n\n",
    "\n\n;\n",
    "",
    "k = -1\n",
    "k = \"a\" ]\n",
    "k = [ \"a\" ] ]\n",
    "k = = \"a\"\n",
    "k = \"\t\"\n",
};

static const char *stricter_reason(const char *text)
{
	for (size_t i = 0; i < sizeof(stricter) / sizeof(stricter[0]); i++)
		if (strstr(text, stricter[i].needle))
			return stricter[i].why;
	return NULL;
}

static void compare_value(XLU_Config *xc, XLU_ConfigValue *xv, const struct cfg_value *v,
                          const char *where)
{
	if (v->type == CFG_STRING) {
		char *s = NULL;
		if (xlu_cfg_value_type(xv) != XLU_STRING || xlu_cfg_value_get_string(xc, xv, &s, 1))
			fail_msg("%s: xl has a list, we have the string `%s'", where, v->str);
		if (strcmp(s, v->str))
			fail_msg("%s: xl reads `%s', we read `%s'", where, s, v->str);
		return;
	}
	XLU_ConfigList *l = NULL;
	if (xlu_cfg_value_type(xv) != XLU_LIST || xlu_cfg_value_get_list(xc, xv, &l, 1))
		fail_msg("%s: xl has a string, we have a list", where);
	size_t n = 0;
	while (xlu_cfg_get_listitem2(l, (int)n))
		n++;
	if (n != v->nitems)
		fail_msg("%s: xl has %zu items, we have %zu", where, n, v->nitems);
	for (size_t i = 0; i < n; i++) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s[%zu]", where, i);
		compare_value(xc, xlu_cfg_get_listitem2(l, (int)i), v->items[i], sub);
	}
}

/* Is key's top-level value, as xl sees it, equal to ours? */
static void compare_key(XLU_Config *xc, const struct cfg_setting *s, const char *label)
{
	char where[300];
	snprintf(where, sizeof(where), "%s: %s", label, s->key);
	if (s->value->type == CFG_STRING) {
		const char *xs = NULL;
		if (xlu_cfg_get_string(xc, s->key, &xs, 1))
			fail_msg("%s: xl has no string value", where);
		if (strcmp(xs, s->value->str))
			fail_msg("%s: xl reads `%s', we read `%s'", where, xs, s->value->str);
		return;
	}
	XLU_ConfigList *l = NULL;
	int n = 0;
	if (xlu_cfg_get_list(xc, s->key, &l, &n, 1))
		fail_msg("%s: xl has no list value", where);
	if ((size_t)n != s->value->nitems)
		fail_msg("%s: xl has %d items, we have %zu", where, n, s->value->nitems);
	for (int i = 0; i < n; i++) {
		char sub[320];
		snprintf(sub, sizeof(sub), "%s[%d]", where, i);
		compare_value(xc, xlu_cfg_get_listitem2(l, i), s->value->items[i], sub);
	}
}

static void diff_one(const char *label, const char *text, size_t len)
{
	FILE *quiet = fopen("/dev/null", "w");
	assert_non_null(quiet);
	XLU_Config *xc = xlu_cfg_init(quiet, "xl");
	assert_non_null(xc);
	int xl_ok = xlu_cfg_readdata(xc, text, (int)len) == 0;

	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_file *f = NULL;
	int ours_ok = cfg_parse("ours", text, len, &f, &d) == 0;

	if (ours_ok && !xl_ok)
		fail_msg("%s: we accept what xl rejects", label);
	if (!ours_ok && xl_ok && !stricter_reason(text)) {
		char first[400] = "";
		if (d.n)
			snprintf(first, sizeof(first), "%s", d.msgs[0].text);
		fail_msg("%s: xl accepts, we reject: %s", label, first);
	}
	if (ours_ok && xl_ok)
		for (size_t i = 0; i < f->n; i++)
			if (cfg_get(f, f->settings[i].key) == &f->settings[i])
				compare_key(xc, &f->settings[i], label);
	cfg_file_free(f);
	cfg_diag_free(&d);
	xlu_cfg_destroy(xc);
	fclose(quiet);
}

static void test_snippets(void **state)
{
	for (size_t i = 0; i < sizeof(snippets) / sizeof(snippets[0]); i++) {
		char label[64];
		snprintf(label, sizeof(label), "snippet %zu", i);
		diff_one(label, snippets[i], strlen(snippets[i]));
	}
}

static const char *corpus_dir;

static void diff_dir(const char *sub)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/%s", corpus_dir, sub);
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	struct dirent *e;
	unsigned n = 0;
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".cfg"))
			continue;
		char path[1400];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *fp = fopen(path, "rb");
		assert_non_null(fp);
		static char buf[1 << 16];
		size_t len = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[len] = 0;
		diff_one(path, buf, len);
		n++;
	}
	closedir(dp);
	assert_true(n >= 10);
}

static void test_corpus_valid(void **state)
{
	diff_dir("valid");
}

static void test_corpus_invalid(void **state)
{
	diff_dir("invalid");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	corpus_dir = argv[1];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_snippets),
	    cmocka_unit_test(test_corpus_valid),
	    cmocka_unit_test(test_corpus_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
