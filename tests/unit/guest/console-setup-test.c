/* console-setup-test.c - names, devids, hvc lines, links and records of xen-console-setup. */
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

static char root[64];

static int setup(void **state)
{
	strcpy(root, "/tmp/cs-test.XXXXXX");
	if (!mkdtemp(root))
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
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
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

static void test_hvc_index_fallback_is_devid(void **state)
{
	const char *why = NULL;
	assert_int_equal(cs_hvc_index(root, "/devices/console-3", 3, &why), 3);
	assert_int_equal(cs_hvc_index(root, "/devices/console-8", 8, &why), -1);
	assert_non_null(why);
	assert_int_equal(cs_hvc_index(root, "/devices/console-0", 0, &why), -1);
}

static void test_hvc_index_from_sysfs_tty_dir(void **state)
{
	const char *why = NULL;
	mkdirs("sys/devices/console-5/tty/hvc2");
	assert_int_equal(cs_hvc_index(root, "/devices/console-5", 5, &why), 2);
	mkdirs("sys/devices/console-6/tty/hvc9");
	assert_int_equal(cs_hvc_index(root, "/devices/console-6", 6, &why), -1);
	assert_non_null(strstr(why, "beyond hvc7"));
	mkdirs("sys/devices/console-7/tty");
	assert_int_equal(cs_hvc_index(root, "/devices/console-7", 7, &why), -1);
}

static void link_of(const char *name, char *out, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/dev/xen-channel/%s", root, name);
	ssize_t n = readlink(p, out, len - 1);
	out[n < 0 ? 0 : n] = '\0';
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
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	assert_int_equal(system(cmd), 0);
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_devids),
		cmocka_unit_test_setup_teardown(test_hvc_index_fallback_is_devid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hvc_index_from_sysfs_tty_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_dir_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tty_perms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
