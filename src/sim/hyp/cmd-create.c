/*
 * cmd-create.c - `xensim create [-p] --name NAME | FILE.cfg`, and the domain
 * build steps shared with config-file creation: hypervisor domain (paused),
 * xenstore entries and introduction, then unpause (the guest process starts)
 * unless -p: then `xensim unpause` does it, as `xl create -p` and
 * `xl unpause`.
 */
#include "xensim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xenstore.h>

int xensim_domain_build(const struct xensim *x, const char *name, uint32_t *domid)
{
	struct ctl c;
	if (ctl_open(&c, x) < 0)
		return -1;
	struct simw_msg req = {.type = SIMW_DOM_CREATE}, rep;
	char uuid[64];
	ssize_t n = ctl_call(&c, &req, name, &rep, uuid, sizeof(uuid));
	ctl_close(&c);
	if (n < 0) {
		if (errno == EEXIST)
			xensim_err("create: a domain named '%s' already exists", name);
		else if (errno == EINVAL)
			xensim_err("create: invalid domain name '%s': use 1-64 characters from "
			           "A-Z a-z 0-9 . _ - and not only digits",
			           name);
		else
			xensim_err("create: the hypervisor refused domain '%s': %s", name,
			           strerror(errno));
		return -1;
	}
	if (n < 36 || memchr(uuid, '\0', (size_t)n) == NULL) {
		xensim_err("create: malformed reply from the hypervisor");
		return -1;
	}
	*domid = rep.a[0];
	struct xs_handle *xs = xensim_xs_open(x);
	int rc = xs ? xensim_xs_domain_write(xs, *domid, name, uuid, rep.a[1], rep.a[2]) : -1;
	if (xs)
		xs_close(xs);
	if (rc < 0) {
		xensim_err("create: domain %u (%s) not created", *domid, name);
		xensim_domain_destroy(x, *domid);
		return -1;
	}
	return 0;
}

int xensim_domain_unpause(const struct xensim *x, uint32_t domid)
{
	struct ctl c;
	if (ctl_open(&c, x) < 0)
		return -1;
	struct simw_msg req = {.type = SIMW_DOM_UNPAUSE, .a = {domid}}, rep;
	ssize_t n = ctl_call(&c, &req, NULL, &rep, NULL, 0);
	ctl_close(&c);
	if (n < 0) {
		xensim_err("domain %u: cannot start its guest: %s", domid, strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_create(struct xensim *x, int argc, char **argv)
{
	const char *name = NULL, *cfg = NULL;
	int paused = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-p")) {
			paused = 1;
		} else if (!strcmp(argv[i], "--name") || !strcmp(argv[i], "-n")) {
			if (++i == argc) {
				return xensim_usage_error("create", "--name needs a value");
			}
			name = argv[i];
		} else if (!strncmp(argv[i], "--name=", 7)) {
			name = argv[i] + 7;
		} else if (argv[i][0] == '-') {
			return xensim_usage_error("create", "unknown option '%s'", argv[i]);
		} else if (!cfg) {
			cfg = argv[i];
		} else {
			return xensim_usage_error("create", "unexpected argument '%s'", argv[i]);
		}
	}
	if (!!name == !!cfg) {
		return xensim_usage_error("create", "give either --name NAME or a config file");
	}
	if (cfg)
		return xensim_create_cfg(x, cfg, paused) < 0 ? 1 : 0;
	uint32_t domid;
	if (xensim_domain_build(x, name, &domid) < 0)
		return 1;
	if (!paused && xensim_domain_unpause(x, domid) < 0) {
		xensim_domain_destroy(x, domid);
		return 1;
	}
	printf("%u\n", domid);
	return 0;
}

int cmd_unpause(struct xensim *x, int argc, char **argv)
{
	if (argc >= 2 && argv[1][0] == '-')
		return xensim_usage_error("unpause", "unknown option '%s'", argv[1]);
	if (argc != 2)
		return xensim_usage_error("unpause", NULL);
	struct xensim_dom d;
	if (xensim_find_domain(x, argv[1], &d) < 0)
		return 1;
	if (strcmp(d.state, "paused")) {
		xensim_err("unpause: domain %u (%s) is not paused", d.domid, d.name);
		return 1;
	}
	return xensim_domain_unpause(x, d.domid) < 0 ? 1 : 0;
}
