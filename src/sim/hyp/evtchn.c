/*
 * evtchn.c - event channels with Xen's rules (xen/common/event_channel.c):
 * ports are per domain, port 0 is reserved, the lowest free port is taken;
 * binding needs the remote port unbound and offered to us (else EINVAL), an
 * unknown remote domain is ESRCH; closing one end of an interdomain channel
 * leaves the other end unbound, offered back to the closer's domain; binding
 * marks the new local port pending, since notifications sent to an unbound
 * port are dropped.
 */
#include "hyp.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int hyp_evtchn_reserve(struct hyp_domain *d, uint32_t rdom);
void hyp_evtchn_domain_gone(struct hyp *h, struct hyp_domain *d);

static int new_efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static int free_port(struct hyp_domain *d)
{
	for (uint32_t p = 1; p < d->nports; p++)
		if (d->ports[p].state == PORT_FREE)
			return (int)p;
	return -ENOSPC;
}

static void port_free(struct hyp_port *p)
{
	if (p->efd >= 0)
		close(p->efd);
	*p = (struct hyp_port){.state = PORT_FREE, .efd = -1};
}

static int port_take(struct hyp_domain *d, void *owner, uint32_t rdom)
{
	int port = free_port(d);
	if (port < 0)
		return port;
	int efd = new_efd();
	if (efd < 0)
		return -errno;
	d->ports[port] = (struct hyp_port){PORT_UNBOUND, rdom, 0, efd, owner};
	return port;
}

int hyp_evtchn_reserve(struct hyp_domain *d, uint32_t rdom)
{
	return port_take(d, NULL, rdom);
}

int hyp_evtchn_alloc_unbound(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t rdom,
                             int *efd)
{
	(void)h;
	if (rdom == SIMW_DOMID_SELF)
		rdom = d->domid;
	else if (rdom >= SIMW_DOMID_FIRST_RESERVED)
		return -EINVAL;
	/* Xen does not check that the remote domain exists. */
	int port = port_take(d, owner, rdom);
	if (port >= 0)
		*efd = d->ports[port].efd;
	return port;
}

int hyp_evtchn_bind(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t rdom, uint32_t rport,
                    int *lefd, int *refd)
{
	if (rdom == SIMW_DOMID_SELF)
		rdom = d->domid;
	struct hyp_domain *rd = hyp_domain_find(h, rdom);
	if (!rd || rd->state == DOM_DYING)
		return -ESRCH;
	int lport = free_port(d);
	if (lport < 0)
		return lport;
	if (rport >= rd->nports)
		return -EINVAL;
	struct hyp_port *r = &rd->ports[rport];
	if (r->state != PORT_UNBOUND || r->rdom != d->domid)
		return -EINVAL;
	int efd = new_efd();
	if (efd < 0)
		return -errno;
	struct hyp_port *l = &d->ports[lport];
	*l = (struct hyp_port){PORT_INTERDOMAIN, rdom, rport, efd, owner};
	r->state = PORT_INTERDOMAIN;
	r->rport = (uint32_t)lport;
	/* Xen sets the new local port pending: anything the peer sent while it
	 * was unbound was dropped, so the binder must look. */
	uint64_t one = 1;
	if (write(efd, &one, sizeof(one)) < 0) {
		/* a fresh eventfd cannot be full */
	}
	if (r->owner && h->send_event) {
		struct simw_msg m = {.type = SIMW_EV_BOUND,
		                     .a = {rport, d->domid, (uint32_t)lport}};
		h->send_event(r->owner, &m, l->efd, h->event_arg);
	}
	*lefd = l->efd;
	*refd = r->efd;
	return lport;
}

/* The peer of an interdomain port is gone: the port is unbound again, offered
 * back to the closer, with a fresh eventfd. */
static void peer_closed(struct hyp *h, struct hyp_port *r, uint32_t rport, uint32_t closer)
{
	r->state = PORT_UNBOUND;
	r->rdom = closer;
	r->rport = 0;
	int efd = new_efd();
	if (efd < 0)
		return; /* keep the old one: a departed peer may still signal it */
	close(r->efd);
	r->efd = efd;
	if (r->owner && h->send_event) {
		struct simw_msg m = {.type = SIMW_EV_UNBOUND, .a = {rport}};
		h->send_event(r->owner, &m, efd, h->event_arg);
	}
}

int hyp_evtchn_close(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t port)
{
	if (port == 0 || port >= d->nports)
		return -EINVAL;
	struct hyp_port *l = &d->ports[port];
	if (l->state == PORT_FREE || l->state == PORT_RESERVED)
		return -EINVAL;
	if (l->owner != owner)
		return -ENOTCONN; /* /dev/xen/evtchn: not this handle's port */
	if (l->state == PORT_INTERDOMAIN) {
		struct hyp_domain *rd = hyp_domain_find(h, l->rdom);
		if (rd && l->rport < rd->nports) {
			struct hyp_port *r = &rd->ports[l->rport];
			if (r->state == PORT_INTERDOMAIN && r->rdom == d->domid && r->rport == port)
				peer_closed(h, r, l->rport, d->domid);
		}
	}
	port_free(l);
	return 0;
}

int hyp_evtchn_status(struct hyp *h, struct hyp_domain *d, uint32_t dom, uint32_t port,
                      uint32_t out[3])
{
	if (dom == SIMW_DOMID_SELF)
		dom = d->domid;
	if (dom != d->domid && d->domid != 0)
		return -EPERM;
	struct hyp_domain *t = hyp_domain_find(h, dom);
	if (!t)
		return -ESRCH;
	if (port >= t->nports)
		return -EINVAL;
	struct hyp_port *p = &t->ports[port];
	out[1] = out[2] = 0;
	switch (p->state) {
	case PORT_UNBOUND:
		out[0] = SIMW_EVTCHNSTAT_unbound;
		out[1] = p->rdom;
		break;
	case PORT_INTERDOMAIN:
		out[0] = SIMW_EVTCHNSTAT_interdomain;
		out[1] = p->rdom;
		out[2] = p->rport;
		break;
	default:
		out[0] = SIMW_EVTCHNSTAT_closed;
	}
	return 0;
}

void hyp_evtchn_domain_gone(struct hyp *h, struct hyp_domain *d)
{
	for (uint32_t p = 1; p < d->nports; p++) {
		if (d->ports[p].state == PORT_FREE)
			continue;
		hyp_evtchn_close(h, d, d->ports[p].owner, p);
	}
}
