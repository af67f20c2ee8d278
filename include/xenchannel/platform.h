/*
 * platform.h - event channels and grants behind one small interface.
 *
 * Two back ends: "xen" (libxenevtchn, libxengnttab, libxengntshr on a real
 * hypervisor) and "sim" (the xensim hypervisor service). platform_open()
 * picks sim when XENSIM_RUN_DIR is set, xen otherwise. In the simulator the
 * calling process acts as domain $XENSIM_DOMID (default 0).
 *
 * The calls mirror the libxen* ones so the xen back end is a thin wrapper:
 * one evtchn handle has one pollable fd that becomes readable when any of its
 * ports is pending; plat_evtchn_pending() returns a pending port and
 * plat_evtchn_unmask() re-arms it.
 * All calls return -1 with errno set on failure (mapping calls return NULL).
 */
#ifndef XENCHANNEL_PLATFORM_H
#define XENCHANNEL_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

struct platform;
struct plat_evtchn;
struct plat_gnttab;
struct plat_gntshr;

/* Open the platform chosen by the environment; NULL + errno on failure, with
 * a message in err (what and why) when err is not NULL. */
struct platform *platform_open(char *err, size_t errlen);
void platform_close(struct platform *p);
const char *platform_name(const struct platform *p); /* "xen" or "sim" */
/* Our own domain id (0 in dom0). */
uint32_t platform_domid(const struct platform *p);

/* The lock file that marks the one xenchanneld serving this host's xenstore:
 * $XENSIM_RUN_DIR/xenchanneld.lock in the simulator (one per simulator),
 * /run/xenchanneld.lock on Xen. Needs no open platform. 0, or -1 with errno
 * ENAMETOOLONG when it does not fit in len. */
int platform_backend_lock_path(char *buf, size_t len);

/* Event channels (the /dev/xen/evtchn model). */
struct plat_evtchn *plat_evtchn_open(struct platform *p);
void plat_evtchn_close(struct plat_evtchn *h);
int plat_evtchn_fd(struct plat_evtchn *h);
/* Returns the local port. */
int plat_evtchn_bind_interdomain(struct plat_evtchn *h, uint32_t remote_domid,
                                 uint32_t remote_port);
int plat_evtchn_alloc_unbound(struct plat_evtchn *h, uint32_t remote_domid);
int plat_evtchn_notify(struct plat_evtchn *h, uint32_t local_port);
int plat_evtchn_unbind(struct plat_evtchn *h, uint32_t local_port);
/* A pending port, or -1 with errno EAGAIN when none is pending. */
int plat_evtchn_pending(struct plat_evtchn *h);
int plat_evtchn_unmask(struct plat_evtchn *h, uint32_t local_port);

/* Grant mapping (backend side). */
struct plat_gnttab *plat_gnttab_open(struct platform *p);
void plat_gnttab_close(struct plat_gnttab *g);
/* Map one page granted by domid as gref, read/write. NULL + errno on failure. */
void *plat_gnttab_map(struct plat_gnttab *g, uint32_t domid, uint32_t gref);
int plat_gnttab_unmap(struct plat_gnttab *g, void *addr);

/* Grant sharing (frontend side): allocate a zeroed page shared with domid. */
struct plat_gntshr *plat_gntshr_open(struct platform *p);
void plat_gntshr_close(struct plat_gntshr *s);
void *plat_gntshr_share(struct plat_gntshr *s, uint32_t domid, int writable, uint32_t *gref);
int plat_gntshr_unshare(struct plat_gntshr *s, void *addr);

#endif
