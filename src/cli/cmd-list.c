/*
 * cmd-list.c - `xenchannel list [DOMAIN] [--json] [--stats|--defined]`: every
 * channel of one or all domains with its state on both ends (--defined: the
 * declared ones, cmd-define.c).
 */
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
 * in --json output; the table gets bytes to and from the guest and whether
 * a dom0 client is connected. (The daemon defines the fields; extend the
 * rendering here.)
 */
static json_t *read_stats(void)
{
	char path[256];
	cli_control_socket(path, sizeof(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "xenchannel: list --stats: cannot use %s\n", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("xenchannel: list --stats: connect to xenchanneld's control socket");
		fprintf(stderr, "xenchannel: list --stats: (tried %s; is xenchanneld running?)\n",
		        path);
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
		fprintf(stderr, "xenchannel: list --stats: no complete answer from %s within 5 s\n",
		        path);
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

	struct ts *ts;
	struct ts_error err;
	if (ts_open(&ts, &err)) {
		fprintf(stderr, "xenchannel: %s\n", err.msg);
		return 1;
	}
	int64_t domid = -1;
	if (optind < argc) {
		uint32_t d;
		if (ts_domain_lookup(ts, argv[optind], &d, &err)) {
			fprintf(stderr, "xenchannel: list: %s\n", err.msg);
			ts_close(ts);
			return 1;
		}
		domid = d;
	}
	struct ts_channel_info *v;
	size_t n;
	if (ts_list(ts, domid, &v, &n, &err)) {
		fprintf(stderr, "xenchannel: list: %s\n", err.msg);
		ts_close(ts);
		return 1;
	}
	ts_close(ts);

	json_t *st = NULL;
	int rc = 0;
	if (stats && !(st = read_stats()))
		rc = 1;

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
	} else {
		int bw = st ? 12 : 0; /* no trailing blanks without the stats columns */
		printf("%-16s %5s %5s %-32s %-6s %-28s %-12s %-*s", "DOMAIN", "DOMID", "DEVID",
		       "NAME", "CONN", "PATH/TTY", "FRONTEND", bw, "BACKEND");
		if (st)
			printf(" %12s %12s %s", "TO-GUEST", "FROM-GUEST", "CLIENT");
		printf("\n");
		char b1[64], b2[200], b3[200];
		for (size_t i = 0; i < n; i++) {
			const struct ts_channel_info *ci = &v[i];
			const char *where = ci->path ? ci->path : ci->tty ? ci->tty : "-";
			printf("%-16s %5u %5u %-32s %-6s %-28s %-12s %-*s",
			       cli_escaped(b1, sizeof(b1), *ci->domain ? ci->domain : "-"),
			       ci->domid, ci->devid, cli_escaped(b2, sizeof(b2), ci->name),
			       *ci->connection ? ci->connection : "-",
			       cli_escaped(b3, sizeof(b3), where), ts_state_name(ci->fe_state), bw,
			       ts_state_name(ci->be_state));
			json_t *s = st ? stats_for(st, ci) : NULL;
			if (s) {
				json_t *to = json_object_get(s, "bytes_to_guest");
				json_t *from = json_object_get(s, "bytes_from_guest");
				json_t *cl = json_object_get(s, "client_connected");
				printf(
				    " %12lld %12lld %s",
				    json_is_integer(to) ? (long long)json_integer_value(to) : -1LL,
				    json_is_integer(from) ? (long long)json_integer_value(from)
				                          : -1LL,
				    json_is_boolean(cl) ? (json_is_true(cl) ? "yes" : "no") : "-");
			} else if (st) {
				printf(" %12s %12s %s", "-", "-",
				       "-"); /* not served by xenchanneld */
			}
			printf("\n");
		}
	}
	json_decref(st);
	ts_list_free(v, n);
	return rc;
}
