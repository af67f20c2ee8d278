/*
 * ops.c - one function per request type, dispatched from the header. The
 * checks and error codes follow xenstored 4.17: privileged-only types answer
 * EACCES to domains, unknown types ENOSYS, a bad transaction id ENOENT.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

#define PATH_BUF (XSD_PAYLOAD_MAX + 64)

void reply2(struct req *r, const void *p1, size_t l1, const void *p2, size_t l2)
{
	if (l1 + l2 > XSD_PAYLOAD_MAX) {
		reply_err(r, E2BIG);
		return;
	}
	conn_send(r->c, r->h.type, r->h.req_id, r->h.tx_id, p1, l1, p2, l2, false);
}

void reply(struct req *r, const void *p, size_t n)
{
	reply2(r, p, n, NULL, 0);
}

void reply_ok(struct req *r)
{
	reply(r, "OK", 3);
}

void reply_err(struct req *r, int err)
{
	const char *name = wire_errname(err);
	if (r->c->x->trace)
		log_info("xenstored: domain %u %s -> %s", r->c->domid, wire_typename(r->h.type),
		         name);
	conn_send(r->c, XSD_ERROR, r->h.req_id, r->h.tx_id, name, strlen(name) + 1, NULL, 0, false);
}

/* Nearest existing ancestor decides whether a missing node is reported as
 * missing (readable parent) or as forbidden (xenstored's errno_from_parents). */
static int errno_from_parents(struct req *r, const char *path, size_t len)
{
	struct nref pr;
	size_t l = len;
	while (l > 1) {
		l = path_parent_len(path, l);
		int err = view_get(r->c->x, r->tx, path, l, &pr);
		if (err)
			return err;
		if (pr.exists)
			return (perms_for_conn(r->c, pr.perms, pr.nperms) & PERM_READ) ? ENOENT
			                                                               : EACCES;
	}
	return ENOENT;
}

/* Canonical path of a one-argument request, and the node as this request
 * sees it. Returns 0 or an errno. */
static int get_path(struct req *r, const char *arg, char *buf, int *len)
{
	if (!arg)
		return EINVAL;
	int n = path_canon(r->c, arg, buf, PATH_BUF, false, NULL);
	if (n < 0)
		return EINVAL;
	*len = n;
	return 0;
}

/* Look the node up and check access: missing -> ENOENT/EACCES. */
static int get_node(struct req *r, const char *path, size_t len, unsigned perm, struct nref *nr)
{
	int err = view_get(r->c->x, r->tx, path, len, nr);
	if (err)
		return err;
	if (!nr->exists)
		return errno_from_parents(r, path, len);
	if ((perms_for_conn(r->c, nr->perms, nr->nperms) & perm) != perm)
		return EACCES;
	return 0;
}

static int op_read(struct req *r)
{
	char path[PATH_BUF];
	int len;
	struct nref nr;
	int err = get_path(r, wire_onearg(r->p, r->h.len), path, &len);
	if (!err)
		err = get_node(r, path, (size_t)len, PERM_READ, &nr);
	if (err)
		return err;
	reply(r, nr.value, nr.vlen);
	return 0;
}

static int op_directory(struct req *r)
{
	char path[PATH_BUF];
	int len;
	struct nref nr;
	int err = get_path(r, wire_onearg(r->p, r->h.len), path, &len);
	if (!err)
		err = get_node(r, path, (size_t)len, PERM_READ, &nr);
	if (err)
		return err;
	if (nr.childlen > XSD_PAYLOAD_MAX)
		return E2BIG;
	char buf[XSD_PAYLOAD_MAX];
	size_t n = view_children(r->c->x, r->tx, &nr, buf, sizeof(buf));
	reply(r, buf, n);
	return 0;
}

static int op_directory_part(struct req *r)
{
	if (wire_count_nuls(r->p, r->h.len) != 2)
		return EINVAL;
	char path[PATH_BUF];
	int len;
	struct nref nr;
	int err = get_path(r, r->p, path, &len);
	if (!err)
		err = get_node(r, path, (size_t)len, PERM_READ, &nr);
	if (err)
		return err;
	unsigned off = (unsigned)atoi(r->p + strlen(r->p) + 1);
	char gen[24];
	size_t genlen = (size_t)snprintf(gen, sizeof(gen), "%" PRIu64, nr.gen) + 1;
	if (off >= nr.childlen) {
		char out[26];
		memcpy(out, gen, genlen);
		out[genlen] = 0;
		reply(r, out, genlen + 1);
		return 0;
	}
	char *all = malloc(nr.childlen + 1);
	if (!all)
		return ENOMEM;
	view_children(r->c->x, r->tx, &nr, all, nr.childlen);
	all[nr.childlen] = 0;
	/* whole names from `off`, as many as fit, an extra NUL at the end */
	size_t maxlen = XSD_PAYLOAD_MAX - genlen - 1, l = 0;
	const char *child = all + off;
	while (l + strlen(child) < maxlen) {
		l += strlen(child) + 1;
		child += strlen(child) + 1;
		if (off + l >= nr.childlen)
			break;
	}
	char out[XSD_PAYLOAD_MAX];
	memcpy(out, gen, genlen);
	memcpy(out + genlen, all + off, l);
	size_t total = genlen + l;
	if (off + l >= nr.childlen)
		out[total++] = 0;
	free(all);
	reply(r, out, total);
	return 0;
}

/* WRITE and MKDIR: create the node if missing (its parents must exist or be
 * creatable); an existing node needs write permission, and only WRITE (value
 * non-NULL) changes it. */
static int write_node(struct req *r, const char *path, int len, const char *value, uint32_t vlen)
{
	struct nref nr;
	int err = view_get(r->c->x, r->tx, path, (size_t)len, &nr);
	if (err)
		return err;
	if (nr.exists) {
		if (!(perms_for_conn(r->c, nr.perms, nr.nperms) & PERM_WRITE))
			return EACCES;
		if (value)
			err = view_write(r->c->x, r->c, r->tx, &nr, path, (size_t)len, value, vlen);
	} else {
		err = errno_from_parents(r, path, (size_t)len);
		if (err == ENOENT)
			err =
			    view_create(r->c->x, r->c, r->tx, path, (size_t)len, value, vlen, true);
	}
	if (!err)
		reply_ok(r);
	return err;
}

static int op_write(struct req *r)
{
	const char *z = memchr(r->p, 0, r->h.len);
	if (!z)
		return EINVAL;
	char path[PATH_BUF];
	int len;
	int err = get_path(r, r->p, path, &len);
	if (err)
		return err;
	const char *value = z + 1;
	return write_node(r, path, len, value, r->h.len - (uint32_t)(value - r->p));
}

static int op_mkdir(struct req *r)
{
	char path[PATH_BUF];
	int len;
	int err = get_path(r, wire_onearg(r->p, r->h.len), path, &len);
	if (err)
		return err;
	return write_node(r, path, len, NULL, 0);
}

static int op_rm(struct req *r)
{
	char path[PATH_BUF];
	int len;
	int err = get_path(r, wire_onearg(r->p, r->h.len), path, &len);
	if (err)
		return err;
	struct nref nr;
	err = view_get(r->c->x, r->tx, path, (size_t)len, &nr);
	if (err)
		return err;
	if (!nr.exists) {
		err = errno_from_parents(r, path, (size_t)len);
		if (err != ENOENT)
			return err;
		/* Already gone: fine if the parent exists. */
		struct nref pr;
		err = view_get(r->c->x, r->tx, path, path_parent_len(path, (size_t)len), &pr);
		if (err)
			return err;
		if (!pr.exists || len == 1)
			return ENOENT;
		reply_ok(r);
		return 0;
	}
	if (!(perms_for_conn(r->c, nr.perms, nr.nperms) & PERM_WRITE))
		return EACCES;
	if (len == 1)
		return EINVAL;
	err = view_rm(r->c->x, r->c, r->tx, &nr, path, (size_t)len);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_get_perms(struct req *r)
{
	const char *arg = wire_onearg(r->p, r->h.len);
	if (!arg)
		return EINVAL;
	char buf[XSD_PAYLOAD_MAX];
	int n;
	if (arg[0] == '@') {
		struct special *s = xsd_special(r->c->x, arg);
		if (!s)
			return ENOENT;
		if (!(perms_for_conn(r->c, s->perms, s->nperms) & PERM_READ))
			return EACCES;
		n = perms_format(s->perms, s->nperms, buf, sizeof(buf));
	} else {
		char path[PATH_BUF];
		int len;
		struct nref nr;
		int err = get_path(r, arg, path, &len);
		if (!err)
			err = get_node(r, path, (size_t)len, PERM_READ, &nr);
		if (err)
			return err;
		n = perms_format(nr.perms, nr.nperms, buf, sizeof(buf));
	}
	if (n < 0)
		return E2BIG;
	reply(r, buf, (size_t)n);
	return 0;
}

static int op_set_perms(struct req *r)
{
	unsigned nuls = wire_count_nuls(r->p, r->h.len);
	if (nuls < 2)
		return EINVAL;
	unsigned np = nuls - 1;
	if ((!r->c->priv && np > r->c->x->q_perms) || np > XSD_PERMS_MAX)
		return ENOSPC;
	size_t off = strlen(r->p) + 1;
	struct perm perms[XSD_PERMS_MAX];
	int err = perms_parse(r->p + off, r->h.len - (uint32_t)off, np, perms);
	if (err)
		return err;
	if (r->p[0] == '@') {
		struct special *s = xsd_special(r->c->x, r->p);
		if (!s)
			return ENOENT;
		unsigned need = PERM_WRITE | PERM_OWNER;
		if ((perms_for_conn(r->c, s->perms, s->nperms) & need) != need)
			return EACCES;
		struct perm *q = malloc(np * sizeof(*q));
		if (!q)
			return ENOMEM;
		memcpy(q, perms, np * sizeof(*q));
		free(s->perms);
		s->perms = q;
		s->nperms = np;
		reply_ok(r);
		return 0;
	}
	char path[PATH_BUF];
	int len;
	struct nref nr;
	err = get_path(r, r->p, path, &len);
	if (!err)
		err = get_node(r, path, (size_t)len, PERM_WRITE | PERM_OWNER, &nr);
	if (err)
		return err;
	if (!r->c->priv && perms[0].id != nr.perms[0].id)
		return EPERM;
	err = view_set_perms(r->c->x, r->c, r->tx, &nr, path, (size_t)len, perms, np);
	if (!err)
		reply_ok(r);
	return err;
}

static int watch_args(struct req *r, char *path, int *len, bool *relative, const char **token)
{
	const char *vec[2];
	if (wire_strings(r->p, r->h.len, vec, 2) != 2)
		return EINVAL;
	*len = path_canon(r->c, vec[0], path, PATH_BUF, true, relative);
	if (*len < 0)
		return EINVAL;
	*token = vec[1];
	return 0;
}

static int op_watch(struct req *r)
{
	char path[PATH_BUF];
	int len;
	bool rel;
	const char *token;
	int err = watch_args(r, path, &len, &rel, &token);
	if (!err)
		err = watch_add(r->c, path, (size_t)len, rel, token);
	if (err)
		return err;
	reply_ok(r);
	/* We fire once up front, as xenstored: OK first, then the event. */
	watch_fire_one(r->c->watches);
	return 0;
}

static int op_unwatch(struct req *r)
{
	char path[PATH_BUF];
	int len;
	bool rel;
	const char *token;
	int err = watch_args(r, path, &len, &rel, &token);
	if (!err)
		err = watch_del(r->c, path, (size_t)len, token);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_tx_start(struct req *r)
{
	if (r->tx)
		return EBUSY;
	uint32_t id;
	int err = tx_start(r->c, &id);
	if (err)
		return err;
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u", id);
	reply(r, buf, (size_t)n + 1);
	return 0;
}

static int op_tx_end(struct req *r)
{
	const char *arg = wire_onearg(r->p, r->h.len);
	if (!arg || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
		return EINVAL;
	if (!r->tx)
		return ENOENT;
	int err = tx_end(r->c, r->tx, arg[0] == 'T');
	r->tx = NULL;
	if (!err)
		reply_ok(r);
	return err;
}

static int parse_domid(const char *s, uint32_t *out)
{
	/* xenstored uses atoi(); keep its leniency but refuse the reserved ids */
	long v = atol(s);
	if (v < 0 || v >= (long)XSD_DOMID_FIRST_RESERVED)
		return EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int op_get_domain_path(struct req *r)
{
	const char *arg = wire_onearg(r->p, r->h.len);
	if (!arg)
		return EINVAL;
	char buf[40];
	int n = snprintf(buf, sizeof(buf), "/local/domain/%u", (unsigned)atoi(arg));
	reply(r, buf, (size_t)n + 1);
	return 0;
}

static int op_introduce(struct req *r)
{
	const char *vec[3];
	if (wire_strings(r->p, r->h.len, vec, 3) < 3)
		return EINVAL;
	uint32_t domid;
	int port = atoi(vec[2]);
	if (parse_domid(vec[0], &domid) || domid == 0 || port <= 0)
		return EINVAL;
	int err = domain_introduce(r->c->x, domid, (uint32_t)port);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_release(struct req *r)
{
	const char *arg = wire_onearg(r->p, r->h.len);
	uint32_t domid;
	if (!arg || parse_domid(arg, &domid) || domid == 0)
		return EINVAL;
	int err = domain_release(r->c->x, domid);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_is_introduced(struct req *r)
{
	const char *arg = wire_onearg(r->p, r->h.len);
	if (!arg)
		return EINVAL;
	uint32_t domid;
	bool yes = parse_domid(arg, &domid) == 0 && (domid == 0 || domain_get(r->c->x, domid));
	reply(r, yes ? "T" : "F", 2);
	return 0;
}

static int op_resume(struct req *r)
{
	const char *arg = wire_onearg(r->p, r->h.len);
	uint32_t domid;
	if (!arg || parse_domid(arg, &domid))
		return EINVAL;
	if (!domain_get(r->c->x, domid))
		return ENOENT;
	reply_ok(r);
	return 0;
}

static int op_set_target(struct req *r)
{
	const char *vec[2];
	if (wire_strings(r->p, r->h.len, vec, 2) < 2)
		return EINVAL;
	uint32_t domid, tdomid;
	if (parse_domid(vec[0], &domid) || parse_domid(vec[1], &tdomid))
		return EINVAL;
	struct domain *d = domain_get(r->c->x, domid);
	if (!d || (tdomid != 0 && !domain_get(r->c->x, tdomid)))
		return ENOENT;
	d->target = tdomid;
	reply_ok(r);
	return 0;
}

static int op_reset_watches(struct req *r)
{
	watch_del_all(r->c);
	tx_free_all(r->c);
	r->tx = NULL;
	reply_ok(r);
	return 0;
}

enum { F_PRIV = 1, F_NOTX = 2 };

static const struct {
	int (*fn)(struct req *r);
	unsigned flags;
} optab[XSD_TYPE_COUNT] = {
    [XSD_CONTROL] = {control_op, F_PRIV | F_NOTX},
    [XSD_DIRECTORY] = {op_directory, 0},
    [XSD_READ] = {op_read, 0},
    [XSD_GET_PERMS] = {op_get_perms, 0},
    [XSD_WATCH] = {op_watch, F_NOTX},
    [XSD_UNWATCH] = {op_unwatch, F_NOTX},
    [XSD_TRANSACTION_START] = {op_tx_start, 0},
    [XSD_TRANSACTION_END] = {op_tx_end, 0},
    [XSD_INTRODUCE] = {op_introduce, F_PRIV | F_NOTX},
    [XSD_RELEASE] = {op_release, F_PRIV | F_NOTX},
    [XSD_GET_DOMAIN_PATH] = {op_get_domain_path, F_NOTX},
    [XSD_WRITE] = {op_write, 0},
    [XSD_MKDIR] = {op_mkdir, 0},
    [XSD_RM] = {op_rm, 0},
    [XSD_SET_PERMS] = {op_set_perms, 0},
    [XSD_IS_DOMAIN_INTRODUCED] = {op_is_introduced, F_PRIV | F_NOTX},
    [XSD_RESUME] = {op_resume, F_PRIV | F_NOTX},
    [XSD_SET_TARGET] = {op_set_target, F_PRIV | F_NOTX},
    [XSD_RESET_WATCHES] = {op_reset_watches, F_NOTX},
    [XSD_DIRECTORY_PART] = {op_directory_part, 0},
};

void ops_dispatch(struct conn *c, const struct xsd_hdr *h, const char *payload)
{
	struct req r = {.c = c, .h = *h, .p = payload, .tx = NULL};
	if (c->x->trace)
		log_info("xenstored: domain %u conn %llu %s tx %u len %u", c->domid,
		         (unsigned long long)c->id, wire_typename(h->type), h->tx_id, h->len);
	if (h->type >= XSD_TYPE_COUNT || !optab[h->type].fn) {
		reply_err(&r, ENOSYS);
		return;
	}
	if ((optab[h->type].flags & F_PRIV) && !c->priv) {
		reply_err(&r, EACCES);
		return;
	}
	if (!(optab[h->type].flags & F_NOTX) && h->tx_id) {
		r.tx = tx_find(c, h->tx_id);
		if (!r.tx) {
			reply_err(&r, ENOENT);
			return;
		}
	}
	int err = optab[h->type].fn(&r);
	if (err)
		reply_err(&r, err);
}
