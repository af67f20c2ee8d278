/* host-lookup.c - find a domain and its channel socket in xenstore. */
#include "xenchannel/host.h"
#include "xenchannel/xstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

/* A domain id as xenstore spells it (DOMID_FIRST_RESERVED - 1 at most). */
static int domid_of(const char *s, unsigned *domid)
{
	return xstore_parse_uint(s, 0x7fef, domid);
}

int host_resolve_domain(struct xs_handle *xs, const char *spec, unsigned *domid, char *err,
                        size_t errlen)
{
	struct xs_handle *own = NULL;
	if (!xs) {
		xs = own = xs_open(0);
		if (!xs) {
			snprintf(err, errlen, "domain %s: cannot reach xenstore: %s", spec,
			         strerror(errno));
			return -1;
		}
	}
	if (domid_of(spec, domid) == 0) {
		/* an id names a domain only while /local/domain/<id> exists */
		char p[64];
		snprintf(p, sizeof(p), "/local/domain/%u", *domid);
		char *v = xstore_read(xs, XBT_NULL, p);
		int exists = v != NULL || errno != ENOENT;
		free(v);
		if (own)
			xs_close(own);
		if (!exists) {
			snprintf(err, errlen, "domain %s: no domain with that id or name", spec);
			errno = ENOENT;
			return -1;
		}
		return 0;
	}
	unsigned int n = 0;
	char **doms = xs_directory(xs, XBT_NULL, "/local/domain", &n);
	int found = 0;
	for (unsigned i = 0; doms && i < n && !found; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/local/domain/%s/name", doms[i]);
		char *name = xstore_read(xs, XBT_NULL, p);
		if (name && strcmp(name, spec) == 0 && domid_of(doms[i], domid) == 0)
			found = 1;
		free(name);
	}
	free(doms);
	if (own)
		xs_close(own);
	if (!found) {
		snprintf(err, errlen, "domain %s: no domain with that id or name", spec);
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int host_lookup(struct xs_handle *xs, unsigned domid, const char *name, char *path, size_t pathlen,
                char *err, size_t errlen)
{
	struct xs_handle *own = NULL;
	if (!name)
		name = HOST_DEFAULT_NAME;
	if (!xs) {
		xs = own = xs_open(0);
		if (!xs) {
			snprintf(err, errlen, "domain %u: cannot reach xenstore: %s", domid,
			         strerror(errno));
			return -1;
		}
	}
	char dir[96];
	snprintf(dir, sizeof(dir), "/local/domain/0/backend/console/%u", domid);
	unsigned int n = 0;
	char **devs = xs_directory(xs, XBT_NULL, dir, &n);
	int rc = -1;
	int seen = 0;
	snprintf(err, errlen, "domain %u: no channel named %s (%s has %s)", domid, name, dir,
	         devs ? "no such name" : "no entries");
	for (unsigned i = 0; devs && i < n; i++) {
		char p[192];
		snprintf(p, sizeof(p), "%s/%s/name", dir, devs[i]);
		char *nm = xstore_read(xs, XBT_NULL, p);
		if (!nm || strcmp(nm, name) != 0) {
			free(nm);
			continue;
		}
		free(nm);
		seen = 1;
		snprintf(p, sizeof(p), "%s/%s/connection", dir, devs[i]);
		char *conn = xstore_read(xs, XBT_NULL, p);
		snprintf(p, sizeof(p), "%s/%s/path", dir, devs[i]);
		char *sp = xstore_read(xs, XBT_NULL, p);
		if (!conn || strcmp(conn, "socket") != 0) {
			snprintf(err, errlen,
			         "domain %u: channel %s (%s/%s) has connection=%s, want socket",
			         domid, name, dir, devs[i], conn ? conn : "(missing)");
		} else if (!sp || !*sp || strlen(sp) >= pathlen) {
			snprintf(err, errlen, "domain %u: channel %s (%s/%s): path %s", domid, name,
			         dir, devs[i], sp ? "too long or empty" : "missing");
		} else {
			snprintf(path, pathlen, "%s", sp);
			rc = 0;
		}
		free(conn);
		free(sp);
		break;
	}
	free(devs);
	if (own)
		xs_close(own);
	if (rc)
		errno = seen ? EINVAL : ENOENT; /* no such channel, or not usable */
	return rc;
}
