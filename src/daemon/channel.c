/*
 * channel.c - one channel: its xenstore view, its resources, its relay turns.
 *
 * chan_update() is level-triggered: whatever watch fired, it re-reads the
 * keys it needs and lets fsm.c decide, so lost or spurious events are harmless.
 * Only dom0-owned keys are trusted for configuration: name, connection and
 * path come from the backend directory, and the frontend `type` must be owned
 * by us. The guest's `ring-ref`, `port` and `state` are judged by fevalue.c.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include "xenchannel/loop.h"
#include "xenchannel/platform.h"
#include "xenchannel/xstore.h"

#define STORM_WINDOW_MS 100u
#define STORM_EVENTS 1024u /* events per window before we look closer */
#define STORM_BYTES_PER_EVENT 16u

/* Batching. Linux's hvc_xen notifies once per 16 bytes it reads and once per
 * 256 it writes. While a guest is busy reading a transfer (BATCH_BUSY bytes
 * waiting for it in `in`), its notifications wait: the port stays masked for
 * batch_len ms and the unmask delivers what came meanwhile as one event.
 * batch_len grows by 1 ms per batch while the guest reads less than half of
 * `in` per batch, and halves when it reads more (it may have waited for us),
 * never beyond half the time it needs for a ring at its rate over the last
 * window: a guest that fast, or idle, is served per event. A guest that
 * writes is never held back: hvc_xen spins, yielding, while `out` is full,
 * so every ms `out` waits for us is a ms of its CPU and throughput lost. */
#define BATCH_MAX_MS 16u
#define BATCH_BUSY 256u
#define ACCEPT_RETRY_MS 100u

/* ---- small helpers ---- */

static int xs_get_int(struct xcd *d, const char *path)
{
	char *v = xstore_read(d->xs, XBT_NULL, path);
	uint32_t n;
	int r = (v && xstore_parse_uint(v, 1000000u, &n) == 0) ? (int)n : -1;
	free(v);
	return r;
}

static void be_path(const struct xcd *d, uint32_t domid, uint32_t devid, const char *key, char *buf,
                    size_t len)
{
	snprintf(buf, len, "%s/%u/%u%s%s", d->be_root, domid, devid, key ? "/" : "",
	         key ? key : "");
}

static void fe_path(uint32_t domid, uint32_t devid, const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "/local/domain/%u/device/console/%u%s%s", domid, devid, key ? "/" : "",
	         key ? key : "");
}

#define CH_FMT "domain %u channel %u (%s)"
#define CH_ARGS(c) (c)->domid, (c)->devid, (c)->name ? (c)->name : "?"

/* ---- the table ---- */

static size_t hash(const struct xcd *d, uint32_t domid, uint32_t devid)
{
	uint64_t k = ((uint64_t)domid << 32 | devid) * 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 32) & (d->tab_size - 1);
}

struct chan *chan_find(struct xcd *d, uint32_t domid, uint32_t devid)
{
	for (struct chan *c = d->tab[hash(d, domid, devid)]; c; c = c->hnext)
		if (c->domid == domid && c->devid == devid)
			return c;
	return NULL;
}

void chan_foreach(struct xcd *d, void (*fn)(struct chan *c, void *arg), void *arg)
{
	for (size_t i = 0; i < d->tab_size; i++) {
		struct chan *c = d->tab[i];
		while (c) {
			struct chan *n = c->hnext; /* fn may free c */
			fn(c, arg);
			c = n;
		}
	}
}

static void unlink_chan(struct chan *c)
{
	struct xcd *d = c->d;
	struct chan **p = &d->tab[hash(d, c->domid, c->devid)];
	while (*p && *p != c)
		p = &(*p)->hnext;
	if (*p) {
		*p = c->hnext;
		d->nchan--;
	}
}

static int set_port(struct xcd *d, int port, struct chan *c)
{
	if (port < 0)
		return -1;
	if ((size_t)port >= d->by_port_size) {
		size_t n = d->by_port_size ? d->by_port_size : 256;
		while (n <= (size_t)port)
			n *= 2;
		struct chan **t = realloc(d->by_port, n * sizeof(*t));
		if (!t)
			return -1;
		memset(t + d->by_port_size, 0, (n - d->by_port_size) * sizeof(*t));
		d->by_port = t;
		d->by_port_size = n;
	}
	d->by_port[port] = c;
	return 0;
}

/* ---- I/O registration ---- */

static void run_cb(struct loop *l, void *arg);
static void listener_cb(struct loop *l, int fd, unsigned ev, void *arg);
static void fd_cb(struct loop *l, int fd, unsigned ev, void *arg);

static void set_fd_mask(struct chan *c, unsigned mask)
{
	struct loop *l = c->d->loop;
	if (c->fd < 0 || mask == c->fd_mask)
		return;
	/* An fd with an empty mask is removed rather than paused: epoll
	 * reports a hangup even on an empty mask, which would spin. */
	if (mask == 0)
		loop_unwatch(l, c->fd);
	else if (loop_watch(l, c->fd, mask, fd_cb, c) < 0)
		log_limited(&c->lim, 3, LOG_LVL_ERR, CH_FMT ": watching endpoint: %s", CH_ARGS(c),
		            strerror(errno));
	c->fd_mask = mask;
}

static void update_listener(struct chan *c)
{
	if (c->listen_fd < 0 || c->accept_timer)
		return;
	/* Listen only while connected and without a client: a second client
	 * waits in the backlog until the first one leaves. */
	if (c->st == CH_CONNECTED && c->fd < 0)
		loop_watch(c->d->loop, c->listen_fd, LOOP_READ, listener_cb, c);
	else
		loop_unwatch(c->d->loop, c->listen_fd);
}

static void drop_client(struct chan *c)
{
	if (c->fd < 0 || c->kind != EP_SOCKET)
		return;
	set_fd_mask(c, 0);
	close(c->fd);
	c->fd = -1;
	log_debug(CH_FMT ": client left", CH_ARGS(c));
	update_listener(c);
}

static void accept_retry_cb(struct loop *l, void *arg)
{
	struct chan *c = arg;
	c->accept_timer = 0;
	update_listener(c);
}

static void listener_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct chan *c = arg;
	if (c->fd >= 0)
		return;
	int cfd = eps_accept(fd);
	if (cfd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED)
			return;
		log_limited(&c->lim, 3, LOG_LVL_WARN, CH_FMT ": accept: %s; retrying in %u ms",
		            CH_ARGS(c), strerror(errno), ACCEPT_RETRY_MS);
		/* Out of descriptors or memory: the pending client stays in the
		 * backlog and the listener stays readable, so stop polling it
		 * for a while instead of spinning. */
		loop_unwatch(c->d->loop, fd);
		c->accept_timer = loop_timer(c->d->loop, ACCEPT_RETRY_MS, accept_retry_cb, c);
		return;
	}
	c->fd = cfd;
	c->fd_mask = 0;
	log_debug(CH_FMT ": client connected", CH_ARGS(c));
	update_listener(c);
	set_fd_mask(c, LOOP_READ);
	chan_schedule(c); /* guest bytes may be waiting in the ring */
}

static void chan_run(struct chan *c);

static void notify_guest(struct chan *c)
{
	c->notifies++;
	if (plat_evtchn_notify(c->d->evt, (uint32_t)c->local_port) < 0) {
		c->errors++;
		log_limited(&c->lim, 3, LOG_LVL_ERR, CH_FMT ": notifying the guest (port %d): %s",
		            CH_ARGS(c), c->local_port, strerror(errno));
	}
}

/* Run a turn now unless one is queued already (then that one does it). */
static void chan_kick(struct chan *c)
{
	if (!c->scheduled && c->st == CH_CONNECTED)
		chan_run(c);
}

static void fd_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	chan_kick(arg);
}

/* ---- relay turns ---- */

void chan_schedule(struct chan *c)
{
	if (c->scheduled || c->st != CH_CONNECTED)
		return;
	if (loop_soon(c->d->loop, run_cb, c) == 0)
		c->scheduled = 1;
}

static void chan_run(struct chan *c)
{
	struct relay_result res;
	relay_pass(&c->ring, c->fd, RELAY_BUDGET, &res);
	c->bytes_to_guest += res.to_guest;
	c->bytes_from_guest += res.from_guest;
	c->win_bytes += res.to_guest + res.from_guest;
	c->win_to += res.to_guest;
	if (res.corrupt) {
		chan_fail(c, "ring indices out of range (corrupt or hostile frontend)");
		return;
	}
	c->pass_from_guest = res.from_guest;
	c->pass_to_guest = res.to_guest;
	if ((res.to_guest || res.from_guest) && c->local_port >= 0)
		notify_guest(c);
	if (res.client_gone) {
		if (c->kind == EP_SOCKET) {
			drop_client(c);
		} else {
			log_limited(&c->lim, 3, LOG_LVL_WARN, CH_FMT ": pty: %s", CH_ARGS(c),
			            res.err ? strerror(res.err) : "end of file");
			c->errors++;
			set_fd_mask(c, 0);
		}
		return;
	}
	if (c->fd >= 0)
		set_fd_mask(c,
		            (res.want_read ? LOOP_READ : 0u) | (res.want_write ? LOOP_WRITE : 0u));
	if (res.more)
		chan_schedule(c);
}

static void free_mem(struct chan *c)
{
	free(c->name);
	free(c->path);
	free(c);
}

static void run_cb(struct loop *l, void *arg)
{
	struct chan *c = arg;
	c->scheduled = 0;
	if (c->dead) {
		free_mem(c);
		return;
	}
	if (c->st == CH_CONNECTED)
		chan_run(c);
}

static void unthrottle_cb(struct loop *l, void *arg)
{
	struct chan *c = arg;
	c->throttle_timer = 0;
	c->throttled = 0;
	c->win_start_ms = loop_now_ms();
	c->win_events = 0;
	c->win_bytes = 0;
	c->win_to = 0;
	if (c->local_port >= 0) {
		plat_evtchn_unmask(c->d->evt, (uint32_t)c->local_port);
		chan_schedule(c);
	}
}

static void batch_cb(struct loop *l, void *arg)
{
	struct chan *c = arg;
	c->batch_timer = 0;
	/* a notification that came meanwhile is delivered on the unmask */
	if (c->local_port >= 0)
		plat_evtchn_unmask(c->d->evt, (uint32_t)c->local_port);
}

/* How long a guest moving rate bytes per ms takes for half a ring of size. */
static uint64_t batch_ms(uint64_t size, uint64_t rate)
{
	uint64_t ms = rate ? size / 2 / rate : BATCH_MAX_MS;
	return ms < BATCH_MAX_MS ? ms : BATCH_MAX_MS;
}

/* Keep the port masked for a batch? (see BATCH_MAX_MS) */
static int batch(struct chan *c)
{
	long room = ring_writable(&c->ring);
	if (c->pass_from_guest >= BATCH_BUSY || room < 0 ||
	    RING_IN_SIZE - (size_t)room < BATCH_BUSY) {
		c->batch_len = 0; /* a writer, or nothing for the guest to read */
		return 0;
	}
	uint64_t cap = batch_ms(RING_IN_SIZE, c->rate_to);
	c->batch_len = c->pass_to_guest >= RING_IN_SIZE / 2 ? c->batch_len / 2 : c->batch_len + 1;
	if (c->batch_len > cap)
		c->batch_len = cap;
	if (c->batch_len == 0)
		return 0;
	c->batch_timer = loop_timer(c->d->loop, c->batch_len, batch_cb, c);
	return c->batch_timer != 0;
}

int chan_event(struct chan *c)
{
	uint64_t now = loop_now_ms();
	c->events++;
	if (now - c->win_start_ms >= STORM_WINDOW_MS) {
		/* a window that ended long ago (an idle channel) measures nothing */
		uint64_t span = now - c->win_start_ms;
		int seen = span <= 2 * STORM_WINDOW_MS;
		c->rate_to = seen ? c->win_to / span : UINT64_MAX;
		c->win_to = 0;
		c->win_start_ms = now;
		c->win_events = 0;
		c->win_bytes = 0;
	}
	c->win_events++;
	chan_kick(c);
	if (c->st != CH_CONNECTED)
		return 0; /* the turn failed the channel: its port is gone */
	if (c->win_events > STORM_EVENTS &&
	    c->win_bytes < (uint64_t)c->win_events * STORM_BYTES_PER_EVENT) {
		/* A storm: keep the port masked until the window ends. */
		c->storms++;
		c->throttled = 1;
		log_limited(&c->lim, 3, LOG_LVL_WARN,
		            CH_FMT ": event storm (%u events, %" PRIu64
		                   " bytes in %u ms), throttling",
		            CH_ARGS(c), c->win_events, c->win_bytes, STORM_WINDOW_MS);
		uint64_t left = STORM_WINDOW_MS - (now - c->win_start_ms);
		c->throttle_timer = loop_timer(c->d->loop, left ? left : 1, unthrottle_cb, c);
		if (c->throttle_timer)
			return 0;
		c->throttled = 0;
	}
	return !batch(c);
}

/* ---- resources ---- */

/* Write dir/key only while the device is there (see xstore_write_if).
 * Returns 0, or -1 when the device is gone or the write failed. */
static int write_if_present(struct xcd *d, const char *dir, const char *key, const char *val)
{
	char sp[256], kp[256];
	snprintf(sp, sizeof(sp), "%s/state", dir);
	snprintf(kp, sizeof(kp), "%s/%s", dir, key);
	int r = xstore_write_if(d->xs, sp, kp, val, 16);
	if (r < 0)
		log_err("writing %s: %s", kp, strerror(errno));
	return r == 0 ? 0 : -1;
}

/* Our verdict on the channel, as libxl's hotplug scripts publish theirs
 * (TS_HOTPLUG_*): the reason first, then the status, so whoever sees
 * `error` finds the reason already there. why == NULL: accepted. */
static void publish_verdict(struct chan *c, const char *why)
{
	char dir[256];
	be_path(c->d, c->domid, c->devid, NULL, dir, sizeof(dir));
	if (why)
		write_if_present(c->d, dir, TS_HOTPLUG_ERROR, why);
	write_if_present(c->d, dir, TS_HOTPLUG_STATUS, why ? "error" : "connected");
}

struct state_write {
	const char *path;
	int state;
};

static int state_write_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	const struct state_write *w = arg;
	char *cur = xstore_read(xs, t, w->path);
	if (!cur)
		return errno == ENOENT ? 2 : -1; /* the device is gone: nothing to write */
	uint32_t st;
	int closing = xstore_parse_uint(cur, 8, &st) == 0 && (st == XB_CLOSING || st == XB_CLOSED);
	free(cur);
	if (closing && (w->state == XB_INITWAIT || w->state == XB_CONNECTED))
		return 1;
	char v[4];
	snprintf(v, sizeof(v), "%d", w->state);
	return xs_write(xs, t, w->path, v, (unsigned)strlen(v)) ? 0 : -1;
}

int chan_write_state(struct chan *c, int state)
{
	char p[256];
	be_path(c->d, c->domid, c->devid, "state", p, sizeof(p));
	struct state_write w = {p, state};
	int r = xstore_transact(c->d->xs, 16, state_write_body, &w);
	if (r < 0)
		log_err("writing %s: %s", p, strerror(errno));
	return r == 1;
}

int chan_open_endpoint(struct chan *c)
{
	char err[512];
	struct xcd *d = c->d;
	if (c->kind == EP_SOCKET) {
		if (c->listen_fd >= 0)
			return 0;
		int fd = eps_listen(c->path, d->opt.socket_mode, 1, &c->sock_dev, &c->sock_ino, err,
		                    sizeof(err));
		if (fd < 0) {
			log_err(CH_FMT ": %s", CH_ARGS(c), err);
			publish_verdict(c, err);
			return -1;
		}
		c->listen_fd = fd;
		return 0;
	}
	if (c->fd >= 0)
		return 0;
	char name[128];
	if (ept_open(&c->fd, &c->pty_slave, name, sizeof(name), err, sizeof(err)) < 0) {
		log_err(CH_FMT ": %s", CH_ARGS(c), err);
		publish_verdict(c, err);
		return -1;
	}
	c->fd_mask = 0;
	if (ptyc_watch(c, name) < 0)
		log_warn(CH_FMT ": cannot follow who opens %s (%s): its client state is unknown",
		         CH_ARGS(c), name, strerror(errno));
	free(c->path);
	c->path = strdup(name);
	/* xl reads the backend's copy; QEMU writes the frontend's; do both. */
	char p[256];
	be_path(d, c->domid, c->devid, NULL, p, sizeof(p));
	write_if_present(d, p, "tty", name);
	fe_path(c->domid, c->devid, NULL, p, sizeof(p));
	write_if_present(d, p, "tty", name);
	return 0;
}

static void close_endpoint(struct chan *c)
{
	if (c->fd >= 0) {
		set_fd_mask(c, 0);
		close(c->fd);
		c->fd = -1;
	}
	if (c->pty_slave >= 0) {
		ptyc_unwatch(c);
		close(c->pty_slave);
		c->pty_slave = -1;
	}
	if (c->accept_timer) {
		loop_timer_cancel(c->d->loop, c->accept_timer);
		c->accept_timer = 0;
	}
	if (c->listen_fd >= 0) {
		loop_unwatch(c->d->loop, c->listen_fd);
		close(c->listen_fd);
		c->listen_fd = -1;
		eps_unlink(c->path, c->sock_dev, c->sock_ino);
	}
}

static void release_ring(struct chan *c)
{
	struct xcd *d = c->d;
	if (c->throttle_timer) {
		loop_timer_cancel(d->loop, c->throttle_timer);
		c->throttle_timer = 0;
		c->throttled = 0;
	}
	if (c->batch_timer) {
		loop_timer_cancel(d->loop, c->batch_timer);
		c->batch_timer = 0;
	}
	if (c->local_port >= 0) {
		if ((size_t)c->local_port < d->by_port_size)
			d->by_port[c->local_port] = NULL;
		plat_evtchn_unbind(d->evt, (uint32_t)c->local_port);
		c->local_port = -1;
	}
	if (c->page) {
		plat_gnttab_unmap(d->gnt, c->page);
		c->page = NULL;
	}
}

void chan_release(struct chan *c)
{
	release_ring(c);
	close_endpoint(c);
}

/* Read frontend key k: 1 with *out set, 0 when it is missing, -1 when the
 * guest wrote something we refuse (logged; the caller treats it as missing). */
static int fe_get(struct chan *c, enum fev_key k, uint32_t *out)
{
	char p[256];
	unsigned len;
	const char *why;
	fe_path(c->domid, c->devid, fev_key_name(k), p, sizeof(p));
	char *v = xs_read(c->d->xs, XBT_NULL, p, &len);
	if (!v)
		return 0;
	int r = fev_parse(k, v, len, out, &why);
	free(v);
	if (r == 0)
		return 1;
	/* the value itself stays out of the log: it is the guest's text */
	log_limited(&c->lim, 3, LOG_LVL_WARN, CH_FMT ": %s (%u bytes) %s; taken as missing",
	            CH_ARGS(c), p, len, why);
	return -1;
}

/* Read and validate the guest's ring-ref and port. */
static int read_ring_keys(struct chan *c)
{
	uint32_t g, pt;
	int rg = fe_get(c, FEV_RING_REF, &g), rp = fe_get(c, FEV_PORT, &pt);
	if (rg == 1 && rp == 1) {
		c->gref = g;
		c->remote_port = pt;
		return 1;
	}
	if (rg == 0 || rp == 0)
		log_limited(&c->lim, 3, LOG_LVL_WARN,
		            CH_FMT ": frontend is ready but has no %s key yet", CH_ARGS(c),
		            rg == 0 ? "ring-ref" : "port");
	return 0;
}

/*
 * Map the frontend's ring and bind its event channel. With adopt, the channel
 * is one a previous instance left Connected: the guest never learns that its
 * backend restarted. Its frontend stays Connected, its grant and its event
 * channel port stay valid (the dead process's binding was closed with it, so
 * the port is unbound again and can be bound anew). We map the same grant,
 * bind the same remote port, reopen the endpoint (the socket file left behind
 * is stale and gets replaced), write nothing to xenstore, then run the relay
 * and notify the guest: whatever it wrote while we were away is still in the
 * ring, since only bytes a client accepted were ever consumed.
 */
int chan_connect(struct chan *c, int adopt)
{
	struct xcd *d = c->d;
	release_ring(c);
	c->page = plat_gnttab_map(d->gnt, c->domid, c->gref);
	if (!c->page) {
		log_err(CH_FMT ": mapping grant %u of the frontend: %s", CH_ARGS(c), c->gref,
		        strerror(errno));
		return -1;
	}
	ring_init(&c->ring, c->page, RING_BACKEND);
	if (ring_readable(&c->ring) < 0 || ring_writable(&c->ring) < 0) {
		log_err(CH_FMT ": ring indices out of range at connect", CH_ARGS(c));
		release_ring(c);
		return -1;
	}
	int lp = plat_evtchn_bind_interdomain(d->evt, c->domid, c->remote_port);
	if (lp < 0) {
		log_err(CH_FMT ": binding event channel %u of the frontend: %s", CH_ARGS(c),
		        c->remote_port, strerror(errno));
		release_ring(c);
		return -1;
	}
	if (set_port(d, lp, c) < 0) {
		plat_evtchn_unbind(d->evt, (uint32_t)lp);
		release_ring(c);
		return -1;
	}
	c->local_port = lp;
	if (adopt)
		d->adopted++;
	log_info(CH_FMT ": %s, ring-ref %u, port %u, %s %s", CH_ARGS(c),
	         adopt ? "adopted" : "connected", c->gref, c->remote_port,
	         c->kind == EP_SOCKET ? "socket" : "pty", c->path);
	return 0;
}

/* After the state changed: (re)arm the endpoint and kick the relay. */
static void activate(struct chan *c, int adopt)
{
	update_listener(c);
	if (c->kind == EP_PTY && c->fd >= 0)
		set_fd_mask(c, LOOP_READ);
	chan_schedule(c);
	/* The guest may be waiting for space or data since before we came. */
	if (adopt && c->local_port >= 0)
		notify_guest(c);
}

void chan_fail(struct chan *c, const char *why)
{
	c->errors++;
	log_err(CH_FMT ": %s; closing the channel", CH_ARGS(c), why);
	chan_release(c);
	c->st = CH_ERROR;
	chan_write_state(c, XB_CLOSING);
}

void chan_free(struct chan *c, int write_xenstore)
{
	chan_release(c);
	if (c->watching_fe)
		watch_frontend(c, 0);
	if (write_xenstore && c->st != CH_CLOSED)
		chan_write_state(c, XB_CLOSED);
	unlink_chan(c);
	if (c->scheduled)
		c->dead = 1; /* run_cb frees it */
	else
		free_mem(c);
}

/* ---- discovery and the state machine ---- */

static int frontend_is_ours(struct xcd *d, uint32_t domid, uint32_t devid)
{
	char p[256];
	fe_path(domid, devid, "type", p, sizeof(p));
	char *type = xstore_read(d->xs, XBT_NULL, p);
	int ours = type && strcmp(type, "xenchanneld") == 0;
	free(type);
	if (!ours)
		return 0;
	/* A guest-written `type` would be owned by the guest: ignore it. */
	unsigned n = 0;
	struct xs_permissions *perms = xs_get_permissions(d->xs, XBT_NULL, p, &n);
	int owned = perms && n >= 1 && perms[0].id == d->self;
	free(perms);
	if (!owned)
		log_warn("domain %u channel %u: frontend type key is not owned by domain %u; "
		         "ignoring the device",
		         domid, devid, d->self);
	return owned;
}

static struct chan *chan_create(struct xcd *d, uint32_t domid, uint32_t devid)
{
	char p[256];
	be_path(d, domid, devid, "name", p, sizeof(p));
	char *name = xstore_read(d->xs, XBT_NULL, p);
	be_path(d, domid, devid, "connection", p, sizeof(p));
	char *conn = xstore_read(d->xs, XBT_NULL, p);
	be_path(d, domid, devid, "path", p, sizeof(p));
	char *path = xstore_read(d->xs, XBT_NULL, p);

	struct chan *c = calloc(1, sizeof(*c));
	if (!c) {
		free(name);
		free(conn);
		free(path);
		return NULL;
	}
	c->d = d;
	c->domid = domid;
	c->devid = devid;
	c->st = CH_NEW;
	c->listen_fd = c->fd = c->pty_slave = c->pty_wd = c->local_port = -1;
	c->rate_to = UINT64_MAX; /* unknown: per event until measured */
	c->name = name;
	c->path = path;
	size_t h = hash(d, domid, devid);
	c->hnext = d->tab[h];
	d->tab[h] = c;
	d->nchan++;

	const char *bad = NULL;
	if (!conn)
		bad = "backend key 'connection' is missing";
	else if (strcmp(conn, "socket") == 0) {
		c->kind = EP_SOCKET;
		if (!path || !*path)
			bad = "connection=socket but backend key 'path' is missing";
	} else if (strcmp(conn, "pty") == 0) {
		c->kind = EP_PTY;
	} else {
		bad = "backend key 'connection' is neither 'socket' nor 'pty'";
	}
	if (!bad && (!name || !*name))
		bad = "backend key 'name' is missing";
	free(conn);
	if (bad) {
		c->errors++;
		be_path(d, domid, devid, NULL, p, sizeof(p));
		log_err("domain %u channel %u: %s (in %s); closing the channel", domid, devid, bad,
		        p);
		char why[512];
		snprintf(why, sizeof(why), "%s (in %s)", bad, p);
		publish_verdict(c, why);
		c->st = CH_ERROR;
		chan_write_state(c, XB_CLOSING);
	}
	/* Watch before chan_update reads the frontend, so no change is missed;
	 * the watch's immediate first event then carries nothing new. */
	if (watch_frontend(c, 1) == 0) {
		c->watching_fe = 1;
		c->skip_fe_initial = 1;
	}
	return c;
}

/* Has the frontend been seen Closed (or gone) since we last served it? */
static void track_fe_closed(struct chan *c, struct fsm_input *in)
{
	if (c->st == CH_INITWAIT || c->st == CH_CONNECTED)
		c->fe_was_closed = 0;
	else if (in->fe_state == XB_CLOSED || in->fe_state == XB_UNKNOWN)
		c->fe_was_closed = 1;
	in->fe_was_closed = c->fe_was_closed;
}

static void read_input(struct chan *c, struct fsm_input *in)
{
	char p[256];
	struct xcd *d = c->d;
	be_path(d, c->domid, c->devid, "state", p, sizeof(p));
	in->be_state = xs_get_int(d, p);
	/* `online` only matters when (re)starting the handshake */
	in->online = -1;
	if (in->be_state == XB_INITIALISING || c->st == CH_CLOSED) {
		be_path(d, c->domid, c->devid, "online", p, sizeof(p));
		in->online = xs_get_int(d, p);
	}
	uint32_t fs;
	in->fe_state = fe_get(c, FEV_STATE, &fs) == 1 ? (int)fs : XB_UNKNOWN;
	in->ring_keys = 0;
	if (in->fe_state == XB_INITIALISED || in->fe_state == XB_CONNECTED)
		in->ring_keys = read_ring_keys(c);
}

void chan_update(struct xcd *d, uint32_t domid, uint32_t devid)
{
	struct chan *c = chan_find(d, domid, devid);
	if (!c) {
		/* (a device whose backend dir is already gone is caught by the
		 * first read_input below and freed again) */
		if (!frontend_is_ours(d, domid, devid))
			return;
		c = chan_create(d, domid, devid);
		if (!c)
			return;
	}

	/* Read once, then step on that view plus our own writes: anything
	 * else that changes meanwhile fires a watch and brings us back. */
	struct fsm_input in;
	read_input(c, &in);
	if (c->st != CH_NEW && in.be_state == XB_INITIALISING) {
		/* Only a toolstack writes Initialising: it removed the device and
		 * wrote it anew (detach + attach of this devid, faster than our
		 * watch). The new one may differ in everything: start from its
		 * own keys. */
		log_info(CH_FMT ": device written anew; starting over", CH_ARGS(c));
		chan_free(c, 0);
		if (!frontend_is_ours(d, domid, devid) || !(c = chan_create(d, domid, devid)))
			return;
		read_input(c, &in);
	}
	for (int i = 0; i < 8; i++) {
		track_fe_closed(c, &in);
		struct fsm_step s = fsm_next(c->st, &in);
		if (in.be_state < 0) {
			log_info(CH_FMT ": device removed", CH_ARGS(c));
			chan_free(c, 0);
			return;
		}
		if (s.next == c->st && s.actions == FA_NONE && s.write_be < 0)
			return;
		enum ch_state from = c->st;
		if (s.actions & FA_RELEASE)
			chan_release(c);
		if ((s.actions & FA_OPEN) && chan_open_endpoint(c) < 0) {
			c->errors++;
			s = fsm_connect_failed();
			chan_release(c);
		} else if ((s.actions & (FA_CONNECT | FA_ADOPT)) &&
		           chan_connect(c, (s.actions & FA_ADOPT) != 0) < 0) {
			c->errors++;
			s = fsm_connect_failed();
			chan_release(c);
		}
		c->st = s.next;
		int overtaken = s.write_be >= 0 && chan_write_state(c, s.write_be);
		if (overtaken)
			read_input(c, &in); /* the toolstack's Closing came first: act on it */
		else if (s.write_be >= 0)
			in.be_state = s.write_be;
		if (s.write_be == XB_INITWAIT && !overtaken)
			publish_verdict(c, NULL);
		if (c->st == CH_CONNECTED && from != CH_CONNECTED)
			activate(c, (s.actions & FA_ADOPT) != 0);
		if (from != c->st)
			log_debug(CH_FMT ": %s -> %s", CH_ARGS(c), fsm_state_name(from),
			          fsm_state_name(c->st));
	}
}
