/* apply.c - run parsed rules against one uevent: matching, substitution, results. */
#include "udev-int.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VAL_MAX 4096

struct ctx {
	const struct udev_rules *r;
	const struct udev_rule *ru;
	const struct udev_token *tok; /* being applied, for messages */
	const char *sysroot;
	struct udev_result *res;
	int run_final, sym_final;
};

static const char *prop(const struct ctx *c, const char *key)
{
	const char *v = udev_env_get(&c->res->env, key);
	return v ? v : "";
}

static const char *kernel_name(const struct ctx *c)
{
	const char *dp = prop(c, "DEVPATH");
	const char *s = strrchr(dp, '/');
	return s ? s + 1 : dp;
}

/* Read a sysfs attribute of the event's device; trailing whitespace trimmed.
 * Returns 0, or -1 when missing or when the name would leave the device dir. */
static int read_attr(const struct ctx *c, const char *name, char *out, size_t outlen)
{
	if (!c->sysroot || !*name || name[0] == '/' || strstr(name, ".."))
		return -1;
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s%s/%s", c->sysroot, prop(c, "DEVPATH"), name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t got = fread(out, 1, outlen - 1, f);
	fclose(f);
	out[got] = '\0';
	while (got && (out[got - 1] == '\n' || out[got - 1] == ' ' || out[got - 1] == '\t'))
		out[--got] = '\0';
	return 0;
}

static void append(char *out, size_t *ol, const char *s)
{
	size_t l = strlen(s);
	if (*ol + l >= VAL_MAX)
		l = VAL_MAX - 1 - *ol;
	memcpy(out + *ol, s, l);
	*ol += l;
	out[*ol] = '\0';
}

/* Parse "{arg}" at *p into arg; advances *p. Returns 0 or -1. */
static int brace_arg(const char **p, char *arg, size_t len)
{
	if (**p != '{')
		return -1;
	const char *e = strchr(*p, '}');
	if (!e || (size_t)(e - *p - 1) >= len)
		return -1;
	memcpy(arg, *p + 1, (size_t)(e - *p - 1));
	arg[e - *p - 1] = '\0';
	*p = e + 1;
	return 0;
}

static void subst(struct ctx *c, const char *in, char *out)
{
	static const struct {
		const char *name;
		char fmt;
	} longnames[] = {{"kernel", 'k'}, {"number", 'n'}, {"devpath", 'p'}, {"driver", 'd'},
	                 {"env", 'E'},    {"attr", 's'},   {"sysfs", 's'}};
	size_t ol = 0;
	out[0] = '\0';
	for (const char *p = in; *p;) {
		char f = 0;
		if ((p[0] == '$' && p[1] == '$') || (p[0] == '%' && p[1] == '%')) {
			char lit[2] = {p[0], 0};
			append(out, &ol, lit);
			p += 2;
			continue;
		}
		if (p[0] == '%' && p[1]) {
			f = p[1];
			p += 2;
		} else if (p[0] == '$') {
			size_t i;
			for (i = 0; i < sizeof(longnames) / sizeof(longnames[0]); i++) {
				size_t l = strlen(longnames[i].name);
				if (strncmp(p + 1, longnames[i].name, l) == 0) {
					f = longnames[i].fmt;
					p += 1 + l;
					break;
				}
			}
			if (!f) {
				udev_warnf(c->r, c->ru->file, c->tok->line, c->tok->col,
				           "unknown substitution '$%.16s'; left out", p + 1);
				p++;
				while (*p >= 'a' && *p <= 'z')
					p++;
				continue;
			}
		} else {
			char lit[2] = {*p++, 0};
			append(out, &ol, lit);
			continue;
		}
		char arg[256], val[VAL_MAX];
		switch (f) {
		case 'k':
			append(out, &ol, kernel_name(c));
			break;
		case 'n': {
			const char *k = kernel_name(c), *e = k + strlen(k), *s = e;
			while (s > k && s[-1] >= '0' && s[-1] <= '9')
				s--;
			append(out, &ol, s);
			break;
		}
		case 'p':
			append(out, &ol, prop(c, "DEVPATH"));
			break;
		case 'd':
			append(out, &ol, prop(c, "DRIVER"));
			break;
		case 'E':
			if (brace_arg(&p, arg, sizeof(arg)) < 0) {
				udev_warnf(c->r, c->ru->file, c->tok->line, c->tok->col,
				           "$env needs {NAME}; left out");
				break;
			}
			append(out, &ol, prop(c, arg));
			break;
		case 's':
			if (brace_arg(&p, arg, sizeof(arg)) < 0) {
				udev_warnf(c->r, c->ru->file, c->tok->line, c->tok->col,
				           "$attr needs {file}; left out");
				break;
			}
			if (read_attr(c, arg, val, sizeof(val)) == 0)
				append(out, &ol, val);
			break;
		default:
			udev_warnf(c->r, c->ru->file, c->tok->line, c->tok->col,
			           "unknown substitution '%%%c'; left out", f);
			break;
		}
	}
}

/* Glob match with '|' alternatives; an empty pattern matches only "". */
static int pattern_match(const char *pattern, const char *value)
{
	char alt[VAL_MAX];
	const char *p = pattern;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		if (l >= sizeof(alt))
			l = sizeof(alt) - 1;
		memcpy(alt, p, l);
		alt[l] = '\0';
		if (fnmatch(alt, value, 0) == 0)
			return 1;
		if (!bar)
			return 0;
		p = bar + 1;
	}
}

static int token_matches(struct ctx *c, const struct udev_token *t)
{
	char buf[VAL_MAX];
	const char *v;
	switch (t->key) {
	case K_ACTION:
		v = prop(c, "ACTION");
		break;
	case K_DEVPATH:
		v = prop(c, "DEVPATH");
		break;
	case K_KERNEL:
		v = kernel_name(c);
		break;
	case K_SUBSYSTEM:
		v = prop(c, "SUBSYSTEM");
		break;
	case K_DRIVER:
		v = prop(c, "DRIVER");
		break;
	case K_ENV:
		v = prop(c, t->attr);
		break;
	case K_SYMLINK: {
		size_t ol = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < c->res->nsymlinks; i++) {
			if (i)
				append(buf, &ol, " ");
			append(buf, &ol, c->res->symlinks[i]);
		}
		v = buf;
		break;
	}
	case K_ATTR:
		if (read_attr(c, t->attr, buf, sizeof(buf)) < 0)
			return 0; /* unreadable attribute: no match either way, as udev */
		v = buf;
		break;
	default:
		return 0;
	}
	int m = pattern_match(t->value, v);
	return t->op == OP_MATCH ? m : !m;
}

static int list_add(char ***list, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], s) == 0)
			return 0;
	char **l = realloc(*list, (*n + 1) * sizeof(char *));
	if (!l)
		return -1;
	*list = l;
	if (!(l[*n] = strdup(s)))
		return -1;
	(*n)++;
	return 0;
}

static void list_remove(char **list, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(list[i], s) == 0) {
			free(list[i]);
			memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(char *));
			(*n)--;
			return;
		}
	}
}

static void list_clear(char **list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(list[i]);
	*n = 0;
}

static int apply_token(struct ctx *c, const struct udev_token *t)
{
	char val[VAL_MAX];
	c->tok = t;
	subst(c, t->value, val);
	struct udev_result *res = c->res;
	switch (t->key) {
	case K_ENV:
		if (t->op == OP_ADD) {
			const char *old = udev_env_get(&res->env, t->attr);
			char joined[VAL_MAX];
			snprintf(joined, sizeof(joined), "%s%s%s", old ? old : "",
			         old && *old && *val ? " " : "", val);
			return udev_env_set(&res->env, t->attr, joined);
		}
		return udev_env_set(&res->env, t->attr, val);
	case K_RUN:
		if (c->run_final)
			return 0;
		if (t->op == OP_ASSIGN || t->op == OP_FINAL)
			list_clear(res->run, &res->nrun);
		if (t->op == OP_FINAL)
			c->run_final = 1;
		if (t->op == OP_REMOVE) {
			list_remove(res->run, &res->nrun, val);
			return 0;
		}
		if (!*val)
			return 0;
		{
			/* RUN keeps duplicates out too: udev runs each program once. */
			return list_add(&res->run, &res->nrun, val);
		}
	case K_SYMLINK: {
		if (c->sym_final)
			return 0;
		if (t->op == OP_ASSIGN || t->op == OP_FINAL)
			list_clear(res->symlinks, &res->nsymlinks);
		if (t->op == OP_FINAL)
			c->sym_final = 1;
		char *save = NULL;
		for (char *w = strtok_r(val, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			if (t->op == OP_REMOVE)
				list_remove(res->symlinks, &res->nsymlinks, w);
			else if (list_add(&res->symlinks, &res->nsymlinks, w) < 0)
				return -1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

void udev_result_clear(struct udev_result *res)
{
	udev_env_clear(&res->env);
	list_clear(res->run, &res->nrun);
	free(res->run);
	list_clear(res->symlinks, &res->nsymlinks);
	free(res->symlinks);
	memset(res, 0, sizeof(*res));
}

int udev_rules_apply(const struct udev_rules *r, const struct udev_env *props, const char *sysroot,
                     struct udev_result *res)
{
	memset(res, 0, sizeof(*res));
	if (udev_env_copy(&res->env, props) < 0) {
		udev_result_clear(res);
		return -1;
	}
	struct ctx c = {.r = r, .sysroot = sysroot, .res = res};
	for (size_t i = 0; i < r->nrule; i++) {
		const struct udev_rule *ru = &r->rule[i];
		c.ru = ru;
		if (ru->disabled)
			continue;
		int match = 1;
		for (size_t t = 0; t < ru->ntok && match; t++) {
			const struct udev_token *tk = &ru->tok[t];
			int is_match = tk->op == OP_MATCH || tk->op == OP_NOMATCH;
			if (is_match)
				match = token_matches(&c, tk);
		}
		if (!match)
			continue;
		long jump = -1;
		for (size_t t = 0; t < ru->ntok; t++) {
			const struct udev_token *tk = &ru->tok[t];
			if (tk->op == OP_MATCH || tk->op == OP_NOMATCH)
				continue;
			if (tk->key == K_GOTO) {
				jump = ru->goto_idx;
				continue;
			}
			if (apply_token(&c, tk) < 0) {
				udev_result_clear(res);
				return -1;
			}
		}
		if (jump >= 0)
			i = (size_t)jump - 1; /* the loop's i++ lands on the LABEL rule */
	}
	return 0;
}

char **udev_split_argv(const char *cmd)
{
	size_t cap = 8, n = 0;
	char **argv = calloc(cap, sizeof(char *));
	char *word = malloc(strlen(cmd) + 1);
	if (!argv || !word)
		goto fail;
	const char *p = cmd;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t wl = 0;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				while (*p && *p != q)
					word[wl++] = *p++;
				if (*p != q)
					goto fail;
				p++;
			} else {
				word[wl++] = *p++;
			}
		}
		word[wl] = '\0';
		if (n + 2 > cap) {
			cap *= 2;
			char **a = realloc(argv, cap * sizeof(char *));
			if (!a)
				goto fail;
			argv = a;
		}
		if (!(argv[n++] = strdup(word)))
			goto fail;
		argv[n] = NULL;
	}
	free(word);
	if (n == 0) {
		free(argv);
		return NULL;
	}
	return argv;
fail:
	free(word);
	udev_argv_free(argv);
	return NULL;
}

void udev_argv_free(char **argv)
{
	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}
