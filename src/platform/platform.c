/* platform.c - choose the back end (sim when XENSIM_RUN_DIR is set) and dispatch. */
#include "platform-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define XEN_BACKEND_LOCK "/run/xenchanneld.lock"

struct platform *platform_open(char *err, size_t errlen)
{
	char dummy[1];
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	const char *run = getenv("XENSIM_RUN_DIR");
	if (run && *run)
		return plat_sim_open(run, err, errlen);
	return plat_xen_open(err, errlen);
}

int platform_backend_lock_path(char *buf, size_t len)
{
	const char *run = getenv("XENSIM_RUN_DIR");
	int n = run && *run ? snprintf(buf, len, "%s/xenchanneld.lock", run)
	                    : snprintf(buf, len, "%s", XEN_BACKEND_LOCK);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

void platform_close(struct platform *p)
{
	if (p)
		p->ops->close(p);
}

const char *platform_name(const struct platform *p)
{
	return p->ops->name;
}

uint32_t platform_domid(const struct platform *p)
{
	return p->domid;
}

struct plat_evtchn *plat_evtchn_open(struct platform *p)
{
	return p->ops->evtchn_open(p);
}

void plat_evtchn_close(struct plat_evtchn *h)
{
	if (h)
		h->ops->evtchn_close(h);
}

int plat_evtchn_fd(struct plat_evtchn *h)
{
	return h->ops->evtchn_fd(h);
}

int plat_evtchn_bind_interdomain(struct plat_evtchn *h, uint32_t remote_domid, uint32_t remote_port)
{
	return h->ops->evtchn_bind_interdomain(h, remote_domid, remote_port);
}

int plat_evtchn_alloc_unbound(struct plat_evtchn *h, uint32_t remote_domid)
{
	return h->ops->evtchn_alloc_unbound(h, remote_domid);
}

int plat_evtchn_notify(struct plat_evtchn *h, uint32_t local_port)
{
	return h->ops->evtchn_notify(h, local_port);
}

int plat_evtchn_unbind(struct plat_evtchn *h, uint32_t local_port)
{
	return h->ops->evtchn_unbind(h, local_port);
}

int plat_evtchn_pending(struct plat_evtchn *h)
{
	return h->ops->evtchn_pending(h);
}

int plat_evtchn_unmask(struct plat_evtchn *h, uint32_t local_port)
{
	return h->ops->evtchn_unmask(h, local_port);
}

struct plat_gnttab *plat_gnttab_open(struct platform *p)
{
	return p->ops->gnttab_open(p);
}

void plat_gnttab_close(struct plat_gnttab *g)
{
	if (g)
		g->ops->gnttab_close(g);
}

void *plat_gnttab_map(struct plat_gnttab *g, uint32_t domid, uint32_t gref)
{
	return g->ops->gnttab_map(g, domid, gref);
}

int plat_gnttab_unmap(struct plat_gnttab *g, void *addr)
{
	return g->ops->gnttab_unmap(g, addr);
}

struct plat_gntshr *plat_gntshr_open(struct platform *p)
{
	return p->ops->gntshr_open(p);
}

void plat_gntshr_close(struct plat_gntshr *s)
{
	if (s)
		s->ops->gntshr_close(s);
}

void *plat_gntshr_share(struct plat_gntshr *s, uint32_t domid, int writable, uint32_t *gref)
{
	return s->ops->gntshr_share(s, domid, writable, gref);
}

int plat_gntshr_unshare(struct plat_gntshr *s, void *addr)
{
	return s->ops->gntshr_unshare(s, addr);
}
