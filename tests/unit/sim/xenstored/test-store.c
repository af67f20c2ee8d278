/*
 * test-store.c - the pieces below the wire: path rules, permission lists,
 * the node tree and its bookkeeping.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "xsd.h"

static bool valid(const char *p)
{
	return path_valid(p, strlen(p));
}

static void test_path_rules(void **state)
{
	assert_true(valid("/"));
	assert_true(valid("/local/domain/0/name"));
	assert_true(valid("/a-b_c@d/0"));
	assert_false(valid(""));
	assert_false(valid("relative"));
	assert_false(valid("/trailing/"));
	assert_false(valid("/double//slash"));
	assert_false(valid("/dot.not.allowed"));
	assert_false(valid("/space here"));
	/* 2048 beyond /local/domain/<id>/ is fine, one more is not */
	char p[4200];
	int n = snprintf(p, sizeof(p), "/local/domain/5/");
	memset(p + n, 'a', 2048);
	p[n + 2048] = 0;
	assert_true(valid(p));
	p[n + 2048] = 'a';
	p[n + 2049] = 0;
	assert_false(valid(p));
	/* elsewhere the whole path counts */
	memset(p, 'b', 2049);
	p[0] = '/';
	p[2049] = 0;
	assert_false(valid(p));
	p[2048] = 0;
	assert_true(valid(p));
}

static void test_path_canon(void **state)
{
	struct domain d = {.domid = 7, .target = XSD_NO_TARGET};
	struct conn dom0 = {.priv = true, .domid = 0}, g = {.dom = &d, .domid = 7};
	char buf[4200];
	bool rel;
	assert_int_equal(path_canon(&dom0, "name", buf, sizeof(buf), false, &rel), 20);
	assert_string_equal(buf, "/local/domain/0/name");
	assert_true(rel);
	assert_true(path_canon(&g, "device/vif", buf, sizeof(buf), false, &rel) > 0);
	assert_string_equal(buf, "/local/domain/7/device/vif");
	assert_true(path_canon(&g, "/abs", buf, sizeof(buf), false, &rel) > 0);
	assert_false(rel);
	assert_int_equal(path_canon(&g, "@releaseDomain", buf, sizeof(buf), false, NULL), -1);
	assert_true(path_canon(&g, "@releaseDomain", buf, sizeof(buf), true, NULL) > 0);
	assert_int_equal(path_canon(&g, "", buf, sizeof(buf), false, NULL), -1);
	assert_int_equal(path_canon(&g, "a//b", buf, sizeof(buf), false, NULL), -1);
	assert_int_equal(path_parent_len("/a/b", 4), 2);
	assert_int_equal(path_parent_len("/a", 2), 1);
}

static void test_perms(void **state)
{
	struct perm p[4];
	const char in[] = "n5\0r0\0b0x10\0w3";
	assert_int_equal(perms_parse(in, sizeof(in), 4, p), 0);
	assert_int_equal(p[0].id, 5);
	assert_int_equal(p[0].bits, 0);
	assert_int_equal(p[2].id, 16); /* strtol base 0, as xenstored */
	assert_int_equal(p[2].bits, PERM_READ | PERM_WRITE);
	assert_int_equal(p[3].bits, PERM_WRITE);
	assert_int_equal(perms_parse("x5", 3, 1, p), EINVAL);
	assert_int_equal(perms_parse("r1", 3, 2, p), EINVAL); /* fewer than said */
	char out[64];
	struct perm q[2] = {{5, 0}, {0, PERM_READ}};
	int n = perms_format(q, 2, out, sizeof(out));
	assert_int_equal(n, 6);
	assert_memory_equal(out, "n5\0r0", 6);
	assert_int_equal(perms_format(q, 2, out, 4), -1);

	/* owner gets all, listed domains their entry, others the default */
	struct domain d3 = {.domid = 3, .target = XSD_NO_TARGET};
	struct domain d5 = {.domid = 5, .target = XSD_NO_TARGET};
	struct domain d9 = {.domid = 9, .target = 5}; /* device model of 5 */
	struct conn c3 = {.dom = &d3, .domid = 3}, c5 = {.dom = &d5, .domid = 5};
	struct conn c9 = {.dom = &d9, .domid = 9}, c0 = {.priv = true};
	struct perm l[2] = {{5, PERM_READ}, {3, PERM_WRITE}};
	assert_int_equal(perms_for_conn(&c5, l, 2), PERM_READ | PERM_WRITE | PERM_OWNER);
	assert_int_equal(perms_for_conn(&c3, l, 2), PERM_WRITE);
	assert_int_equal(perms_for_conn(&c9, l, 2), PERM_READ | PERM_WRITE | PERM_OWNER);
	assert_int_equal(perms_for_conn(&c0, l, 2), PERM_READ | PERM_WRITE | PERM_OWNER);
	struct domain d4 = {.domid = 4, .target = XSD_NO_TARGET};
	struct conn c4 = {.dom = &d4, .domid = 4};
	assert_int_equal(perms_for_conn(&c4, l, 2), PERM_READ);
}

static void count_cb(struct node *n, bool top, void *arg)
{
	int *c = arg;
	(*c)++;
	if (top)
		*c += 1000;
}

static void test_store_tree(void **state)
{
	struct store s;
	assert_int_equal(store_init(&s), 0);
	struct perm p0 = {0, 0}, p5 = {5, 0};
	struct node *root = store_create(&s, NULL, "/", 1, NULL, 0, &p0, 1);
	struct node *a = store_create(&s, root, "/a", 2, "x", 1, &p5, 1);
	uint64_t g = root->gen;
	struct node *b = store_create(&s, a, "/a/b", 4, NULL, 0, &p5, 1);
	assert_true(a->gen > g); /* a child changes the parent's generation */
	store_create(&s, a, "/a/c", 4, NULL, 0, &p0, 1);
	store_create(&s, b, "/a/b/d", 6, NULL, 0, &p5, 1);
	assert_int_equal(a->nchildren, 2);
	assert_int_equal(a->childlen, 4);
	assert_int_equal(store_owned(&s, 5), 3);
	assert_ptr_equal(store_get(&s, "/a/b", 4), b);
	assert_null(store_get(&s, "/a/x", 4));
	assert_true(store_check(&s));
	g = b->gen;
	assert_int_equal(store_set_value(&s, b, "val", 3), 0);
	assert_true(b->gen > g);
	/* many children: lookups stay by hash */
	char path[32];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(path, sizeof(path), "/a/c/n%d", i);
		assert_non_null(
		    store_create(&s, store_get(&s, "/a/c", 4), path, (size_t)n, NULL, 0, &p0, 1));
	}
	assert_true(store_check(&s));
	int calls = 0;
	store_remove(&s, a, count_cb, &calls);
	assert_int_equal(calls, 1000 + 5004); /* a, b, c, d, 5000 children */
	assert_int_equal(store_owned(&s, 5), 0);
	assert_int_equal(root->nchildren, 0);
	assert_int_equal(s.nnodes, 1);
	assert_true(store_check(&s));
	store_fini(&s);
}

/* Owner counts for any domid below the reserved ones, whatever order they
 * come in (the table grows to the largest owner seen). */
static void test_store_owner_counts(void **state)
{
	struct store s;
	assert_int_equal(store_init(&s), 0);
	struct perm p0 = {0, 0}, top = {XSD_DOMID_FIRST_RESERVED - 1, 0};
	struct perm p3 = {3, 0}, rsv = {XSD_DOMID_FIRST_RESERVED, 0};
	struct node *root = store_create(&s, NULL, "/", 1, NULL, 0, &p0, 1);
	struct node *a = store_create(&s, root, "/a", 2, NULL, 0, &p3, 1);
	struct node *b = store_create(&s, root, "/b", 2, NULL, 0, &top, 1);
	store_create(&s, root, "/c", 2, NULL, 0, &rsv, 1);
	assert_int_equal(store_owned(&s, 3), 1);
	assert_int_equal(store_owned(&s, XSD_DOMID_FIRST_RESERVED - 1), 1);
	assert_int_equal(store_owned(&s, XSD_DOMID_FIRST_RESERVED), 0); /* not counted */
	assert_int_equal(store_owned(&s, 4000), 0);
	assert_int_equal(store_set_perms(&s, a, &top, 1), 0);
	assert_int_equal(store_owned(&s, 3), 0);
	assert_int_equal(store_owned(&s, XSD_DOMID_FIRST_RESERVED - 1), 2);
	assert_int_equal(store_set_perms(&s, b, &p3, 1), 0);
	assert_int_equal(store_owned(&s, 3), 1);
	assert_true(store_check(&s));
	/* the check recounts the owners */
	s.owned[3]++;
	assert_false(store_check(&s));
	s.owned[3]--;
	s.owned[4]++;
	assert_false(store_check(&s));
	s.owned[4]--;
	assert_true(store_check(&s));
	store_remove(&s, a, NULL, NULL);
	store_remove(&s, b, NULL, NULL);
	assert_int_equal(store_owned(&s, 3), 0);
	assert_int_equal(store_owned(&s, XSD_DOMID_FIRST_RESERVED - 1), 0);
	store_fini(&s);
}

static void feed_msg(struct conn *c, uint32_t type, const char *body, uint32_t len)
{
	unsigned char m[XSD_HDR_SIZE + 64];
	struct xsd_hdr h = {type, 7, 0, len};
	wire_put_hdr(m, &h);
	memcpy(m + XSD_HDR_SIZE, body, len);
	conn_feed(c, m, XSD_HDR_SIZE + len);
}

/* Without a run directory the daemon binds no socket, not even for the
 * domains it introduces, and otherwise behaves the same (the fuzz target). */
static void test_in_process_daemon(void **state)
{
	char err[256];
	struct loop *l = loop_new();
	assert_non_null(l);
	struct xsd *x = xsd_new(l, NULL, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(x->lfd, -1);
	assert_int_equal(domain_introduce(x, XSD_DOMID_FIRST_RESERVED - 1, 1), 0);
	assert_int_equal(domain_introduce(x, 2, 1), 0);
	struct domain *d = domain_get(x, XSD_DOMID_FIRST_RESERVED - 1);
	assert_non_null(d);
	assert_int_equal(d->lfd, -1);
	assert_non_null(domain_get(x, 2));
	assert_null(domain_get(x, 3));
	assert_null(domain_get(x, 100000));
	assert_int_equal(domain_introduce(x, XSD_DOMID_FIRST_RESERVED, 1), EINVAL);
	/* the permissions of a special node can grow past the initial one */
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
	struct conn *c = conn_new(x, sp[0], NULL);
	assert_non_null(c);
	const char set[] = "@introduceDomain\0n0\0r3\0r4\0b5";
	feed_msg(c, XSD_SET_PERMS, set, sizeof(set));
	feed_msg(c, XSD_GET_PERMS, "@introduceDomain", 17);
	unsigned char buf[256];
	ssize_t n = read(sp[1], buf, sizeof(buf));
	const char want[] = "n0\0r3\0r4\0b5";
	assert_int_equal(n, 2 * XSD_HDR_SIZE + 3 + sizeof(want));
	struct xsd_hdr h;
	wire_get_hdr(buf, &h);
	assert_int_equal(h.type, XSD_SET_PERMS);
	wire_get_hdr(buf + XSD_HDR_SIZE + 3, &h);
	assert_int_equal(h.type, XSD_GET_PERMS);
	assert_int_equal(h.len, sizeof(want));
	assert_memory_equal(buf + 2 * XSD_HDR_SIZE + 3, want, sizeof(want));
	xsd_free(x); /* closes sp[0] */
	loop_free(l);
	close(sp[1]);
}

static void test_wire_strings(void **state)
{
	assert_non_null(wire_onearg("abc", 4));
	assert_null(wire_onearg("abc", 3));
	assert_null(wire_onearg("a\0b", 4));
	assert_null(wire_onearg("", 0));
	assert_int_equal(wire_count_nuls("a\0b\0", 4), 2);
	const char *v[3];
	assert_int_equal(wire_strings("a\0bb\0c", 7, v, 3), 3);
	assert_string_equal(v[1], "bb");
	assert_string_equal(wire_errname(EAGAIN), "EAGAIN");
	assert_string_equal(wire_errname(ETIMEDOUT), "EINVAL"); /* not in the table */
	assert_int_equal(wire_errno("EPERM"), EPERM);
	assert_int_equal(wire_errno("EWHAT"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_rules),
	    cmocka_unit_test(test_path_canon),
	    cmocka_unit_test(test_perms),
	    cmocka_unit_test(test_store_tree),
	    cmocka_unit_test(test_wire_strings),
	    cmocka_unit_test(test_store_owner_counts),
	    cmocka_unit_test(test_in_process_daemon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
