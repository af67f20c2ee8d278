/*
 * cmd-config.c - `xenchannel config FILE [--json]`: parse a whole xl.cfg and
 * show the domain name and its channels. Exit 0 valid, 1 invalid.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "xenchannel/config.h"

static int usage(void)
{
	fprintf(stderr, "usage: xenchannel config FILE [--json]\n");
	return 2;
}

int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int json = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else
			return usage();
	}
	if (optind + 1 != argc) {
		/* allow FILE before --json */
		if (optind + 2 == argc && !strcmp(argv[optind + 1], "--json"))
			json = 1;
		else
			return usage();
	}
	const char *file = argv[optind];

	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_registry *reg = NULL;
	if (access(cli_registry_path(), F_OK) == 0 &&
	    cfg_registry_load(cli_registry_path(), &reg, &d)) {
		cfg_diag_print(&d, stderr);
		cfg_diag_free(&d);
		return 1;
	}
	struct cfg_file *f = NULL;
	struct cfg_domain dom;
	int rc = 1;
	if (cfg_parse_file(file, &f, &d) == 0 && cfg_domain_from_file(f, reg, &dom, &d) == 0) {
		cfg_diag_print(&d, stderr); /* warnings */
		if (json) {
			char *s = cfg_domain_to_json(&dom, reg);
			if (s) {
				printf("%s\n", s);
				free(s);
				rc = 0;
			} else {
				fprintf(stderr, "xenchannel: out of memory\n");
			}
		} else {
			char buf[160];
			printf("domain %s: %zu channel%s\n",
			       cli_escaped(buf, sizeof(buf), dom.name), dom.nchannels,
			       dom.nchannels == 1 ? "" : "s");
			if (dom.nchannels)
				printf("%-5s %-5s %-40s %-10s %s\n", "INDEX", "DEVID", "NAME",
				       "CONNECTION", "PATH");
			for (size_t i = 0; i < dom.nchannels; i++) {
				const struct cfg_channel *ch = &dom.channels[i];
				printf("%-5u %-5u %-40s %-10s %s%s%s\n", ch->index, ch->devid,
				       ch->name, cfg_connection_name(ch->connection),
				       ch->path ? ch->path : "-", ch->backend ? "  backend=" : "",
				       ch->backend ? ch->backend : "");
			}
			rc = 0;
		}
		cfg_domain_clear(&dom);
	} else {
		cfg_diag_print(&d, stderr);
	}
	cfg_file_free(f);
	cfg_registry_free(reg);
	cfg_diag_free(&d);
	return rc;
}
