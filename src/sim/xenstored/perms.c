/* perms.c - permission lists: "<r|w|b|n><domid>" entries, entry 0 = owner/default. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

int perms_parse(const char *p, uint32_t len, unsigned n, struct perm *out)
{
	const char *end = p + len;
	for (unsigned i = 0; i < n; i++) {
		if (p >= end)
			return EINVAL;
		switch (*p) {
		case 'n':
			out[i].bits = 0;
			break;
		case 'r':
			out[i].bits = PERM_READ;
			break;
		case 'w':
			out[i].bits = PERM_WRITE;
			break;
		case 'b':
			out[i].bits = PERM_READ | PERM_WRITE;
			break;
		default:
			return EINVAL;
		}
		/* xenstored parses the domid with strtol(s, NULL, 0), unchecked. */
		out[i].id = (uint32_t)strtol(p + 1, NULL, 0);
		p += strlen(p) + 1;
	}
	return 0;
}

int perms_format(const struct perm *p, unsigned n, char *buf, size_t cap)
{
	static const char letter[] = {'n', 'r', 'w', 'b'};
	size_t off = 0;
	for (unsigned i = 0; i < n; i++) {
		int k = snprintf(buf + off, cap - off, "%c%u", letter[p[i].bits & 3u], p[i].id);
		if (k < 0 || (size_t)k + 1 > cap - off)
			return -1;
		off += (size_t)k + 1; /* keep the NUL */
	}
	return (int)off;
}

unsigned perms_for_conn(const struct conn *c, const struct perm *p, unsigned n)
{
	const unsigned all = PERM_READ | PERM_WRITE | PERM_OWNER;
	if (c->priv)
		return all;
	uint32_t target = c->dom ? c->dom->target : XSD_NO_TARGET;
	if (n == 0)
		return 0;
	if (p[0].id == c->domid || (target != XSD_NO_TARGET && p[0].id == target))
		return all;
	for (unsigned i = 1; i < n; i++)
		if (p[i].id == c->domid || (target != XSD_NO_TARGET && p[i].id == target))
			return p[i].bits;
	return p[0].bits;
}
