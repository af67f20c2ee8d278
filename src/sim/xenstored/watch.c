/*
 * watch.c - watches: indexed by watched path, so an event on P looks up P
 * and each of its ancestors (O(depth)), never every watch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

static struct wpath *wpath_get(struct xsd *x, const char *path, size_t len)
{
	return (struct wpath *)ht_get(&x->wpaths, path, len, ht_hash(path, len));
}

static unsigned *watch_counter(struct conn *c)
{
	return c->dom ? &c->dom->nwatches : &c->nwatches;
}

int watch_add(struct conn *c, const char *path, size_t plen, bool relative, const char *token)
{
	struct xsd *x = c->x;
	struct wpath *wp = wpath_get(x, path, plen);
	if (wp)
		for (struct watch *w = wp->head; w; w = w->pnext)
			if (w->c == c && strcmp(w->token, token) == 0)
				return EEXIST;
	if (!c->priv && *watch_counter(c) >= x->q_watches)
		return E2BIG;
	size_t tl = strlen(token);
	struct watch *w = calloc(1, sizeof(*w) + tl + 1);
	if (!w)
		return ENOMEM;
	memcpy(w->token, token, tl + 1);
	if (!wp) {
		wp = calloc(1, sizeof(*wp) + plen + 1);
		if (!wp) {
			free(w);
			return ENOMEM;
		}
		memcpy(wp->path, path, plen);
		wp->h.key = wp->path;
		wp->h.klen = (uint32_t)plen;
		ht_add(&x->wpaths, &wp->h);
	}
	w->wp = wp;
	w->c = c;
	w->relative = relative;
	w->pnext = wp->head;
	if (wp->head)
		wp->head->pprev = w;
	wp->head = w;
	w->cnext = c->watches;
	c->watches = w;
	(*watch_counter(c))++;
	if (c->dom)
		c->nwatches++;
	return 0;
}

static void unlink_watch(struct xsd *x, struct watch *w)
{
	struct wpath *wp = w->wp;
	if (w->pprev)
		w->pprev->pnext = w->pnext;
	else
		wp->head = w->pnext;
	if (w->pnext)
		w->pnext->pprev = w->pprev;
	if (!wp->head) {
		ht_del(&x->wpaths, &wp->h);
		free(wp);
	}
	unsigned *cnt = watch_counter(w->c);
	if (*cnt)
		(*cnt)--;
	if (w->c->dom && w->c->nwatches)
		w->c->nwatches--;
	free(w);
}

int watch_del(struct conn *c, const char *path, size_t plen, const char *token)
{
	for (struct watch **p = &c->watches; *p; p = &(*p)->cnext) {
		struct watch *w = *p;
		if (w->wp->h.klen == plen && memcmp(w->wp->path, path, plen) == 0 &&
		    strcmp(w->token, token) == 0) {
			*p = w->cnext;
			unlink_watch(c->x, w);
			return 0;
		}
	}
	return ENOENT;
}

void watch_del_all(struct conn *c)
{
	while (c->watches) {
		struct watch *w = c->watches;
		c->watches = w->cnext;
		unlink_watch(c->x, w);
	}
}

static void deliver(struct watch *w, const char *path, size_t len)
{
	struct conn *c = w->c;
	if (w->relative) {
		/* report relative to the home, "/local/domain/<id>/" stripped */
		char home[40];
		int hl = snprintf(home, sizeof(home), "/local/domain/%u", c->domid);
		if (hl > 0 && len >= (size_t)hl && memcmp(path, home, (size_t)hl) == 0) {
			path += hl;
			len -= (size_t)hl;
			if (len && *path == '/') {
				path++;
				len--;
			}
		}
	}
	char buf[XSD_PAYLOAD_MAX];
	size_t tl = strlen(w->token);
	if (len + tl + 2 > sizeof(buf))
		return;
	memcpy(buf, path, len);
	buf[len] = 0;
	memcpy(buf + len + 1, w->token, tl + 1);
	conn_send(c, XSD_WATCH_EVENT, 0, 0, buf, len + tl + 2, NULL, 0, true);
}

static bool readable(const struct conn *c, struct permset a, struct permset b, struct permset d)
{
	if (c->priv)
		return true;
	if (a.p && (perms_for_conn(c, a.p, a.n) & PERM_READ))
		return true;
	if (b.p && (perms_for_conn(c, b.p, b.n) & PERM_READ))
		return true;
	return d.p && (perms_for_conn(c, d.p, d.n) & PERM_READ);
}

static void fire_path(struct xsd *x, const char *wpath, size_t wlen, const char *path, size_t len,
                      struct permset a, struct permset b, struct permset d)
{
	struct wpath *wp = wpath_get(x, wpath, wlen);
	if (!wp)
		return;
	/* Delivery never frees a watch: a connection that overflows is only
	 * marked and closed once the loop turns. */
	for (struct watch *w = wp->head; w; w = w->pnext)
		if (!w->c->doomed && readable(w->c, a, b, d))
			deliver(w, path, len);
}

void watch_fire(struct xsd *x, const char *path, size_t len, bool exact, struct permset node,
                struct permset parent, struct permset old)
{
	if (x->wpaths.n == 0)
		return;
	fire_path(x, path, len, path, len, node, parent, old);
	if (exact)
		return;
	size_t l = len;
	while (l > 1) {
		l = path_parent_len(path, l);
		fire_path(x, path, l, path, len, node, parent, old);
	}
}

void watch_fire_one(struct watch *w)
{
	deliver(w, w->wp->path, w->wp->h.klen);
}

void watch_fire_special(struct xsd *x, const char *name)
{
	struct special *s = xsd_special(x, name);
	struct permset ps = {s ? s->perms : NULL, s ? s->nperms : 0};
	struct permset none = {NULL, 0};
	watch_fire(x, name, strlen(name), true, ps, none, none);
}
