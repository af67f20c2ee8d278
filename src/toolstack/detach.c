/*
 * detach.c - remove a channel from a running domain with the xenbus close
 * handshake: backend state Closing (5), wait for the frontend to reach
 * Closed (6) or to disappear, backend state Closed (6), then remove the
 * frontend, backend and /libxl directories in one transaction.
 *
 * When a backend process serves the channel (its state went past
 * Initialising), its own Closed is awaited too: it writes it once it has
 * unmapped the ring. A timeout names the side that did not answer.
 *
 * Waiting uses xenstore watches on both states and ts_wait(); nothing
 * sleeps.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack-int.h"
#include "xenchannel/escape.h"
#include "xenchannel/loop.h"

/* devid of `which` (a devid or a channel name) from the dom0-owned copy. */
static int find_channel(struct ts *ts, uint32_t domid, const char *which, unsigned *devid,
                        struct ts_error *err)
{
	char shown[96];
	esc_text(shown, sizeof(shown), which, strlen(which), 60, 0);
	unsigned id;
	if (!xstore_parse_uint(which, 0xffff, &id)) {
		if (id == 0) {
			ts_fail(err, EINVAL,
			        "devid 0 is the primary console of domain %u, not a channel",
			        domid);
			return -1;
		}
		char *fe = ts_read(ts, XBT_NULL, "/libxl/%u/device/console/%u/frontend", domid, id);
		if (!fe) {
			ts_fail(err, ENOENT, "domain %u has no channel with devid %u", domid, id);
			return -1;
		}
		free(fe);
		*devid = id;
		return 0;
	}
	unsigned n;
	char **chans = ts_dir(ts, XBT_NULL, &n, "/libxl/%u/device/console", domid);
	for (unsigned i = 0; chans && i < n; i++) {
		if (xstore_parse_uint(chans[i], 0xffff, &id) || id == 0)
			continue;
		char *name = ts_read(ts, XBT_NULL, "/libxl/%u/device/console/%u/name", domid, id);
		int match = name && !strcmp(name, which);
		free(name);
		if (match) {
			free(chans);
			*devid = id;
			return 0;
		}
	}
	free(chans);
	ts_fail(err, ENOENT, "domain %u has no channel named `%s'", domid, shown);
	return -1;
}

/* dir/state = state, only while dir/state is there: never resurrect a
 * removed directory. 0 (written, or gone) or -1 with errno. */
static int set_state(struct ts *ts, const char *dir, const char *state)
{
	char path[TS_PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/state", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return xstore_write_if(ts->xsh, path, path, state, TS_TXN_RETRIES) < 0 ? -1 : 0;
}

/* The frontend has let go: Closed, gone, or never there. */
static int frontend_done(int st)
{
	return st == 6 || st == -1 || st == 0;
}

/* The backend has let go: Closed, or its directory is gone. */
static int backend_done(int st)
{
	return st == 6 || st == -1;
}

struct state_wait {
	const char *dir;
	int (*done)(int);
	int st;
};

static int state_done(struct ts *ts, void *arg)
{
	struct state_wait *w = arg;
	w->st = ts_read_state(ts, w->dir);
	return w->done(w->st);
}

/* Wait until done(state of dir) or the deadline: see ts_wait. *st receives
 * the last state read. */
static int wait_state(struct ts *ts, const char *dir, int (*done)(int), long long deadline, int *st,
                      struct ts_error *err)
{
	struct state_wait w = {dir, done, -1};
	int r = ts_wait(ts, state_done, &w, deadline, dir, err);
	*st = w.st;
	return r;
}

/* The channel's three directories; the backend one from the dom0-owned
 * copy, not from the guest's frontend. */
static void channel_dirs(struct ts *ts, uint32_t domid, unsigned devid, struct ts_detach_op *op)
{
	op->domid = domid;
	op->devid = devid;
	snprintf(op->fe, sizeof(op->fe), "/local/domain/%u/device/console/%u", domid, devid);
	snprintf(op->lp, sizeof(op->lp), "/libxl/%u/device/console/%u", domid, devid);
	char *bpath = ts_read(ts, XBT_NULL, "%s/backend", op->lp);
	if (bpath && strlen(bpath) < sizeof(op->be) && !strncmp(bpath, "/local/domain/", 14))
		snprintf(op->be, sizeof(op->be), "%s", bpath);
	else
		snprintf(op->be, sizeof(op->be), "/local/domain/0/backend/console/%u/%u", domid,
		         devid);
	free(bpath);
}

int ts_detach_prepare(struct ts *ts, uint32_t domid, const char *which, struct ts_detach_op *op,
                      struct ts_error *err)
{
	memset(op, 0, sizeof(*op));
	unsigned devid;
	if (find_channel(ts, domid, which, &devid, err))
		return -1;
	channel_dirs(ts, domid, devid, op);
	/* A backend process (xenchanneld, QEMU) that took the channel past
	 * Initialising serves it: it answers our Closing with Closed once it
	 * has let go of the ring, and that answer is waited for as well. */
	int be0 = ts_read_state(ts, op->be);
	op->served = be0 >= 2 && be0 <= 4;
	return 0;
}

int ts_detach_close(struct ts *ts, const struct ts_detach_op *op, struct ts_error *err)
{
	if (set_state(ts, op->be, "5")) {
		ts_fail(err, EIO, "cannot set %s/state to Closing: %s", op->be, strerror(errno));
		return -1;
	}
	return 0;
}

int ts_detach_done(struct ts *ts, const struct ts_detach_op *op)
{
	if (!frontend_done(ts_read_state(ts, op->fe)))
		return 0;
	return !op->served || backend_done(ts_read_state(ts, op->be));
}

int ts_detach_finish(struct ts *ts, const struct ts_detach_op *op, struct ts_error *err)
{
	if (ts_read_state(ts, op->be) != 6 && set_state(ts, op->be, "6")) {
		ts_fail(err, EIO, "cannot set %s/state to Closed: %s", op->be, strerror(errno));
		return -1;
	}
	if (ts_remove_dirs(ts, op->fe, op->be, op->lp)) {
		ts_fail(err, EIO,
		        "cannot remove the xenstore directories of channel %u of domain %u: %s",
		        op->devid, op->domid, strerror(errno));
		return -1;
	}
	return 0;
}

int ts_channel_remove(struct ts *ts, uint32_t domid, unsigned devid, struct ts_error *err)
{
	struct ts_detach_op op;
	channel_dirs(ts, domid, devid, &op);
	if (ts_remove_dirs(ts, op.fe, op.be, op.lp)) {
		ts_fail(err, EIO,
		        "cannot remove the xenstore directories of channel %u of domain %u: %s",
		        devid, domid, strerror(errno));
		return -1;
	}
	return 0;
}

int ts_detach(struct ts *ts, uint32_t domid, const char *which, int timeout_ms, unsigned flags,
              struct ts_detach_result *res, struct ts_error *err)
{
	memset(res, 0, sizeof(*res));
	if (!ts_domain_exists(ts, XBT_NULL, domid)) {
		ts_fail(err, ENOENT, "unknown domain %u: /local/domain/%u does not exist", domid,
		        domid);
		return -1;
	}
	struct ts_detach_op op;
	if (ts_detach_prepare(ts, domid, which, &op, err))
		return -1;
	unsigned devid = op.devid;
	res->devid = devid;
	const char *fe = op.fe, *be = op.be;

	char token[64];
	snprintf(token, sizeof(token), "xenchannel-detach-%u-%u", domid, devid);
	char fstate[TS_PATH_MAX], bstate[TS_PATH_MAX];
	if ((size_t)snprintf(fstate, sizeof(fstate), "%s/state", fe) >= sizeof(fstate) ||
	    (size_t)snprintf(bstate, sizeof(bstate), "%s/state", be) >= sizeof(bstate)) {
		ts_fail(err, EINVAL, "xenstore path too long");
		return -1;
	}
	/* watches first, so no change between our write and our wait is missed */
	if (!xs_watch(ts->xsh, fstate, token)) {
		ts_fail(err, EIO, "cannot watch %s: %s", fstate, strerror(errno));
		return -1;
	}
	if (!xs_watch(ts->xsh, bstate, token)) {
		ts_fail(err, EIO, "cannot watch %s: %s", bstate, strerror(errno));
		xs_unwatch(ts->xsh, fstate, token);
		return -1;
	}

	int rc = -1;
	if (ts_detach_close(ts, &op, err))
		goto out;

	long long deadline = timeout_ms < 0 ? -1 : (long long)loop_now_ms() + timeout_ms;
	int st;
	int w = wait_state(ts, fe, frontend_done, deadline, &st, err);
	if (w < 0)
		goto out;
	if (w > 0) {
		char note[400];
		snprintf(note, sizeof(note),
		         "the frontend of domain %u (%s) did not answer: its state is %s, not "
		         "Closed, after %d ms",
		         domid, fe, ts_state_name(st), timeout_ms);
		if (!(flags & TS_FORCE)) {
			ts_fail(err, ETIMEDOUT,
			        "%s; the channel stays (backend state Closing); --force removes it "
			        "anyway",
			        note);
			goto out;
		}
		res->forced = true;
		snprintf(res->note, sizeof(res->note), "%s; removed anyway (--force)", note);
	} else if (op.served) {
		w = wait_state(ts, be, backend_done, deadline, &st, err);
		if (w < 0)
			goto out;
		if (w > 0) {
			char note[400];
			snprintf(note, sizeof(note),
			         "the backend of channel %u of domain %u (%s) did not answer: its "
			         "state is %s, not Closed, after %d ms (is its backend daemon "
			         "running?)",
			         devid, domid, be, ts_state_name(st), timeout_ms);
			if (!(flags & TS_FORCE)) {
				ts_fail(err, ETIMEDOUT,
				        "%s; the channel stays; --force removes it anyway", note);
				goto out;
			}
			res->forced = true;
			snprintf(res->note, sizeof(res->note), "%s; removed anyway (--force)",
			         note);
		}
	}
	if (ts_detach_finish(ts, &op, err))
		goto out;
	rc = 0;
out:
	xs_unwatch(ts->xsh, bstate, token);
	xs_unwatch(ts->xsh, fstate, token);
	return rc;
}
