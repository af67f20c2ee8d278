/*
 * xcd-bulk-attach - attach K socket channels to each of many domains at once,
 * for the many-channel benchmark.
 *
 *   xcd-bulk-attach SOCKDIR K < domids
 *
 * Writes the same keys, values and permissions as `xenchannel attach`
 * (libxl's layout: frontend, backend and /libxl directories, one transaction
 * per domain), without the CLI's per-attach scan of every channel of every
 * domain for a duplicate socket path, which makes a mass attach quadratic.
 * The paths here are unique by construction: SOCKDIR/<domid>-<k>.sock.
 * Prints "domid devid path" per channel.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "xenchannel/xstore.h"

static bool wr(struct xs_handle *h, xs_transaction_t t, const char *dir, const char *key,
               const char *val, struct xs_permissions *perms)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, key);
	if (!xs_write(h, t, p, val, (unsigned)strlen(val)))
		return false;
	return !perms || xs_set_permissions(h, t, p, perms, 2);
}

static bool one(struct xs_handle *h, xs_transaction_t t, unsigned dom, unsigned dev,
                const char *path)
{
	char fe[128], be[128], lp[128], sdom[16], name[64], output[48];
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/console/%u", dom, dev);
	snprintf(be, sizeof(be), "/local/domain/0/backend/console/%u/%u", dom, dev);
	snprintf(lp, sizeof(lp), "/libxl/%u/device/console/%u", dom, dev);
	snprintf(sdom, sizeof(sdom), "%u", dom);
	snprintf(name, sizeof(name), "org.bench.m%u", dev - 1);
	snprintf(output, sizeof(output), "chardev:libxl-channel%u", dev);
	struct xs_permissions fe_perms[2] = {{dom, XS_PERM_NONE}, {0, XS_PERM_READ}};
	struct xs_permissions ro_perms[2] = {{0, XS_PERM_NONE}, {dom, XS_PERM_READ}};
	const char *bk[][2] = {{"frontend-id", sdom}, {"online", "1"}, {"state", "1"},
	                       {"protocol", "vt100"}, {"name", name},  {"connection", "socket"},
	                       {"path", path}};
	if (!wr(h, t, lp, "frontend", fe, NULL) || !wr(h, t, lp, "backend", be, NULL))
		return false;
	if (!xs_mkdir(h, t, fe) || !xs_set_permissions(h, t, fe, fe_perms, 2) ||
	    !wr(h, t, fe, "backend", be, NULL) || !wr(h, t, fe, "backend-id", "0", fe_perms) ||
	    !wr(h, t, fe, "state", "1", fe_perms) || !wr(h, t, fe, "protocol", "vt100", fe_perms) ||
	    !wr(h, t, fe, "name", name, ro_perms) || !wr(h, t, fe, "limit", "1048576", ro_perms) ||
	    !wr(h, t, fe, "type", "xenchanneld", ro_perms) ||
	    !wr(h, t, fe, "output", output, ro_perms) || !wr(h, t, fe, "tty", "", ro_perms))
		return false;
	if (!xs_mkdir(h, t, be) || !xs_set_permissions(h, t, be, ro_perms, 2) ||
	    !wr(h, t, be, "frontend", fe, NULL))
		return false;
	for (size_t i = 0; i < sizeof(bk) / sizeof(bk[0]); i++)
		if (!wr(h, t, be, bk[i][0], bk[i][1], NULL) ||
		    !wr(h, t, lp, bk[i][0], bk[i][1], NULL))
			return false;
	return true;
}

struct bulk {
	const char *sockdir;
	unsigned dom, k;
	char (*paths)[200];
};

/* Every channel of one domain, in one transaction. */
static int bulk_body(struct xs_handle *h, xs_transaction_t t, void *arg)
{
	struct bulk *b = arg;
	for (unsigned i = 0; i < b->k && i < 8; i++) {
		snprintf(b->paths[i], sizeof(b->paths[i]), "%s/%u-%u.sock", b->sockdir, b->dom, i);
		if (!one(h, t, b->dom, i + 1, b->paths[i]))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: xcd-bulk-attach SOCKDIR K < domids\n");
		return 2;
	}
	unsigned k = (unsigned)atoi(argv[2]);
	struct xs_handle *h = xs_open(0);
	if (!h) {
		perror("xcd-bulk-attach: xs_open");
		return 1;
	}
	unsigned dom;
	while (scanf("%u", &dom) == 1) {
		char paths[8][200];
		struct bulk b = {argv[1], dom, k, paths};
		if (xstore_transact(h, 22, bulk_body, &b) != 0) {
			fprintf(stderr, "xcd-bulk-attach: domain %u: %s\n", dom, strerror(errno));
			return 1;
		}
		for (unsigned i = 0; i < k && i < 8; i++)
			printf("%u %u %s\n", dom, i + 1, paths[i]);
	}
	xs_close(h);
	return 0;
}
