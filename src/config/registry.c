/*
 * registry.c - the channel name registry (data/channel-registry).
 *
 * The machine-readable form of the registry at the end of
 * xen-pv-channel(7): stanzas of "N: name", "C: contact", "D: description"
 * lines (a D: may continue on following lines indented by blanks), blank
 * lines between stanzas, '#' comments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xenchannel/config.h"

#define MAX_REGISTRY_SIZE (1u << 20)

void cfg_registry_free(struct cfg_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->entries[i].name);
		free(r->entries[i].contact);
		free(r->entries[i].description);
	}
	free(r->entries);
	free(r->source);
	free(r);
}

static char *append_text(char *old, const char *s, size_t n)
{
	size_t ol = old ? strlen(old) : 0;
	char *r = realloc(old, ol + n + 2);
	if (!r) {
		free(old);
		return NULL;
	}
	if (ol)
		r[ol++] = ' ';
	memcpy(r + ol, s, n);
	r[ol + n] = 0;
	return r;
}

int cfg_registry_parse(const char *source, const char *data, size_t len, struct cfg_registry **out,
                       struct cfg_diag *d)
{
	*out = NULL;
	struct cfg_registry *r = calloc(1, sizeof(*r));
	if (!r || !(r->source = strdup(source))) {
		free(r);
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", source);
		return -1;
	}
	size_t errs = d->nerrors;
	struct cfg_registry_entry *cur = NULL;
	char **last_field = NULL;
	unsigned line = 0;
	size_t pos = 0;
	while (pos < len) {
		size_t e = pos;
		while (e < len && data[e] != '\n')
			e++;
		line++;
		const char *s = data + pos;
		size_t n = e - pos;
		pos = e + 1;
		if (memchr(s, 0, n)) {
			cfg_diag_add(d, CFG_ERROR, "%s:%u: NUL byte", source, line);
			continue;
		}
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
			n--;
		if (!n) {
			cur = NULL;
			last_field = NULL;
			continue;
		}
		if (s[0] == '#')
			continue;
		if ((s[0] == ' ' || s[0] == '\t') && last_field) {
			while (n && (*s == ' ' || *s == '\t'))
				s++, n--;
			if (!(*last_field = append_text(*last_field, s, n)))
				goto oom;
			continue;
		}
		if (n < 2 || s[1] != ':' || !strchr("NCD", s[0])) {
			cfg_diag_add(d, CFG_ERROR,
			             "%s:%u:1: expected `N: name', `C: contact' or `D: text'",
			             source, line);
			continue;
		}
		char tag = s[0];
		s += 2, n -= 2;
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		if (tag == 'N') {
			struct cfg_registry_entry *ne =
			    realloc(r->entries, (r->n + 1) * sizeof(*ne));
			if (!ne)
				goto oom;
			r->entries = ne;
			cur = &r->entries[r->n];
			memset(cur, 0, sizeof(*cur));
			cur->line = line;
			if (!(cur->name = strndup(s, n)))
				goto oom;
			r->n++;
			const char *why = cfg_name_check(cur->name);
			if (why)
				cfg_diag_add(d, CFG_ERROR, "%s:%u:4: registered name `%s' %s",
				             source, line, cur->name, why);
			/* the first earlier entry only: n copies of a name give n-1
			 * messages, not n*(n-1)/2 */
			for (size_t i = 0; i + 1 < r->n; i++)
				if (!strcasecmp(r->entries[i].name, cur->name)) {
					cfg_diag_add(
					    d, CFG_ERROR,
					    "%s:%u:4: `%s' is already registered on line %u",
					    source, line, cur->name, r->entries[i].line);
					break;
				}
			last_field = NULL;
			continue;
		}
		if (!cur) {
			cfg_diag_add(d, CFG_ERROR, "%s:%u:1: `%c:' before any `N: name' line",
			             source, line, tag);
			continue;
		}
		last_field = tag == 'C' ? &cur->contact : &cur->description;
		if (!(*last_field = append_text(*last_field, s, n)))
			goto oom;
	}
	if (d->nerrors > errs) {
		cfg_registry_free(r);
		return -1;
	}
	*out = r;
	return 0;
oom:
	cfg_diag_add(d, CFG_ERROR, "%s: out of memory", source);
	cfg_registry_free(r);
	return -1;
}

int cfg_registry_load(const char *path, struct cfg_registry **out, struct cfg_diag *d)
{
	*out = NULL;
	FILE *f = fopen(path, "re");
	if (!f) {
		cfg_diag_add(d, CFG_ERROR, "%s: cannot open the channel registry: %s", path,
		             strerror(errno));
		return -1;
	}
	char *buf = malloc(MAX_REGISTRY_SIZE);
	if (!buf) {
		fclose(f);
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", path);
		return -1;
	}
	size_t n = fread(buf, 1, MAX_REGISTRY_SIZE, f);
	int err = ferror(f), more = !feof(f);
	fclose(f);
	if (err || more) {
		free(buf);
		cfg_diag_add(d, CFG_ERROR, "%s: %s", path,
		             err ? "read error" : "larger than 1 MiB");
		return -1;
	}
	int rc = cfg_registry_parse(path, buf, n, out, d);
	free(buf);
	return rc;
}

const struct cfg_registry_entry *cfg_registry_find(const struct cfg_registry *r, const char *name)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->entries[i].name, name))
			return &r->entries[i];
	return NULL;
}

const struct cfg_registry_entry *cfg_registry_clash(const struct cfg_registry *r, const char *name)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->entries[i].name, name) && !strcasecmp(r->entries[i].name, name))
			return &r->entries[i];
	return NULL;
}
