/* domain.c - the domain table: ids, names, uuids, teardown. */
#include "hyp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

void hyp_evtchn_domain_gone(struct hyp *h, struct hyp_domain *d);
void hyp_gnt_domain_gone(struct hyp *h, struct hyp_domain *d);
int hyp_evtchn_reserve(struct hyp_domain *d, uint32_t rdom);

void hyp_init(struct hyp *h)
{
	memset(h, 0, sizeof(*h));
	h->next_map_id = 1;
}

void hyp_fini(struct hyp *h)
{
	while (h->domains)
		hyp_domain_destroy(h, h->domains);
	free(h->maps);
	h->maps = NULL;
	h->nmaps = h->maps_cap = 0;
}

/* xl accepts any name; we keep names usable as file and xenstore values and
 * distinct from domain ids. */
int hyp_name_valid(const char *name)
{
	size_t n = strlen(name);
	int digits = 1;
	if (n == 0 || n > HYP_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
		if (c < '0' || c > '9')
			digits = 0;
	}
	return !digits;
}

struct hyp_domain *hyp_domain_find(struct hyp *h, uint32_t domid)
{
	for (struct hyp_domain *d = h->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

struct hyp_domain *hyp_domain_by_name(struct hyp *h, const char *name)
{
	for (struct hyp_domain *d = h->domains; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static void make_uuid(char out[37])
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)rand();
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

int hyp_domain_create(struct hyp *h, uint32_t domid, const char *name, struct hyp_domain **out)
{
	if (!hyp_name_valid(name) && !(domid == 0 && strcmp(name, "Domain-0") == 0))
		return -EINVAL;
	if (hyp_domain_by_name(h, name))
		return -EEXIST;
	if (domid == HYP_NEW_DOMID) {
		uint32_t id = h->last_domid;
		for (uint32_t tries = 0;; tries++) {
			if (tries >= SIMW_DOMID_FIRST_RESERVED)
				return -ENOSPC;
			if (++id >= SIMW_DOMID_FIRST_RESERVED)
				id = 1;
			if (!hyp_domain_find(h, id))
				break;
		}
		domid = id;
	} else if (domid >= SIMW_DOMID_FIRST_RESERVED) {
		return -EINVAL;
	} else if (hyp_domain_find(h, domid)) {
		return -EEXIST;
	}
	struct hyp_domain *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->nports = domid == 0 ? HYP_DOM0_PORTS : HYP_DOMU_PORTS;
	d->ports = calloc(d->nports, sizeof(*d->ports));
	if (!d->ports) {
		free(d);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < d->nports; i++)
		d->ports[i].efd = -1;
	d->ports[0].state = PORT_RESERVED; /* port 0 is never handed out */
	for (uint32_t i = 0; i < HYP_GRANTS; i++)
		d->grants[i].memfd = -1;
	d->domid = domid;
	snprintf(d->name, sizeof(d->name), "%s", name);
	make_uuid(d->uuid);
	if (domid == 0)
		memcpy(d->uuid, "00000000-0000-0000-0000-000000000000", 37);
	d->state = domid == 0 ? DOM_RUNNING : DOM_PAUSED;
	d->guest_pid = 0;
	d->guest_pidfd = -1;
	d->listen_fd = -1;
	if (domid != 0) {
		/* The toolstack gives every PV guest its xenstore event channel
		 * (remote end: the xenstore domain) before the guest runs. */
		int port = hyp_evtchn_reserve(d, 0);
		if (port < 0) {
			free(d->ports);
			free(d);
			return port;
		}
		d->store_port = (uint32_t)port;
		d->store_mfn = 0xfeffcu - domid; /* a plausible frame number, never mapped */
		h->last_domid = domid;
	}
	d->next = h->domains;
	h->domains = d;
	if (out)
		*out = d;
	return (int)domid;
}

void hyp_domain_destroy(struct hyp *h, struct hyp_domain *d)
{
	d->state = DOM_DYING;
	hyp_evtchn_domain_gone(h, d);
	hyp_gnt_domain_gone(h, d);
	for (struct hyp_domain **p = &h->domains; *p; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			break;
		}
	}
	free(d->ports);
	free(d);
}

void hyp_owner_gone(struct hyp *h, uint32_t domid, void *owner)
{
	struct hyp_domain *d = hyp_domain_find(h, domid);
	if (d) {
		for (uint32_t p = 1; p < d->nports; p++)
			if (d->ports[p].owner == owner && d->ports[p].state != PORT_FREE)
				hyp_evtchn_close(h, d, owner, p);
		for (uint32_t i = 0; i < HYP_GRANTS; i++)
			if (d->grants[i].owner == owner && d->grants[i].state == GNT_ACTIVE)
				hyp_gnt_unshare(h, d, owner, HYP_GREF_FIRST + i);
	}
	for (size_t i = h->nmaps; i-- > 0;)
		if (h->maps[i].owner == owner)
			hyp_gnt_unmap(h, owner, h->maps[i].id);
}
