/* xenbus.c - the xenbus frontend bus of one guest: device discovery and states. */
#include "guest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE_TOKEN "xensim-guest:device"
#define BE_TOKEN_PREFIX "xensim-guest:otherend:"
#define XEN_BUS_ID_SIZE 20 /* Linux: device names "console-<node>" must fit */

static void rescan(struct guest *g);

struct fe_dev *xb_find(struct guest *g, const char *node)
{
	for (struct fe_dev *d = g->devs; d; d = d->next)
		if (strcmp(d->node, node) == 0)
			return d;
	return NULL;
}

static enum xb_state parse_state(const char *v)
{
	if (!v || !*v)
		return XB_UNKNOWN;
	char *end;
	long s = strtol(v, &end, 10);
	if (*end || s < 0 || s > 8)
		return XB_UNKNOWN;
	return (enum xb_state)s;
}

int xb_switch_state(struct fe_dev *d, enum xb_state s)
{
	struct guest *g = d->g;
	if (d->state == s)
		return 0;
	char path[64], val[8];
	snprintf(path, sizeof(path), "%s/state", d->fe_path);
	snprintf(val, sizeof(val), "%d", (int)s);
	/* Never resurrect a deleted directory: the state node must exist. */
	int r = xstore_write_if(g->xs, path, path, val, 0);
	if (r != 0) {
		if (r < 0)
			log_warn("%s: switching to %s: %s", d->kname, xb_state_name(s),
			         strerror(errno));
		return -1;
	}
	d->state = s;
	hp_sysfs_state(d);
	return 0;
}

void xb_dev_fatal(struct fe_dev *d, int err, const char *what)
{
	char path[96], msg[160];
	snprintf(path, sizeof(path), "error/%s/error", d->fe_path);
	snprintf(msg, sizeof(msg), "%d %s", err, what);
	log_err("%s: %s (errno %d)", d->kname, what, err);
	xs_write(d->g->xs, XBT_NULL, path, msg, (unsigned)strlen(msg));
	xb_switch_state(d, XB_CLOSING);
}

static void otherend_changed(struct fe_dev *d)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/state", d->be_path);
	char *v = xstore_read(d->g->xs, XBT_NULL, path);
	enum xb_state s = parse_state(v);
	free(v);
	d->be_state = s;
	if (d->bound)
		con_backend_changed(d, s);
}

/* xenbus_probe_node + xenbus_dev_probe for one device/console/<node>. */
static void register_node(struct guest *g, const char *node)
{
	if (strcmp(node, "0") == 0)
		return; /* Linux ignores console/0: the primary console has no xenbus device */
	char state_path[64];
	int n = snprintf(state_path, sizeof(state_path), "device/console/%s/state", node);
	if (n < 0 || (size_t)n >= sizeof(state_path))
		return;
	char *st = xstore_read(g->xs, XBT_NULL, state_path);
	int initialising = st && strcmp(st, "1") == 0;
	free(st);
	if (!initialising)
		return; /* only devices in state 1 are probed; others are ignored silently */
	if (strlen("console-") + strlen(node) >= XEN_BUS_ID_SIZE) {
		log_warn("device/console/%s: device name too long for the xen bus; ignored", node);
		return;
	}
	for (const char *p = node; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_')) {
			log_warn("device/console/%.16s: node name is not a device name; ignored",
			         node);
			return;
		}
	}

	struct fe_dev *d = calloc(1, sizeof(*d));
	if (!d) {
		log_err("device/console/%s: out of memory", node);
		return;
	}
	d->g = g;
	snprintf(d->node, sizeof(d->node), "%s", node);
	snprintf(d->kname, sizeof(d->kname), "console-%s", node);
	snprintf(d->fe_path, sizeof(d->fe_path), "device/console/%s", node);
	d->state = XB_INITIALISING;
	d->port = -1;
	d->hvc = -1;
	d->master = d->keep = d->ino_wd = -1;
	d->next = g->devs;
	g->devs = d;
	hp_device_add(d);

	/* talk_to_otherend: backend-id and backend must be there. */
	char p[80];
	snprintf(p, sizeof(p), "%s/backend-id", d->fe_path);
	char *bid = xstore_read(g->xs, XBT_NULL, p);
	snprintf(p, sizeof(p), "%s/backend", d->fe_path);
	char *be = xstore_read(g->xs, XBT_NULL, p);
	char *end = NULL;
	unsigned long domid = bid ? strtoul(bid, &end, 10) : 0;
	int ok =
	    bid && be && *bid && !*end && domid < 0x7ff0 && *be && strlen(be) < sizeof(d->be_path);
	if (ok) {
		snprintf(d->be_path, sizeof(d->be_path), "%s", be);
		d->be_domid = (uint32_t)domid;
		char *probe = xstore_read(g->xs, XBT_NULL, d->be_path);
		if (!probe) {
			/* the backend dir may be unreadable yet exist: ask for its listing too */
			unsigned int num;
			char **l = xs_directory(g->xs, XBT_NULL, d->be_path, &num);
			ok = l != NULL;
			free(l);
		}
		free(probe);
	}
	free(bid);
	free(be);
	if (!ok) {
		xb_dev_fatal(d, ENOENT, "reading other end details");
		log_warn("%s: xenbus probe failed: missing or unreadable backend/backend-id",
		         d->kname);
		return;
	}
	int rc = con_probe(d);
	if (rc < 0) {
		log_warn("%s: xenconsole probe failed: %s", d->kname, strerror(-rc));
		return;
	}
	d->bound = 1;
	hp_device_bind(d);
	/* watch_otherend; its first firing reports the current backend state */
	snprintf(d->token, sizeof(d->token), BE_TOKEN_PREFIX "%s", d->node);
	char wpath[300];
	snprintf(wpath, sizeof(wpath), "%s/state", d->be_path);
	if (!xs_watch(g->xs, wpath, d->token))
		log_warn("%s: watching %s: %s", d->kname, wpath, strerror(errno));
	else
		d->watching = 1;
}

static void unregister(struct guest *g, struct fe_dev *d)
{
	for (struct fe_dev **pp = &g->devs; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	if (d->watching) {
		char wpath[300];
		snprintf(wpath, sizeof(wpath), "%s/state", d->be_path);
		xs_unwatch(g->xs, wpath, d->token);
	}
	if (d->bound)
		con_remove(d);
	/* xenbus_dev_remove: Closed, unless the directory is gone (no resurrection) */
	xb_switch_state(d, XB_CLOSED);
	hp_device_remove(d); /* takes ownership of d */
}

void xb_sync(struct guest *g)
{
	xb_on_xs_readable(g);
	rescan(g);
}

static void rescan(struct guest *g)
{
	unsigned int num = 0;
	char **names = xs_directory(g->xs, XBT_NULL, "device/console", &num);
	/* Gone devices first: their hvc lines and links go before new ones come. */
	for (struct fe_dev *d = g->devs, *next; d; d = next) {
		next = d->next;
		int present = 0;
		for (unsigned i = 0; names && i < num && !present; i++)
			present = strcmp(names[i], d->node) == 0;
		if (present) {
			/* the directory may exist while its state is gone: still present */
			continue;
		}
		unregister(g, d);
	}
	for (unsigned i = 0; names && i < num; i++)
		if (!xb_find(g, names[i]))
			register_node(g, names[i]);
	free(names);
}

void xb_on_xs_readable(struct guest *g)
{
	char **w;
	int need_rescan = 0;
	while ((w = xs_check_watch(g->xs))) {
		const char *path = w[XS_WATCH_PATH], *token = w[XS_WATCH_TOKEN];
		if (strcmp(token, DEVICE_TOKEN) == 0) {
			(void)path;
			need_rescan = 1;
		} else if (strncmp(token, BE_TOKEN_PREFIX, strlen(BE_TOKEN_PREFIX)) == 0) {
			if (need_rescan) {
				rescan(g);
				need_rescan = 0;
			}
			struct fe_dev *d = xb_find(g, token + strlen(BE_TOKEN_PREFIX));
			if (d && d->watching)
				otherend_changed(d);
		}
		free(w);
	}
	int lost = errno != EAGAIN;
	if (need_rescan)
		rescan(g);
	if (lost) {
		/* The domain's xenstored went away (domain destroyed): nothing more
		 * to serve, and a dead handle would keep its fd readable forever. */
		log_err("xenstore connection lost: %s; stopping", strerror(errno));
		loop_stop(g->loop);
	}
}

int xb_start(struct guest *g)
{
	if (!xs_watch(g->xs, "device", DEVICE_TOKEN)) {
		log_err("watching device/ in xenstore: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void xb_shutdown(struct guest *g)
{
	while (g->devs) {
		struct fe_dev *d = g->devs;
		g->devs = d->next;
		if (d->bound)
			con_remove(d);
		free(d);
	}
}
