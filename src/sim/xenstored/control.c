/* control.c - XS_CONTROL commands (privileged): check, log, print, quota, help. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

struct quota {
	const char *name;
	size_t off;
	const char *descr;
};

#define Q(field) offsetof(struct xsd, field)
static const struct quota quotas[] = {
    {"nodes", Q(q_nodes), "Nodes per domain"},
    {"watches", Q(q_watches), "Watches per domain"},
    {"transactions", Q(q_tx), "Transactions per connection"},
    {"permissions", Q(q_perms), "Permissions per node"},
    {"node-size", Q(q_node_size), "Max size of a node in bytes"},
    {"transaction-nodes", Q(q_tx_nodes), "Nodes accessed per transaction"},
    {"path-max", Q(q_path), "Max length of a node path"},
};
#define NQUOTAS (sizeof(quotas) / sizeof(quotas[0]))

static unsigned *qval(struct xsd *x, const struct quota *q)
{
	return (unsigned *)((char *)x + q->off);
}

static int control_quota(struct req *r, const char **argv, unsigned argc)
{
	struct xsd *x = r->c->x;
	char out[XSD_PAYLOAD_MAX];
	size_t n = 0;
	if (argc == 0) {
		n += (size_t)snprintf(out + n, sizeof(out) - n, "Quota settings:\n");
		for (size_t i = 0; i < NQUOTAS; i++)
			n +=
			    (size_t)snprintf(out + n, sizeof(out) - n, "%-17s: %8u %s\n",
			                     quotas[i].name, *qval(x, &quotas[i]), quotas[i].descr);
		reply(r, out, n + 1);
		return 0;
	}
	if (argc == 2) {
		for (size_t i = 0; i < NQUOTAS; i++) {
			if (strcmp(argv[0], quotas[i].name) != 0)
				continue;
			char *end;
			unsigned long v = strtoul(argv[1], &end, 10);
			if (*argv[1] == 0 || *end || v == 0 || v > 1000000)
				return EINVAL;
			*qval(x, &quotas[i]) = (unsigned)v;
			reply_ok(r);
			return 0;
		}
		return EINVAL;
	}
	if (argc == 1) {
		char *end;
		unsigned long domid = strtoul(argv[0], &end, 10);
		if (*argv[0] == 0 || *end || domid >= XSD_DOMID_FIRST_RESERVED)
			return EINVAL;
		struct domain *d = domain_get(x, (uint32_t)domid);
		if (!d && domid != 0)
			return ENOENT;
		unsigned ntx = 0, nconn = 0;
		for (struct conn *c = d ? d->conns : NULL; c; c = c->dnext) {
			ntx += c->ntx;
			nconn++;
		}
		n = (size_t)snprintf(out, sizeof(out),
		                     "Domain %lu:\nnodes: %u\nwatches: %u\nconnections: %u\n"
		                     "transactions: %u\n",
		                     domid, store_owned(&x->st, (uint32_t)domid),
		                     d ? d->nwatches : 0u, nconn, ntx);
		reply(r, out, n + 1);
		return 0;
	}
	return EINVAL;
}

int control_op(struct req *r)
{
	const char *argv[8];
	unsigned argc = wire_strings(r->p, r->h.len, argv, 8);
	if (argc == 0 || argc > 8)
		return EINVAL;
	const char *cmd = argv[0];
	if (strcmp(cmd, "check") == 0) {
		if (!store_check(&r->c->x->st)) {
			log_err("xenstored: control check: the node tree is inconsistent");
			return EIO;
		}
		reply_ok(r);
		return 0;
	}
	if (strcmp(cmd, "log") == 0) {
		if (argc != 2 || (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0))
			return EINVAL;
		r->c->x->trace = argv[1][1] == 'n';
		reply_ok(r);
		return 0;
	}
	if (strcmp(cmd, "print") == 0) {
		if (argc != 2)
			return EINVAL;
		log_info("xenstored: control print: %s", argv[1]);
		reply_ok(r);
		return 0;
	}
	if (strcmp(cmd, "quota") == 0)
		return control_quota(r, argv + 1, argc - 1);
	if (strcmp(cmd, "help") == 0) {
		static const char help[] = "Available commands:\n"
		                           "check\n"
		                           "log on|off\n"
		                           "print <string>\n"
		                           "quota [[<quota> <value>]|<domid>]\n"
		                           "help\n";
		reply(r, help, sizeof(help));
		return 0;
	}
	return EINVAL;
}
