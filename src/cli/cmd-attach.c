/*
 * cmd-attach.c - `xenchannel attach [--force] DOMAIN SPEC`: add a channel to a
 * running domain and print its devid.
 */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "xenchannel/config.h"
#include "xenchannel/toolstack.h"

static int usage(void)
{
	fprintf(stderr, "usage: xenchannel attach [--force] DOMAIN SPEC\n"
	                "  SPEC: \"name=NAME,connection=socket,path=PATH\" or "
	                "\"name=NAME,connection=pty\"\n");
	return 2;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	unsigned flags = 0;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (c == 'f')
			flags |= TS_FORCE;
		else
			return usage();
	}
	if (optind + 2 != argc)
		return usage();
	const char *domain = argv[optind], *spec = argv[optind + 1];

	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_channel ch;
	if (cfg_channel_parse(spec, "spec", 1, NULL, 0, &ch, &d)) {
		cfg_diag_print(&d, stderr);
		cfg_diag_free(&d);
		return 1;
	}
	cfg_diag_print(&d, stderr); /* warnings */
	struct cfg_registry *reg = NULL;
	int rc = 1;
	if (cli_registry_load(&reg, &d)) {
		cfg_diag_print(&d, stderr);
		goto out;
	}
	const struct cfg_registry_entry *clash = cfg_registry_clash(reg, ch.name);
	if (clash) {
		fprintf(
		    stderr,
		    "xenchannel: name `%s' differs only in case from the registered name `%s'\n",
		    ch.name, clash->name);
		goto out;
	}

	struct ts *ts;
	struct ts_error err;
	if (ts_open(&ts, &err)) {
		fprintf(stderr, "xenchannel: %s\n", err.msg);
		goto out;
	}
	uint32_t domid;
	unsigned devid;
	if (ts_domain_lookup(ts, domain, &domid, &err) ||
	    ts_attach(ts, domid, &ch, flags, &devid, &err)) {
		fprintf(stderr, "xenchannel: attach: %s\n", err.msg);
	} else {
		printf("%u\n", devid);
		rc = 0;
	}
	ts_close(ts);
out:
	cfg_registry_free(reg);
	cfg_channel_clear(&ch);
	cfg_diag_free(&d);
	return rc;
}
