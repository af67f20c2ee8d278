/*
 * test-config.c - the config API beyond the corpus: xl's splitting rules,
 * columns through escapes, naming rules, the registry format, limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "xenchannel/config.h"

static struct cfg_file *parse_ok(const char *text)
{
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_file *f = NULL;
	int rc = cfg_parse("t.cfg", text, strlen(text), &f, &d);
	if (rc)
		cfg_diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	assert_non_null(f);
	cfg_diag_free(&d);
	return f;
}

/* Parse text expecting failure; returns the first message (static). */
static const char *parse_err(const char *text, size_t len)
{
	static char first[512];
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_file *f = (struct cfg_file *)1;
	assert_int_equal(cfg_parse("t.cfg", text, len, &f, &d), -1);
	assert_null(f);
	assert_true(d.nerrors > 0);
	snprintf(first, sizeof(first), "%s", d.msgs[0].text);
	cfg_diag_free(&d);
	return first;
}

static void test_last_setting_wins(void **state)
{
	struct cfg_file *f = parse_ok("name = \"a\"\nmemory = 1\nname = \"b\"\n");
	assert_int_equal(f->n, 3);
	const struct cfg_setting *s = cfg_get(f, "name");
	assert_non_null(s);
	assert_string_equal(s->value->str, "b");
	assert_int_equal(s->loc.line, 3);
	assert_null(cfg_get(f, "vcpus"));
	cfg_file_free(f);
}

static void test_numbers_are_text(void **state)
{
	struct cfg_file *f = parse_ok("a = 0x1f\nb = 007\n");
	assert_string_equal(cfg_get(f, "a")->value->str, "0x1f");
	assert_false(cfg_get(f, "a")->value->quoted);
	assert_string_equal(cfg_get(f, "b")->value->str, "007");
	cfg_file_free(f);
}

static void test_list_forms(void **state)
{
	struct cfg_file *f = parse_ok("l = [\n\n 'a' ,\n\n \"b\",\n]\ne = []\nn = [[], [[1]],]\n");
	const struct cfg_value *l = cfg_get(f, "l")->value;
	assert_int_equal(l->type, CFG_LIST);
	assert_int_equal(l->nitems, 2);
	assert_string_equal(l->items[1]->str, "b");
	assert_int_equal(l->items[1]->loc.line, 5);
	assert_int_equal(cfg_get(f, "e")->value->nitems, 0);
	const struct cfg_value *n = cfg_get(f, "n")->value;
	assert_int_equal(n->nitems, 2);
	assert_int_equal(n->items[1]->items[0]->items[0]->str[0], '1');
	cfg_file_free(f);
}

static void test_embedded_nul(void **state)
{
	static const char in_string[] = "name = \"a\0b\"\n";
	assert_non_null(strstr(parse_err(in_string, sizeof(in_string) - 1), "NUL byte"));
	static const char outside[] = "name = \"a\"\0\n";
	assert_non_null(strstr(parse_err(outside, sizeof(outside) - 1), "byte 0x00"));
}

static void test_too_large(void **state)
{
	size_t n = (4u << 20) + 1;
	char *big = malloc(n);
	memset(big, '\n', n);
	assert_non_null(strstr(parse_err(big, n), "file too large"));
	free(big);
}

static void test_missing_file(void **state)
{
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_file *f;
	assert_int_equal(cfg_parse_file("/nonexistent/vm.cfg", &f, &d), -1);
	assert_null(f);
	assert_string_equal(d.msgs[0].text,
	                    "/nonexistent/vm.cfg: cannot open: No such file or directory");
	cfg_diag_free(&d);
}

/* The column of a spec error counts source bytes, escapes included. */
static void test_columns_through_escapes(void **state)
{
	const char *text =
	    "name = \"x\"\nchannel = [ \"name=org.example.a.0,\\tconnection=tcp\" ]\n";
	struct cfg_file *f = parse_ok(text);
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_domain dom;
	assert_int_equal(cfg_domain_from_file(f, NULL, &dom, &d), -1);
	/* `tcp' starts at column 48: "\t" is two bytes in the file */
	assert_string_equal(d.msgs[0].text,
	                    "t.cfg:2:48: channel[0]: unknown channel connection 'tcp' (expected "
	                    "`pty' or `socket')");
	cfg_diag_free(&d);
	cfg_file_free(f);
}

static void test_spec_split_like_xl(void **state)
{
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_channel c;
	assert_int_equal(
	    cfg_channel_parse(" name =org.example.a.0,,, connection= socket ,path=\t/x/y.sock \n",
	                      NULL, 0, NULL, 4, &c, &d),
	    0);
	assert_int_equal(d.n, 0);
	assert_string_equal(c.name, "org.example.a.0");
	assert_int_equal(c.connection, CFG_CONN_SOCKET);
	assert_string_equal(c.path, "/x/y.sock");
	assert_null(c.backend);
	assert_int_equal(c.index, 4);
	assert_int_equal(c.devid, 5);
	cfg_channel_clear(&c);

	/* no source: messages start with the channel */
	assert_int_equal(
	    cfg_channel_parse("name=org.example.a.0,connection=socket", NULL, 0, NULL, 3, &c, &d),
	    -1);
	assert_string_equal(d.msgs[0].text, "channel[3]: connection=socket needs path=");
	assert_null(c.name); /* nothing half-built */
	cfg_diag_free(&d);
}

static void test_pty_drops_path(void **state)
{
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_channel c;
	assert_int_equal(cfg_channel_parse("name=org.example.a.0,connection=pty,path=/p", "s", 1,
	                                   NULL, 0, &c, &d),
	                 0);
	assert_null(c.path);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.msgs[0].severity, CFG_WARNING);
	assert_string_equal(d.msgs[0].text,
	                    "s:1:42: warning: channel[0]: path= is ignored for connection=pty");
	cfg_channel_clear(&c);
	cfg_diag_free(&d);
}

static void test_name_rules(void **state)
{
	static const char *good[] = {
	    "org.xenproject.guest.clipboard.0.1",
	    "org.example.agent.0",
	    "com.Example.My_App",
	    "io.x-y.z",
	    "org.example.a-b.c_d.9",
	};
	static const char *bad[] = {
	    "",
	    "agent",
	    "example.agent",
	    "1org.example.a",
	    "o.example.a",
	    "org..example",
	    ".org.example.a",
	    "org.example.a.",
	    "org.-ex.a",
	    "org.ex-.a",
	    "org.example.a b",
	    "org.example.a/b",
	    "org.example.a,b",
	    "org.example.a=b",
	    "org.example.\"a\"",
	    "org.example.\xc3\xa9t\xc3\xa9",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (cfg_name_check(good[i]))
			fail_msg("`%s' rejected: %s", good[i], cfg_name_check(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!cfg_name_check(bad[i]))
			fail_msg("`%s' accepted", bad[i]);
	char longname[200] = "org.example.";
	memset(longname + 12, 'a', 63);
	strcat(longname, ".");
	memset(longname + strlen(longname), 'b', 53); /* 129 in all */
	longname[129] = 0;
	assert_int_equal(strlen(longname), 129);
	assert_non_null(cfg_name_check(longname));
	longname[128] = 0;
	assert_null(cfg_name_check(longname));
	char label64[100] = "org.";
	memset(label64 + 4, 'a', 64);
	strcpy(label64 + 68, ".x");
	assert_non_null(cfg_name_check(label64));
}

static void test_registry_format(void **state)
{
	const char *text = "# comment\n\nN: org.example.one.0\nC: Someone <s@example.org>\n"
	                   "D: first line\n   second line\n\nN: org.example.two.0\n";
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_registry *r;
	assert_int_equal(cfg_registry_parse("reg", text, strlen(text), &r, &d), 0);
	assert_int_equal(r->n, 2);
	assert_string_equal(r->entries[0].description, "first line second line");
	assert_string_equal(r->entries[0].contact, "Someone <s@example.org>");
	assert_null(r->entries[1].contact);
	assert_non_null(cfg_registry_find(r, "org.example.two.0"));
	assert_null(cfg_registry_find(r, "org.example.Two.0"));
	assert_string_equal(cfg_registry_clash(r, "org.example.Two.0")->name, "org.example.two.0");
	assert_null(cfg_registry_clash(r, "org.example.two.0"));
	cfg_registry_free(r);

	const char *bad = "C: nobody\nN: bad\nX: what\nN: org.example.a.0\nN: ORG.example.a.0\n";
	assert_int_equal(cfg_registry_parse("reg", bad, strlen(bad), &r, &d), -1);
	assert_null(r);
	assert_int_equal(d.nerrors, 4);
	assert_string_equal(d.msgs[0].text, "reg:1:1: `C:' before any `N: name' line");
	assert_non_null(strstr(d.msgs[1].text, "reg:2:4: registered name `bad'"));
	assert_string_equal(d.msgs[2].text,
	                    "reg:3:1: expected `N: name', `C: contact' or `D: text'");
	assert_non_null(strstr(d.msgs[3].text, "already registered on line 4"));
	cfg_diag_free(&d);

	/* n copies of a name: n-1 messages, each against the first (a fuzzed
	 * 3 KB registry once gave ~10^5 messages and 100 MB) */
	enum { COPIES = 2000 };
	static char many[COPIES * 16];
	size_t len = 0;
	for (int i = 0; i < COPIES; i++)
		len += (size_t)sprintf(many + len, "N: org.a.b.0\n");
	assert_int_equal(cfg_registry_parse("reg", many, len, &r, &d), -1);
	assert_int_equal(d.nerrors, COPIES - 1);
	assert_string_equal(d.msgs[COPIES - 2].text,
	                    "reg:2000:4: `org.a.b.0' is already registered on line 1");
	cfg_diag_free(&d);
}

static void test_json_without_registry(void **state)
{
	struct cfg_file *f =
	    parse_ok("name='j'\nchannel=['name=org.example.j.0,connection=pty,backend=3']\n");
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_domain dom;
	assert_int_equal(cfg_domain_from_file(f, NULL, &dom, &d), 0);
	char *s = cfg_domain_to_json(&dom, NULL);
	assert_non_null(s);
	assert_null(strstr(s, "registered"));
	assert_non_null(strstr(s, "\"backend\": \"3\""));
	free(s);
	cfg_domain_clear(&dom);
	cfg_diag_free(&d);
	cfg_file_free(f);
}

/* Text that is not UTF-8 still gives valid JSON, escaped. */
static void test_json_escapes_bytes(void **state)
{
	struct cfg_file *f =
	    parse_ok("name='caf\xe9'\nchannel=['name=org.example.j.0,connection=socket,"
	             "path=/run/\xff.sock']\n");
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_domain dom;
	assert_int_equal(cfg_domain_from_file(f, NULL, &dom, &d), 0);
	char *s = cfg_domain_to_json(&dom, NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"name\": \"caf\\\\xe9\""));
	assert_non_null(strstr(s, "\"path\": \"/run/\\\\xff.sock\""));
	free(s);
	cfg_domain_clear(&dom);
	cfg_diag_free(&d);
	cfg_file_free(f);
}

/* A key one edit away from an xl key gets a warning where it is; other
 * unknown keys, and keys xl knows, do not. */
static void test_near_miss_keys(void **state)
{
	const char *text = "name = \"a\"\nchannels = []\n  vcpu = 2\nchanel = []\n"
	                   "my_own_key = 1\nchannels = []\nmemory = 1\nvif = []\n";
	struct cfg_file *f = parse_ok(text);
	struct cfg_diag d;
	cfg_diag_init(&d);
	cfg_check_keys(f, &d);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 3); /* channels once, vcpu, chanel */
	assert_string_equal(d.msgs[0].text, "t.cfg:2:1: warning: unknown key 'channels': did you "
	                                    "mean 'channel'? (xl ignores it)");
	assert_string_equal(d.msgs[1].text, "t.cfg:3:3: warning: unknown key 'vcpu': did you mean "
	                                    "'vcpus'? (xl ignores it)");
	assert_non_null(strstr(d.msgs[2].text, "t.cfg:4:1: warning: unknown key 'chanel'"));
	cfg_diag_free(&d);
	cfg_file_free(f);
}

/* cfg_parse_keep hands out what parsed around a syntax error. */
static void test_parse_keep(void **state)
{
	const char *text = "name = \"a\"\nmemory = 1 2\nchannel = [ \"x\" ]\n";
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_file *f = NULL;
	assert_int_equal(cfg_parse_keep("t.cfg", text, strlen(text), &f, &d), -1);
	assert_non_null(f);
	assert_int_equal(f->n, 2);
	assert_non_null(cfg_get(f, "name"));
	assert_non_null(cfg_get(f, "channel"));
	assert_null(cfg_get(f, "memory"));
	assert_int_equal(d.nerrors, 1);
	cfg_file_free(f);
	cfg_diag_free(&d);
}

/* Messages as JSON objects: file, line, column where the text has them. */
static void test_diag_json(void **state)
{
	struct cfg_diag d;
	cfg_diag_init(&d);
	cfg_diag_add(&d, CFG_ERROR, "a:b.cfg:3:14: bad: thing");
	cfg_diag_add(&d, CFG_ERROR, "reg:7: NUL byte");
	cfg_diag_add(&d, CFG_ERROR, "vm.cfg: no name= setting");
	cfg_diag_add(&d, CFG_WARNING, "vm.cfg:1:2: warning: unknown key 'x'");
	cfg_diag_add(&d, CFG_ERROR, "f:1:1: \xff not text");
	json_t *e = cfg_diag_json(&d, CFG_ERROR), *w = cfg_diag_json(&d, CFG_WARNING);
	char *es = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
	char *ws = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(es, "[{\"column\":14,\"file\":\"a:b.cfg\",\"line\":3,\"message\":"
	                        "\"bad: thing\"},{\"file\":\"reg\",\"line\":7,\"message\":\"NUL "
	                        "byte\"},{\"file\":\"vm.cfg\",\"message\":\"no name= setting\"},"
	                        "{\"column\":1,\"file\":\"f\",\"line\":1,\"message\":\"\\\\xff "
	                        "not text\"}]");
	assert_string_equal(ws, "[{\"column\":2,\"file\":\"vm.cfg\",\"line\":1,\"message\":"
	                        "\"unknown key 'x'\"}]");
	free(es);
	free(ws);
	json_decref(e);
	json_decref(w);
	cfg_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_last_setting_wins),
	    cmocka_unit_test(test_numbers_are_text),
	    cmocka_unit_test(test_list_forms),
	    cmocka_unit_test(test_embedded_nul),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_columns_through_escapes),
	    cmocka_unit_test(test_spec_split_like_xl),
	    cmocka_unit_test(test_pty_drops_path),
	    cmocka_unit_test(test_name_rules),
	    cmocka_unit_test(test_registry_format),
	    cmocka_unit_test(test_near_miss_keys),
	    cmocka_unit_test(test_parse_keep),
	    cmocka_unit_test(test_diag_json),
	    cmocka_unit_test(test_json_without_registry),
	    cmocka_unit_test(test_json_escapes_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
