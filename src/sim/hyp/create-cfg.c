/*
 * create-cfg.c - `xensim create FILE.cfg`: a domain from an xl-style config.
 *
 * The steps, in libxl's order: parse FILE (name, channel=[...]);
 * xensim_domain_build(name); write each channel's console device;
 * xensim_domain_unpause(); print the domid. Config parsing and device
 * attachment are not built into xensim yet.
 */
#include "xensim.h"

int xensim_create_cfg(const struct xensim *x, const char *path)
{
	(void)x;
	xensim_err("create %s: config files are not supported by this build; use "
	           "`xensim create --name NAME`",
	           path);
	return -1;
}
