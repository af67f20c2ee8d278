/* test-provision-yaml.c - YAML provisioning documents become the JSON text
 * the CLI sends; every refusal names line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* Convert text (length given, so NULs can be in it); want is the JSON text,
 * or NULL when the conversion must fail with the message want_err. */
static void check_n(const char *text, size_t len, const char *want, const char *want_err)
{
	char err[300] = "";
	char *js = cli_yaml_to_json(text, len, err, sizeof(err));
	if (want) {
		if (!js)
			fail_msg("refused: %s\n%s", err, text);
		assert_string_equal(js, want);
	} else {
		if (js)
			fail_msg("accepted: %s\n%s", js, text);
		assert_string_equal(err, want_err);
	}
	free(js);
}

static void check(const char *text, const char *want, const char *want_err)
{
	check_n(text, strlen(text), want, want_err);
}

static void scalars_follow_the_documented_rules(void **state)
{
	check("generation: 2\nhostname: web1\nmtu: -0\nneg: -12\nplus: +7\n"
	      "perm: 0644\nbig: 1234567890123456789\nf: 1.5\nt: true\nn: ~\nz: null\ne:\n"
	      "q: '12'\nqq: \"true\"\n",
	      "{\"generation\":2,\"hostname\":\"web1\",\"mtu\":0,\"neg\":-12,\"plus\":7,"
	      "\"perm\":\"0644\",\"big\":\"1234567890123456789\",\"f\":\"1.5\",\"t\":true,"
	      "\"n\":null,\"z\":null,\"e\":null,\"q\":\"12\",\"qq\":\"true\"}",
	      NULL);
	check("write_files:\n  - path: /etc/motd\n    content: |\n      hi\n      there\n",
	      "{\"write_files\":[{\"path\":\"/etc/motd\",\"content\":\"hi\\nthere\\n\"}]}", NULL);
	check("a: &x [1, two]\nb: *x\n", "{\"a\":[1,\"two\"],\"b\":[1,\"two\"]}", NULL);
	check("---\nk: v\n...\n", "{\"k\":\"v\"}", NULL);
}

static void refusals_name_line_and_column(void **state)
{
	check("generation: 3\nhostname: [unclosed\n", NULL,
	      "line 3 column 1: did not find expected ',' or ']'");
	check("generation: 1\ngeneration: 2\n", NULL, "line 2 column 1: duplicate key generation");
	check("? [complex, key]\n: value\n", NULL, "line 1 column 3: a key must be a scalar");
	check("a:\n  b:\n    c: [x, {d: e}, &y [f]]\n  g: *y\n  h: [*y, {i: [[[j]]]}]\n",
	      "{\"a\":{\"b\":{\"c\":[\"x\",{\"d\":\"e\"},[\"f\"]]},\"g\":[\"f\"],\"h\":[[\"f\"],"
	      "{\"i\":[[[\"j\"]]]}]}}",
	      NULL);
	char deep[300];
	size_t n = 0;
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "a: ");
	for (int i = 0; i < 70; i++)
		deep[n++] = '[';
	for (int i = 0; i < 70; i++)
		deep[n++] = ']';
	deep[n] = 0;
	check(deep, NULL, "line 1 column 68: nested more than 64 deep");
}

/* Each of these was found by tests/fuzz/provision-yaml (see regressions/). */
static void empty_input_says_where(void **state)
{
	check("", NULL, "line 1 column 1: empty document");
	check("# only a comment\n", NULL, "line 1 column 1: empty document");
}

static void a_document_is_a_mapping(void **state)
{
	/* Used to fail with no message at all (the CLI printed stack garbage). */
	check("just words\n", NULL,
	      "line 1 column 1: the document must be a mapping (key: value lines)");
	check("- a\n- b\n", NULL,
	      "line 1 column 1: the document must be a mapping (key: value lines)");
}

static void one_document_per_file(void **state)
{
	/* The second document used to be dropped, broken or not. */
	check("generation: 1\n---\nhostname: two\n", NULL,
	      "line 2 column 1: a second document (one per file)");
	check("generation: 1\n---\n[unclosed\n", NULL,
	      "line 4 column 1: did not find expected ',' or ']'");
}

static void nul_cannot_be_sent(void **state)
{
	/* A "\0" escape used to become JSON that the CLI (and agent) refuse. */
	check("hostname: \"a\\0b\"\n", NULL,
	      "line 1 column 11: a NUL character (\\0) cannot be sent");
	check("\"a\\0b\": 1\n", NULL, "line 1 column 1: a NUL character (\\0) cannot be sent");
	/* Reader errors used to say line 1 column 1 wherever they were. */
	check_n("k: v\n\nj: v\0w\n", 12, NULL,
	        "line 3 column 5: control characters are not allowed");
	check("k: \xff\n", NULL, "line 1 column 4: invalid leading UTF-8 octet");
}

static void aliases_cannot_expand_without_bound(void **state)
{
	/* Nine levels of nine aliases: 9^9 nodes from a few hundred bytes. */
	char doc[2048];
	size_t n = (size_t)snprintf(doc, sizeof(doc),
	                            "l0: &l0 [lol, lol, lol, lol, lol, lol, "
	                            "lol, lol, lol]\n");
	for (int i = 1; i < 10; i++) {
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "l%d: &l%d [", i, i);
		for (int j = 0; j < 9; j++)
			n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s*l%d", j ? ", " : "",
			                      i - 1);
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "]\n");
	}
	char err[300] = "";
	char *js = cli_yaml_to_json(doc, n, err, sizeof(err));
	assert_null(js);
	assert_non_null(strstr(err, "the document grows beyond 262144 bytes as JSON (aliases?)"));
	assert_int_equal(strncmp(err, "line ", 5), 0);
}

/* cloud-init's files: YAML 1.1 scalars as PyYAML reads them, an empty file
 * is {}, and every key path has its place. */
static void cloud_init_files_read_as_cloud_init_does(void **state)
{
	const char *text = "#cloud-config\nperm: 0644\nhex: 0x1f\nbig: 1_000\nneg: -12\n"
	                   "f: 1.5\ny: yes\nN: Off\nt: True\nn: Null\ne:\ns: '0644'\nv: 1.2.3\n"
	                   "users:\n  - name: ops\n    keys: [a, b]\n";
	struct cli_yaml_opts o = {.yaml11 = 1, .allow_empty = 1, .marks = json_object()};
	char err[300];
	json_t *j = cli_yaml_load(text, strlen(text), &o, err, sizeof(err));
	assert_non_null(j);
	char *out = json_dumps(j, JSON_COMPACT);
	assert_string_equal(out, "{\"perm\":420,\"hex\":31,\"big\":1000,\"neg\":-12,\"f\":1.5,"
	                         "\"y\":true,\"N\":false,\"t\":true,\"n\":null,\"e\":null,"
	                         "\"s\":\"0644\",\"v\":\"1.2.3\",\"users\":[{\"name\":\"ops\","
	                         "\"keys\":[\"a\",\"b\"]}]}");
	free(out);
	json_t *m = json_object_get(o.marks, "users[0].keys[1]");
	assert_int_equal(json_integer_value(json_array_get(m, 0)), 16);
	assert_int_equal(json_integer_value(json_array_get(m, 1)), 15);
	m = json_object_get(o.marks, "users[0].name");
	assert_int_equal(json_integer_value(json_array_get(m, 0)), 15);
	assert_int_equal(json_integer_value(json_array_get(m, 1)), 5);
	json_decref(j);
	json_decref(o.marks);
	/* empty is {}; errors give their place apart from the message */
	o = (struct cli_yaml_opts){.yaml11 = 1, .allow_empty = 1};
	j = cli_yaml_load("#cloud-config\n", 14, &o, err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
	assert_null(cli_yaml_load("a: 1\nb: [\n", 10, &o, err, sizeof(err)));
	assert_int_equal(o.line, 3);
	assert_int_equal(o.column, 1);
	assert_string_equal(err, "did not find expected node content");
	assert_true(cli_is_cloud_config("#cloud-config", 13));
	assert_true(cli_is_cloud_config("#cloud-config \r\nx: 1", 19));
	assert_false(cli_is_cloud_config("#cloud-configx\n", 15));
	assert_false(cli_is_cloud_config("# cloud-config\n", 15));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cloud_init_files_read_as_cloud_init_does),
	    cmocka_unit_test(scalars_follow_the_documented_rules),
	    cmocka_unit_test(refusals_name_line_and_column),
	    cmocka_unit_test(empty_input_says_where),
	    cmocka_unit_test(a_document_is_a_mapping),
	    cmocka_unit_test(one_document_per_file),
	    cmocka_unit_test(nul_cannot_be_sent),
	    cmocka_unit_test(aliases_cannot_expand_without_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
