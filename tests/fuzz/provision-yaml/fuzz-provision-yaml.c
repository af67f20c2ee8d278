/*
 * fuzz-provision-yaml.c - a YAML provisioning document, as `xenchannel
 * provision --config doc.yaml` reads it: cli_yaml_to_json, then what the CLI
 * does with the JSON (load it refusing duplicate keys, validate it).
 *
 * Beyond "no crash, no leak" it checks the contract, with abort() so
 * libFuzzer reports it:
 *   - success: the input is one whole, well-formed YAML document (libyaml's
 *     event parser reads it to the end of the stream), and the text is one
 *     JSON object that loads back as the CLI loads it and dumps back to the
 *     same text (nothing lost or changed in between), and it fits a frame;
 *   - failure: a message that says where ("line L column C: ...");
 *   - the validator either accepts or says why;
 *   - read as cloud-init reads its files (YAML 1.1, places of key paths),
 *     the same input as a cloud-config and as a network-config is checked
 *     and converted: the checks accept or say why, and every key path
 *     they name that the file has, has its place.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include <jansson.h>

#include "commands.h"
#include "xenchannel/proto.h"

/* "line L column C: <reason>" with L, C >= 1 and a reason. */
static int says_where(const char *err)
{
	unsigned long l, c;
	int n = 0;
	if (sscanf(err, "line %lu column %lu: %n", &l, &c, &n) != 2 || n == 0)
		return 0;
	return l >= 1 && c >= 1 && err[n] != 0;
}

/* How many documents the whole stream holds, or -1 when it is not YAML. */
static int documents(const uint8_t *data, size_t size)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, data, size);
	int n = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			n = -1;
			break;
		}
		yaml_event_type_t t = ev.type;
		yaml_event_delete(&ev);
		if (t == YAML_DOCUMENT_START_EVENT)
			n++;
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return n;
}

/* The cloud-init side: cli_yaml_load, the checks, the conversion. */
static void as_cloud_init_file(const uint8_t *data, size_t size)
{
	char err[4096];
	struct cli_yaml_opts yo = {.yaml11 = 1, .allow_empty = 1, .marks = json_object()};
	json_t *o = cli_yaml_load((const char *)data, size, &yo, err, sizeof(err));
	if (!o) {
		if (yo.line == 0 || yo.column == 0 || !err[0])
			abort(); /* a refusal says where */
		json_decref(yo.marks);
		return;
	}
	err[0] = 0;
	int cc = proto_cloud_config_check(o, err, sizeof(err));
	if (cc < 0 && !err[0])
		abort();
	err[0] = 0;
	int nc = proto_network_config_check(o, err, sizeof(err));
	if (nc < 0 && !err[0])
		abort();
	struct proto_cc_result r;
	if (cc == 0 &&
	    proto_cloud_config_convert(o, nc == 0 ? o : NULL, NULL, &r, err, sizeof(err)) == 0) {
		if (!json_is_object(r.doc) || !json_is_array(r.skipped))
			abort();
		json_t *doc = json_deep_copy(r.doc);
		if (!json_object_get(doc, "generation"))
			json_object_set_new(doc, "generation", json_integer(1));
		err[0] = 0;
		if (proto_config_validate(doc, err, sizeof(err)) < 0 && !err[0])
			abort();
		json_decref(doc);
		proto_cc_result_free(&r);
	}
	json_decref(o);
	json_decref(yo.marks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_cloud_init_file(data, size);
	char err[300];
	memset(err, 0, sizeof(err));
	char *js = cli_yaml_to_json((const char *)data, size, err, sizeof(err));
	if (!js) {
		if (!says_where(err))
			abort();
		return 0;
	}
	if (documents(data, size) != 1)
		abort(); /* accepted a stream that is not exactly one document */
	size_t len = strlen(js);
	if (len > PROTO_MAX_PAYLOAD)
		abort();
	json_error_t je;
	json_t *o = json_loadb(js, len, JSON_REJECT_DUPLICATES, &je);
	if (!o || !json_is_object(o))
		abort(); /* the CLI would refuse its own conversion */
	char *back = json_dumps(o, JSON_COMPACT);
	if (!back || strcmp(back, js) != 0)
		abort();
	free(back);
	char verr[400];
	verr[0] = 0;
	if (proto_config_validate(o, verr, sizeof(verr)) < 0 && verr[0] == 0)
		abort();
	json_decref(o);
	free(js);
	return 0;
}
