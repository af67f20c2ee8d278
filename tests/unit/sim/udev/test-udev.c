/* test-udev.c - the rule engine's behaviour, one rule corpus per test. */
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

#include "tmpdir.h"
#include "udev.h"

struct warns {
	char text[8192];
	unsigned count;
};

static void collect(void *arg, const char *file, unsigned line, unsigned col, const char *msg)
{
	struct warns *w = arg;
	size_t l = strlen(w->text);
	snprintf(w->text + l, sizeof(w->text) - l, "%s:%u:%u: %s\n", file, line, col, msg);
	w->count++;
}

/* Apply len bytes of `text` to an event built from "K=V" strings; fills res
 * and warns. */
static void run_rules_n(const char *text, size_t len, const char *const *props, const char *sysroot,
                        struct udev_result *res, struct warns *w)
{
	memset(w, 0, sizeof(*w));
	struct udev_rules *r = udev_rules_new(collect, w);
	assert_non_null(r);
	assert_int_equal(udev_rules_add_text(r, "t.rules", text, len), 0);
	struct udev_env ev;
	udev_env_init(&ev);
	for (size_t i = 0; props[i]; i++) {
		char k[64];
		const char *eq = strchr(props[i], '=');
		snprintf(k, sizeof(k), "%.*s", (int)(eq - props[i]), props[i]);
		assert_int_equal(udev_env_set(&ev, k, eq + 1), 0);
	}
	assert_int_equal(udev_rules_apply(r, &ev, sysroot, res), 0);
	udev_env_clear(&ev);
	udev_rules_free(r);
}

static void run_rules(const char *text, const char *const *props, const char *sysroot,
                      struct udev_result *res, struct warns *w)
{
	run_rules_n(text, strlen(text), props, sysroot, res, w);
}

static const char *const add1[] = {"ACTION=add", "SUBSYSTEM=xen", "DEVPATH=/devices/console-1",
                                   "MODALIAS=xen:console", NULL};
static const char *const rm3[] = {"ACTION=remove", "SUBSYSTEM=xen", "DEVPATH=/devices/console-3",
                                  NULL};

static void test_man_page_rule_matches(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("SUBSYSTEM==\"xen\", DEVPATH==\"/devices/console-[0-9]\", "
	          "RUN+=\"xen-console-setup\"\n",
	          add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 1);
	assert_string_equal(res.run[0], "xen-console-setup");
	assert_int_equal(w.count, 0);
	udev_result_clear(&res);
}

static void test_no_match_runs_nothing(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("SUBSYSTEM==\"xen\", ACTION==\"add\", RUN+=\"a\"\n"
	          "SUBSYSTEM!=\"xen\", RUN+=\"b\"\n"
	          "KERNEL==\"vif-*\", RUN+=\"c\"\n",
	          rm3, NULL, &res, &w);
	assert_int_equal(res.nrun, 0);
	udev_result_clear(&res);
}

static void test_glob_classes_and_alternatives(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("KERNEL==\"console-[a-z]\", RUN+=\"letters\"\n"
	          "KERNEL==\"console-?\", RUN+=\"one-char\"\n"
	          "ACTION==\"change|remove\", RUN+=\"alt\"\n"
	          "KERNEL==\"console-[!3]\", RUN+=\"negated\"\n"
	          "DEVPATH==\"*/console-3\", RUN+=\"star\"\n",
	          rm3, NULL, &res, &w);
	assert_int_equal(res.nrun, 3);
	assert_string_equal(res.run[0], "one-char");
	assert_string_equal(res.run[1], "alt");
	assert_string_equal(res.run[2], "star");
	udev_result_clear(&res);
}

static void test_env_assign_match_and_substitution(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("SUBSYSTEM==\"xen\", ENV{ID_MM_DEVICE_IGNORE}=\"1\"\n"
	          "ENV{ID_MM_DEVICE_IGNORE}==\"1\", ENV{SEEN}=\"k=%k n=%n p=$devpath\"\n"
	          "ENV{MISSING}==\"\", RUN+=\"/bin/prog $env{SEEN} $kernel $$ %% $number\"\n"
	          "ENV{SEEN}=\"\"\n",
	          add1, NULL, &res, &w);
	assert_string_equal(udev_env_get(&res.env, "ID_MM_DEVICE_IGNORE"), "1");
	assert_null(udev_env_get(&res.env, "SEEN")); /* empty assignment unsets */
	assert_int_equal(res.nrun, 1);
	assert_string_equal(res.run[0],
	                    "/bin/prog k=console-1 n=1 p=/devices/console-1 console-1 $ % 1");
	assert_int_equal(w.count, 0);
	udev_result_clear(&res);
}

static void test_goto_label_skips(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("SUBSYSTEM!=\"xen\", GOTO=\"end\"\n"
	          "KERNEL!=\"console-*\", GOTO=\"end\"\n"
	          "RUN+=\"reached\"\n"
	          "LABEL=\"end\"\n"
	          "RUN+=\"after\"\n"
	          "ACTION==\"add\", GOTO=\"end2\"\n"
	          "RUN+=\"skipped\"\n"
	          "LABEL=\"end2\"\n",
	          add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 2);
	assert_string_equal(res.run[0], "reached");
	assert_string_equal(res.run[1], "after");
	assert_int_equal(w.count, 0);
	udev_result_clear(&res);
}

static void test_goto_without_label_warns(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("LABEL=\"before\"\nGOTO=\"before\"\nRUN+=\"x\"\n", add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 1);
	assert_non_null(strstr(w.text, "t.rules:2:1: GOTO=\"before\" has no matching LABEL"));
	udev_result_clear(&res);
}

static void test_continuation_and_comments(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("# a comment, RUN+=\"no\"\n"
	          "   # indented comment\n"
	          "\n"
	          "SUBSYSTEM==\"xen\", \\\n"
	          "  ACTION==\"add\", \\\n"
	          "  RUN+=\"joined\"\n"
	          "GARBAGE here\n"
	          "RUN+=\"line8\"\n",
	          add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 2);
	assert_string_equal(res.run[0], "joined");
	assert_string_equal(res.run[1], "line8");
	/* the broken line is reported at its own line number */
	assert_non_null(strstr(w.text, "t.rules:7:9: missing operator after GARBAGE"));
	udev_result_clear(&res);
}

static void test_unknown_match_key_disables_rule(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("SUBSYSTEM==\"xen\", PROGRAM==\"/bin/true\", RUN+=\"never\"\n"
	          "SUBSYSTEM==\"xen\", TEST==\"/x\", RUN+=\"never2\"\n"
	          "SUBSYSTEM==\"xen\", FOO==\"1\", RUN+=\"never3\"\n"
	          "SUBSYSTEM==\"xen\", RUN{builtin}+=\"kmod load\", RUN+=\"kept\"\n"
	          "SUBSYSTEM==\"xen\", MODE=\"0600\", OWNER=\"root\", RUN+=\"kept2\"\n",
	          add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 2);
	assert_string_equal(res.run[0], "kept");
	assert_string_equal(res.run[1], "kept2");
	assert_non_null(strstr(w.text, "t.rules:1:19: unknown key PROGRAM: rule disabled"));
	assert_non_null(strstr(w.text, "t.rules:3:19: unknown key FOO: rule disabled"));
	assert_non_null(strstr(w.text, "t.rules:4:19: unsupported RUN type in RUN{builtin}"));
	assert_non_null(strstr(w.text, "t.rules:5:19: unsupported MODE="));
	udev_result_clear(&res);
}

static void test_attr_reads_sysfs(void **state)
{
	char dir[256];
	assert_non_null(ut_tmpdir(dir, sizeof(dir), "udev-test"));
	char p[512];
	snprintf(p, sizeof(p), "%s/devices", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/devices/console-1", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/devices/console-1/nodename", dir);
	FILE *f = fopen(p, "w");
	fputs("device/console/1\n", f);
	fclose(f);

	struct udev_result res;
	struct warns w;
	run_rules("ATTR{nodename}==\"device/console/1\", RUN+=\"a $attr{nodename}\"\n"
	          "ATTR{nodename}!=\"device/console/1\", RUN+=\"b\"\n"
	          "ATTR{missing}==\"*\", RUN+=\"c\"\n"
	          "ATTR{missing}!=\"x\", RUN+=\"d\"\n"
	          "ATTR{../../etc/passwd}==\"*\", RUN+=\"e\"\n"
	          "ATTR{nodename}=\"written\", RUN+=\"f\"\n",
	          add1, dir, &res, &w);
	assert_int_equal(res.nrun, 2);
	assert_string_equal(res.run[0], "a device/console/1");
	assert_string_equal(res.run[1], "f");
	assert_non_null(strstr(w.text, "t.rules:6:1: unsupported ATTR{nodename}="));
	udev_result_clear(&res);
	assert_int_equal(ut_rmtree(dir), 0);
}

static void test_list_operators(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("RUN+=\"a\", RUN+=\"b\", SYMLINK+=\"x y\"\n"
	          "RUN-=\"a\", SYMLINK-=\"x\"\n"
	          "RUN=\"c\"\n"
	          "RUN:=\"d\"\n"
	          "RUN+=\"e\", SYMLINK+=\"z\"\n"
	          "SYMLINK==\"*z*\", RUN{program}+=\"f\"\n",
	          add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 1);
	assert_string_equal(res.run[0], "d");
	assert_int_equal(res.nsymlinks, 2);
	assert_string_equal(res.symlinks[0], "y");
	assert_string_equal(res.symlinks[1], "z");
	udev_result_clear(&res);
}

static void test_syntax_errors_never_misread(void **state)
{
	struct udev_result res;
	struct warns w;
	/* each broken line must neither run nor partially apply */
	run_rules("SUBSYSTEM==xen, RUN+=\"unquoted\"\n"
	          "SUBSYSTEM==\"xen, RUN+=\"unterminated\n"
	          "SUBSYSTEM\"xen\", RUN+=\"noop\"\n"
	          "ENV{X=\"1\", RUN+=\"brace\"\n"
	          "ENV{A}=\"1\"junk, RUN+=\"junk\"\n"
	          "LABEL+=\"x\", RUN+=\"ok\"\n",
	          add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 1);
	assert_string_equal(res.run[0], "ok");
	assert_null(udev_env_get(&res.env, "A"));
	/* each names the line and the column of the offending character */
	assert_string_equal(w.text, "t.rules:1:12: value of SUBSYSTEM is not quoted; rule ignored\n"
	                            "t.rules:2:24: junk after value of SUBSYSTEM; rule ignored\n"
	                            "t.rules:3:10: missing operator after SUBSYSTEM; rule ignored\n"
	                            "t.rules:4:4: unterminated '{' after ENV; rule ignored\n"
	                            "t.rules:5:11: junk after value of ENV; rule ignored\n"
	                            "t.rules:6:1: only = is valid for LABEL+=: key ignored\n");
	udev_result_clear(&res);
}

/* Columns count bytes from 1 on the physical line, also inside a rule
 * continued over several lines, after tabs, and with CRLF line ends. */
static void test_errors_name_line_and_column(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("# comment\n"
	          "SUBSYSTEM==\"xen\", \\\n"
	          "  ACTION==\"add\", \\\n"
	          "  RUN+=\"a\" junk\n"
	          "\tKERNEL=\"x\"\r\n"
	          "ACTION==\"add\",\\\n"
	          "\\\n"
	          "RUN+=\"b\", ENV{x\n"
	          "RUN+=\"c\", GOTO=\"nowhere\"\n"
	          "RUN+=\"$bogus\"\n",
	          add1, NULL, &res, &w);
	/* $bogus is left out, which leaves nothing to run */
	assert_int_equal(res.nrun, 1);
	assert_string_equal(res.run[0], "c");
	assert_string_equal(w.text, "t.rules:4:16: missing operator after junk; rule ignored\n"
	                            "t.rules:5:2: unsupported assignment KERNEL=: key ignored\n"
	                            "t.rules:8:14: unterminated '{' after ENV; rule ignored\n"
	                            "t.rules:9:11: GOTO=\"nowhere\" has no matching LABEL later in "
	                            "this file; GOTO ignored\n"
	                            "t.rules:10:1: unknown substitution '$bogus'; left out\n");
	udev_result_clear(&res);
}

/* Found by fuzz-udev-rules (tests/fuzz/regressions/udev-rules/
 * env-key-with-equals): ENV{SUBSYSTEM=xenIGNORE}="1" made the whole event
 * fail as if out of memory, so not one RUN of any rule ran. A property name
 * the event cannot carry is now refused where it is written. */
static void test_env_property_name_invalid(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("ENV{SUBSYSTEM=xenIGNORE}=\"1\"\n"
	          "ENV{}=\"1\", RUN+=\"a\"\n"
	          "ENV{A B}+=\"1\"\n"
	          "ENV{A=B}==\"\", RUN+=\"never\"\n"
	          "ACTION==\"add\", RUN+=\"xen-console-setup\"\n",
	          add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 2);
	assert_string_equal(res.run[0], "a");
	assert_string_equal(res.run[1], "xen-console-setup");
	assert_string_equal(
	    w.text,
	    "t.rules:1:1: invalid property name in ENV{SUBSYSTEM=xenIGNORE}=: key ignored\n"
	    "t.rules:2:1: invalid property name in ENV{}=: key ignored\n"
	    "t.rules:3:1: invalid property name in ENV{A B}+=: key ignored\n"
	    "t.rules:4:1: invalid property name in ENV{A=B}: rule disabled (never matches)\n");
	udev_result_clear(&res);
}

/* Found by fuzz-udev-rules (tests/fuzz/regressions/udev-rules/
 * env-long-key-dropped-from-run-env): a property whose name had 256
 * characters or more was set by ENV{} but silently left out of a RUN
 * program's environment (udev_env_copy). */
static void test_env_long_key_reaches_run_env(void **state)
{
	char text[400], key[301];
	memset(key, 'K', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	snprintf(text, sizeof(text), "ENV{%s}=\"1\", RUN+=\"x\"\n", key);
	struct udev_result res;
	struct warns w;
	run_rules(text, add1, NULL, &res, &w);
	assert_int_equal(w.count, 0);
	assert_string_equal(udev_env_get(&res.env, key), "1");
	struct udev_env env;
	udev_env_init(&env);
	assert_int_equal(udev_env_copy(&env, &res.env), 0);
	assert_int_equal(env.n, res.env.n);
	assert_string_equal(udev_env_get(&env, key), "1");
	udev_env_clear(&env);
	udev_result_clear(&res);
}

/* A NUL byte cannot hide the rest of a line: the line is refused, and the
 * lines after it are read. */
static void test_nul_byte_refuses_its_line(void **state)
{
	static const char text[] = "RUN+=\"a\"\n"
	                           "RUN+=\"b\0c\"\n"
	                           "# ok\0 in a comment\n"
	                           "RUN+=\"d\"\n";
	struct udev_result res;
	struct warns w;
	run_rules_n(text, sizeof(text) - 1, add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 2);
	assert_string_equal(res.run[0], "a");
	assert_string_equal(res.run[1], "d");
	assert_string_equal(w.text, "t.rules:2:8: NUL byte in a rule; rule ignored\n");
	udev_result_clear(&res);
}

/* The rules' bytes reach the log only as printable ASCII. */
static void test_messages_are_printable(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("FOO{\x1b[2J}==\"x\"\nGOTO=\"\x07\xff\"\n", add1, NULL, &res, &w);
	assert_string_equal(w.text,
	                    "t.rules:1:1: unknown key FOO{\\x1b[2J}: rule disabled (never "
	                    "matches)\n"
	                    "t.rules:2:1: GOTO=\"\\x07\\xff\" has no matching LABEL later in this "
	                    "file; GOTO ignored\n");
	udev_result_clear(&res);
}

static void test_escaped_quote_in_value(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules("RUN+=\"/bin/sh -c 'echo \\\"hi\\\"'\"\n", add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 1);
	assert_string_equal(res.run[0], "/bin/sh -c 'echo \"hi\"'");
	char **argv = udev_split_argv(res.run[0]);
	assert_non_null(argv);
	assert_string_equal(argv[0], "/bin/sh");
	assert_string_equal(argv[1], "-c");
	assert_string_equal(argv[2], "echo \"hi\"");
	assert_null(argv[3]);
	udev_argv_free(argv);
	assert_null(udev_split_argv("   "));
	assert_null(udev_split_argv("a 'unbalanced"));
	udev_result_clear(&res);
}

/* Lines taken from the shape of rules common distributions ship: they must
 * load without crashing, and none may run for a xen console event. */
static void test_common_rules_corpus(void **state)
{
	struct udev_result res;
	struct warns w;
	run_rules(
	    "ACTION==\"remove\", GOTO=\"serial_end\"\n"
	    "SUBSYSTEM!=\"tty\", GOTO=\"serial_end\"\n"
	    "SUBSYSTEMS==\"pci\", ENV{ID_BUS}=\"pci\", ENV{ID_VENDOR_ID}=\"$attr{vendor}\"\n"
	    "IMPORT{builtin}=\"path_id\"\n"
	    "ENV{ID_PATH}==\"?*\", SYMLINK+=\"serial/by-path/$env{ID_PATH}\"\n"
	    "LABEL=\"serial_end\"\n"
	    "ACTION!=\"add|change|move|bind\", GOTO=\"mm_end\"\n"
	    "SUBSYSTEMS==\"usb\", ATTRS{idVendor}==\"12d1\", ENV{ID_MM_DEVICE_PROCESS}=\"1\"\n"
	    "KERNEL==\"ttyS*\", ENV{ID_MM_CANDIDATE}=\"1\"\n"
	    "LABEL=\"mm_end\"\n"
	    "KERNEL==\"hvc[0-9]*\", TAG+=\"systemd\", ENV{SYSTEMD_WANTS}+=\"getty@%k.service\"\n"
	    "SUBSYSTEM==\"block\", KERNEL==\"sd*\", OPTIONS+=\"watch\"\n",
	    add1, NULL, &res, &w);
	assert_int_equal(res.nrun, 0);
	assert_int_equal(res.nsymlinks, 0);
	assert_null(udev_env_get(&res.env, "ID_MM_CANDIDATE"));
	assert_null(udev_env_get(&res.env, "SYSTEMD_WANTS"));
	assert_non_null(strstr(w.text, "t.rules:4:1: unknown key IMPORT{builtin}"));
	udev_result_clear(&res);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_dirs_order_and_override(void **state)
{
	char root[256];
	assert_non_null(ut_tmpdir(root, sizeof(root), "udev-root"));
	char p[600];
	const char *dirs[] = {"etc", "etc/udev", "etc/udev/rules.d",
	                      "lib", "lib/udev", "lib/udev/rules.d"};
	for (size_t i = 0; i < 6; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/lib/udev/rules.d/50-b.rules", root);
	write_file(p, "RUN+=\"lib-50\"\n");
	snprintf(p, sizeof(p), "%s/lib/udev/rules.d/90-x.rules", root);
	write_file(p, "RUN+=\"lib-90\"\n");
	snprintf(p, sizeof(p), "%s/lib/udev/rules.d/70-m.rules", root);
	write_file(p, "RUN+=\"lib-70-masked\"\n");
	snprintf(p, sizeof(p), "%s/etc/udev/rules.d/90-x.rules", root);
	write_file(p, "RUN+=\"etc-90\"\n");
	snprintf(p, sizeof(p), "%s/etc/udev/rules.d/10-a.rules", root);
	write_file(p, "RUN+=\"etc-10\"\n");
	snprintf(p, sizeof(p), "%s/etc/udev/rules.d/70-m.rules", root);
	assert_int_equal(symlink("/dev/null", p), 0);
	snprintf(p, sizeof(p), "%s/etc/udev/rules.d/README", root);
	write_file(p, "RUN+=\"not-a-rules-file\"\n");

	struct warns w = {0};
	struct udev_rules *r = udev_rules_new(collect, &w);
	assert_int_equal(udev_rules_load_dirs(r, root), 3);
	struct udev_env ev;
	udev_env_init(&ev);
	udev_env_set(&ev, "ACTION", "add");
	struct udev_result res;
	assert_int_equal(udev_rules_apply(r, &ev, NULL, &res), 0);
	assert_int_equal(res.nrun, 3);
	assert_string_equal(res.run[0], "etc-10");
	assert_string_equal(res.run[1], "lib-50");
	assert_string_equal(res.run[2], "etc-90");
	udev_result_clear(&res);
	udev_env_clear(&ev);
	udev_rules_free(r);

	const char *files[] = {"lib/udev/rules.d/50-b.rules", "lib/udev/rules.d/90-x.rules",
	                       "lib/udev/rules.d/70-m.rules", "etc/udev/rules.d/90-x.rules",
	                       "etc/udev/rules.d/10-a.rules", "etc/udev/rules.d/70-m.rules",
	                       "etc/udev/rules.d/README"};
	for (size_t i = 0; i < 7; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, files[i]);
		unlink(p);
	}
	for (size_t i = 6; i-- > 0;) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		rmdir(p);
	}
	rmdir(root);
}

static void test_env_helpers(void **state)
{
	struct udev_env e;
	udev_env_init(&e);
	assert_int_equal(udev_env_set(&e, "A", "1"), 0);
	assert_int_equal(udev_env_set(&e, "B", "2"), 0);
	assert_int_equal(udev_env_set(&e, "A", "3"), 0);
	assert_string_equal(udev_env_get(&e, "A"), "3");
	assert_int_equal(e.n, 2);
	assert_int_equal(udev_env_set(&e, "A=", "x"), -1);
	assert_int_equal(udev_env_set(&e, "", "x"), -1);
	assert_int_equal(udev_env_set(&e, "B", ""), 0);
	assert_null(udev_env_get(&e, "B"));
	assert_null(e.kv[e.n]);
	udev_env_clear(&e);
}

/* Our shipped rule on the events Linux 6.1 sends (uevent variables as
 * measured on a real guest): the helper runs on bind, on coldplug's add
 * (DRIVER present) and on remove; not on a hot-add's add (the hvc line is
 * allocated later, in the probe) nor on unbind. */
static void test_shipped_rule_events(void **state)
{
	FILE *f = fopen(XC_RULES_FILE, "re");
	assert_non_null(f);
	static char text[8192];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	static const char *const hot_add[] = {"ACTION=add", "DEVPATH=/devices/console-5",
	                                      "SUBSYSTEM=xen", "MODALIAS=xen:console", NULL};
	static const char *const bind[] = {"ACTION=bind",          "DEVPATH=/devices/console-5",
	                                   "SUBSYSTEM=xen",        "DRIVER=xenconsole",
	                                   "MODALIAS=xen:console", NULL};
	static const char *const cold_add[] = {"ACTION=add",
	                                       "DEVPATH=/devices/console-1",
	                                       "SUBSYSTEM=xen",
	                                       "SYNTH_UUID=0",
	                                       "DRIVER=xenconsole",
	                                       "MODALIAS=xen:console",
	                                       NULL};
	static const char *const unbind[] = {"ACTION=unbind", "DEVPATH=/devices/console-5",
	                                     "SUBSYSTEM=xen", NULL};
	static const char *const remove[] = {"ACTION=remove", "DEVPATH=/devices/console-5",
	                                     "SUBSYSTEM=xen", "MODALIAS=xen:console", NULL};
	static const char *const vif[] = {"ACTION=bind", "DEVPATH=/devices/vif-0", "SUBSYSTEM=xen",
	                                  "DRIVER=vif", NULL};
	const struct {
		const char *const *ev;
		size_t nrun;
	} cases[] = {{hot_add, 0}, {bind, 1}, {cold_add, 1}, {unbind, 0}, {remove, 1}, {vif, 0}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct udev_result res;
		struct warns w;
		run_rules(text, cases[i].ev, NULL, &res, &w);
		assert_int_equal(w.count, 0);
		assert_int_equal(res.nrun, cases[i].nrun);
		if (res.nrun)
			assert_string_equal(res.run[0], "xen-console-setup");
		if (i < 5)
			assert_string_equal(udev_env_get(&res.env, "ID_MM_DEVICE_IGNORE"), "1");
		udev_result_clear(&res);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_man_page_rule_matches),
	    cmocka_unit_test(test_no_match_runs_nothing),
	    cmocka_unit_test(test_glob_classes_and_alternatives),
	    cmocka_unit_test(test_env_assign_match_and_substitution),
	    cmocka_unit_test(test_goto_label_skips),
	    cmocka_unit_test(test_goto_without_label_warns),
	    cmocka_unit_test(test_continuation_and_comments),
	    cmocka_unit_test(test_unknown_match_key_disables_rule),
	    cmocka_unit_test(test_attr_reads_sysfs),
	    cmocka_unit_test(test_list_operators),
	    cmocka_unit_test(test_syntax_errors_never_misread),
	    cmocka_unit_test(test_errors_name_line_and_column),
	    cmocka_unit_test(test_env_property_name_invalid),
	    cmocka_unit_test(test_env_long_key_reaches_run_env),
	    cmocka_unit_test(test_nul_byte_refuses_its_line),
	    cmocka_unit_test(test_messages_are_printable),
	    cmocka_unit_test(test_escaped_quote_in_value),
	    cmocka_unit_test(test_common_rules_corpus),
	    cmocka_unit_test(test_load_dirs_order_and_override),
	    cmocka_unit_test(test_env_helpers),
	    cmocka_unit_test(test_shipped_rule_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
