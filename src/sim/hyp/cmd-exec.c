/* cmd-exec.c - `xensim exec DOM -- CMD...`: run CMD as a process of that guest. */
#include "xensim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_exec(struct xensim *x, int argc, char **argv)
{
	int cmd = 2;
	if (argc >= 3 && !strcmp(argv[2], "--"))
		cmd = 3;
	if (argc >= 2 && argv[1][0] == '-')
		return xensim_usage_error("exec", "unknown option '%s'", argv[1]);
	if (argc < 2 || cmd >= argc)
		return xensim_usage_error("exec", NULL);
	struct xensim_dom d;
	if (xensim_find_domain(x, argv[1], &d) < 0)
		return 1;
	if (strcmp(d.state, "dying") == 0) {
		xensim_err("exec: domain %u is being destroyed", d.domid);
		return 1;
	}
	char xs[PATH_MAX + 64], root[PATH_MAX + 64], id[16];
	if (d.domid == 0)
		snprintf(xs, sizeof(xs), "%s/xenstored/socket", x->run);
	else
		snprintf(xs, sizeof(xs), "%s/domains/%u/xenstored.sock", x->run, d.domid);
	snprintf(root, sizeof(root), "%s/domains/%u/root", x->run, d.domid);
	snprintf(id, sizeof(id), "%u", d.domid);
	setenv("XENSTORED_PATH", xs, 1);
	setenv("XENSIM_RUN_DIR", x->run, 1);
	setenv("XENSIM_DOMID", id, 1);
	setenv("XENSIM_EXEC", "1", 1); /* how `xensim stop` tells these from guests */
	if (d.domid == 0)
		unsetenv("XENSIM_GUEST_ROOT");
	else
		setenv("XENSIM_GUEST_ROOT", root, 1);
	execvp(argv[cmd], argv + cmd);
	xensim_err("exec %s: %s", argv[cmd], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
