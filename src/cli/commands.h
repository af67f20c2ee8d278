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

/* provision-yaml.c */
/* A YAML provisioning document -> its JSON text (malloc'd, compact), or
 * NULL with the reason in err. */
char *cli_yaml_to_json(const char *text, size_t len, char *err, size_t errlen);

#endif
