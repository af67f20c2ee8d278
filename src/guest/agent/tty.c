/* tty.c - open the channel device raw: no echo, no line discipline, and
 * nothing left over from before we looked. hvc resets termios on every open,
 * so this runs on every (re)open. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int tty_open(const char *path, int *is_tty, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	*is_tty = isatty(fd);
	if (!*is_tty)
		return fd; /* a socket or fifo stands in for the device (tests) */
	struct termios t;
	if (tcgetattr(fd, &t) < 0) {
		snprintf(err, errlen, "tcgetattr %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		snprintf(err, errlen, "tcsetattr %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Bytes that arrived before raw mode may have been echoed or mangled:
	 * drop them (the host repeats HELLO until we answer). */
	tcflush(fd, TCIOFLUSH);
	return fd;
}
