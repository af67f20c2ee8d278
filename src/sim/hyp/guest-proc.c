/* guest-proc.c - the xensim-guest process of a running domain: found next to
 * xensim, spawned with the domain's environment, stopped (SIGTERM, then
 * SIGKILL after a bound) and reaped through a pidfd in the event loop. */
#include "service.h"

#include "hyp.h"
#include "xenchannel/exepath.h"
#include "xenchannel/log.h"
#include "xenchannel/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUEST_STOP_MS 5000u /* SIGTERM, then SIGKILL after this long */

/* $XENSIM_GUEST_BIN, else the build tree's, else the installed one (in
 * libexecdir, under the same root as this xensim: DESTDIR works too). */
static int guest_binary(char *out, size_t len)
{
	const char *env = getenv("XENSIM_GUEST_BIN");
	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK);
	}
	char exe[PATH_MAX - 64];
	if (exepath_dir(exe, sizeof(exe)) < 0)
		return -1;
	snprintf(out, len, "%s/../kernel/xensim-guest", exe);
	if (access(out, X_OK) == 0)
		return 0;
	if (exepath_installed(out, len, XENSIM_BINDIR, XENSIM_LIBEXECDIR "/xensim-guest") < 0)
		return -1;
	return access(out, X_OK);
}

static void guest_exited(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct guest_proc *g = arg;
	struct hyp_domain *d = g->d;
	int status = 0;
	(void)ev;
	loop_unwatch(l, fd);
	close(fd);
	if (waitpid(d->guest_pid, &status, 0) < 0)
		status = 0;
	if (!g->stopping)
		log_warn("domain %u (%s): guest process %d exited unexpectedly (%s %d)", d->domid,
		         d->name, (int)d->guest_pid, WIFSIGNALED(status) ? "signal" : "status",
		         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	d->guest_pid = 0;
	d->guest_pidfd = -1;
	if (g->kill_timer) {
		loop_timer_cancel(l, g->kill_timer);
		g->kill_timer = 0;
	}
	g->exited(d, g->arg);
}

/* The child: the domain's environment, its log as stdout and stderr; the
 * descriptor execd stays open until the exec (close-on-exec). */
static void exec_guest(const char *bin, const char *run, uint32_t domid, int logfd, int execd)
{
	char dom[16], xs[PATH_MAX], root[PATH_MAX];
	snprintf(dom, sizeof(dom), "%u", domid);
	snprintf(xs, sizeof(xs), "%s/domains/%u/xenstored.sock", run, domid);
	snprintf(root, sizeof(root), "%s/domains/%u/root", run, domid);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int nul = open("/dev/null", O_RDONLY);
	if (nul >= 0)
		dup2(nul, 0);
	if (logfd >= 0) {
		dup2(logfd, 1);
		dup2(logfd, 2);
	}
	if (execd >= 0 && execd != 3 && dup2(execd, 3) == 3)
		execd = 3;
	closefrom(execd == 3 ? 4 : 3);
	if (execd == 3)
		fcntl(3, F_SETFD, FD_CLOEXEC);
	setenv("XENSTORED_PATH", xs, 1);
	setenv("XENSIM_RUN_DIR", run, 1);
	setenv("XENSIM_DOMID", dom, 1);
	setenv("XENSIM_GUEST_ROOT", root, 1);
	execl(bin, "xensim-guest", "--run-dir", run, "--domid", dom, (char *)NULL);
	fprintf(stderr, "xensim: exec %s: %s\n", bin, strerror(errno));
	_exit(127);
}

int guest_spawn(struct guest_proc *g, const char *run)
{
	struct hyp_domain *d = g->d;
	char bin[PATH_MAX], logf[PATH_MAX];
	if (guest_binary(bin, sizeof(bin)) < 0) {
		log_info("domain %u: no xensim-guest binary found; the domain runs without "
		         "frontends",
		         d->domid);
		return 0;
	}
	snprintf(logf, sizeof(logf), "%s/domains/%u/guest.log", run, d->domid);
	int logfd = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	/* The domain is running once its guest process is xensim-guest, not a
	 * copy of us: wait for the exec (EOF on a close-on-exec pipe), so what
	 * follows `xensim create` finds the process by its command line. */
	int execd[2] = {-1, -1};
	if (pipe2(execd, O_CLOEXEC) < 0)
		execd[0] = execd[1] = -1;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		if (logfd >= 0)
			close(logfd);
		for (int i = 0; i < 2; i++)
			if (execd[i] >= 0)
				close(execd[i]);
		return -e;
	}
	if (pid == 0) {
		if (execd[0] >= 0)
			close(execd[0]);
		exec_guest(bin, run, d->domid, logfd, execd[1]);
	}
	if (logfd >= 0)
		close(logfd);
	if (execd[1] >= 0) {
		close(execd[1]);
		char c;
		while (read(execd[0], &c, 1) < 0 && errno == EINTR)
			;
		close(execd[0]);
	}
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || loop_watch(g->loop, pidfd, LOOP_READ, guest_exited, g) < 0) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (pidfd >= 0)
			close(pidfd);
		return -e;
	}
	d->guest_pid = pid;
	d->guest_pidfd = pidfd;
	log_info("domain %u (%s): guest process %d started", d->domid, d->name, (int)pid);
	return pid;
}

static void kill_timeout(struct loop *l, void *arg)
{
	struct guest_proc *g = arg;
	struct hyp_domain *d = g->d;
	(void)l;
	g->kill_timer = 0;
	if (d->guest_pid > 0) {
		log_warn("domain %u (%s): guest process %d ignored SIGTERM for %u ms; killing it",
		         d->domid, d->name, (int)d->guest_pid, GUEST_STOP_MS);
		kill(d->guest_pid, SIGKILL);
	}
}

void guest_stop(struct guest_proc *g)
{
	if (g->d->guest_pid <= 0 || g->stopping)
		return;
	g->stopping = 1;
	kill(g->d->guest_pid, SIGTERM);
	g->kill_timer = loop_timer(g->loop, GUEST_STOP_MS, kill_timeout, g);
}

void guest_kill(struct guest_proc *g)
{
	if (g->d->guest_pid > 0) {
		kill(g->d->guest_pid, SIGKILL);
		waitpid(g->d->guest_pid, NULL, 0);
		g->d->guest_pid = 0;
	}
}

void guest_forget(struct guest_proc *g)
{
	if (g->d->guest_pidfd >= 0) {
		loop_unwatch(g->loop, g->d->guest_pidfd);
		close(g->d->guest_pidfd);
	}
	if (g->kill_timer)
		loop_timer_cancel(g->loop, g->kill_timer);
	g->kill_timer = 0;
}
