/*
 * main.c - xensim-xenstored: the simulator's xenstored as its own process.
 *
 *   xensim-xenstored --run-dir DIR [--foreground] [--trace]
 *
 * Ready when <DIR>/xenstored/socket accepts connections; the pid is in
 * <DIR>/xenstored/xenstored.pid. Without --foreground the starter returns
 * only once the daemon is ready (or has failed, with its error message).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xenchannel/daemonize.h"
#include "xenchannel/log.h"
#include "xenchannel/loop.h"
#include "xenstored.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: xensim-xenstored --run-dir DIR [--foreground] [--trace]\n"
	           "       xensim-xenstored --help | --version\n");
}

static void on_signal(struct loop *l, int fd, unsigned ev, void *arg)
{
	if (loop_signal_next(fd) > 0)
		loop_stop(l);
}

static int write_pidfile(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "we");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		snprintf(err, errlen, "writing pid file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Returns 0, or -1 with the exit status in *status. */
static int parse_options(int argc, char **argv, const char **run_dir, int *foreground, int *trace,
                         int *status)
{
	static const struct option opts[] = {
	    {"run-dir", required_argument, NULL, 'r'}, {"foreground", no_argument, NULL, 'f'},
	    {"trace", no_argument, NULL, 't'},         {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
	};
	int c;
	*status = 2;
	while ((c = getopt_long(argc, argv, "r:fthV", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			*run_dir = optarg;
			break;
		case 'f':
			*foreground = 1;
			break;
		case 't':
			*trace = 1;
			break;
		case 'h':
			usage(stdout);
			*status = 0;
			return -1;
		case 'V':
			printf("xensim-xenstored %s\n", XENCHANNEL_VERSION);
			*status = 0;
			return -1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (!*run_dir || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *run_dir = NULL;
	int foreground = 0, trace = 0, status;
	log_init("xensim-xenstored");
	if (parse_options(argc, argv, &run_dir, &foreground, &trace, &status) < 0)
		return status;

	int ready = -1;
	if (!foreground) {
		char msg[512];
		int r = daemonize(&ready, msg, sizeof(msg));
		if (r < 0) {
			log_err("daemonizing: %s", strerror(errno));
			return 1;
		}
		if (r != DAEMONIZE_CHILD) {
			if (r == DAEMONIZE_FAILED)
				fprintf(stderr, "xensim-xenstored: %s\n",
				        *msg ? msg : "daemon exited before it was ready");
			return r == DAEMONIZE_READY ? 0 : 1;
		}
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			close(nul);
		}
	}

	char err[512] = "";
	int rc = 1;
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, 0};
	signal(SIGPIPE, SIG_IGN);
	struct loop *l = loop_new();
	struct xsd *x = NULL;
	char *pidfile = NULL;
	int sfd = l ? loop_signals(l, sigs, on_signal, NULL) : -1;
	if (sfd < 0) {
		snprintf(err, sizeof(err), "event loop setup: %s", strerror(errno));
		goto out;
	}
	x = xsd_new(l, run_dir, err, sizeof(err));
	if (!x)
		goto out;
	if (trace) {
		/* same switch as `xenstore-control log on` */
		extern void xsd_set_trace(struct xsd *, int);
		xsd_set_trace(x, 1);
	}
	if (asprintf(&pidfile, "%s/xenstored/xenstored.pid", run_dir) < 0) {
		pidfile = NULL;
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	if (write_pidfile(pidfile, err, sizeof(err)) < 0)
		goto out;
	if (daemonize_ready(ready) < 0) {
		ready = -1; /* nobody to tell: the log says it */
		snprintf(err, sizeof(err), "telling the parent we are ready: %s", strerror(errno));
		goto out;
	}
	ready = -1;
	log_info("ready on %s/xenstored/socket", run_dir);
	rc = loop_run(l) < 0 ? 1 : 0;
	unlink(pidfile);
out:
	if (rc && err[0]) {
		if (ready >= 0)
			daemonize_fail(ready, "%s", err);
		else
			log_err("%s", err);
	}
	xsd_free(x);
	free(pidfile);
	if (l)
		loop_free(l);
	if (sfd >= 0)
		close(sfd);
	return rc;
}
