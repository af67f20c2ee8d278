/*
 * cmd-provision.c - `xenchannel provision` (not implemented yet).
 */
#include <stdio.h>

#include "commands.h"

int cmd_provision(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "xenchannel: provision: not implemented yet\n");
	return 1;
}
