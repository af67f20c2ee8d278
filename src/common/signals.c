/* signals.c - signals delivered through the event loop (a signalfd). */
#include "xenchannel/loop.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

int loop_signals(struct loop *l, const int *sigs, loop_fd_cb cb, void *arg)
{
	sigset_t set;
	sigemptyset(&set);
	for (const int *s = sigs; *s; s++)
		sigaddset(&set, *s);
	/* blocked first: a signal that comes before the fd exists waits for it */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (loop_watch(l, fd, LOOP_READ, cb, arg) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int loop_signal_next(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n;
	do
		n = read(fd, &si, sizeof(si));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}
