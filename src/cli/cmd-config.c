/*
 * cmd-config.c - `xenchannel config [--json] FILE|-`: parse a whole xl.cfg
 * (or standard input) and show the domain name and its channels, or every
 * problem found. Exit 0 valid, 1 invalid, 2 usage.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "xenchannel/config.h"

#define USAGE "usage: xenchannel config [--json] FILE|-\n"

static void print_table(const struct cfg_domain *dom)
{
	char buf[160];
	printf("domain %s: %zu channel%s\n", cli_escaped(buf, sizeof(buf), dom->name),
	       dom->nchannels, dom->nchannels == 1 ? "" : "s");
	if (dom->nchannels)
		printf("%-5s %-5s %-40s %-10s %s\n", "INDEX", "DEVID", "NAME", "CONNECTION",
		       "PATH");
	for (size_t i = 0; i < dom->nchannels; i++) {
		const struct cfg_channel *ch = &dom->channels[i];
		printf("%-5u %-5u %-40s %-10s %s%s%s\n", ch->index, ch->devid, ch->name,
		       cfg_connection_name(ch->connection), ch->path ? ch->path : "-",
		       ch->backend ? "  backend=" : "", ch->backend ? ch->backend : "");
	}
}

/* Everything wrong with the file, not only the first problem: a syntax
 * error leaves the other settings to be checked. 0 valid, -1 not. */
static int check(const char *file, const struct cfg_registry *reg, struct cfg_domain *dom,
                 struct cfg_diag *d)
{
	char *data;
	size_t len;
	memset(dom, 0, sizeof(*dom));
	if (cfg_read(file, &data, &len, d))
		return -1;
	struct cfg_file *f = NULL;
	int rc = cfg_parse_keep(strcmp(file, "-") ? file : CFG_STDIN_NAME, data, len, &f, d);
	free(data);
	if (f && cfg_domain_from_file(f, reg, dom, d))
		rc = -1;
	cfg_file_free(f);
	if (rc)
		cfg_domain_clear(dom);
	return rc;
}

int cmd_config(int argc, char **argv)
{
	/* options may follow FILE; "-" is a file name (standard input) */
	int json, status = cli_options_json(argc, argv, USAGE, &json);
	if (status >= 0)
		return status;
	if (optind + 1 != argc) {
		fprintf(stderr, USAGE);
		return 2;
	}
	const char *file = argv[optind];

	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_registry *reg = NULL;
	/* without its registry the file is still checked: every error at once */
	int rc = cli_registry_load(&reg, &d) ? 1 : 0;
	struct cfg_domain dom;
	if (check(file, reg, &dom, &d))
		rc = 1;
	if (json) {
		json_t *o = rc ? json_object() : cfg_domain_json(&dom, reg);
		if (o) {
			json_object_set_new(o, "file",
			                    json_string(strcmp(file, "-") ? file : CFG_STDIN_NAME));
			json_object_set_new(o, "valid", json_boolean(rc == 0));
		}
		if (cli_json_print(cli_with_diag(o, &d)) < 0)
			rc = 1;
	} else {
		cfg_diag_print(&d, stderr);
		if (!rc)
			print_table(&dom);
	}
	cfg_domain_clear(&dom);
	cfg_registry_free(reg);
	cfg_diag_free(&d);
	return rc;
}
