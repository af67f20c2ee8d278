/*
 * grant.c - grant tables. A domain shares a page (a sealed memfd) with one
 * grantee; refs are per granting domain, from 8 up (Linux reserves 0..7).
 * Mapping checks what Xen checks; every failure surfaces as EINVAL, which is
 * what the Linux gntdev driver turns a bad GNTST_* status into. A page that
 * is still mapped when its grant ends or its domain dies stays valid memory
 * for the mapper until it unmaps, as a granted frame does under Xen.
 */
#include "hyp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void hyp_gnt_domain_gone(struct hyp *h, struct hyp_domain *d);

static int new_page(void)
{
	int fd = memfd_create("xensim-grant", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/* Sealed so the granter cannot shrink it under a mapper (SIGBUS). */
	if (ftruncate(fd, SIMW_PAGE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static struct hyp_grant *grant_get(struct hyp_domain *d, uint32_t gref)
{
	if (gref < HYP_GREF_FIRST || gref >= HYP_GREF_FIRST + HYP_GRANTS)
		return NULL;
	return &d->grants[gref - HYP_GREF_FIRST];
}

static void grant_free(struct hyp_grant *g)
{
	if (g->memfd >= 0)
		close(g->memfd);
	*g = (struct hyp_grant){.state = GNT_FREE, .memfd = -1};
}

int hyp_gnt_share(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t grantee, int writable,
                  int *memfd)
{
	(void)h;
	if (grantee >= SIMW_DOMID_FIRST_RESERVED)
		return -EINVAL;
	for (uint32_t i = 0; i < HYP_GRANTS; i++) {
		struct hyp_grant *g = &d->grants[i];
		if (g->state != GNT_FREE)
			continue;
		int fd = new_page();
		if (fd < 0)
			return fd;
		*g = (struct hyp_grant){GNT_ACTIVE, writable ? 1 : 0, grantee, 0, fd, owner};
		*memfd = fd;
		return (int)(HYP_GREF_FIRST + i);
	}
	return -ENOSPC;
}

int hyp_gnt_unshare(struct hyp *h, struct hyp_domain *d, void *owner, uint32_t gref)
{
	(void)h;
	struct hyp_grant *g = grant_get(d, gref);
	if (!g || g->state != GNT_ACTIVE || g->owner != owner)
		return -EINVAL;
	if (g->maps) {
		/* Still mapped: access ends now, the ref is reused only once the
		 * grantee lets go (Linux defers the same way). */
		g->state = GNT_ENDED;
		close(g->memfd);
		g->memfd = -1;
		return 0;
	}
	grant_free(g);
	return 0;
}

int hyp_gnt_map(struct hyp *h, struct hyp_domain *mapper, void *owner, uint32_t dom, uint32_t gref,
                int *memfd)
{
	struct hyp_domain *gd = hyp_domain_find(h, dom);
	if (!gd || gd->state == DOM_DYING)
		return -EINVAL; /* GNTST_bad_domain */
	struct hyp_grant *g = grant_get(gd, gref);
	if (!g || g->state != GNT_ACTIVE)
		return -EINVAL; /* GNTST_bad_gntref */
	if (g->grantee != mapper->domid || !g->writable)
		return -EINVAL; /* GNTST_permission_denied (we map read/write) */
	if (h->nmaps == h->maps_cap) {
		size_t cap = h->maps_cap ? h->maps_cap * 2 : 64;
		struct hyp_map *m = realloc(h->maps, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		h->maps = m;
		h->maps_cap = cap;
	}
	uint32_t id = h->next_map_id++;
	if (h->next_map_id == 0 || h->next_map_id > INT32_MAX)
		h->next_map_id = 1;
	h->maps[h->nmaps++] = (struct hyp_map){id, owner, dom, gref, 0};
	g->maps++;
	*memfd = g->memfd;
	return (int)id;
}

int hyp_gnt_unmap(struct hyp *h, void *owner, uint32_t id)
{
	for (size_t i = 0; i < h->nmaps; i++) {
		struct hyp_map *m = &h->maps[i];
		if (m->id != id || m->owner != owner)
			continue;
		if (!m->orphan) {
			struct hyp_domain *gd = hyp_domain_find(h, m->dom);
			struct hyp_grant *g = gd ? grant_get(gd, m->gref) : NULL;
			if (g && g->maps) {
				g->maps--;
				if (g->state == GNT_ENDED && g->maps == 0)
					grant_free(g);
			}
		}
		h->maps[i] = h->maps[--h->nmaps];
		return 0;
	}
	return -EINVAL;
}

void hyp_gnt_domain_gone(struct hyp *h, struct hyp_domain *d)
{
	for (size_t i = 0; i < h->nmaps; i++)
		if (h->maps[i].dom == d->domid)
			h->maps[i].orphan = 1;
	for (uint32_t i = 0; i < HYP_GRANTS; i++)
		if (d->grants[i].state != GNT_FREE)
			grant_free(&d->grants[i]);
}
