/*
 * names.c - the channel naming rules.
 *
 * xen-pv-channel(7) asks for globally unique names that include a domain
 * name owned by the application's author, e.g. org.xenproject.guest.clipboard.0.1.
 * We make that checkable: reverse-domain style, at least three labels
 * (tld.domain.application...). The name also becomes a file name in the
 * guest (/dev/xen-channel/<name>) and must survive xl's spec syntax (no
 * ',', '=', '"'), which the character set below guarantees.
 */
#include <string.h>

#include "xenchannel/config.h"

static int label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

const char *cfg_name_check(const char *name)
{
	if (!name || !*name)
		return "is empty";
	size_t n = strlen(name);
	if (n > CFG_NAME_MAX)
		return "is longer than 128 characters";
	for (size_t i = 0; i < n; i++)
		if (!label_char(name[i]) && name[i] != '.')
			return "contains a character other than letters, digits, '-', '_' and '.'";
	if (name[0] == '.' || name[n - 1] == '.')
		return "starts or ends with '.'";
	if (strstr(name, ".."))
		return "has an empty label ('..')";
	unsigned labels = 0;
	const char *p = name;
	while (*p) {
		const char *e = strchr(p, '.');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > 63)
			return "has a label longer than 63 characters";
		if (p[0] == '-' || p[len - 1] == '-')
			return "has a label starting or ending with '-'";
		if (labels == 0) {
			for (size_t i = 0; i < len; i++)
				if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
					return "does not start with a top-level domain (letters "
					       "only), e.g. "
					       "org.example.agent.0";
			if (len < 2)
				return "does not start with a top-level domain (two letters or "
				       "more), e.g. "
				       "org.example.agent.0";
		}
		labels++;
		p += len;
		if (*p == '.')
			p++;
	}
	if (labels < 3)
		return "is not reverse-domain style with an application part "
		       "(tld.domain.application, "
		       "e.g. org.example.agent.0)";
	return NULL;
}
