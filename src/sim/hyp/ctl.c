/* ctl.c - the command line's connection to the hypervisor service, as dom0. */
#include "xensim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int ctl_open(struct ctl *c, const struct xensim *x)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (simw_socket_path(sa.sun_path, sizeof(sa.sun_path), x->run, 0) < 0) {
		xensim_err("run directory %s: path too long for a unix socket", x->run);
		return -1;
	}
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		xensim_err("cannot reach the simulator at %s: %s (run `xensim start` first)",
		           sa.sun_path, strerror(e));
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	struct simw_msg m;
	int fds[SIMW_MAX_FDS];
	if (simw_recv(c->fd, &m, NULL, 0, fds, 0) < 0 || m.type != SIMW_HELLO) {
		xensim_err("simulator at %s did not greet us: %s", sa.sun_path, strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	for (int i = 0; i < SIMW_MAX_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

void ctl_close(struct ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

ssize_t ctl_call(struct ctl *c, struct simw_msg *req, const char *payload, struct simw_msg *rep,
                 char *out, size_t outcap)
{
	char dummy[1];
	if (simw_send(c->fd, req, payload, payload ? strlen(payload) + 1 : 0, NULL, 0) < 0)
		return -1;
	int fds[SIMW_MAX_FDS];
	ssize_t n;
	do {
		n = simw_recv(c->fd, rep, out ? out : dummy, out ? outcap : sizeof(dummy), fds, 0);
		if (n < 0)
			return -1;
		for (int i = 0; i < SIMW_MAX_FDS; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	} while (rep->type != (req->type | SIMW_REPLY));
	if (rep->err) {
		errno = rep->err;
		return -1;
	}
	return n;
}
