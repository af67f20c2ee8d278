/*
 * commands.h - the subcommands of xenchannel, one file each (cmd-<name>.c).
 *
 * Each takes the arguments after "xenchannel" (argv[0] is the subcommand
 * name) and returns the exit status: 0 success, 1 failure, 2 usage error.
 * A usage error prints the command's usage on stderr. `--help` is one too,
 * as far as the command knows: xenchannel.c calls it with just "--help" and
 * its stderr on stdout, and exits 0 (so usage text lives in one place).
 */
#ifndef XENCHANNEL_CLI_COMMANDS_H
#define XENCHANNEL_CLI_COMMANDS_H

#include <jansson.h>
#include <stdio.h>

#include "xenchannel/config.h"

int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_registry(int argc, char **argv);
int cmd_provision(int argc, char **argv);
int cmd_agent_shell(int argc, char **argv);
int cmd_agent_command(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_qga(int argc, char **argv);
int cmd_define(int argc, char **argv);
int cmd_undefine(int argc, char **argv);
int cmd_create(int argc, char **argv);

/* cmd-define.c */
/* Where declarations live: $XENCHANNEL_DOMAINS_DIR, else the installed
 * default (sysconfdir's xenchannel/domains). */
const char *cli_domains_dir(void);
/* The declaration of domain (a name checked first): 0 with *out, 1 when it
 * has none (out empty but named), -1 with errors in d. */
int cli_decl_load(const char *domain, const struct cfg_registry *reg, struct cfg_domain *out,
                  struct cfg_diag *d);
/* `list --defined [DOMAIN] [--json]`: the exit status. */
int cli_list_defined(const char *domain, int json);

/* cli-util.c */
/* The channel registry: $XENCHANNEL_REGISTRY when set (only it); run from
 * the build tree, the build tree's data/channel-registry; installed,
 * sysconfdir's xenchannel/channel-registry, else datadir's (found relative
 * to the executable first, so a DESTDIR or moved prefix finds its own).
 * The first that exists, or NULL with the places tried in `tried`. */
const char *cli_registry_find(char *tried, size_t triedlen);
/* That path, or the installed one when none exists (for messages). */
const char *cli_registry_path(void);
/* Load it; a missing or unreadable registry is an error naming the paths. */
int cli_registry_load(struct cfg_registry **out, struct cfg_diag *d);
/* obj with "errors" and "warnings" arrays of d's messages ({"file", "line",
 * "column", "message"}) added; NULL (obj released) without memory. */
json_t *cli_with_diag(json_t *obj, const struct cfg_diag *d);
/* s escaped into buf by esc_text (anything unprintable, and backslash, as
 * \xNN; truncated with "..." to fit): values may come from guests. */
const char *cli_escaped(char *buf, size_t size, const char *s);
/* xenchanneld's control socket ($XENSIM_RUN_DIR/xenchanneld/control.sock in
 * the simulator, else /run/xenchanneld/control.sock). */
const char *cli_control_socket(char *buf, size_t size);

/* The agent's socket: TARGET itself when it has a '/', else the socket of
 * channel NAME of domain TARGET (an id or a name). 0, or -1 with err. */
int cli_agent_socket(const char *target, const char *name, char *sock, size_t size, char *err,
                     size_t errlen);
/* OPT SECONDS (0-86400, fractions allowed; more than 0 if positive) into
 * *ms; -1 after a message naming cmd and opt. */
int cli_parse_seconds(const char *cmd, const char *opt, const char *arg, int positive, int *ms);
/* --jobs N (1..max) into *jobs; -1 after a message naming cmd. */
int cli_parse_jobs(const char *cmd, const char *arg, long max, long *jobs);
/* A JSON string of s (escaped by cli_escaped when it is not UTF-8), or
 * null for NULL. */
json_t *cli_json_text(const char *s);
/* --json errors: {"error": {"message": msg}}; *inner (when not NULL) is
 * the inner object, for the caller to add domain, devid, name... */
json_t *cli_json_error(const char *msg, json_t **inner);
/* Print o (consumed) indented on stdout; -1 when it cannot. */
int cli_json_print(json_t *o);
/* The options of a command that has only --json and --help: -1 to go on
 * (operands from optind), else the exit status (0 after --help, 2 after a
 * usage error, usage printed). */
int cli_options_json(int argc, char **argv, const char *usage, int *json);

/* provision-yaml.c */
/* A YAML provisioning document -> its JSON text (malloc'd, compact), or
 * NULL with the reason in err. */
char *cli_yaml_to_json(const char *text, size_t len, char *err, size_t errlen);
/* cloud-init's files (cloud-config, meta-data, network-config) the way
 * cloud-init reads them. */
struct cli_yaml_opts {
	int yaml11;          /* plain scalars as PyYAML resolves them (yes, 0644, 1.5) */
	int allow_empty;     /* an empty file is {} */
	json_t *marks;       /* when set, gets "key path" -> [line, column] */
	size_t line, column; /* out: where the error is (1-based), 0 if nowhere */
};
/* One YAML document, a mapping, as JSON; NULL with the reason in err and
 * its place in o->line, o->column. */
json_t *cli_yaml_load(const char *text, size_t len, struct cli_yaml_opts *o, char *err,
                      size_t errlen);

/* provision-cloud.c: cloud-init's inputs, checked with cloud-init's rules;
 * every problem goes to d as "FILE:LINE:COL: what". */
/* Is this text a cloud-config (its first line "#cloud-config")? */
int cli_is_cloud_config(const char *text, size_t len);
/* The NoCloud seed in dir as the document {"nocloud": {...}} (without a
 * generation), or NULL. */
json_t *cli_seed_load(const char *dir, struct cfg_diag *d);
/* A cloud-config user-data (file, its text read already) with netfile
 * (NULL: a "network-config" beside file, if any) as a document for our own
 * appliers ("generation" only when it has one); *skipped gets what only
 * cloud-init can do ([{"item", "reason"}]). NULL when it is bad. */
json_t *cli_cloud_config_load(const char *file, const char *text, size_t len, const char *netfile,
                              json_t **skipped, struct cfg_diag *d);
/* The same from a directory's user-data, network-config (or netfile) and
 * meta-data. */
json_t *cli_cloud_dir_load(const char *dir, const char *netfile, json_t **skipped,
                           struct cfg_diag *d);

#endif
