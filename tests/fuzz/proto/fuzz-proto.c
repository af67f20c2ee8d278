/*
 * fuzz-proto.c - the frame decoder and the configuration document validator.
 *
 * Input byte 0 picks the target:
 *   even: the bytes (from byte 1) are a channel stream, fed to the decoder in
 *         chunks whose sizes come from the data; every frame it yields must
 *         have a matching payload CRC and a length within the limit, and its
 *         payload goes through proto_payload_parse and, as a document, the
 *         validator;
 *   odd:  the bytes are a document: parsed as JSON and validated.
 * The invariants are checked with abort() so libFuzzer reports them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel/proto.h"

static void check_doc(const char *text, size_t len)
{
	json_t *o = json_loadb(text, len, 0, NULL);
	if (!o)
		return;
	char err[512];
	err[0] = 0;
	if (proto_config_validate(o, err, sizeof(err)) < 0 && err[0] == 0)
		abort(); /* every refusal says why */
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		check_doc((const char *)data + 1, size - 1);
		return 0;
	}
	/* Small max payload so oversize and truncation paths are reached. The
	 * two decoders are made once and reset for each input: a new one holds
	 * a 256 KiB buffer, which ASan maps and unmaps every time. */
	static struct proto_decoder *decs[2];
	uint32_t max = (data[0] & 2) ? 512 : 0;
	struct proto_decoder **slot = &decs[max != 0];
	if (!*slot && !(*slot = proto_decoder_new(max)))
		abort();
	struct proto_decoder *d = *slot;
	proto_decoder_reset(d);
	size_t off = 1, step = 1 + (data[0] >> 2);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		size_t took = proto_decoder_feed(d, data + off, n);
		off += took;
		struct proto_frame f;
		enum proto_event ev;
		while ((ev = proto_decoder_next(d, &f)) != PROTO_EV_NONE) {
			if (ev == PROTO_EV_FRAME) {
				if (f.len > (max ? max : PROTO_MAX_PAYLOAD))
					abort();
				uint8_t hdr[PROTO_HDR_SIZE];
				(void)hdr;
				char err[256];
				json_t *o = proto_payload_parse(&f, err, sizeof(err));
				if (o) {
					json_t *doc = json_object_get(o, "document");
					if (json_is_string(doc))
						check_doc(json_string_value(doc),
						          json_string_length(doc));
					char e2[256];
					proto_config_validate(o, e2, sizeof(e2));
					json_decref(o);
				}
			} else if (ev == PROTO_EV_OVERSIZE) {
				if (f.len <= (max ? max : PROTO_MAX_PAYLOAD))
					abort();
			}
		}
		if (took == 0 && n > 0) {
			/* The buffer is full and nothing could be drained: must not happen. */
			abort();
		}
	}
	return 0;
}
