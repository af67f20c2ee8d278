/*
 * hyp.h - the simulated hypervisor: domains, event channels, grant tables.
 *
 * Pure state with Xen's rules and error numbers; no sockets here. Callers
 * (service.c) identify a client by an opaque owner pointer. When a port a
 * client owns changes binding behind its back, hyp calls send_event so the
 * owner learns the new peer eventfd (SIMW_EV_BOUND) or that the port is
 * unbound again (SIMW_EV_UNBOUND, with a fresh eventfd: the departed peer's
 * copy can no longer signal it).
 * Functions return >= 0 on success or a negative errno.
 */
#ifndef XENSIM_HYP_H
#define XENSIM_HYP_H

#include <stdint.h>
#include <sys/types.h>

#include "xenchannel/sim-wire.h"

#define HYP_NAME_MAX 64
#define HYP_DOM0_PORTS 4096u /* ports 0..4095 in dom0 */
#define HYP_DOMU_PORTS 1024u /* libxl's default event_channels = 1023 */
#define HYP_GREF_FIRST 8u    /* Linux keeps refs 0..7 (GNTTAB_NR_RESERVED_ENTRIES) */
#define HYP_GRANTS 1024u     /* gntalloc's default limit per domain */

enum hyp_port_state { PORT_FREE, PORT_RESERVED, PORT_UNBOUND, PORT_INTERDOMAIN };
enum hyp_grant_state { GNT_FREE, GNT_ACTIVE, GNT_ENDED };
enum hyp_dom_state { DOM_PAUSED, DOM_RUNNING, DOM_DYING };

struct hyp_port {
	uint8_t state;
	uint32_t rdom, rport; /* unbound: who may bind; interdomain: the peer */
	int efd;              /* this port's pending state (an eventfd) */
	void *owner;          /* client holding it; NULL = the toolstack's */
};

struct hyp_grant {
	uint8_t state;
	uint8_t writable;
	uint32_t grantee;
	uint32_t maps; /* live mappings by the grantee */
	int memfd;
	void *owner;
};

struct hyp_domain {
	uint32_t domid;
	char name[HYP_NAME_MAX + 1];
	char uuid[37];
	enum hyp_dom_state state;
	struct hyp_port *ports;
	uint32_t nports;
	struct hyp_grant grants[HYP_GRANTS];
	uint32_t store_port;
	uint64_t store_mfn;
	/* owned by the service */
	pid_t guest_pid;
	int guest_pidfd;
	int listen_fd;
	void *svc_data;
	struct hyp_domain *next;
};

struct hyp_map {
	uint32_t id;
	void *owner;
	uint32_t dom, gref;
	int orphan; /* the granting domain is gone */
};

struct hyp {
	struct hyp_domain *domains;
	uint32_t last_domid;
	struct hyp_map *maps;
	size_t nmaps, maps_cap;
	uint32_t next_map_id;
	void (*send_event)(void *owner, const struct simw_msg *m, int fd, void *arg);
	void *event_arg;
};

void hyp_init(struct hyp *h);
/* Tear down every domain. */
void hyp_fini(struct hyp *h);

/* Domains. domid 0 creates dom0; HYP_NEW_DOMID allocates the next one as Xen
 * does (increasing, wrapping below DOMID_FIRST_RESERVED). */
#define HYP_NEW_DOMID UINT32_MAX
int hyp_name_valid(const char *name);
int hyp_domain_create(struct hyp *h, uint32_t domid, const char *name, struct hyp_domain **out);
struct hyp_domain *hyp_domain_find(struct hyp *h, uint32_t domid);
struct hyp_domain *hyp_domain_by_name(struct hyp *h, const char *name);
/* Close all ports and grants of d, unlink and free it. */
void hyp_domain_destroy(struct hyp *h, struct hyp_domain *d);

/* Event channels (EVTCHNOP_*), acting as domain d for client owner. */
int hyp_evtchn_alloc_unbound(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t rdom,
                             int *efd);
int hyp_evtchn_bind(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t rdom, uint32_t rport,
                    int *lefd, int *refd);
int hyp_evtchn_close(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t port);
int hyp_evtchn_status(struct hyp *h, struct hyp_domain *d, uint32_t dom, uint32_t port,
                      uint32_t out[3]);

/* Grants: d shares a page with grantee; a mapper maps (dom, gref). */
int hyp_gnt_share(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t grantee, int writable,
                  int *memfd);
int hyp_gnt_unshare(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t gref);
int hyp_gnt_map(struct hyp *h, struct hyp_domain *mapper, void *owner, uint32_t dom, uint32_t gref,
                int *memfd);
int hyp_gnt_unmap(struct hyp *h, void *owner, uint32_t id);

/* A client went away: close its ports, end its grants, drop its mappings. */
void hyp_owner_gone(struct hyp *h, uint32_t domid, void *owner);

#endif
