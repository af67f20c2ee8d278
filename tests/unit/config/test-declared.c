/*
 * test-declared.c - declarations (config.h, cfg_decl_*): devids given, kept
 * and derived, the same file giving the same devids, a declaration written
 * and read back unchanged, and the byte span of each setting (what
 * `xenchannel create` cuts out of a config).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xenchannel/config.h"

static int decl(const char *text, struct cfg_domain *out, struct cfg_diag *d)
{
	cfg_diag_init(d);
	return cfg_decl_parse("d.cfg", "web1", text, strlen(text), NULL, out, d);
}

static void test_devids(void **state)
{
	struct cfg_domain dom;
	struct cfg_diag d;
	/* index + 1 unless given elsewhere, then the lowest free */
	assert_int_equal(decl("channel = [ \"name=org.example.a.0,connection=pty\",\n"
	                      "  \"name=org.example.b.0,connection=pty,devid=1\",\n"
	                      "  \"name=org.example.c.0,connection=pty\" ]\n",
	                      &dom, &d),
	                 0);
	assert_string_equal(dom.name, "web1");
	assert_int_equal(dom.nchannels, 3);
	assert_int_equal(dom.channels[0].devid, 2);
	assert_int_equal(dom.channels[1].devid, 1);
	assert_int_equal(dom.channels[2].devid, 3);
	assert_int_equal(cfg_decl_free_devid(&dom, 2), 4);
	assert_int_equal(cfg_decl_free_devid(&dom, 7), 7);

	/* written out with every devid, read back the same */
	char *text = cfg_decl_format(&dom);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"name=org.example.a.0,connection=pty,devid=2\""));
	struct cfg_domain back;
	struct cfg_diag d2;
	assert_int_equal(decl(text, &back, &d2), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(back.channels[i].name, dom.channels[i].name);
		assert_int_equal(back.channels[i].devid, dom.channels[i].devid);
		assert_true(back.channels[i].devid_set);
	}
	free(text);
	cfg_domain_clear(&back);
	cfg_domain_clear(&dom);
	cfg_diag_free(&d);
	cfg_diag_free(&d2);
}

static void test_bad_devids(void **state)
{
	struct cfg_domain dom;
	struct cfg_diag d;
	assert_int_equal(
	    decl("channel = [ \"name=org.example.a.0,connection=pty,devid=0\" ]\n", &dom, &d), -1);
	assert_string_equal(d.msgs[0].text,
	                    "d.cfg:1:56: channel[0]: devid `0' is not one of 1-9 (0 is the primary "
	                    "console; Linux reads only the last digit of device/console/N)");
	cfg_diag_free(&d);
	assert_int_equal(
	    decl("channel = [ \"name=org.example.a.0,connection=pty,devid=10\" ]\n", &dom, &d), -1);
	cfg_diag_free(&d);
	/* an xl config (not a declaration) only warns about devid= */
	struct cfg_channel ch;
	cfg_diag_init(&d);
	assert_int_equal(cfg_channel_parse("name=org.example.a.0,connection=pty,devid=3", NULL, 0,
	                                   NULL, 0, &ch, &d),
	                 0);
	assert_int_equal(ch.devid, 1);
	assert_false(ch.devid_set);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);
	cfg_channel_clear(&ch);
	cfg_diag_free(&d);
}

static void test_names(void **state)
{
	assert_null(cfg_decl_name_check("web-1.example_a"));
	assert_non_null(cfg_decl_name_check(""));
	assert_non_null(cfg_decl_name_check("123"));
	assert_non_null(cfg_decl_name_check(".hidden"));
	assert_non_null(cfg_decl_name_check("a/b"));
	char buf[80];
	assert_int_equal(cfg_decl_file_domain("web1.cfg", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "web1");
	assert_int_equal(cfg_decl_file_domain(".web1.cfg.XXXXXX", buf, sizeof(buf)), -1);
	assert_int_equal(cfg_decl_file_domain("web1.cfg~", buf, sizeof(buf)), -1);
	assert_int_equal(cfg_decl_file_domain(".cfg", buf, sizeof(buf)), -1);
}

static void test_setting_spans(void **state)
{
	const char *text = "name = \"a\"; channel = [ \"x\",\n  \"y\" ] # c\nmemory = 5\n";
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_file *f;
	assert_int_equal(cfg_parse("t.cfg", text, strlen(text), &f, &d), 0);
	assert_int_equal(f->n, 3);
	const char *want[] = {"name = \"a\"", "channel = [ \"x\",\n  \"y\" ]", "memory = 5"};
	for (size_t i = 0; i < 3; i++) {
		const struct cfg_setting *s = &f->settings[i];
		assert_int_equal(s->end - s->start, strlen(want[i]));
		assert_memory_equal(text + s->start, want[i], strlen(want[i]));
	}
	cfg_file_free(f);
	cfg_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_devids),
	    cmocka_unit_test(test_bad_devids),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_setting_spans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
