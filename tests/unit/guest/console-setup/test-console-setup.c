/* test-console-setup.c - names, devids, hvc line inference, links and records of xen-console-setup.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "console-setup.h"
#include "tmpdir.h"

static char root[128];

static int setup(void **state)
{
	if (!ut_tmpdir(root, sizeof(root), "cs-test"))
		return -1;
	char p[256];
	snprintf(p, sizeof(p), "%s/run", root);
	if (mkdir(p, 0755) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/dev", root);
	return mkdir(p, 0755);
}

static int teardown(void **state)
{
	return ut_rmtree(root);
}

static void touch(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void mkdirs(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

static void test_names(void **state)
{
	assert_null(cs_name_check("org.example.agent.0"));
	assert_null(cs_name_check("org.qemu.guest_agent.0"));
	assert_null(cs_name_check("a-b_c.d"));
	assert_non_null(cs_name_check(""));
	assert_non_null(cs_name_check("../etc/passwd"));
	assert_non_null(cs_name_check("a/b"));
	assert_non_null(cs_name_check(".hidden"));
	assert_non_null(cs_name_check("a..b"));
	assert_non_null(cs_name_check("tab\tname"));
	assert_non_null(cs_name_check("new\nline"));
	assert_non_null(cs_name_check("del\x7f"));
	assert_non_null(cs_name_check("sp ace"));
	assert_non_null(cs_name_check("\xc3\xa9t\xc3\xa9"));
	char big[300];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_non_null(cs_name_check(big));
	big[128] = '\0';
	assert_null(cs_name_check(big));
	big[129 - 1] = 'a';
	big[129] = '\0';
	assert_non_null(cs_name_check(big));
}

static void test_name_values(void **state)
{
	/* as xenstore returns it: a length, and maybe a NUL inside */
	assert_null(cs_name_value_check("org.example.a", 13));
	assert_null(cs_name_value_check("org.example.abc", 13)); /* only len bytes */
	assert_non_null(cs_name_value_check("org.example\0/../x", 17));
	assert_non_null(cs_name_value_check("a\0", 2));
	assert_non_null(cs_name_value_check("", 0));
}

/* The pure choice: candidates in line order, claimants in devid order. */
static void test_hvc_pick(void **state)
{
	const char *why = NULL;
	int bound[] = {7, 2, 2, 9, 5};
	struct cs_slots s = {.opens = 0xfe, .claimed = 1u << 1, .bound = bound, .nbound = 5};
	/* candidates 2..7; before 5: 2 (listed twice) -> rank 1 -> hvc3 */
	assert_int_equal(cs_hvc_pick(&s, 5, &why), 3);
	assert_int_equal(cs_hvc_pick(&s, 1, &why), 2);
	assert_int_equal(cs_hvc_pick(&s, 10, &why), 6);
	s.opens = 1u << 4 | 1u << 0; /* hvc0 is never a candidate */
	assert_int_equal(cs_hvc_pick(&s, 1, &why), 4);
	why = NULL;
	assert_int_equal(cs_hvc_pick(&s, 3, &why), -1);
	assert_non_null(why);
	s.claimed = 1u << 4;
	why = NULL;
	assert_int_equal(cs_hvc_pick(&s, 1, &why), -1);
	assert_non_null(why);
}

static void test_devids(void **state)
{
	assert_int_equal(cs_parse_devid("console-1"), 1);
	assert_int_equal(cs_parse_devid("console-42"), 42);
	assert_int_equal(cs_parse_devid("console-0"), -1);
	assert_int_equal(cs_parse_devid("console-01"), -1);
	assert_int_equal(cs_parse_devid("console-"), -1);
	assert_int_equal(cs_parse_devid("console-1x"), -1);
	assert_int_equal(cs_parse_devid("vif-1"), -1);
	assert_int_equal(cs_parse_devid("console-999999"), -1);
}

static void link_of(const char *name, char *out, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/dev/xen-channel/%s", root, name);
	ssize_t n = readlink(p, out, len - 1);
	out[n < 0 ? 0 : n] = '\0';
}

/* A bound console device as Linux's sysfs shows it (no link to its tty). */
static void dev_bound(int devid, const char *state)
{
	char rel[128], p[256];
	snprintf(rel, sizeof(rel), "sys/devices/console-%d", devid);
	mkdirs(rel);
	mkdirs("sys/bus/xen/drivers/xenconsole");
	mkdirs("sys/bus/xen/devices");
	snprintf(p, sizeof(p), "%s/sys/bus/xen/devices/console-%d", root, devid);
	unlink(p);
	char target[64];
	snprintf(target, sizeof(target), "../../../devices/console-%d", devid);
	assert_int_equal(symlink(target, p), 0);
	snprintf(p, sizeof(p), "%s/sys/devices/console-%d/driver", root, devid);
	unlink(p);
	assert_int_equal(symlink("../../bus/xen/drivers/xenconsole", p), 0);
	snprintf(rel, sizeof(rel), "sys/devices/console-%d/state", devid);
	touch(rel);
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", state);
	fclose(f);
}

static void dev_gone(int devid)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/sys/devices/console-%d", root, devid);
	assert_int_equal(ut_rmtree(p), 0);
	snprintf(p, sizeof(p), "%s/sys/bus/xen/devices/console-%d", root, devid);
	assert_int_equal(ut_rmtree(p), 0);
}

/* an allocated hvc index: /dev/hvcK opens; a free one does not */
static void line_alloc(int k)
{
	char rel[32];
	snprintf(rel, sizeof(rel), "dev/hvc%d", k);
	touch(rel);
}

static void line_free(int k)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/dev/hvc%d", root, k);
	unlink(p);
}

static void test_dev_state(void **state)
{
	assert_int_equal(cs_dev_state(root, 4), CS_DEV_GONE);
	dev_bound(4, "Connected");
	assert_int_equal(cs_dev_state(root, 4), CS_DEV_BOUND);
	dev_bound(5, "Closed");
	assert_int_equal(cs_dev_state(root, 5), CS_DEV_CLOSED);
	char p[256];
	snprintf(p, sizeof(p), "%s/sys/devices/console-4/driver", root);
	unlink(p);
	assert_int_equal(cs_dev_state(root, 4), CS_DEV_UNBOUND);
}

/* The real-Xen case: console-1, -2 linked, console-5 hot-added gets hvc3. */
static void test_infer_single_candidate(void **state)
{
	const char *why = NULL;
	for (int i = 1; i <= 2; i++) {
		dev_bound(i, "Connected");
		line_alloc(i);
	}
	assert_int_equal(cs_record_write(root, 1, 1, "org.example.one"), 0);
	assert_int_equal(cs_record_write(root, 2, 2, "org.example.two"), 0);
	dev_bound(5, "Initialised");
	line_alloc(3);
	assert_int_equal(cs_hvc_infer(root, 5, &why), 3);
	/* nothing allocated and unclaimed: no line (index beyond hvc7) */
	assert_int_equal(cs_record_write(root, 5, 3, "org.example.five"), 0);
	dev_bound(6, "Initialised");
	assert_int_equal(cs_hvc_infer(root, 6, &why), -1);
	assert_non_null(why);
}

/* Coldplug of three boot-time channels: paired in devid order, whichever
 * device's run comes first. */
static void test_infer_devid_order(void **state)
{
	const char *why = NULL;
	for (int i = 1; i <= 3; i++) {
		dev_bound(i, "Connected");
		line_alloc(i);
	}
	assert_int_equal(cs_hvc_infer(root, 3, &why), 3);
	assert_int_equal(cs_hvc_infer(root, 2, &why), 2);
	assert_int_equal(cs_record_write(root, 2, 2, "org.example.two"), 0);
	assert_int_equal(cs_hvc_infer(root, 3, &why), 3);
	assert_int_equal(cs_hvc_infer(root, 1, &why), 1);
	/* a device that found no line says so and is not counted */
	dev_bound(4, "Connected");
	assert_int_equal(cs_record_write(root, 4, -1, "org.example.four"), 0);
	assert_int_equal(cs_hvc_infer(root, 3, &why), 3);
}

/* Nine channels probed at once take hvc1..hvc9; only hvc1..hvc7 are lines.
 * When console-1..6 are linked and console-7's run has not come yet, the one
 * line left is console-7's: console-8 and console-9 (indices beyond hvc7,
 * bound, unrecorded) must not take it, whichever run comes first. */
static void test_infer_last_line_beyond_hvc7(void **state)
{
	const char *why = NULL;
	for (int i = 1; i <= 9; i++)
		dev_bound(i, "Initialised");
	for (int k = 1; k <= 7; k++)
		line_alloc(k);
	for (int i = 1; i <= 6; i++)
		assert_int_equal(cs_record_write(root, i, i, NULL), 0);
	why = NULL;
	assert_int_equal(cs_hvc_infer(root, 9, &why), -1);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(cs_hvc_infer(root, 8, &why), -1);
	assert_non_null(why);
	assert_int_equal(cs_hvc_infer(root, 7, &why), 7);
	/* once console-8 and -9 said they have no line, console-7 still gets it */
	assert_int_equal(cs_record_write(root, 8, -1, NULL), 0);
	assert_int_equal(cs_record_write(root, 9, -1, NULL), 0);
	assert_int_equal(cs_hvc_infer(root, 7, &why), 7);
}

/* A device whose probe has not finished (no driver link) is no claimant. */
static void test_infer_unbound_not_counted(void **state)
{
	const char *why = NULL;
	dev_bound(2, "Initialising");
	char p[256];
	snprintf(p, sizeof(p), "%s/sys/devices/console-2/driver", root);
	unlink(p);
	dev_bound(3, "Initialised");
	dev_bound(4, "Initialised");
	line_alloc(3);
	line_alloc(4);
	assert_int_equal(cs_hvc_infer(root, 3, &why), 3);
	assert_int_equal(cs_hvc_infer(root, 4, &why), 4);
}

/* A removed device whose remove run has not happened yet, or a Closed one,
 * no longer holds its slot: the record and its link go. */
static void test_records_clean(void **state)
{
	const char *what, *why = NULL;
	char cur[64];
	dev_bound(1, "Connected");
	dev_bound(2, "Connected");
	line_alloc(1);
	line_alloc(2);
	assert_int_equal(cs_record_write(root, 1, 1, "org.example.one"), 0);
	assert_int_equal(cs_link_add(root, "org.example.one", 1, &what), 0);
	assert_int_equal(cs_record_write(root, 2, 2, "org.example.two"), 0);
	assert_int_equal(cs_link_add(root, "org.example.two", 2, &what), 0);
	assert_int_equal(cs_records_clean(root, -1), 0);
	/* console-1 goes; console-3 comes and takes slot 1 */
	dev_gone(1);
	dev_bound(3, "Initialised");
	assert_int_equal(cs_records_clean(root, 3), 1);
	link_of("org.example.one", cur, sizeof(cur));
	assert_string_equal(cur, "");
	assert_int_equal(cs_hvc_infer(root, 3, &why), 1);
	/* console-2's backend closed: its slot is free while the device stays */
	dev_bound(2, "Closed");
	line_free(2);
	assert_int_equal(cs_records_clean(root, -1), 1);
	int hvc;
	char name[64];
	assert_int_equal(cs_record_read(root, 2, &hvc, name, sizeof(name)), -1);
	link_of("org.example.two", cur, sizeof(cur));
	assert_string_equal(cur, "");
}

static void test_links(void **state)
{
	const char *what;
	char cur[64];
	assert_int_equal(cs_link_add(root, "org.example.a", 1, &what), 0);
	link_of("org.example.a", cur, sizeof(cur));
	assert_string_equal(cur, "../hvc1");
	/* idempotent */
	assert_int_equal(cs_link_add(root, "org.example.a", 1, &what), 0);
	/* another line may not steal the name */
	assert_int_equal(cs_link_add(root, "org.example.a", 2, &what), -1);
	assert_int_equal(errno, EEXIST);
	link_of("org.example.a", cur, sizeof(cur));
	assert_string_equal(cur, "../hvc1");
	/* remove only when it still points at our line */
	assert_int_equal(cs_link_remove(root, "org.example.a", 2, &what), 0);
	link_of("org.example.a", cur, sizeof(cur));
	assert_string_equal(cur, "../hvc1");
	assert_int_equal(cs_link_remove(root, "org.example.a", 1, &what), 1);
	link_of("org.example.a", cur, sizeof(cur));
	assert_string_equal(cur, "");
	assert_int_equal(cs_link_remove(root, "org.example.a", 1, &what), 0);
	/* a regular file in the way is not clobbered */
	touch("dev/xen-channel/org.example.file");
	assert_int_equal(cs_link_add(root, "org.example.file", 3, &what), -1);
	/* no temporary files left behind */
	char p[256];
	snprintf(p, sizeof(p), "ls -A '%s/dev/xen-channel' | grep -c '^\\.' >/dev/null", root);
	assert_int_not_equal(system(p), 0);
}

static void test_link_dir_symlink_refused(void **state)
{
	/* dev/xen-channel replaced by a symlink elsewhere: never followed */
	char p[256], q[256];
	snprintf(p, sizeof(p), "%s/dev/xen-channel", root);
	snprintf(q, sizeof(q), "%s/elsewhere", root);
	mkdir(q, 0755);
	rename(p, q); /* may fail if absent: fine */
	rmdir(p);
	assert_int_equal(ut_rmtree(p), 0);
	assert_int_equal(symlink(q, p), 0);
	const char *what;
	assert_int_equal(cs_link_add(root, "org.example.b", 1, &what), -1);
	snprintf(p, sizeof(p), "%s/elsewhere/org.example.b", root);
	struct stat st;
	assert_int_equal(lstat(p, &st), -1);
	snprintf(p, sizeof(p), "%s/dev/xen-channel", root);
	unlink(p);
}

static void test_tty_perms(void **state)
{
	touch("dev/hvc4");
	assert_int_equal(cs_tty_perms(root, 4, 0600, (gid_t)-1), 0);
	char p[256];
	snprintf(p, sizeof(p), "%s/dev/hvc4", root);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(cs_tty_perms(root, 5, 0600, (gid_t)-1), -1);
}

static void test_records(void **state)
{
	int hvc = 0;
	char name[64];
	assert_int_equal(cs_record_read(root, 3, &hvc, name, sizeof(name)), -1);
	assert_int_equal(cs_record_write(root, 3, 2, "org.example.c"), 0);
	assert_int_equal(cs_record_read(root, 3, &hvc, name, sizeof(name)), 0);
	assert_int_equal(hvc, 2);
	assert_string_equal(name, "org.example.c");
	assert_int_equal(cs_record_remove(root, 3), 0);
	assert_int_equal(cs_record_read(root, 3, &hvc, name, sizeof(name)), -1);
	assert_int_equal(cs_record_remove(root, 3), 0);
	/* no line, no name */
	assert_int_equal(cs_record_write(root, 4, -1, "org.example.d"), 0);
	assert_int_equal(cs_record_read(root, 4, &hvc, name, sizeof(name)), 0);
	assert_int_equal(hvc, -1);
	assert_string_equal(name, "org.example.d");
	assert_int_equal(cs_record_write(root, 4, 5, NULL), 0);
	assert_int_equal(cs_record_read(root, 4, &hvc, name, sizeof(name)), 0);
	assert_int_equal(hvc, 5);
	assert_string_equal(name, "");
	/* garbage is neither written nor read */
	assert_int_equal(cs_record_write(root, 5, 1, "../../etc"), -1);
	assert_int_equal(cs_record_write(root, 5, 0, NULL), -1);
	assert_int_equal(cs_record_write(root, 5, 8, NULL), -1);
	char p[256];
	snprintf(p, sizeof(p), "%s/run/xen-channel/console-5", root);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("hvc1 ../../etc\n", f);
	fclose(f);
	assert_int_equal(cs_record_read(root, 5, &hvc, name, sizeof(name)), -1);
	assert_int_equal(errno, EINVAL);
}

static int parse(const char *text, int *hvc, char *name, size_t namelen)
{
	return cs_record_parse(text, strlen(text), hvc, name, namelen);
}

/* Found by fuzz-console-setup (tests/fuzz/regressions/console-setup/
 * record-hvc0): the sscanf reading took "hvc0" for a line, and "hvc+3",
 * "hvc9" or an overflowing number too; only what cs_record_format writes
 * is a record. */
static void test_record_parse_strict(void **state)
{
	int hvc = 0;
	char name[64];
	assert_int_equal(parse("hvc3 org.example.c\n", &hvc, name, sizeof(name)), 0);
	assert_int_equal(hvc, 3);
	assert_string_equal(name, "org.example.c");
	assert_int_equal(parse("none\n", &hvc, name, sizeof(name)), 0);
	assert_int_equal(hvc, -1);
	assert_string_equal(name, "");
	assert_int_equal(parse("hvc7\n", &hvc, name, sizeof(name)), 0);
	assert_int_equal(hvc, 7);
	static const char *const bad[] = {"hvc0 orne\n",
	                                  "hvc0\n",
	                                  "hvc8\n",
	                                  "hvc+3\n",
	                                  "hvc-0\n",
	                                  "hvc03\n",
	                                  "hvc99999999999\n",
	                                  "hvc3",
	                                  "hvc3 \n",
	                                  "hvc3  a\n",
	                                  "hvc3 a b\n",
	                                  "hvc3 a\nb\n",
	                                  "hvc3\tname\n",
	                                  "nonesuch\n",
	                                  "none \n",
	                                  "\n",
	                                  "",
	                                  "hvc3 .hidden\n",
	                                  "hvc3 a/b\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hvc = 42;
		if (parse(bad[i], &hvc, name, sizeof(name)) != -1)
			fail_msg("record '%s' accepted", bad[i]);
		assert_int_equal(hvc, 42);
	}
	/* an embedded NUL is not cut at */
	assert_int_equal(cs_record_parse("hvc3 a\0b\n", 9, &hvc, name, sizeof(name)), -1);
	/* a name that does not fit the caller's buffer */
	assert_int_equal(parse("hvc3 org.example.c\n", &hvc, name, 13), -1);
	assert_int_equal(parse("hvc3 org.example.c\n", &hvc, name, 14), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_name_values),
	    cmocka_unit_test(test_hvc_pick),
	    cmocka_unit_test(test_devids),
	    cmocka_unit_test_setup_teardown(test_dev_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_infer_single_candidate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_infer_devid_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_infer_last_line_beyond_hvc7, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_infer_unbound_not_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_records_clean, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_dir_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tty_perms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_records, setup, teardown),
	    cmocka_unit_test(test_record_parse_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
