/* udev-int.h - the parsed form of rules, shared by the parser and the matcher. */
#ifndef XENSIM_UDEV_INT_H
#define XENSIM_UDEV_INT_H

#include "udev.h"

enum udev_op { OP_MATCH, OP_NOMATCH, OP_ASSIGN, OP_ADD, OP_REMOVE, OP_FINAL };

enum udev_key {
	K_ACTION,
	K_DEVPATH,
	K_KERNEL,
	K_SUBSYSTEM,
	K_DRIVER,
	K_ATTR,
	K_ENV,
	K_RUN,
	K_SYMLINK,
	K_LABEL,
	K_GOTO,
};

struct udev_token {
	enum udev_key key;
	enum udev_op op;
	char *attr; /* {..} argument, or NULL */
	char *value;
	unsigned line, col; /* where the key starts, for messages */
};

struct udev_rule {
	const char *file; /* points into udev_rules.files */
	struct udev_token *tok;
	size_t ntok, tokcap;
	int disabled;  /* an unsupported match key: never matches */
	long goto_idx; /* index of the target rule for GOTO, -1 if none */
	char *label;   /* LABEL="..." of this rule, or NULL */
};

struct udev_rules {
	udev_warn_fn warn;
	void *warn_arg;
	struct udev_rule *rule;
	size_t nrule, cap;
	char **files;
	size_t nfiles;
};

void udev_warnf(const struct udev_rules *r, const char *file, unsigned line, unsigned col,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
