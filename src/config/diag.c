/*
 * diag.c - the list of error and warning lines a parse produces.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel/config.h"

void cfg_diag_init(struct cfg_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void cfg_diag_free(struct cfg_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i].text);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

int cfg_diag_add(struct cfg_diag *d, enum cfg_severity sev, const char *fmt, ...)
{
	if (sev == CFG_ERROR)
		d->nerrors++; /* counted even if the text cannot be stored */
	struct cfg_msg *m = realloc(d->msgs, (d->n + 1) * sizeof(*m));
	if (!m)
		return -1;
	d->msgs = m;
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	int r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	d->msgs[d->n].severity = sev;
	d->msgs[d->n].text = text;
	d->n++;
	return 0;
}

void cfg_diag_print(const struct cfg_diag *d, void *stdio_file)
{
	FILE *f = stdio_file;
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->msgs[i].text);
	if (d->nerrors > d->n)
		fprintf(f, "(out of memory while recording errors)\n");
}
