/*
 * test-xen-args.c - the xen back end's argument handling, over stand-ins for
 * libxenevtchn, libxengnttab and libxenstore defined here (the real ones
 * need a hypervisor). Checks what reaches the libraries, what is refused
 * before (EINVAL), and how a missing hypervisor is reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "xenchannel/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

/* ---- stand-ins ---- */

static struct {
	int open_fails;
	int pipe[2];
	const char *call;
	uint32_t a, b;
	int prot, count, writable;
	void *addr;
	const char *domid_key; /* value of "domid" in xenstore, NULL = unreadable */
} fake;

static char page[4096];

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *l, unsigned int flags)
{
	(void)l;
	(void)flags;
	if (fake.open_fails) {
		errno = ENOENT;
		return NULL;
	}
	return (xenevtchn_handle *)&fake;
}
int xenevtchn_close(xenevtchn_handle *x)
{
	(void)x;
	return 0;
}
int xenevtchn_fd(xenevtchn_handle *x)
{
	(void)x;
	return fake.pipe[0];
}
int xenevtchn_notify(xenevtchn_handle *x, evtchn_port_t port)
{
	(void)x;
	fake.call = "notify";
	fake.a = port;
	return 0;
}
xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *x, uint32_t domid)
{
	(void)x;
	fake.call = "bind_unbound";
	fake.a = domid;
	return 5;
}
xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *x, uint32_t domid,
                                                     evtchn_port_t rport)
{
	(void)x;
	fake.call = "bind_interdomain";
	fake.a = domid;
	fake.b = rport;
	return 6;
}
int xenevtchn_unbind(xenevtchn_handle *x, evtchn_port_t port)
{
	(void)x;
	fake.call = "unbind";
	fake.a = port;
	return 0;
}
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *x)
{
	(void)x;
	evtchn_port_t port;
	/* what libxenevtchn does: read a port from the (non-blocking) fd */
	if (read(fake.pipe[0], &port, sizeof(port)) != (ssize_t)sizeof(port))
		return -1;
	return (xenevtchn_port_or_error_t)port;
}
int xenevtchn_unmask(xenevtchn_handle *x, evtchn_port_t port)
{
	(void)x;
	fake.call = "unmask";
	fake.a = port;
	return 0;
}
xengnttab_handle *xengnttab_open(struct xentoollog_logger *l, unsigned int flags)
{
	(void)l;
	(void)flags;
	return (xengnttab_handle *)&fake;
}
int xengnttab_close(xengnttab_handle *x)
{
	(void)x;
	return 0;
}
void *xengnttab_map_grant_ref(xengnttab_handle *x, uint32_t domid, uint32_t ref, int prot)
{
	(void)x;
	fake.call = "map";
	fake.a = domid;
	fake.b = ref;
	fake.prot = prot;
	return page;
}
int xengnttab_unmap(xengnttab_handle *x, void *addr, uint32_t count)
{
	(void)x;
	fake.call = "unmap";
	fake.addr = addr;
	fake.count = (int)count;
	return 0;
}
xengntshr_handle *xengntshr_open(struct xentoollog_logger *l, unsigned int flags)
{
	(void)l;
	(void)flags;
	return (xengntshr_handle *)&fake;
}
int xengntshr_close(xengntshr_handle *x)
{
	(void)x;
	return 0;
}
void *xengntshr_share_pages(xengntshr_handle *x, uint32_t domid, int count, uint32_t *refs,
                            int writable)
{
	(void)x;
	fake.call = "share";
	fake.a = domid;
	fake.count = count;
	fake.writable = writable;
	refs[0] = 42;
	return page;
}
int xengntshr_unshare(xengntshr_handle *x, void *addr, uint32_t count)
{
	(void)x;
	fake.call = "unshare";
	fake.addr = addr;
	fake.count = (int)count;
	return 0;
}
struct xs_handle *xs_open(unsigned long flags)
{
	(void)flags;
	return (struct xs_handle *)&fake;
}
void xs_close(struct xs_handle *h)
{
	(void)h;
}
void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len)
{
	(void)h;
	(void)t;
	if (!fake.domid_key || strcmp(path, "domid") != 0) {
		errno = ENOENT;
		return NULL;
	}
	*len = (unsigned)strlen(fake.domid_key);
	return strdup(fake.domid_key);
}

/* ---- tests ---- */

static struct platform *open_xen(void)
{
	char err[256] = "";
	unsetenv("XENSIM_RUN_DIR");
	struct platform *p = platform_open(err, sizeof(err));
	assert_non_null(p);
	assert_string_equal(platform_name(p), "xen");
	return p;
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	return pipe(fake.pipe);
}

static int teardown(void **state)
{
	(void)state;
	close(fake.pipe[0]);
	close(fake.pipe[1]);
	return 0;
}

static void test_no_hypervisor(void **state)
{
	(void)state;
	char err[256] = "";
	unsetenv("XENSIM_RUN_DIR");
	fake.open_fails = 1;
	assert_null(platform_open(err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "event channel"));
	assert_non_null(strstr(err, "XENSIM_RUN_DIR"));
	/* an empty XENSIM_RUN_DIR does not select the simulator */
	setenv("XENSIM_RUN_DIR", "", 1);
	assert_null(platform_open(err, sizeof(err)));
	unsetenv("XENSIM_RUN_DIR");
}

static void test_domid(void **state)
{
	(void)state;
	struct platform *p = open_xen();
	assert_int_equal(platform_domid(p), 0); /* nothing written: dom0 */
	platform_close(p);
	fake.domid_key = "7";
	p = open_xen();
	assert_int_equal(platform_domid(p), 7);
	platform_close(p);
	fake.domid_key = "7x";
	p = open_xen();
	assert_int_equal(platform_domid(p), 0);
	platform_close(p);
}

static void test_evtchn(void **state)
{
	(void)state;
	struct platform *p = open_xen();
	struct plat_evtchn *h = plat_evtchn_open(p);
	assert_non_null(h);
	assert_int_equal(plat_evtchn_fd(h), fake.pipe[0]);
	/* the fd is made non-blocking, so pending() says EAGAIN, never sleeps */
	assert_true(fcntl(fake.pipe[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(plat_evtchn_pending(h), -1);
	assert_int_equal(errno, EAGAIN);
	evtchn_port_t port = 9;
	assert_int_equal(write(fake.pipe[1], &port, sizeof(port)), sizeof(port));
	assert_int_equal(plat_evtchn_pending(h), 9);

	assert_int_equal(plat_evtchn_bind_interdomain(h, 3, 12), 6);
	assert_string_equal(fake.call, "bind_interdomain");
	assert_int_equal(fake.a, 3);
	assert_int_equal(fake.b, 12);
	assert_int_equal(plat_evtchn_alloc_unbound(h, 4), 5);
	assert_string_equal(fake.call, "bind_unbound");
	assert_int_equal(fake.a, 4);
	assert_int_equal(plat_evtchn_notify(h, 6), 0);
	assert_string_equal(fake.call, "notify");
	assert_int_equal(plat_evtchn_unmask(h, 6), 0);
	assert_string_equal(fake.call, "unmask");
	assert_int_equal(plat_evtchn_unbind(h, 6), 0);
	assert_string_equal(fake.call, "unbind");

	/* refused before reaching the driver */
	fake.call = "none";
	assert_int_equal(plat_evtchn_bind_interdomain(h, 0x7FF1, 12), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(plat_evtchn_bind_interdomain(h, 3, 0), -1);
	assert_int_equal(plat_evtchn_bind_interdomain(h, 3, 1u << 17), -1);
	assert_int_equal(plat_evtchn_alloc_unbound(h, 0xFFFF), -1);
	assert_int_equal(plat_evtchn_notify(h, 0), -1);
	assert_int_equal(plat_evtchn_notify(h, 0x80000000u), -1);
	assert_int_equal(plat_evtchn_unbind(h, 0), -1);
	assert_int_equal(plat_evtchn_unmask(h, 1u << 20), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(fake.call, "none");
	/* DOMID_SELF is a valid remote for loopback channels */
	assert_int_equal(plat_evtchn_alloc_unbound(h, 0x7FF0), 5);
	plat_evtchn_close(h);
	platform_close(p);
}

static void test_grants(void **state)
{
	(void)state;
	struct platform *p = open_xen();
	struct plat_gnttab *g = plat_gnttab_open(p);
	struct plat_gntshr *s = plat_gntshr_open(p);
	assert_non_null(g);
	assert_non_null(s);
	assert_ptr_equal(plat_gnttab_map(g, 3, 8), page);
	assert_int_equal(fake.a, 3);
	assert_int_equal(fake.b, 8);
	assert_int_equal(fake.prot, PROT_READ | PROT_WRITE);
	assert_int_equal(plat_gnttab_unmap(g, page), 0);
	assert_ptr_equal(fake.addr, page);
	assert_int_equal(fake.count, 1);
	uint32_t gref = 0;
	assert_ptr_equal(plat_gntshr_share(s, 0, 5, &gref), page);
	assert_int_equal(gref, 42);
	assert_int_equal(fake.count, 1);
	assert_int_equal(fake.writable, 1); /* any non-zero means writable */
	assert_ptr_equal(plat_gntshr_share(s, 0, 0, &gref), page);
	assert_int_equal(fake.writable, 0);
	assert_int_equal(plat_gntshr_unshare(s, page), 0);
	assert_int_equal(fake.count, 1);

	fake.call = "none";
	assert_null(plat_gnttab_map(g, 0x7FF0, 8)); /* DOMID_SELF is no granter */
	assert_int_equal(errno, EINVAL);
	assert_null(plat_gntshr_share(s, 0x8000, 1, &gref));
	assert_null(plat_gntshr_share(s, 0, 1, NULL));
	assert_int_equal(plat_gnttab_unmap(g, NULL), -1);
	assert_int_equal(plat_gntshr_unshare(s, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(fake.call, "none");
	plat_gntshr_close(s);
	plat_gnttab_close(g);
	platform_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_no_hypervisor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_domid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_evtchn, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
