/*
 * provision-yaml.c - provisioning documents written in YAML (cloud-init
 * style) become the JSON text that `xenchannel provision` sends and signs.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "commands.h"
#include "xenchannel/proto.h"

#define MAX_DEPTH 64

struct conv {
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	size_t room;             /* bytes of JSON text still allowed */
	struct cli_yaml_opts *o; /* NULL: the provisioning document rules */
};

/* Every refusal names the place in the file. Returns NULL. */
static void *fail(struct conv *c, yaml_mark_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void *fail(struct conv *c, yaml_mark_t at, const char *fmt, ...)
{
	int n = 0;
	if (c->o) {
		c->o->line = at.line + 1;
		c->o->column = at.column + 1;
	} else {
		n = snprintf(c->err, c->errlen, "line %zu column %zu: ", at.line + 1,
		             at.column + 1);
	}
	if (n >= 0 && (size_t)n < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

/* YAML 1.1 as PyYAML resolves plain scalars, so a cloud-config means here
 * what it means to cloud-init: yes/on/True are booleans, 0644 is the octal
 * integer 420, 1_000 is 1000, 1.5 a number. NULL: a string after all. */
static json_t *yaml11_scalar(const char *v)
{
	static const char *const t[] = {"yes",  "Yes", "YES", "true", "True",
	                                "TRUE", "on",  "On",  "ON",   NULL};
	static const char *const f[] = {"no",    "No",  "NO",  "false", "False",
	                                "FALSE", "off", "Off", "OFF",   NULL};
	for (int i = 0; t[i] || f[i]; i++) {
		if (t[i] && !strcmp(v, t[i]))
			return json_true();
		if (f[i] && !strcmp(v, f[i]))
			return json_false();
	}
	if (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	    !strcmp(v, "NULL"))
		return json_null();
	char digits[64];
	size_t n = 0;
	int dots = 0, exp = 0;
	for (const char *p = v; *p; p++) {
		if (*p == '_')
			continue; /* digit separators */
		if (n + 1 >= sizeof(digits))
			return NULL;
		dots += *p == '.';
		exp += *p == 'e' || *p == 'E';
		digits[n++] = *p;
	}
	digits[n] = 0;
	const char *d = digits + (digits[0] == '-' || digits[0] == '+');
	int base = 10;
	if (d[0] == '0' && (d[1] == 'x' || d[1] == 'b'))
		base = d[1] == 'x' ? 16 : 2;
	else if (d[0] == '0' && d[1] && !dots)
		base = 8;
	char *end;
	errno = 0;
	if (!dots && !exp) {
		long long x = strtoll(base == 10 || base == 8 ? digits : d + 2, &end, base);
		if (base == 16 || base == 2)
			x = digits[0] == '-' ? -x : x;
		return *d && !*end && !errno ? json_integer(x) : NULL;
	}
	double x = strtod(digits, &end);
	return dots == 1 && isdigit((unsigned char)d[0]) && !*end && !errno ? json_real(x) : NULL;
}

/* Plain scalars: null, true/false, decimal integers without a leading zero
 * (so 0644 stays the string a permissions key wants), else strings. */
static json_t *yaml_scalar(struct conv *c, const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	/* "\0" escapes: JSON documents cannot carry NUL (the agent refuses them). */
	if (memchr(v, 0, len))
		return fail(c, n->start_mark, "a NUL character (\\0) cannot be sent");
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && c->o && c->o->yaml11) {
		json_t *j = yaml11_scalar(v);
		if (j)
			return j;
	} else if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (len == 0 || !strcmp(v, "~") || !strcmp(v, "null"))
			return json_null();
		if (!strcmp(v, "true"))
			return json_true();
		if (!strcmp(v, "false"))
			return json_false();
		const char *d = v + (*v == '-' || *v == '+');
		int integer = *d && len < 19 && (d[0] != '0' || !d[1]);
		for (const char *p = d; *p && integer; p++)
			integer = *p >= '0' && *p <= '9';
		if (integer)
			return json_integer(strtoll(v, NULL, 10));
	}
	json_t *s = json_stringn(v, len);
	return s ? s : fail(c, n->start_mark, "not UTF-8 text");
}

/* Charge what n adds to the JSON text at most (a string's bytes escaped,
 * quotes, separators). Aliases repeat a node without repeating its text, so
 * a few lines could otherwise expand to gigabytes. Returns 0 or -1. */
static int charge(struct conv *c, const yaml_node_t *n)
{
	size_t cost = 8;
	if (n->type == YAML_SCALAR_NODE)
		for (size_t i = 0; i < n->data.scalar.length; i++) {
			unsigned char ch = n->data.scalar.value[i];
			cost += ch < 0x20 ? 6 : ch == '"' || ch == '\\' ? 2 : 1;
		}
	if (cost > c->room) {
		fail(c, n->start_mark, "the document grows beyond %u bytes as JSON (aliases?)",
		     PROTO_MAX_PAYLOAD);
		return -1;
	}
	c->room -= cost;
	return 0;
}

/* Whether key paths are wanted (cli_yaml_load with marks): building them
 * costs a formatted copy per node, paid for nothing otherwise. */
static int marking(const struct conv *c)
{
	return c->o && c->o->marks;
}

/* Where each key path is, for messages about the converted document: a
 * mapping entry at its key, a list entry at its node. First place wins (an
 * alias repeats a node under other paths, each its own). */
static void mark(struct conv *c, const char *path, yaml_mark_t at)
{
	if (!marking(c) || json_object_get(c->o->marks, path))
		return;
	json_object_set_new(
	    c->o->marks, path,
	    json_pack("[I, I]", (json_int_t)at.line + 1, (json_int_t)at.column + 1));
}

static json_t *convert(struct conv *c, yaml_node_t *n, int depth, const char *path)
{
	if (depth > MAX_DEPTH)
		return fail(c, n->start_mark, "nested more than %d deep", MAX_DEPTH);
	if (charge(c, n) < 0)
		return NULL;
	char sub[1024];
	sub[0] = 0; /* the path, when marking */
	if (n->type == YAML_SCALAR_NODE)
		return yaml_scalar(c, n);
	if (n->type == YAML_SEQUENCE_NODE) {
		json_t *a = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++) {
			yaml_node_t *item = yaml_document_get_node(c->doc, *i);
			if (marking(c) &&
			    snprintf(sub, sizeof(sub), "%s[%td]", path,
			             i - n->data.sequence.items.start) < (int)sizeof(sub))
				mark(c, sub, item->start_mark);
			json_t *v = convert(c, item, depth + 1, sub);
			if (!v) {
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, v);
		}
		return a;
	}
	json_t *o = json_object();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			json_decref(o);
			return fail(c, k->start_mark, "a key must be a scalar");
		}
		const char *key = (const char *)k->data.scalar.value;
		if (charge(c, k) < 0) {
			json_decref(o);
			return NULL;
		}
		if (memchr(key, 0, k->data.scalar.length)) {
			json_decref(o);
			return fail(c, k->start_mark, "a NUL character (\\0) cannot be sent");
		}
		if (json_object_get(o, key)) {
			json_decref(o);
			return fail(c, k->start_mark, "duplicate key %s", key);
		}
		if (marking(c) && snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
		                           key) < (int)sizeof(sub))
			mark(c, sub, k->start_mark);
		json_t *v = convert(c, yaml_document_get_node(c->doc, p->value), depth + 1, sub);
		if (!v) {
			json_decref(o);
			return NULL;
		}
		if (json_object_set_new(o, key, v) < 0) {
			json_decref(o);
			return fail(c, k->start_mark, "a key must be UTF-8 text");
		}
	}
	return o;
}

/* libyaml's error: where it was found and why. Reader errors (bad
 * encoding, control characters) give a byte offset instead of a mark. */
static void *parse_failed(struct conv *c, const yaml_parser_t *p, const char *text, size_t len)
{
	yaml_mark_t at = p->problem_mark;
	if (p->error == YAML_READER_ERROR) {
		at = (yaml_mark_t){0};
		for (size_t i = 0; i < p->problem_offset && i < len; i++) {
			at.column++;
			if (text[i] == '\n') {
				at.line++;
				at.column = 0;
			}
		}
	}
	return fail(c, at, "%s", p->problem ? p->problem : "not YAML");
}

/* One YAML document, a mapping, as JSON (o: the options, NULL for the
 * provisioning document rules). NULL with the reason in err. */
static json_t *load(const char *text, size_t len, struct cli_yaml_opts *o, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc, next;
	struct conv c = {
	    .doc = &doc, .err = err, .errlen = errlen, .room = PROTO_MAX_PAYLOAD, .o = o};
	if (!yaml_parser_initialize(&parser))
		return fail(&c, (yaml_mark_t){0}, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		parse_failed(&c, &parser, text, len);
		yaml_parser_delete(&parser);
		return NULL;
	}
	json_t *out = NULL;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root && !(o && o->allow_empty)) {
		fail(&c, doc.start_mark, "empty document");
	} else if (!yaml_parser_load(&parser, &next)) {
		/* The rest of the stream must be well-formed too. */
		parse_failed(&c, &parser, text, len);
	} else {
		/* One document per file: a second one would be silently dropped. */
		yaml_node_t *more = yaml_document_get_root_node(&next);
		if (more) {
			fail(&c, next.start_mark, "a second document (one per file)");
		} else if (!root) {
			out = json_object(); /* empty: cloud-init reads {} */
		} else if (root->type != YAML_MAPPING_NODE) {
			/* Else the JSON text would not be a document at all. */
			fail(&c, root->start_mark,
			     "the document must be a mapping (key: value lines)");
		} else {
			mark(&c, "", root->start_mark);
			out = convert(&c, root, 0, "");
		}
		yaml_document_delete(&next);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return out;
}

json_t *cli_yaml_load(const char *text, size_t len, struct cli_yaml_opts *o, char *err,
                      size_t errlen)
{
	o->line = o->column = 0;
	return load(text, len, o, err, errlen);
}

char *cli_yaml_to_json(const char *text, size_t len, char *err, size_t errlen)
{
	json_t *j = load(text, len, NULL, err, errlen);
	char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (j && !out)
		snprintf(err, errlen, "line 1 column 1: out of memory");
	json_decref(j);
	return out;
}
