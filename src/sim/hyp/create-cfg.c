/*
 * create-cfg.c - `xensim create FILE.cfg`: a domain from an xl-style config.
 *
 * The steps, in libxl's order: parse FILE (name, channel=[...]) with the
 * xl parser of src/config; xensim_domain_build(name); attach each channel
 * with the toolstack's ts_attach() (devid 1, 2, ... in list order, frontend
 * type "xenchanneld": no QEMU runs in the simulator); xensim_domain_unpause()
 * unless paused; print the domid. Any failure destroys the half-built domain.
 */
#include "xensim.h"

#include <stdio.h>
#include <stdlib.h>

#include "xenchannel/config.h"
#include "xenchannel/toolstack.h"

static int attach_all(const struct xensim *x, const char *path, uint32_t domid,
                      const struct cfg_domain *dom)
{
	char sock[PATH_MAX];
	snprintf(sock, sizeof(sock), "%s/xenstored/socket", x->run);
	setenv("XENSTORED_PATH", sock, 1); /* libxenstore's way to pick a socket */
	struct ts *ts;
	struct ts_error err;
	if (ts_open(&ts, &err)) {
		xensim_err("create %s: %s", path, err.msg);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < dom->nchannels && rc == 0; i++) {
		const struct cfg_channel *ch = &dom->channels[i];
		unsigned devid;
		if (ts_attach(ts, domid, ch, 0, &devid, &err)) {
			xensim_err("create %s:%u: channel[%u] (%s): %s", path, ch->loc.line,
			           ch->index, ch->name, err.msg);
			rc = -1;
		}
	}
	ts_close(ts);
	return rc;
}

int xensim_create_cfg(const struct xensim *x, const char *path, int paused)
{
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_registry *reg = NULL;
	const char *rp = getenv("XENCHANNEL_REGISTRY");
	struct cfg_file *f = NULL;
	struct cfg_domain dom = {0};
	int rc = -1;
	if ((rp && *rp && cfg_registry_load(rp, &reg, &d)) || cfg_parse_file(path, &f, &d) ||
	    cfg_domain_from_file(f, reg, &dom, &d)) {
		cfg_diag_print(&d, stderr);
		xensim_err("create %s: invalid configuration, no domain created", path);
		goto out;
	}
	cfg_diag_print(&d, stderr); /* warnings only */
	uint32_t domid;
	if (xensim_domain_build(x, dom.name, &domid) < 0)
		goto out;
	if (attach_all(x, path, domid, &dom) < 0 ||
	    (!paused && xensim_domain_unpause(x, domid) < 0)) {
		xensim_domain_destroy(x, domid);
		goto out;
	}
	printf("%u\n", domid);
	rc = 0;
out:
	cfg_domain_clear(&dom);
	cfg_file_free(f);
	cfg_registry_free(reg);
	cfg_diag_free(&d);
	return rc;
}
