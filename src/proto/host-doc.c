/* host-doc.c - documents the host builds: NoCloud seeds, and documents
 * whose generation is the guest's (docs/protocol.md §6.1, §6.2). */
#include "xenchannel/host.h"
#include "xenchannel/proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

json_t *host_seed_doc(const char *const text[PROTO_SEED_NFILES],
                      const size_t len[PROTO_SEED_NFILES])
{
	json_t *seed = json_object();
	for (int i = 0; seed && i < PROTO_SEED_NFILES; i++) {
		if (!text[i])
			continue;
		json_t *s = json_stringn(text[i], len[i]);
		if (!s || json_object_set_new(seed, proto_seed_names[i], s) < 0) {
			json_decref(seed);
			return NULL; /* not UTF-8, or out of memory */
		}
	}
	return seed ? json_pack("{s:o}", "nocloud", seed) : NULL;
}

char *host_doc_text(const json_t *doc, json_int_t generation, size_t *len)
{
	json_t *o = json_deep_copy(doc);
	char *text = NULL;
	if (o && json_object_set_new(o, "generation", json_integer(generation)) == 0)
		text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	*len = text ? strlen(text) : 0;
	return text;
}

char *host_doc_for_guest(const json_t *doc, const json_t *status, size_t *len)
{
	json_int_t last = json_integer_value(json_object_get(status, "generation"));
	const char *digest = json_string_value(json_object_get(status, "digest"));
	char hex[65], *text;
	if (last >= 1 && digest && (text = host_doc_text(doc, last, len))) {
		if (proto_sha256_hex(text, *len, hex) == 0 && strcmp(hex, digest) == 0)
			return text; /* the guest has exactly this: all unchanged */
		free(text);
	}
	return last < 0 || last == INT64_MAX ? NULL : host_doc_text(doc, last + 1, len);
}
