/*
 * cmd-registry.c - `xenchannel registry [--json] [check NAME]`: list the
 * channel name registry, or check one name against the naming rules and the
 * registry.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "xenchannel/config.h"

#define USAGE "usage: xenchannel registry [--json] [check NAME]\n"

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void print_list(const struct cfg_registry *reg, int json)
{
	char buf[200];
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < reg->n; i++) {
			const struct cfg_registry_entry *e = &reg->entries[i];
			json_array_append_new(
			    a, json_pack("{s:o, s:o, s:o, s:i}", "name", text_or_null(e->name),
			                 "contact", text_or_null(e->contact), "description",
			                 text_or_null(e->description), "line", (int)e->line));
		}
		cli_json_print(json_pack("{s:s, s:o}", "registry", reg->source, "entries", a));
		return;
	}
	printf("%-40s %-24s %s\n", "NAME", "CONTACT", "DESCRIPTION");
	for (size_t i = 0; i < reg->n; i++) {
		const struct cfg_registry_entry *e = &reg->entries[i];
		printf("%-40s ", cli_escaped(buf, sizeof(buf), e->name));
		printf("%-24s ", cli_escaped(buf, sizeof(buf), e->contact ? e->contact : "-"));
		printf("%s\n",
		       cli_escaped(buf, sizeof(buf), e->description ? e->description : "-"));
	}
}

/* 0 valid, 1 not. */
static int check_name(const struct cfg_registry *reg, const char *name, int json)
{
	char buf[200], why[300] = "";
	const char *rule = cfg_name_check(name);
	const struct cfg_registry_entry *e = cfg_registry_find(reg, name);
	const struct cfg_registry_entry *clash = cfg_registry_clash(reg, name);
	cli_escaped(buf, sizeof(buf), name);
	if (rule)
		snprintf(why, sizeof(why), "name `%s' %s", buf, rule);
	else if (clash)
		snprintf(why, sizeof(why),
		         "name `%s' differs only in case from the registered name `%s'", buf,
		         clash->name);
	if (json) {
		json_t *o = json_pack("{s:s, s:b, s:b}", "name", buf, "valid", !why[0],
		                      "registered", e != NULL);
		if (o && why[0])
			json_object_set_new(o, "error", json_string(why));
		if (o && clash)
			json_object_set_new(o, "clash", json_string(clash->name));
		if (o && e)
			json_object_set_new(o, "entry",
			                    json_pack("{s:o, s:o}", "contact",
			                              text_or_null(e->contact), "description",
			                              text_or_null(e->description)));
		cli_json_print(o);
	} else if (why[0]) {
		fprintf(stderr, "xenchannel: %s\n", why);
	} else if (e) {
		printf("%s: valid, registered (%s: %s)\n", buf, e->contact ? e->contact : "-",
		       e->description ? e->description : "-");
	} else {
		printf("%s: valid, not registered (register it in %s to keep it unique)\n", buf,
		       reg->source);
	}
	return why[0] ? 1 : 0;
}

int cmd_registry(int argc, char **argv)
{
	int json, status = cli_options_json(argc, argv, USAGE, &json);
	if (status >= 0)
		return status;
	int nargs = argc - optind;
	if (!(nargs == 0 || (nargs == 2 && !strcmp(argv[optind], "check")))) {
		fprintf(stderr, USAGE);
		return 2;
	}
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_registry *reg = NULL;
	int rc = 1;
	if (cli_registry_load(&reg, &d)) {
		if (json)
			cli_json_print(cli_with_diag(json_object(), &d));
		else
			cfg_diag_print(&d, stderr);
	} else if (nargs == 0) {
		print_list(reg, json);
		rc = 0;
	} else {
		rc = check_name(reg, argv[optind + 1], json);
	}
	cfg_registry_free(reg);
	cfg_diag_free(&d);
	return rc;
}
