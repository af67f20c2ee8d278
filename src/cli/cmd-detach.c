/*
 * cmd-detach.c - `xenchannel detach [--force] [--timeout SECONDS] [--json]
 * DOMAIN NAME|DEVID`: remove a channel with the xenbus close handshake.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "xenchannel/toolstack.h"

static int usage(void)
{
	fprintf(stderr, "usage: xenchannel detach [--force] [--timeout SECONDS] [--json] DOMAIN "
	                "NAME|DEVID\n");
	return 2;
}

int cmd_detach(int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
	                                     {"timeout", required_argument, NULL, 't'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	unsigned flags = 0;
	int timeout_ms = TS_DETACH_TIMEOUT_MS;
	int c, json = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+ft:jh", opts, NULL)) != -1) {
		if (c == 'f') {
			flags |= TS_FORCE;
		} else if (c == 't') {
			if (cli_parse_seconds("detach", "--timeout", optarg, 0, &timeout_ms))
				return 2;
		} else if (c == 'j') {
			json = 1;
		} else {
			return usage();
		}
	}
	if (optind + 2 != argc)
		return usage();

	const char *domain = argv[optind], *which = argv[optind + 1];
	struct ts *ts;
	struct ts_error err;
	uint32_t domid = 0;
	struct ts_detach_result res = {0};
	int r = ts_open(&ts, &err), known = 0;
	if (r == 0) {
		r = ts_domain_lookup(ts, domain, &domid, &err);
		known = r == 0;
		if (r == 0)
			r = ts_detach(ts, domid, which, timeout_ms, flags, &res, &err);
		ts_close(ts);
	}
	if (!json) {
		if (r) {
			fprintf(stderr, "xenchannel: detach: %s\n", err.msg);
			return 1;
		}
		if (res.forced)
			fprintf(stderr, "xenchannel: detach: warning: %s\n", res.note);
		printf("detached devid %u from domain %u\n", res.devid, domid);
		return 0;
	}
	json_t *o, *doc;
	if (r)
		doc = cli_json_error(err.msg, &o);
	else
		doc = o = json_object();
	json_object_set_new(o, "domain", cli_json_text(domain));
	if (known)
		json_object_set_new(o, "domid", json_integer(domid));
	if (res.devid)
		json_object_set_new(o, "devid", json_integer(res.devid));
	json_object_set_new(o, "channel", cli_json_text(which));
	if (!r) {
		json_object_set_new(o, "forced", json_boolean(res.forced));
		json_object_set_new(o, "note", res.forced ? cli_json_text(res.note) : json_null());
	}
	return cli_json_print(doc) || r ? 1 : 0;
}
