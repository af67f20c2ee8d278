/* cmd-start.c - `xensim start`, `xensim stop`, `xensim env`. */
#include "daemon.h"
#include "xenchannel/daemonize.h"
#include "xensim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xenstore.h>

#define STOP_WAIT_MS 15000 /* the daemon gives guests 5 s, then kills them */
#define EXEC_STOP_MS 5000  /* and so do we to what `xensim exec` started */

/* The pid in <run>/xensim.pid if that process is alive and is xensim. */
static pid_t running_pid(const struct xensim *x)
{
	char path[PATH_MAX + 16], comm[64] = "";
	snprintf(path, sizeof(path), "%s/xensim.pid", x->run);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int pid = 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0 || kill(pid, 0) < 0)
		return 0;
	/* /proc/PID/stat: "PID (COMM) STATE ..."; a zombie is not running */
	char state = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%*d (%63[^)]) %c", comm, &state) != 2)
			comm[0] = '\0';
		fclose(f);
	}
	return strncmp(comm, "xensim", 6) == 0 && state != 'Z' ? pid : 0;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* What xen-init-dom0 writes for dom0 at boot. */
static int init_dom0(const struct xensim *x)
{
	struct xs_handle *xs = xensim_xs_open(x);
	if (!xs)
		return -1;
	int ok = xs_write(xs, XBT_NULL, "/local/domain/0/name", "Domain-0", 8) &&
	         xs_write(xs, XBT_NULL, "/local/domain/0/domid", "0", 1);
	if (!ok)
		xensim_err("cannot write /local/domain/0: %s", strerror(errno));
	xs_close(xs);
	return ok ? 0 : -1;
}

int cmd_start(struct xensim *x, int argc, char **argv)
{
	int foreground = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--foreground") || !strcmp(argv[i], "-f")) {
			foreground = 1;
		} else {
			return xensim_usage_error("start", "unknown argument '%s'", argv[i]);
		}
	}
	pid_t pid = running_pid(x);
	if (pid) {
		xensim_err("already running in %s (pid %d)", x->run, (int)pid);
		return 1;
	}
	if (mkdir_p(x->run) < 0) {
		xensim_err("cannot create run directory %s: %s", x->run, strerror(errno));
		return 1;
	}
	if (foreground)
		return xensim_daemon(x->run, -1);

	char logpath[PATH_MAX + 16];
	snprintf(logpath, sizeof(logpath), "%s/xensim.log", x->run);
	/* The daemon says "ok" once every socket listens, or why it failed. */
	char msg[700];
	int ready_fd = -1;
	int r = daemonize(&ready_fd, msg, sizeof(msg));
	if (r < 0) {
		xensim_err("cannot start the daemon: %s", strerror(errno));
		return 1;
	}
	if (r == DAEMONIZE_CHILD) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (nul >= 0)
			dup2(nul, 0);
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		if (chdir("/") < 0) {
			/* not fatal */
		}
		_exit(xensim_daemon(x->run, ready_fd));
	}
	if (r != DAEMONIZE_READY) {
		if (*msg)
			xensim_err("start failed: %s", msg);
		else
			xensim_err("start failed: the daemon exited before it was ready (see %s)",
			           logpath);
		return 1;
	}
	return init_dom0(x) < 0 ? 1 : 0;
}

int cmd_stop(struct xensim *x, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		return xensim_usage_error("stop", "takes no arguments");
	}
	pid_t pid = running_pid(x);
	if (!pid) {
		xensim_err("not running in %s", x->run);
		return 1;
	}
	/* What `xensim exec` started goes first, while its xenstore still
	 * answers; the daemon then stops the guests' own processes. */
	static struct xensim_procs execd;
	xensim_exec_procs_term(x, pid, &execd);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (kill(pid, SIGTERM) < 0) {
		xensim_err("cannot signal pid %d: %s", (int)pid, strerror(errno));
		xensim_exec_procs_reap(&execd, EXEC_STOP_MS);
		return 1;
	}
	int rc = 0;
	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		int n;
		do
			n = poll(&p, 1, STOP_WAIT_MS);
		while (n < 0 && errno == EINTR);
		close(pidfd);
		if (n == 0) {
			xensim_err("pid %d did not exit within %d ms; killing it", (int)pid,
			           STOP_WAIT_MS);
			kill(pid, SIGKILL);
			rc = 1;
		}
	}
	if (xensim_exec_procs_reap(&execd, EXEC_STOP_MS))
		rc = 1;
	return rc;
}

/* Print a and b as one single-quoted shell word, then a newline. */
static void shell_quote(const char *a, const char *b)
{
	char word[PATH_MAX + 64];
	snprintf(word, sizeof(word), "%s%s", a, b);
	putchar('\'');
	for (const char *s = word; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	fputs("'\n", stdout);
}

int cmd_env(struct xensim *x, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		return xensim_usage_error("env", "takes no arguments");
	}
	fputs("export XENSIM_RUN_DIR=", stdout);
	shell_quote(x->run, "");
	fputs("export XENSTORED_PATH=", stdout);
	shell_quote(x->run, "/xenstored/socket");
	return 0;
}
