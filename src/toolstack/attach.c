/*
 * attach.c - add a channel to a running domain, as libxl 4.17 adds one at
 * domain creation (libxl__device_console_add + libxl__device_generic_add).
 *
 * One transaction, redone from the start on EAGAIN:
 *   rm /libxl/D/device/console/N, write its frontend and backend keys;
 *   rm + mkdir the frontend dir, perms [nD rB], write `backend`, then
 *     backend-id, state=1, protocol=vt100 (each with perms [nD rB]) and
 *     name, limit, type, output, tty (each read-only to the guest, [nB rD]);
 *   rm + mkdir the backend dir, perms [nB rD], write `frontend`, then
 *     frontend-id, online=1, state=1, protocol, name, connection[, path];
 *   the same backend keys again under /libxl/D/device/console/N.
 * The free devid, the duplicate-name and the path-in-use checks read inside
 * the same transaction, so two concurrent attaches cannot pick the same
 * devid: the second commit fails with EAGAIN and is redone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack-int.h"
#include "xenchannel/escape.h"

struct kv {
	const char *key;
	const char *val;
};

static int w(struct ts *ts, xs_transaction_t t, const char *dir, const char *key, const char *val)
{
	char path[TS_PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, key) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return xs_write(ts->xsh, t, path, val, (unsigned)strlen(val)) ? 0 : -1;
}

static int wperm(struct ts *ts, xs_transaction_t t, const char *dir, const struct kv *kv, size_t n,
                 struct xs_permissions *perms)
{
	for (size_t i = 0; i < n; i++) {
		char path[TS_PATH_MAX];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, kv[i].key) >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (!xs_write(ts->xsh, t, path, kv[i].val, (unsigned)strlen(kv[i].val)))
			return -1;
		if (perms && !xs_set_permissions(ts->xsh, t, path, perms, 2))
			return -1;
	}
	return 0;
}

static int rm(struct ts *ts, xs_transaction_t t, const char *path)
{
	if (xs_rm(ts->xsh, t, path) || errno == ENOENT)
		return 0;
	return -1;
}

/* The devids in use: union of frontend, backend and /libxl directories. */
static int used_devids(struct ts *ts, xs_transaction_t t, uint32_t domid, uint32_t backend,
                       unsigned char used[], unsigned max)
{
	const char *fmts[] = {"/local/domain/%u/device/console", "/libxl/%u/device/console"};
	for (size_t k = 0; k < 3; k++) {
		unsigned n;
		char **d;
		if (k < 2)
			d = ts_dir(ts, t, &n, fmts[k], domid);
		else
			d = ts_dir(ts, t, &n, "/local/domain/%u/backend/console/%u", backend,
			           domid);
		if (!d) {
			if (errno == ENOENT)
				continue;
			return -1;
		}
		for (unsigned i = 0; i < n; i++) {
			unsigned id;
			if (!xstore_parse_uint(d[i], max - 1, &id))
				used[id] = 1;
		}
		free(d);
	}
	return 0;
}

enum check { CHECK_OK, CHECK_FAIL, CHECK_XS };

/* Name unique in the domain; path unique across every domain. */
static enum check check_conflicts(struct ts *ts, xs_transaction_t t, uint32_t domid,
                                  const struct cfg_channel *ch, struct ts_error *err)
{
	unsigned n;
	char **chans = ts_dir(ts, t, &n, "/libxl/%u/device/console", domid);
	if (!chans && errno != ENOENT)
		return CHECK_XS;
	for (unsigned i = 0; chans && i < n; i++) {
		char *name = ts_read(ts, t, "/libxl/%u/device/console/%s/name", domid, chans[i]);
		if (name && !strcmp(name, ch->name)) {
			ts_fail(err, EEXIST,
			        "domain %u already has a channel named `%s' (devid %s); channel "
			        "names are "
			        "unique in a domain",
			        domid, ch->name, chans[i]);
			free(name);
			free(chans);
			return CHECK_FAIL;
		}
		free(name);
	}
	free(chans);
	if (ch->connection != CFG_CONN_SOCKET)
		return CHECK_OK;

	unsigned nd;
	char **doms = ts_dir(ts, t, &nd, "/libxl");
	if (!doms)
		return errno == ENOENT ? CHECK_OK : CHECK_XS;
	enum check r = CHECK_OK;
	for (unsigned i = 0; i < nd && r == CHECK_OK; i++) {
		unsigned d;
		if (xstore_parse_uint(doms[i], 0xffff, &d))
			continue;
		if (!ts_domain_exists(ts, t, d))
			continue; /* leftovers of a domain that is gone hold no socket */
		chans = ts_dir(ts, t, &n, "/libxl/%u/device/console", d);
		for (unsigned j = 0; chans && j < n && r == CHECK_OK; j++) {
			char *path =
			    ts_read(ts, t, "/libxl/%u/device/console/%s/path", d, chans[j]);
			char *conn =
			    ts_read(ts, t, "/libxl/%u/device/console/%s/connection", d, chans[j]);
			if (path && conn && !strcmp(conn, "socket") && !strcmp(path, ch->path)) {
				char *name =
				    ts_read(ts, t, "/libxl/%u/device/console/%s/name", d, chans[j]);
				char shown[80];
				esc_text(shown, sizeof(shown), name, name ? strlen(name) : 0, 60,
				         0);
				ts_fail(err, EADDRINUSE,
				        "path %s is already used by channel `%s' (devid %s) of "
				        "domain %u",
				        ch->path, shown, chans[j], d);
				free(name);
				r = CHECK_FAIL;
			}
			free(path);
			free(conn);
		}
		free(chans);
	}
	free(doms);
	return r;
}

static int write_channel(struct ts *ts, xs_transaction_t t, uint32_t domid, uint32_t backend,
                         unsigned devid, const struct cfg_channel *ch)
{
	char fe[TS_PATH_MAX], be[TS_PATH_MAX], lp[TS_PATH_MAX];
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/console/%u", domid, devid);
	snprintf(be, sizeof(be), "/local/domain/%u/backend/console/%u/%u", backend, domid, devid);
	snprintf(lp, sizeof(lp), "/libxl/%u/device/console/%u", domid, devid);

	char sdomid[16], sbackend[16], output[48];
	snprintf(sdomid, sizeof(sdomid), "%u", domid);
	snprintf(sbackend, sizeof(sbackend), "%u", backend);
	if (ch->connection == CFG_CONN_SOCKET)
		snprintf(output, sizeof(output), "chardev:libxl-channel%u", devid);
	else
		snprintf(output, sizeof(output), "pty");

	struct xs_permissions fe_perms[2] = {{domid, XS_PERM_NONE}, {backend, XS_PERM_READ}};
	struct xs_permissions ro_perms[2] = {{backend, XS_PERM_NONE}, {domid, XS_PERM_READ}};
	struct xs_permissions be_perms[2] = {{backend, XS_PERM_NONE}, {domid, XS_PERM_READ}};

	const struct kv fents[] = {
	    {"backend-id", sbackend},
	    {"state", "1"},
	    {"protocol", TS_CONSOLE_PROTOCOL},
	};
	const struct kv ro_fents[] = {
	    {"name", ch->name},
	    {"limit", TS_CONSOLE_LIMIT},
	    {"type", TS_FRONTEND_TYPE},
	    {"output", output},
	    {"tty", ""},
	};
	struct kv bents[7] = {
	    {"frontend-id", sdomid}, {"online", "1"},
	    {"state", "1"},          {"protocol", TS_CONSOLE_PROTOCOL},
	    {"name", ch->name},      {"connection", cfg_connection_name(ch->connection)},
	};
	size_t nb = 6;
	if (ch->connection == CFG_CONN_SOCKET)
		bents[nb++] = (struct kv){"path", ch->path};

	if (rm(ts, t, lp) || w(ts, t, lp, "frontend", fe) || w(ts, t, lp, "backend", be))
		return -1;

	if (rm(ts, t, fe) || !xs_mkdir(ts->xsh, t, fe) ||
	    !xs_set_permissions(ts->xsh, t, fe, fe_perms, 2) || w(ts, t, fe, "backend", be) ||
	    wperm(ts, t, fe, fents, sizeof(fents) / sizeof(fents[0]), fe_perms) ||
	    wperm(ts, t, fe, ro_fents, sizeof(ro_fents) / sizeof(ro_fents[0]), ro_perms))
		return -1;

	if (rm(ts, t, be) || !xs_mkdir(ts->xsh, t, be) ||
	    !xs_set_permissions(ts->xsh, t, be, be_perms, 2) || w(ts, t, be, "frontend", fe) ||
	    wperm(ts, t, be, bents, nb, NULL))
		return -1;

	return wperm(ts, t, lp, bents, nb, NULL);
}

struct attach_txn {
	struct ts *ts;
	uint32_t domid, backend;
	const struct cfg_channel *ch;
	unsigned flags;
	struct ts_error *err;
	unsigned devid; /* the one written, once committed */
};

/* One attempt: pick the devid, check, write. 1 when refused (err says why). */
static int attach_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct attach_txn *a = arg;
	struct ts *ts = a->ts;
	struct ts_error *err = a->err;
	uint32_t domid = a->domid;
	if (!ts_domain_exists(ts, t, domid)) {
		ts_fail(err, ENOENT, "unknown domain %u: /local/domain/%u does not exist", domid,
		        domid);
		return 1;
	}
	unsigned char used[256] = {0};
	if (used_devids(ts, t, domid, a->backend, used, sizeof(used)))
		return -1;
	unsigned devid = 1, count = 0;
	for (unsigned i = 1; i < sizeof(used); i++)
		count += used[i];
	while (devid < sizeof(used) && used[devid])
		devid++;
	if (a->flags & TS_AT_DEVID) {
		devid = a->ch->devid;
		if (devid == 0 || devid > CFG_MAX_DEVID || used[devid]) {
			ts_fail(err, EEXIST, "devid %u of domain %u is %s", devid, domid,
			        devid ? "already used by another console" : "the primary console");
			return 1;
		}
	}
	if (devid >= sizeof(used)) {
		ts_fail(err, ENOSPC, "domain %u has no free console devid", domid);
		return 1;
	}
	if (!(a->flags & TS_FORCE) && devid > CFG_MAX_DEVID) {
		ts_fail(err, ENOSPC,
		        "the next free devid of domain %u is %u: Linux reads only the last digit "
		        "of device/console/N, so devid %u would be taken for %u (--force "
		        "attaches it anyway)",
		        domid, devid, devid, devid % 10);
		return 1;
	}
	if (!(a->flags & TS_FORCE) && count >= CFG_MAX_CHANNELS) {
		ts_fail(err, ENOSPC,
		        "domain %u already has %u channels: Linux guests expose only hvc0-hvc7 "
		        "and hvc0 is the primary console, so at most %d channels can be opened "
		        "(--force attaches another anyway)",
		        domid, count, CFG_MAX_CHANNELS);
		return 1;
	}
	switch (check_conflicts(ts, t, domid, a->ch, err)) {
	case CHECK_OK:
		break;
	case CHECK_FAIL:
		return 1;
	case CHECK_XS:
		return -1;
	}
	if (write_channel(ts, t, domid, a->backend, devid, a->ch))
		return -1;
	a->devid = devid;
	return 0;
}

int ts_attach(struct ts *ts, uint32_t domid, const struct cfg_channel *ch, unsigned flags,
              unsigned *devid_out, struct ts_error *err)
{
	char shown[160];
	if (!ch->name) {
		ts_fail(err, EINVAL, "the channel has no name=");
		return -1;
	}
	const char *why = cfg_name_check(ch->name);
	if (why) {
		esc_text(shown, sizeof(shown), ch->name, strlen(ch->name), 60, 0);
		ts_fail(err, EINVAL, "channel name `%s' %s", shown, why);
		return -1;
	}
	if (ch->connection == CFG_CONN_SOCKET && (!ch->path || ch->path[0] != '/')) {
		ts_fail(err, EINVAL, "connection=socket needs an absolute path=");
		return -1;
	}
	if (ch->connection != CFG_CONN_SOCKET && ch->connection != CFG_CONN_PTY) {
		ts_fail(err, EINVAL, "the channel has no connection= (pty or socket)");
		return -1;
	}
	uint32_t backend = 0;
	if (ch->backend && ts_domain_lookup(ts, ch->backend, &backend, err)) {
		char inner[sizeof(err->msg)];
		memcpy(inner, err->msg, sizeof(inner));
		ts_fail(err, err->code, "backend: %s", inner);
		return -1;
	}

	if (domid == backend) {
		ts_fail(
		    err, EINVAL,
		    "domain %u would be both ends of the channel: a channel links a guest to its "
		    "backend domain (dom0 unless backend= says otherwise)",
		    domid);
		return -1;
	}

	struct attach_txn a = {ts, domid, backend, ch, flags, err, 0};
	switch (xstore_transact(ts->xsh, TS_TXN_RETRIES, attach_body, &a)) {
	case 0:
		*devid_out = a.devid;
		return 0;
	case XSTORE_TX_NOSTART:
		ts_fail(err, EIO, "cannot start a xenstore transaction: %s", strerror(errno));
		break;
	case XSTORE_TX_FAILED:
		ts_fail(err, EIO, "xenstore error while attaching to domain %u: %s", domid,
		        strerror(errno));
		break;
	case XSTORE_TX_NOCOMMIT:
		if (errno == EAGAIN)
			ts_fail(err, EIO,
			        "xenstore transaction for domain %u kept conflicting (%d attempts)",
			        domid, TS_TXN_RETRIES);
		else
			ts_fail(err, EIO,
			        "committing the xenstore transaction for domain %u failed: %s",
			        domid, strerror(errno));
		break;
	default: /* refused: err says why */
		break;
	}
	return -1;
}
