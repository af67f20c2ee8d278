/* sim-wire.c - framing of the xensim hypervisor service messages. */
#include "xenchannel/sim-wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int simw_send(int fd, const struct simw_msg *m, const void *payload, size_t len, const int *fds,
              int nfds)
{
	struct iovec iov[2] = {{(void *)m, sizeof(*m)}, {(void *)payload, len}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * SIMW_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	if (nfds < 0 || nfds > SIMW_MAX_FDS || len > SIMW_PAYLOAD_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (nfds) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	return 0;
}

ssize_t simw_recv(int fd, struct simw_msg *m, void *payload, size_t cap, int fds[SIMW_MAX_FDS],
                  int flags)
{
	char dummy;
	struct iovec iov[2] = {{m, sizeof(*m)}, {cap ? payload : &dummy, cap ? cap : 1}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {
	    .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	for (int i = 0; i < SIMW_MAX_FDS; i++)
		fds[i] = -1;
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	int got = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < SIMW_MAX_FDS)
				fds[got++] = f;
			else
				close(f);
		}
	}
	if (n == 0) {
		errno = EPIPE;
		goto bad;
	}
	if ((size_t)n < sizeof(*m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		errno = EPROTO;
		goto bad;
	}
	size_t len = (size_t)n - sizeof(*m);
	if (cap > len)
		((char *)payload)[len] = '\0';
	return (ssize_t)len;
bad:
	for (int i = 0; i < SIMW_MAX_FDS; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	return -1;
}

int simw_socket_path(char *buf, size_t len, const char *run_dir, uint32_t domid)
{
	struct sockaddr_un sa;
	int n;
	if (domid == 0)
		n = snprintf(buf, len, "%s/hypervisor/socket", run_dir);
	else
		n = snprintf(buf, len, "%s/domains/%u/hypervisor.sock", run_dir, domid);
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
