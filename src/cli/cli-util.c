/*
 * cli-util.c - small things every subcommand shares.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "xenchannel/escape.h"
#include "xenchannel/exepath.h"
#include "xenchannel/host.h"

/* Set by meson: the installed registries, the directory this executable is
 * installed in, and where the build tree's root lies relative to it. */
#ifndef XC_REGISTRY_PATH
#define XC_REGISTRY_PATH "/usr/share/xenchannel/channel-registry"
#endif
#ifndef XC_LOCAL_REGISTRY_PATH
#define XC_LOCAL_REGISTRY_PATH "/etc/xenchannel/channel-registry"
#endif
#ifndef XC_BUILD_ROOT_REL
#define XC_BUILD_ROOT_REL "../.."
#endif
#ifndef XC_SBINDIR
#define XC_SBINDIR "/usr/sbin"
#endif

static char registry_used[PATH_MAX + 64];

/* Appends path to the list of places tried (for the error message). */
static void tried_add(char *tried, size_t size, const char *path)
{
	size_t n = strlen(tried);
	snprintf(tried + n, size - n, "%s%s", n ? ", " : "", path);
}

const char *cli_registry_find(char *tried, size_t triedlen)
{
	tried[0] = 0;
	const char *e = getenv("XENCHANNEL_REGISTRY");
	if (e && *e) {
		/* an explicit choice: no fallback that could hide a typo */
		snprintf(registry_used, sizeof(registry_used), "%s", e);
		tried_add(tried, triedlen, e);
		return access(e, F_OK) == 0 ? registry_used : NULL;
	}
	char dir[PATH_MAX], cand[3][PATH_MAX + 64];
	int nc = 0;
	if (exepath_dir(dir, sizeof(dir)) < 0)
		dir[0] = 0;
	char marker[PATH_MAX + 32];
	snprintf(marker, sizeof(marker), "%s/" XC_BUILD_ROOT_REL "/build.ninja", dir);
	if (dir[0] && access(marker, F_OK) == 0) {
		/* run from the build tree: its own copy, never an installed one */
		snprintf(cand[nc++], sizeof(cand[0]),
		         "%s/" XC_BUILD_ROOT_REL "/data/channel-registry", dir);
	} else {
		snprintf(cand[nc++], sizeof(cand[0]), "%s", XC_LOCAL_REGISTRY_PATH);
		/* relocated installs (DESTDIR, a moved prefix) find their own copy */
		if (exepath_installed(cand[nc], sizeof(cand[0]), XC_SBINDIR, XC_REGISTRY_PATH) == 0)
			nc++;
		snprintf(cand[nc++], sizeof(cand[0]), "%s", XC_REGISTRY_PATH);
	}
	for (int i = 0; i < nc; i++) {
		char canon[PATH_MAX];
		const char *p = realpath(cand[i], canon) ? canon : cand[i];
		if (strstr(tried, p))
			continue;
		tried_add(tried, triedlen, p);
		if (access(p, F_OK) == 0 && strlen(p) < sizeof(registry_used)) {
			memcpy(registry_used, p, strlen(p) + 1);
			return registry_used;
		}
	}
	return NULL;
}

const char *cli_registry_path(void)
{
	char tried[1024];
	const char *p = cli_registry_find(tried, sizeof(tried));
	return p ? p : XC_REGISTRY_PATH;
}

int cli_registry_load(struct cfg_registry **out, struct cfg_diag *d)
{
	char tried[1024];
	*out = NULL;
	const char *p = cli_registry_find(tried, sizeof(tried));
	if (!p) {
		/* named after the last place tried: the build tree's or datadir's copy */
		const char *last = strrchr(tried, ',');
		const char *env = getenv("XENCHANNEL_REGISTRY");
		cfg_diag_add(d, CFG_ERROR,
		             "%s: cannot open the channel registry: no such file (tried %s)%s",
		             last ? last + 2 : tried, tried,
		             env && *env ? "" : "; set XENCHANNEL_REGISTRY to use another file");
		return -1;
	}
	return cfg_registry_load(p, out, d);
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

json_t *cli_with_diag(json_t *obj, const struct cfg_diag *d)
{
	if (!obj)
		return NULL;
	json_t *e = cfg_diag_json(d, CFG_ERROR), *w = cfg_diag_json(d, CFG_WARNING);
	if (!e || !w || json_object_set_new(obj, "errors", e) ||
	    json_object_set_new(obj, "warnings", w)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* The socket of DOMAIN's channel NAME, or SOCKET itself (it has a '/'). */
int cli_agent_socket(const char *target, const char *name, char *sock, size_t size, char *err,
                     size_t errlen)
{
	if (strchr(target, '/')) {
		snprintf(sock, size, "%s", target);
		return 0;
	}
	unsigned domid;
	if (host_resolve_domain(NULL, target, &domid, err, errlen) < 0 ||
	    host_lookup(NULL, domid, name, sock, size, err, errlen) < 0)
		return -1;
	return 0;
}

int cli_parse_seconds(const char *cmd, const char *opt, const char *arg, int positive, int *ms)
{
	char *end;
	double s = strtod(arg, &end);
	if (end == arg || *end || !isfinite(s) || s < 0 || s > 86400 || (positive && s <= 0)) {
		fprintf(stderr, "xenchannel: %s: %s `%s' is not a number of seconds (%s)\n", cmd,
		        opt, arg, positive ? "more than 0, at most 86400" : "0-86400");
		return -1;
	}
	*ms = (int)(s * 1000 + 0.5);
	if (positive && *ms == 0)
		*ms = 1;
	return 0;
}

int cli_parse_jobs(const char *cmd, const char *arg, long max, long *jobs)
{
	char *end;
	long n = strtol(arg, &end, 10);
	if (end == arg || *end || n < 1 || n > max) {
		fprintf(stderr, "xenchannel: %s: --jobs `%s' is not a number of targets (1-%ld)\n",
		        cmd, arg, max);
		return -1;
	}
	*jobs = n;
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
	if (!s) {
		fprintf(stderr, "xenchannel: out of memory\n");
		return -1;
	}
	printf("%s\n", s);
	free(s);
	return fflush(stdout) == 0 ? 0 : -1;
}

int cli_options_json(int argc, char **argv, const char *usage, int *json)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c;
	*json = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j') {
			*json = 1;
		} else {
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	return -1;
}
