/*
 * cli-util.c - small things every subcommand shares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#ifndef XC_REGISTRY_PATH
#define XC_REGISTRY_PATH "/usr/share/xenchannel/channel-registry"
#endif

const char *cli_registry_path(void)
{
	const char *e = getenv("XENCHANNEL_REGISTRY");
	return e && *e ? e : XC_REGISTRY_PATH;
}

const char *cli_escaped(char *buf, size_t size, const char *s)
{
	size_t o = 0;
	if (size < 12) {
		if (size)
			buf[0] = 0;
		return buf;
	}
	for (size_t i = 0; s && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 8 >= size) {
			/* the previous round left o + 4 < size: room for "...\0" */
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	buf[o] = 0;
	return buf;
}

void cli_put_escaped(FILE *f, const char *s)
{
	for (size_t i = 0; s && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

const char *cli_control_socket(char *buf, size_t size)
{
	const char *run = getenv("XENSIM_RUN_DIR");
	if (run && *run)
		snprintf(buf, size, "%s/xenchanneld/control.sock", run);
	else
		snprintf(buf, size, "/run/xenchanneld/control.sock");
	return buf;
}
