/*
 * test-hyp.c - the simulated hypervisor's rules, checked against Xen's:
 * domain ids, port numbering, binding errors, close semantics, the pending
 * bit set on bind, grants and their error codes, teardown of a domain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hyp.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Owners stand in for client connections; events they get are recorded. */
struct owner {
	int nbound, nunbound;
	uint32_t last_port, last_rdom, last_rport;
	int last_fd;
};

static void record(void *o, const struct simw_msg *m, int fd, void *arg)
{
	struct owner *w = o;
	(void)arg;
	if (m->type == SIMW_EV_BOUND)
		w->nbound++;
	else if (m->type == SIMW_EV_UNBOUND)
		w->nunbound++;
	w->last_port = m->a[0];
	w->last_rdom = m->a[1];
	w->last_rport = m->a[2];
	w->last_fd = fd;
}

struct world {
	struct hyp h;
	struct hyp_domain *dom0, *d1, *d2;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	hyp_init(&w->h);
	w->h.send_event = record;
	assert_int_equal(hyp_domain_create(&w->h, 0, "Domain-0", &w->dom0), 0);
	assert_int_equal(hyp_domain_create(&w->h, HYP_NEW_DOMID, "guest1", &w->d1), 1);
	assert_int_equal(hyp_domain_create(&w->h, HYP_NEW_DOMID, "guest2", &w->d2), 2);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	w->h.send_event = NULL; /* the tests' owners lived on their stacks */
	hyp_fini(&w->h);
	free(w);
	return 0;
}

static int readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1;
}

static void test_domains(void **state)
{
	struct world *w = *state;
	struct hyp_domain *d;
	assert_int_equal(hyp_domain_create(&w->h, HYP_NEW_DOMID, "guest1", &d), -EEXIST);
	assert_int_equal(hyp_domain_create(&w->h, HYP_NEW_DOMID, "1234", &d), -EINVAL);
	assert_int_equal(hyp_domain_create(&w->h, HYP_NEW_DOMID, "bad name", &d), -EINVAL);
	assert_int_equal(hyp_domain_create(&w->h, HYP_NEW_DOMID, "", &d), -EINVAL);
	/* Xen hands out increasing ids and does not reuse a freed one at once. */
	hyp_domain_destroy(&w->h, w->d2);
	w->d2 = NULL;
	assert_int_equal(hyp_domain_create(&w->h, HYP_NEW_DOMID, "guest3", &d), 3);
	assert_ptr_equal(hyp_domain_by_name(&w->h, "guest3"), d);
	assert_null(hyp_domain_find(&w->h, 2));
	assert_string_not_equal(d->uuid, w->d1->uuid);
	assert_int_equal(strlen(d->uuid), 36);
}

static void test_port_numbering(void **state)
{
	struct world *w = *state;
	struct owner a = {0};
	int efd;
	/* dom0: port 0 reserved, first port 1. A guest's port 1 is its xenstore
	 * channel (allocated by the toolstack), so its first own port is 2. */
	assert_int_equal(hyp_evtchn_alloc_unbound(&w->h, w->dom0, &a, 1, &efd), 1);
	assert_int_equal(w->d1->store_port, 1);
	assert_int_equal(hyp_evtchn_alloc_unbound(&w->h, w->d1, &a, 0, &efd), 2);
	assert_int_equal(hyp_evtchn_alloc_unbound(&w->h, w->d1, &a, 0, &efd), 3);
	assert_int_equal(hyp_evtchn_close(&w->h, w->d1, &a, 2), 0);
	/* lowest free port is reused */
	assert_int_equal(hyp_evtchn_alloc_unbound(&w->h, w->d1, &a, 0, &efd), 2);
	/* alloc_unbound does not check that the remote domain exists */
	assert_true(hyp_evtchn_alloc_unbound(&w->h, w->d1, &a, 77, &efd) > 0);
	assert_int_equal(hyp_evtchn_alloc_unbound(&w->h, w->d1, &a, 0x7FF5, &efd), -EINVAL);
}

static void test_ports_run_out(void **state)
{
	struct world *w = *state;
	struct owner a = {0};
	int efd, last = 0;
	for (uint32_t i = 2; i < HYP_DOMU_PORTS; i++)
		last = hyp_evtchn_alloc_unbound(&w->h, w->d1, &a, 0, &efd);
	assert_int_equal(last, HYP_DOMU_PORTS - 1);
	assert_int_equal(hyp_evtchn_alloc_unbound(&w->h, w->d1, &a, 0, &efd), -ENOSPC);
}

static void test_bind(void **state)
{
	struct world *w = *state;
	struct owner fe = {0}, be = {0};
	int gefd, lefd, refd;
	uint32_t st[3];
	int gport = hyp_evtchn_alloc_unbound(&w->h, w->d1, &fe, 0, &gefd);
	assert_true(gport > 0);
	assert_int_equal(hyp_evtchn_status(&w->h, w->d1, SIMW_DOMID_SELF, (uint32_t)gport, st), 0);
	assert_int_equal(st[0], SIMW_EVTCHNSTAT_unbound);
	assert_int_equal(st[1], 0);

	/* wrong remote domain, unknown domain, bad ports: Xen's errors */
	assert_int_equal(hyp_evtchn_bind(&w->h, w->d2, &be, 1, (uint32_t)gport, &lefd, &refd),
	                 -EINVAL);
	assert_int_equal(hyp_evtchn_bind(&w->h, w->dom0, &be, 42, 1, &lefd, &refd), -ESRCH);
	assert_int_equal(hyp_evtchn_bind(&w->h, w->dom0, &be, 1, 999, &lefd, &refd), -EINVAL);
	assert_int_equal(hyp_evtchn_bind(&w->h, w->dom0, &be, 1, 5000, &lefd, &refd), -EINVAL);
	assert_int_equal(hyp_evtchn_bind(&w->h, w->dom0, &be, 1, 0, &lefd, &refd), -EINVAL);

	int bport = hyp_evtchn_bind(&w->h, w->dom0, &be, 1, (uint32_t)gport, &lefd, &refd);
	assert_int_equal(bport, 1);
	assert_int_equal(refd, gefd);
	/* the new local port starts pending; the guest's does not */
	assert_true(readable(lefd));
	assert_false(readable(gefd));
	/* the allocating side learns the binder's eventfd */
	assert_int_equal(fe.nbound, 1);
	assert_int_equal(fe.last_port, (uint32_t)gport);
	assert_int_equal(fe.last_rdom, 0);
	assert_int_equal(fe.last_rport, (uint32_t)bport);
	assert_int_equal(fe.last_fd, lefd);
	assert_int_equal(hyp_evtchn_status(&w->h, w->dom0, 1, (uint32_t)gport, st), 0);
	assert_int_equal(st[0], SIMW_EVTCHNSTAT_interdomain);
	assert_int_equal(st[1], 0);
	assert_int_equal(st[2], (uint32_t)bport);
	/* an unprivileged domain may not look at another's ports */
	assert_int_equal(hyp_evtchn_status(&w->h, w->d1, 0, 1, st), -EPERM);

	/* a bound port cannot be bound again */
	assert_int_equal(hyp_evtchn_bind(&w->h, w->dom0, &be, 1, (uint32_t)gport, &lefd, &refd),
	                 -EINVAL);
	/* only the owner may close it */
	assert_int_equal(hyp_evtchn_close(&w->h, w->dom0, &fe, (uint32_t)bport), -ENOTCONN);
	assert_int_equal(hyp_evtchn_close(&w->h, w->dom0, &be, 4000), -EINVAL);
	assert_int_equal(hyp_evtchn_close(&w->h, w->dom0, &be, 0), -EINVAL);

	/* backend unbinds: the guest's port is unbound again, offered to dom0,
	 * with a fresh eventfd, and can be bound anew */
	assert_int_equal(hyp_evtchn_close(&w->h, w->dom0, &be, (uint32_t)bport), 0);
	assert_int_equal(fe.nunbound, 1);
	assert_int_equal(fe.last_port, (uint32_t)gport);
	assert_int_not_equal(fe.last_fd, gefd);
	assert_int_equal(hyp_evtchn_status(&w->h, w->d1, SIMW_DOMID_SELF, (uint32_t)gport, st), 0);
	assert_int_equal(st[0], SIMW_EVTCHNSTAT_unbound);
	assert_int_equal(st[1], 0);
	assert_int_equal(hyp_evtchn_bind(&w->h, w->dom0, &be, 1, (uint32_t)gport, &lefd, &refd),
	                 bport);
}

static void test_loopback(void **state)
{
	struct world *w = *state;
	struct owner a = {0};
	int efd, lefd, refd;
	int p = hyp_evtchn_alloc_unbound(&w->h, w->d1, &a, SIMW_DOMID_SELF, &efd);
	assert_true(p > 0);
	int q = hyp_evtchn_bind(&w->h, w->d1, &a, SIMW_DOMID_SELF, (uint32_t)p, &lefd, &refd);
	assert_true(q > 0 && q != p);
	assert_int_equal(refd, efd);
}

static void test_domain_destroy_closes_peers(void **state)
{
	struct world *w = *state;
	struct owner fe = {0}, be = {0};
	int gefd, lefd, refd;
	uint32_t st[3];
	int gport = hyp_evtchn_alloc_unbound(&w->h, w->d1, &fe, 0, &gefd);
	int bport = hyp_evtchn_bind(&w->h, w->dom0, &be, 1, (uint32_t)gport, &lefd, &refd);
	assert_true(bport > 0);
	hyp_domain_destroy(&w->h, w->d1);
	w->d1 = NULL;
	/* dom0's end is unbound, offered to the dead domain; its owner is told */
	assert_int_equal(be.nunbound, 1);
	assert_int_equal(be.last_port, (uint32_t)bport);
	assert_int_equal(hyp_evtchn_status(&w->h, w->dom0, 0, (uint32_t)bport, st), 0);
	assert_int_equal(st[0], SIMW_EVTCHNSTAT_unbound);
	assert_int_equal(st[1], 1);
	assert_int_equal(hyp_evtchn_bind(&w->h, w->dom0, &be, 1, (uint32_t)gport, &lefd, &refd),
	                 -ESRCH);
	/* closing it still works */
	assert_int_equal(hyp_evtchn_close(&w->h, w->dom0, &be, (uint32_t)bport), 0);
}

static void test_owner_gone(void **state)
{
	struct world *w = *state;
	struct owner fe = {0}, be = {0};
	int gefd, lefd, refd;
	uint32_t st[3];
	int gport = hyp_evtchn_alloc_unbound(&w->h, w->d1, &fe, 0, &gefd);
	int bport = hyp_evtchn_bind(&w->h, w->dom0, &be, 1, (uint32_t)gport, &lefd, &refd);
	hyp_owner_gone(&w->h, 0, &be);
	assert_int_equal(hyp_evtchn_status(&w->h, w->dom0, 0, (uint32_t)bport, st), 0);
	assert_int_equal(st[0], SIMW_EVTCHNSTAT_closed);
	assert_int_equal(hyp_evtchn_status(&w->h, w->d1, SIMW_DOMID_SELF, (uint32_t)gport, st), 0);
	assert_int_equal(st[0], SIMW_EVTCHNSTAT_unbound);
	assert_int_equal(fe.nunbound, 1);
}

static void test_grants(void **state)
{
	struct world *w = *state;
	struct owner fe = {0}, be = {0}, other = {0};
	int fd, mfd;
	int gref = hyp_gnt_share(&w->h, w->d1, &fe, 0, 1, &fd);
	assert_int_equal(gref, HYP_GREF_FIRST);
	char *g = mmap(NULL, SIMW_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_ptr_not_equal(g, MAP_FAILED);
	assert_int_equal(g[0], 0); /* a zeroed page */
	strcpy(g, "ring");

	/* what gntdev reports for GNTST_bad_gntref / bad_domain / permission */
	assert_int_equal(hyp_gnt_map(&w->h, w->dom0, &be, 1, 4242, &mfd), -EINVAL);
	assert_int_equal(hyp_gnt_map(&w->h, w->dom0, &be, 1, 3, &mfd), -EINVAL);
	assert_int_equal(hyp_gnt_map(&w->h, w->dom0, &be, 1, (uint32_t)gref + 1, &mfd), -EINVAL);
	assert_int_equal(hyp_gnt_map(&w->h, w->dom0, &be, 99, (uint32_t)gref, &mfd), -EINVAL);
	assert_int_equal(hyp_gnt_map(&w->h, w->d2, &other, 1, (uint32_t)gref, &mfd), -EINVAL);
	int ro = hyp_gnt_share(&w->h, w->d1, &fe, 0, 0, &fd);
	assert_int_equal(hyp_gnt_map(&w->h, w->dom0, &be, 1, (uint32_t)ro, &mfd), -EINVAL);

	int id = hyp_gnt_map(&w->h, w->dom0, &be, 1, (uint32_t)gref, &mfd);
	assert_true(id > 0);
	char *m = mmap(NULL, SIMW_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	assert_ptr_not_equal(m, MAP_FAILED);
	assert_string_equal(m, "ring");
	m[0] = 'R';
	assert_int_equal(g[0], 'R');

	/* only the sharer may end the grant; while mapped the ref stays taken
	 * and new mappings fail */
	assert_int_equal(hyp_gnt_unshare(&w->h, w->d1, &other, (uint32_t)gref), -EINVAL);
	assert_int_equal(hyp_gnt_unshare(&w->h, w->d1, &fe, (uint32_t)gref), 0);
	assert_int_equal(hyp_gnt_map(&w->h, w->dom0, &be, 1, (uint32_t)gref, &mfd), -EINVAL);
	int again = hyp_gnt_share(&w->h, w->d1, &fe, 0, 1, &fd);
	assert_int_not_equal(again, gref);
	assert_int_equal(hyp_gnt_unmap(&w->h, &other, (uint32_t)id), -EINVAL);
	assert_int_equal(hyp_gnt_unmap(&w->h, &be, (uint32_t)id), 0);
	assert_int_equal(hyp_gnt_unmap(&w->h, &be, (uint32_t)id), -EINVAL);
	/* now the ref is free again */
	assert_int_equal(hyp_gnt_share(&w->h, w->d1, &fe, 0, 1, &fd), gref);
	munmap(m, SIMW_PAGE);
	munmap(g, SIMW_PAGE);
}

static void test_destroy_while_mapped(void **state)
{
	struct world *w = *state;
	struct owner fe = {0}, be = {0};
	int fd, mfd;
	int gref = hyp_gnt_share(&w->h, w->d1, &fe, 0, 1, &fd);
	int id = hyp_gnt_map(&w->h, w->dom0, &be, 1, (uint32_t)gref, &mfd);
	char *m = mmap(NULL, SIMW_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	assert_ptr_not_equal(m, MAP_FAILED);
	strcpy(m, "still here");
	hyp_domain_destroy(&w->h, w->d1);
	w->d1 = NULL;
	/* the mapping is still memory; mapping anew fails; unmapping works */
	assert_string_equal(m, "still here");
	m[0] = 'S';
	assert_int_equal(hyp_gnt_map(&w->h, w->dom0, &be, 1, (uint32_t)gref, &mfd), -EINVAL);
	assert_int_equal(hyp_gnt_unmap(&w->h, &be, (uint32_t)id), 0);
	munmap(m, SIMW_PAGE);
}

static void test_grants_run_out(void **state)
{
	struct world *w = *state;
	struct owner fe = {0};
	int fd, last = 0;
	for (uint32_t i = 0; i < HYP_GRANTS; i++)
		last = hyp_gnt_share(&w->h, w->d2, &fe, 0, 1, &fd);
	assert_int_equal(last, HYP_GREF_FIRST + HYP_GRANTS - 1);
	assert_int_equal(hyp_gnt_share(&w->h, w->d2, &fe, 0, 1, &fd), -ENOSPC);
	hyp_owner_gone(&w->h, 2, &fe);
	assert_int_equal(hyp_gnt_share(&w->h, w->d2, &fe, 0, 1, &fd), HYP_GREF_FIRST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_domains, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_numbering, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ports_run_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bind, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_domain_destroy_closes_peers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy_while_mapped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grants_run_out, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
