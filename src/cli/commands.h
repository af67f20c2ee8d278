/*
 * commands.h - the subcommands of xenchannel, one file each (cmd-<name>.c).
 *
 * Each takes the arguments after "xenchannel" (argv[0] is the subcommand
 * name) and returns the exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef XENCHANNEL_CLI_COMMANDS_H
#define XENCHANNEL_CLI_COMMANDS_H

#include <jansson.h>
#include <stdio.h>

int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_registry(int argc, char **argv);
int cmd_provision(int argc, char **argv);
int cmd_agent_shell(int argc, char **argv);

/* cli-util.c */
/* The channel registry: $XENCHANNEL_REGISTRY, else the installed copy. */
const char *cli_registry_path(void);
/* s escaped into buf by esc_text (anything unprintable, and backslash, as
 * \xNN; truncated with "..." to fit): values may come from guests. */
const char *cli_escaped(char *buf, size_t size, const char *s);
/* xenchanneld's control socket ($XENSIM_RUN_DIR/xenchanneld/control.sock in
 * the simulator, else /run/xenchanneld/control.sock). */
const char *cli_control_socket(char *buf, size_t size);

/* --timeout SECONDS (0-86400, fractions allowed) into *ms; -1 after a
 * message naming cmd. */
int cli_parse_seconds(const char *cmd, const char *arg, int *ms);
/* A JSON string of s (escaped by cli_escaped when it is not UTF-8), or
 * null for NULL. */
json_t *cli_json_text(const char *s);
/* --json errors: {"error": {"message": msg}}; *inner (when not NULL) is
 * the inner object, for the caller to add domain, devid, name... */
json_t *cli_json_error(const char *msg, json_t **inner);
/* Print o (consumed) indented on stdout; -1 when it cannot. */
int cli_json_print(json_t *o);

/* provision-yaml.c */
/* A YAML provisioning document -> its JSON text (malloc'd, compact), or
 * NULL with the reason in err. */
char *cli_yaml_to_json(const char *text, size_t len, char *err, size_t errlen);

#endif
