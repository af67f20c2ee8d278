/*
 * cmd-list.c - `xenchannel list [DOMAIN] [--json] [--stats|--defined]`: every
 * channel of one or all domains with its state on both ends (--defined: the
 * declared ones, cmd-define.c).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "commands.h"
#include "xenchannel/toolstack.h"

static int usage(void)
{
	fprintf(stderr, "usage: xenchannel list [DOMAIN] [--json] [--stats|--defined]\n"
	                "  --defined: the channels declared per domain name (xenchannel define)\n");
	return 2;
}

static json_t *channel_json(const struct ts_channel_info *c)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	/* json_string() refuses invalid UTF-8: such values are shown escaped */
	char buf[512];
	json_object_set_new(o, "domain", json_string(cli_escaped(buf, sizeof(buf), c->domain)));
	json_object_set_new(o, "domid", json_integer(c->domid));
	json_object_set_new(o, "devid", json_integer(c->devid));
	json_object_set_new(o, "name", json_string(cli_escaped(buf, sizeof(buf), c->name)));
	json_object_set_new(o, "connection",
	                    json_string(cli_escaped(buf, sizeof(buf), c->connection)));
	json_object_set_new(
	    o, "path", c->path ? json_string(cli_escaped(buf, sizeof(buf), c->path)) : json_null());
	json_object_set_new(
	    o, "tty", c->tty ? json_string(cli_escaped(buf, sizeof(buf), c->tty)) : json_null());
	json_object_set_new(o, "type", json_string(cli_escaped(buf, sizeof(buf), c->type)));
	json_object_set_new(o, "frontend_state", json_string(ts_state_name(c->fe_state)));
	json_object_set_new(o, "backend_state", json_string(ts_state_name(c->be_state)));
	return o;
}

/*
 * ---- --stats -------------------------------------------------------------
 * Per-channel counters from xenchanneld's control socket: request "stats\n",
 * answer one JSON object per line per channel, then EOF. The objects are
 * attached to the matching channel (by "domid" and "devid") under "stats"
 * in --json output; the table gets bytes and events each way, errors and
 * whether a dom0 client has the channel open. (The daemon defines the
 * fields; extend the rendering here.) NULL on failure, with the reason in err.
 */
static json_t *read_stats(char *err, size_t errlen)
{
	char path[256];
	cli_control_socket(path, sizeof(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "cannot use %s", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen,
		         "connect to xenchanneld's control socket: %s (tried %s; is xenchanneld "
		         "running?)",
		         strerror(errno), path);
		close(fd);
		return NULL;
	}
	/* a daemon that never answers must not hang list */
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	FILE *f = fdopen(fd, "r+");
	if (!f) {
		close(fd);
		return NULL;
	}
	json_t *all = json_array();
	fputs("stats\n", f);
	fflush(f);
	shutdown(fd, SHUT_WR);
	char *line = NULL;
	size_t cap = 0;
	while (all && getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *o = json_loads(line, 0, &je);
		if (o && json_is_object(o))
			json_array_append_new(all, o);
		else
			json_decref(o);
	}
	free(line);
	if (ferror(f)) {
		snprintf(err, errlen, "no complete answer from %s within 5 s", path);
		json_decref(all);
		all = NULL;
	}
	fclose(f);
	return all;
}

static json_t *stats_for(json_t *stats, const struct ts_channel_info *c)
{
	size_t i;
	json_t *o;
	json_array_foreach(stats, i, o)
	{
		json_t *d = json_object_get(o, "domid"), *v = json_object_get(o, "devid");
		if (json_is_integer(d) && json_is_integer(v) &&
		    json_integer_value(d) == (json_int_t)c->domid &&
		    json_integer_value(v) == (json_int_t)c->devid)
			return o;
	}
	return NULL;
}
/* ---- end of --stats ------------------------------------------------------ */

/*
 * ---- the table -----------------------------------------------------------
 * Every column is as wide as its widest cell, so no value is ever cut
 * (names and paths are shown whole, escaped); numbers are right-aligned and
 * the last column is not padded (no trailing blanks).
 */
#define MAX_COLS 14

struct table {
	size_t ncols, nrows;
	char **cells; /* nrows x ncols, row-major */
	size_t width[MAX_COLS];
	unsigned right; /* bit i: column i is right-aligned */
};

static int table_row(struct table *t, const char *const *v)
{
	char **c = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*c));
	if (!c)
		return -1;
	t->cells = c;
	for (size_t i = 0; i < t->ncols; i++) {
		char buf[1024];
		char *cell = strdup(cli_escaped(buf, sizeof(buf), v[i] && *v[i] ? v[i] : "-"));
		if (!cell)
			return -1;
		c[t->nrows * t->ncols + i] = cell;
		size_t w = strlen(cell);
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
	return 0;
}

static void table_print(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *cell = t->cells[r * t->ncols + i];
			int w = (int)t->width[i];
			if (i)
				putchar(' ');
			if (t->right & (1u << i))
				printf("%*s", w, cell);
			else if (i + 1 < t->ncols)
				printf("%-*s", w, cell);
			else
				fputs(cell, stdout);
		}
		putchar('\n');
	}
	for (size_t k = 0; k < t->nrows * t->ncols; k++)
		free(t->cells[k]);
	free(t->cells);
}

static const char *num(char *buf, size_t size, json_t *s, const char *key)
{
	json_t *v = s ? json_object_get(s, key) : NULL;
	if (!json_is_integer(v))
		return "-";
	snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	return buf;
}

static int print_table(const struct ts_channel_info *v, size_t n, json_t *st)
{
	static const char *const head[] = {
	    "DOMAIN",  "DOMID",    "DEVID",      "NAME",   "CONN",    "PATH/TTY", "FRONTEND",
	    "BACKEND", "TO-GUEST", "FROM-GUEST", "EVT-IN", "EVT-OUT", "ERRORS",   "CLIENT"};
	struct table t = {.ncols = st ? 14 : 8, .right = 0x6u | 0x1f00u};
	if (table_row(&t, head) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct ts_channel_info *c = &v[i];
		char domid[16], devid[16], b[5][24];
		snprintf(domid, sizeof(domid), "%u", c->domid);
		snprintf(devid, sizeof(devid), "%u", c->devid);
		json_t *s = st ? stats_for(st, c) : NULL; /* NULL: not served by xenchanneld */
		json_t *cl = s ? json_object_get(s, "client_connected") : NULL;
		const char *row[] = {
		    c->domain,
		    domid,
		    devid,
		    c->name,
		    c->connection,
		    c->path ? c->path : c->tty,
		    ts_state_name(c->fe_state),
		    ts_state_name(c->be_state),
		    num(b[0], sizeof(b[0]), s, "bytes_to_guest"),
		    num(b[1], sizeof(b[1]), s, "bytes_from_guest"),
		    num(b[2], sizeof(b[2]), s, "events_from_guest"),
		    num(b[3], sizeof(b[3]), s, "events_to_guest"),
		    num(b[4], sizeof(b[4]), s, "errors"),
		    json_is_boolean(cl) ? (json_is_true(cl) ? "yes" : "no")
		    : s                 ? "?"
		                        : "-",
		};
		if (table_row(&t, row) < 0)
			return -1;
	}
	table_print(&t);
	return 0;
}
/* ---- end of the table ---------------------------------------------------- */

static int failed(int json, const char *domain, const char *msg)
{
	if (!json) {
		fprintf(stderr, "xenchannel: list: %s\n", msg);
		return 1;
	}
	json_t *e;
	json_t *doc = cli_json_error(msg, &e);
	if (domain)
		json_object_set_new(e, "domain", cli_json_text(domain));
	cli_json_print(doc);
	return 1;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"stats", no_argument, NULL, 's'},
	                                     {"defined", no_argument, NULL, 'D'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	int json = 0, stats = 0, defined = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "jsh", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 's')
			stats = 1;
		else if (c == 'D')
			defined = 1;
		else
			return usage();
	}
	if (argc - optind > 1 || (stats && defined))
		return usage();
	if (defined)
		return cli_list_defined(optind < argc ? argv[optind] : NULL, json);

	const char *domain = optind < argc ? argv[optind] : NULL;
	struct ts *ts;
	struct ts_error err;
	if (ts_open(&ts, &err))
		return failed(json, domain, err.msg);
	int64_t domid = -1;
	if (domain) {
		uint32_t d;
		if (ts_domain_lookup(ts, domain, &d, &err)) {
			ts_close(ts);
			return failed(json, domain, err.msg);
		}
		domid = d;
	}
	struct ts_channel_info *v;
	size_t n;
	if (ts_list(ts, domid, &v, &n, &err)) {
		ts_close(ts);
		return failed(json, domain, err.msg);
	}
	ts_close(ts);

	json_t *st = NULL;
	int rc = 0;
	char why[400];
	if (stats && !(st = read_stats(why, sizeof(why)))) {
		char msg[440];
		snprintf(msg, sizeof(msg), "--stats: %s", why);
		if (json) {
			ts_list_free(v, n);
			return failed(json, domain, msg);
		}
		fprintf(stderr, "xenchannel: list %s\n", msg);
		rc = 1;
	}

	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++) {
			json_t *o = channel_json(&v[i]);
			if (o && st) {
				json_t *s = stats_for(st, &v[i]);
				json_object_set(o, "stats", s ? s : json_null());
			}
			json_array_append_new(arr, o);
		}
		char *s = arr ? json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			printf("%s\n", s);
		else
			rc = 1;
		free(s);
		json_decref(arr);
	} else if (print_table(v, n, st) < 0) {
		fprintf(stderr, "xenchannel: list: out of memory\n");
		rc = 1;
	}
	json_decref(st);
	ts_list_free(v, n);
	return rc;
}
