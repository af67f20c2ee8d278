/*
 * cli-util.c - small things every subcommand shares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "xenchannel/escape.h"

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
	return esc_text(buf, size, s, s ? strlen(s) : 0, 0, ESC_BACKSLASH);
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
