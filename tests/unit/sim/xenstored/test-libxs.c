/*
 * test-libxs.c - the store seen through the real libxenstore: watches,
 * transactions, domains, permissions and quotas.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <xenstore.h>

#include <cmocka.h>

#include "harness.h"

static struct harness H;

/* Next watch event within 5 s (an event, not a timer, ends the wait). */
static bool next_event(struct xs_handle *h, char *path, size_t pn, char *token, size_t tn)
{
	for (;;) {
		unsigned num;
		char **v = xs_check_watch(h);
		if (v) {
			snprintf(path, pn, "%s", v[XS_WATCH_PATH]);
			snprintf(token, tn, "%s", v[XS_WATCH_TOKEN]);
			free(v);
			return true;
		}
		(void)num;
		struct pollfd p = {.fd = xs_fileno(h), .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			return false;
	}
}

static void expect_event(struct xs_handle *h, const char *path, const char *token)
{
	char p[4096], t[256];
	assert_true(next_event(h, p, sizeof(p), t, sizeof(t)));
	assert_string_equal(p, path);
	assert_string_equal(t, token);
}

/* Everything queued for h before now arrives before the marker's initial
 * event: use it to show that an event did NOT happen. */
static void expect_no_event_before_marker(struct xs_handle *h)
{
	static int n;
	char tok[32];
	snprintf(tok, sizeof(tok), "marker%d", n++);
	assert_true(xs_watch(h, "/marker", tok));
	expect_event(h, "/marker", tok);
	assert_true(xs_unwatch(h, "/marker", tok));
}

static struct xs_handle *open_as(unsigned domid)
{
	char sock[400];
	if (domid == 0)
		snprintf(sock, sizeof(sock), "%s", H.sock);
	else
		harness_domain_sock(&H, domid, sock, sizeof(sock));
	setenv("XENSTORED_PATH", sock, 1);
	struct xs_handle *h = xs_open(0);
	setenv("XENSTORED_PATH", H.sock, 1);
	return h;
}

static void write_str(struct xs_handle *h, const char *path, const char *v)
{
	assert_true(xs_write(h, XBT_NULL, path, v, strlen(v)));
}

static void assert_value(struct xs_handle *h, xs_transaction_t t, const char *path,
                         const char *want)
{
	unsigned len;
	char *v = xs_read(h, t, path, &len);
	if (!want) {
		assert_null(v);
		assert_int_equal(errno, ENOENT);
		return;
	}
	assert_non_null(v);
	assert_int_equal(len, strlen(want));
	assert_string_equal(v, want);
	free(v);
}

static void test_initial_tree(void **state)
{
	struct xs_handle *h = open_as(0);
	assert_non_null(h);
	assert_value(h, XBT_NULL, "/local/domain/0/name", "Domain-0");
	assert_value(h, XBT_NULL, "/local/domain/0/domid", "0");
	assert_value(h, XBT_NULL, "name", "Domain-0"); /* relative on the socket */
	assert_value(h, XBT_NULL, "/tool/xenstored", "");
	xs_close(h);
}

static void test_watch_initial_subtree_unwatch(void **state)
{
	struct xs_handle *h = open_as(0), *w = open_as(0);
	assert_true(xs_watch(w, "/t1", "tok"));
	expect_event(w, "/t1", "tok"); /* fires although /t1 does not exist */
	write_str(h, "/t1/a/b", "v");
	expect_event(w, "/t1/a/b", "tok");
	write_str(h, "/t1/a/b", "v"); /* same value still fires */
	expect_event(w, "/t1/a/b", "tok");
	write_str(h, "/elsewhere", "x");
	expect_no_event_before_marker(w);
	assert_true(xs_rm(h, XBT_NULL, "/t1"));
	expect_event(w, "/t1", "tok");
	/* duplicate (path, token) */
	assert_false(xs_watch(w, "/t1", "tok"));
	assert_int_equal(errno, EEXIST);
	assert_true(xs_unwatch(w, "/t1", "tok"));
	write_str(h, "/t1/again", "x");
	expect_no_event_before_marker(w);
	assert_false(xs_unwatch(w, "/t1", "tok"));
	assert_int_equal(errno, ENOENT);
	xs_close(w);
	xs_close(h);
}

static void test_watch_relative_and_below_deleted(void **state)
{
	struct xs_handle *h = open_as(0), *w = open_as(0);
	assert_true(xs_watch(w, "rel", "r"));
	expect_event(w, "rel", "r");
	write_str(h, "/local/domain/0/rel/x", "1");
	expect_event(w, "rel/x", "r");
	/* a watch on an existing node below a removed parent fires for it */
	write_str(h, "/p/q/r", "1");
	assert_true(xs_watch(w, "/p/q", "deep"));
	expect_event(w, "/p/q", "deep");
	assert_true(xs_rm(h, XBT_NULL, "/p"));
	expect_event(w, "/p/q", "deep");
	xs_close(w);
	xs_close(h);
}

static void test_transaction_commit_abort(void **state)
{
	struct xs_handle *h = open_as(0), *w = open_as(0);
	assert_true(xs_watch(w, "/txw", "t"));
	expect_event(w, "/txw", "t");

	xs_transaction_t t = xs_transaction_start(h);
	assert_true(t != XBT_NULL);
	write_str(h, "/txw/seed", "0");
	expect_event(w, "/txw/seed", "t");
	assert_true(xs_write(h, t, "/txw/a/b", "1", 1));
	assert_value(h, t, "/txw/a/b", "1");
	assert_value(h, XBT_NULL, "/txw/a/b", NULL); /* not visible outside */
	unsigned n;
	char **d = xs_directory(h, t, "/txw", &n);
	assert_non_null(d);
	assert_int_equal(n, 2);
	free(d);
	expect_no_event_before_marker(w); /* nothing fires before commit */
	assert_true(xs_transaction_end(h, t, false));
	assert_value(h, XBT_NULL, "/txw/a/b", "1");
	expect_event(w, "/txw/a/b", "t");

	t = xs_transaction_start(h);
	assert_true(xs_write(h, t, "/txw/aborted", "1", 1));
	assert_true(xs_rm(h, t, "/txw/a"));
	assert_value(h, t, "/txw/a/b", NULL);
	assert_true(xs_transaction_end(h, t, true));
	assert_value(h, XBT_NULL, "/txw/aborted", NULL);
	assert_value(h, XBT_NULL, "/txw/a/b", "1");
	expect_no_event_before_marker(w);

	t = xs_transaction_start(h);
	assert_true(xs_rm(h, t, "/txw/a"));
	assert_true(xs_transaction_end(h, t, false));
	assert_value(h, XBT_NULL, "/txw/a", NULL);
	expect_event(w, "/txw/a", "t");
	xs_close(w);
	xs_close(h);
}

static void test_transaction_conflict(void **state)
{
	struct xs_handle *h = open_as(0), *other = open_as(0);
	write_str(h, "/conf/c", "0");
	xs_transaction_t t = xs_transaction_start(h);
	assert_value(h, t, "/conf/c", "0");
	write_str(other, "/conf/c", "x"); /* conflicting write meanwhile */
	assert_true(xs_write(h, t, "/conf/c", "1", 1));
	assert_false(xs_transaction_end(h, t, false));
	assert_int_equal(errno, EAGAIN);
	assert_value(h, XBT_NULL, "/conf/c", "x");
	/* the retry commits */
	t = xs_transaction_start(h);
	assert_value(h, t, "/conf/c", "x");
	assert_true(xs_write(h, t, "/conf/c", "1", 1));
	assert_true(xs_transaction_end(h, t, false));
	assert_value(h, XBT_NULL, "/conf/c", "1");
	/* creating a child of a node someone else changed also conflicts */
	t = xs_transaction_start(h);
	assert_true(xs_write(h, t, "/conf/new", "n", 1));
	write_str(other, "/conf/c2", "y");
	assert_false(xs_transaction_end(h, t, false));
	assert_int_equal(errno, EAGAIN);
	assert_value(h, XBT_NULL, "/conf/new", NULL);
	xs_close(other);
	xs_close(h);
}

static bool exists_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static void test_introduce_release(void **state)
{
	struct xs_handle *h = open_as(0), *w = open_as(0);
	assert_true(xs_watch(w, "@introduceDomain", "in"));
	expect_event(w, "@introduceDomain", "in");
	assert_true(xs_watch(w, "@releaseDomain", "out"));
	expect_event(w, "@releaseDomain", "out");
	char sock[400];
	harness_domain_sock(&H, 7, sock, sizeof(sock));
	assert_false(exists_file(sock));
	assert_false(xs_is_domain_introduced(h, 7));
	assert_true(xs_introduce_domain(h, 7, 0x1234, 3));
	expect_event(w, "@introduceDomain", "in");
	assert_true(exists_file(sock));
	assert_true(xs_is_domain_introduced(h, 7));
	char *p = xs_get_domain_path(h, 7);
	assert_string_equal(p, "/local/domain/7");
	free(p);
	/* a node owned by the domain goes with it (4.17 without --keep-orphans) */
	write_str(h, "/local/domain/7/kept", "dom0's");
	write_str(h, "/local/domain/7/owned/x", "7's");
	struct xs_permissions own = {.id = 7, .perms = XS_PERM_NONE};
	assert_true(xs_set_permissions(h, XBT_NULL, "/local/domain/7/owned", &own, 1));
	struct xs_handle *g = open_as(7);
	assert_non_null(g);
	assert_true(xs_release_domain(h, 7));
	expect_event(w, "@releaseDomain", "out");
	assert_false(exists_file(sock));
	assert_false(xs_is_domain_introduced(h, 7));
	assert_value(h, XBT_NULL, "/local/domain/7/owned", NULL);
	assert_value(h, XBT_NULL, "/local/domain/7/kept", "dom0's");
	/* the guest's connection was closed */
	assert_null(xs_read(g, XBT_NULL, "name", NULL));
	xs_close(g);
	assert_false(xs_release_domain(h, 7));
	assert_int_equal(errno, ENOENT);
	xs_close(w);
	xs_close(h);
}

static void test_domain_permissions(void **state)
{
	struct xs_handle *h = open_as(0);
	assert_true(xs_introduce_domain(h, 9, 0, 1));
	/* what a toolstack does: /local/domain/9 owned by dom0, readable by 9 */
	write_str(h, "/local/domain/9/name", "guest9");
	struct xs_permissions ro[2] = {{.id = 0, .perms = XS_PERM_NONE},
	                               {.id = 9, .perms = XS_PERM_READ}};
	assert_true(xs_set_permissions(h, XBT_NULL, "/local/domain/9", ro, 2));
	assert_true(xs_set_permissions(h, XBT_NULL, "/local/domain/9/name", ro, 2));
	assert_true(xs_mkdir(h, XBT_NULL, "/local/domain/9/data"));
	struct xs_permissions own9 = {.id = 9, .perms = XS_PERM_NONE};
	assert_true(xs_set_permissions(h, XBT_NULL, "/local/domain/9/data", &own9, 1));

	struct xs_handle *g = open_as(9);
	assert_non_null(g);
	assert_value(g, XBT_NULL, "name", "guest9");
	assert_null(xs_read(g, XBT_NULL, "/local/domain/0/name", NULL));
	assert_int_equal(errno, EACCES);
	assert_null(xs_read(g, XBT_NULL, "/local/domain/0/nonexistent", NULL));
	assert_int_equal(errno, EACCES);
	assert_false(xs_write(g, XBT_NULL, "name", "x", 1));
	assert_int_equal(errno, EACCES);
	assert_false(xs_write(g, XBT_NULL, "newkey", "x", 1));
	assert_int_equal(errno, EACCES);
	assert_value(g, XBT_NULL, "nonexistent", NULL); /* readable parent: ENOENT */
	/* nodes a domain creates are its own */
	assert_true(xs_write(g, XBT_NULL, "data/x", "1", 1));
	unsigned n;
	struct xs_permissions *p = xs_get_permissions(g, XBT_NULL, "data/x", &n);
	assert_non_null(p);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].id, 9);
	free(p);
	/* it may grant, not give away */
	struct xs_permissions give = {.id = 0, .perms = XS_PERM_NONE};
	assert_false(xs_set_permissions(g, XBT_NULL, "data/x", &give, 1));
	assert_int_equal(errno, EPERM);
	struct xs_permissions share[2] = {{.id = 9, .perms = XS_PERM_NONE},
	                                  {.id = 3, .perms = XS_PERM_READ}};
	assert_true(xs_set_permissions(g, XBT_NULL, "data/x", share, 2));
	struct xs_permissions many[6];
	for (int i = 0; i < 6; i++)
		many[i] =
		    (struct xs_permissions){.id = i == 0 ? 9u : (unsigned)i, .perms = XS_PERM_READ};
	assert_false(xs_set_permissions(g, XBT_NULL, "data/x", many, 6));
	assert_int_equal(errno, ENOSPC);
	/* privileged operations */
	assert_false(xs_introduce_domain(g, 10, 0, 1));
	assert_int_equal(errno, EACCES);
	/* events are filtered by read permission */
	assert_true(xs_watch(g, "/local/domain/0", "spy"));
	expect_event(g, "/local/domain/0", "spy");
	write_str(h, "/local/domain/0/secret", "s");
	expect_no_event_before_marker(g);
	assert_true(xs_watch(g, "data", "mine"));
	expect_event(g, "data", "mine");
	write_str(h, "/local/domain/9/data/y", "from dom0");
	expect_event(g, "data/y", "mine");
	/* @releaseDomain is not delivered to a domain without read perms on it */
	assert_true(xs_watch(g, "@releaseDomain", "rel"));
	expect_event(g, "@releaseDomain", "rel");
	assert_true(xs_introduce_domain(h, 11, 0, 1));
	assert_true(xs_release_domain(h, 11));
	expect_no_event_before_marker(g);
	xs_close(g);
	assert_true(xs_release_domain(h, 9));
	xs_close(h);
}

static void test_domain_node_quota(void **state)
{
	struct xs_handle *h = open_as(0);
	assert_true(xs_introduce_domain(h, 12, 0, 1));
	assert_true(xs_mkdir(h, XBT_NULL, "/local/domain/12"));
	struct xs_permissions own = {.id = 12, .perms = XS_PERM_NONE};
	assert_true(xs_set_permissions(h, XBT_NULL, "/local/domain/12", &own, 1));
	struct xs_handle *g = open_as(12);
	int created = 0;
	char path[64];
	for (int i = 0; i < 1100; i++) {
		snprintf(path, sizeof(path), "n%d", i);
		if (!xs_write(g, XBT_NULL, path, "", 0))
			break;
		created++;
	}
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(created, 999); /* 1000 including /local/domain/12 itself */
	/* a value too large for the node size quota */
	char big[3000];
	memset(big, 'v', sizeof(big));
	assert_false(xs_write(g, XBT_NULL, "n1", big, sizeof(big)));
	assert_int_equal(errno, ENOSPC);
	/* transactions per connection */
	xs_transaction_t ts[11];
	int ok = 0;
	for (int i = 0; i < 11; i++) {
		ts[i] = xs_transaction_start(g);
		if (ts[i] != XBT_NULL)
			ok++;
	}
	assert_int_equal(ok, 10);
	assert_int_equal(errno, ENOSPC);
	for (int i = 0; i < 10; i++)
		assert_true(xs_transaction_end(g, ts[i], true));
	xs_close(g);
	assert_true(xs_release_domain(h, 12));
	/* the domain's nodes went with it */
	assert_value(h, XBT_NULL, "/local/domain/12/n5", NULL);
	xs_close(h);
}

static void test_big_directory(void **state)
{
	struct xs_handle *h = open_as(0);
	char path[128];
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/big/child-with-a-long-name-%04d", i);
		write_str(h, path, "");
	}
	/* 300 * 33 bytes > 4096: libxenstore falls back to DIRECTORY_PART */
	unsigned n;
	char **d = xs_directory(h, XBT_NULL, "/big", &n);
	assert_non_null(d);
	assert_int_equal(n, 300);
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "child-with-a-long-name-%04u", i);
		assert_string_equal(d[i], path);
	}
	free(d);
	xs_close(h);
}

static int setup(void **state)
{
	return harness_start(&H);
}
static int teardown(void **state)
{
	harness_finish(&H);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_initial_tree),
	    cmocka_unit_test(test_watch_initial_subtree_unwatch),
	    cmocka_unit_test(test_watch_relative_and_below_deleted),
	    cmocka_unit_test(test_transaction_commit_abort),
	    cmocka_unit_test(test_transaction_conflict),
	    cmocka_unit_test(test_introduce_release),
	    cmocka_unit_test(test_domain_permissions),
	    cmocka_unit_test(test_domain_node_quota),
	    cmocka_unit_test(test_big_directory),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
