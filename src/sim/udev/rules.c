/* rules.c - read udev rules files: line joining, tokenizing, key checking, GOTO. */
#include "udev-int.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RULES_MAX_FILE (1u << 20)

void udev_warnf(const struct udev_rules *r, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->warn)
		r->warn(r->warn_arg, file, line, msg);
}

struct udev_rules *udev_rules_new(udev_warn_fn warn, void *arg)
{
	struct udev_rules *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->warn = warn;
	r->warn_arg = arg;
	return r;
}

static void rule_free(struct udev_rule *ru)
{
	for (size_t i = 0; i < ru->ntok; i++) {
		free(ru->tok[i].attr);
		free(ru->tok[i].value);
	}
	free(ru->tok);
	free(ru->label);
}

void udev_rules_free(struct udev_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrule; i++)
		rule_free(&r->rule[i]);
	free(r->rule);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	free(r);
}

size_t udev_rules_count(const struct udev_rules *r) { return r->nrule; }

/* Keys we understand, and whether they are match-only, assign-only or both. */
enum kind { MATCH_ONLY, ASSIGN_ONLY, BOTH };
static const struct {
	const char *name;
	enum udev_key key;
	int attr; /* 1: {..} required, 0: forbidden, 2: optional */
	enum kind kind;
} known[] = {
	{"ACTION", K_ACTION, 0, MATCH_ONLY},     {"DEVPATH", K_DEVPATH, 0, MATCH_ONLY},
	{"KERNEL", K_KERNEL, 0, MATCH_ONLY},     {"KERNELS", K_KERNEL, 0, MATCH_ONLY},
	{"SUBSYSTEM", K_SUBSYSTEM, 0, MATCH_ONLY}, {"SUBSYSTEMS", K_SUBSYSTEM, 0, MATCH_ONLY},
	{"DRIVER", K_DRIVER, 0, MATCH_ONLY},     {"DRIVERS", K_DRIVER, 0, MATCH_ONLY},
	{"ATTR", K_ATTR, 1, MATCH_ONLY},         {"ATTRS", K_ATTR, 1, MATCH_ONLY},
	{"ENV", K_ENV, 1, BOTH},                 {"RUN", K_RUN, 2, ASSIGN_ONLY},
	{"SYMLINK", K_SYMLINK, 0, BOTH},         {"LABEL", K_LABEL, 0, ASSIGN_ONLY},
	{"GOTO", K_GOTO, 0, ASSIGN_ONLY},
};

/* Keys that real rules use which only act on device nodes, permissions or
 * the udev database: harmless to drop when they are assignments. */
static const char *const ignorable[] = {"OWNER", "GROUP", "MODE", "OPTIONS", "TAG", "NAME",
                                        "SECLABEL", "SYSCTL", "ATTR", "ATTRS", NULL};

static int is_ignorable(const char *k)
{
	for (size_t i = 0; ignorable[i]; i++)
		if (strcmp(ignorable[i], k) == 0)
			return 1;
	return 0;
}

static const char *op_str(enum udev_op op)
{
	static const char *const s[] = {"==", "!=", "=", "+=", "-=", ":="};
	return s[op];
}

static int add_rule(struct udev_rules *r, struct udev_rule *ru)
{
	if (r->nrule == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct udev_rule *n = realloc(r->rule, cap * sizeof(*n));
		if (!n)
			return -1;
		r->rule = n;
		r->cap = cap;
	}
	r->rule[r->nrule++] = *ru;
	return 0;
}

/* KEY or KEY{attr} at *pp. Returns 0, 1 (syntax error, warned), -1 ENOMEM. */
static int read_key(struct udev_rules *r, const struct udev_rule *ru, const char **pp,
                    char name[64], char **attr)
{
	const char *p = *pp;
	size_t nl = 0;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
	       (*p >= '0' && *p <= '9')) {
		if (nl + 1 >= 64) {
			udev_warnf(r, ru->file, ru->line, "key name too long; rule ignored");
			return 1;
		}
		name[nl++] = *p++;
	}
	name[nl] = '\0';
	if (nl == 0) {
		udev_warnf(r, ru->file, ru->line, "invalid key at '%.20s'; rule ignored", p);
		return 1;
	}
	if (*p == '{') {
		const char *e = strchr(p, '}');
		if (!e) {
			udev_warnf(r, ru->file, ru->line, "unterminated '{' after %s; rule ignored",
			           name);
			return 1;
		}
		*attr = strndup(p + 1, (size_t)(e - p - 1));
		if (!*attr)
			return -1;
		p = e + 1;
	}
	*pp = p;
	return 0;
}

/* The operator at *pp; -1 when there is none. */
static int read_op(const char **pp, enum udev_op *op)
{
	const char *p = *pp;
	if (p[0] == '=' && p[1] == '=')
		*op = OP_MATCH, p += 2;
	else if (p[0] == '!' && p[1] == '=')
		*op = OP_NOMATCH, p += 2;
	else if (p[0] == '+' && p[1] == '=')
		*op = OP_ADD, p += 2;
	else if (p[0] == '-' && p[1] == '=')
		*op = OP_REMOVE, p += 2;
	else if (p[0] == ':' && p[1] == '=')
		*op = OP_FINAL, p += 2;
	else if (p[0] == '=')
		*op = OP_ASSIGN, p += 1;
	else
		return -1;
	*pp = p;
	return 0;
}

/* "value" at *pp, where \" is a quote. Returns 0, 1 (syntax error, warned),
 * -1 ENOMEM. */
static int read_value(struct udev_rules *r, const struct udev_rule *ru, const char **pp,
                      const char *name, char **value)
{
	const char *p = *pp;
	if (*p != '"') {
		udev_warnf(r, ru->file, ru->line, "value of %s is not quoted; rule ignored", name);
		return 1;
	}
	p++;
	char *val = malloc(strlen(p) + 1);
	if (!val)
		return -1;
	size_t vl = 0;
	while (*p && *p != '"') {
		if (p[0] == '\\' && p[1] == '"')
			p++;
		val[vl++] = *p++;
	}
	val[vl] = '\0';
	if (*p != '"') {
		udev_warnf(r, ru->file, ru->line, "unterminated value of %s; rule ignored", name);
		free(val);
		return 1;
	}
	p++;
	if (*p && *p != ',' && *p != ' ' && *p != '\t') {
		udev_warnf(r, ru->file, ru->line, "junk after value of %s; rule ignored", name);
		free(val);
		return 1;
	}
	*pp = p;
	*value = val;
	return 0;
}

/* The entry of known[] for this key and operator, or -1 with *why. */
static int classify(const char *name, const char *attr, enum udev_op op, const char **why)
{
	int is_match = op == OP_MATCH || op == OP_NOMATCH;
	size_t k;
	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (strcmp(known[k].name, name) == 0)
			break;
	*why = "unknown key";
	if (k == sizeof(known) / sizeof(known[0]))
		return -1;
	if (known[k].kind == MATCH_ONLY && !is_match)
		*why = "unsupported assignment";
	else if (known[k].kind == ASSIGN_ONLY && is_match)
		*why = "unsupported match";
	else if (known[k].attr == 1 && !attr)
		*why = "missing {attribute} on";
	else if (known[k].attr == 0 && attr)
		*why = "unexpected {attribute} on";
	else if (known[k].key == K_RUN && attr && strcmp(attr, "program") != 0)
		*why = "unsupported RUN type in";
	else if (op == OP_REMOVE && known[k].key != K_SYMLINK && known[k].key != K_RUN)
		*why = "operator -= not valid for";
	else if ((known[k].key == K_LABEL || known[k].key == K_GOTO) && op != OP_ASSIGN)
		*why = "only = is valid for";
	else
		return (int)k;
	return -1;
}

/* Add one key to the rule (attr and val are taken): a token, the label, or
 * a warning (an unusable match disables the rule, an unusable assignment is
 * dropped). Returns 0 or -1 ENOMEM. */
static int use_key(struct udev_rules *r, struct udev_rule *ru, const char *name, char *attr,
                   enum udev_op op, char *val)
{
	const char *why;
	int k = classify(name, attr, op, &why);
	if (k < 0) {
		if (op == OP_MATCH || op == OP_NOMATCH) {
			udev_warnf(r, ru->file, ru->line, "%s %s%s%s%s: rule disabled (never matches)",
			           why, name, attr ? "{" : "", attr ? attr : "", attr ? "}" : "");
			ru->disabled = 1;
		} else {
			udev_warnf(r, ru->file, ru->line, "%s %s%s%s%s%s: key ignored",
			           is_ignorable(name) ? "unsupported" : why, name, attr ? "{" : "",
			           attr ? attr : "", attr ? "}" : "", op_str(op));
		}
		free(attr);
		free(val);
		return 0;
	}
	if (known[k].key == K_LABEL) {
		free(ru->label);
		ru->label = val;
		free(attr);
		return 0;
	}
	struct udev_token *t = realloc(ru->tok, (ru->ntok + 1) * sizeof(*t));
	if (!t) {
		free(attr);
		free(val);
		return -1;
	}
	ru->tok = t;
	t[ru->ntok++] = (struct udev_token){known[k].key, op, attr, val};
	return 0;
}

/* Parse one logical line into ru. Returns 0 when the rule is usable (possibly
 * disabled), 1 when it must be dropped (syntax error, warned), -1 ENOMEM. */
static int parse_line(struct udev_rules *r, struct udev_rule *ru, const char *p)
{
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		char name[64];
		char *attr = NULL, *val = NULL;
		enum udev_op op;
		int rc = read_key(r, ru, &p, name, &attr);
		if (rc)
			return rc;
		while (*p == ' ' || *p == '\t')
			p++;
		if (read_op(&p, &op) < 0) {
			udev_warnf(r, ru->file, ru->line, "missing operator after %s; rule ignored",
			           name);
			free(attr);
			return 1;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if ((rc = read_value(r, ru, &p, name, &val))) {
			free(attr);
			return rc;
		}
		if (use_key(r, ru, name, attr, op, val) < 0)
			return -1;
	}
	return 0;
}

static const char *intern_file(struct udev_rules *r, const char *fname)
{
	char **f = realloc(r->files, (r->nfiles + 1) * sizeof(char *));
	if (!f)
		return NULL;
	r->files = f;
	f[r->nfiles] = strdup(fname);
	return f[r->nfiles] ? f[r->nfiles++] : NULL;
}

int udev_rules_add_text(struct udev_rules *r, const char *fname, const char *text)
{
	const char *file = intern_file(r, fname);
	if (!file)
		return -1;
	size_t first = r->nrule;
	char *buf = malloc(strlen(text) + 1);
	if (!buf)
		return -1;
	unsigned lineno = 0;
	const char *p = text;
	while (*p) {
		/* Join continuation lines (a backslash right before the newline). */
		size_t bl = 0;
		unsigned start = lineno + 1;
		for (;;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			lineno++;
			int cont = len > 0 && p[len - 1] == '\\';
			memcpy(buf + bl, p, cont ? len - 1 : len);
			bl += cont ? len - 1 : len;
			p = nl ? nl + 1 : p + len;
			if (!cont || !*p)
				break;
		}
		buf[bl] = '\0';
		/* strip trailing whitespace and \r */
		while (bl && (buf[bl - 1] == ' ' || buf[bl - 1] == '\t' || buf[bl - 1] == '\r'))
			buf[--bl] = '\0';
		const char *s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		struct udev_rule ru = {.file = file, .line = start, .goto_idx = -1};
		int rc = parse_line(r, &ru, s);
		if (rc == 0 && (ru.ntok > 0 || ru.label || ru.disabled))
			rc = add_rule(r, &ru) < 0 ? -1 : 0;
		else if (rc == 0)
			rc = 1;
		if (rc != 0)
			rule_free(&ru);
		if (rc < 0) {
			free(buf);
			return -1;
		}
	}
	free(buf);

	/* Resolve GOTOs to the next LABEL of the same name later in this file. */
	for (size_t i = first; i < r->nrule; i++) {
		struct udev_rule *ru = &r->rule[i];
		for (size_t t = 0; t < ru->ntok; t++) {
			if (ru->tok[t].key != K_GOTO)
				continue;
			long target = -1;
			for (size_t j = i + 1; j < r->nrule && target < 0; j++)
				if (r->rule[j].label && strcmp(r->rule[j].label, ru->tok[t].value) == 0)
					target = (long)j;
			if (target < 0)
				udev_warnf(r, file, ru->line,
				           "GOTO=\"%s\" has no matching LABEL later in this file; "
				           "GOTO ignored",
				           ru->tok[t].value);
			ru->goto_idx = target;
		}
	}
	return 0;
}

static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char *buf = malloc(RULES_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	size_t n = fread(buf, 1, RULES_MAX_FILE, f);
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

struct entry {
	char name[256];
	char path[4096];
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

int udev_rules_load_dirs(struct udev_rules *r, const char *root)
{
	static const char *const dirs[] = {"etc/udev/rules.d", "run/udev/rules.d",
	                                   "usr/lib/udev/rules.d", "lib/udev/rules.d"};
	struct entry *ents = NULL;
	size_t n = 0, cap = 0;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char dpath[2048];
		snprintf(dpath, sizeof(dpath), "%s/%s", root, dirs[d]);
		DIR *dir = opendir(dpath);
		if (!dir)
			continue;
		struct dirent *de;
		while ((de = readdir(dir))) {
			size_t l = strlen(de->d_name);
			if (l < 7 || l >= sizeof(ents->name) || strcmp(de->d_name + l - 6, ".rules") != 0)
				continue;
			int dup = 0;
			for (size_t i = 0; i < n && !dup; i++)
				dup = strcmp(ents[i].name, de->d_name) == 0;
			if (dup) /* hidden by an earlier directory */
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				struct entry *e = realloc(ents, cap * sizeof(*e));
				if (!e) {
					closedir(dir);
					free(ents);
					return -1;
				}
				ents = e;
			}
			snprintf(ents[n].name, sizeof(ents[n].name), "%s", de->d_name);
			int pl = snprintf(ents[n].path, sizeof(ents[n].path), "%s/%s", dpath,
			                  de->d_name);
			if (pl > 0 && (size_t)pl < sizeof(ents[n].path))
				n++;
		}
		closedir(dir);
	}
	if (n)
		qsort(ents, n, sizeof(*ents), cmp_entry);
	int files = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(ents[i].path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
			continue; /* /dev/null mask, dangling link, directory, empty */
		char *text;
		if (read_file(ents[i].path, &text) < 0) {
			udev_warnf(r, ents[i].path, 0, "cannot read: %s", strerror(errno));
			continue;
		}
		int rc = udev_rules_add_text(r, ents[i].path, text);
		free(text);
		if (rc < 0) {
			free(ents);
			return -1;
		}
		files++;
	}
	free(ents);
	return files;
}
