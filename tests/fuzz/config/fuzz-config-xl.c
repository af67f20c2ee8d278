/*
 * fuzz-config-xl.c - differential libFuzzer target: random xl.cfg text goes
 * to Xen's own parser (libxlutil 4.17) and to cfg_parse(). We must never
 * accept what xl rejects, and when both accept, every string setting must
 * read the same. (The reverse, xl accepting what we reject, is allowed:
 * we refuse a few inputs xl misreads; tests/unit/config/test-xlu-diff.c
 * pins those down.) Our side must not leak, checked per input.
 */
#include <libxlutil.h>
#include <sanitizer/allocator_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel/config.h"

/* libxlutil 4.17 leaks a value when a statement fails; not ours to find. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libxlutil.so\n";
}

/*
 * That leak made libFuzzer's own per-input leak check run on most inputs:
 * when an input ends with more mallocs than frees it runs it again and then
 * scans the whole heap, which took two thirds of the time. So that check is
 * off here (unless asked for on the command line), and our side is checked
 * exactly instead: the allocations made while our code runs must all be
 * freed by it before the input ends.
 */
static int in_ours;
static long ours_live;

static void count_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	if (in_ours)
		ours_live++;
}

static void count_free(const volatile void *p)
{
	(void)p;
	if (in_ours)
		ours_live--;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!__sanitizer_install_malloc_and_free_hooks(count_malloc, count_free))
		abort();
	for (int i = 1; i < *argc; i++)
		if (!strncmp((*argv)[i], "-detect_leaks=", 14))
			return 0;
	char **args = malloc(((size_t)*argc + 2) * sizeof(*args));
	if (!args)
		abort();
	args[0] = (*argv)[0];
	args[1] = "-detect_leaks=0";
	memcpy(args + 2, *argv + 1, ((size_t)*argc - 1) * sizeof(*args));
	args[*argc + 1] = NULL;
	*argv = args; /* kept for the whole run */
	(*argc)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *quiet;
	if (size > 1 << 16 || memchr(data, 0, size))
		return 0; /* xl reads C strings from a file; NUL ends its view */
	if (!quiet && !(quiet = fopen("/dev/null", "w")))
		abort();
	XLU_Config *xc = xlu_cfg_init(quiet, "xl");
	if (!xc)
		return 0;
	int xl_ok = xlu_cfg_readdata(xc, (const char *)data, (int)size) == 0;
	struct cfg_diag d;
	struct cfg_file *f = NULL;
	in_ours = 1;
	cfg_diag_init(&d);
	int ours_ok = cfg_parse("fuzz", (const char *)data, size, &f, &d) == 0;
	in_ours = 0;
	if (ours_ok && !xl_ok)
		abort(); /* we accept what xl rejects */
	if (ours_ok && xl_ok) {
		for (size_t i = 0; i < f->n; i++) {
			const struct cfg_setting *s = &f->settings[i];
			if (cfg_get(f, s->key) != s || s->value->type != CFG_STRING)
				continue;
			const char *v = NULL;
			if (xlu_cfg_get_string(xc, s->key, &v, 1) || strcmp(v, s->value->str))
				abort(); /* the same key reads differently */
		}
	}
	in_ours = 1;
	cfg_file_free(f);
	cfg_diag_free(&d);
	in_ours = 0;
	if (ours_live != 0) {
		fprintf(stderr, "fuzz-config-xl: the config code left %ld allocation(s) unfreed\n",
		        ours_live);
		abort();
	}
	xlu_cfg_destroy(xc);
	return 0;
}
