/*
 * xensim.c - the xensim command: run and drive the simulated hypervisor.
 * One file per subcommand (cmd-*.c); the daemon itself is daemon.c.
 */
#include "xensim.h"

#include "xenchannel/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef XENCHANNEL_VERSION
#define XENCHANNEL_VERSION "unknown"
#endif

void xensim_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("xensim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const struct command {
	const char *name;
	int (*fn)(struct xensim *x, int argc, char **argv);
	const char *usage, *summary;
} cmds[] = {
    {"start", cmd_start, "start [--foreground]", "start the simulator (returns when it is ready)"},
    {"stop", cmd_stop, "stop", "stop it, its guests and what `exec` started"},
    {"env", cmd_env, "env", "print the environment for dom0 tools (eval it)"},
    {"list", cmd_list, "list", "list the domains"},
    {"create", cmd_create, "create [-p] --name NAME | FILE.cfg", "create and start a domain"},
    {"unpause", cmd_unpause, "unpause DOM", "start a domain created with -p"},
    {"destroy", cmd_destroy, "destroy DOM", "destroy a domain"},
    {"exec", cmd_exec, "exec DOM -- COMMAND [ARG...]", "run a command as a process of DOM"},
    {"fault", cmd_fault, "fault DOM DEVID KIND [ARG]", "make a guest frontend misbehave"},
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fputs("usage: xensim COMMAND [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-36s %s\n", cmds[i].usage, cmds[i].summary);
	fprintf(f, "  %-36s %s\n", "help [COMMAND]", "show this text or one command's usage");
	fprintf(f, "  %-36s %s\n", "--version", "show the version");
	fputs("\nRun directory: $XENSIM_RUN_DIR, else /run/xensim as root, else "
	      "$XDG_RUNTIME_DIR/xensim.\nSee xensim(1).\n",
	      f);
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void command_usage(FILE *f, const struct command *c)
{
	fprintf(f, "usage: xensim %s\n%s\n", c->usage, c->summary);
}

int xensim_usage_error(const char *cmd, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		fprintf(stderr, "xensim: %s: ", cmd);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	const struct command *c = find(cmd);
	if (c)
		command_usage(stderr, c);
	return 2;
}

static int version(void)
{
	printf("xensim %s (platform: sim)\n", XENCHANNEL_VERSION);
	return 0;
}

/* --help / --version given to a command, before any "--" (for exec, before
 * its COMMAND even without "--"): 1 if handled. */
static int help_or_version(const struct command *c, int argc, char **argv, int *status)
{
	int last = c->fn == cmd_exec ? 2 : argc;
	for (int i = 1; i < argc && i < last && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			command_usage(stdout, c);
			*status = 0;
			return 1;
		}
		if (!strcmp(argv[i], "--version")) {
			*status = version();
			return 1;
		}
	}
	return 0;
}

static int run_dir(struct xensim *x)
{
	const char *env = getenv("XENSIM_RUN_DIR");
	int n;
	if (env && *env)
		n = snprintf(x->run, sizeof(x->run), "%s", env);
	else if (geteuid() == 0)
		n = snprintf(x->run, sizeof(x->run), "/run/xensim");
	else if ((env = getenv("XDG_RUNTIME_DIR")) && *env)
		n = snprintf(x->run, sizeof(x->run), "%s/xensim", env);
	else {
		xensim_err("no run directory: set XENSIM_RUN_DIR (XDG_RUNTIME_DIR is not set "
		           "either)");
		return -1;
	}
	if (n < 0 || (size_t)n >= sizeof(x->run)) {
		xensim_err("run directory name too long");
		return -1;
	}
	if (x->run[0] != '/') {
		/* every process we hand it to may run elsewhere */
		char cwd[PATH_MAX], abs[2 * PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, x->run) >= (int)sizeof(x->run)) {
			xensim_err("cannot make run directory %s absolute", x->run);
			return -1;
		}
		memcpy(x->run, abs, sizeof(x->run));
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct xensim x;
	log_init("xensim");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return version();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2) {
			const struct command *c = find(argv[2]);
			if (!c) {
				xensim_err("unknown command '%s'", argv[2]);
				return 2;
			}
			command_usage(stdout, c);
			return 0;
		}
		usage(stdout);
		return 0;
	}
	const struct command *c = find(argv[1]);
	if (!c) {
		xensim_err("unknown command '%s' (try `xensim --help')", argv[1]);
		return 2;
	}
	int status;
	if (help_or_version(c, argc - 1, argv + 1, &status))
		return status;
	if (run_dir(&x) < 0)
		return 1;
	return c->fn(&x, argc - 1, argv + 1);
}
