/*
 * cmd-destroy.c - `xensim destroy DOM`: the hypervisor kills the domain (its
 * guest process, event channels, grants; xenstored fires @releaseDomain),
 * then the toolstack removes its xenstore directories and releases it.
 */
#include "xensim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

int xensim_domain_destroy(const struct xensim *x, uint32_t domid)
{
	struct ctl c;
	if (ctl_open(&c, x) < 0)
		return -1;
	struct simw_msg req = {.type = SIMW_DOM_DESTROY, .a = {domid}}, rep;
	ssize_t n = ctl_call(&c, &req, NULL, &rep, NULL, 0);
	ctl_close(&c);
	if (n < 0 && errno != ESRCH) {
		xensim_err("destroy: domain %u: %s", domid, strerror(errno));
		return -1;
	}
	int gone = n < 0;
	struct xs_handle *xs = xensim_xs_open(x);
	int rc = xs ? xensim_xs_domain_remove(xs, domid) : -1;
	if (xs)
		xs_close(xs);
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/domains/%u/xenstored.sock", x->run, domid);
	unlink(path);
	snprintf(path, sizeof(path), "%s/domains/%u", x->run, domid);
	rmdir(path);
	if (gone) {
		xensim_err("destroy: no domain %u", domid);
		return -1;
	}
	return rc;
}

int cmd_destroy(struct xensim *x, int argc, char **argv)
{
	if (argc >= 2 && argv[1][0] == '-')
		return xensim_usage_error("destroy", "unknown option '%s'", argv[1]);
	if (argc != 2) {
		return xensim_usage_error("destroy", NULL);
	}
	struct xensim_dom d;
	if (xensim_find_domain(x, argv[1], &d) < 0)
		return 1;
	if (d.domid == 0) {
		xensim_err("destroy: domain 0 cannot be destroyed (use `xensim stop`)");
		return 1;
	}
	return xensim_domain_destroy(x, d.domid) < 0 ? 1 : 0;
}
