/*
 * domain.c - introduced domains: one unix socket per domain whose
 * connections act as that domain; release closes them, removes the nodes
 * the domain owns (xenstored 4.17 without --keep-orphans) and fires
 * @releaseDomain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsd.h"

struct domain *domain_get(const struct xsd *x, uint32_t domid)
{
	return domid < x->ndoms ? x->doms[domid] : NULL;
}

static void domain_accept(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct domain *d = arg;
	xsd_listen_cb(l, fd, ev, d);
}

/* The domain's socket <run_dir>/domains/<D>/xenstored.sock, unless the
 * daemon has no run directory (in-process use: no sockets at all). */
static int domain_listen(struct xsd *x, struct domain *d)
{
	if (!x->run_dir)
		return 0;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/domains", x->run_dir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/domains/%u", x->run_dir, d->domid);
	mkdir(dir, 0755);
	if (asprintf(&d->sockpath, "%s/xenstored.sock", dir) < 0) {
		d->sockpath = NULL;
		return ENOMEM;
	}
	char err[256];
	if (xsd_listen(d->sockpath, &d->lfd, err, sizeof(err)) < 0 ||
	    loop_watch(x->l, d->lfd, LOOP_READ, domain_accept, d) < 0) {
		log_err("xenstored: introducing domain %u: %s", d->domid, err);
		if (d->lfd >= 0) {
			close(d->lfd);
			unlink(d->sockpath);
		}
		free(d->sockpath);
		return EIO;
	}
	return 0;
}

int domain_introduce(struct xsd *x, uint32_t domid, uint32_t port)
{
	if (domid >= XSD_DOMID_FIRST_RESERVED)
		return EINVAL;
	if (domain_get(x, domid))
		return 0; /* introduced already: nothing changes */
	struct domain **t = domid_table_reserve(x->doms, &x->ndoms, sizeof(*t), domid);
	if (!t)
		return ENOMEM;
	x->doms = t;
	struct domain *d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->x = x;
	d->domid = domid;
	d->port = port;
	d->target = XSD_NO_TARGET;
	d->lfd = -1;
	int err = domain_listen(x, d);
	if (err) {
		free(d);
		return err;
	}
	x->doms[domid] = d;
	d->next = x->domlist;
	if (x->domlist)
		x->domlist->prev = d;
	x->domlist = d;
	log_info("xenstored: domain %u introduced (port %u), socket %s", domid, port,
	         d->sockpath ? d->sockpath : "none");
	watch_fire_special(x, "@introduceDomain");
	return 0;
}

/* Remove every node the domain owns (top-most first, subtrees with them). */
static void remove_owned(struct xsd *x, uint32_t domid)
{
	if (!store_owned(&x->st, domid))
		return;
	size_t n = 0, cap = 0;
	char **paths = NULL;
	struct node *root = store_get(&x->st, "/", 1);
	struct node *cur = root ? root->first : NULL;
	while (cur) {
		bool owned = cur->perms[0].id == domid;
		if (owned) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				char **p = realloc(paths, cap * sizeof(*p));
				if (!p)
					break;
				paths = p;
			}
			paths[n] = strdup(cur->path);
			if (paths[n])
				n++;
		}
		if (!owned && cur->first) {
			cur = cur->first;
			continue;
		}
		while (cur && !cur->next && cur != root)
			cur = cur->parent;
		if (!cur || cur == root)
			break;
		cur = cur->next;
	}
	for (size_t i = 0; i < n; i++) {
		struct node *nd = store_get(&x->st, paths[i], strlen(paths[i]));
		if (nd) {
			struct nref r = {.exists = true, .n = nd};
			view_rm(x, NULL, NULL, &r, nd->path, nd->h.klen);
		}
		free(paths[i]);
	}
	free(paths);
}

static void domain_destroy(struct xsd *x, struct domain *d, bool fire)
{
	while (d->conns)
		conn_close(d->conns, NULL);
	if (d->lfd >= 0) {
		loop_unwatch(x->l, d->lfd);
		close(d->lfd);
		unlink(d->sockpath);
	}
	x->doms[d->domid] = NULL;
	if (d->prev)
		d->prev->next = d->next;
	else
		x->domlist = d->next;
	if (d->next)
		d->next->prev = d->prev;
	if (fire) {
		remove_owned(x, d->domid);
		log_info("xenstored: domain %u released", d->domid);
		watch_fire_special(x, "@releaseDomain");
	}
	free(d->sockpath);
	free(d);
}

int domain_release(struct xsd *x, uint32_t domid)
{
	struct domain *d = domain_get(x, domid);
	if (!d)
		return ENOENT;
	domain_destroy(x, d, true);
	return 0;
}

void domain_destroy_all(struct xsd *x)
{
	while (x->domlist)
		domain_destroy(x, x->domlist, false);
}

void xsd_domain_dead(struct xsd *x, uint32_t domid)
{
	struct domain *d = domain_get(x, domid);
	if (d)
		domain_destroy(x, d, true);
	else
		watch_fire_special(x, "@releaseDomain"); /* spurious is allowed */
}
