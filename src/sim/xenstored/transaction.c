/*
 * transaction.c - how a request sees the tree: directly, or through a
 * transaction. A transaction copies each node it touches (value, perms,
 * child names) and remembers the node's generation at that moment; commit
 * checks that no touched node changed meanwhile (else EAGAIN, the client
 * redoes the transaction), then applies the changes and fires the watches
 * that the operations would have fired.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

enum { EV_NONE, EV_EXACT, EV_TREE };

struct txent {
	struct hent h;
	struct txent *onext;
	uint64_t base_gen; /* 0: absent when first touched */
	bool exists, modified, setv, setp;
	bool deleted_once; /* removed in the transaction (maybe created again) */
	uint8_t ev;
	uint64_t cseq; /* when the transaction (last) created it */
	char *value;
	uint32_t vlen;
	struct perm *perms;
	unsigned nperms;
	char *kids; /* NUL-joined child names, creation order */
	uint32_t kidlen, nkids, kidcap;
	char path[];
};

struct tx {
	struct tx *next;
	struct conn *c;
	uint32_t id;
	struct htable ents;
	struct txent *head, *tail;
	unsigned nents;
	unsigned created;
	uint64_t seq;
};

struct tx *tx_find(struct conn *c, uint32_t id)
{
	for (struct tx *t = c->txs; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

int tx_start(struct conn *c, uint32_t *id)
{
	if (!c->priv && c->ntx >= c->x->q_tx)
		return ENOSPC;
	struct tx *t = calloc(1, sizeof(*t));
	if (!t || ht_init(&t->ents, 16) < 0) {
		free(t);
		return ENOMEM;
	}
	do {
		t->id = c->next_txid++;
	} while (t->id == 0 || tx_find(c, t->id));
	t->c = c;
	t->next = c->txs;
	c->txs = t;
	c->ntx++;
	*id = t->id;
	return 0;
}

static void ent_free(struct txent *e)
{
	free(e->value);
	free(e->perms);
	free(e->kids);
	free(e);
}

static void tx_free(struct conn *c, struct tx *t)
{
	for (struct tx **p = &c->txs; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	c->ntx--;
	struct txent *e = t->head;
	while (e) {
		struct txent *n = e->onext;
		ent_free(e);
		e = n;
	}
	ht_fini(&t->ents);
	free(t);
}

void tx_free_all(struct conn *c)
{
	while (c->txs)
		tx_free(c, c->txs);
}

static int kids_add(struct txent *e, const char *name, size_t n)
{
	if (e->kidlen + n + 1 > e->kidcap) {
		uint32_t cap = e->kidcap ? e->kidcap * 2 : 64;
		while (cap < e->kidlen + n + 1)
			cap *= 2;
		char *k = realloc(e->kids, cap);
		if (!k)
			return ENOMEM;
		e->kids = k;
		e->kidcap = cap;
	}
	memcpy(e->kids + e->kidlen, name, n);
	e->kids[e->kidlen + n] = 0;
	e->kidlen += (uint32_t)n + 1;
	e->nkids++;
	return 0;
}

static void kids_del(struct txent *e, const char *name, size_t n)
{
	uint32_t off = 0;
	while (off < e->kidlen) {
		size_t l = strlen(e->kids + off);
		if (l == n && memcmp(e->kids + off, name, n) == 0) {
			memmove(e->kids + off, e->kids + off + l + 1, e->kidlen - off - l - 1);
			e->kidlen -= (uint32_t)l + 1;
			e->nkids--;
			return;
		}
		off += (uint32_t)l + 1;
	}
}

/* The transaction's copy of path, made on first touch. */
static int tx_ent(struct xsd *x, struct tx *t, const char *path, size_t len, struct txent **out)
{
	uint32_t h = ht_hash(path, len);
	struct txent *e = (struct txent *)ht_get(&t->ents, path, len, h);
	if (e) {
		*out = e;
		return 0;
	}
	if (!t->c->priv && t->nents >= x->q_tx_nodes)
		return ENOSPC;
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return ENOMEM;
	memcpy(e->path, path, len);
	e->h.key = e->path;
	e->h.klen = (uint32_t)len;
	struct node *n = store_get(&x->st, path, len);
	if (n) {
		e->base_gen = n->gen;
		e->exists = true;
		e->vlen = n->vlen;
		e->value = n->vlen ? malloc(n->vlen) : NULL;
		e->perms = malloc(n->nperms * sizeof(*e->perms));
		if ((n->vlen && !e->value) || !e->perms) {
			ent_free(e);
			return ENOMEM;
		}
		if (n->vlen)
			memcpy(e->value, n->value, n->vlen);
		memcpy(e->perms, n->perms, n->nperms * sizeof(*e->perms));
		e->nperms = n->nperms;
		for (struct node *k = n->first; k; k = k->next) {
			size_t pl = n->h.klen == 1 ? 1 : n->h.klen + 1;
			if (kids_add(e, k->path + pl, k->namelen)) {
				ent_free(e);
				return ENOMEM;
			}
		}
	}
	ht_add(&t->ents, &e->h);
	if (t->tail)
		t->tail->onext = e;
	else
		t->head = e;
	t->tail = e;
	t->nents++;
	*out = e;
	return 0;
}

static void ref_from_node(struct nref *r, struct node *n)
{
	memset(r, 0, sizeof(*r));
	if (!n)
		return;
	r->exists = true;
	r->value = n->value;
	r->vlen = n->vlen;
	r->perms = n->perms;
	r->nperms = n->nperms;
	r->gen = n->gen;
	r->childlen = n->childlen;
	r->nchildren = n->nchildren;
	r->n = n;
}

static void ref_from_ent(struct nref *r, struct txent *e)
{
	memset(r, 0, sizeof(*r));
	r->e = e;
	if (!e->exists)
		return;
	r->exists = true;
	r->value = e->value;
	r->vlen = e->vlen;
	r->perms = e->perms;
	r->nperms = e->nperms;
	r->gen = e->base_gen;
	r->childlen = e->kidlen;
	r->nchildren = e->nkids;
}

int view_get(struct xsd *x, struct tx *t, const char *path, size_t len, struct nref *r)
{
	if (!t) {
		ref_from_node(r, store_get(&x->st, path, len));
		return 0;
	}
	struct txent *e;
	int err = tx_ent(x, t, path, len, &e);
	if (err)
		return err;
	ref_from_ent(r, e);
	return 0;
}

size_t view_children(struct xsd *x, struct tx *t, const struct nref *r, char *buf, size_t cap)
{
	if (!r->exists)
		return 0;
	if (r->e) {
		size_t n = r->e->kidlen < cap ? r->e->kidlen : cap;
		if (n)
			memcpy(buf, r->e->kids, n);
		return r->e->kidlen;
	}
	size_t off = 0;
	size_t pl = r->n->h.klen == 1 ? 1 : r->n->h.klen + 1;
	for (struct node *k = r->n->first; k; k = k->next) {
		if (off + k->namelen + 1 <= cap) {
			memcpy(buf + off, k->path + pl, k->namelen);
			buf[off + k->namelen] = 0;
		}
		off += k->namelen + 1u;
	}
	return off;
}

static struct permset pset(const struct perm *p, unsigned n)
{
	return (struct permset){p, n};
}

static void fire_global(struct xsd *x, struct node *n, bool exact, struct permset old)
{
	struct permset parent = {NULL, 0};
	if (n->parent)
		parent = pset(n->parent->perms, n->parent->nperms);
	watch_fire(x, n->path, n->h.klen, exact, pset(n->perms, n->nperms), parent, old);
}

int view_create(struct xsd *x, struct conn *c, struct tx *t, const char *path, size_t len,
                const char *value, uint32_t vlen, bool fire)
{
	/* Find the nearest existing ancestor. */
	size_t plen = len;
	unsigned missing = 1;
	struct nref pr;
	for (;;) {
		plen = path_parent_len(path, plen);
		int err = view_get(x, t, path, plen, &pr);
		if (err)
			return err;
		if (pr.exists)
			break;
		missing++;
	}
	if (!(perms_for_conn(c, pr.perms, pr.nperms) & PERM_WRITE))
		return EACCES;
	if (!c->priv) {
		if (store_node_size(vlen, pr.nperms, 0) >= x->q_node_size)
			return ENOSPC;
		if (store_owned(&x->st, c->domid) + (t ? t->created : 0) + missing > x->q_nodes)
			return ENOSPC;
	}
	struct perm perms[XSD_PERMS_MAX];
	unsigned np = pr.nperms;
	memcpy(perms, pr.perms, np * sizeof(*perms));
	if (!c->priv)
		perms[0].id = c->domid; /* unprivileged domains own what they create */
	/* Create from the top down. */
	struct node *gparent = pr.n;
	struct txent *tparent = pr.e;
	while (plen < len) {
		/* path[0..end) is the next node down */
		size_t nstart = plen == 1 ? 1 : plen + 1;
		size_t end = nstart;
		while (end < len && path[end] != '/')
			end++;
		bool leaf = end == len;
		if (!t) {
			struct node *n =
			    store_create(&x->st, gparent, path, end, leaf ? value : NULL,
			                 leaf ? vlen : 0, perms, np);
			if (!n)
				return ENOMEM;
			gparent = n;
		} else {
			struct txent *e;
			int err = tx_ent(x, t, path, end, &e);
			if (err)
				return err;
			if (kids_add(tparent, path + nstart, end - nstart))
				return ENOMEM;
			tparent->modified = true;
			e->exists = e->modified = e->setv = e->setp = true;
			e->cseq = ++t->seq;
			free(e->value);
			e->value = NULL;
			e->vlen = 0;
			if (leaf && vlen) {
				e->value = malloc(vlen);
				if (!e->value)
					return ENOMEM;
				memcpy(e->value, value, vlen);
				e->vlen = vlen;
			}
			free(e->perms);
			e->perms = malloc(np * sizeof(*perms));
			if (!e->perms)
				return ENOMEM;
			memcpy(e->perms, perms, np * sizeof(*perms));
			e->nperms = np;
			e->kidlen = e->nkids = 0;
			if (!c->priv)
				t->created++;
			tparent = e;
		}
		plen = end;
	}
	if (fire) {
		if (!t)
			fire_global(x, gparent, false, pset(NULL, 0));
		else
			tparent->ev = EV_TREE;
	}
	return 0;
}

int view_write(struct xsd *x, struct conn *c, struct tx *t, struct nref *r, const char *path,
               size_t len, const char *value, uint32_t vlen)
{
	if (!c->priv && store_node_size(vlen, r->nperms, r->childlen) >= x->q_node_size)
		return ENOSPC;
	if (!t) {
		if (store_set_value(&x->st, r->n, value, vlen))
			return ENOMEM;
		fire_global(x, r->n, false, pset(NULL, 0));
		return 0;
	}
	struct txent *e = r->e;
	char *v = vlen ? malloc(vlen) : NULL;
	if (vlen && !v)
		return ENOMEM;
	if (vlen)
		memcpy(v, value, vlen);
	free(e->value);
	e->value = v;
	e->vlen = vlen;
	e->modified = e->setv = true;
	if (e->ev != EV_TREE)
		e->ev = EV_TREE;
	return 0;
}

int view_set_perms(struct xsd *x, struct conn *c, struct tx *t, struct nref *r, const char *path,
                   size_t len, const struct perm *p, unsigned np)
{
	if (!t) {
		struct node *n = r->n;
		struct perm old[XSD_PERMS_MAX];
		unsigned on = n->nperms;
		memcpy(old, n->perms, on * sizeof(*old));
		if (store_set_perms(&x->st, n, p, np))
			return ENOMEM;
		fire_global(x, n, false, pset(old, on));
		return 0;
	}
	struct txent *e = r->e;
	struct perm *q = malloc(np * sizeof(*q));
	if (!q)
		return ENOMEM;
	memcpy(q, p, np * sizeof(*q));
	free(e->perms);
	e->perms = q;
	e->nperms = np;
	e->modified = e->setp = true;
	e->ev = EV_TREE;
	return 0;
}

struct rm_ctx {
	struct xsd *x;
	struct permset parent;
};

static void rm_fire(struct node *n, bool top, void *arg)
{
	struct rm_ctx *rc = arg;
	struct permset parent = top ? rc->parent : pset(n->parent->perms, n->parent->nperms);
	watch_fire(rc->x, n->path, n->h.klen, !top, pset(n->perms, n->nperms), parent,
	           pset(NULL, 0));
}

/* Mark e and (recursively) its children deleted in the transaction. */
static int tx_rm_tree(struct xsd *x, struct tx *t, struct txent *e, char *pbuf, size_t plen,
                      unsigned depth)
{
	if (depth > XSD_REL_PATH_MAX)
		return EINVAL;
	uint32_t off = 0;
	while (off < e->kidlen) {
		size_t l = strlen(e->kids + off);
		if (plen + 1 + l >= XSD_PAYLOAD_MAX + 64)
			return EINVAL;
		size_t cl = plen;
		if (plen != 1)
			pbuf[cl++] = '/';
		memcpy(pbuf + cl, e->kids + off, l);
		cl += l;
		struct txent *k;
		int err = tx_ent(x, t, pbuf, cl, &k);
		if (!err && k->exists)
			err = tx_rm_tree(x, t, k, pbuf, cl, depth + 1);
		if (err)
			return err;
		k->ev = EV_EXACT;
		off += (uint32_t)l + 1;
	}
	e->exists = false;
	e->modified = e->deleted_once = true;
	e->kidlen = e->nkids = 0;
	return 0;
}

int view_rm(struct xsd *x, struct conn *c, struct tx *t, struct nref *r, const char *path,
            size_t len)
{
	size_t pl = path_parent_len(path, len);
	if (!t) {
		struct rm_ctx rc = {x, pset(NULL, 0)};
		struct node *n = r->n;
		if (n->parent)
			rc.parent = pset(n->parent->perms, n->parent->nperms);
		/* the parent's perms must outlive the walk: they do, only the
		 * subtree is freed */
		store_remove(&x->st, n, rm_fire, &rc);
		return 0;
	}
	struct txent *parent;
	int err = tx_ent(x, t, path, pl, &parent);
	if (err)
		return err;
	char pbuf[XSD_PAYLOAD_MAX + 64];
	memcpy(pbuf, path, len);
	err = tx_rm_tree(x, t, r->e, pbuf, len, 0);
	if (err)
		return err;
	r->e->ev = EV_TREE;
	size_t ns = pl == 1 ? 1 : pl + 1;
	kids_del(parent, path + ns, len - ns);
	parent->modified = true;
	return 0;
}

static unsigned depth_of(const struct txent *e)
{
	unsigned d = 0;
	for (uint32_t i = 0; i < e->h.klen; i++)
		d += e->path[i] == '/';
	return d;
}

/* Parents before children; siblings in the order the transaction created
 * them, so the child lists come out as if the operations ran directly. */
static int cmp_depth(const void *a, const void *b)
{
	const struct txent *x = *(struct txent *const *)a, *y = *(struct txent *const *)b;
	unsigned da = depth_of(x), db = depth_of(y);
	if (da != db)
		return da < db ? -1 : 1;
	return x->cseq < y->cseq ? -1 : x->cseq > y->cseq;
}

static int tx_commit(struct xsd *x, struct tx *t)
{
	for (struct txent *e = t->head; e; e = e->onext) {
		struct node *n = store_get(&x->st, e->path, e->h.klen);
		if ((n ? n->gen : 0) != e->base_gen)
			return EAGAIN;
	}
	/* Phase 1: removals, including nodes removed and created again (they
	 * move to the end of their parent's list, as they would directly). */
	for (struct txent *e = t->head; e; e = e->onext) {
		if (!e->modified || (e->exists && !e->deleted_once))
			continue;
		struct node *n = store_get(&x->st, e->path, e->h.klen);
		if (n)
			store_remove(&x->st, n, NULL, NULL);
	}
	/* Phase 2: creations and changes, parents first. */
	size_t cnt = 0;
	for (struct txent *e = t->head; e; e = e->onext)
		cnt += e->modified && e->exists;
	struct txent **v = cnt ? malloc(cnt * sizeof(*v)) : NULL;
	if (cnt && !v)
		return ENOMEM; /* nothing applied beyond removals... */
	size_t i = 0;
	for (struct txent *e = t->head; e; e = e->onext)
		if (e->modified && e->exists)
			v[i++] = e;
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_depth);
	for (i = 0; i < cnt; i++) {
		struct txent *e = v[i];
		struct node *n = store_get(&x->st, e->path, e->h.klen);
		if (!n) {
			size_t pl = path_parent_len(e->path, e->h.klen);
			struct node *p = store_get(&x->st, e->path, pl);
			if (!p)
				continue; /* cannot happen: parents come first */
			store_create(&x->st, p, e->path, e->h.klen, e->value, e->vlen, e->perms,
			             e->nperms);
			continue;
		}
		if (e->setv)
			store_set_value(&x->st, n, e->value, e->vlen);
		if (e->setp)
			store_set_perms(&x->st, n, e->perms, e->nperms);
	}
	free(v);
	/* Events, in the order the operations touched the nodes. */
	for (struct txent *e = t->head; e; e = e->onext) {
		if (e->ev == EV_NONE)
			continue;
		struct permset parent = {NULL, 0};
		struct node *p = store_get(&x->st, e->path, path_parent_len(e->path, e->h.klen));
		if (p && e->h.klen > 1)
			parent = pset(p->perms, p->nperms);
		watch_fire(x, e->path, e->h.klen, e->ev == EV_EXACT, pset(e->perms, e->nperms),
		           parent, pset(NULL, 0));
	}
	return 0;
}

int tx_end(struct conn *c, struct tx *t, bool commit)
{
	int err = commit ? tx_commit(c->x, t) : 0;
	tx_free(c, t);
	return err;
}
