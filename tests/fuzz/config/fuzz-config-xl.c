/*
 * fuzz-config-xl.c - differential libFuzzer target: random xl.cfg text goes
 * to Xen's own parser (libxlutil 4.17) and to cfg_parse(). We must never
 * accept what xl rejects, and when both accept, every string setting must
 * read the same. (The reverse, xl accepting what we reject, is allowed:
 * we refuse a few inputs xl misreads; tests/unit/config/test-xlu-diff.c
 * pins those down.)
 */
#include <libxlutil.h>
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
	cfg_diag_init(&d);
	struct cfg_file *f = NULL;
	int ours_ok = cfg_parse("fuzz", (const char *)data, size, &f, &d) == 0;
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
	cfg_file_free(f);
	cfg_diag_free(&d);
	xlu_cfg_destroy(xc);
	return 0;
}
