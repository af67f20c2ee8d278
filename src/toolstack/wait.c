/*
 * wait.c - wait until a backend process has taken channels: its verdict in
 * each backend directory, `hotplug-status` = "connected" (or `hotplug-error`),
 * as libxl waits for a hotplug script's verdict.
 *
 * Driven by xenstore watches on /libxl/D/device/console (channels appear)
 * and on each backend directory found, with poll() on the libxenstore fd for
 * the time left; nothing sleeps.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack-int.h"
#include "xenchannel/loop.h"

#define WAIT_TOKEN "xenchannel-wait"
#define WAIT_MAX 16

enum verdict { V_NONE, V_OK, V_ERROR };

/* The verdict on channel devid of domid; its backend directory into be. */
static enum verdict verdict(struct ts *ts, uint32_t domid, unsigned devid, char *be, size_t size,
                            char *why, size_t whylen)
{
	*be = '\0';
	char *b = ts_read(ts, XBT_NULL, "/libxl/%u/device/console/%u/backend", domid, devid);
	if (!b)
		return V_NONE;
	snprintf(be, size, "%s", b);
	free(b);
	char *e = ts_read(ts, XBT_NULL, "%s/hotplug-error", be);
	if (e) {
		snprintf(why, whylen, "%s", e);
		free(e);
		return V_ERROR;
	}
	char *s = ts_read(ts, XBT_NULL, "%s/hotplug-status", be);
	enum verdict v = s && !strcmp(s, "connected") ? V_OK : V_NONE;
	free(s);
	return v;
}

int ts_wait_served(struct ts *ts, uint32_t domid, const unsigned *devids, size_t n, int timeout_ms,
                   struct ts_error *err)
{
	if (n > WAIT_MAX) {
		ts_fail(err, EINVAL, "too many channels to wait for");
		return -1;
	}
	char lroot[TS_PATH_MAX], watched[WAIT_MAX][TS_PATH_MAX] = {{0}};
	snprintf(lroot, sizeof(lroot), "/libxl/%u/device/console", domid);
	if (!xs_watch(ts->xsh, lroot, WAIT_TOKEN)) {
		ts_fail(err, EIO, "cannot watch %s: %s", lroot, strerror(errno));
		return -1;
	}
	long long deadline = (long long)loop_now_ms() + timeout_ms;
	int rc = -1;
	for (;;) {
		size_t ready = 0;
		char pending[256] = "";
		for (size_t i = 0; i < n; i++) {
			char be[TS_PATH_MAX], why[256];
			enum verdict v =
			    verdict(ts, domid, devids[i], be, sizeof(be), why, sizeof(why));
			if (v == V_ERROR) {
				ts_fail(err, EIO, "channel %u of domain %u: its backend says: %s",
				        devids[i], domid, why);
				goto out;
			}
			if (*be && strcmp(be, watched[i])) {
				if (*watched[i])
					xs_unwatch(ts->xsh, watched[i], WAIT_TOKEN);
				snprintf(watched[i], sizeof(watched[i]), "%s", be);
				xs_watch(ts->xsh, be, WAIT_TOKEN);
			}
			if (v == V_OK)
				ready++;
			else
				snprintf(pending + strlen(pending),
				         sizeof(pending) - strlen(pending), "%s%u",
				         *pending ? ", " : "", devids[i]);
		}
		if (ready == n) {
			rc = 0;
			goto out;
		}
		long long left = deadline - (long long)loop_now_ms();
		if (left <= 0) {
			ts_fail(err, ETIMEDOUT,
			        "no backend took channel%s %s of domain %u within %d ms (is "
			        "xenchanneld running?)",
			        strchr(pending, ',') ? "s" : "", pending, domid, timeout_ms);
			goto out;
		}
		struct pollfd pfd = {.fd = xs_fileno(ts->xsh), .events = POLLIN};
		if (poll(&pfd, 1, left > 0x7fffffff ? 0x7fffffff : (int)left) < 0 &&
		    errno != EINTR) {
			ts_fail(err, EIO, "poll on the xenstore connection: %s", strerror(errno));
			goto out;
		}
		char **ev;
		while ((ev = xs_check_watch(ts->xsh)))
			free(ev);
	}
out:
	for (size_t i = 0; i < n; i++)
		if (*watched[i])
			xs_unwatch(ts->xsh, watched[i], WAIT_TOKEN);
	xs_unwatch(ts->xsh, lroot, WAIT_TOKEN);
	return rc;
}
