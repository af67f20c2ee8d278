/*
 * cmd-fault.c - `xensim fault DOM DEVID KIND [ARG]`: one request line to the
 * domain's xensim-guest (<run>/domains/<D>/frontend.sock), which answers
 * "ok" or "error MESSAGE".
 */
#include "xensim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define FAULT_REPLY_TIMEOUT_S 10

static int valid_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			return 0;
	return 1;
}

int cmd_fault(struct xensim *x, int argc, char **argv)
{
	if (argc >= 2 && argv[1][0] == '-')
		return xensim_usage_error("fault", "unknown option '%s'", argv[1]);
	if (argc < 4 || argc > 5)
		return xensim_usage_error("fault", NULL);
	for (int i = 2; i < argc; i++) {
		if (!valid_word(argv[i])) {
			return xensim_usage_error("fault", "argument %d ('%s') must be one word", i,
			                          argv[i]);
		}
	}
	struct xensim_dom d;
	if (xensim_find_domain(x, argv[1], &d) < 0)
		return 1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/domains/%u/frontend.sock", x->run,
	             d.domid) >= (int)sizeof(sa.sun_path)) {
		xensim_err("fault: socket path too long");
		return 1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		xensim_err("fault: cannot reach domain %u's frontends at %s: %s", d.domid,
		           sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	struct timeval tv = {.tv_sec = FAULT_REPLY_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char line[1024];
	int n = snprintf(line, sizeof(line), "fault %s %s%s%s\n", argv[2], argv[3],
	                 argc == 5 ? " " : "", argc == 5 ? argv[4] : "");
	if (n < 0 || n >= (int)sizeof(line) || write(fd, line, (size_t)n) != n) {
		xensim_err("fault: cannot send the request: %s", strerror(errno));
		close(fd);
		return 1;
	}
	size_t len = 0;
	while (len < sizeof(line) - 1) {
		ssize_t r = read(fd, line + len, sizeof(line) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (memchr(line, '\n', len))
			break;
	}
	int e = errno;
	close(fd);
	line[len] = '\0';
	char *nl = strchr(line, '\n');
	if (!nl) {
		xensim_err("fault: no answer from domain %u's frontends%s%s", d.domid,
		           len ? "" : ": ", len ? "" : strerror(e ? e : EPIPE));
		return 1;
	}
	*nl = '\0';
	if (!strcmp(line, "ok"))
		return 0;
	if (!strncmp(line, "error ", 6)) {
		xensim_err("fault: domain %u: %s", d.domid, line + 6);
		return 1;
	}
	xensim_err("fault: domain %u answered something unexpected: '%s'", d.domid, line);
	return 1;
}
