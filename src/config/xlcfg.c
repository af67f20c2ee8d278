/*
 * xlcfg.c - the xl.cfg file grammar, as libxlu (Xen 4.17) accepts it.
 *
 *   file       := { stmt } [ assignment ]
 *   stmt       := assignment end | end
 *   end        := NEWLINE | ';'
 *   assignment := IDENT ( '=' | '+=' ) value
 *   value      := STRING | NUMBER | '[' nl* [ value nl* { ',' nl* value nl* } [ ',' nl* ] ] ']'
 *
 * Tokens: IDENT [a-z][_0-9a-z]*, NUMBER [0-9][0-9a-fx]* (kept as text),
 * STRING in '...' or "..." on one line with the escapes \" \' \\ \a \b \f
 * \n \r \t \v, blanks are space and tab, '#' comments to end of line.
 * xl's numeric escapes (\xHH, \NNN) never produce a character (xl either
 * rejects them or drops them), so they are rejected here with a reason.
 * A carriage return is a lexical error in xl too (DOS line endings).
 *
 * `key += value` appends to the previous setting of key (string to string,
 * list to list). When a key is set more than once the last setting wins.
 *
 * On an error the rest of the statement is skipped and parsing goes on, so
 * one run reports every broken line; the result is then discarded.
 *
 * tests/unit/config/test-xlu-diff.c holds this against Xen 4.17's own
 * libxlutil: what xl rejects is rejected, what it accepts reads the same,
 * except where xl silently misreads (octal escapes, `512M' at end of file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xenchannel/config.h"
#include "xenchannel/escape.h"

#define MAX_FILE_SIZE (4u << 20)
#define MAX_DEPTH 32
#define MAX_ERRORS 20

enum tok {
	T_EOF,
	T_NEWLINE,
	T_IDENT,
	T_NUMBER,
	T_STRING,
	T_COMMA,
	T_LBRACK,
	T_RBRACK,
	T_EQ,
	T_ADD,
	T_SEMI,
	T_ERROR,
};

struct parser {
	const char *src;
	const char *data;
	size_t len;
	size_t pos;
	unsigned line, col;
	struct cfg_diag *d;
	unsigned errors;
	int oom;
	int likely_python;
	/* current token */
	enum tok tok;
	struct cfg_loc tloc;
	size_t tstart, tend; /* raw text span */
	size_t prev_end;     /* tend of the token before this one */
	char *tstr;          /* STRING/NUMBER/IDENT text (owned until taken) */
	size_t tlen;
	unsigned *tcols;
};

static const char *tok_name(enum tok t)
{
	switch (t) {
	case T_EOF:
		return "end of file";
	case T_NEWLINE:
		return "end of line";
	case T_IDENT:
		return "a key";
	case T_NUMBER:
		return "a number";
	case T_STRING:
		return "a string";
	case T_COMMA:
		return "','";
	case T_LBRACK:
		return "'['";
	case T_RBRACK:
		return "']'";
	case T_EQ:
		return "'='";
	case T_ADD:
		return "'+='";
	case T_SEMI:
		return "';'";
	case T_ERROR:
		break;
	}
	return "an invalid character";
}

static void error_at(struct parser *p, struct cfg_loc loc, const char *fmt, const char *a,
                     const char *b)
{
	p->errors++;
	if (p->errors > MAX_ERRORS)
		return;
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "");
	if (p->errors == MAX_ERRORS)
		cfg_diag_add(p->d, CFG_ERROR, "%s:%u:%u: %s (too many errors, stopping)", p->src,
		             loc.line, loc.col, msg);
	else
		cfg_diag_add(p->d, CFG_ERROR, "%s:%u:%u: %s", p->src, loc.line, loc.col, msg);
}

static void clear_tok(struct parser *p)
{
	free(p->tstr);
	free(p->tcols);
	p->tstr = NULL;
	p->tcols = NULL;
	p->tlen = 0;
}

static int peekc(const struct parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->data[p->pos + off] : -1;
}

static void advance(struct parser *p)
{
	if (p->pos >= p->len)
		return;
	if (p->data[p->pos] == '\n') {
		p->line++;
		p->col = 1;
	} else {
		p->col++;
	}
	p->pos++;
}

/* Quote `text` of the current token for a message, printable and short. */
static void tok_text(const struct parser *p, char *buf, size_t size)
{
	const char *t = p->data + p->tstart;
	const char *nl = memchr(t, '\n', p->tend - p->tstart);
	esc_text(buf, size, t, nl ? (size_t)(nl - t) : p->tend - p->tstart, 40, 0);
}

static int is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int lex_string(struct parser *p)
{
	int q = peekc(p, 0);
	size_t cap = 16, n = 0;
	char *s = malloc(cap);
	unsigned *cols = malloc(cap * sizeof(*cols));
	if (!s || !cols) {
		free(s);
		free(cols);
		p->oom = 1;
		return -1;
	}
	advance(p);
	for (;;) {
		int c = peekc(p, 0);
		struct cfg_loc here = {p->line, p->col};
		if (c < 0 || c == '\n') {
			error_at(p, p->tloc,
			         "unterminated string (a string must end on its line with %s)",
			         q == '"' ? "\"" : "'", NULL);
			goto fail;
		}
		if (n + 2 > cap) {
			cap *= 2;
			char *ns = realloc(s, cap);
			if (!ns)
				goto oom;
			s = ns;
			unsigned *nc = realloc(cols, cap * sizeof(*cols));
			if (!nc)
				goto oom;
			cols = nc;
		}
		if (c == q) {
			advance(p);
			break;
		}
		if (c == '\\') {
			advance(p);
			int e = peekc(p, 0);
			char out;
			switch (e) {
			case '"':
			case '\'':
			case '\\':
				out = (char)e;
				break;
			case 'a':
				out = '\a';
				break;
			case 'b':
				out = '\b';
				break;
			case 'f':
				out = '\f';
				break;
			case 'n':
				out = '\n';
				break;
			case 'r':
				out = '\r';
				break;
			case 't':
				out = '\t';
				break;
			case 'v':
				out = '\v';
				break;
			default:
				if (e == 'x' || is_digit(e)) {
					char ch[2] = {(char)e, 0};
					error_at(p, here,
					         "numeric escape '\\%s...' in a string: xl does "
					         "not turn it "
					         "into a character (write the character itself)%s",
					         ch, NULL);
				} else if (e < 0 || e == '\n')
					error_at(p, p->tloc, "unterminated string%s%s", NULL, NULL);
				else {
					char ch[2] = {(char)e, 0};
					error_at(
					    p, here,
					    "invalid escape '\\%s' in a string (xl knows \\\" \\' "
					    "\\\\ \\a \\b \\f \\n \\r \\t \\v)%s",
					    e >= 0x20 && e < 0x7f ? ch : "?", NULL);
				}
				goto fail;
			}
			advance(p);
			cols[n] = here.col;
			s[n++] = out;
			continue;
		}
		cols[n] = here.col;
		s[n++] = (char)c;
		advance(p);
	}
	s[n] = 0;
	cols[n] = p->col - 1; /* the closing quote */
	if (memchr(s, 0, n)) {
		error_at(p, p->tloc, "NUL byte inside a string%s%s", NULL, NULL);
		goto fail_noskip;
	}
	p->tstr = s;
	p->tcols = cols;
	p->tlen = n;
	return 0;
oom:
	p->oom = 1;
fail:
fail_noskip:
	free(s);
	free(cols);
	return -1;
}

static int lex_word(struct parser *p, int number)
{
	size_t start = p->pos;
	advance(p);
	for (;;) {
		int c = peekc(p, 0);
		if (number ? (is_digit(c) || (c >= 'a' && c <= 'f') || c == 'x')
		           : (is_lower(c) || is_digit(c) || c == '_'))
			advance(p);
		else
			break;
	}
	size_t n = p->pos - start;
	p->tstr = malloc(n + 1);
	p->tcols = malloc((n + 1) * sizeof(*p->tcols));
	if (!p->tstr || !p->tcols) {
		p->oom = 1;
		return -1;
	}
	memcpy(p->tstr, p->data + start, n);
	p->tstr[n] = 0;
	for (size_t i = 0; i <= n; i++)
		p->tcols[i] = p->tloc.col + (unsigned)i;
	p->tlen = n;
	return 0;
}

/* Skip the rest of a bad token (up to a blank or end of line). */
static void skip_bad(struct parser *p)
{
	for (;;) {
		int c = peekc(p, 0);
		if (c < 0 || c == ' ' || c == '\t' || c == '\n')
			return;
		advance(p);
	}
}

static void next(struct parser *p)
{
	p->prev_end = p->tend;
	clear_tok(p);
	for (;;) {
		int c = peekc(p, 0);
		if (c == ' ' || c == '\t') {
			advance(p);
			continue;
		}
		if (c == '#') {
			struct cfg_loc at = {p->line, p->col};
			while (peekc(p, 0) >= 0 && peekc(p, 0) != '\n')
				advance(p);
			if (peekc(p, 0) < 0)
				error_at(
				    p, at,
				    "comment on the last line without a newline: xl rejects it "
				    "(end the file with a newline)%s%s",
				    NULL, NULL);
			continue;
		}
		break;
	}
	p->tloc.line = p->line;
	p->tloc.col = p->col;
	p->tstart = p->pos;
	int c = peekc(p, 0);
	enum tok t = T_ERROR;
	if (c < 0) {
		t = T_EOF;
	} else if (c == '\n') {
		advance(p);
		t = T_NEWLINE;
	} else if (is_lower(c)) {
		t = lex_word(p, 0) ? T_ERROR : T_IDENT;
	} else if (is_digit(c)) {
		t = lex_word(p, 1) ? T_ERROR : T_NUMBER;
		int n = peekc(p, 0);
		if (t == T_NUMBER && (is_lower(n) || (n >= 'A' && n <= 'Z') || n == '_')) {
			skip_bad(p);
			p->tend = p->pos;
			char buf[64];
			tok_text(p, buf, sizeof(buf));
			error_at(
			    p, p->tloc,
			    "`%s' is not a number xl reads ([0-9][0-9a-fx]*: no units or suffixes; "
			    "quote text)%s",
			    buf, NULL);
			p->tok = T_ERROR;
			return;
		}
	} else if (c == '"' || c == '\'') {
		t = lex_string(p) ? T_ERROR : T_STRING;
		if (t == T_ERROR) {
			p->tend = p->pos;
			p->tok = T_ERROR;
			skip_bad(p);
			return;
		}
	} else if (c == ',' || c == '[' || c == ']' || c == '=' || c == ';') {
		advance(p);
		t = c == ','   ? T_COMMA
		    : c == '[' ? T_LBRACK
		    : c == ']' ? T_RBRACK
		    : c == '=' ? T_EQ
		               : T_SEMI;
	} else if (c == '+' && peekc(p, 1) == '=') {
		advance(p);
		advance(p);
		t = T_ADD;
	} else {
		advance(p);
		p->tend = p->pos;
		/* show the whole bad word, not just its first byte */
		while (p->tend < p->len && !strchr(" \t\n=,[];#", p->data[p->tend]))
			p->tend++;
		char buf[64];
		tok_text(p, buf, sizeof(buf));
		if (c == '\r')
			error_at(
			    p, p->tloc,
			    "carriage return: xl reads Unix line endings only (convert the file "
			    "with dos2unix)%s%s",
			    NULL, NULL);
		else if (c >= 'A' && c <= 'Z')
			error_at(
			    p, p->tloc,
			    "lexical error near `%s': xl keys are lower case ([a-z][_0-9a-z]*) and "
			    "text values need quotes%s",
			    buf, NULL);
		else if (c && strchr("+-.():", c)) {
			p->likely_python = 1;
			error_at(p, p->tloc,
			         "lexical error near `%s' (this looks like Python; xl config files "
			         "are not "
			         "Python)%s",
			         buf, NULL);
		} else if (c >= 0x20 && c < 0x7f)
			error_at(p, p->tloc, "lexical error near `%s'%s", buf, NULL);
		else
			error_at(
			    p, p->tloc, "lexical error: byte 0x%s outside strings%s",
			    (char[3]){"0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15], 0},
			    NULL);
		skip_bad(p);
		p->tok = T_ERROR;
		return;
	}
	p->tend = p->pos;
	p->tok = t;
}

static void syntax_error(struct parser *p, const char *expected)
{
	char near[64];
	if (p->tok == T_ERROR)
		return; /* already reported by the lexer */
	if (p->tok == T_EOF || p->tok == T_NEWLINE) {
		char msg[160];
		snprintf(msg, sizeof(msg), "syntax error at %s: expected %%s%%s", tok_name(p->tok));
		error_at(p, p->tloc, msg, expected, NULL);
		return;
	}
	tok_text(p, near, sizeof(near));
	error_at(p, p->tloc, "syntax error near `%s': expected %s", near, expected);
}

/* Recovery: drop everything up to the end of the current statement. */
static void skip_statement(struct parser *p)
{
	int depth = 0;
	while (p->tok != T_EOF && p->tok != T_SEMI && !(p->tok == T_NEWLINE && depth <= 0)) {
		if (p->tok == T_LBRACK)
			depth++;
		else if (p->tok == T_RBRACK)
			depth--;
		next(p);
	}
}

static void value_free(struct cfg_value *v)
{
	if (!v)
		return;
	free(v->str);
	free(v->cols);
	for (size_t i = 0; i < v->nitems; i++)
		value_free(v->items[i]);
	free(v->items);
	free(v);
}

static struct cfg_value *value_copy(const struct cfg_value *v)
{
	struct cfg_value *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->type = v->type;
	c->loc = v->loc;
	c->quoted = v->quoted;
	if (v->type == CFG_STRING) {
		c->len = v->len;
		c->str = malloc(v->len + 1);
		c->cols = malloc((v->len + 1) * sizeof(*c->cols));
		if (!c->str || !c->cols)
			goto fail;
		memcpy(c->str, v->str, v->len + 1);
		memcpy(c->cols, v->cols, (v->len + 1) * sizeof(*c->cols));
		return c;
	}
	if (v->nitems) {
		c->items = calloc(v->nitems, sizeof(*c->items));
		if (!c->items)
			goto fail;
	}
	for (size_t i = 0; i < v->nitems; i++) {
		c->items[i] = value_copy(v->items[i]);
		if (!c->items[i])
			goto fail;
		c->nitems++;
	}
	return c;
fail:
	value_free(c);
	return NULL;
}

static void skip_newlines(struct parser *p)
{
	while (p->tok == T_NEWLINE)
		next(p);
}

static int list_push(struct parser *p, struct cfg_value *list, struct cfg_value *item)
{
	struct cfg_value **n = realloc(list->items, (list->nitems + 1) * sizeof(*n));
	if (!n) {
		p->oom = 1;
		value_free(item);
		return -1;
	}
	list->items = n;
	list->items[list->nitems++] = item;
	return 0;
}

static struct cfg_value *parse_value(struct parser *p, int depth)
{
	struct cfg_value *v = calloc(1, sizeof(*v));
	if (!v) {
		p->oom = 1;
		return NULL;
	}
	v->loc = p->tloc;
	if (p->tok == T_STRING || p->tok == T_NUMBER) {
		v->type = CFG_STRING;
		v->quoted = p->tok == T_STRING;
		v->str = p->tstr;
		v->cols = p->tcols;
		v->len = p->tlen;
		p->tstr = NULL;
		p->tcols = NULL;
		next(p);
		return v;
	}
	if (p->tok != T_LBRACK) {
		syntax_error(p, "a value (a quoted string, a number or a [list])");
		free(v);
		return NULL;
	}
	if (depth >= MAX_DEPTH) {
		error_at(p, p->tloc, "lists nested too deeply (more than %s levels)%s", "32", NULL);
		free(v);
		return NULL;
	}
	v->type = CFG_LIST;
	next(p);
	skip_newlines(p);
	if (p->tok == T_RBRACK) {
		next(p);
		return v;
	}
	for (;;) {
		struct cfg_value *item = parse_value(p, depth + 1);
		if (!item || list_push(p, v, item))
			goto fail;
		skip_newlines(p);
		if (p->tok == T_RBRACK) {
			next(p);
			return v;
		}
		if (p->tok != T_COMMA) {
			syntax_error(p, "',' or ']' in a list");
			goto fail;
		}
		next(p);
		skip_newlines(p);
		if (p->tok == T_RBRACK) {
			next(p);
			return v;
		}
	}
fail:
	value_free(v);
	return NULL;
}

static int store(struct parser *p, struct cfg_file *f, char *key, struct cfg_loc kloc, size_t start,
                 int append, struct cfg_value *v)
{
	if (append) {
		const struct cfg_setting *prev = cfg_get(f, key);
		if (prev) {
			const struct cfg_value *pv = prev->value;
			if (pv->type != v->type) {
				char msg[200];
				snprintf(msg, sizeof(msg),
				         "can't add %s to %s with += (key `%%s' was set as a %s on "
				         "line %u)%%s",
				         v->type == CFG_LIST ? "a [list]" : "a \"string\"",
				         pv->type == CFG_LIST ? "a [list]" : "a \"string\"",
				         pv->type == CFG_LIST ? "list" : "string", prev->loc.line);
				error_at(p, v->loc, msg, key, NULL);
				free(key);
				value_free(v);
				return -1;
			}
			if (v->type == CFG_STRING) {
				size_t n = pv->len + v->len;
				char *s = malloc(n + 1);
				unsigned *cols = malloc((n + 1) * sizeof(*cols));
				if (!s || !cols) {
					free(s);
					free(cols);
					goto oom;
				}
				memcpy(s, pv->str, pv->len);
				memcpy(s + pv->len, v->str, v->len + 1);
				memcpy(cols, pv->cols, pv->len * sizeof(*cols));
				memcpy(cols + pv->len, v->cols, (v->len + 1) * sizeof(*cols));
				free(v->str);
				free(v->cols);
				v->str = s;
				v->cols = cols;
				v->len = n;
				v->loc = pv->loc;
				v->quoted = v->quoted || pv->quoted;
			} else {
				struct cfg_value **items =
				    calloc(pv->nitems + v->nitems + 1, sizeof(*items));
				if (!items)
					goto oom;
				size_t k = 0;
				for (; k < pv->nitems; k++) {
					items[k] = value_copy(pv->items[k]);
					if (!items[k]) {
						for (size_t j = 0; j < k; j++)
							value_free(items[j]);
						free(items);
						goto oom;
					}
				}
				/* moved one by one: an empty list has no items array */
				for (size_t j = 0; j < v->nitems; j++)
					items[k + j] = v->items[j];
				free(v->items);
				v->items = items;
				v->nitems += pv->nitems;
				v->loc = pv->loc;
			}
		}
	}
	struct cfg_setting *s = realloc(f->settings, (f->n + 1) * sizeof(*s));
	if (!s)
		goto oom;
	f->settings = s;
	s[f->n].key = key;
	s[f->n].loc = kloc;
	s[f->n].start = start;
	s[f->n].end = p->prev_end;
	s[f->n].append = append;
	s[f->n].value = v;
	f->n++;
	return 0;
oom:
	p->oom = 1;
	free(key);
	value_free(v);
	return -1;
}

static void parse_file(struct parser *p, struct cfg_file *f)
{
	next(p);
	while (!p->oom && p->errors < MAX_ERRORS) {
		if (p->tok == T_EOF)
			return;
		if (p->tok == T_NEWLINE || p->tok == T_SEMI) {
			next(p);
			continue;
		}
		if (p->tok != T_IDENT) {
			syntax_error(p, "a setting `key = value'");
			skip_statement(p);
			continue;
		}
		char *key = p->tstr;
		struct cfg_loc kloc = p->tloc;
		size_t kstart = p->tstart;
		p->tstr = NULL;
		next(p);
		if (p->tok != T_EQ && p->tok != T_ADD) {
			syntax_error(p, "'=' or '+=' after the key");
			free(key);
			skip_statement(p);
			continue;
		}
		int append = p->tok == T_ADD;
		next(p);
		struct cfg_value *v = parse_value(p, 0);
		if (!v) {
			free(key);
			skip_statement(p);
			continue;
		}
		if (p->tok != T_NEWLINE && p->tok != T_SEMI && p->tok != T_EOF) {
			syntax_error(p, "end of line or ';' after the value");
			free(key);
			value_free(v);
			skip_statement(p);
			continue;
		}
		if (store(p, f, key, kloc, kstart, append, v))
			continue;
	}
}

void cfg_file_free(struct cfg_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->settings[i].key);
		value_free(f->settings[i].value);
	}
	free(f->settings);
	free(f->source);
	free(f);
}

const struct cfg_setting *cfg_get(const struct cfg_file *f, const char *key)
{
	for (size_t i = f->n; i-- > 0;)
		if (!strcmp(f->settings[i].key, key))
			return &f->settings[i];
	return NULL;
}

/* keep: on syntax errors, hand out the settings that did parse. */
static int parse_text(const char *source, const char *data, size_t len, int keep,
                      struct cfg_file **out, struct cfg_diag *d)
{
	*out = NULL;
	if (!source)
		source = "<config>";
	if (len > MAX_FILE_SIZE) {
		cfg_diag_add(d, CFG_ERROR, "%s: file too large (%zu bytes, at most %u)", source,
		             len, MAX_FILE_SIZE);
		return -1;
	}
	struct cfg_file *f = calloc(1, sizeof(*f));
	if (!f || !(f->source = strdup(source))) {
		free(f);
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", source);
		return -1;
	}
	struct parser p = {
	    .src = f->source,
	    .data = data,
	    .len = len,
	    .line = 1,
	    .col = 1,
	    .d = d,
	};
	parse_file(&p, f);
	clear_tok(&p);
	if (p.oom)
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", source);
	if (p.errors || p.oom) {
		if (p.likely_python)
			cfg_diag_add(d, CFG_WARNING,
			             "%s: warning: the file looks like it contains Python code; xl "
			             "does not run Python any more",
			             source);
		if (keep && !p.oom)
			*out = f;
		else
			cfg_file_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

int cfg_parse(const char *source, const char *data, size_t len, struct cfg_file **out,
              struct cfg_diag *d)
{
	return parse_text(source, data, len, 0, out, d);
}

int cfg_parse_keep(const char *source, const char *data, size_t len, struct cfg_file **out,
                   struct cfg_diag *d)
{
	return parse_text(source, data, len, 1, out, d);
}

/* Everything fd holds, up to the size limit. */
static int read_fd(int fd, const char *path, size_t hint, char **data, size_t *len,
                   struct cfg_diag *d)
{
	size_t cap = hint + 1, n = 0;
	char *buf = malloc(cap);
	if (!buf) {
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", path);
		return -1;
	}
	for (;;) {
		if (n == cap) {
			/* the file grew while we read it, or a pipe: keep to the limit */
			if (cap > MAX_FILE_SIZE) {
				cfg_diag_add(d, CFG_ERROR,
				             "%s: file too large (more than %u bytes)", path,
				             MAX_FILE_SIZE);
				free(buf);
				return -1;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				cfg_diag_add(d, CFG_ERROR, "%s: out of memory", path);
				free(buf);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			cfg_diag_add(d, CFG_ERROR, "%s: read error: %s", path, strerror(errno));
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*data = buf;
	*len = n;
	return 0;
}

int cfg_read(const char *path, char **data, size_t *len, struct cfg_diag *d)
{
	*data = NULL;
	*len = 0;
	if (!strcmp(path, "-"))
		return read_fd(0, CFG_STDIN_NAME, 4095, data, len, d);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cfg_diag_add(d, CFG_ERROR, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		cfg_diag_add(d, CFG_ERROR, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((unsigned long long)st.st_size > MAX_FILE_SIZE) {
		cfg_diag_add(d, CFG_ERROR, "%s: file too large (%lld bytes, at most %u)", path,
		             (long long)st.st_size, MAX_FILE_SIZE);
		close(fd);
		return -1;
	}
	int rc = read_fd(fd, path, (size_t)st.st_size, data, len, d);
	close(fd);
	return rc;
}

int cfg_parse_file(const char *path, struct cfg_file **out, struct cfg_diag *d)
{
	*out = NULL;
	char *buf;
	size_t n;
	if (cfg_read(path, &buf, &n, d))
		return -1;
	int rc = cfg_parse(strcmp(path, "-") ? path : CFG_STDIN_NAME, buf, n, out, d);
	free(buf);
	return rc;
}
