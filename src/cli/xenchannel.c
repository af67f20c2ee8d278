/*
 * xenchannel.c - the dom0 command: a table of subcommands, one file each.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "xenchannel/log.h"

#ifndef XC_VERSION
#define XC_VERSION "unknown"
#endif

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
    {"list", cmd_list, "list [DOMAIN] [--json] [--stats]", "show every channel and its state"},
    {"config", cmd_config, "config FILE [--json]",
     "check an xl domain configuration file and show its channels"},
    {"registry", cmd_registry, "registry [check NAME]",
     "list the channel name registry, or check a name"},
    {"provision", cmd_provision, "provision [options] TARGET[=FILE]...",
     "send a configuration document to guests' agents and report the result"},
    {"agent-shell", cmd_agent_shell, "agent-shell DOMAIN|SOCKET [NAME]",
     "talk to a guest's agent interactively"},
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
		printf("xenchannel %s\n", XC_VERSION);
		return 0;
	}
	if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
		if (argc > 2) {
			const struct command *c = find(argv[2]);
			if (!c) {
				fprintf(stderr, "xenchannel: unknown command `%s'\n", argv[2]);
				return 2;
			}
			printf("usage: xenchannel %s\n%s\n", c->usage, c->summary);
			return 0;
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
	return c->run(argc - 1, argv + 1);
}
