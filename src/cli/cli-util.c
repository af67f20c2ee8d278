/*
 * cli-util.c - small things every subcommand shares.
 */
#include <math.h>
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

int cli_parse_seconds(const char *cmd, const char *arg, int *ms)
{
	char *end;
	double s = strtod(arg, &end);
	if (end == arg || *end || !isfinite(s) || s < 0 || s > 86400) {
		fprintf(stderr,
		        "xenchannel: %s: --timeout `%s' is not a number of seconds (0-86400)\n",
		        cmd, arg);
		return -1;
	}
	*ms = (int)(s * 1000 + 0.5);
	return 0;
}

json_t *cli_json_text(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char buf[1024]; /* not UTF-8: shown escaped */
	return json_string(cli_escaped(buf, sizeof(buf), s));
}

json_t *cli_json_error(const char *msg, json_t **inner)
{
	json_t *e = json_object();
	json_object_set_new(e, "message", cli_json_text(msg));
	if (inner)
		*inner = e;
	return json_pack("{s:o}", "error", e);
}

int cli_json_print(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!s)
		return -1;
	printf("%s\n", s);
	free(s);
	return 0;
}
