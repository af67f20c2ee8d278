/*
 * diag.c - the list of error and warning lines a parse produces.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel/config.h"
#include "xenchannel/proto.h"

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
	if (d->n == d->cap) { /* doubling: n messages cost O(n), not O(n^2) */
		size_t cap = d->cap ? 2 * d->cap : 8;
		struct cfg_msg *m = realloc(d->msgs, cap * sizeof(*m));
		if (!m)
			return -1;
		d->msgs = m;
		d->cap = cap;
	}
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

/* Digits at s up to a ':' -> their value and the position after the ':'. */
static const char *number_colon(const char *s, unsigned *v)
{
	const char *p = s;
	unsigned long n = 0;
	while (*p >= '0' && *p <= '9' && n < 100000000)
		n = n * 10 + (unsigned)(*p++ - '0');
	if (p == s || *p != ':')
		return NULL;
	*v = (unsigned)n;
	return p + 1;
}

/* "FILE:LINE:COL: text", "FILE:LINE: text" or "FILE: text" -> an object. The
 * file is what precedes the first ":LINE:" (or the first ": "). */
static json_t *msg_json(const char *text)
{
	const char *msg = text, *file_end = NULL;
	unsigned line = 0, col = 0;
	for (const char *p = strchr(text, ':'); p; p = strchr(p + 1, ':')) {
		const char *q = number_colon(p + 1, &line);
		if (q) {
			file_end = p;
			msg = q;
			const char *r = number_colon(q, &col);
			if (r)
				msg = r;
			break;
		}
		if (p[1] == ' ' && !file_end) {
			file_end = p;
			msg = p + 1;
			break;
		}
	}
	while (*msg == ' ')
		msg++;
	if (!strncmp(msg, "warning: ", 9))
		msg += 9;
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (file_end) {
		char *file = strndup(text, (size_t)(file_end - text));
		json_object_set_new(o, "file", file ? proto_json_text(file) : json_null());
		free(file);
	}
	if (line)
		json_object_set_new(o, "line", json_integer(line));
	if (col)
		json_object_set_new(o, "column", json_integer(col));
	json_object_set_new(o, "message", proto_json_text(msg));
	return o;
}

json_t *cfg_diag_json(const struct cfg_diag *d, enum cfg_severity sev)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < d->n; i++)
		if (d->msgs[i].severity == sev &&
		    json_array_append_new(a, msg_json(d->msgs[i].text)))
			return json_decref(a), NULL;
	if (a && sev == CFG_ERROR && d->nerrors > d->n)
		json_array_append_new(
		    a, json_pack("{s:s}", "message", "out of memory while recording errors"));
	return a;
}
