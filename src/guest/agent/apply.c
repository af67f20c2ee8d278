/* apply.c - the apply and status requests: authentication, generations,
 * and running the appliers in order. */
#include "agent.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void item_result(struct agent *a, json_t *items, const char *item, const char *result,
                 const char *fmt, ...)
{
	/* The reason may end in a character cut by the buffer: proto_json_text
	 * keeps the item (and its reason) in the reply whatever the bytes. */
	json_t *o = json_pack("{s:o, s:s}", "item", proto_json_text(item), "result", result);
	if (fmt) {
		char reason[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(reason, sizeof(reason), fmt, ap);
		va_end(ap);
		json_object_set_new(o, "reason", proto_json_text(reason));
		/* Reasons name items and errno texts, never document values. */
		log_info("%s: %s (%s)", item, result, reason);
	} else {
		log_info("%s: %s", item, result);
	}
	json_array_append_new(items, o);
}

static json_t *ok_reply(json_int_t id, json_t *result)
{
	return json_pack("{s:I, s:b, s:o}", "id", id, "ok", 1, "result", result);
}

json_t *status_request(struct agent *a, json_int_t id)
{
	json_t *r = state_describe(a);
	json_object_set_new(r, "agent", json_string("xenchannel-agent " AGENT_VERSION));
	return ok_reply(id, r);
}

/* The document text of an apply request, authenticated when this agent has a
 * key: NULL with *reply set when the request is refused or invalid. *owned
 * is what the caller frees. */
static const char *document_text(struct agent *a, json_int_t id, const json_t *req, size_t *len,
                                 char **owned, json_t **reply)
{
	json_t *docv = json_object_get(req, "document");
	json_t *inline_doc = json_object_get(req, "config");
	json_t *hmac = json_object_get(req, "hmac");
	const char *text;
	*owned = NULL;
	if (docv && json_is_string(docv)) {
		text = json_string_value(docv);
		*len = json_string_length(docv);
	} else if (inline_doc && json_is_object(inline_doc) && !a->key) {
		if (!(*owned = json_dumps(inline_doc, JSON_COMPACT | JSON_SORT_KEYS))) {
			*reply = proto_error_reply(id, PROTO_ERR_FAILED, "out of memory");
			return NULL;
		}
		text = *owned;
		*len = strlen(*owned);
	} else {
		*reply = proto_error_reply(id, PROTO_ERR_INVALID,
		                           "apply: want \"document\" (a string holding the JSON "
		                           "document)%s",
		                           a->key ? "" : " or \"config\" (an object)");
		return NULL;
	}
	if (hmac && !json_is_string(hmac)) {
		*reply = proto_error_reply(id, PROTO_ERR_INVALID, "apply: hmac: not a string");
		return NULL;
	}
	if (!a->key)
		return text;
	if (!hmac) {
		log_warn("apply request %lld refused: no hmac, and this agent requires one",
		         (long long)id);
		*reply = proto_error_reply(id, PROTO_ERR_REFUSED,
		                           "this agent requires an HMAC-SHA256 over the document");
		return NULL;
	}
	if (!proto_hmac_verify(a->key, a->keylen, text, *len, json_string_value(hmac))) {
		log_warn("apply request %lld refused: HMAC does not match", (long long)id);
		*reply = proto_error_reply(id, PROTO_ERR_REFUSED,
		                           "HMAC does not match the document (wrong key or "
		                           "altered document); nothing applied");
		return NULL;
	}
	return text;
}

/* An older generation, or the last one with other content, is refused. */
static json_t *check_generation(struct agent *a, json_int_t id, json_int_t gen, const char *digest)
{
	struct state *s = &a->state;
	if (gen < s->generation) {
		log_warn("apply request %lld refused: generation %lld is older than %lld",
		         (long long)id, (long long)gen, (long long)s->generation);
		return proto_error_reply(id, PROTO_ERR_REFUSED,
		                         "generation %lld is older than the last applied (%lld): "
		                         "replayed or stale document; nothing applied",
		                         (long long)gen, (long long)s->generation);
	}
	if (gen == s->generation && strcmp(digest, s->digest) != 0) {
		log_warn("apply request %lld refused: generation %lld reused with other content",
		         (long long)id, (long long)gen);
		return proto_error_reply(id, PROTO_ERR_REFUSED,
		                         "generation %lld was already applied with a different "
		                         "document; bump the generation; nothing applied",
		                         (long long)gen);
	}
	return NULL;
}

json_t *apply_request(struct agent *a, json_int_t id, const json_t *req)
{
	char *owned;
	size_t len;
	json_t *reply = NULL;
	const char *text = document_text(a, id, req, &len, &owned, &reply);
	if (!text) {
		free(owned);
		return reply;
	}
	json_error_t je;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	char digest[65];
	proto_sha256_hex(text, len, digest);
	free(owned);
	if (!doc)
		return proto_error_reply(id, PROTO_ERR_INVALID, "document: %s at line %d column %d",
		                         je.text, je.line, je.column);
	struct proto_config cfg;
	char err[512];
	int rc = proto_config_parse(doc, &cfg, err, sizeof(err));
	json_decref(doc);
	if (rc < 0)
		return proto_error_reply(id, PROTO_ERR_INVALID, "%s; nothing applied", err);
	json_int_t gen = cfg.generation;
	if ((reply = check_generation(a, id, gen, digest))) {
		proto_config_free(&cfg);
		return reply;
	}
	log_info("applying generation %lld (last %lld)", (long long)gen,
	         (long long)a->state.generation);
	state_mark_pending(a, gen);
	json_t *items = json_array();
	apply_hostname(a, &cfg, items);
	apply_network(a, &cfg, items);
	apply_ssh(a, &cfg, items);
	apply_files(a, &cfg, items);
	if (apply_nocloud(a, &cfg, items))
		a->seed_written = 1;
	proto_config_free(&cfg);
	size_t i;
	json_t *it;
	int counts[4] = {0};
	static const char *const names[4] = {PROTO_RES_APPLIED, PROTO_RES_UNCHANGED,
	                                     PROTO_RES_FAILED, PROTO_RES_REFUSED};
	json_array_foreach(items, i, it)
	{
		const char *r = json_string_value(json_object_get(it, "result"));
		for (int k = 0; k < 4; k++)
			if (r && strcmp(r, names[k]) == 0)
				counts[k]++;
	}
	state_save(a, gen, digest, items);
	json_t *res = json_pack("{s:I, s:O, s:{s:i, s:i, s:i, s:i}}", "generation", gen, "items",
	                        items, "summary", "applied", counts[0], "unchanged", counts[1],
	                        "failed", counts[2], "refused", counts[3]);
	json_decref(items);
	log_info("generation %lld: %d applied, %d unchanged, %d failed, %d refused", (long long)gen,
	         counts[0], counts[1], counts[2], counts[3]);
	return ok_reply(id, res);
}
