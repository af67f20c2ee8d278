/* path.c - node names: validation, canonicalisation, parents. */
#include <stdio.h>
#include <string.h>

#include "xsd.h"

static bool valid_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '/' || ch == '_' || ch == '@';
}

bool path_valid(const char *p, size_t len)
{
	if (len == 0 || p[0] != '/')
		return false;
	if (len > 1 && p[len - 1] == '/')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!valid_char(p[i]))
			return false;
		if (p[i] == '/' && i + 1 < len && p[i + 1] == '/')
			return false;
	}
	/* Length beyond "/local/domain/<id>/" limited to XENSTORE_REL_PATH_MAX;
	 * other paths to the same total (xenstored 4.17). */
	size_t off = 0;
	static const char pre[] = "/local/domain/";
	if (len > sizeof(pre) - 1 && memcmp(p, pre, sizeof(pre) - 1) == 0) {
		size_t i = sizeof(pre) - 1, digits = 0;
		while (i < len && p[i] >= '0' && p[i] <= '9' && digits < 5) {
			i++;
			digits++;
		}
		if (digits && i < len && p[i] == '/')
			off = i + 1;
	}
	return len <= off + XSD_REL_PATH_MAX;
}

int path_canon(const struct conn *c, const char *in, char *buf, size_t cap, bool allow_special,
               bool *relative)
{
	size_t n = strlen(in);
	if (relative)
		*relative = false;
	if (in[0] == '@') {
		if (!allow_special || n > XSD_REL_PATH_MAX || n + 1 > cap)
			return -1;
		memcpy(buf, in, n + 1);
		return (int)n;
	}
	if (in[0] == '/') {
		if (n + 1 > cap)
			return -1;
		memcpy(buf, in, n + 1);
	} else {
		int k = snprintf(buf, cap, "/local/domain/%u/%s", c->domid, in);
		if (k < 0 || (size_t)k >= cap)
			return -1;
		n = (size_t)k;
		if (relative)
			*relative = true;
	}
	if (!path_valid(buf, n))
		return -1;
	return (int)n;
}

size_t path_parent_len(const char *p, size_t len)
{
	while (len > 0 && p[len - 1] != '/')
		len--;
	return len > 1 ? len - 1 : 1;
}
