/*
 * watch.c - xenstore discovery: our backend directory for every domain, the
 * frontend directory of each channel we serve, and @releaseDomain.
 *
 * Watches only say "look here"; every handler re-reads xenstore (see
 * chan_update), so coalesced, reordered or spurious events do no harm.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "xenchannel/loop.h"
#include "xenchannel/xstore.h"

#define TOKEN_BACKEND "be"
#define TOKEN_FRONTEND "fe"
#define TOKEN_RELEASE "rel"

static unsigned scan_gen;

/* Parse "/<u32>" at *s, advancing it. */
static int take_u32(const char **s, uint32_t *out)
{
	const char *p = *s;
	if (*p != '/')
		return -1;
	p++;
	char num[12];
	size_t n = 0;
	while (p[n] >= '0' && p[n] <= '9' && n < sizeof(num) - 1) {
		num[n] = p[n];
		n++;
	}
	num[n] = '\0';
	if (n == 0 || (p[n] != '\0' && p[n] != '/') || xstore_parse_uint(num, UINT32_MAX, out) < 0)
		return -1;
	*s = p + n;
	return 0;
}

static void update_unseen(struct xcd *d, int all, uint32_t domid)
{
	/* Collect first: chan_update may free channels while we iterate. */
	size_t n = 0, cap = 0;
	uint32_t(*ids)[2] = NULL;
	for (size_t i = 0; i < d->tab_size; i++) {
		for (struct chan *c = d->tab[i]; c; c = c->hnext) {
			if (c->seen == scan_gen || (!all && c->domid != domid))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				void *t = realloc(ids, cap * sizeof(*ids));
				if (!t)
					goto out;
				ids = t;
			}
			ids[n][0] = c->domid;
			ids[n][1] = c->devid;
			n++;
		}
	}
	for (size_t i = 0; i < n; i++)
		chan_update(d, ids[i][0], ids[i][1]);
out:
	free(ids);
}

static void scan_domain_devices(struct xcd *d, uint32_t domid)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%u", d->be_root, domid);
	unsigned n = 0;
	char **devs = xs_directory(d->xs, XBT_NULL, p, &n);
	for (unsigned i = 0; devs && i < n; i++) {
		uint32_t devid;
		if (xstore_parse_uint(devs[i], UINT32_MAX, &devid) < 0)
			continue;
		chan_update(d, domid, devid);
		struct chan *c = chan_find(d, domid, devid);
		if (c)
			c->seen = scan_gen;
	}
	free(devs);
}

static void scan_domain(struct xcd *d, uint32_t domid)
{
	scan_gen++;
	scan_domain_devices(d, domid);
	update_unseen(d, 0, domid);
}

void watch_scan_all(struct xcd *d)
{
	scan_gen++;
	unsigned n = 0;
	char **doms = xs_directory(d->xs, XBT_NULL, d->be_root, &n);
	for (unsigned i = 0; doms && i < n; i++) {
		uint32_t domid;
		if (xstore_parse_uint(doms[i], UINT32_MAX, &domid) == 0)
			scan_domain_devices(d, domid);
	}
	free(doms);
	update_unseen(d, 1, 0);
}

int watch_domain_alive(struct xcd *d, uint32_t domid)
{
	if (d->introduced_works)
		return xs_is_domain_introduced(d->xs, domid);
	char p[64];
	snprintf(p, sizeof(p), "/local/domain/%u", domid);
	unsigned len;
	char *v = xs_read(d->xs, XBT_NULL, p, &len);
	free(v);
	return v != NULL || errno != ENOENT;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void release_dead_domains(struct xcd *d)
{
	/* Ask once per distinct domain; a dead one loses all its channels. */
	uint32_t *doms = malloc((d->nchan + 1) * sizeof(*doms));
	if (!doms)
		return;
	size_t n = 0;
	for (size_t i = 0; i < d->tab_size; i++)
		for (struct chan *c = d->tab[i]; c; c = c->hnext)
			doms[n++] = c->domid;
	qsort(doms, n, sizeof(*doms), cmp_u32);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && doms[i] == doms[i - 1])
			continue;
		if (watch_domain_alive(d, doms[i]))
			continue;
		for (size_t j = 0; j < d->tab_size; j++) {
			struct chan *c = d->tab[j];
			while (c) {
				struct chan *nx = c->hnext;
				if (c->domid == doms[i]) {
					log_info(
					    "domain %u channel %u (%s): domain is gone; released",
					    c->domid, c->devid, c->name ? c->name : "?");
					domains_channel_gone(d, c->domid, c->devid);
					chan_free(c, 0);
				}
				c = nx;
			}
		}
	}
	free(doms);
}

static void handle_event(struct xcd *d, const char *path, const char *token)
{
	uint32_t domid, devid;
	if (strcmp(token, TOKEN_BACKEND) == 0) {
		size_t rl = strlen(d->be_root);
		if (strncmp(path, d->be_root, rl) != 0)
			return;
		const char *rest = path + rl;
		if (*rest == '\0') {
			if (d->skip_root_event) {
				d->skip_root_event = 0;
				return;
			}
			watch_scan_all(d);
			return;
		}
		if (take_u32(&rest, &domid) < 0)
			return;
		if (*rest == '\0') {
			scan_domain(d, domid);
			return;
		}
		if (take_u32(&rest, &devid) < 0)
			return;
		chan_update(d, domid, devid);
		/* a device directory came or went: when a gone domain's last one
		 * is removed by another toolstack (libxl) after ours, the empty
		 * parent goes too, whichever of us came last */
		if (*rest == '\0')
			domains_backend_removed(d, domid);
	} else if (strcmp(token, TOKEN_FRONTEND) == 0) {
		const char *rest = path;
		if (strncmp(rest, "/local/domain", 13) != 0)
			return;
		rest += 13;
		if (take_u32(&rest, &domid) < 0 || strncmp(rest, "/device/console", 15) != 0)
			return;
		rest += 15;
		if (take_u32(&rest, &devid) < 0)
			return;
		struct chan *c = chan_find(d, domid, devid);
		if (c && c->skip_fe_initial && *rest == '\0') {
			c->skip_fe_initial = 0;
			return;
		}
		if (c)
			chan_update(d, domid, devid);
	} else if (strcmp(token, TOKEN_RELEASE) == 0) {
		release_dead_domains(d);
	} else {
		domains_event(d, path, token);
	}
}

static void xs_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct xcd *d = arg;
	char **v;
	/* Bounded per wakeup; the fd stays readable while events remain. */
	for (int i = 0; i < 4096 && (v = xs_check_watch(d->xs)); i++) {
		handle_event(d, v[XS_WATCH_PATH], v[XS_WATCH_TOKEN]);
		free(v);
	}
}

int watch_frontend(struct chan *c, int on)
{
	char p[128];
	snprintf(p, sizeof(p), "/local/domain/%u/device/console/%u", c->domid, c->devid);
	bool ok =
	    on ? xs_watch(c->d->xs, p, TOKEN_FRONTEND) : xs_unwatch(c->d->xs, p, TOKEN_FRONTEND);
	if (!ok && on) {
		log_err("watching %s: %s", p, strerror(errno));
		return -1;
	}
	return 0;
}

int watch_init(struct xcd *d, char *err, size_t errlen)
{
	snprintf(d->be_root, sizeof(d->be_root), "/local/domain/%u/backend/console", d->self);
	d->introduced_works = xs_is_domain_introduced(d->xs, d->self);
	int fd = xs_fileno(d->xs);
	if (fd < 0) {
		snprintf(err, errlen, "xenstore: no watch descriptor: %s", strerror(errno));
		return -1;
	}
	if (!xs_watch(d->xs, "@releaseDomain", TOKEN_RELEASE)) {
		snprintf(err, errlen, "xenstore: watching @releaseDomain: %s", strerror(errno));
		return -1;
	}
	/* Fires once right away, which runs the initial scan (and adoption). */
	if (!xs_watch(d->xs, d->be_root, TOKEN_BACKEND)) {
		snprintf(err, errlen, "xenstore: watching %s: %s", d->be_root, strerror(errno));
		return -1;
	}
	if (loop_watch(d->loop, fd, LOOP_READ, xs_cb, d) < 0) {
		snprintf(err, errlen, "watching the xenstore descriptor: %s", strerror(errno));
		return -1;
	}
	return 0;
}
