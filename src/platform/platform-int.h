/*
 * platform-int.h - what a platform back end provides to platform.c.
 *
 * Each back end's handles start with the matching base struct below, so the
 * public calls dispatch through one table without knowing the back end.
 */
#ifndef XENCHANNEL_PLATFORM_IMPL_H
#define XENCHANNEL_PLATFORM_IMPL_H

#include "xenchannel/platform.h"

struct plat_ops {
	const char *name;
	void (*close)(struct platform *p);
	struct plat_evtchn *(*evtchn_open)(struct platform *p);
	void (*evtchn_close)(struct plat_evtchn *h);
	int (*evtchn_fd)(struct plat_evtchn *h);
	int (*evtchn_bind_interdomain)(struct plat_evtchn *h, uint32_t rdom, uint32_t rport);
	int (*evtchn_alloc_unbound)(struct plat_evtchn *h, uint32_t rdom);
	int (*evtchn_notify)(struct plat_evtchn *h, uint32_t port);
	int (*evtchn_unbind)(struct plat_evtchn *h, uint32_t port);
	int (*evtchn_pending)(struct plat_evtchn *h);
	int (*evtchn_unmask)(struct plat_evtchn *h, uint32_t port);
	struct plat_gnttab *(*gnttab_open)(struct platform *p);
	void (*gnttab_close)(struct plat_gnttab *g);
	void *(*gnttab_map)(struct plat_gnttab *g, uint32_t domid, uint32_t gref);
	int (*gnttab_unmap)(struct plat_gnttab *g, void *addr);
	struct plat_gntshr *(*gntshr_open)(struct platform *p);
	void (*gntshr_close)(struct plat_gntshr *s);
	void *(*gntshr_share)(struct plat_gntshr *s, uint32_t domid, int writable, uint32_t *gref);
	int (*gntshr_unshare)(struct plat_gntshr *s, void *addr);
};

struct platform {
	const struct plat_ops *ops;
	uint32_t domid;
};
struct plat_evtchn {
	const struct plat_ops *ops;
};
struct plat_gnttab {
	const struct plat_ops *ops;
};
struct plat_gntshr {
	const struct plat_ops *ops;
};

/* Back ends: NULL + errno on failure, with a message in err. */
struct platform *plat_sim_open(const char *run_dir, char *err, size_t errlen);
struct platform *plat_xen_open(char *err, size_t errlen);

#endif
