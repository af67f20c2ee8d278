/*
 * list.c - every channel of one or all domains.
 *
 * name, connection and path come from /libxl/D/device/console/N (dom0
 * only); the backend path too. As in libxl, channels are the consoles
 * (devid >= 1) that have a name there. The frontend state is the one
 * guest-writable value read, and is parsed strictly; type and tty are
 * read-only to the guest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack-int.h"

void ts_list_free(struct ts_channel_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].domain);
		free(v[i].name);
		free(v[i].connection);
		free(v[i].path);
		free(v[i].tty);
		free(v[i].type);
		free(v[i].backend);
	}
	free(v);
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

static char *or_empty(char *s)
{
	return s ? s : strdup("");
}

static int add_domain(struct ts *ts, uint32_t domid, struct ts_channel_info **out, size_t *n)
{
	unsigned nc;
	char **chans = ts_dir(ts, XBT_NULL, &nc, "/libxl/%u/device/console", domid);
	if (!chans)
		return errno == ENOENT ? 0 : -1;
	unsigned *ids = calloc(nc ? nc : 1, sizeof(*ids));
	if (!ids) {
		free(chans);
		return -1;
	}
	unsigned k = 0;
	for (unsigned i = 0; i < nc; i++) {
		unsigned id;
		if (!xstore_parse_uint(chans[i], 0xffff, &id) && id > 0)
			ids[k++] = id;
	}
	free(chans);
	qsort(ids, k, sizeof(*ids), cmp_uint);
	char dname[128];
	ts_domain_name(ts, domid, dname, sizeof(dname));
	for (unsigned i = 0; i < k; i++) {
		/* channels are the consoles with a name (libxl's rule too) */
		char *name =
		    ts_read(ts, XBT_NULL, "/libxl/%u/device/console/%u/name", domid, ids[i]);
		if (!name)
			continue;
		struct ts_channel_info *v = realloc(*out, (*n + 1) * sizeof(*v));
		if (!v) {
			free(name);
			free(ids);
			return -1;
		}
		*out = v;
		struct ts_channel_info *c = &v[*n];
		memset(c, 0, sizeof(*c));
		(*n)++;
		unsigned id = ids[i];
		c->domid = domid;
		c->devid = id;
		c->domain = strdup(dname);
		c->name = name;
		c->connection = or_empty(
		    ts_read(ts, XBT_NULL, "/libxl/%u/device/console/%u/connection", domid, id));
		c->path = ts_read(ts, XBT_NULL, "/libxl/%u/device/console/%u/path", domid, id);
		c->backend =
		    ts_read(ts, XBT_NULL, "/libxl/%u/device/console/%u/backend", domid, id);
		char fe[TS_PATH_MAX];
		snprintf(fe, sizeof(fe), "/local/domain/%u/device/console/%u", domid, id);
		c->type = or_empty(ts_read(ts, XBT_NULL, "%s/type", fe));
		c->tty = ts_read(ts, XBT_NULL, "%s/tty", fe);
		if (c->tty && !*c->tty) {
			free(c->tty);
			c->tty = NULL;
		}
		c->fe_state = ts_read_state(ts, fe);
		c->be_state = c->backend ? ts_read_state(ts, c->backend) : -1;
		if (!c->domain || !c->name || !c->connection || !c->type) {
			free(ids);
			errno = ENOMEM;
			return -1;
		}
	}
	free(ids);
	return 0;
}

int ts_list(struct ts *ts, int64_t domid, struct ts_channel_info **out, size_t *n,
            struct ts_error *err)
{
	*out = NULL;
	*n = 0;
	if (domid >= 0) {
		if (!ts_domain_exists(ts, XBT_NULL, (uint32_t)domid)) {
			ts_fail(err, ENOENT,
			        "unknown domain %lld: /local/domain/%lld does not exist",
			        (long long)domid, (long long)domid);
			return -1;
		}
		if (add_domain(ts, (uint32_t)domid, out, n))
			goto fail;
		return 0;
	}
	unsigned nd;
	char **doms = ts_dir(ts, XBT_NULL, &nd, "/local/domain");
	if (!doms) {
		if (errno == ENOENT)
			return 0;
		goto fail;
	}
	unsigned *ids = calloc(nd ? nd : 1, sizeof(*ids));
	unsigned k = 0;
	for (unsigned i = 0; ids && i < nd; i++) {
		unsigned id;
		if (!xstore_parse_uint(doms[i], 0xffff, &id))
			ids[k++] = id;
	}
	free(doms);
	if (!ids)
		goto fail;
	qsort(ids, k, sizeof(*ids), cmp_uint);
	for (unsigned i = 0; i < k; i++) {
		if (add_domain(ts, ids[i], out, n)) {
			free(ids);
			goto fail;
		}
	}
	free(ids);
	return 0;
fail:
	ts_fail(err, EIO, "reading the channel list from xenstore failed: %s", strerror(errno));
	ts_list_free(*out, *n);
	*out = NULL;
	*n = 0;
	return -1;
}
