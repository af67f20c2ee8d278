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
/* Print obj (indented, keys in insertion order) on stdout and release it;
 * -1 when obj is NULL (out of memory, said on stderr) or stdout failed. */
int cli_print_json(json_t *obj);
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

/* provision-yaml.c */
/* A YAML provisioning document -> its JSON text (malloc'd, compact), or
 * NULL with the reason in err. */
char *cli_yaml_to_json(const char *text, size_t len, char *err, size_t errlen);

#endif
