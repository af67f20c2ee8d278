/*
 * store.c - the node tree: a hash of full paths for lookup, doubly linked
 * children in creation order (as xenstored lists them), one generation
 * counter bumped on every change of a node or of its child list, and the
 * per-domain count of owned nodes for the quota.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

int store_init(struct store *s)
{
	memset(s, 0, sizeof(*s));
	/* small: the table grows with the tree, and freeing a store walks
	 * every bucket */
	return ht_init(&s->nodes, 64) < 0 ? -1 : 0;
}

void *domid_table_reserve(void *p, size_t *n, size_t esize, uint32_t domid)
{
	size_t want = *n ? *n : 16;
	while (want <= domid)
		want *= 2;
	if (want > XSD_DOMID_FIRST_RESERVED)
		want = XSD_DOMID_FIRST_RESERVED;
	if (want <= *n)
		return p;
	unsigned char *q = realloc(p, want * esize);
	if (!q)
		return NULL;
	memset(q + *n * esize, 0, (want - *n) * esize);
	*n = want;
	return q;
}

/* Make room for the owner count of domid. */
static int owned_reserve(struct store *s, uint32_t domid)
{
	if (domid >= XSD_DOMID_FIRST_RESERVED || domid < s->nowned)
		return 0;
	uint32_t *p = domid_table_reserve(s->owned, &s->nowned, sizeof(*p), domid);
	if (!p)
		return ENOMEM;
	s->owned = p;
	return 0;
}

static void node_free(struct node *n)
{
	free(n->value);
	free(n->perms);
	free(n);
}

void store_fini(struct store *s)
{
	for (size_t i = 0; i < s->nodes.nb; i++) {
		struct hent *e = s->nodes.b[i];
		while (e) {
			struct hent *next = e->next;
			node_free((struct node *)e);
			e = next;
		}
	}
	ht_fini(&s->nodes);
	free(s->owned);
	s->owned = NULL;
	s->nowned = 0;
}

/* Only after owned_reserve(domid) succeeded. */
static void store_owner_inc(struct store *s, uint32_t domid)
{
	if (domid < s->nowned)
		s->owned[domid]++;
}

static void store_owner_dec(struct store *s, uint32_t domid)
{
	if (domid < s->nowned && s->owned[domid])
		s->owned[domid]--;
}

uint32_t store_owned(const struct store *s, uint32_t domid)
{
	return domid < s->nowned ? s->owned[domid] : 0;
}

size_t store_node_size(uint32_t vlen, unsigned nperms, uint32_t childlen)
{
	/* 4.17's record: 24-byte header, 8 bytes per permission, data, children */
	return 24u + 8u * nperms + vlen + childlen;
}

struct node *store_get(const struct store *s, const char *path, size_t len)
{
	return (struct node *)ht_get(&s->nodes, path, len, ht_hash(path, len));
}

static int dup_bytes(char **dst, const char *v, uint32_t vlen)
{
	char *p = NULL;
	if (vlen) {
		p = malloc(vlen);
		if (!p)
			return ENOMEM;
		memcpy(p, v, vlen);
	}
	*dst = p;
	return 0;
}

struct node *store_create(struct store *s, struct node *parent, const char *path, size_t len,
                          const char *value, uint32_t vlen, const struct perm *perms,
                          unsigned nperms)
{
	if (owned_reserve(s, perms[0].id))
		return NULL;
	struct node *n = calloc(1, sizeof(*n) + len + 1);
	if (!n)
		return NULL;
	memcpy(n->path, path, len);
	n->h.key = n->path;
	n->h.klen = (uint32_t)len;
	n->perms = malloc(nperms * sizeof(*perms));
	if (!n->perms || dup_bytes(&n->value, value, vlen)) {
		node_free(n);
		return NULL;
	}
	memcpy(n->perms, perms, nperms * sizeof(*perms));
	n->nperms = (uint16_t)nperms;
	n->vlen = vlen;
	n->gen = ++s->gen;
	ht_add(&s->nodes, &n->h);
	s->nnodes++;
	store_owner_inc(s, perms[0].id);
	if (parent) {
		size_t pl = parent->h.klen;
		n->namelen = (uint16_t)(len - (pl == 1 ? 1 : pl + 1));
		n->parent = parent;
		n->prev = parent->last;
		if (parent->last)
			parent->last->next = n;
		else
			parent->first = n;
		parent->last = n;
		parent->nchildren++;
		parent->childlen += n->namelen + 1u;
		parent->gen = ++s->gen;
	}
	return n;
}

int store_set_value(struct store *s, struct node *n, const char *v, uint32_t vlen)
{
	char *p;
	if (dup_bytes(&p, v, vlen))
		return ENOMEM;
	free(n->value);
	n->value = p;
	n->vlen = vlen;
	n->gen = ++s->gen;
	return 0;
}

int store_set_perms(struct store *s, struct node *n, const struct perm *p, unsigned np)
{
	if (owned_reserve(s, p[0].id))
		return ENOMEM;
	struct perm *q = malloc(np * sizeof(*q));
	if (!q)
		return ENOMEM;
	memcpy(q, p, np * sizeof(*q));
	store_owner_dec(s, n->perms[0].id);
	store_owner_inc(s, q[0].id);
	free(n->perms);
	n->perms = q;
	n->nperms = (uint16_t)np;
	n->gen = ++s->gen;
	return 0;
}

static void unlink_child(struct store *s, struct node *n)
{
	struct node *p = n->parent;
	if (!p)
		return;
	if (n->prev)
		n->prev->next = n->next;
	else
		p->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		p->last = n->prev;
	p->nchildren--;
	p->childlen -= n->namelen + 1u;
	p->gen = ++s->gen;
	n->parent = NULL;
}

void store_remove(struct store *s, struct node *top, store_rm_cb cb, void *arg)
{
	unlink_child(s, top);
	/* Iterative post-order walk: descend to the deepest first child, free
	 * on the way back up, so a deep tree cannot overflow the stack. */
	struct node *n = top;
	for (;;) {
		while (n->first)
			n = n->first;
		struct node *up = n == top ? NULL : n->parent;
		if (up) {
			up->first = n->next;
			if (n->next)
				n->next->prev = NULL;
			else
				up->last = NULL;
		}
		if (cb)
			cb(n, n == top, arg);
		ht_del(&s->nodes, &n->h);
		s->nnodes--;
		store_owner_dec(s, n->perms[0].id);
		node_free(n);
		if (!up)
			return;
		n = up;
	}
}

bool store_check(const struct store *s)
{
	/* every node reachable from "/" once, child bookkeeping consistent,
	 * hash count equal to the tree size, owner counts add up (per domid,
	 * or only in total when the scratch table cannot be had) */
	struct node *root = store_get(s, "/", 1);
	if (!root || root->parent)
		return false;
	uint32_t *own = s->nowned ? calloc(s->nowned, sizeof(*own)) : NULL;
	size_t seen = 0, owned = 0, counted = 0;
	struct node *n = root;
	while (n) {
		seen++;
		uint32_t cnt = 0, len = 0;
		for (struct node *k = n->first; k; k = k->next) {
			if (k->parent != n || store_get(s, k->path, k->h.klen) != k)
				goto bad;
			cnt++;
			len += k->namelen + 1u;
		}
		if (cnt != n->nchildren || len != n->childlen || n->nperms == 0)
			goto bad;
		uint32_t id = n->perms[0].id;
		if (id < s->nowned) {
			owned++;
			if (own)
				own[id]++;
		} else if (id < XSD_DOMID_FIRST_RESERVED) {
			goto bad; /* an owner that was never counted */
		}
		if (n->first) {
			n = n->first;
			continue;
		}
		while (n && !n->next)
			n = n->parent;
		if (n)
			n = n->next;
	}
	for (size_t i = 0; i < s->nowned; i++) {
		counted += s->owned[i];
		if (own && own[i] != s->owned[i])
			goto bad;
	}
	free(own);
	return owned == counted && seen == s->nnodes && seen == s->nodes.n;
bad:
	free(own);
	return false;
}
