/*
 * cmd-agent-shell.c - `xenchannel agent-shell` (not implemented yet).
 */
#include <stdio.h>

#include "commands.h"

int cmd_agent_shell(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "xenchannel: agent-shell: not implemented yet\n");
	return 1;
}
