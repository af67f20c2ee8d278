/*
 * test-tx-diff.c - a transaction must behave like the same operations done
 * directly: random sequences of write/mkdir/rm/set_perms/read/directory are
 * applied to one store directly and to another inside one transaction;
 * every reply must match, and after the commit both trees must be equal.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"
#include "xsd.h"

struct side {
	struct loop *l;
	struct xsd *x;
	struct conn *c;
	int peer;
	char dir[128];
};

static size_t call(struct side *s, uint32_t type, uint32_t tx, const char *body, uint32_t len,
                   char *out, size_t cap, uint32_t *rtype);

/* as_domain: the client is domain 1, owner of /t, and permissions apply */
static void side_open(struct side *s, bool as_domain)
{
	assert_non_null(ut_tmpdir(s->dir, sizeof(s->dir), "xsd-txdiff"));
	char err[256];
	s->l = loop_new();
	s->x = xsd_new(s->l, s->dir, err, sizeof(err));
	assert_non_null(s->x);
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
	s->c = conn_new(s->x, sp[0], NULL);
	s->peer = sp[1];
	if (!as_domain)
		return;
	char rep[64];
	uint32_t rt;
	call(s, XSD_WRITE, 0, "/t", 3, rep, sizeof(rep), &rt);
	call(s, XSD_SET_PERMS, 0, "/t\0n1\0r2", 9, rep, sizeof(rep), &rt);
	assert_int_equal(rt, XSD_SET_PERMS);
	assert_int_equal(domain_introduce(s->x, 1, 1), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
	conn_close(s->c, NULL);
	close(s->peer);
	s->c = conn_new(s->x, sp[0], domain_get(s->x, 1));
	s->peer = sp[1];
}

static void side_close(struct side *s)
{
	xsd_free(s->x);
	loop_free(s->l);
	close(s->peer);
	assert_int_equal(ut_rmtree(s->dir), 0);
}

/* Send one request, return the reply (type + payload) in out. */
static size_t call(struct side *s, uint32_t type, uint32_t tx, const char *body, uint32_t len,
                   char *out, size_t cap, uint32_t *rtype)
{
	unsigned char m[XSD_HDR_SIZE + 256];
	struct xsd_hdr h = {type, 1, tx, len};
	wire_put_hdr(m, &h);
	memcpy(m + XSD_HDR_SIZE, body, len);
	conn_feed(s->c, m, XSD_HDR_SIZE + len);
	unsigned char r[XSD_HDR_SIZE + XSD_PAYLOAD_MAX];
	ssize_t n = read(s->peer, r, sizeof(r));
	assert_true(n >= (ssize_t)XSD_HDR_SIZE);
	struct xsd_hdr rh;
	wire_get_hdr(r, &rh);
	assert_int_equal((size_t)n, XSD_HDR_SIZE + rh.len);
	*rtype = rh.type;
	size_t k = rh.len < cap ? rh.len : cap;
	memcpy(out, r + XSD_HDR_SIZE, k);
	return k;
}

static const char *const paths[] = {"/t",   "/t/a",   "/t/a/b", "/t/a/b/c",
                                    "/t/d", "/t/d/e", "/t/a/x", "/t/f/g/h"};
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

/* Build a random request; returns its type and fills body/len. */
static uint32_t random_op(unsigned *seed, char *body, uint32_t *len)
{
	const char *p = paths[rand_r(seed) % NPATHS];
	size_t pl = strlen(p) + 1;
	memcpy(body, p, pl);
	switch (rand_r(seed) % 7) {
	case 0:
	case 1: {
		int n = snprintf(body + pl, 32, "v%d", rand_r(seed) % 4);
		*len = (uint32_t)(pl + (size_t)n);
		return XSD_WRITE;
	}
	case 2:
		*len = (uint32_t)pl;
		return XSD_MKDIR;
	case 3:
		*len = (uint32_t)pl;
		return XSD_RM;
	case 4: {
		int n = snprintf(body + pl, 32, "%c%d%cr%d", "nrwb"[rand_r(seed) % 4],
		                 rand_r(seed) % 3, 0, rand_r(seed) % 3);
		*len = (uint32_t)(pl + (size_t)n + 1);
		return XSD_SET_PERMS;
	}
	case 5:
		*len = (uint32_t)pl;
		return XSD_READ;
	default:
		*len = (uint32_t)pl;
		return XSD_DIRECTORY;
	}
}

/* The subtree under /t as "path=value perms" lines, in tree order. */
static void dump(struct node *n, char *out, size_t cap, size_t *off)
{
	char perms[256];
	int pl = perms_format(n->perms, n->nperms, perms, sizeof(perms));
	for (int i = 0; i < pl; i++)
		if (!perms[i])
			perms[i] = ',';
	*off += (size_t)snprintf(out + *off, cap - *off, "%s=%.*s [%.*s]\n", n->path, (int)n->vlen,
	                         n->value ? n->value : "", pl, perms);
	for (struct node *k = n->first; k; k = k->next)
		dump(k, out, cap, off);
}

static void tree(struct side *s, char *out, size_t cap)
{
	size_t off = 0;
	out[0] = 0;
	struct node *t = store_get(&s->x->st, "/t", 2);
	if (t)
		dump(t, out, cap, &off);
}

static void test_tx_equals_direct(void **state)
{
	for (unsigned round = 0; round < 400; round++) {
		unsigned seed = round * 7919u + 1;
		struct side d, t;
		bool as_domain = round % 2;
		side_open(&d, as_domain);
		side_open(&t, as_domain);
		/* a common starting tree */
		uint32_t rt;
		char rep[XSD_PAYLOAD_MAX], rep2[XSD_PAYLOAD_MAX];
		for (int i = 0; i < 4; i++) {
			char body[128];
			uint32_t len;
			uint32_t type = random_op(&seed, body, &len);
			call(&d, type, 0, body, len, rep, sizeof(rep), &rt);
			call(&t, type, 0, body, len, rep, sizeof(rep), &rt);
		}
		size_t n = call(&t, XSD_TRANSACTION_START, 0, "", 1, rep, sizeof(rep), &rt);
		assert_int_equal(rt, XSD_TRANSACTION_START);
		rep[n] = 0;
		uint32_t id = (uint32_t)strtoul(rep, NULL, 10);
		int nops = 1 + rand_r(&seed) % 12;
		for (int i = 0; i < nops; i++) {
			char body[128];
			uint32_t len, t1, t2;
			uint32_t type = random_op(&seed, body, &len);
			size_t n1 = call(&d, type, 0, body, len, rep, sizeof(rep), &t1);
			size_t n2 = call(&t, type, id, body, len, rep2, sizeof(rep2), &t2);
			if (t1 != t2 || n1 != n2 || memcmp(rep, rep2, n1) != 0)
				fail_msg(
				    "round %u op %d (%s %s): direct %u '%.*s', in transaction %u "
				    "'%.*s'",
				    round, i, wire_typename(type), body, t1, (int)n1, rep, t2,
				    (int)n2, rep2);
		}
		call(&t, XSD_TRANSACTION_END, id, "T", 2, rep, sizeof(rep), &rt);
		assert_int_equal(rt, XSD_TRANSACTION_END);
		static char a[65536], b[65536];
		tree(&d, a, sizeof(a));
		tree(&t, b, sizeof(b));
		if (strcmp(a, b) != 0)
			fail_msg("round %u: trees differ\ndirect:\n%s\ncommitted:\n%s", round, a,
			         b);
		assert_true(store_check(&t.x->st));
		side_close(&d);
		side_close(&t);
	}
}

int main(void)
{
	log_set_level(LOG_LVL_WARN);
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_tx_equals_direct)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
