/*
 * xen.c - the platform back end on a real hypervisor: a thin layer over
 * libxenevtchn, libxengnttab and libxengntshr.
 *
 * Arguments are checked here before they reach the kernel drivers, so a bad
 * domain id or port gets EINVAL instead of whatever the ioctl makes of a
 * truncated value. The event channel fd is made non-blocking so that
 * plat_evtchn_pending() reports EAGAIN instead of sleeping.
 */
#include "platform-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#define XEN_DOMID_FIRST_RESERVED 0x7FF0u
#define XEN_DOMID_SELF 0x7FF0u
#define XEN_MAX_PORT (1u << 17) /* FIFO ABI: 2^17 ports */

struct xen_evtchn {
	struct plat_evtchn base;
	xenevtchn_handle *xce;
};

struct xen_gnttab {
	struct plat_gnttab base;
	xengnttab_handle *xgt;
};

struct xen_gntshr {
	struct plat_gntshr base;
	xengntshr_handle *xgs;
};

static const struct plat_ops xen_ops;

static int domid_ok(uint32_t domid)
{
	return domid < XEN_DOMID_FIRST_RESERVED || domid == XEN_DOMID_SELF;
}

static int inval(void)
{
	errno = EINVAL;
	return -1;
}

/* Our own domain id, as the toolstack wrote it (dom0 when it did not). */
static uint32_t own_domid(void)
{
	uint32_t domid = 0;
	struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
	if (!xs)
		return 0;
	unsigned int len = 0;
	char *v = xs_read(xs, XBT_NULL, "domid", &len);
	if (v) {
		char *end;
		unsigned long d = strtoul(v, &end, 10);
		if (len && !*end && d < XEN_DOMID_FIRST_RESERVED)
			domid = (uint32_t)d;
		free(v);
	}
	xs_close(xs);
	return domid;
}

struct platform *plat_xen_open(char *err, size_t errlen)
{
	/* Probe the event channel device now so a missing hypervisor is
	 * reported once, here, with a reason. */
	xenevtchn_handle *probe = xenevtchn_open(NULL, 0);
	if (!probe) {
		int e = errno;
		if (err && errlen)
			snprintf(err, errlen,
			         "cannot open the Xen event channel device (%s); not running "
			         "on Xen? set XENSIM_RUN_DIR to use the simulator",
			         strerror(e));
		errno = e;
		return NULL;
	}
	xenevtchn_close(probe);
	struct platform *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->ops = &xen_ops;
	p->domid = own_domid();
	return p;
}

static void xen_close(struct platform *p)
{
	free(p);
}

static struct plat_evtchn *xen_evtchn_open(struct platform *p)
{
	struct xen_evtchn *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->base.ops = &xen_ops;
	h->xce = xenevtchn_open(NULL, 0);
	if (!h->xce)
		goto fail;
	int fd = xenevtchn_fd(h->xce);
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		goto fail;
	return &h->base;
fail:;
	int e = errno;
	if (h->xce)
		xenevtchn_close(h->xce);
	free(h);
	errno = e;
	return NULL;
}

static void xen_evtchn_close(struct plat_evtchn *hh)
{
	struct xen_evtchn *h = (struct xen_evtchn *)hh;
	xenevtchn_close(h->xce);
	free(h);
}

static int xen_evtchn_fd(struct plat_evtchn *hh)
{
	return xenevtchn_fd(((struct xen_evtchn *)hh)->xce);
}

static int xen_evtchn_bind_interdomain(struct plat_evtchn *hh, uint32_t rdom, uint32_t rport)
{
	if (!domid_ok(rdom) || rport == 0 || rport >= XEN_MAX_PORT)
		return inval();
	return xenevtchn_bind_interdomain(((struct xen_evtchn *)hh)->xce, rdom, rport);
}

static int xen_evtchn_alloc_unbound(struct plat_evtchn *hh, uint32_t rdom)
{
	if (!domid_ok(rdom))
		return inval();
	return xenevtchn_bind_unbound_port(((struct xen_evtchn *)hh)->xce, rdom);
}

static int xen_evtchn_notify(struct plat_evtchn *hh, uint32_t port)
{
	if (port == 0 || port >= XEN_MAX_PORT)
		return inval();
	return xenevtchn_notify(((struct xen_evtchn *)hh)->xce, port);
}

static int xen_evtchn_unbind(struct plat_evtchn *hh, uint32_t port)
{
	if (port == 0 || port >= XEN_MAX_PORT)
		return inval();
	return xenevtchn_unbind(((struct xen_evtchn *)hh)->xce, port);
}

static int xen_evtchn_pending(struct plat_evtchn *hh)
{
	return xenevtchn_pending(((struct xen_evtchn *)hh)->xce);
}

static int xen_evtchn_unmask(struct plat_evtchn *hh, uint32_t port)
{
	if (port == 0 || port >= XEN_MAX_PORT)
		return inval();
	return xenevtchn_unmask(((struct xen_evtchn *)hh)->xce, port);
}

static struct plat_gnttab *xen_gnttab_open(struct platform *p)
{
	struct xen_gnttab *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->base.ops = &xen_ops;
	g->xgt = xengnttab_open(NULL, 0);
	if (!g->xgt) {
		int e = errno;
		free(g);
		errno = e;
		return NULL;
	}
	return &g->base;
}

static void xen_gnttab_close(struct plat_gnttab *gg)
{
	struct xen_gnttab *g = (struct xen_gnttab *)gg;
	xengnttab_close(g->xgt);
	free(g);
}

static void *xen_gnttab_map(struct plat_gnttab *gg, uint32_t domid, uint32_t gref)
{
	if (domid >= XEN_DOMID_FIRST_RESERVED) {
		errno = EINVAL;
		return NULL;
	}
	return xengnttab_map_grant_ref(((struct xen_gnttab *)gg)->xgt, domid, gref,
	                               PROT_READ | PROT_WRITE);
}

static int xen_gnttab_unmap(struct plat_gnttab *gg, void *addr)
{
	if (!addr)
		return inval();
	return xengnttab_unmap(((struct xen_gnttab *)gg)->xgt, addr, 1);
}

static struct plat_gntshr *xen_gntshr_open(struct platform *p)
{
	struct xen_gntshr *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->base.ops = &xen_ops;
	s->xgs = xengntshr_open(NULL, 0);
	if (!s->xgs) {
		int e = errno;
		free(s);
		errno = e;
		return NULL;
	}
	return &s->base;
}

static void xen_gntshr_close(struct plat_gntshr *ss)
{
	struct xen_gntshr *s = (struct xen_gntshr *)ss;
	xengntshr_close(s->xgs);
	free(s);
}

static void *xen_gntshr_share(struct plat_gntshr *ss, uint32_t domid, int writable, uint32_t *gref)
{
	if (domid >= XEN_DOMID_FIRST_RESERVED || !gref) {
		errno = EINVAL;
		return NULL;
	}
	return xengntshr_share_pages(((struct xen_gntshr *)ss)->xgs, domid, 1, gref,
	                             writable ? 1 : 0);
}

static int xen_gntshr_unshare(struct plat_gntshr *ss, void *addr)
{
	if (!addr)
		return inval();
	return xengntshr_unshare(((struct xen_gntshr *)ss)->xgs, addr, 1);
}

static const struct plat_ops xen_ops = {
    .name = "xen",
    .close = xen_close,
    .evtchn_open = xen_evtchn_open,
    .evtchn_close = xen_evtchn_close,
    .evtchn_fd = xen_evtchn_fd,
    .evtchn_bind_interdomain = xen_evtchn_bind_interdomain,
    .evtchn_alloc_unbound = xen_evtchn_alloc_unbound,
    .evtchn_notify = xen_evtchn_notify,
    .evtchn_unbind = xen_evtchn_unbind,
    .evtchn_pending = xen_evtchn_pending,
    .evtchn_unmask = xen_evtchn_unmask,
    .gnttab_open = xen_gnttab_open,
    .gnttab_close = xen_gnttab_close,
    .gnttab_map = xen_gnttab_map,
    .gnttab_unmap = xen_gnttab_unmap,
    .gntshr_open = xen_gntshr_open,
    .gntshr_close = xen_gntshr_close,
    .gntshr_share = xen_gntshr_share,
    .gntshr_unshare = xen_gntshr_unshare,
};
