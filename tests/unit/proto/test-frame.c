/* test-frame.c - the frame codec and the resynchronising decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "xenchannel/proto.h"

static size_t make(uint8_t *out, size_t cap, uint8_t type, uint32_t epoch, uint32_t seq,
                   const char *payload)
{
	struct proto_frame f = {.version = PROTO_VERSION,
	                        .type = type,
	                        .epoch = epoch,
	                        .seq = seq,
	                        .len = (uint32_t)strlen(payload),
	                        .payload = (const uint8_t *)payload};
	long n = proto_encode(&f, out, cap);
	assert_true(n > 0);
	return (size_t)n;
}

/* Feed everything, collect frames' seq numbers; returns count. */
static int decode_all(struct proto_decoder *d, const uint8_t *buf, size_t len, size_t chunk,
                      uint32_t *seqs, int max, int *oversize, int *badcrc)
{
	int n = 0;
	size_t off = 0;
	while (off < len) {
		size_t c = len - off < chunk ? len - off : chunk;
		size_t took = proto_decoder_feed(d, buf + off, c);
		off += took;
		struct proto_frame f;
		enum proto_event ev;
		while ((ev = proto_decoder_next(d, &f)) != PROTO_EV_NONE) {
			if (ev == PROTO_EV_FRAME && n < max)
				seqs[n++] = f.seq;
			if (ev == PROTO_EV_OVERSIZE && oversize)
				(*oversize)++;
			if (ev == PROTO_EV_BADCRC && badcrc)
				(*badcrc)++;
		}
	}
	return n;
}

static void crc32c_known_vector(void **state)
{
	assert_int_equal(proto_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(proto_crc32c(0, "", 0), 0);
	/* incremental == one shot */
	uint32_t c = proto_crc32c(0, "12345", 5);
	assert_int_equal(proto_crc32c(c, "6789", 4), 0xE3069283u);
}

static void header_layout_is_little_endian(void **state)
{
	uint8_t buf[64];
	struct proto_frame f = {.version = 1,
	                        .type = PROTO_REQUEST,
	                        .flags = 0x0102,
	                        .epoch = 0x11223344,
	                        .seq = 0x55667788,
	                        .len = 2,
	                        .payload = (const uint8_t *)"{}"};
	assert_int_equal(proto_encode(&f, buf, sizeof(buf)), 30);
	static const uint8_t want[20] = {0xF1, 'x',  'c',  'h',  1,    3,    0x02, 0x01, 0x44, 0x33,
	                                 0x22, 0x11, 0x88, 0x77, 0x66, 0x55, 2,    0,    0,    0};
	assert_memory_equal(buf, want, 20);
	uint32_t pcrc = proto_crc32c(0, "{}", 2), hcrc = proto_crc32c(0, buf, 24);
	assert_int_equal(buf[20] | buf[21] << 8 | buf[22] << 16 | (uint32_t)buf[23] << 24, pcrc);
	assert_int_equal(buf[24] | buf[25] << 8 | buf[26] << 16 | (uint32_t)buf[27] << 24, hcrc);
	assert_memory_equal(buf + 28, "{}", 2);
}

static void roundtrip_byte_by_byte(void **state)
{
	uint8_t buf[256];
	size_t n = make(buf, sizeof(buf), PROTO_HELLO, 7, 42, "{\"a\":1}");
	struct proto_decoder *d = proto_decoder_new(0);
	struct proto_frame f;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(proto_decoder_feed(d, buf + i, 1), 1);
		enum proto_event ev = proto_decoder_next(d, &f);
		assert_int_equal(ev, i + 1 == n ? PROTO_EV_FRAME : PROTO_EV_NONE);
	}
	assert_int_equal(f.type, PROTO_HELLO);
	assert_int_equal(f.epoch, 7);
	assert_int_equal(f.seq, 42);
	assert_int_equal(f.len, 7);
	assert_memory_equal(f.payload, "{\"a\":1}", 7);
	proto_decoder_free(d);
}

static void garbage_and_at_commands_are_skipped(void **state)
{
	uint8_t buf[1024];
	size_t off = 0;
	const char *junk =
	    "AT\rATZ\r\n+++ATH0\r\xF1xc\xF1x garbage \xF1xch not a header at all....";
	memcpy(buf, junk, strlen(junk));
	off = strlen(junk);
	off += make(buf + off, sizeof(buf) - off, PROTO_REQUEST, 1, 1, "{\"id\":1}");
	memcpy(buf + off, "AT\r", 3);
	off += 3;
	off += make(buf + off, sizeof(buf) - off, PROTO_REQUEST, 1, 2, "{\"id\":2}");
	for (size_t chunk = 1; chunk <= 64; chunk *= 2) {
		struct proto_decoder *d = proto_decoder_new(0);
		uint32_t seqs[4];
		assert_int_equal(decode_all(d, buf, off, chunk, seqs, 4, NULL, NULL), 2);
		assert_int_equal(seqs[0], 1);
		assert_int_equal(seqs[1], 2);
		assert_int_equal(proto_decoder_stats(d)->skipped, strlen(junk) + 3);
		proto_decoder_free(d);
	}
}

static void corrupt_header_is_not_a_frame(void **state)
{
	uint8_t buf[512];
	size_t a = make(buf, sizeof(buf), PROTO_REQUEST, 1, 1, "{\"x\":1}");
	buf[10] ^= 0x40; /* epoch byte: header CRC no longer matches */
	size_t b = make(buf + a, sizeof(buf) - a, PROTO_REQUEST, 1, 2, "{\"x\":2}");
	struct proto_decoder *d = proto_decoder_new(0);
	uint32_t seqs[4];
	assert_int_equal(decode_all(d, buf, a + b, 7, seqs, 4, NULL, NULL), 1);
	assert_int_equal(seqs[0], 2);
	proto_decoder_free(d);
}

static void bad_payload_crc_reported_then_resync(void **state)
{
	uint8_t buf[512];
	size_t a = make(buf, sizeof(buf), PROTO_REQUEST, 1, 1, "{\"x\":1}");
	buf[PROTO_HDR_SIZE + 2] ^= 1;
	size_t b = make(buf + a, sizeof(buf) - a, PROTO_REQUEST, 1, 2, "{\"x\":2}");
	struct proto_decoder *d = proto_decoder_new(0);
	uint32_t seqs[4];
	int bad = 0;
	assert_int_equal(decode_all(d, buf, a + b, 1000, seqs, 4, NULL, &bad), 1);
	assert_int_equal(bad, 1);
	assert_int_equal(seqs[0], 2);
	proto_decoder_free(d);
}

static void oversized_frame_reported_and_skipped(void **state)
{
	uint8_t buf[1024];
	char big[200];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	size_t a = make(buf, sizeof(buf), PROTO_REQUEST, 1, 1, big);
	size_t b = make(buf + a, sizeof(buf) - a, PROTO_REQUEST, 1, 2, "{}");
	struct proto_decoder *d = proto_decoder_new(64); /* max payload 64 */
	uint32_t seqs[4];
	int over = 0;
	assert_int_equal(decode_all(d, buf, a + b, 13, seqs, 4, &over, NULL), 1);
	assert_int_equal(over, 1);
	assert_int_equal(seqs[0], 2);
	assert_int_equal(proto_decoder_stats(d)->oversize, 1);
	proto_decoder_free(d);
	/* and the encoder refuses to produce one */
	struct proto_frame f = {.len = PROTO_MAX_PAYLOAD + 1};
	assert_int_equal(proto_encode(&f, buf, sizeof(buf)), -1);
}

static void truncated_frame_gives_way_to_next(void **state)
{
	/* A sender went away mid-frame; the next sender's HELLO must not be
	 * swallowed as the rest of the dead frame's payload. */
	uint8_t buf[4096];
	char payload[1000];
	memset(payload, 'p', sizeof(payload) - 1);
	payload[sizeof(payload) - 1] = 0;
	size_t a = make(buf, sizeof(buf), PROTO_REQUEST, 1, 1, payload);
	size_t cut = PROTO_HDR_SIZE + 100;
	size_t b = make(buf + cut, sizeof(buf) - cut, PROTO_HELLO, 2, 1, "{\"nonce\":\"n\"}");
	(void)a;
	/* in chunks, and byte by byte (the waiting header is checked once) */
	static const size_t chunks[] = {16, 1};
	for (size_t i = 0; i < 2; i++) {
		struct proto_decoder *d = proto_decoder_new(0);
		uint32_t seqs[4];
		assert_int_equal(decode_all(d, buf, cut + b, chunks[i], seqs, 4, NULL, NULL), 1);
		assert_int_equal(seqs[0], 1);
		assert_int_equal(proto_decoder_stats(d)->truncated, 1);
		proto_decoder_free(d);
	}
}

static void random_noise_never_yields_a_frame(void **state)
{
	/* Property: 1 MiB of noise rich in magic bytes decodes to nothing, and
	 * frames sprinkled into it all come out, in order. */
	srand(12345);
	size_t len = 1u << 20;
	uint8_t *buf = malloc(len + 64 * 100);
	size_t off = 0;
	uint32_t expect = 0;
	while (off < len) {
		int r = rand() % 100;
		if (r < 5) {
			memcpy(buf + off, PROTO_MAGIC, 4);
			off += 4;
		} else if (r < 6) {
			off += make(buf + off, 64, PROTO_REQUEST, 9, ++expect, "{\"k\":true}");
		} else {
			buf[off++] = (uint8_t)rand();
		}
	}
	/* in large chunks, and byte by byte */
	static const size_t chunks[] = {4093, 1};
	for (size_t c = 0; c < 2; c++) {
		struct proto_decoder *d = proto_decoder_new(4096);
		uint32_t *seqs = calloc(expect + 1, sizeof(uint32_t));
		int n = decode_all(d, buf, off, chunks[c], seqs, (int)expect + 1, NULL, NULL);
		/* A frame right after a stray magic whose bogus length swallows it
		 * is recovered by the truncation rule, so every frame is seen. */
		assert_int_equal(n, (int)expect);
		for (uint32_t i = 0; i < expect; i++)
			assert_int_equal(seqs[i], i + 1);
		free(seqs);
		proto_decoder_free(d);
	}
	free(buf);
}

static void reset_forgets_partial_data(void **state)
{
	uint8_t buf[256];
	size_t n = make(buf, sizeof(buf), PROTO_HELLO, 1, 1, "{}");
	struct proto_decoder *d = proto_decoder_new(0);
	struct proto_frame f;
	proto_decoder_feed(d, buf, n - 1);
	assert_int_equal(proto_decoder_next(d, &f), PROTO_EV_NONE);
	proto_decoder_reset(d);
	proto_decoder_feed(d, buf + n - 1, 1);
	assert_int_equal(proto_decoder_next(d, &f), PROTO_EV_NONE);
	proto_decoder_feed(d, buf, n);
	assert_int_equal(proto_decoder_next(d, &f), PROTO_EV_FRAME);
	proto_decoder_free(d);
}

static void full_buffer_makes_progress(void **state)
{
	/* Feeding more than the buffer holds returns a short count; draining
	 * lets the rest in. */
	struct proto_decoder *d = proto_decoder_new(64);
	uint8_t noise[1000];
	memset(noise, 'z', sizeof(noise));
	size_t off = 0;
	struct proto_frame f;
	while (off < sizeof(noise)) {
		off += proto_decoder_feed(d, noise + off, sizeof(noise) - off);
		assert_int_equal(proto_decoder_next(d, &f), PROTO_EV_NONE);
	}
	assert_int_equal(proto_decoder_stats(d)->skipped, sizeof(noise));
	proto_decoder_free(d);
}

static void json_payloads_and_versions(void **state)
{
	json_t *o = json_pack("{s:i, s:s}", "id", 5, "op", "ping");
	uint8_t *buf;
	size_t n;
	assert_int_equal(proto_encode_json(PROTO_REQUEST, 0, 3, 4, o, &buf, &n), 0);
	struct proto_decoder *d = proto_decoder_new(0);
	proto_decoder_feed(d, buf, n);
	struct proto_frame f;
	assert_int_equal(proto_decoder_next(d, &f), PROTO_EV_FRAME);
	char err[200];
	json_t *back = proto_payload_parse(&f, err, sizeof(err));
	assert_non_null(back);
	assert_true(json_equal(o, back));
	json_decref(back);
	free(buf);
	json_decref(o);
	proto_decoder_free(d);
	json_t *v = json_pack("[i,i,i]", 3, 1, 2);
	assert_int_equal(proto_pick_version(v), 1);
	json_decref(v);
	v = json_pack("[i]", 9);
	assert_int_equal(proto_pick_version(v), 0);
	json_decref(v);
	assert_int_equal(proto_pick_version(NULL), 0);
}

/* Found by tests/fuzz/agent-apply: an error message quoting invalid UTF-8
 * (jansson's parse error names the bad byte) or cut inside a character made
 * json_pack fail, and the agent sent no reply at all. */
static void error_replies_survive_any_bytes(void **state)
{
	json_t *r = proto_error_reply(5, PROTO_ERR_INVALID, "document: %s", "bad \xff\xfe byte");
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 5);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(r, "error"), "message")),
	    "document: bad \\xff\\xfe byte");
	json_decref(r);
	char big[600];
	memset(big, 'a', sizeof(big));
	for (size_t i = 400; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2); /* e-acute, cut by the 512-byte message */
	big[sizeof(big) - 1] = 0;
	r = proto_error_reply(6, PROTO_ERR_INVALID, "x%s", big);
	assert_non_null(r);
	json_decref(r);
	json_t *s = proto_json_text("plain \xc3\xa9");
	assert_string_equal(json_string_value(s), "plain \xc3\xa9"); /* valid: kept */
	json_decref(s);
}

static void hmac_rfc4231_case2(void **state)
{
	char out[65];
	const char *data = "what do ya want for nothing?";
	assert_int_equal(proto_hmac_hex((const uint8_t *)"Jefe", 4, data, strlen(data), out), 0);
	assert_string_equal(out,
	                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_true(proto_hmac_verify((const uint8_t *)"Jefe", 4, data, strlen(data), out));
	assert_false(proto_hmac_verify((const uint8_t *)"Jeff", 4, data, strlen(data), out));
	assert_false(proto_hmac_verify((const uint8_t *)"Jefe", 4, "what", 4, out));
	assert_false(proto_hmac_verify((const uint8_t *)"Jefe", 4, data, strlen(data), "abc"));
}

static void sha256_and_hmac_match_openssl(void **state)
{
	char hex[65];
	proto_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	proto_sha256_hex("", 0, hex);
	assert_string_equal(hex,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	srand(99);
	static uint8_t data[5000], key[200];
	for (int round = 0; round < 300; round++) {
		size_t dl = (size_t)rand() % sizeof(data), kl = 1 + (size_t)rand() % sizeof(key);
		for (size_t i = 0; i < dl; i++)
			data[i] = (uint8_t)rand();
		for (size_t i = 0; i < kl; i++)
			key[i] = (uint8_t)rand();
		uint8_t md[32];
		unsigned mdlen = 0;
		HMAC(EVP_sha256(), key, (int)kl, data, dl, md, &mdlen);
		char want[65];
		for (int i = 0; i < 32; i++)
			snprintf(want + 2 * i, 3, "%02x", md[i]);
		assert_int_equal(proto_hmac_hex(key, kl, data, dl, hex), 0);
		assert_string_equal(hex, want);
		assert_true(proto_hmac_verify(key, kl, data, dl, want));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(crc32c_known_vector),
	    cmocka_unit_test(header_layout_is_little_endian),
	    cmocka_unit_test(roundtrip_byte_by_byte),
	    cmocka_unit_test(garbage_and_at_commands_are_skipped),
	    cmocka_unit_test(corrupt_header_is_not_a_frame),
	    cmocka_unit_test(bad_payload_crc_reported_then_resync),
	    cmocka_unit_test(oversized_frame_reported_and_skipped),
	    cmocka_unit_test(truncated_frame_gives_way_to_next),
	    cmocka_unit_test(random_noise_never_yields_a_frame),
	    cmocka_unit_test(reset_forgets_partial_data),
	    cmocka_unit_test(full_buffer_makes_progress),
	    cmocka_unit_test(json_payloads_and_versions),
	    cmocka_unit_test(error_replies_survive_any_bytes),
	    cmocka_unit_test(hmac_rfc4231_case2),
	    cmocka_unit_test(sha256_and_hmac_match_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
