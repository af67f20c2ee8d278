/*
 * cmd-detach.c - `xenchannel detach [--force] [--timeout SECONDS] DOMAIN
 * NAME|DEVID`: remove a channel with the xenbus close handshake.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "xenchannel/toolstack.h"

static int usage(void)
{
	fprintf(stderr,
	        "usage: xenchannel detach [--force] [--timeout SECONDS] DOMAIN NAME|DEVID\n");
	return 2;
}

int cmd_detach(int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
	                                     {"timeout", required_argument, NULL, 't'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	unsigned flags = 0;
	int timeout_ms = TS_DETACH_TIMEOUT_MS;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+ft:h", opts, NULL)) != -1) {
		if (c == 'f') {
			flags |= TS_FORCE;
		} else if (c == 't') {
			char *end;
			double s = strtod(optarg, &end);
			if (end == optarg || *end || !isfinite(s) || s < 0 || s > 86400) {
				fprintf(
				    stderr,
				    "xenchannel: detach: --timeout `%s' is not a number of seconds "
				    "(0-86400)\n",
				    optarg);
				return 2;
			}
			timeout_ms = (int)(s * 1000 + 0.5);
		} else {
			return usage();
		}
	}
	if (optind + 2 != argc)
		return usage();

	struct ts *ts;
	struct ts_error err;
	if (ts_open(&ts, &err)) {
		fprintf(stderr, "xenchannel: %s\n", err.msg);
		return 1;
	}
	uint32_t domid;
	struct ts_detach_result res;
	int rc = 1;
	if (ts_domain_lookup(ts, argv[optind], &domid, &err) ||
	    ts_detach(ts, domid, argv[optind + 1], timeout_ms, flags, &res, &err)) {
		fprintf(stderr, "xenchannel: detach: %s\n", err.msg);
	} else {
		if (res.forced)
			fprintf(stderr, "xenchannel: detach: warning: %s\n", res.note);
		printf("detached devid %u from domain %u\n", res.devid, domid);
		rc = 0;
	}
	ts_close(ts);
	return rc;
}
