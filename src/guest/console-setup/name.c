/* name.c - what a channel name and a console device name may look like. */
#include "console-setup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel/config.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char *check(const char *name, size_t n)
{
	if (n == 0)
		return "is empty";
	if (n > CFG_NAME_MAX)
		return "is longer than " XSTR(CFG_NAME_MAX) " characters";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return "contains a control character";
		if (c == '/')
			return "contains '/'";
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return "contains a character other than letters, digits, '.', '-' and '_'";
	}
	if (name[0] == '.')
		return "starts with '.'";
	for (size_t i = 0; i + 1 < n; i++)
		if (name[i] == '.' && name[i + 1] == '.')
			return "contains '..'";
	return NULL;
}

const char *cs_name_check(const char *name)
{
	return check(name, strlen(name));
}

const char *cs_name_value_check(const char *v, size_t len)
{
	if (memchr(v, '\0', len))
		return "contains a NUL byte";
	return check(v, len);
}

int cs_parse_devid(const char *kernel)
{
	static const char prefix[] = "console-";
	if (strncmp(kernel, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	const char *d = kernel + sizeof(prefix) - 1;
	if (!*d || strlen(d) > 5 || (d[0] == '0' && d[1]))
		return -1;
	int v = 0;
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return -1;
		v = v * 10 + (*d - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}
