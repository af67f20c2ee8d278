/*
 * main.c - xensim-xenstored: the simulator's xenstored as its own process.
 *
 *   xensim-xenstored --run-dir DIR [--foreground] [--trace]
 *
 * Ready when <DIR>/xenstored/socket accepts connections; the pid is in
 * <DIR>/xenstored/xenstored.pid. Without --foreground the parent returns
 * only once the child is ready (or has failed, with its error message).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xenchannel/log.h"
#include "xenchannel/loop.h"
#include "xenstored.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: xensim-xenstored --run-dir DIR [--foreground] [--trace]\n");
}

static void on_signal(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
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
static int parse_options(int argc, char **argv, const char **run_dir, int *foreground,
                         int *trace, int *status)
{
	static const struct option opts[] = {
	    {"run-dir", required_argument, NULL, 'r'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"trace", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	*status = 2;
	while ((c = getopt_long(argc, argv, "r:fth", opts, NULL)) != -1) {
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

	int ready[2] = {-1, -1};
	if (!foreground) {
		if (pipe2(ready, O_CLOEXEC) < 0) {
			log_err("pipe: %s", strerror(errno));
			return 1;
		}
		pid_t pid = fork();
		if (pid < 0) {
			log_err("fork: %s", strerror(errno));
			return 1;
		}
		if (pid > 0) {
			/* parent: wait for "ready" or the child's error message */
			close(ready[1]);
			char msg[512];
			ssize_t n = read(ready[0], msg, sizeof(msg) - 1);
			if (n == 1 && msg[0] == 0)
				return 0;
			if (n > 0) {
				msg[n] = 0;
				fprintf(stderr, "xensim-xenstored: %s\n", msg);
			} else {
				fprintf(stderr,
				        "xensim-xenstored: daemon exited before it was ready\n");
			}
			return 1;
		}
		close(ready[0]);
		setsid();
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			close(nul);
		}
	}

	char err[512] = "";
	int rc = 1;
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	struct loop *l = loop_new();
	struct xsd *x = NULL;
	char *pidfile = NULL;
	if (sfd < 0 || !l) {
		snprintf(err, sizeof(err), "event loop setup: %s", strerror(errno));
		goto out;
	}
	loop_watch(l, sfd, LOOP_READ, on_signal, NULL);
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
	if (ready[1] >= 0) {
		char ok = 0;
		if (write(ready[1], &ok, 1) != 1) {
			snprintf(err, sizeof(err), "telling the parent we are ready: %s",
			         strerror(errno));
			goto out;
		}
		close(ready[1]);
		ready[1] = -1;
	}
	log_info("ready on %s/xenstored/socket", run_dir);
	rc = loop_run(l) < 0 ? 1 : 0;
	unlink(pidfile);
out:
	if (rc && err[0]) {
		if (ready[1] >= 0) {
			ssize_t w = write(ready[1], err, strlen(err));
			(void)w;
		} else {
			log_err("%s", err);
		}
	}
	xsd_free(x);
	free(pidfile);
	if (l)
		loop_free(l);
	if (sfd >= 0)
		close(sfd);
	return rc;
}
