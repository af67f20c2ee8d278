/*
 * xenchannel.c - the dom0 command: a table of subcommands, one file each.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "xenchannel/log.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

static const struct command commands[] = {
    {"attach", cmd_attach, "attach [--force] [--no-wait | --timeout SECONDS] [--json] DOMAIN SPEC",
     "add a channel to a running domain (SPEC as in xl.cfg: name=...,connection=...)"},
    {"detach", cmd_detach, "detach [--force] [--timeout SECONDS] [--json] DOMAIN NAME|DEVID",
     "remove a channel with the xenbus close handshake"},
    {"list", cmd_list, "list [DOMAIN] [--json] [--stats|--defined]",
     "show every channel and its state (or the declared ones)"},
    {"define", cmd_define, "define DOMAIN-NAME SPEC...",
     "declare channels that follow a domain: attached whenever it runs"},
    {"undefine", cmd_undefine, "undefine DOMAIN-NAME [NAME]",
     "remove a domain's declared channels, or one of them"},
    {"create", cmd_create, "create [--dry-run] [xl options] FILE",
     "declare FILE's channels, then xl create the rest of FILE"},
    {"config", cmd_config, "config [--json] FILE|-",
     "check an xl domain configuration file and show its channels"},
    {"registry", cmd_registry, "registry [--json] [check NAME]",
     "list the channel name registry, or check a name"},
    {"provision", cmd_provision, "provision [options] TARGET[=FILE]...",
     "send a configuration document to guests' agents and report the result"},
    {"agent-shell", cmd_agent_shell, "agent-shell [--timeout SECONDS] DOMAIN|SOCKET [NAME]",
     "talk to a guest's agent interactively"},
    {"agent-command", cmd_agent_command,
     "agent-command [--timeout SECONDS] [--name NAME] DOMAIN|SOCKET JSON",
     "send one request to a guest's agent and print its reply"},
    {"console", cmd_console, "console [--timeout SECONDS] DOMAIN NAME|DEVID",
     "connect the terminal (or stdin/stdout) to a channel; Ctrl-] leaves"},
    {"qga", cmd_qga, "qga [options] TARGET...|--all COMMAND [ARGUMENTS-JSON]",
     "run a qemu-guest-agent command in one guest or many"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: xenchannel COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-56s %s\n", commands[i].usage, commands[i].summary);
	fprintf(f, "  %-56s %s\n", "help [COMMAND]", "show this text or one command's usage");
	fprintf(f, "  %-56s %s\n", "--version", "show the version");
	fprintf(f, "\nSee xenchannel(8).\n");
}

/* `xenchannel CMD --help` (or -h, anywhere before a "--") runs CMD's own
 * usage path with only "--help" and with its stderr on stdout, so every
 * command's usage text stays in its file and reaches stdout with status 0;
 * `--version` is answered here for every command alike. */
static int help_or_version(const struct command *c, int argc, char **argv, int *status)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--version")) {
			printf("xenchannel %s\n", XENCHANNEL_VERSION);
			*status = 0;
			return 1;
		}
		if (strcmp(argv[i], "--help") && strcmp(argv[i], "-h"))
			continue;
		char *args[] = {argv[0], "--help", NULL};
		fflush(stderr);
		int saved = dup(STDERR_FILENO);
		if (saved < 0 || dup2(STDOUT_FILENO, STDERR_FILENO) < 0) {
			perror("xenchannel: --help");
			*status = 1;
			return 1;
		}
		int rc = c->run(2, args);
		fflush(stdout);
		fflush(stderr);
		dup2(saved, STDERR_FILENO);
		close(saved);
		*status = rc == 2 ? 0 : rc;
		return 1;
	}
	return 0;
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	log_init("xenchannel");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("xenchannel %s\n", XENCHANNEL_VERSION);
		return 0;
	}
	if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
		if (argc > 2) {
			const struct command *c = find(argv[2]);
			if (!c) {
				fprintf(stderr, "xenchannel: unknown command `%s'\n", argv[2]);
				return 2;
			}
			char *args[] = {argv[2], "--help", NULL};
			int status;
			help_or_version(c, 2, args, &status);
			return status;
		}
		usage(stdout);
		return 0;
	}
	const struct command *c = find(name);
	if (!c) {
		char buf[80];
		fprintf(stderr, "xenchannel: unknown command `%s' (try `xenchannel help')\n",
		        cli_escaped(buf, sizeof(buf), name));
		return 2;
	}
	int status;
	if (help_or_version(c, argc - 1, argv + 1, &status))
		return status;
	return c->run(argc - 1, argv + 1);
}
