/* rules.c - read udev rules files: line joining, tokenizing, key checking, GOTO. */
#include "udev-int.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xenchannel/escape.h"

#define RULES_MAX_FILE (1u << 20)

/* Rules files and their names come from the guest: shown escaped. */
static void vwarn(const struct udev_rules *r, const char *file, unsigned line, unsigned col,
                  const char *fmt, va_list ap)
{
	char msg[512], out[sizeof(msg) * 4];
	if (!r->warn)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	esc_text(out, sizeof(out), msg, strlen(msg), 0, 0);
	r->warn(r->warn_arg, file, line, col, out);
}

void udev_warnf(const struct udev_rules *r, const char *file, unsigned line, unsigned col,
                const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(r, file, line, col, fmt, ap);
	va_end(ap);
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

size_t udev_rules_count(const struct udev_rules *r)
{
	return r->nrule;
}

/* Keys we understand, and whether they are match-only, assign-only or both. */
enum kind { MATCH_ONLY, ASSIGN_ONLY, BOTH };
static const struct {
	const char *name;
	enum udev_key key;
	int attr; /* 1: {..} required, 0: forbidden, 2: optional */
	enum kind kind;
} known[] = {
    {"ACTION", K_ACTION, 0, MATCH_ONLY},
    {"DEVPATH", K_DEVPATH, 0, MATCH_ONLY},
    {"KERNEL", K_KERNEL, 0, MATCH_ONLY},
    {"KERNELS", K_KERNEL, 0, MATCH_ONLY},
    {"SUBSYSTEM", K_SUBSYSTEM, 0, MATCH_ONLY},
    {"SUBSYSTEMS", K_SUBSYSTEM, 0, MATCH_ONLY},
    {"DRIVER", K_DRIVER, 0, MATCH_ONLY},
    {"DRIVERS", K_DRIVER, 0, MATCH_ONLY},
    {"ATTR", K_ATTR, 1, MATCH_ONLY},
    {"ATTRS", K_ATTR, 1, MATCH_ONLY},
    {"ENV", K_ENV, 1, BOTH},
    {"RUN", K_RUN, 2, ASSIGN_ONLY},
    {"SYMLINK", K_SYMLINK, 0, BOTH},
    {"LABEL", K_LABEL, 0, ASSIGN_ONLY},
    {"GOTO", K_GOTO, 0, ASSIGN_ONLY},
};

/* Keys that real rules use which only act on device nodes, permissions or
 * the udev database: harmless to drop when they are assignments. */
static const char *const ignorable[] = {"OWNER",    "GROUP",  "MODE", "OPTIONS", "TAG", "NAME",
                                        "SECLABEL", "SYSCTL", "ATTR", "ATTRS",   NULL};

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

/* One logical line (continuations joined) and where its bytes came from. */
struct seg {
	size_t off; /* offset in buf where this physical line's text starts */
	unsigned line;
};

struct lctx {
	const struct udev_rules *r;
	const char *file;
	const char *buf;
	const struct seg *seg;
	size_t nseg;
};

/* Line and column in the file of the byte at `at` in the logical line. */
static void where(const struct lctx *l, const char *at, unsigned *line, unsigned *col)
{
	size_t off = (size_t)(at - l->buf), i = l->nseg - 1;
	while (i > 0 && l->seg[i].off > off)
		i--;
	*line = l->seg[i].line;
	*col = (unsigned)(off - l->seg[i].off) + 1;
}

static void lwarn(const struct lctx *l, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void lwarn(const struct lctx *l, const char *at, const char *fmt, ...)
{
	unsigned line, col;
	where(l, at, &line, &col);
	va_list ap;
	va_start(ap, fmt);
	vwarn(l->r, l->file, line, col, fmt, ap);
	va_end(ap);
}

/* The key's name and its optional {attribute}. 0, 1 (warned: drop the rule)
 * or -1 (ENOMEM). */
static int parse_key(const struct lctx *l, const char **pp, char *name, size_t size, char **attr)
{
	const char *p = *pp, *key_at = p;
	size_t nl = 0;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
	       (*p >= '0' && *p <= '9')) {
		if (nl + 1 >= size) {
			lwarn(l, key_at, "key name too long; rule ignored");
			return 1;
		}
		name[nl++] = *p++;
	}
	name[nl] = '\0';
	if (nl == 0) {
		lwarn(l, p, "invalid key at '%.20s'; rule ignored", p);
		return 1;
	}
	*attr = NULL;
	if (*p == '{') {
		const char *e = strchr(p, '}');
		if (!e) {
			lwarn(l, p, "unterminated '{' after %s; rule ignored", name);
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

/* The operator: 0 with *op set, 1 when there is none (warned). */
static int parse_op(const struct lctx *l, const char **pp, const char *name, enum udev_op *op)
{
	static const struct {
		const char *text;
		enum udev_op op;
	} ops[] = {{"==", OP_MATCH},  {"!=", OP_NOMATCH}, {"+=", OP_ADD},
	           {"-=", OP_REMOVE}, {":=", OP_FINAL},   {"=", OP_ASSIGN}};
	const char *p = *pp;
	while (*p == ' ' || *p == '\t')
		p++;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].text);
		if (strncmp(p, ops[i].text, n) == 0) {
			*op = ops[i].op;
			*pp = p + n;
			return 0;
		}
	}
	lwarn(l, p, "missing operator after %s; rule ignored", name);
	return 1;
}

/* The quoted value (\" inside it stands for "): 0 with *val set, 1 (warned)
 * or -1 (ENOMEM). */
static int parse_value(const struct lctx *l, const char **pp, const char *name, char **val)
{
	const char *p = *pp;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '"') {
		lwarn(l, p, "value of %s is not quoted; rule ignored", name);
		return 1;
	}
	const char *quote = p++, *e = p;
	while (*e && *e != '"')
		e += e[0] == '\\' && e[1] == '"' ? 2 : 1;
	if (*e != '"') {
		lwarn(l, quote, "unterminated value of %s; rule ignored", name);
		return 1;
	}
	char *v = malloc((size_t)(e - p) + 1);
	if (!v)
		return -1;
	size_t vl = 0;
	while (p < e) {
		if (p[0] == '\\' && p[1] == '"')
			p++;
		v[vl++] = *p++;
	}
	v[vl] = '\0';
	p++;
	if (*p && *p != ',' && *p != ' ' && *p != '\t') {
		lwarn(l, p, "junk after value of %s; rule ignored", name);
		free(v);
		return 1;
	}
	*val = v;
	*pp = p;
	return 0;
}

/* Whether key `name` with this operator and attribute is one we run: NULL and
 * *k set, or why not. */
static const char *classify(const char *name, enum udev_op op, const char *attr, size_t *k)
{
	int is_match = op == OP_MATCH || op == OP_NOMATCH;
	size_t i;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].name[0] == name[0] && strcmp(known[i].name, name) == 0)
			break;
	if (i == sizeof(known) / sizeof(known[0]))
		return "unknown key";
	*k = i;
	if (known[i].kind == MATCH_ONLY && !is_match)
		return "unsupported assignment";
	if (known[i].kind == ASSIGN_ONLY && is_match)
		return "unsupported match";
	if (known[i].attr == 1 && !attr)
		return "missing {attribute} on";
	if (known[i].attr == 0 && attr)
		return "unexpected {attribute} on";
	if (known[i].key == K_RUN && attr && strcmp(attr, "program") != 0)
		return "unsupported RUN type in";
	/* a property the event could never carry (empty, '=', spaces) */
	if (known[i].key == K_ENV && !udev_env_key_ok(attr))
		return "invalid property name in";
	if (op == OP_REMOVE && known[i].key != K_SYMLINK && known[i].key != K_RUN)
		return "operator -= not valid for";
	if ((known[i].key == K_LABEL || known[i].key == K_GOTO) && op != OP_ASSIGN)
		return "only = is valid for";
	return NULL;
}

static int add_token(struct udev_rule *ru, struct udev_token t)
{
	if (ru->ntok == ru->tokcap) {
		size_t cap = ru->tokcap ? ru->tokcap * 2 : 4;
		struct udev_token *n = realloc(ru->tok, cap * sizeof(*n));
		if (!n)
			return -1;
		ru->tok = n;
		ru->tokcap = cap;
	}
	ru->tok[ru->ntok++] = t;
	return 0;
}

/* Parse one logical line into ru. Returns 0 when the rule is usable (possibly
 * disabled), 1 when it must be dropped (syntax error, warned), -1 ENOMEM. */
static int parse_line(const struct lctx *l, struct udev_rule *ru, const char *p)
{
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *key_at = p;
		char name[64], *attr = NULL, *val = NULL;
		enum udev_op op;
		int r = parse_key(l, &p, name, sizeof(name), &attr);
		if (r == 0)
			r = parse_op(l, &p, name, &op);
		if (r == 0)
			r = parse_value(l, &p, name, &val);
		if (r != 0) {
			free(attr);
			return r;
		}
		size_t k = 0;
		const char *why = classify(name, op, attr, &k);
		if (why) {
			if (op == OP_MATCH || op == OP_NOMATCH) {
				lwarn(l, key_at, "%s %s%s%s%s: rule disabled (never matches)", why,
				      name, attr ? "{" : "", attr ? attr : "", attr ? "}" : "");
				ru->disabled = 1;
			} else {
				lwarn(l, key_at, "%s %s%s%s%s%s: key ignored",
				      is_ignorable(name) ? "unsupported" : why, name,
				      attr ? "{" : "", attr ? attr : "", attr ? "}" : "",
				      op_str(op));
			}
			free(attr);
			free(val);
			continue;
		}
		if (known[k].key == K_LABEL) {
			free(ru->label);
			ru->label = val;
			free(attr);
			continue;
		}
		unsigned line, col;
		where(l, key_at, &line, &col);
		if (add_token(ru, (struct udev_token){known[k].key, op, attr, val, line, col}) <
		    0) {
			free(attr);
			free(val);
			return -1;
		}
	}
	return 0;
}

static const char *intern_file(struct udev_rules *r, const char *fname)
{
	char **f = realloc(r->files, (r->nfiles + 1) * sizeof(char *));
	if (!f)
		return NULL;
	r->files = f;
	f[r->nfiles] = malloc(strlen(fname) * 4 + 1);
	if (!f[r->nfiles])
		return NULL;
	esc_text(f[r->nfiles], strlen(fname) * 4 + 1, fname, strlen(fname), 0, 0); /* only shown */
	return f[r->nfiles++];
}

int udev_rules_add_text(struct udev_rules *r, const char *fname, const char *text, size_t len)
{
	const char *file = intern_file(r, fname);
	if (!file)
		return -1;
	size_t first = r->nrule;
	char *buf = malloc(len + 1);
	struct seg *seg = NULL;
	size_t segcap = 0;
	int rc = 0;
	if (!buf)
		return -1;
	unsigned lineno = 0;
	const char *p = text, *end = text + len;
	while (p < end && rc >= 0) {
		/* Join continuation lines (a backslash right before the newline),
		 * remembering where each one starts. */
		size_t bl = 0, nseg = 0;
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
			lineno++;
			if (nseg == segcap) {
				size_t cap = segcap ? segcap * 2 : 8;
				struct seg *n = realloc(seg, cap * sizeof(*n));
				if (!n) {
					rc = -1;
					break;
				}
				seg = n;
				segcap = cap;
			}
			seg[nseg++] = (struct seg){bl, lineno};
			int cont = ll > 0 && p[ll - 1] == '\\';
			memcpy(buf + bl, p, cont ? ll - 1 : ll);
			bl += cont ? ll - 1 : ll;
			p = nl ? nl + 1 : end;
			if (!cont || p == end)
				break;
		}
		if (rc < 0)
			break;
		buf[bl] = '\0';
		/* strip trailing whitespace and \r */
		while (bl && (buf[bl - 1] == ' ' || buf[bl - 1] == '\t' || buf[bl - 1] == '\r'))
			buf[--bl] = '\0';
		const char *s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#')
			continue;
		struct lctx l = {r, file, buf, seg, nseg};
		const char *nul = memchr(buf, '\0', bl);
		if (nul) {
			lwarn(&l, nul, "NUL byte in a rule; rule ignored");
			continue;
		}
		if (!*s)
			continue;
		struct udev_rule ru = {.file = file, .goto_idx = -1};
		rc = parse_line(&l, &ru, s);
		if (rc == 0 && (ru.ntok > 0 || ru.label || ru.disabled))
			rc = add_rule(r, &ru) < 0 ? -1 : 0;
		else if (rc == 0)
			rc = 1;
		if (rc != 0)
			rule_free(&ru);
	}
	free(buf);
	free(seg);
	if (rc < 0)
		return -1;

	/* Resolve GOTOs to the next LABEL of the same name later in this file. */
	for (size_t i = first; i < r->nrule; i++) {
		struct udev_rule *ru = &r->rule[i];
		for (size_t t = 0; t < ru->ntok; t++) {
			if (ru->tok[t].key != K_GOTO)
				continue;
			long target = -1;
			for (size_t j = i + 1; j < r->nrule && target < 0; j++)
				if (r->rule[j].label &&
				    strcmp(r->rule[j].label, ru->tok[t].value) == 0)
					target = (long)j;
			if (target < 0)
				udev_warnf(r, file, ru->tok[t].line, ru->tok[t].col,
				           "GOTO=\"%s\" has no matching LABEL later in this file; "
				           "GOTO ignored",
				           ru->tok[t].value);
			ru->goto_idx = target;
		}
	}
	return 0;
}

static int read_file(const char *path, char **out, size_t *len)
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
	*len = n;
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
			if (l < 7 || l >= sizeof(ents->name) ||
			    strcmp(de->d_name + l - 6, ".rules") != 0)
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
		size_t len;
		if (read_file(ents[i].path, &text, &len) < 0) {
			int e = errno;
			const char *file = intern_file(r, ents[i].path);
			if (!file) {
				free(ents);
				return -1;
			}
			udev_warnf(r, file, 0, 0, "cannot read: %s", strerror(e));
			continue;
		}
		int rc = udev_rules_add_text(r, ents[i].path, text, len);
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
