/*
 * test-toolstack.c - attach, detach, list and domain lookup against the
 * simulator's xenstored running in a thread of this process, seen through
 * the real libxenstore.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include <cmocka.h>

#include "harness.h"
#include "xenchannel/config.h"
#include "xenchannel/loop.h"
#include "xenchannel/toolstack.h"

/* ---- a private xenstored (tests/unit/sim/xenstored/harness.h) -------------- */

static struct harness S;

static int setup(void **state)
{
	return harness_start(&S);
}

static int teardown(void **state)
{
	harness_finish(&S);
	return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static struct xs_handle *xs(void)
{
	static struct xs_handle *h;
	if (!h)
		h = xs_open(0);
	assert_non_null(h);
	return h;
}

static void put(const char *path, const char *v)
{
	assert_true(xs_write(xs(), XBT_NULL, path, v, (unsigned)strlen(v)));
}

static char *get(const char *fmt, ...)
{
	char path[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	unsigned len;
	return xs_read(xs(), XBT_NULL, path, &len);
}

static void assert_read(const char *path, const char *want)
{
	char *v = get("%s", path);
	if (!v)
		fail_msg("%s: %s", path, strerror(errno));
	if (strcmp(v, want))
		fail_msg("%s = \"%s\", want \"%s\"", path, v, want);
	free(v);
}

static void assert_perms(const char *path, const char *want)
{
	unsigned n;
	struct xs_permissions *p = xs_get_permissions(xs(), XBT_NULL, path, &n);
	assert_non_null(p);
	char got[128] = "";
	for (unsigned i = 0; i < n; i++) {
		char e[24];
		char letter = p[i].perms == XS_PERM_NONE    ? 'n'
		              : p[i].perms == XS_PERM_READ  ? 'r'
		              : p[i].perms == XS_PERM_WRITE ? 'w'
		                                            : 'b';
		snprintf(e, sizeof(e), "%s%c%u", i ? "," : "", letter, p[i].id);
		strcat(got, e);
	}
	free(p);
	if (strcmp(got, want))
		fail_msg("perms of %s: %s, want %s", path, got, want);
}

static void assert_children(const char *path, const char *want)
{
	unsigned n;
	char **d = xs_directory(xs(), XBT_NULL, path, &n);
	assert_non_null(d);
	char got[512] = "";
	for (unsigned i = 0; i < n; i++) {
		strcat(got, i ? " " : "");
		strcat(got, d[i]);
	}
	free(d);
	if (strcmp(got, want))
		fail_msg("children of %s: %s\nwant: %s", path, got, want);
}

static void make_domain(unsigned domid, const char *name)
{
	char p[64];
	snprintf(p, sizeof(p), "/local/domain/%u/name", domid);
	put(p, name);
	snprintf(p, sizeof(p), "/local/domain/%u", domid);
	struct xs_permissions perms[2] = {{0, XS_PERM_NONE}, {domid, XS_PERM_READ}};
	assert_true(xs_set_permissions(xs(), XBT_NULL, p, perms, 2));
}

static struct ts *ts_ok(void)
{
	struct ts *t;
	struct ts_error err;
	if (ts_open(&t, &err))
		fail_msg("ts_open: %s", err.msg);
	return t;
}

static struct cfg_channel chan(const char *spec)
{
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_channel c;
	if (cfg_channel_parse(spec, NULL, 0, NULL, 0, &c, &d)) {
		cfg_diag_print(&d, stderr);
		fail_msg("bad spec %s", spec);
	}
	cfg_diag_free(&d);
	return c;
}

static unsigned attach_ok(struct ts *t, unsigned domid, const char *spec)
{
	struct cfg_channel c = chan(spec);
	struct ts_error err;
	unsigned devid = 0;
	if (ts_attach(t, domid, &c, 0, &devid, &err))
		fail_msg("attach %s: %s", spec, err.msg);
	cfg_channel_clear(&c);
	return devid;
}

static int attach_err(struct ts *t, unsigned domid, const char *spec, unsigned flags,
                      struct ts_error *err)
{
	struct cfg_channel c = chan(spec);
	unsigned devid;
	int rc = ts_attach(t, domid, &c, flags, &devid, err);
	cfg_channel_clear(&c);
	assert_int_equal(rc, -1);
	return err->code;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_unreachable(void **state)
{
	setenv("XENSTORED_PATH", "/nonexistent/xenstored/socket", 1);
	struct ts *t = (struct ts *)1;
	struct ts_error err;
	assert_int_equal(ts_open(&t, &err), -1);
	setenv("XENSTORED_PATH", S.sock, 1);
	assert_null(t);
	assert_int_equal(err.code, EHOSTUNREACH);
	assert_non_null(strstr(err.msg, "cannot connect to /nonexistent/xenstored/socket"));
}

static void test_lookup(void **state)
{
	make_domain(3, "alpha");
	make_domain(4, "twin");
	make_domain(5, "twin");
	struct ts *t = ts_ok();
	struct ts_error err;
	uint32_t d;
	assert_int_equal(ts_domain_lookup(t, "alpha", &d, &err), 0);
	assert_int_equal(d, 3);
	assert_int_equal(ts_domain_lookup(t, "3", &d, &err), 0);
	assert_int_equal(d, 3);
	assert_int_equal(ts_domain_lookup(t, "03", &d, &err), -1); /* not a domid spelling */
	assert_int_equal(err.code, ENOENT);
	assert_int_equal(ts_domain_lookup(t, "99", &d, &err), -1);
	assert_string_equal(err.msg, "unknown domain 99: /local/domain/99 does not exist");
	assert_int_equal(ts_domain_lookup(t, "twin", &d, &err), -1);
	assert_non_null(strstr(err.msg, "ambiguous"));
	assert_int_equal(ts_domain_lookup(t, "no\001pe", &d, &err), -1);
	assert_string_equal(err.msg,
	                    "unknown domain `no\\x01pe': no domain has that name or domid");
	ts_close(t);
}

/* The exact libxl layout: keys, values, permissions and creation order. */
static void test_attach_layout(void **state)
{
	make_domain(7, "layout");
	struct ts *t = ts_ok();
	assert_int_equal(attach_ok(t, 7, "name=org.example.l.0,connection=socket,path=/run/l.sock"),
	                 1);
	const char *fe = "/local/domain/7/device/console/1";
	const char *be = "/local/domain/0/backend/console/7/1";
	const char *lp = "/libxl/7/device/console/1";
	assert_children(fe, "backend backend-id state protocol name limit type output tty");
	assert_perms(fe, "n7,r0");
	const char *rw[] = {"backend", "backend-id", "state", "protocol"};
	const char *ro[] = {"name", "limit", "type", "output", "tty"};
	char p[128];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", fe, rw[i]);
		assert_perms(p, "n7,r0");
	}
	for (size_t i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", fe, ro[i]);
		assert_perms(p, "n0,r7");
	}
	snprintf(p, sizeof(p), "%s/backend", fe);
	assert_read(p, be);
	snprintf(p, sizeof(p), "%s/output", fe);
	assert_read(p, "chardev:libxl-channel1");
	snprintf(p, sizeof(p), "%s/type", fe);
	assert_read(p, "xenchanneld");
	snprintf(p, sizeof(p), "%s/limit", fe);
	assert_read(p, "1048576");
	assert_children(be, "frontend frontend-id online state protocol name connection path");
	assert_perms(be, "n0,r7");
	snprintf(p, sizeof(p), "%s/path", be);
	assert_perms(p, "n0,r7");
	assert_read(p, "/run/l.sock");
	assert_children(lp,
	                "frontend backend frontend-id online state protocol name connection path");
	assert_perms(lp, "n0");
	/* the parent the guest may not recreate */
	assert_perms("/local/domain/7/device/console", "n0,r7");

	/* pty: no path anywhere, output pty */
	assert_int_equal(attach_ok(t, 7, "name=org.example.l.1,connection=pty"), 2);
	assert_children("/local/domain/0/backend/console/7/2",
	                "frontend frontend-id online state protocol name connection");
	assert_read("/local/domain/7/device/console/2/output", "pty");
	ts_close(t);
}

static void test_devid_allocation(void **state)
{
	make_domain(8, "alloc");
	struct ts *t = ts_ok();
	assert_int_equal(attach_ok(t, 8, "name=org.example.a.1,connection=pty"), 1);
	assert_int_equal(attach_ok(t, 8, "name=org.example.a.2,connection=pty"), 2);
	assert_int_equal(attach_ok(t, 8, "name=org.example.a.3,connection=pty"), 3);
	struct ts_detach_result r;
	struct ts_error err;
	assert_int_equal(ts_detach(t, 8, "2", 0, TS_FORCE, &r, &err), 0);
	assert_true(r.forced);
	assert_int_equal(attach_ok(t, 8, "name=org.example.a.4,connection=pty"), 2);
	/* a leftover backend directory keeps its devid busy */
	put("/local/domain/0/backend/console/8/4/state", "6");
	assert_int_equal(attach_ok(t, 8, "name=org.example.a.5,connection=pty"), 5);
	/* the primary console (devid 0) and nameless consoles are no channels */
	put("/libxl/8/device/console/0/type", "xenconsoled");
	put("/libxl/8/device/console/6/type", "ioemu");
	struct ts_channel_info *v;
	size_t n;
	assert_int_equal(ts_list(t, 8, &v, &n, &err), 0);
	assert_int_equal(n, 4);
	unsigned want[] = {1, 2, 3, 5};
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i].devid, want[i]);
	ts_list_free(v, n);
	ts_close(t);
}

static void test_refusals(void **state)
{
	make_domain(9, "strict");
	make_domain(10, "other");
	struct ts *t = ts_ok();
	struct ts_error err;
	attach_ok(t, 9, "name=org.example.r.0,connection=socket,path=/run/r.sock");
	assert_int_equal(attach_err(t, 9, "name=org.example.r.0,connection=pty", 0, &err), EEXIST);
	assert_int_equal(
	    attach_err(t, 10, "name=org.example.s.0,connection=socket,path=/run/r.sock", 0, &err),
	    EADDRINUSE);
	assert_string_equal(err.msg,
	                    "path /run/r.sock is already used by channel `org.example.r.0' "
	                    "(devid 1) of domain 9");
	/* a dead domain's leftover copy does not hold its path */
	put("/libxl/99/device/console/1/connection", "socket");
	put("/libxl/99/device/console/1/path", "/run/dead.sock");
	assert_int_equal(
	    attach_ok(t, 10, "name=org.example.d.0,connection=socket,path=/run/dead.sock"), 1);
	/* the same name in another domain is fine */
	assert_int_equal(attach_ok(t, 10, "name=org.example.r.0,connection=pty"), 2);
	assert_int_equal(attach_err(t, 11, "name=org.example.t.0,connection=pty", 0, &err), ENOENT);
	assert_int_equal(attach_err(t, 0, "name=org.example.t.0,connection=pty", 0, &err), EINVAL);
	assert_non_null(strstr(err.msg, "domain 0 would be both ends"));

	/* values that did not come through the parser are checked again */
	struct cfg_channel c = {.name = "bad name", .connection = CFG_CONN_PTY};
	unsigned devid;
	assert_int_equal(ts_attach(t, 9, &c, 0, &devid, &err), -1);
	assert_int_equal(err.code, EINVAL);
	c.name = "org.example.ok.0";
	c.connection = CFG_CONN_SOCKET;
	c.path = "relative.sock";
	assert_int_equal(ts_attach(t, 9, &c, 0, &devid, &err), -1);
	assert_int_equal(err.code, EINVAL);
	c.connection = CFG_CONN_UNKNOWN;
	assert_int_equal(ts_attach(t, 9, &c, 0, &devid, &err), -1);
	c.connection = CFG_CONN_PTY;
	c.path = NULL;
	c.backend = "nosuchdomain";
	assert_int_equal(ts_attach(t, 9, &c, 0, &devid, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, "backend: unknown domain `nosuchdomain'"));
	ts_close(t);
}

static void test_limits(void **state)
{
	make_domain(12, "full");
	struct ts *t = ts_ok();
	struct ts_error err;
	char spec[80];
	for (unsigned i = 1; i <= 7; i++) {
		snprintf(spec, sizeof(spec), "name=org.example.f.%u,connection=pty", i);
		assert_int_equal(attach_ok(t, 12, spec), i);
	}
	assert_int_equal(attach_err(t, 12, "name=org.example.f.8,connection=pty", 0, &err), ENOSPC);
	assert_non_null(strstr(err.msg, "hvc0-hvc7"));
	struct cfg_channel c = chan("name=org.example.f.8,connection=pty");
	unsigned devid;
	assert_int_equal(ts_attach(t, 12, &c, TS_FORCE, &devid, &err), 0);
	assert_int_equal(devid, 8);
	cfg_channel_clear(&c);
	c = chan("name=org.example.f.9,connection=pty");
	assert_int_equal(ts_attach(t, 12, &c, TS_FORCE, &devid, &err), 0);
	assert_int_equal(devid, 9);
	cfg_channel_clear(&c);
	assert_int_equal(attach_err(t, 12, "name=org.example.f.10,connection=pty", 0, &err),
	                 ENOSPC);
	assert_non_null(strstr(err.msg, "devid 10 would be taken for 0"));
	ts_close(t);
}

/* What list shows comes from dom0's copy; the guest's keys cannot lie. */
static void test_list_trusts_dom0_copy(void **state)
{
	make_domain(13, "liar");
	struct ts *t = ts_ok();
	attach_ok(t, 13, "name=org.example.true.0,connection=socket,path=/run/true.sock");
	/* what a hostile guest could do to keys it owns */
	put("/local/domain/13/device/console/1/backend", "/local/domain/0/backend/console/13/9");
	put("/local/domain/13/device/console/1/state", "4x");
	put("/local/domain/0/backend/console/13/1/state", "4");
	struct ts_channel_info *v;
	size_t n;
	struct ts_error err;
	assert_int_equal(ts_list(t, 13, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].domain, "liar");
	assert_string_equal(v[0].name, "org.example.true.0");
	assert_string_equal(v[0].path, "/run/true.sock");
	assert_string_equal(v[0].backend, "/local/domain/0/backend/console/13/1");
	assert_string_equal(ts_state_name(v[0].fe_state), "invalid");
	assert_string_equal(ts_state_name(v[0].be_state), "Connected");
	assert_string_equal(v[0].type, "xenchanneld");
	assert_null(v[0].tty);
	ts_list_free(v, n);
	/* detach follows the dom0 copy's backend too */
	struct ts_detach_result r;
	assert_int_equal(ts_detach(t, 13, "org.example.true.0", 0, TS_FORCE, &r, &err), 0);
	assert_null(get("/local/domain/0/backend/console/13/1"));
	assert_int_equal(ts_list(t, 13, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	ts_list_free(v, n);
	assert_int_equal(ts_list(t, 4242, &v, &n, &err), -1);
	assert_int_equal(err.code, ENOENT);
	ts_close(t);
}

/* A frontend that follows the protocol: on backend Closing, go Closed. */
struct fe_thread {
	unsigned domid, devid;
	int delay_events; /* ignore this many Closing sightings first */
};

static void *frontend_main(void *arg)
{
	struct fe_thread *f = arg;
	struct xs_handle *h = xs_open(0);
	char be[128], fe[128];
	snprintf(be, sizeof(be), "/local/domain/0/backend/console/%u/%u/state", f->domid, f->devid);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/console/%u/state", f->domid, f->devid);
	xs_watch(h, be, "be");
	for (;;) {
		struct pollfd p = {.fd = xs_fileno(h), .events = POLLIN};
		if (poll(&p, 1, 10000) <= 0)
			break;
		char **ev;
		while ((ev = xs_check_watch(h)))
			free(ev);
		unsigned len;
		char *v = xs_read(h, XBT_NULL, be, &len);
		int closing = v && !strcmp(v, "5");
		free(v);
		if (closing) {
			xs_write(h, XBT_NULL, fe, "6", 1);
			break;
		}
	}
	xs_close(h);
	return NULL;
}

static void test_detach_handshake(void **state)
{
	make_domain(14, "polite");
	struct ts *t = ts_ok();
	attach_ok(t, 14, "name=org.example.p.0,connection=pty");
	pthread_t th;
	struct fe_thread f = {14, 1, 0};
	assert_int_equal(pthread_create(&th, NULL, frontend_main, &f), 0);
	struct ts_detach_result r;
	struct ts_error err;
	/* the watch is set before Closing is written, so no event is missed */
	int rc = ts_detach(t, 14, "org.example.p.0", 10000, 0, &r, &err);
	pthread_join(th, NULL);
	if (rc)
		fail_msg("detach: %s", err.msg);
	assert_false(r.forced);
	assert_int_equal(r.devid, 1);
	assert_null(get("/local/domain/14/device/console/1"));
	assert_null(get("/libxl/14/device/console/1"));

	/* a frontend directory that is already gone needs no answer */
	attach_ok(t, 14, "name=org.example.p.1,connection=pty");
	assert_true(xs_rm(xs(), XBT_NULL, "/local/domain/14/device/console/1"));
	assert_int_equal(ts_detach(t, 14, "1", 0, 0, &r, &err), 0);
	assert_null(get("/local/domain/0/backend/console/14/1"));
	ts_close(t);
}

/* A backend process: once the frontend is Closed, write backend Closed. */
static void *backend_main(void *arg)
{
	struct fe_thread *f = arg;
	struct xs_handle *h = xs_open(0);
	char be[128], fe[128];
	snprintf(be, sizeof(be), "/local/domain/0/backend/console/%u/%u/state", f->domid, f->devid);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/console/%u/state", f->domid, f->devid);
	xs_watch(h, fe, "fe");
	for (;;) {
		struct pollfd p = {.fd = xs_fileno(h), .events = POLLIN};
		if (poll(&p, 1, 10000) <= 0)
			break;
		char **ev;
		while ((ev = xs_check_watch(h)))
			free(ev);
		unsigned len;
		char *v = xs_read(h, XBT_NULL, fe, &len);
		int closed = v && !strcmp(v, "6");
		free(v);
		if (closed) {
			xs_write(h, XBT_NULL, be, "6", 1);
			break;
		}
	}
	xs_close(h);
	return NULL;
}

/* A served channel (backend past Initialising): the backend's Closed is
 * awaited too, and a silent backend is named as the side that failed. */
static void test_detach_served(void **state)
{
	make_domain(16, "served");
	struct ts *t = ts_ok();
	attach_ok(t, 16, "name=org.example.v.0,connection=pty");
	put("/local/domain/0/backend/console/16/1/state", "4");
	put("/local/domain/16/device/console/1/state", "4");
	pthread_t fth;
	struct fe_thread f = {16, 1, 0};
	assert_int_equal(pthread_create(&fth, NULL, frontend_main, &f), 0);
	struct ts_detach_result r;
	struct ts_error err;
	int rc = ts_detach(t, 16, "1", 300, 0, &r, &err);
	pthread_join(fth, NULL);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, ETIMEDOUT);
	assert_string_equal(
	    err.msg, "the backend of channel 1 of domain 16 "
	             "(/local/domain/0/backend/console/16/1) did not answer: its state is "
	             "Closing, not Closed, after 300 ms (is its backend daemon running?); the "
	             "channel stays; --force removes it anyway");
	assert_read("/local/domain/16/device/console/1/state", "6");

	/* with a backend that answers */
	attach_ok(t, 16, "name=org.example.v.1,connection=pty");
	put("/local/domain/0/backend/console/16/2/state", "4");
	put("/local/domain/16/device/console/2/state", "4");
	pthread_t bth;
	struct fe_thread f2 = {16, 2, 0};
	assert_int_equal(pthread_create(&fth, NULL, frontend_main, &f2), 0);
	assert_int_equal(pthread_create(&bth, NULL, backend_main, &f2), 0);
	rc = ts_detach(t, 16, "org.example.v.1", 10000, 0, &r, &err);
	pthread_join(fth, NULL);
	pthread_join(bth, NULL);
	if (rc)
		fail_msg("detach: %s", err.msg);
	assert_false(r.forced);
	assert_null(get("/local/domain/0/backend/console/16/2"));

	/* the first one, once its backend got there, detaches at once */
	put("/local/domain/0/backend/console/16/1/state", "6");
	assert_int_equal(ts_detach(t, 16, "1", 0, 0, &r, &err), 0);
	ts_close(t);
}

static void test_detach_timeout(void **state)
{
	make_domain(15, "silent");
	struct ts *t = ts_ok();
	attach_ok(t, 15, "name=org.example.q.0,connection=pty");
	struct ts_detach_result r;
	struct ts_error err;
	assert_int_equal(ts_detach(t, 15, "org.example.q.0", 200, 0, &r, &err), -1);
	assert_int_equal(err.code, ETIMEDOUT);
	assert_string_equal(err.msg,
	                    "the frontend of domain 15 (/local/domain/15/device/console/1) did not "
	                    "answer: its state is Initialising, not Closed, after 200 ms; the "
	                    "channel stays (backend state Closing); --force removes it anyway");
	assert_read("/local/domain/0/backend/console/15/1/state", "5");
	assert_read("/libxl/15/device/console/1/name", "org.example.q.0");
	assert_int_equal(ts_detach(t, 15, "org.example.q.0", 0, TS_FORCE, &r, &err), 0);
	assert_true(r.forced);
	assert_non_null(strstr(r.note, "removed anyway (--force)"));
	assert_null(get("/libxl/15/device/console/1"));

	assert_int_equal(ts_detach(t, 15, "org.example.q.0", 0, 0, &r, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_int_equal(ts_detach(t, 15, "0", 0, 0, &r, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_int_equal(ts_detach(t, 15, "3", 0, 0, &r, &err), -1);
	assert_string_equal(err.msg, "domain 15 has no channel with devid 3");
	assert_int_equal(ts_detach(t, 77, "3", 0, 0, &r, &err), -1);
	assert_int_equal(err.code, ENOENT);
	ts_close(t);
}

/* The one-daemon lock: claimed once, visible to ts_backend_running without
 * taking it, refused to a second claimer with the holder named. */
static void test_backend_lock(void **state)
{
	char dir[] = "/tmp/ts-lock.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *old = getenv("XENSIM_RUN_DIR") ? strdup(getenv("XENSIM_RUN_DIR")) : NULL;
	setenv("XENSIM_RUN_DIR", dir, 1);
	struct ts_backend b;
	struct ts_error err;
	assert_int_equal(ts_backend_running(&b, &err), 0);
	int fd = ts_backend_claim("/x/control.sock", &b, &err);
	assert_true(fd >= 0);
	assert_int_equal(ts_backend_running(&b, &err), 1);
	assert_int_equal(b.pid, (long)getpid());
	assert_string_equal(b.control, "/x/control.sock");
	assert_int_equal(ts_backend_claim("/y/other.sock", &b, &err), -1);
	assert_int_equal(err.code, EEXIST);
	char want[512];
	snprintf(want, sizeof(want),
	         "another xenchanneld (pid %ld, control socket /x/control.sock) already serves "
	         "this host (it holds %s/xenchanneld.lock); only one may",
	         (long)getpid(), dir);
	assert_string_equal(err.msg, want);
	close(fd);
	assert_int_equal(ts_backend_running(&b, &err), 0);
	fd = ts_backend_claim("/y/other.sock", &b, &err); /* a restart takes over */
	assert_true(fd >= 0);
	ts_backend_release(fd, &b); /* a clean exit leaves no file */
	assert_int_equal(rmdir(dir), 0);
	if (old)
		setenv("XENSIM_RUN_DIR", old, 1);
	else
		unsetenv("XENSIM_RUN_DIR");
	free(old);
}

/* A backend that refuses every channel of domain 16 and a frontend that
 * answers the close at once, in a thread of their own. */
static void *refusing_backend(void *arg)
{
	struct xs_handle *h = xs_open(0);
	assert_non_null(h);
	assert_true(xs_watch(h, "/local/domain/0/backend/console/16", "b"));
	unsigned len;
	char *v;
	while (!(v = xs_read(h, XBT_NULL, "/local/domain/0/backend/console/16/1/state", &len))) {
		unsigned n;
		free(xs_read_watch(h, &n));
	}
	free(v);
	const char *why = "socket path '/w/x.sock': parent '/w' is world-writable";
	xs_write(h, XBT_NULL, "/local/domain/0/backend/console/16/1/hotplug-error", why,
	         (unsigned)strlen(why));
	xs_write(h, XBT_NULL, "/local/domain/0/backend/console/16/1/hotplug-status", "error", 5);
	xs_write(h, XBT_NULL, "/local/domain/16/device/console/1/state", "6", 1);
	xs_close(h);
	return NULL;
}

/* A guest's frontend: Initialised (3) as soon as device/console/1 appears,
 * whatever the backend does (as Linux's hvc_xen probe). */
static void *initialising_frontend(void *arg)
{
	struct xs_handle *h = xs_open(0);
	assert_non_null(h);
	assert_true(xs_watch(h, "/local/domain/16/device/console", "f"));
	unsigned len;
	char *v;
	while (!(v = xs_read(h, XBT_NULL, "/local/domain/16/device/console/1/state", &len))) {
		unsigned n;
		free(xs_read_watch(h, &n));
	}
	free(v);
	xs_write(h, XBT_NULL, "/local/domain/16/device/console/1/state", "3", 1);
	xs_close(h);
	return NULL;
}

static void test_attach_wait(void **state)
{
	make_domain(16, "judged");
	struct ts *t = ts_ok();
	struct cfg_channel c = chan("name=org.example.w.0,connection=socket,path=/w/x.sock");
	struct ts_error err;
	unsigned devid;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, refusing_backend, NULL), 0);
	assert_int_equal(ts_attach_wait(t, 16, &c, 0, 10000, &devid, &err), -1);
	pthread_join(th, NULL);
	assert_int_equal(err.code, ECONNREFUSED);
	assert_int_equal(devid, 1);
	assert_string_equal(err.msg, "the backend refused channel `org.example.w.0' (devid 1) of "
	                             "domain 16: socket path '/w/x.sock': parent '/w' is "
	                             "world-writable; removed it again");
	assert_null(get("/local/domain/16/device/console/1"));
	assert_null(get("/local/domain/0/backend/console/16/1"));
	assert_null(get("/libxl/16/device/console/1"));

	/* nobody answers: no daemon holds the lock of this (empty) run dir */
	char dir[] = "/tmp/ts-wait.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *old = getenv("XENSIM_RUN_DIR") ? strdup(getenv("XENSIM_RUN_DIR")) : NULL;
	setenv("XENSIM_RUN_DIR", dir, 1);
	uint64_t t0 = loop_now_ms();
	assert_int_equal(ts_attach_wait(t, 16, &c, 0, 300, &devid, &err), -1);
	assert_true(loop_now_ms() - t0 >= 300);
	assert_int_equal(err.code, ETIMEDOUT);
	/* nothing plays the guest here: its frontend stays Initialising, so the
	 * message names the guest kernels that never initialise a channel */
	char want[1024];
	snprintf(want, sizeof(want),
	         "no backend answered within 0.3 s for channel `org.example.w.0' (devid 1) of "
	         "domain 16: is xenchanneld running? It is not: no process holds "
	         "%s/xenchanneld.lock; start it (or attach with --no-wait for a backend started "
	         "later); the guest's frontend never initialised either: Linux 5.16 to 6.6 "
	         "guest kernels without the late-2023 stable updates cannot probe secondary "
	         "consoles (guest kernel log: \"probe of console-N failed with error -2\"), nor "
	         "a guest still booting or without hvc_xen (see xen-console-setup(8)); removed "
	         "it again",
	         dir);
	assert_string_equal(err.msg, want);
	assert_null(get("/libxl/16/device/console/1"));
	assert_null(get("/local/domain/0/backend/console/16/1"));

	/* a guest whose frontend initialises: no word about guest kernels */
	pthread_t fe;
	assert_int_equal(pthread_create(&fe, NULL, initialising_frontend, NULL), 0);
	assert_int_equal(ts_attach_wait(t, 16, &c, 0, 300, &devid, &err), -1);
	pthread_join(fe, NULL);
	assert_int_equal(err.code, ETIMEDOUT);
	assert_non_null(strstr(err.msg, "is xenchanneld running? It is not"));
	assert_null(strstr(err.msg, "frontend never initialised"));
	rmdir(dir);
	if (old)
		setenv("XENSIM_RUN_DIR", old, 1);
	else
		unsetenv("XENSIM_RUN_DIR");
	free(old);
	cfg_channel_clear(&c);
	ts_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unreachable),
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_attach_layout),
	    cmocka_unit_test(test_devid_allocation),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_list_trusts_dom0_copy),
	    cmocka_unit_test(test_detach_handshake),
	    cmocka_unit_test(test_detach_served),
	    cmocka_unit_test(test_detach_timeout),
	    cmocka_unit_test(test_backend_lock),
	    cmocka_unit_test(test_attach_wait),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
