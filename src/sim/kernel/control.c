/*
 * control.c - frontend.sock: one request line per connection.
 *   fault DEVID KIND [ARG]  -> "ok" or "error MESSAGE"
 *   status                  -> one line per device, then EOF
 *   settle                  -> "ok" once xenstore changes and tty opens/closes made
 *                              before the request are acted on and every queued
 *                              uevent is handled
 */
#include "guest.h"

#include "xenchannel/linesrv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REQ_MAX 4095 /* the longest request, its newline included */
#define CLIENT_TIMEOUT_MS 5000u

static struct linesrv *srv;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void settled(void *arg)
{
	struct linesrv_conn *c = arg;
	linesrv_printf(c, "ok\n");
	linesrv_done(c);
}

static void handle(struct linesrv_conn *c, char *line, void *arg)
{
	struct guest *g = arg;
	char *save = NULL;
	char *cmd = strtok_r(line, " \t", &save);
	if (!cmd) {
		linesrv_printf(c, "error empty request\n");
	} else if (strcmp(cmd, "status") == 0) {
		for (struct fe_dev *d = g->devs; d; d = d->next) {
			uint32_t ip = 0, ic = 0, op = 0, oc = 0;
			if (d->page) {
				const volatile uint32_t *pg = d->page;
				ic = pg[RING_OFF_IN_CONS / 4];
				ip = pg[RING_OFF_IN_PROD / 4];
				oc = pg[RING_OFF_OUT_CONS / 4];
				op = pg[RING_OFF_OUT_PROD / 4];
			}
			char hvc[16] = "-";
			if (d->hvc >= 0)
				snprintf(hvc, sizeof(hvc), "hvc%d", d->hvc);
			linesrv_printf(
			    c,
			    "%s devid=%d state=%d backend-state=%d bound=%d hvc=%s tty=%s "
			    "ring-ref=%u port=%d opens=%d in_cons=%u in_prod=%u out_cons=%u "
			    "out_prod=%u bytes_out=%llu bytes_in=%llu stalled=%d corrupt=%d\n",
			    d->kname, d->devid, (int)d->state, (int)d->be_state, d->bound, hvc,
			    d->master >= 0 ? d->pts : "-", (unsigned)d->gref, d->port, d->opens, ic,
			    ip, oc, op, (unsigned long long)d->bytes_out,
			    (unsigned long long)d->bytes_in, d->stalled, d->corrupt);
		}
	} else if (strcmp(cmd, "settle") == 0) {
		xb_sync(g); /* everything xenstore said before this request is acted on */
		if (g->ino_fd >= 0)
			hvc_on_inotify(g); /* and every tty open/close that happened */
		if (hp_settle(g->hp, settled, c) < 0)
			linesrv_printf(c, "error out of memory\n");
		else
			return; /* the reply comes later */
	} else if (strcmp(cmd, "fault") == 0) {
		char *devid = strtok_r(NULL, " \t", &save);
		char *kind = strtok_r(NULL, " \t", &save);
		char *arg = save && *save ? save : NULL;
		struct fe_dev *d = devid ? xb_find(g, devid) : NULL;
		char err[256];
		if (!devid || !kind)
			linesrv_printf(c, "error usage: fault DEVID KIND [ARG]\n");
		else if (!d)
			linesrv_printf(c, "error no console device %.32s in domain %u\n", devid,
			               (unsigned)g->domid);
		else if (con_fault(d, kind, arg, err, sizeof(err)) < 0)
			linesrv_printf(c, "error %s\n", err);
		else
			linesrv_printf(c, "ok\n");
	} else {
		linesrv_printf(c, "error unknown request '%.32s' (fault, status, settle)\n", cmd);
	}
	linesrv_done(c);
}

int ctl_open(struct guest *g, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("control socket path %s is too long", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    !(srv = linesrv_new(g->loop, fd, REQ_MAX, CLIENT_TIMEOUT_MS, handle, g))) {
		log_err("control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

void ctl_close(void)
{
	if (srv) {
		linesrv_free(srv);
		unlink(sock_path);
		srv = NULL;
	}
}
