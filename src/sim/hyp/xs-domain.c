/*
 * xs-domain.c - the xenstore side of building and destroying a domain, as
 * libxl does it for a PV guest (libxl__domain_make, libxl__build_post,
 * libxl__destroy_domid): all through libxenstore against the simulator's
 * xenstored.
 */
#include "xensim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

#include "xenchannel/xstore.h"

struct xs_handle *xensim_xs_open(const struct xensim *x)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/xenstored/socket", x->run);
	/* always this simulator's xenstored, whatever the caller's environment */
	setenv("XENSTORED_PATH", path, 1);
	struct xs_handle *xs = xs_open(0);
	if (!xs)
		xensim_err("cannot connect to xenstored at %s: %s", path, strerror(errno));
	return xs;
}

static int mknod_perms(struct xs_handle *xs, xs_transaction_t t, const char *path,
                       struct xs_permissions *perms, unsigned n)
{
	if (!xs_write(xs, t, path, "", 0) || !xs_set_permissions(xs, t, path, perms, n)) {
		xensim_err("xenstore: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int put(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *val)
{
	if (!xs_write(xs, t, path, val, (unsigned)strlen(val))) {
		xensim_err("xenstore: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* libxl__domain_make: the skeleton, in one transaction. */
static int make(struct xs_handle *xs, xs_transaction_t t, uint32_t domid, const char *name,
                const char *uuid)
{
	char dom[64], vm[64], lx[64], p[160];
	struct xs_permissions noperm[1] = {{0, XS_PERM_NONE}};
	struct xs_permissions roperm[2] = {{0, XS_PERM_NONE}, {domid, XS_PERM_READ}};
	struct xs_permissions rwperm[1] = {{domid, XS_PERM_NONE}};
	static const char *const ro[] = {"cpu", "memory", "device", "control"};
	static const char *const rw[] = {"control/shutdown",
	                                 "control/feature-poweroff",
	                                 "control/feature-reboot",
	                                 "control/feature-suspend",
	                                 "control/sysrq",
	                                 "device/suspend/event-channel",
	                                 "data",
	                                 "drivers",
	                                 "feature",
	                                 "attr",
	                                 "error"};
	snprintf(dom, sizeof(dom), "/local/domain/%u", domid);
	snprintf(vm, sizeof(vm), "/vm/%s", uuid);
	snprintf(lx, sizeof(lx), "/libxl/%u", domid);
	xs_rm(xs, t, dom);
	if (mknod_perms(xs, t, dom, roperm, 2) < 0)
		return -1;
	xs_rm(xs, t, vm);
	if (mknod_perms(xs, t, vm, roperm, 2) < 0)
		return -1;
	xs_rm(xs, t, lx);
	snprintf(p, sizeof(p), "%s/device", lx);
	if (mknod_perms(xs, t, lx, noperm, 1) < 0 || mknod_perms(xs, t, p, noperm, 1) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/vm", dom);
	if (put(xs, t, p, vm) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/name", dom);
	if (put(xs, t, p, name) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dom, ro[i]);
		if (mknod_perms(xs, t, p, roperm, 2) < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dom, rw[i]);
		if (mknod_perms(xs, t, p, rwperm, 1) < 0)
			return -1;
	}
	snprintf(p, sizeof(p), "%s/uuid", vm);
	if (put(xs, t, p, uuid) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/name", vm);
	if (put(xs, t, p, name) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/control/platform-feature-multiprocessor-suspend", dom);
	if (put(xs, t, p, "1") < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/control/platform-feature-xs_reset_watches", dom);
	if (put(xs, t, p, "1") < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/type", lx);
	return put(xs, t, p, "pv");
}

/* libxl__build_post: what the guest finds once built. */
static int post(struct xs_handle *xs, xs_transaction_t t, uint32_t domid, const char *uuid,
                uint32_t store_port, uint64_t store_mfn)
{
	char dom[64], p[160], v[64];
	snprintf(dom, sizeof(dom), "/local/domain/%u", domid);
	const struct {
		const char *key;
		uint64_t val;
	} nums[] = {{"memory/static-max", 32768},
	            {"memory/target", 32768},
	            {"domid", domid},
	            {"store/port", store_port},
	            {"store/ring-ref", store_mfn}};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dom, nums[i].key);
		snprintf(v, sizeof(v), "%" PRIu64, nums[i].val);
		if (put(xs, t, p, v) < 0)
			return -1;
	}
	snprintf(p, sizeof(p), "%s/cpu/0/availability", dom);
	if (put(xs, t, p, "online") < 0)
		return -1;
	snprintf(p, sizeof(p), "/vm/%s/image/ostype", uuid);
	if (put(xs, t, p, "linux") < 0)
		return -1;
	snprintf(p, sizeof(p), "/vm/%s/start_time", uuid);
	snprintf(v, sizeof(v), "%lld.00", (long long)time(NULL));
	return put(xs, t, p, v);
}

struct domain_txn {
	uint32_t domid;
	const char *name, *uuid;
	uint32_t store_port;
	uint64_t store_mfn;
};

static int write_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	const struct domain_txn *a = arg;
	if (make(xs, t, a->domid, a->name, a->uuid) < 0 ||
	    post(xs, t, a->domid, a->uuid, a->store_port, a->store_mfn) < 0)
		return -1;
	return 0;
}

/* Why a domain transaction failed, for the message. */
static const char *tx_failure(int r)
{
	return r == XSTORE_TX_NOSTART ? "cannot start a transaction" : "commit failed";
}

int xensim_xs_domain_write(struct xs_handle *xs, uint32_t domid, const char *name, const char *uuid,
                           uint32_t store_port, uint64_t store_mfn)
{
	struct domain_txn a = {domid, name, uuid, store_port, store_mfn};
	int r = xstore_transact(xs, 100, write_body, &a);
	if (r == XSTORE_TX_FAILED)
		return -1; /* put() and mknod_perms() said what */
	if (r < 0) {
		xensim_err("xenstore: domain %u: %s: %s", domid, tx_failure(r), strerror(errno));
		return -1;
	}
	if (!xs_introduce_domain(xs, domid, store_mfn, store_port)) {
		xensim_err("xenstore: cannot introduce domain %u: %s", domid, strerror(errno));
		return -1;
	}
	return 0;
}

static void rm_quiet(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	if (!xs_rm(xs, t, path) && errno != ENOENT)
		xensim_err("xenstore: cannot remove %s: %s", path, strerror(errno));
}

struct paths {
	char **v;
	size_t n, cap;
};

static void paths_add(struct paths *p, const char *path)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		char **v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return;
		p->v = v;
		p->cap = cap;
	}
	char *d = strdup(path);
	if (d)
		p->v[p->n++] = d;
}

static void paths_free(struct paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	*p = (struct paths){0};
}

/* Every backend directory serving domid: the ones libxl recorded under
 * /libxl/<D>/device, and any /local/domain/<B>/backend/<kind>/<D>. Looked up
 * before the removal transaction, as libxl lists devices before it removes
 * them. */
static void find_backends(struct xs_handle *xs, uint32_t domid, struct paths *out)
{
	char p[256];
	unsigned nk = 0, nd = 0, nb = 0;
	snprintf(p, sizeof(p), "/libxl/%u/device", domid);
	char **kinds = xs_directory(xs, XBT_NULL, p, &nk);
	for (unsigned i = 0; kinds && i < nk; i++) {
		snprintf(p, sizeof(p), "/libxl/%u/device/%s", domid, kinds[i]);
		char **devs = xs_directory(xs, XBT_NULL, p, &nd);
		for (unsigned j = 0; devs && j < nd; j++) {
			unsigned len;
			snprintf(p, sizeof(p), "/libxl/%u/device/%s/%s/backend", domid, kinds[i],
			         devs[j]);
			char *be = xs_read(xs, XBT_NULL, p, &len);
			if (be && strncmp(be, "/local/domain/", 14) == 0)
				paths_add(out, be);
			free(be);
		}
		free(devs);
	}
	free(kinds);
	char **doms = xs_directory(xs, XBT_NULL, "/local/domain", &nb);
	for (unsigned i = 0; doms && i < nb; i++) {
		snprintf(p, sizeof(p), "/local/domain/%s/backend", doms[i]);
		char **bk = xs_directory(xs, XBT_NULL, p, &nk);
		for (unsigned k = 0; bk && k < nk; k++) {
			unsigned len;
			snprintf(p, sizeof(p), "/local/domain/%s/backend/%s/%u", doms[i], bk[k],
			         domid);
			char *v = xs_read(xs, XBT_NULL, p, &len);
			if (v)
				paths_add(out, p);
			free(v);
		}
		free(bk);
	}
	free(doms);
}

struct remove_txn {
	const char *dom, *lx, *vm_key;
	const struct paths *backends;
};

static int remove_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	const struct remove_txn *a = arg;
	unsigned len;
	char *vm = xs_read(xs, t, a->vm_key, &len);
	for (size_t i = 0; i < a->backends->n; i++)
		rm_quiet(xs, t, a->backends->v[i]);
	rm_quiet(xs, t, a->dom);
	rm_quiet(xs, t, a->lx);
	if (vm && strncmp(vm, "/vm/", 4) == 0 && !strchr(vm + 4, '/'))
		rm_quiet(xs, t, vm);
	free(vm);
	return 0;
}

int xensim_xs_domain_remove(struct xs_handle *xs, uint32_t domid)
{
	char dom[64], lx[64], p[96];
	snprintf(dom, sizeof(dom), "/local/domain/%u", domid);
	snprintf(lx, sizeof(lx), "/libxl/%u", domid);
	snprintf(p, sizeof(p), "%s/vm", dom);
	struct paths backends = {0};
	find_backends(xs, domid, &backends);
	struct remove_txn a = {dom, lx, p, &backends};
	int r = xstore_transact(xs, 100, remove_body, &a);
	paths_free(&backends);
	if (r < 0) {
		xensim_err("xenstore: domain %u: cleanup %s: %s", domid, tx_failure(r),
		           strerror(errno));
		return -1;
	}
	if (!xs_release_domain(xs, domid) && errno != ENOENT) {
		xensim_err("xenstore: cannot release domain %u: %s", domid, strerror(errno));
		return -1;
	}
	return 0;
}
