/* env.c - KEY=VALUE property lists for uevents. */
#include "udev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void udev_env_init(struct udev_env *e)
{
	memset(e, 0, sizeof(*e));
}

void udev_env_clear(struct udev_env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->kv[i]);
	free(e->kv);
	udev_env_init(e);
}

/* Index of the key of kl bytes, or -1. */
static long find(const struct udev_env *e, const char *key, size_t kl)
{
	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->kv[i], key, kl) == 0 && e->kv[i][kl] == '=')
			return (long)i;
	return -1;
}

const char *udev_env_get(const struct udev_env *e, const char *key)
{
	size_t kl = strlen(key);
	long i = find(e, key, kl);
	return i < 0 ? NULL : e->kv[i] + kl + 1;
}

int udev_env_key_ok(const char *key)
{
	if (!*key)
		return 0;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '=')
			return 0;
	return 1;
}

/* udev_env_set with a key of kl bytes, already checked. */
static int set(struct udev_env *e, const char *key, size_t kl, const char *value)
{
	long i = find(e, key, kl);
	if (!value || !*value) {
		if (i >= 0) {
			free(e->kv[i]);
			memmove(&e->kv[i], &e->kv[i + 1], (e->n - (size_t)i - 1) * sizeof(char *));
			e->n--;
			e->kv[e->n] = NULL;
		}
		return 0;
	}
	size_t vl = strlen(value);
	char *s = malloc(kl + vl + 2);
	if (!s)
		return -1;
	memcpy(s, key, kl);
	s[kl] = '=';
	memcpy(s + kl + 1, value, vl + 1);
	if (i >= 0) {
		free(e->kv[i]);
		e->kv[i] = s;
		return 0;
	}
	if (e->n + 1 >= e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		char **kv = realloc(e->kv, cap * sizeof(char *));
		if (!kv) {
			free(s);
			return -1;
		}
		e->kv = kv;
		e->cap = cap;
	}
	e->kv[e->n++] = s;
	e->kv[e->n] = NULL; /* usable as an envp tail */
	return 0;
}

int udev_env_set(struct udev_env *e, const char *key, const char *value)
{
	if (!udev_env_key_ok(key)) {
		errno = EINVAL;
		return -1;
	}
	return set(e, key, strlen(key), value);
}

int udev_env_copy(struct udev_env *dst, const struct udev_env *src)
{
	/* src's keys were checked when they were set; any length goes */
	for (size_t i = 0; i < src->n; i++) {
		const char *eq = strchr(src->kv[i], '=');
		if (set(dst, src->kv[i], (size_t)(eq - src->kv[i]), eq + 1) < 0)
			return -1;
	}
	return 0;
}
