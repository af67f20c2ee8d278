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

static const struct {
	const char *name;
	int (*fn)(struct xensim *x, int argc, char **argv);
} cmds[] = {
    {"start", cmd_start},   {"stop", cmd_stop},       {"env", cmd_env},   {"list", cmd_list},
    {"create", cmd_create}, {"destroy", cmd_destroy}, {"exec", cmd_exec}, {"fault", cmd_fault},
};

static void usage(FILE *f)
{
	fputs("usage: xensim start [--foreground]\n"
	      "       xensim stop\n"
	      "       xensim env\n"
	      "       xensim list\n"
	      "       xensim create --name NAME | FILE.cfg\n"
	      "       xensim destroy DOM\n"
	      "       xensim exec DOM -- COMMAND [ARG...]\n"
	      "       xensim fault DOM DEVID KIND [ARG]\n"
	      "       xensim --version | --help\n"
	      "Run directory: $XENSIM_RUN_DIR, else /run/xensim as root, else "
	      "$XDG_RUNTIME_DIR/xensim.\n",
	      f);
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
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("xensim %s (platform: sim)\n", XENCHANNEL_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if (run_dir(&x) < 0)
			return 1;
		return cmds[i].fn(&x, argc - 1, argv + 1);
	}
	xensim_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
