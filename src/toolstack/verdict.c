/*
 * verdict.c - attach, then wait for the backend to accept or refuse; wait
 * for the channels a backend process attaches itself (declared channels).
 *
 * The backend answers in its device directory as libxl's hotplug scripts
 * do: `hotplug-status` = `connected` once its endpoint is ready, or
 * `hotplug-error` = the reason, then `hotplug-status` = `error`. A watch on
 * the backend directory, set after the commit, brings every write; the value
 * is read again after each batch (and once at once), so nothing is missed.
 * A refused or unanswered channel is removed again, with the close
 * handshake, so it does not keep one of the domain's few devids.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack-int.h"
#include "xenchannel/escape.h"
#include "xenchannel/loop.h"

/* Added when the guest's frontend did not get past Initialising either:
 * Linux 5.16 broke the probe of secondary consoles; 6.7 fixed it, and the
 * stable kernels got the fix in late 2023 (xen-console-setup(8)). */
#define TS_FRONTEND_NOT_INITIALISED                                                                \
	"; the guest's frontend never initialised either: Linux 5.16 to 6.6 guest "                \
	"kernels without the late-2023 stable updates cannot probe secondary consoles "            \
	"(guest kernel log: \"probe of console-N failed with error -2\"), nor a guest "            \
	"still booting or without hvc_xen (see xen-console-setup(8))"

/* How long the removal of a refused channel waits for its frontend. */
#define TS_CLEANUP_TIMEOUT_MS 2000

struct verdict {
	char be[TS_PATH_MAX];
	char *status; /* NULL while the backend has not answered */
	int gone;     /* the backend directory was removed meanwhile */
};

static int answered(struct ts *ts, void *arg)
{
	struct verdict *v = arg;
	free(v->status);
	v->status = ts_read(ts, XBT_NULL, "%s/" TS_HOTPLUG_STATUS, v->be);
	if (v->status)
		return !strcmp(v->status, "connected") || !strcmp(v->status, "error");
	unsigned n;
	char **d = ts_dir(ts, XBT_NULL, &n, "%s", v->be);
	v->gone = !d && errno == ENOENT;
	free(d);
	return v->gone;
}

/* Why nobody answered, as far as we can tell from here. */
static void no_answer_cause(uint32_t backend, char *buf, size_t size)
{
	struct ts_backend b;
	struct ts_error e;
	if (backend != 0) {
		snprintf(buf, size,
		         "the channel's backend is domain %u: is its backend daemon running?",
		         backend);
		return;
	}
	switch (ts_backend_running(&b, &e)) {
	case 0:
		snprintf(buf, size,
		         "is xenchanneld running? It is not: no process holds %s; start it "
		         "(or attach with --no-wait for a backend started later)",
		         b.lock);
		break;
	case 1:
		snprintf(buf, size,
		         "is xenchanneld running? It is (pid %ld, control socket %s) but did "
		         "not answer: see its log",
		         b.pid, *b.control ? b.control : "unknown");
		break;
	default:
		snprintf(buf, size, "is xenchanneld running? (cannot tell: %.300s)", e.msg);
		break;
	}
}

/* Undo the attach of devid; appends to err->msg when that fails too. */
static void take_back(struct ts *ts, uint32_t domid, unsigned devid, struct ts_error *err)
{
	char which[16];
	snprintf(which, sizeof(which), "%u", devid);
	struct ts_detach_result res;
	struct ts_error e;
	size_t n = strlen(err->msg);
	if (ts_detach(ts, domid, which, TS_CLEANUP_TIMEOUT_MS, TS_FORCE, &res, &e) == 0)
		snprintf(err->msg + n, sizeof(err->msg) - n, "; removed it again");
	else
		snprintf(err->msg + n, sizeof(err->msg) - n, "; removing it failed too: %s", e.msg);
}

int ts_attach_wait(struct ts *ts, uint32_t domid, const struct cfg_channel *ch, unsigned flags,
                   int timeout_ms, unsigned *devid_out, struct ts_error *err)
{
	unsigned devid = 0;
	*devid_out = 0;
	if (ts_attach(ts, domid, ch, flags, &devid, err))
		return -1;
	*devid_out = devid;

	struct verdict v = {.status = NULL};
	char *bp = ts_read(ts, XBT_NULL, "/libxl/%u/device/console/%u/backend", domid, devid);
	uint32_t backend = 0;
	if (!bp || strlen(bp) >= sizeof(v.be) || sscanf(bp, "/local/domain/%u/", &backend) != 1) {
		ts_fail(err, EIO, "cannot read back the backend path of channel %u of domain %u",
		        devid, domid);
		free(bp);
		take_back(ts, domid, devid, err);
		return -1;
	}
	snprintf(v.be, sizeof(v.be), "%s", bp);
	free(bp);

	char token[64];
	snprintf(token, sizeof(token), "xenchannel-attach-%u-%u", domid, devid);
	if (!xs_watch(ts->xsh, v.be, token)) {
		ts_fail(err, EIO, "cannot watch %s: %s", v.be, strerror(errno));
		take_back(ts, domid, devid, err);
		return -1;
	}
	long long deadline = timeout_ms < 0 ? -1 : (long long)loop_now_ms() + timeout_ms;
	int w = ts_wait(ts, answered, &v, deadline, v.be, err);
	xs_unwatch(ts->xsh, v.be, token);

	char name[96];
	esc_text(name, sizeof(name), ch->name, strlen(ch->name), 60, 0);
	int rc = -1;
	if (w < 0) {
		/* err says what went wrong with xenstore */
	} else if (w > 0) {
		char cause[400], fe[TS_PATH_MAX];
		no_answer_cause(backend, cause, sizeof(cause));
		snprintf(fe, sizeof(fe), "/local/domain/%u/device/console/%u", domid, devid);
		int fs = ts_read_state(ts, fe);
		ts_fail(err, ETIMEDOUT,
		        "no backend answered within %g s for channel `%s' (devid %u) of domain "
		        "%u: %s%s",
		        timeout_ms / 1000.0, name, devid, domid, cause,
		        fs == -1 || fs == 0 || fs == 1 ? TS_FRONTEND_NOT_INITIALISED : "");
	} else if (v.gone) {
		ts_fail(err, ENOENT,
		        "channel `%s' (devid %u) of domain %u was removed while waiting for its "
		        "backend",
		        name, devid, domid);
		free(v.status);
		return -1; /* someone else removed it: nothing left to take back */
	} else if (!strcmp(v.status, "error")) {
		char *why = ts_read(ts, XBT_NULL, "%s/" TS_HOTPLUG_ERROR, v.be);
		char shown[720];
		esc_text(shown, sizeof(shown), why, why ? strlen(why) : 0, 700, 0);
		ts_fail(err, ECONNREFUSED,
		        "the backend refused channel `%s' (devid %u) of domain %u: %s", name, devid,
		        domid, why ? shown : "(it gave no reason)");
		free(why);
	} else {
		rc = 0;
	}
	free(v.status);
	if (rc < 0)
		take_back(ts, domid, devid, err);
	return rc;
}

/* ts_wait_served: the channels waited for, and the backend directories
 * watched so far (a channel's appears once the backend process attaches it) */
#define SERVED_MAX 16
#define SERVED_TOKEN "xenchannel-wait-served"
struct served {
	uint32_t domid;
	const unsigned *devids;
	size_t n;
	char watched[SERVED_MAX][TS_PATH_MAX];
	char pending[256]; /* the devids not served yet */
	int refused;       /* index + 1 of a channel its backend refused */
	char *why;
};

static int all_served(struct ts *ts, void *arg)
{
	struct served *s = arg;
	size_t ready = 0;
	*s->pending = '\0';
	for (size_t i = 0; i < s->n; i++) {
		char *be = ts_read(ts, XBT_NULL, "/libxl/%u/device/console/%u/backend", s->domid,
		                   s->devids[i]);
		if (be && strlen(be) < TS_PATH_MAX && strcmp(be, s->watched[i])) {
			if (*s->watched[i])
				xs_unwatch(ts->xsh, s->watched[i], SERVED_TOKEN);
			snprintf(s->watched[i], TS_PATH_MAX, "%s", be);
			xs_watch(ts->xsh, be, SERVED_TOKEN);
		}
		char *st = be ? ts_read(ts, XBT_NULL, "%s/" TS_HOTPLUG_STATUS, be) : NULL;
		if (st && !strcmp(st, "error")) {
			s->why = ts_read(ts, XBT_NULL, "%s/" TS_HOTPLUG_ERROR, be);
			s->refused = (int)i + 1;
		} else if (st && !strcmp(st, "connected")) {
			ready++;
		} else {
			size_t l = strlen(s->pending);
			snprintf(s->pending + l, sizeof(s->pending) - l, "%s%u", l ? ", " : "",
			         s->devids[i]);
		}
		free(st);
		free(be);
		if (s->refused)
			return 1;
	}
	return ready == s->n;
}

int ts_wait_served(struct ts *ts, uint32_t domid, const unsigned *devids, size_t n, int timeout_ms,
                   struct ts_error *err)
{
	if (n > SERVED_MAX) {
		ts_fail(err, EINVAL, "too many channels to wait for");
		return -1;
	}
	struct served s = {.domid = domid, .devids = devids, .n = n};
	char lroot[TS_PATH_MAX];
	snprintf(lroot, sizeof(lroot), "/libxl/%u/device/console", domid);
	if (!xs_watch(ts->xsh, lroot, SERVED_TOKEN)) {
		ts_fail(err, EIO, "cannot watch %s: %s", lroot, strerror(errno));
		return -1;
	}
	long long deadline = timeout_ms < 0 ? -1 : (long long)loop_now_ms() + timeout_ms;
	int w = ts_wait(ts, all_served, &s, deadline, lroot, err);
	for (size_t i = 0; i < n; i++)
		if (*s.watched[i])
			xs_unwatch(ts->xsh, s.watched[i], SERVED_TOKEN);
	xs_unwatch(ts->xsh, lroot, SERVED_TOKEN);
	if (w == 0 && s.refused) {
		char shown[720];
		esc_text(shown, sizeof(shown), s.why, s.why ? strlen(s.why) : 0, 700, 0);
		ts_fail(err, ECONNREFUSED, "the backend refused channel %u of domain %u: %s",
		        devids[s.refused - 1], domid, s.why ? shown : "(it gave no reason)");
		w = -1;
	} else if (w > 0) {
		char cause[400];
		no_answer_cause(0, cause, sizeof(cause));
		ts_fail(err, ETIMEDOUT, "no backend took channel%s %s of domain %u within %g s: %s",
		        strchr(s.pending, ',') ? "s" : "", s.pending, domid, timeout_ms / 1000.0,
		        cause);
		w = -1;
	}
	free(s.why);
	return w;
}
