/*
 * udev.h - the subset of udev rule processing the simulator's hotplug
 * emulation needs: load rule files the way udevd does, apply them to one
 * uevent, and report what to run.
 *
 * Supported keys: ACTION, DEVPATH, KERNEL(S), SUBSYSTEM(S), DRIVER(S),
 * ATTR(S){file} (read from the event's sysfs directory), ENV{key} (match and
 * assign), RUN / RUN{program}, SYMLINK, LABEL, GOTO. Operators ==, !=, =, +=,
 * -=, :=. Match patterns are globs (*, ?, [..]) with | alternatives. Value
 * substitutions: $kernel %k, $number %n, $devpath %p, $driver %d,
 * $env{X} %E{X}, $attr{X} %s{X}, $$ and %%.
 *
 * Anything else is never guessed at: an unknown or unsupported match key
 * disables its whole rule, an unknown assignment key is dropped, a syntax
 * error drops its rule, and each is reported through the warning callback
 * with file, line and column.
 */
#ifndef XENSIM_UDEV_H
#define XENSIM_UDEV_H

#include <stddef.h>

/* An ordered set of KEY=VALUE properties (a uevent's environment). */
struct udev_env {
	char **kv; /* "KEY=VALUE" strings */
	size_t n, cap;
};

void udev_env_init(struct udev_env *e);
void udev_env_clear(struct udev_env *e);
/* Set (replace) KEY; an empty value removes it, as udev's ENV{X}="" does.
 * Returns 0 or -1 (ENOMEM, or EINVAL for a key udev_env_key_ok refuses). */
int udev_env_set(struct udev_env *e, const char *key, const char *value);
/* 1 when key can name a property: one or more printable ASCII characters,
 * none of them '=' or a space. */
int udev_env_key_ok(const char *key);
const char *udev_env_get(const struct udev_env *e, const char *key);
int udev_env_copy(struct udev_env *dst, const struct udev_env *src);

/* Warning sink: file, line and column (both from 1; 0 when the warning is
 * about the whole file) of the offending text, and a message in printable
 * ASCII (other bytes of the rules appear as \xNN). */
typedef void (*udev_warn_fn)(void *arg, const char *file, unsigned line, unsigned col,
                             const char *msg);

struct udev_rules;

struct udev_rules *udev_rules_new(udev_warn_fn warn, void *arg);
void udev_rules_free(struct udev_rules *r);
/* Parse one rules file's text, len bytes (fname is used for messages and
 * GOTO scope). Returns 0, or -1 on allocation failure. Syntax errors are
 * warnings; a line with a NUL byte is one. */
int udev_rules_add_text(struct udev_rules *r, const char *fname, const char *text, size_t len);
/* Load every *.rules file of <root>/etc/udev/rules.d, <root>/run/udev/rules.d,
 * <root>/usr/lib/udev/rules.d and <root>/lib/udev/rules.d: files are taken in
 * lexical order of their names, and a name in an earlier directory hides the
 * same name in later ones (/dev/null links disable a file). Missing
 * directories are fine. Returns the number of files read, or -1 (ENOMEM). */
int udev_rules_load_dirs(struct udev_rules *r, const char *root);
size_t udev_rules_count(const struct udev_rules *r);

struct udev_result {
	struct udev_env env; /* the event's properties after ENV{} assignments */
	char **run;          /* RUN programs (command lines), in order */
	size_t nrun;
	char **symlinks; /* SYMLINK names */
	size_t nsymlinks;
};

void udev_result_clear(struct udev_result *res);

/* Apply the rules to an event. `props` holds ACTION, DEVPATH, SUBSYSTEM, ...;
 * `sysroot` is the directory that stands for /sys (ATTR{} reads
 * <sysroot><DEVPATH>/<file>). Nothing is executed: RUN programs are only
 * listed in res. Returns 0, or -1 on allocation failure (res is then empty). */
int udev_rules_apply(const struct udev_rules *r, const struct udev_env *props, const char *sysroot,
                     struct udev_result *res);

/* Split a RUN command line into argv (whitespace separated, '...' and "..."
 * group). Returns a NULL-terminated array to free with udev_argv_free, or
 * NULL on an empty line / unbalanced quote / ENOMEM. */
char **udev_split_argv(const char *cmd);
void udev_argv_free(char **argv);

#endif
