/* msg.c - payload parsing, version negotiation, error replies. */
#include "xenchannel/escape.h"
#include "xenchannel/proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *proto_payload_parse(const struct proto_frame *f, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_loadb((const char *)f->payload, f->len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		snprintf(err, errlen, "payload of frame seq %u: %s at byte %d", f->seq, je.text,
		         je.position);
		return NULL;
	}
	if (!json_is_object(o)) {
		snprintf(err, errlen, "payload of frame seq %u: not a JSON object", f->seq);
		json_decref(o);
		return NULL;
	}
	return o;
}

unsigned proto_pick_version(const json_t *versions)
{
	unsigned best = 0;
	size_t i;
	json_t *v;
	if (!json_is_array(versions))
		return 0;
	json_array_foreach(versions, i, v)
	{
		if (!json_is_integer(v))
			continue;
		json_int_t n = json_integer_value(v);
		if (n >= PROTO_MIN_VERSION && n <= PROTO_VERSION && (unsigned)n > best)
			best = (unsigned)n;
	}
	return best;
}

json_t *proto_json_text(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	/* not UTF-8: every byte outside printable ASCII shown as \xNN */
	size_t n = strlen(s);
	char *buf = malloc(n * 4 + 1);
	if (!buf)
		return NULL;
	j = json_string(esc_text(buf, n * 4 + 1, s, n, 0, ESC_BACKSLASH));
	free(buf);
	return j;
}

json_t *proto_error_reply(json_int_t id, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The message may quote the peer's bytes or end in a cut character:
	 * a reply must go out all the same. */
	return json_pack("{s:I, s:b, s:{s:s, s:o}}", "id", id, "ok", 0, "error", "code", code,
	                 "message", proto_json_text(msg));
}
