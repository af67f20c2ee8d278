/* console.c - the hvc_xen frontend driver: probe, state changes, ring <-> tty, faults. */
#include "guest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define STORM_DEFAULT 10000u
#define STORM_MAX 1000000u
#define GARBAGE_MAX 2048u

static volatile uint32_t *idx(struct fe_dev *d, unsigned off)
{
	return (volatile uint32_t *)((unsigned char *)d->page + off);
}

static void notify(struct fe_dev *d)
{
	if (d->port >= 0 && plat_evtchn_notify(d->g->ev, (uint32_t)d->port) < 0)
		log_limited(&d->lim, 5, LOG_LVL_WARN, "%s: notify port %d: %s", d->kname, d->port,
		            strerror(errno));
}

/*
 * Which ring a tty really uses. hvc_xen finds a console's ring by vterm
 * number (vtermno_to_xencons: the first entry of its list with that number),
 * and the number comes from the devid Linux parsed from the node name's last
 * character: console-11's tty reads and writes console-1's ring while
 * console-1 exists. Modelled, not fixed.
 */
static struct fe_dev *ring_owner(struct fe_dev *d)
{
	struct fe_dev *best = d;
	for (struct fe_dev *o = d->g->devs; o; o = o->next)
		if (o != d && o->page && o->probe_seq && o->devid == d->devid &&
		    (!best->probe_seq || o->probe_seq < best->probe_seq))
			best = o;
	return best;
}

/* xencons_disconnect_backend: hvc line, event channel, grant. */
static void disconnect(struct fe_dev *d)
{
	hvc_remove(d);
	if (d->port >= 0) {
		plat_evtchn_unbind(d->g->ev, (uint32_t)d->port);
		d->port = -1;
	}
	if (d->page) {
		plat_gntshr_unshare(d->g->shr, d->page);
		d->page = NULL;
	}
	d->probe_seq = 0;
}

/* ring-ref and port, together (kv: path, value, path, value). */
static int write_ring_keys(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	const char *const *kv = arg;
	for (int i = 0; i < 4; i += 2)
		if (!xs_write(xs, t, kv[i], kv[i + 1], (unsigned)strlen(kv[i + 1])))
			return -1;
	return 0;
}

int con_probe(struct fe_dev *d)
{
	struct guest *g = d->g;
	/* Linux parses the devid from the last character of the node name. */
	d->devid = d->node[strlen(d->node) - 1] - '0';
	if (d->devid == 0)
		return -ENODEV;
	if (d->devid < 0 || d->devid > 9)
		return -EINVAL; /* a non-digit: Linux would compute garbage; refuse instead */
	if (strcmp(d->node, "1") != 0 && d->node[1])
		log_warn("%s: Linux reads devid %d from the last character of '%s' (devids "
		         ">= 10 are broken in guests)",
		         d->kname, d->devid, d->node);

	/* xenbus_alloc_evtchn: an unbound port the backend domain may bind. */
	int port = plat_evtchn_alloc_unbound(g->ev, d->be_domid);
	if (port < 0) {
		int e = errno;
		xb_dev_fatal(d, e, "allocating event channel");
		return -e;
	}
	d->port = port;
	/* hvc_alloc: the tty line exists from here on. */
	if (hvc_create(d) < 0) {
		int e = errno ? errno : ENOMEM;
		disconnect(d);
		return -e;
	}
	/* The zeroed page, granted read/write to the backend domain. */
	uint32_t gref;
	void *page = plat_gntshr_share(g->shr, d->be_domid, 1, &gref);
	if (!page) {
		int e = errno;
		xb_dev_fatal(d, e, "granting the ring page");
		disconnect(d);
		return -e;
	}
	memset(page, 0, RING_PAGE_SIZE);
	d->page = page;
	d->gref = gref;
	ring_init(&d->ring, page, RING_FRONTEND);

	char rr[16], pt[16], prr[80], ppt[80];
	snprintf(rr, sizeof(rr), "%d", (int)gref);
	snprintf(pt, sizeof(pt), "%u", (unsigned)port);
	snprintf(prr, sizeof(prr), "%s/ring-ref", d->fe_path);
	snprintf(ppt, sizeof(ppt), "%s/port", d->fe_path);
	const char *kv[] = {prr, rr, ppt, pt};
	int r = xstore_transact(g->xs, 0, write_ring_keys, kv);
	if (r < 0) {
		/* name the step that failed */
		int e = errno;
		xb_dev_fatal(d, e,
		             r == XSTORE_TX_NOSTART  ? "starting transaction"
		             : r == XSTORE_TX_FAILED ? "writing xenstore"
		                                     : "completing transaction");
		disconnect(d);
		return -e;
	}
	xb_switch_state(d, XB_INITIALISED);
	d->probe_seq = ++g->probes;
	struct fe_dev *owner = ring_owner(d);
	if (owner != d)
		log_warn("%s: devid %d is %s's too: this tty uses %s's ring, as in Linux", d->kname,
		         d->devid, owner->kname, owner->kname);
	log_info("%s: probed: hvc%d, ring-ref %u, port %d, backend dom%u", d->kname, d->hvc,
	         (unsigned)gref, port, (unsigned)d->be_domid);
	con_kick(d);
	return 0;
}

void con_backend_changed(struct fe_dev *d, enum xb_state s)
{
	switch (s) {
	case XB_CONNECTED:
		xb_switch_state(d, XB_CONNECTED);
		con_kick(d);
		break;
	case XB_CLOSED:
		if (d->state == XB_CLOSED)
			break;
		__attribute__((fallthrough)); /* missed the backend's Closing */
	case XB_CLOSING:
		/* Stop guest use before the backend closes; keep page and port. */
		hvc_remove(d);
		xb_switch_state(d, XB_CLOSED);
		break;
	default:
		break;
	}
}

void con_remove(struct fe_dev *d)
{
	disconnect(d);
	d->bound = 0;
	/* a tty that used this ring through a shared devid now uses its own */
	for (struct fe_dev *o = d->g->devs; o; o = o->next)
		if (o != d && o->devid == d->devid && o->page)
			con_kick(o);
}

/* Guest -> backend: read the tty master into the out ring. */
static void pump_out(struct fe_dev *d)
{
	if (d->master < 0)
		return;
	struct fe_dev *r = ring_owner(d);
	if (!r->page || r->stalled || r->corrupt) {
		/* not producing: leave guest writes in the tty until undone */
		if (!d->out_paused) {
			d->out_paused = 1;
			loop_modify(d->g->loop, d->master, d->in_waiting ? LOOP_WRITE : 0);
		}
		return;
	}
	struct ring_span sp = {0};
	int moved = 0;
	for (;;) {
		int rc = ring_peek_write(&r->ring, &sp);
		if (rc == RING_CORRUPT) {
			log_limited(&d->lim, 1, LOG_LVL_WARN,
			            "%s: xencons: Illegal ring page indices (out)", d->kname);
			sp.len = 0;
		}
		if (sp.len == 0) {
			/* Ring full: stop reading the tty; the writer blocks on the pty. */
			if (!d->out_paused) {
				d->out_paused = 1;
				loop_modify(d->g->loop, d->master, d->in_waiting ? LOOP_WRITE : 0);
			}
			break;
		}
		ssize_t n = readv(d->master, sp.iov, sp.iovcnt);
		if (n <= 0)
			break; /* EAGAIN, or EIO while no slave is open */
		ring_commit_write(&r->ring, &sp, (size_t)n);
		d->bytes_out += (uint64_t)n;
		moved = 1;
	}
	if (moved)
		notify(r);
	if (d->out_paused && sp.len > 0) {
		d->out_paused = 0;
		loop_modify(d->g->loop, d->master, LOOP_READ | (d->in_waiting ? LOOP_WRITE : 0));
	}
}

/* Backend -> guest: the in ring into the tty, while a guest process has it open. */
static void pump_in(struct fe_dev *d)
{
	struct fe_dev *r = ring_owner(d);
	if (d->master < 0 || !r->page || r->stalled || r->corrupt || d->opens <= 0)
		return;
	struct ring_span sp;
	int moved = 0;
	for (;;) {
		int rc = ring_peek_read(&r->ring, &sp);
		if (rc == RING_CORRUPT) {
			log_limited(&d->lim, 1, LOG_LVL_WARN,
			            "%s: xencons: Illegal ring page indices (in)", d->kname);
			break;
		}
		if (sp.len == 0)
			break;
		ssize_t n = writev(d->master, sp.iov, sp.iovcnt);
		if (n <= 0) {
			if (n < 0 && errno == EAGAIN && !d->in_waiting) {
				d->in_waiting = 1;
				loop_modify(d->g->loop, d->master,
				            (d->out_paused ? 0 : LOOP_READ) | LOOP_WRITE);
			}
			break;
		}
		ring_commit_read(&r->ring, &sp, (size_t)n);
		d->bytes_in += (uint64_t)n;
		moved = 1;
	}
	if (moved)
		notify(r); /* a backend waiting for space in `in` gets its event */
}

void con_kick(struct fe_dev *d)
{
	pump_in(d);
	pump_out(d);
}

static void on_master(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct fe_dev *d = arg;
	if (ev & LOOP_WRITE) {
		d->in_waiting = 0;
		loop_modify(l, fd, d->out_paused ? 0 : LOOP_READ);
		pump_in(d);
	}
	if ((ev & LOOP_READ) && d->master >= 0)
		pump_out(d);
}

/* Exposed for hvc.c through the loop: registered when the pty is created. */
void con_watch_master(struct fe_dev *d);
void con_watch_master(struct fe_dev *d)
{
	loop_watch(d->g->loop, d->master, LOOP_READ, on_master, d);
}

void con_evtchn_readable(struct guest *g)
{
	int port;
	while ((port = plat_evtchn_pending(g->ev)) >= 0) {
		plat_evtchn_unmask(g->ev, (uint32_t)port);
		for (struct fe_dev *d = g->devs; d; d = d->next)
			if (ring_owner(d)->port == port)
				con_kick(d);
	}
}

/* Parse garbage ARG: a decimal count of pseudo-random bytes, or literal text
 * with \xNN escapes. */
static size_t garbage_bytes(const char *arg, unsigned char *out, size_t max)
{
	size_t n = 0;
	int numeric = *arg != '\0';
	for (const char *p = arg; *p; p++)
		if (*p < '0' || *p > '9')
			numeric = 0;
	if (numeric) {
		unsigned long count = strtoul(arg, NULL, 10);
		uint32_t x = 0x9e3779b9u;
		for (; n < count && n < max; n++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			out[n] = (unsigned char)x;
		}
		return n;
	}
	for (const char *p = arg; *p && n < max; p++) {
		unsigned v;
		if (p[0] == '\\' && p[1] == 'x' && sscanf(p + 2, "%2x", &v) == 1) {
			out[n++] = (unsigned char)v;
			p += 3;
		} else {
			out[n++] = (unsigned char)*p;
		}
	}
	return n;
}

int con_fault(struct fe_dev *d, const char *kind, const char *arg, char *err, size_t errlen)
{
	if (!d->page) {
		snprintf(err, errlen, "%s has no ring (state %s)", d->kname,
		         xb_state_name(d->state));
		return -1;
	}
	if (strcmp(kind, "corrupt-index") == 0) {
		if (!d->corrupt) {
			d->saved_out_prod = *idx(d, RING_OFF_OUT_PROD);
			d->saved_in_cons = *idx(d, RING_OFF_IN_CONS);
		}
		d->corrupt = 1;
		/* prod - cons far beyond the ring sizes on both rings we own an index of */
		*idx(d, RING_OFF_OUT_PROD) = *idx(d, RING_OFF_OUT_CONS) + 0x40000000u;
		*idx(d, RING_OFF_IN_CONS) = *idx(d, RING_OFF_IN_PROD) + 0x40000000u;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		notify(d);
		return 0;
	}
	if (strcmp(kind, "event-storm") == 0) {
		unsigned long n = STORM_DEFAULT;
		if (arg) {
			char *end;
			n = strtoul(arg, &end, 10);
			if (!*arg || *end || n == 0 || n > STORM_MAX) {
				snprintf(err, errlen, "event-storm count '%s' is not 1..%u", arg,
				         STORM_MAX);
				return -1;
			}
		}
		for (unsigned long i = 0; i < n; i++)
			notify(d);
		return 0;
	}
	if (strcmp(kind, "garbage") == 0) {
		if (!arg) {
			snprintf(err, errlen, "garbage needs BYTES (a count or text)");
			return -1;
		}
		unsigned char buf[GARBAGE_MAX] = {0}; /* gcc 14 cannot see garbage_bytes fill it */
		size_t n = garbage_bytes(arg, buf, sizeof(buf));
		long w = ring_write(&d->ring, buf, n);
		if (w < 0) {
			snprintf(err, errlen, "out ring is corrupt: %s", ring_strerror((int)w));
			return -1;
		}
		if ((size_t)w < n) {
			snprintf(err, errlen, "only %ld of %zu bytes fit in the out ring", w, n);
			notify(d);
			return -1;
		}
		d->bytes_out += (uint64_t)w;
		notify(d);
		return 0;
	}
	if (strcmp(kind, "stall") == 0) {
		d->stalled = 1;
		return 0;
	}
	if (strcmp(kind, "undo") == 0) {
		if (d->corrupt) {
			*idx(d, RING_OFF_OUT_PROD) = d->saved_out_prod;
			*idx(d, RING_OFF_IN_CONS) = d->saved_in_cons;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			d->corrupt = 0;
		}
		d->stalled = 0;
		con_kick(d);
		notify(d);
		return 0;
	}
	snprintf(err, errlen,
	         "unknown fault '%s' (corrupt-index, event-storm [N], garbage BYTES, stall, undo)",
	         kind);
	return -1;
}
