/*
 * provision-yaml.c - provisioning documents written in YAML (cloud-init
 * style) become the JSON text that `xenchannel provision` sends and signs.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "commands.h"

/* Plain scalars: null, true/false, decimal integers without a leading zero
 * (so 0644 stays the string a permissions key wants), else strings. */
static json_t *yaml_scalar(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(v, len);
	if (len == 0 || !strcmp(v, "~") || !strcmp(v, "null"))
		return json_null();
	if (!strcmp(v, "true"))
		return json_true();
	if (!strcmp(v, "false"))
		return json_false();
	const char *d = v + (*v == '-' || *v == '+');
	int integer = *d && len < 19 && (d[0] != '0' || !d[1]);
	for (const char *c = d; *c && integer; c++)
		integer = *c >= '0' && *c <= '9';
	if (integer)
		return json_integer(strtoll(v, NULL, 10));
	return json_stringn(v, len);
}

static json_t *yaml_to_json(yaml_document_t *doc, yaml_node_t *n, int depth, char *err,
                            size_t errlen)
{
	if (!n || depth > 64) {
		snprintf(err, errlen, "line %zu: nested too deeply",
		         n ? n->start_mark.line + 1 : 0);
		return NULL;
	}
	if (n->type == YAML_SCALAR_NODE)
		return yaml_scalar(n);
	if (n->type == YAML_SEQUENCE_NODE) {
		json_t *a = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++) {
			json_t *v = yaml_to_json(doc, yaml_document_get_node(doc, *i), depth + 1,
			                         err, errlen);
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
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		if (!k || k->type != YAML_SCALAR_NODE) {
			snprintf(err, errlen, "line %zu: a key must be a scalar",
			         (k ? k->start_mark.line : n->start_mark.line) + 1);
			json_decref(o);
			return NULL;
		}
		const char *key = (const char *)k->data.scalar.value;
		if (json_object_get(o, key)) {
			snprintf(err, errlen, "line %zu: duplicate key %s", k->start_mark.line + 1,
			         key);
			json_decref(o);
			return NULL;
		}
		json_t *v = yaml_to_json(doc, yaml_document_get_node(doc, p->value), depth + 1, err,
		                         errlen);
		if (!v) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, key, v);
	}
	return o;
}

char *cli_yaml_to_json(const char *text, size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "line %zu column %zu: %s", parser.problem_mark.line + 1,
		         parser.problem_mark.column + 1,
		         parser.problem ? parser.problem : "YAML error");
		yaml_parser_delete(&parser);
		return NULL;
	}
	char *out = NULL;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		snprintf(err, errlen, "empty document");
	} else {
		json_t *j = yaml_to_json(&doc, root, 0, err, errlen);
		if (j)
			out = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return out;
}
