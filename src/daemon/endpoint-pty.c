/*
 * endpoint-pty.c - the pty of a connection=pty channel.
 *
 * Raw mode so bytes pass unchanged. We keep our own descriptor of the slave
 * open: the master then never reports a hangup while no dom0 program has the
 * slave open, and guest output waits in the pty (and then in the ring)
 * instead of being thrown away as QEMU does.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int ept_open(int *master, int *slave, char *name, size_t namelen, char *err, size_t errlen)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (m < 0) {
		snprintf(err, errlen, "posix_openpt: %s", strerror(errno));
		return -1;
	}
	char sname[128];
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, sname, sizeof(sname)) != 0) {
		snprintf(err, errlen, "pty setup: %s", strerror(errno));
		close(m);
		return -1;
	}
	int s = open(sname, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		snprintf(err, errlen, "open %s: %s", sname, strerror(errno));
		close(m);
		return -1;
	}
	struct termios t;
	if (tcgetattr(s, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(s, TCSANOW, &t);
	}
	if (strlen(sname) >= namelen) {
		snprintf(err, errlen, "pty name too long");
		close(s);
		close(m);
		return -1;
	}
	strcpy(name, sname);
	*master = m;
	*slave = s;
	return 0;
}
