/*
 * sim.c - the platform back end that talks to the xensim hypervisor service.
 *
 * Each handle is one connection to the service. An event-channel handle's
 * pollable fd is an epoll set holding the service connection and, per bound
 * port, the port's eventfd (EPOLLONESHOT: reporting a port masks it until
 * plat_evtchn_unmask(), as /dev/xen/evtchn does). Notify writes the peer
 * port's eventfd directly; the service is only asked when a binding changes.
 * Handles are not thread-safe: use one handle per thread.
 */
#include "platform-int.h"
#include "xenchannel/sim-wire.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SIM_MAX_PORT 4096u /* no domain has more ports than this */
#define EV_CONN UINT64_MAX /* epoll tag of the service connection */

struct sim_platform {
	struct platform base;
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct sim_conn {
	int fd;
	const uint32_t *seq; /* shared page: bumped after each unsolicited message */
	uint32_t seen;
};

struct sim_port {
	int in_fd;  /* our pending state; -1 when the port is not ours */
	int out_fd; /* the peer port's eventfd; -1 while unbound */
	int masked; /* reported by pending(), waiting for unmask() */
};

struct sim_evtchn {
	struct plat_evtchn base;
	struct sim_conn c;
	int epfd;
	struct sim_port *ports;
	uint32_t nports;
};

struct sim_mapping {
	void *addr;
	uint32_t id; /* map handle (gnttab) or gref (gntshr) */
};

struct sim_gnt {
	union {
		struct plat_gnttab tab;
		struct plat_gntshr shr;
	} base;
	struct sim_conn c;
	struct sim_mapping *maps;
	size_t nmaps, cap;
};

static const struct plat_ops sim_ops;

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int parse_domid(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v >= SIMW_DOMID_FIRST_RESERVED || s[0] == '-' || s[0] == '+')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

struct platform *plat_sim_open(const char *run_dir, char *err, size_t errlen)
{
	uint32_t domid = 0;
	const char *d = getenv("XENSIM_DOMID");
	if (d && *d && parse_domid(d, &domid) < 0) {
		seterr(err, errlen, "XENSIM_DOMID=\"%s\" is not a domain id (0..%u)", d,
		       SIMW_DOMID_FIRST_RESERVED - 1);
		errno = EINVAL;
		return NULL;
	}
	struct sim_platform *p = calloc(1, sizeof(*p));
	if (!p) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	p->base.ops = &sim_ops;
	p->base.domid = domid;
	if (simw_socket_path(p->sock, sizeof(p->sock), run_dir, domid) < 0) {
		seterr(err, errlen, "hypervisor socket path under XENSIM_RUN_DIR=%s is too long",
		       run_dir);
		free(p);
		errno = ENAMETOOLONG;
		return NULL;
	}
	struct stat st;
	if (stat(p->sock, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		int e = errno ? errno : ENOTSOCK;
		seterr(err, errlen,
		       "no xensim hypervisor socket at %s (is the simulator started%s?)", p->sock,
		       domid ? " and the domain created" : "");
		free(p);
		errno = e == ENOENT ? ENOENT : e;
		return NULL;
	}
	return &p->base;
}

static void sim_close(struct platform *p)
{
	free(p);
}

/* Connect a handle to the service and take the HELLO. */
static int conn_open(struct platform *pp, struct sim_conn *c)
{
	struct sim_platform *p = (struct sim_platform *)pp;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, p->sock, sizeof(sa.sun_path));
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	c->seq = NULL;
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	struct simw_msg m;
	int fds[SIMW_MAX_FDS];
	if (simw_recv(c->fd, &m, NULL, 0, fds, 0) < 0)
		goto fail;
	if (m.type != SIMW_HELLO || fds[0] < 0 || m.a[0] != pp->domid) {
		for (int i = 0; i < SIMW_MAX_FDS; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		errno = EPROTO;
		goto fail;
	}
	void *page = mmap(NULL, SIMW_PAGE, PROT_READ, MAP_SHARED, fds[0], 0);
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (page == MAP_FAILED)
		goto fail;
	c->seq = page;
	c->seen = __atomic_load_n(c->seq, __ATOMIC_ACQUIRE);
	return 0;
fail:;
	int e = errno;
	close(c->fd);
	errno = e;
	return -1;
}

static void conn_close(struct sim_conn *c)
{
	if (c->seq)
		munmap((void *)c->seq, SIMW_PAGE);
	if (c->fd >= 0)
		close(c->fd);
}

/* ---- event channels ---- */

static struct sim_port *port_get(struct sim_evtchn *h, uint32_t port)
{
	if (port >= h->nports || h->ports[port].in_fd < 0)
		return NULL;
	return &h->ports[port];
}

static int port_add(struct sim_evtchn *h, uint32_t port, int in_fd, int out_fd)
{
	if (port >= SIM_MAX_PORT) {
		errno = EPROTO;
		return -1;
	}
	if (port >= h->nports) {
		uint32_t n = h->nports ? h->nports : 16;
		while (n <= port)
			n *= 2;
		struct sim_port *np = realloc(h->ports, n * sizeof(*np));
		if (!np)
			return -1;
		for (uint32_t i = h->nports; i < n; i++)
			np[i] = (struct sim_port){-1, -1, 0};
		h->ports = np;
		h->nports = n;
	}
	struct sim_port *sp = &h->ports[port];
	if (sp->in_fd >= 0) {
		errno = EPROTO; /* the service handed us a port we already hold */
		return -1;
	}
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = port};
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, in_fd, &ev) < 0)
		return -1;
	sp->in_fd = in_fd;
	sp->out_fd = out_fd;
	sp->masked = 0;
	return 0;
}

static void port_drop(struct sim_evtchn *h, uint32_t port)
{
	struct sim_port *sp = port_get(h, port);
	if (!sp)
		return;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, sp->in_fd, NULL);
	close(sp->in_fd);
	if (sp->out_fd >= 0)
		close(sp->out_fd);
	*sp = (struct sim_port){-1, -1, 0};
}

static void close_fds(int fds[SIMW_MAX_FDS])
{
	for (int i = 0; i < SIMW_MAX_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Apply one unsolicited message from the service. */
static void handle_event(struct sim_evtchn *h, const struct simw_msg *m, int fds[SIMW_MAX_FDS])
{
	struct sim_port *sp = port_get(h, m->a[0]);
	if (!sp || fds[0] < 0) {
		close_fds(fds);
		return;
	}
	if (m->type == SIMW_EV_BOUND) {
		if (sp->out_fd >= 0)
			close(sp->out_fd);
		sp->out_fd = fds[0];
		fds[0] = -1;
	} else if (m->type == SIMW_EV_UNBOUND) {
		/* The peer went away: its copy of our eventfd is retired. Carry a
		 * notification that is still pending over to the new one. */
		uint64_t v;
		int pending = read(sp->in_fd, &v, sizeof(v)) == (ssize_t)sizeof(v);
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, sp->in_fd, NULL);
		close(sp->in_fd);
		if (sp->out_fd >= 0)
			close(sp->out_fd);
		sp->out_fd = -1;
		sp->in_fd = fds[0];
		fds[0] = -1;
		if (pending) {
			v = 1;
			if (write(sp->in_fd, &v, sizeof(v)) < 0) {
				/* cannot fail on a fresh eventfd */
			}
		}
		struct epoll_event ev = {.events =
		                             sp->masked ? EPOLLONESHOT : EPOLLIN | EPOLLONESHOT,
		                         .data.u64 = m->a[0]};
		epoll_ctl(h->epfd, EPOLL_CTL_ADD, sp->in_fd, &ev);
	}
	close_fds(fds);
}

/* Read every unsolicited message already queued (never blocks). */
static void drain_events(struct sim_evtchn *h)
{
	uint32_t now = __atomic_load_n(h->c.seq, __ATOMIC_ACQUIRE);
	for (;;) {
		struct simw_msg m;
		int fds[SIMW_MAX_FDS];
		if (simw_recv(h->c.fd, &m, NULL, 0, fds, MSG_DONTWAIT) < 0) {
			if (errno == EPIPE || errno == ECONNRESET)
				epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->c.fd, NULL);
			break;
		}
		if (m.type == SIMW_EV_BOUND || m.type == SIMW_EV_UNBOUND)
			handle_event(h, &m, fds);
		else
			close_fds(fds);
	}
	h->c.seen = now;
}

/* One request, one reply; unsolicited messages met on the way are applied. */
static int call(struct sim_conn *c, struct sim_evtchn *h, struct simw_msg *req, const void *payload,
                size_t len, struct simw_msg *rep, int fds[SIMW_MAX_FDS])
{
	if (simw_send(c->fd, req, payload, len, NULL, 0) < 0)
		return -1;
	for (;;) {
		if (simw_recv(c->fd, rep, NULL, 0, fds, 0) < 0)
			return -1;
		if (rep->type == (req->type | SIMW_REPLY))
			break;
		if (h && (rep->type == SIMW_EV_BOUND || rep->type == SIMW_EV_UNBOUND))
			handle_event(h, rep, fds);
		else
			close_fds(fds);
	}
	if (rep->err) {
		close_fds(fds);
		errno = rep->err;
		return -1;
	}
	return 0;
}

static struct plat_evtchn *sim_evtchn_open(struct platform *p)
{
	struct sim_evtchn *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->base.ops = &sim_ops;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0)
		goto fail_free;
	if (conn_open(p, &h->c) < 0)
		goto fail_ep;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_CONN};
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->c.fd, &ev) < 0)
		goto fail_conn;
	return &h->base;
fail_conn:;
	int e = errno;
	conn_close(&h->c);
	errno = e;
fail_ep:
	e = errno;
	close(h->epfd);
	errno = e;
fail_free:
	free(h);
	return NULL;
}

static void sim_evtchn_close(struct plat_evtchn *hh)
{
	struct sim_evtchn *h = (struct sim_evtchn *)hh;
	for (uint32_t i = 0; i < h->nports; i++)
		port_drop(h, i);
	free(h->ports);
	conn_close(&h->c); /* the service closes our ports when we hang up */
	close(h->epfd);
	free(h);
}

static int sim_evtchn_fd(struct plat_evtchn *hh)
{
	return ((struct sim_evtchn *)hh)->epfd;
}

static int sim_evtchn_alloc_unbound(struct plat_evtchn *hh, uint32_t rdom)
{
	struct sim_evtchn *h = (struct sim_evtchn *)hh;
	struct simw_msg req = {.type = SIMW_EVTCHN_ALLOC_UNBOUND, .a = {rdom}}, rep;
	int fds[SIMW_MAX_FDS];
	if (call(&h->c, h, &req, NULL, 0, &rep, fds) < 0)
		return -1;
	if (fds[0] < 0 || port_add(h, rep.a[0], fds[0], -1) < 0) {
		int e = fds[0] < 0 ? EPROTO : errno;
		close_fds(fds);
		errno = e;
		return -1;
	}
	if (fds[1] >= 0)
		close(fds[1]);
	return (int)rep.a[0];
}

static int sim_evtchn_bind_interdomain(struct plat_evtchn *hh, uint32_t rdom, uint32_t rport)
{
	struct sim_evtchn *h = (struct sim_evtchn *)hh;
	struct simw_msg req = {.type = SIMW_EVTCHN_BIND, .a = {rdom, rport}}, rep;
	int fds[SIMW_MAX_FDS];
	if (call(&h->c, h, &req, NULL, 0, &rep, fds) < 0)
		return -1;
	if (fds[0] < 0 || fds[1] < 0 || port_add(h, rep.a[0], fds[0], fds[1]) < 0) {
		int e = fds[0] < 0 || fds[1] < 0 ? EPROTO : errno;
		close_fds(fds);
		errno = e;
		return -1;
	}
	return (int)rep.a[0];
}

static int sim_evtchn_notify(struct plat_evtchn *hh, uint32_t port)
{
	struct sim_evtchn *h = (struct sim_evtchn *)hh;
	if (__atomic_load_n(h->c.seq, __ATOMIC_ACQUIRE) != h->c.seen)
		drain_events(h);
	struct sim_port *sp = port_get(h, port);
	if (!sp) {
		errno = ENOTCONN; /* the evtchn driver: not this handle's port */
		return -1;
	}
	if (sp->out_fd < 0)
		return 0; /* unbound: Xen drops the notification silently */
	uint64_t one = 1;
	if (write(sp->out_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -1;
	return 0;
}

static int sim_evtchn_unbind(struct plat_evtchn *hh, uint32_t port)
{
	struct sim_evtchn *h = (struct sim_evtchn *)hh;
	if (!port_get(h, port)) {
		errno = port >= SIM_MAX_PORT ? EINVAL : ENOTCONN;
		return -1;
	}
	struct simw_msg req = {.type = SIMW_EVTCHN_UNBIND, .a = {port}}, rep;
	int fds[SIMW_MAX_FDS];
	int rc = call(&h->c, h, &req, NULL, 0, &rep, fds);
	if (rc == 0)
		close_fds(fds);
	/* Whatever the service said, the port is no longer this handle's. */
	port_drop(h, port);
	return rc;
}

static int sim_evtchn_pending(struct plat_evtchn *hh)
{
	struct sim_evtchn *h = (struct sim_evtchn *)hh;
	for (;;) {
		struct epoll_event ev;
		int n = epoll_wait(h->epfd, &ev, 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EAGAIN;
			return -1;
		}
		if (ev.data.u64 == EV_CONN) {
			drain_events(h);
			continue;
		}
		uint32_t port = (uint32_t)ev.data.u64;
		struct sim_port *sp = port_get(h, port);
		if (!sp)
			continue;
		uint64_t v;
		if (read(sp->in_fd, &v, sizeof(v)) < 0 && errno == EAGAIN) {
			/* raced with a retired eventfd: re-arm and look again */
			struct epoll_event re = {.events = EPOLLIN | EPOLLONESHOT,
			                         .data.u64 = port};
			epoll_ctl(h->epfd, EPOLL_CTL_MOD, sp->in_fd, &re);
			continue;
		}
		sp->masked = 1;
		return (int)port;
	}
}

static int sim_evtchn_unmask(struct plat_evtchn *hh, uint32_t port)
{
	struct sim_evtchn *h = (struct sim_evtchn *)hh;
	struct sim_port *sp = port_get(h, port);
	if (!sp)
		return 0; /* /dev/xen/evtchn ignores ports that are not the handle's */
	sp->masked = 0;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = port};
	return epoll_ctl(h->epfd, EPOLL_CTL_MOD, sp->in_fd, &ev);
}

/* ---- grants ---- */

static struct sim_gnt *gnt_open(struct platform *p)
{
	struct sim_gnt *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->base.tab.ops = &sim_ops;
	if (conn_open(p, &g->c) < 0) {
		int e = errno;
		free(g);
		errno = e;
		return NULL;
	}
	return g;
}

static int gnt_remember(struct sim_gnt *g, void *addr, uint32_t id)
{
	if (g->nmaps == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct sim_mapping *m = realloc(g->maps, cap * sizeof(*m));
		if (!m)
			return -1;
		g->maps = m;
		g->cap = cap;
	}
	g->maps[g->nmaps++] = (struct sim_mapping){addr, id};
	return 0;
}

static int gnt_forget(struct sim_gnt *g, void *addr, uint32_t *id)
{
	for (size_t i = 0; i < g->nmaps; i++) {
		if (g->maps[i].addr == addr) {
			*id = g->maps[i].id;
			g->maps[i] = g->maps[--g->nmaps];
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

/* Pages still mapped stay mapped until munmap(), as with the Linux gntdev
 * and gntalloc devices; the service ends the grants and forgets the
 * mappings when the connection goes. */
static void gnt_close(struct sim_gnt *g)
{
	free(g->maps);
	conn_close(&g->c);
	free(g);
}

/* Ask for a page and map it; the service keeps the record. */
static void *gnt_get(struct sim_gnt *g, uint32_t type, uint32_t a0, uint32_t a1, uint32_t *id)
{
	struct simw_msg req = {.type = type, .a = {a0, a1}}, rep;
	int fds[SIMW_MAX_FDS];
	if (call(&g->c, NULL, &req, NULL, 0, &rep, fds) < 0)
		return NULL;
	if (fds[0] < 0) {
		close_fds(fds);
		errno = EPROTO;
		return NULL;
	}
	void *addr = mmap(NULL, SIMW_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	int e = errno;
	close_fds(fds);
	if (addr == MAP_FAILED) {
		errno = e;
		addr = NULL;
	} else if (gnt_remember(g, addr, rep.a[0]) < 0) {
		munmap(addr, SIMW_PAGE);
		addr = NULL;
	}
	if (!addr) {
		/* give the page back so nothing leaks in the service */
		e = errno;
		struct simw_msg undo = {.type = type == SIMW_GNT_MAP ? SIMW_GNT_UNMAP
		                                                     : SIMW_GNT_UNSHARE,
		                        .a = {rep.a[0]}};
		if (call(&g->c, NULL, &undo, NULL, 0, &rep, fds) == 0)
			close_fds(fds);
		errno = e;
		return NULL;
	}
	*id = rep.a[0];
	return addr;
}

static int gnt_put(struct sim_gnt *g, uint32_t type, void *addr)
{
	uint32_t id;
	if (gnt_forget(g, addr, &id) < 0)
		return -1;
	munmap(addr, SIMW_PAGE);
	struct simw_msg req = {.type = type, .a = {id}}, rep;
	int fds[SIMW_MAX_FDS];
	if (call(&g->c, NULL, &req, NULL, 0, &rep, fds) < 0)
		return -1;
	close_fds(fds);
	return 0;
}

static struct plat_gnttab *sim_gnttab_open(struct platform *p)
{
	struct sim_gnt *g = gnt_open(p);
	return g ? &g->base.tab : NULL;
}

static void sim_gnttab_close(struct plat_gnttab *g)
{
	gnt_close((struct sim_gnt *)g);
}

static void *sim_gnttab_map(struct plat_gnttab *gg, uint32_t domid, uint32_t gref)
{
	uint32_t id;
	return gnt_get((struct sim_gnt *)gg, SIMW_GNT_MAP, domid, gref, &id);
}

static int sim_gnttab_unmap(struct plat_gnttab *gg, void *addr)
{
	return gnt_put((struct sim_gnt *)gg, SIMW_GNT_UNMAP, addr);
}

static struct plat_gntshr *sim_gntshr_open(struct platform *p)
{
	struct sim_gnt *g = gnt_open(p);
	return g ? &g->base.shr : NULL;
}

static void sim_gntshr_close(struct plat_gntshr *s)
{
	gnt_close((struct sim_gnt *)s);
}

static void *sim_gntshr_share(struct plat_gntshr *ss, uint32_t domid, int writable, uint32_t *gref)
{
	uint32_t id;
	void *addr = gnt_get((struct sim_gnt *)ss, SIMW_GNT_SHARE, domid, writable ? 1 : 0, &id);
	if (addr && gref)
		*gref = id;
	return addr;
}

static int sim_gntshr_unshare(struct plat_gntshr *ss, void *addr)
{
	return gnt_put((struct sim_gnt *)ss, SIMW_GNT_UNSHARE, addr);
}

static const struct plat_ops sim_ops = {
    .name = "sim",
    .close = sim_close,
    .evtchn_open = sim_evtchn_open,
    .evtchn_close = sim_evtchn_close,
    .evtchn_fd = sim_evtchn_fd,
    .evtchn_bind_interdomain = sim_evtchn_bind_interdomain,
    .evtchn_alloc_unbound = sim_evtchn_alloc_unbound,
    .evtchn_notify = sim_evtchn_notify,
    .evtchn_unbind = sim_evtchn_unbind,
    .evtchn_pending = sim_evtchn_pending,
    .evtchn_unmask = sim_evtchn_unmask,
    .gnttab_open = sim_gnttab_open,
    .gnttab_close = sim_gnttab_close,
    .gnttab_map = sim_gnttab_map,
    .gnttab_unmap = sim_gnttab_unmap,
    .gntshr_open = sim_gntshr_open,
    .gntshr_close = sim_gntshr_close,
    .gntshr_share = sim_gntshr_share,
    .gntshr_unshare = sim_gntshr_unshare,
};
