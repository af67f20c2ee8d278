/* hash.c - intrusive chained hash table with string keys (FNV-1a). */
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

uint32_t ht_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

int ht_init(struct htable *t, size_t nb)
{
	size_t n = 16;
	while (n < nb)
		n <<= 1;
	t->b = calloc(n, sizeof(*t->b));
	t->nb = t->b ? n : 0;
	t->n = 0;
	return t->b ? 0 : -1;
}

void ht_fini(struct htable *t)
{
	free(t->b);
	t->b = NULL;
	t->nb = t->n = 0;
}

struct hent *ht_get(const struct htable *t, const char *k, size_t n, uint32_t h)
{
	for (struct hent *e = t->b[h & (t->nb - 1)]; e; e = e->next)
		if (e->hash == h && e->klen == n && memcmp(e->key, k, n) == 0)
			return e;
	return NULL;
}

static void grow(struct htable *t)
{
	size_t nb = t->nb * 2;
	struct hent **b = calloc(nb, sizeof(*b));
	if (!b)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < t->nb; i++) {
		struct hent *e = t->b[i];
		while (e) {
			struct hent *next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
			e = next;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

int ht_add(struct htable *t, struct hent *e)
{
	if (t->n >= t->nb)
		grow(t);
	e->hash = ht_hash(e->key, e->klen);
	struct hent **slot = &t->b[e->hash & (t->nb - 1)];
	e->next = *slot;
	*slot = e;
	t->n++;
	return 0;
}

void ht_del(struct htable *t, struct hent *e)
{
	struct hent **p = &t->b[e->hash & (t->nb - 1)];
	while (*p && *p != e)
		p = &(*p)->next;
	if (*p) {
		*p = e->next;
		t->n--;
	}
}
