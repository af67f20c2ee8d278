/*
 * test-corpus.c - every file of corpus/valid parses and gives exactly its
 * golden .json (all settings as xl keeps them, the domain and channels
 * xenchannel takes, warnings); every file of corpus/invalid fails with
 * exactly the messages of its golden .err.
 *
 * usage: test-config-corpus CORPUS_DIR REGISTRY
 * XC_UPDATE_GOLDEN=1 rewrites the golden files (review the diff!).
 */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xenchannel/config.h"

static const char *corpus_dir;
static struct cfg_registry *registry;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (!r)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

static json_t *value_json(const struct cfg_value *v)
{
	if (v->type == CFG_STRING) {
		json_t *s = json_stringn(v->str, v->len);
		return s ? s : json_string("<not UTF-8>");
	}
	json_t *a = json_array();
	for (size_t i = 0; i < v->nitems; i++)
		json_array_append_new(a, value_json(v->items[i]));
	return a;
}

static char *render_valid(const struct cfg_file *f, const struct cfg_domain *dom,
                          const struct cfg_diag *d)
{
	json_t *root = json_object();
	json_t *settings = json_array();
	for (size_t i = 0; i < f->n; i++) {
		const struct cfg_setting *s = &f->settings[i];
		json_t *o = json_object();
		json_object_set_new(o, "key", json_string(s->key));
		json_object_set_new(o, "at", json_sprintf("%u:%u", s->loc.line, s->loc.col));
		if (s->append)
			json_object_set_new(o, "op", json_string("+="));
		json_object_set_new(o, "value", value_json(s->value));
		json_array_append_new(settings, o);
	}
	json_object_set_new(root, "settings", settings);
	char *dj = cfg_domain_to_json(dom, registry);
	assert_non_null(dj);
	json_object_set_new(root, "domain", json_loads(dj, 0, NULL));
	free(dj);
	json_t *warn = json_array();
	for (size_t i = 0; i < d->n; i++)
		json_array_append_new(warn, json_string(d->msgs[i].text));
	json_object_set_new(root, "warnings", warn);
	char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	size_t n = strlen(s);
	s = realloc(s, n + 2);
	s[n] = '\n';
	s[n + 1] = 0;
	return s;
}

static char *render_diag(const struct cfg_diag *d)
{
	size_t cap = 1, n = 0;
	for (size_t i = 0; i < d->n; i++)
		cap += strlen(d->msgs[i].text) + 1;
	char *s = malloc(cap);
	for (size_t i = 0; i < d->n; i++)
		n += (size_t)sprintf(s + n, "%s\n", d->msgs[i].text);
	s[n] = 0;
	return s;
}

static void check_golden(const char *golden_path, const char *got)
{
	if (getenv("XC_UPDATE_GOLDEN")) {
		FILE *f = fopen(golden_path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
		return;
	}
	size_t len;
	char *want = slurp(golden_path, &len);
	if (!want)
		fail_msg("missing golden file %s; got:\n%s", golden_path, got);
	if (strcmp(want, got))
		fail_msg("%s differs.\n--- want:\n%s--- got:\n%s", golden_path, want, got);
	free(want);
}

static void run_one(void **state)
{
	const char *rel = *state; /* "valid/x.cfg" or "invalid/x.cfg" */
	if (!rel || !corpus_dir)
		abort();
	int valid = !strncmp(rel, "valid/", 6);
	char path[1024], golden[1024];
	snprintf(path, sizeof(path), "%s/%s", corpus_dir, rel);
	snprintf(golden, sizeof(golden), "%.*s.%s", (int)(strlen(path) - 4), path,
	         valid ? "json" : "err");
	size_t len;
	char *data = slurp(path, &len);
	assert_non_null(data);
	const char *base = strrchr(rel, '/') + 1;

	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_file *f = NULL;
	struct cfg_domain dom;
	int rc = cfg_parse(base, data, len, &f, &d);
	if (rc == 0) {
		assert_non_null(f);
		rc = cfg_domain_from_file(f, registry, &dom, &d);
	} else {
		assert_null(f);
	}
	char *got;
	if (valid) {
		if (rc)
			fail_msg("%s should parse, got:\n%s", rel, render_diag(&d));
		assert_int_equal(d.nerrors, 0);
		got = render_valid(f, &dom, &d);
		cfg_domain_clear(&dom);
	} else {
		if (rc == 0)
			fail_msg("%s should fail to parse", rel);
		assert_true(d.nerrors > 0);
		/* nothing half-built is handed out */
		if (f)
			assert_null(dom.channels), assert_null(dom.name);
		got = render_diag(&d);
	}
	check_golden(golden, got);
	free(got);
	cfg_file_free(f);
	cfg_diag_free(&d);
	free(data);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list(const char *sub, char ***names)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/%s", corpus_dir, sub);
	DIR *dp = opendir(dir);
	if (!dp)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".cfg"))
			continue;
		*names = realloc(*names, (n + 1) * sizeof(**names));
		if (asprintf(&(*names)[n], "%s/%s", sub, e->d_name) < 0)
			abort();
		n++;
	}
	closedir(dp);
	qsort(*names, n, sizeof(**names), cmp);
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s CORPUS_DIR REGISTRY\n", argv[0]);
		return 2;
	}
	corpus_dir = argv[1];
	struct cfg_diag d;
	cfg_diag_init(&d);
	if (cfg_registry_load(argv[2], &registry, &d)) {
		cfg_diag_print(&d, stderr);
		return 1;
	}
	cfg_diag_free(&d);
	char **valid = NULL, **invalid = NULL;
	size_t nv = list("valid", &valid), ni = list("invalid", &invalid);
	if (nv < 10 || ni < 10) {
		fprintf(stderr, "corpus too small (%zu valid, %zu invalid) in %s\n", nv, ni,
		        corpus_dir);
		return 1;
	}
	struct CMUnitTest *tests = calloc(nv + ni, sizeof(*tests));
	for (size_t i = 0; i < nv + ni; i++) {
		char *name = i < nv ? valid[i] : invalid[i - nv];
		tests[i].name = name;
		tests[i].test_func = run_one;
		tests[i].initial_state = name;
	}
	int rc = _cmocka_run_group_tests("config-corpus", tests, nv + ni, NULL, NULL);
	for (size_t i = 0; i < nv; i++)
		free(valid[i]);
	for (size_t i = 0; i < ni; i++)
		free(invalid[i]);
	free(valid);
	free(invalid);
	free(tests);
	cfg_registry_free(registry);
	return rc;
}
