/*
 * test-sim-2proc.c - the sim platform across two processes against a
 * running xensim: this process is dom0 (the backend side), a forked child is
 * domain D (XENSIM_DOMID=D, the frontend side). They agree on ports and grant
 * refs over a socketpair, and wait on the event channel fd, never on time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tmpdir.h"
#include "xenchannel/platform.h"
#include "xenchannel/sim-wire.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char run_dir[PATH_MAX];
static const char *xensim;
static uint32_t peer; /* the domain the child acts as */

/* ---- helpers ---- */

static int xensim_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int xensim_cmd(const char *fmt, ...)
{
	char args[256], cmd[PATH_MAX + 512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "'%s' %s", xensim, args);
	return system(cmd);
}

static uint32_t create_domain(const char *name)
{
	char cmd[PATH_MAX + 128];
	snprintf(cmd, sizeof(cmd), "'%s' create --name %s", xensim, name);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	unsigned id = 0;
	assert_int_equal(fscanf(p, "%u", &id), 1);
	assert_int_equal(pclose(p), 0);
	return id;
}

struct msg {
	int32_t a, b, c;
};

static void put(int fd, int32_t a, int32_t b, int32_t c)
{
	struct msg m = {a, b, c};
	if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		abort();
}

static struct msg get(int fd)
{
	struct msg m = {-1, -1, -1};
	if (read(fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		m.a = m.b = m.c = INT32_MIN; /* the other side died */
	return m;
}

/* Wait (bounded, for a hung peer) until the handle reports a port. */
static int wait_port(struct plat_evtchn *h)
{
	for (;;) {
		int port = plat_evtchn_pending(h);
		if (port >= 0 || errno != EAGAIN)
			return port;
		struct pollfd p = {.fd = plat_evtchn_fd(h), .events = POLLIN};
		if (poll(&p, 1, 10000) <= 0)
			return -1;
	}
}

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "child: %s:%d: check failed: %s (errno %d)\n", __FILE__,   \
			        __LINE__, #c, errno);                                              \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

/* Fork the guest side: fn runs as domain dom, talking over fd. */
static pid_t spawn(uint32_t dom, void (*fn)(int fd), int *fd)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char id[16];
		close(sv[0]);
		snprintf(id, sizeof(id), "%u", dom);
		setenv("XENSIM_DOMID", id, 1);
		fn(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

static void reap(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* EVTCHNOP_status through the service, as dom0. */
static uint32_t port_status(uint32_t dom, uint32_t port, uint32_t *rdom)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	simw_socket_path(sa.sun_path, sizeof(sa.sun_path), run_dir, 0);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct simw_msg m = {.type = SIMW_EVTCHN_STATUS, .a = {dom, port}}, r;
	int fds[SIMW_MAX_FDS];
	assert_true(simw_recv(fd, &r, NULL, 0, fds, 0) >= 0); /* hello */
	for (int i = 0; i < SIMW_MAX_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	assert_int_equal(simw_send(fd, &m, NULL, 0, NULL, 0), 0);
	assert_true(simw_recv(fd, &r, NULL, 0, fds, 0) >= 0);
	close(fd);
	assert_int_equal(r.err, 0);
	if (rdom)
		*rdom = r.a[1];
	return r.a[0];
}

/* ---- setup ---- */

static int group_setup(void **state)
{
	(void)state;
	xensim = getenv("XENSIM_BIN");
	if (!xensim)
		return -1;
	if (!ut_tmpdir(run_dir, sizeof(run_dir), "xc-plat"))
		return -1;
	setenv("XENSIM_RUN_DIR", run_dir, 1);
	unsetenv("XENSIM_DOMID");
	setenv("XENSIM_GUEST_BIN", "/nonexistent", 1); /* we play the guest ourselves */
	if (xensim_cmd("start") != 0)
		return -1;
	peer = create_domain("peer");
	return peer ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	xensim_cmd("stop");
	return ut_rmtree(run_dir);
}

/* ---- tests ---- */

static void test_open(void **state)
{
	(void)state;
	char err[256] = "";
	struct platform *p = platform_open(err, sizeof(err));
	assert_non_null(p);
	assert_string_equal(platform_name(p), "sim");
	assert_int_equal(platform_domid(p), 0);
	platform_close(p);
	setenv("XENSIM_DOMID", "4242", 1); /* no such domain: no socket */
	assert_null(platform_open(err, sizeof(err)));
	assert_non_null(strstr(err, "4242"));
	setenv("XENSIM_DOMID", "dom0", 1);
	assert_null(platform_open(err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "XENSIM_DOMID"));
	unsetenv("XENSIM_DOMID");
}

/* Guest: offer a port to dom0, then answer every notification with one. */
static void echo_guest(int fd)
{
	struct platform *p = platform_open(NULL, 0);
	CHECK(p && platform_domid(p) == peer);
	struct plat_evtchn *h = plat_evtchn_open(p);
	CHECK(h);
	int port = plat_evtchn_alloc_unbound(h, 0);
	CHECK(port > 0);
	put(fd, port, 0, 0);
	struct msg m = get(fd); /* dom0 bound and says how many rounds */
	for (int i = 0; i < m.a; i++) {
		CHECK(wait_port(h) == port);
		CHECK(plat_evtchn_unmask(h, (uint32_t)port) == 0);
		CHECK(plat_evtchn_notify(h, (uint32_t)port) == 0);
	}
	put(fd, 1, 0, 0);
	get(fd); /* until dom0 is done */
	plat_evtchn_close(h);
	platform_close(p);
}

static void test_notify_both_ways(void **state)
{
	(void)state;
	int fd;
	pid_t pid = spawn(peer, echo_guest, &fd);
	struct platform *p = platform_open(NULL, 0);
	assert_non_null(p);
	struct plat_evtchn *h = plat_evtchn_open(p);
	assert_non_null(h);
	struct msg m = get(fd);
	assert_true(m.a > 0);
	int lport = plat_evtchn_bind_interdomain(h, peer, (uint32_t)m.a);
	assert_true(lport > 0);
	/* Xen marks a freshly bound port pending */
	assert_int_equal(plat_evtchn_pending(h), lport);
	assert_int_equal(plat_evtchn_unmask(h, (uint32_t)lport), 0);
	assert_int_equal(plat_evtchn_pending(h), -1);
	assert_int_equal(errno, EAGAIN);
	uint32_t rdom;
	assert_int_equal(port_status(0, (uint32_t)lport, &rdom), SIMW_EVTCHNSTAT_interdomain);
	assert_int_equal(rdom, peer);
	const int rounds = 500;
	put(fd, rounds, 0, 0);
	for (int i = 0; i < rounds; i++) {
		assert_int_equal(plat_evtchn_notify(h, (uint32_t)lport), 0);
		assert_int_equal(wait_port(h), lport);
		assert_int_equal(plat_evtchn_unmask(h, (uint32_t)lport), 0);
	}
	assert_int_equal(get(fd).a, 1);
	put(fd, 0, 0, 0);
	reap(pid);
	plat_evtchn_close(h);
	platform_close(p);
}

/* Guest: offer a port, then let dom0 drive; report what it sees. */
static void mask_guest(int fd)
{
	struct platform *p = platform_open(NULL, 0);
	CHECK(p);
	struct plat_evtchn *h = plat_evtchn_open(p);
	CHECK(h);
	int port = plat_evtchn_alloc_unbound(h, 0);
	CHECK(port > 0);
	put(fd, port, 0, 0);
	get(fd); /* dom0 notified once */
	CHECK(wait_port(h) == port);
	put(fd, 0, 0, 0); /* masked now; dom0 notifies three more times */
	get(fd);
	/* masked: nothing reported, however many notifications came */
	CHECK(plat_evtchn_pending(h) == -1 && errno == EAGAIN);
	CHECK(plat_evtchn_unmask(h, (uint32_t)port) == 0);
	/* unmasking delivers what arrived meanwhile, once */
	CHECK(wait_port(h) == port);
	CHECK(plat_evtchn_pending(h) == -1 && errno == EAGAIN);
	CHECK(plat_evtchn_unmask(h, (uint32_t)port) == 0);
	CHECK(plat_evtchn_pending(h) == -1 && errno == EAGAIN);
	/* unmasking a port that is not ours is ignored, as by /dev/xen/evtchn */
	CHECK(plat_evtchn_unmask(h, 999) == 0);
	put(fd, 1, 0, 0);
	get(fd);
	plat_evtchn_close(h);
	platform_close(p);
}

static void test_pending_and_unmask(void **state)
{
	(void)state;
	int fd;
	pid_t pid = spawn(peer, mask_guest, &fd);
	struct platform *p = platform_open(NULL, 0);
	struct plat_evtchn *h = plat_evtchn_open(p);
	int lport = plat_evtchn_bind_interdomain(h, peer, (uint32_t)get(fd).a);
	assert_true(lport > 0);
	assert_int_equal(plat_evtchn_notify(h, (uint32_t)lport), 0);
	put(fd, 0, 0, 0);
	get(fd);
	for (int i = 0; i < 3; i++)
		assert_int_equal(plat_evtchn_notify(h, (uint32_t)lport), 0);
	put(fd, 0, 0, 0);
	assert_int_equal(get(fd).a, 1);
	put(fd, 0, 0, 0);
	reap(pid);
	plat_evtchn_close(h);
	platform_close(p);
}

static void idle_guest(int fd)
{
	struct platform *p = platform_open(NULL, 0);
	CHECK(p);
	struct plat_evtchn *h = plat_evtchn_open(p);
	CHECK(h);
	int port = plat_evtchn_alloc_unbound(h, 0);
	int other = plat_evtchn_alloc_unbound(h, 7); /* offered to someone else */
	CHECK(port > 0 && other > 0);
	put(fd, port, other, 0);
	struct msg m = get(fd);
	while (m.a == 1) { /* dom0 asks: wait for a notification */
		CHECK(wait_port(h) == port);
		CHECK(plat_evtchn_unmask(h, (uint32_t)port) == 0);
		put(fd, 1, 0, 0);
		m = get(fd);
	}
	if (m.a == 2) { /* notify: a port nobody bound drops it silently */
		CHECK(plat_evtchn_notify(h, (uint32_t)other) == 0);
		CHECK(plat_evtchn_notify(h, (uint32_t)port) == 0);
		put(fd, 1, 0, 0);
		get(fd);
	}
	plat_evtchn_close(h);
	platform_close(p);
}

static void test_errors_and_rebind(void **state)
{
	(void)state;
	int fd;
	pid_t pid = spawn(peer, idle_guest, &fd);
	struct platform *p = platform_open(NULL, 0);
	struct plat_evtchn *h = plat_evtchn_open(p);
	struct msg m = get(fd);
	/* Xen's errors: unknown domain, port not offered to us, bad port */
	assert_int_equal(plat_evtchn_bind_interdomain(h, 4000, (uint32_t)m.a), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(plat_evtchn_bind_interdomain(h, peer, (uint32_t)m.b), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(plat_evtchn_bind_interdomain(h, peer, 1000), -1);
	assert_int_equal(errno, EINVAL);
	/* the driver's: ports this handle does not hold */
	assert_int_equal(plat_evtchn_notify(h, 900), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(plat_evtchn_unbind(h, 900), -1);
	assert_int_equal(errno, ENOTCONN);

	int lport = plat_evtchn_bind_interdomain(h, peer, (uint32_t)m.a);
	assert_true(lport > 0);
	assert_int_equal(plat_evtchn_bind_interdomain(h, peer, (uint32_t)m.a), -1);
	assert_int_equal(errno, EINVAL); /* already bound */
	put(fd, 1, 0, 0);
	assert_int_equal(plat_evtchn_notify(h, (uint32_t)lport), 0);
	assert_int_equal(get(fd).a, 1);
	/* unbind: the guest's port is unbound again, offered back to us */
	assert_int_equal(plat_evtchn_unbind(h, (uint32_t)lport), 0);
	uint32_t rdom;
	assert_int_equal(port_status(peer, (uint32_t)m.a, &rdom), SIMW_EVTCHNSTAT_unbound);
	assert_int_equal(rdom, 0);
	assert_int_equal(plat_evtchn_notify(h, (uint32_t)lport), -1);
	assert_int_equal(errno, ENOTCONN);
	/* a new binding from a new handle works and carries notifications */
	struct plat_evtchn *h2 = plat_evtchn_open(p);
	int lport2 = plat_evtchn_bind_interdomain(h2, peer, (uint32_t)m.a);
	assert_true(lport2 > 0);
	put(fd, 1, 0, 0);
	assert_int_equal(plat_evtchn_notify(h2, (uint32_t)lport2), 0);
	assert_int_equal(get(fd).a, 1);
	/* and the guest's notification reaches the new binding */
	assert_int_equal(plat_evtchn_pending(h2), lport2); /* the pending-on-bind */
	assert_int_equal(plat_evtchn_unmask(h2, (uint32_t)lport2), 0);
	put(fd, 2, 0, 0);
	assert_int_equal(get(fd).a, 1);
	assert_int_equal(wait_port(h2), lport2);
	put(fd, 0, 0, 0);
	reap(pid);
	/* the guest process is gone: its ports closed with its handle */
	assert_int_equal(port_status(peer, (uint32_t)m.a, NULL), SIMW_EVTCHNSTAT_closed);
	assert_int_equal(port_status(0, (uint32_t)lport2, &rdom), SIMW_EVTCHNSTAT_unbound);
	assert_int_equal(rdom, peer);
	assert_int_equal(plat_evtchn_bind_interdomain(h, peer, (uint32_t)m.a), -1);
	assert_int_equal(errno, EINVAL);
	plat_evtchn_close(h2);
	plat_evtchn_close(h);
	platform_close(p);
}

static void share_guest(int fd)
{
	struct platform *p = platform_open(NULL, 0);
	CHECK(p);
	struct plat_gntshr *s = plat_gntshr_open(p);
	CHECK(s);
	uint32_t gref, other, ro;
	char *page = plat_gntshr_share(s, 0, 1, &gref);
	CHECK(page && page[0] == 0 && page[4095] == 0);
	CHECK(plat_gntshr_share(s, 7, 1, &other)); /* to another domain */
	CHECK(plat_gntshr_share(s, 0, 0, &ro));    /* read-only */
	strcpy(page, "from the guest");
	put(fd, (int32_t)gref, (int32_t)other, (int32_t)ro);
	get(fd); /* dom0 wrote back */
	CHECK(strcmp(page + 100, "from dom0") == 0);
	CHECK(plat_gntshr_unshare(s, page) == 0);
	CHECK(plat_gntshr_unshare(s, page) == -1 && errno == EINVAL);
	put(fd, 1, 0, 0);
	get(fd);
	plat_gntshr_close(s);
	platform_close(p);
}

static void test_grants(void **state)
{
	(void)state;
	int fd;
	pid_t pid = spawn(peer, share_guest, &fd);
	struct platform *p = platform_open(NULL, 0);
	struct plat_gnttab *g = plat_gnttab_open(p);
	assert_non_null(g);
	struct msg m = get(fd);
	char *page = plat_gnttab_map(g, peer, (uint32_t)m.a);
	assert_non_null(page);
	assert_string_equal(page, "from the guest");
	strcpy(page + 100, "from dom0");
	/* bad gref, a grant for someone else, read-only, unknown domain: EINVAL */
	assert_null(plat_gnttab_map(g, peer, 3000));
	assert_int_equal(errno, EINVAL);
	assert_null(plat_gnttab_map(g, peer, (uint32_t)m.b));
	assert_int_equal(errno, EINVAL);
	assert_null(plat_gnttab_map(g, peer, (uint32_t)m.c));
	assert_int_equal(errno, EINVAL);
	assert_null(plat_gnttab_map(g, 4000, (uint32_t)m.a));
	assert_int_equal(errno, EINVAL);
	put(fd, 0, 0, 0);
	assert_int_equal(get(fd).a, 1);
	/* the grant ended while we hold it: still our memory, no new mapping */
	assert_string_equal(page + 100, "from dom0");
	assert_null(plat_gnttab_map(g, peer, (uint32_t)m.a));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(plat_gnttab_unmap(g, page), 0);
	assert_int_equal(plat_gnttab_unmap(g, page), -1);
	assert_int_equal(errno, EINVAL);
	put(fd, 0, 0, 0);
	reap(pid);
	plat_gnttab_close(g);
	platform_close(p);
}

static uint32_t victim;

/* Guest of a domain that gets destroyed under it. */
static void victim_guest(int fd)
{
	struct platform *p = platform_open(NULL, 0);
	CHECK(p);
	struct plat_gntshr *s = plat_gntshr_open(p);
	struct plat_evtchn *h = plat_evtchn_open(p);
	CHECK(s && h);
	uint32_t gref;
	char *page = plat_gntshr_share(s, 0, 1, &gref);
	int port = plat_evtchn_alloc_unbound(h, 0);
	CHECK(page && port > 0);
	strcpy(page, "ring data");
	put(fd, (int32_t)gref, port, 0);
	get(fd); /* dom0 destroyed our domain */
	/* the hypervisor no longer knows us */
	CHECK(plat_evtchn_alloc_unbound(h, 0) == -1 && errno == ESRCH);
	put(fd, 1, 0, 0);
	get(fd);
	plat_evtchn_close(h);
	plat_gntshr_close(s);
	platform_close(p);
}

static void test_destroy_while_mapped(void **state)
{
	(void)state;
	victim = create_domain("victim");
	int fd;
	pid_t pid = spawn(victim, victim_guest, &fd);
	struct platform *p = platform_open(NULL, 0);
	struct plat_gnttab *g = plat_gnttab_open(p);
	struct plat_evtchn *h = plat_evtchn_open(p);
	struct msg m = get(fd);
	char *page = plat_gnttab_map(g, victim, (uint32_t)m.a);
	assert_non_null(page);
	int lport = plat_evtchn_bind_interdomain(h, victim, (uint32_t)m.b);
	assert_true(lport > 0);
	assert_int_equal(plat_evtchn_pending(h), lport);
	assert_int_equal(plat_evtchn_unmask(h, (uint32_t)lport), 0);

	assert_int_equal(xensim_cmd("destroy victim"), 0);
	/* the page stays valid memory for us, as a granted frame does */
	assert_string_equal(page, "ring data");
	page[0] = 'R';
	assert_int_equal(page[0], 'R');
	/* our end of the channel is closed on the far side: unbound, offered to
	 * the dead domain; notifying it drops the event; rebinding is ESRCH */
	uint32_t rdom;
	assert_int_equal(port_status(0, (uint32_t)lport, &rdom), SIMW_EVTCHNSTAT_unbound);
	assert_int_equal(rdom, victim);
	assert_int_equal(plat_evtchn_notify(h, (uint32_t)lport), 0);
	assert_int_equal(plat_evtchn_bind_interdomain(h, victim, (uint32_t)m.b), -1);
	assert_int_equal(errno, ESRCH);
	assert_null(plat_gnttab_map(g, victim, (uint32_t)m.a));
	assert_int_equal(errno, EINVAL);
	put(fd, 0, 0, 0);
	assert_int_equal(get(fd).a, 1);
	put(fd, 0, 0, 0);
	reap(pid);
	assert_int_equal(plat_gnttab_unmap(g, page), 0);
	assert_int_equal(plat_evtchn_unbind(h, (uint32_t)lport), 0);
	plat_evtchn_close(h);
	plat_gnttab_close(g);
	platform_close(p);
}

/* Guest: offer a port and notify as soon as told the peer bound it, without
 * looking at its own events first. */
static void eager_guest(int fd)
{
	struct platform *p = platform_open(NULL, 0);
	CHECK(p);
	struct plat_evtchn *h = plat_evtchn_open(p);
	CHECK(h);
	int port = plat_evtchn_alloc_unbound(h, 0);
	CHECK(port > 0);
	put(fd, port, 0, 0);
	get(fd);
	CHECK(plat_evtchn_notify(h, (uint32_t)port) == 0);
	put(fd, 1, 0, 0);
	get(fd);
	plat_evtchn_close(h);
	platform_close(p);
}

static void test_first_notify_after_bind(void **state)
{
	(void)state;
	int fd;
	pid_t pid = spawn(peer, eager_guest, &fd);
	struct platform *p = platform_open(NULL, 0);
	struct plat_evtchn *h = plat_evtchn_open(p);
	int lport = plat_evtchn_bind_interdomain(h, peer, (uint32_t)get(fd).a);
	assert_true(lport > 0);
	/* take the pending-on-bind first, so only the guest's event can follow */
	assert_int_equal(plat_evtchn_pending(h), lport);
	assert_int_equal(plat_evtchn_unmask(h, (uint32_t)lport), 0);
	put(fd, 0, 0, 0);
	assert_int_equal(get(fd).a, 1);
	/* bound before the guest notified: the event must arrive */
	assert_int_equal(wait_port(h), lport);
	put(fd, 0, 0, 0);
	reap(pid);
	plat_evtchn_close(h);
	platform_close(p);
}

/* A raw client of the hypervisor service, as domain dom. */
static int raw_client(uint32_t dom)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	simw_socket_path(sa.sun_path, sizeof(sa.sun_path), run_dir, dom);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct simw_msg r;
	int fds[SIMW_MAX_FDS];
	assert_true(simw_recv(fd, &r, NULL, 0, fds, 0) >= 0);
	assert_int_equal(r.type, SIMW_HELLO);
	assert_int_equal(r.a[0], dom);
	for (int i = 0; i < SIMW_MAX_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return fd;
}

static int32_t raw_call(int fd, uint32_t type, uint32_t a0, uint32_t a1)
{
	struct simw_msg m = {.type = type, .a = {a0, a1}}, r;
	int fds[SIMW_MAX_FDS];
	assert_int_equal(simw_send(fd, &m, NULL, 0, NULL, 0), 0);
	assert_true(simw_recv(fd, &r, NULL, 0, fds, 0) >= 0);
	assert_int_equal(r.type, type | SIMW_REPLY);
	for (int i = 0; i < SIMW_MAX_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r.err;
}

/* The connection was dropped: the next read sees end of file. */
static void assert_dropped(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 10000), 1);
	char c;
	assert_int_equal(recv(fd, &c, 1, 0), 0);
	close(fd);
}

static void test_hostile_clients(void **state)
{
	(void)state;
	/* a guest may not run the toolstack's operations or look at dom0 */
	int fd = raw_client(peer);
	assert_int_equal(raw_call(fd, SIMW_DOM_LIST, 0, 0), EPERM);
	assert_int_equal(raw_call(fd, SIMW_DOM_DESTROY, peer, 0), EPERM);
	assert_int_equal(raw_call(fd, SIMW_DOM_UNPAUSE, peer, 0), EPERM);
	assert_int_equal(raw_call(fd, SIMW_EVTCHN_STATUS, 0, 1), EPERM);
	assert_int_equal(raw_call(fd, 999, 0, 0), ENOSYS);
	assert_int_equal(raw_call(fd, SIMW_GNT_UNMAP, 12345, 0), EINVAL);
	assert_int_equal(raw_call(fd, SIMW_GNT_UNSHARE, 8, 0), EINVAL);
	assert_int_equal(raw_call(fd, SIMW_EVTCHN_UNBIND, 1, 0), ENOTCONN); /* the store port */
	/* descriptors sent along are not kept, the request still answered */
	int spare[2];
	assert_int_equal(pipe(spare), 0);
	struct simw_msg m = {.type = SIMW_EVTCHN_UNBIND, .a = {5000}}, r;
	assert_int_equal(simw_send(fd, &m, NULL, 0, spare, 2), 0);
	int fds[SIMW_MAX_FDS];
	assert_true(simw_recv(fd, &r, NULL, 0, fds, 0) >= 0);
	assert_int_equal(r.err, EINVAL);
	close(spare[0]);
	close(spare[1]);
	close(fd);
	/* dom0 may not destroy itself */
	fd = raw_client(0);
	assert_int_equal(raw_call(fd, SIMW_DOM_DESTROY, 0, 0), EPERM);
	assert_int_equal(raw_call(fd, SIMW_DOM_UNPAUSE, 4000, 0), ESRCH);
	close(fd);

	/* malformed messages cost the sender its connection, nothing more */
	fd = raw_client(peer);
	assert_int_equal(send(fd, "abc", 3, 0), 3); /* shorter than a header */
	assert_dropped(fd);
	fd = raw_client(peer);
	char big[4096] = {0};
	struct simw_msg *h = (struct simw_msg *)big;
	h->type = SIMW_DOM_CREATE;
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_dropped(fd);
	fd = raw_client(peer);
	h->type = SIMW_EVTCHN_BIND | SIMW_REPLY; /* a reply is no request */
	assert_int_equal(send(fd, big, sizeof(*h), 0), (ssize_t)sizeof(*h));
	assert_dropped(fd);

	/* and the service still works */
	struct platform *p = platform_open(NULL, 0);
	struct plat_evtchn *e = plat_evtchn_open(p);
	assert_non_null(e);
	int port = plat_evtchn_alloc_unbound(e, SIMW_DOMID_SELF);
	assert_true(port > 0);
	int back = plat_evtchn_bind_interdomain(e, SIMW_DOMID_SELF, (uint32_t)port);
	assert_true(back > 0);
	assert_int_equal(plat_evtchn_pending(e), back);
	assert_int_equal(plat_evtchn_notify(e, (uint32_t)back), 0);
	assert_int_equal(wait_port(e), port);
	plat_evtchn_close(e);
	platform_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open),
	    cmocka_unit_test(test_notify_both_ways),
	    cmocka_unit_test(test_pending_and_unmask),
	    cmocka_unit_test(test_first_notify_after_bind),
	    cmocka_unit_test(test_errors_and_rebind),
	    cmocka_unit_test(test_grants),
	    cmocka_unit_test(test_destroy_while_mapped),
	    cmocka_unit_test(test_hostile_clients),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
