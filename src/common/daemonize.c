/* daemonize.c - fork into the background, tell the starter when ready. */
#include "xenchannel/daemonize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(int fd, const char *text, size_t len)
{
	int rc = 0;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -1;
			break;
		}
		off += (size_t)n;
	}
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int daemonize_ready(int fd)
{
	return fd < 0 ? 0 : report(fd, "ok\n", 3);
}

int daemonize_fail(int fd, const char *fmt, ...)
{
	if (fd < 0)
		return 0;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(line, sizeof(line), "error: ");
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	return report(fd, line, (size_t)n);
}

/* In the daemon: new session, then a grandchild that leads none. */
static int detach(int fd)
{
	if (setsid() < 0) {
		daemonize_fail(fd, "setsid: %s", strerror(errno));
		_exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		daemonize_fail(fd, "fork: %s", strerror(errno));
		_exit(1);
	}
	if (pid > 0)
		_exit(0);
	/* keep nothing of the starter's (a test harness's pipes, say) */
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0u, 0);
	return fd;
}

/* In the starter: wait for the report, or for EOF when the daemon died. */
static int wait_report(int fd, char *msg, size_t msglen)
{
	size_t len = 0;
	while (len + 1 < msglen) {
		ssize_t n = read(fd, msg + len, msglen - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	msg[len] = '\0';
	if (strncmp(msg, "ok\n", 3) == 0) {
		msg[0] = '\0';
		return DAEMONIZE_READY;
	}
	len = strcspn(msg, "\n");
	msg[len] = '\0';
	if (strncmp(msg, "error: ", 7) == 0)
		memmove(msg, msg + 7, len - 7 + 1);
	return DAEMONIZE_FAILED;
}

int daemonize(int *ready_fd, char *msg, size_t msglen)
{
	if (msglen < 4) {
		errno = EINVAL;
		return -1;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL); /* nothing buffered is written twice */
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		*ready_fd = detach(p[1]);
		return DAEMONIZE_CHILD;
	}
	close(p[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return wait_report(p[0], msg, msglen);
}
