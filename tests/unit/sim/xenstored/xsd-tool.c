/*
 * xsd-tool - the toolstack calls xenstore-utils has no command for, through
 * libxenstore (honours XENSTORED_PATH):
 *   xsd-tool introduce DOMID [PORT]  |  release DOMID  |  is-introduced DOMID
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: xsd-tool introduce DOMID [PORT] | release DOMID | "
		                "is-introduced DOMID\n");
		return 2;
	}
	struct xs_handle *h = xs_open(0);
	if (!h) {
		fprintf(stderr, "xsd-tool: connecting to xenstored: %s\n", strerror(errno));
		return 1;
	}
	unsigned domid = (unsigned)strtoul(argv[2], NULL, 10);
	bool ok;
	if (strcmp(argv[1], "introduce") == 0) {
		ok = xs_introduce_domain(h, domid, 0, argc > 3 ? (unsigned)atoi(argv[3]) : 1);
	} else if (strcmp(argv[1], "release") == 0) {
		ok = xs_release_domain(h, domid);
	} else if (strcmp(argv[1], "is-introduced") == 0) {
		ok = xs_is_domain_introduced(h, domid);
		printf("%s\n", ok ? "yes" : "no");
		ok = true;
	} else {
		fprintf(stderr, "xsd-tool: unknown command %s\n", argv[1]);
		return 2;
	}
	if (!ok)
		fprintf(stderr, "xsd-tool: %s %u: %s\n", argv[1], domid, strerror(errno));
	xs_close(h);
	return ok ? 0 : 1;
}
