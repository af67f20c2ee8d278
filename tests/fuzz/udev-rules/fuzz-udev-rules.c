/*
 * fuzz-udev-rules.c - libFuzzer target for the simulator's udev rule engine.
 *
 * The input is one rules file, any bytes. It is parsed, then applied to a
 * fixed event (the `bind` of console-1, as Linux 6.1 sends it) with a fixed
 * sysfs (sysroot/ beside this file) for ATTR{} and $attr{}. A `sysroot`
 * directory beside the binary's path as invoked wins over the built-in one:
 * scripts/fuzz --check puts a copy at a path of fixed length there, so the
 * coverage reached does not depend on where the tree is checked out. The engine never
 * runs anything itself: RUN programs only come back in the result (running
 * them is hotplug.c's job), and PROGRAM is not supported, so nothing is
 * executed here. Checked, beyond no crash and no leak:
 *   - every message names the file, a line of the input and a column on that
 *     line (at most one past its end), and is non-empty printable ASCII;
 *   - parse and apply succeed (they fail only without memory);
 *   - the result is sane: RUN commands non-empty and distinct, SYMLINK names
 *     non-empty, distinct, without blanks, every property a valid name with
 *     a non-empty value and all of them copied into a RUN program's
 *     environment, every RUN command splits or is refused cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "udev.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-udev-rules: %s:%d: invariant failed: %s\n",          \
			        __FILE__, __LINE__, #cond);                                        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define FNAME "fuzz.rules"

/* The checks are not what is being explored: keep them out of the coverage
 * (and out of libFuzzer's per-run bookkeeping). */
#define NOCOV __attribute__((no_sanitize("coverage"), noinline))

/* The lengths of the input's lines (without the '\n'), kept across runs. */
struct lines {
	size_t *len;
	size_t n, cap;
};

NOCOV static void on_warning(void *arg, const char *file, unsigned line, unsigned col,
                             const char *msg)
{
	const struct lines *l = arg;

	CHECK(strcmp(file, FNAME) == 0);
	CHECK(line >= 1 && line <= l->n);
	CHECK(col >= 1 && col <= l->len[line - 1] + 1);
	CHECK(msg[0]);
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		CHECK(*p >= 0x20 && *p < 0x7f);
}

NOCOV static void split_lines(const uint8_t *data, size_t size, struct lines *l)
{
	size_t n = 1;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	if (n > l->cap) {
		free(l->len);
		l->len = malloc(n * sizeof(size_t));
		CHECK(l->len);
		l->cap = n;
	}
	l->n = 0;
	for (size_t i = 0, s = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			l->len[l->n++] = i - s;
			s = i + 1;
		}
	}
}

NOCOV static void check_list(char **v, size_t n, int words)
{
	for (size_t i = 0; i < n; i++) {
		CHECK(v[i] && v[i][0]);
		if (words)
			CHECK(!strpbrk(v[i], " \t"));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(v[i], v[j]) != 0);
	}
}

NOCOV static void check_result(const struct udev_result *res)
{
	struct udev_env copy;

	check_list(res->run, res->nrun, 0);
	check_list(res->symlinks, res->nsymlinks, 1);
	for (size_t i = 0; i < res->env.n; i++) {
		const char *kv = res->env.kv[i], *eq = strchr(kv, '=');
		size_t kl;

		CHECK(eq && eq > kv && eq[1]);
		kl = (size_t)(eq - kv);
		for (size_t j = 0; j < kl; j++) /* as udev_env_key_ok */
			CHECK(kv[j] > ' ' && kv[j] < 0x7f);
		for (size_t j = 0; j < i; j++) /* one entry per key */
			CHECK(strncmp(res->env.kv[j], kv, kl + 1) != 0);
	}
	CHECK(res->env.kv == NULL || res->env.kv[res->env.n] == NULL);
	/* what a RUN program gets: every property */
	udev_env_init(&copy);
	CHECK(udev_env_copy(&copy, &res->env) == 0);
	CHECK(copy.n == res->env.n);
	for (size_t i = 0; i < copy.n; i++)
		CHECK(strcmp(copy.kv[i], res->env.kv[i]) == 0);
	udev_env_clear(&copy);
	for (size_t i = 0; i < res->nrun; i++) {
		char **argv = udev_split_argv(res->run[i]);

		CHECK(!argv || argv[0]);
		udev_argv_free(argv);
	}
}

static char sysroot[4096] = FUZZ_SYSROOT;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *self = (*argc > 0) ? (*argv)[0] : "";
	const char *slash = strrchr(self, '/');
	char beside[sizeof(sysroot)];
	struct stat st;
	int n = snprintf(beside, sizeof(beside), "%.*s/sysroot", slash ? (int)(slash - self) : 1,
	                 slash ? self : ".");
	if (n > 0 && (size_t)n < sizeof(beside) && stat(beside, &st) == 0 && S_ISDIR(st.st_mode))
		memcpy(sysroot, beside, (size_t)n + 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const props[][2] = {
	    {"ACTION", "bind"},       {"DEVPATH", "/devices/console-1"}, {"SUBSYSTEM", "xen"},
	    {"DRIVER", "xenconsole"}, {"MODALIAS", "xen:console"},       {"SEQNUM", "1042"}};
	static struct udev_env ev; /* the event, built once */
	static struct lines l;
	struct udev_rules *r;
	struct udev_result res;

	if (!ev.n)
		for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
			CHECK(udev_env_set(&ev, props[i][0], props[i][1]) == 0);
	split_lines(data, size, &l);
	r = udev_rules_new(on_warning, &l);
	CHECK(r);
	/* libFuzzer's copy of the input is an exact-size heap block: a read
	 * past the text's length is caught */
	CHECK(udev_rules_add_text(r, FNAME, (const char *)data, size) == 0);
	CHECK(udev_rules_apply(r, &ev, sysroot, &res) == 0);
	check_result(&res);
	udev_result_clear(&res);
	udev_rules_free(r);
	return 0;
}
