/*
 * cmd-registry.c - `xenchannel registry [check NAME]`: list the channel name
 * registry, or check one name against the naming rules and the registry.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "xenchannel/config.h"

int cmd_registry(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: xenchannel registry [check NAME]\n");
		return 0;
	}
	if (!(argc == 1 || (argc == 3 && !strcmp(argv[1], "check")))) {
		fprintf(stderr, "usage: xenchannel registry [check NAME]\n");
		return 2;
	}
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_registry *reg = NULL;
	if (cfg_registry_load(cli_registry_path(), &reg, &d)) {
		cfg_diag_print(&d, stderr);
		cfg_diag_free(&d);
		return 1;
	}
	cfg_diag_free(&d);
	int rc = 0;
	char buf[200];
	if (argc == 1) {
		printf("%-40s %-24s %s\n", "NAME", "CONTACT", "DESCRIPTION");
		for (size_t i = 0; i < reg->n; i++) {
			const struct cfg_registry_entry *e = &reg->entries[i];
			printf("%-40s ", cli_escaped(buf, sizeof(buf), e->name));
			printf("%-24s ",
			       cli_escaped(buf, sizeof(buf), e->contact ? e->contact : "-"));
			printf("%s\n", cli_escaped(buf, sizeof(buf),
			                           e->description ? e->description : "-"));
		}
	} else {
		const char *name = argv[2];
		const char *why = cfg_name_check(name);
		const struct cfg_registry_entry *e = cfg_registry_find(reg, name);
		const struct cfg_registry_entry *clash = cfg_registry_clash(reg, name);
		cli_escaped(buf, sizeof(buf), name);
		if (why) {
			fprintf(stderr, "xenchannel: name `%s' %s\n", buf, why);
			rc = 1;
		} else if (clash) {
			fprintf(
			    stderr,
			    "xenchannel: name `%s' differs only in case from the registered name "
			    "`%s'\n",
			    buf, clash->name);
			rc = 1;
		} else if (e) {
			printf("%s: valid, registered (%s: %s)\n", buf,
			       e->contact ? e->contact : "-",
			       e->description ? e->description : "-");
		} else {
			printf("%s: valid, not registered (register it in %s to keep it unique)\n",
			       buf, cli_registry_path());
		}
	}
	cfg_registry_free(reg);
	return rc;
}
