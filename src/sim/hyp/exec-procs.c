/* exec-procs.c - the processes `xensim exec` started (and their children),
 * for `xensim stop` to end. exec leaves no process of its own behind to ask,
 * so they are recognised by the environment it gives them: XENSIM_EXEC set
 * and XENSIM_RUN_DIR naming this run directory. Children inherit both. The
 * guests' own processes (which have XENSIM_DOMID and XENSIM_RUN_DIR too) are
 * not among them: the daemon stops those, each in its own way. */
#include "xensim.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID ...": COMM may hold anything, even ") " */
	char *p = strrchr(buf, ')');
	int ppid = 0;
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/* Whether pid's environment names this run directory and a domain. */
static int started_by_exec(pid_t pid, const char *run)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0; /* gone, or someone else's */
	char *var = NULL;
	size_t cap = 0;
	int execd = 0, ours = 0;
	size_t runlen = strlen(run);
	while (getdelim(&var, &cap, '\0', f) > 0) {
		if (strncmp(var, "XENSIM_EXEC=", 12) == 0)
			execd = 1;
		else if (strncmp(var, "XENSIM_RUN_DIR=", 15) == 0)
			ours = strncmp(var + 15, run, runlen) == 0 && var[15 + runlen] == '\0';
	}
	free(var);
	fclose(f);
	return execd && ours;
}

static int in_list(const pid_t *v, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == pid)
			return 1;
	return 0;
}

/* Each found process as a pidfd (signals and waits cannot hit a reused
 * pid); returns how many. */
static size_t scan(const struct xensim *x, pid_t daemon, int *out, size_t cap)
{
	/* Never ourselves or whoever runs us: `xensim exec 0 -- sh` may be
	 * the shell that types `xensim stop`. */
	pid_t mine[64];
	size_t nmine = 0;
	for (pid_t p = getpid(); p > 1 && nmine < 64; p = parent_of(p))
		mine[nmine++] = p;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < cap) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		/* the daemon stops its own guest processes */
		if (pid == daemon || in_list(mine, nmine, pid) || parent_of(pid) == daemon ||
		    !started_by_exec(pid, x->run))
			continue;
		int fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd >= 0)
			out[n++] = fd;
	}
	closedir(d);
	return n;
}

static void signal_all(const int *fds, size_t n, int sig)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			syscall(SYS_pidfd_send_signal, fds[i], sig, NULL, 0);
}

/* Wait until every process has exited or ms have passed; the exited ones'
 * fds are closed and set to -1. Returns how many are left. */
static size_t wait_all(int *fds, size_t n, int ms)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t left = 0;
		for (size_t i = 0; i < n; i++) {
			struct pollfd p = {.fd = fds[i], .events = POLLIN};
			if (fds[i] >= 0 && poll(&p, 1, 0) == 1) {
				close(fds[i]);
				fds[i] = -1;
			}
			left += fds[i] >= 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long spent = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (!left || spent >= ms)
			return left;
		for (size_t i = 0; i < n; i++) {
			if (fds[i] < 0)
				continue;
			struct pollfd p = {.fd = fds[i], .events = POLLIN};
			poll(&p, 1, (int)(ms - spent)); /* wakes on this one's exit */
			break;
		}
	}
}

void xensim_exec_procs_term(const struct xensim *x, pid_t daemon, struct xensim_procs *ps)
{
	ps->n = scan(x, daemon, ps->fd, XENSIM_PROCS_MAX);
	signal_all(ps->fd, ps->n, SIGTERM);
}

size_t xensim_exec_procs_reap(struct xensim_procs *ps, int ms)
{
	size_t left = wait_all(ps->fd, ps->n, ms);
	if (left) {
		xensim_err("%zu process(es) started with `xensim exec` ignored SIGTERM for %d ms; "
		           "killing them",
		           left, ms);
		signal_all(ps->fd, ps->n, SIGKILL);
		left = wait_all(ps->fd, ps->n, ms);
	}
	for (size_t i = 0; i < ps->n; i++)
		if (ps->fd[i] >= 0)
			close(ps->fd[i]);
	ps->n = 0;
	return left;
}
