/*
 * fuzz-xs-values.c - libFuzzer target for the frontend values a guest writes
 * and xenchanneld reads: `state`, `ring-ref` and `port` (fev_parse).
 *
 * The first byte picks the key, or (bit 7) a whole frontend: then the rest is
 * three values separated by '\n', in key order. Each value is handed over in
 * an exact-size heap block without a terminator, as xenstore's length says,
 * so ASan catches any read beyond it. Checked against a plain model:
 *   - an accepted value is all digits, at most 10 of them, its decimal value
 *     is the result, within the key's range; printed back with %u it is
 *     accepted again as the same number (and is the same text when it had no
 *     leading zero);
 *   - a value with a NUL, a non-digit, no digit, 2^32 or more, or outside the
 *     key's range is rejected, with a reason;
 *   - leading zeros: the result is not pinned down (the daemon and the
 *     toolstack disagree today), but an accepted one is the right number;
 *   - for a whole frontend, the state machine never maps a ring or binds a
 *     port unless the state is Initialised or Connected and both keys passed,
 *     whatever the channel and backend states are.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenchanneld.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-xs-values: %s:%d: invariant failed: %s\n", __FILE__, \
			        __LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The model: 1 when v must be accepted, 0 when it must be rejected, 2 when
 * either is fine (leading zeros); *val is its decimal value when digits. */
static int model(enum fev_key k, const char *v, size_t len, uint64_t *val)
{
	uint64_t n = 0;

	if (len == 0 || len > 10)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*val = n;
	if (n > UINT32_MAX)
		return 0;
	switch (k) {
	case FEV_STATE:
		if (n > 8)
			return 0;
		break;
	case FEV_RING_REF:
		if (n < 8)
			return 0;
		break;
	case FEV_PORT:
		if (n < 1 || n > 131071)
			return 0;
		break;
	}
	return len > 1 && v[0] == '0' ? 2 : 1;
}

/* Parse one value and check it; returns 1 when accepted (*out set). */
static int one(enum fev_key k, const uint8_t *data, size_t len, uint32_t *out)
{
	char *v = malloc(len ? len : 1);
	const char *why = NULL;
	uint64_t want = 0;
	uint32_t n = 0xdeadbeef;
	int rc, m;

	if (!v)
		return 0;
	memcpy(v, data, len);
	rc = fev_parse(k, v, len, &n, &why);
	m = model(k, v, len, &want);
	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		char back[16];
		uint32_t again = 0;
		const char *why2 = NULL;
		int bl;

		CHECK(m != 0);
		CHECK(n == want);
		bl = snprintf(back, sizeof(back), "%u", n);
		CHECK(fev_parse(k, back, (size_t)bl, &again, &why2) == 0 && again == n);
		if (m == 1)
			CHECK((size_t)bl == len && memcmp(back, v, len) == 0);
		*out = n;
	} else {
		CHECK(m != 1);
		CHECK(why && why[0]);
		CHECK(n == 0xdeadbeef); /* nothing handed out */
	}
	free(v);
	return rc == 0;
}

/* A whole frontend: the state machine may connect only on sound values. */
static void frontend(const uint8_t *data, size_t size)
{
	const uint8_t *f[3];
	size_t fl[3] = {0, 0, 0};
	uint32_t st = 0, gref = 0, port = 0;
	int have_st, keys;

	for (int i = 0; i < 3; i++) {
		const uint8_t *nl = memchr(data, '\n', size);

		f[i] = data;
		fl[i] = (i < 2 && nl) ? (size_t)(nl - data) : size;
		data += fl[i];
		size -= fl[i];
		if (i < 2 && nl) {
			data++;
			size--;
		}
	}
	have_st = one(FEV_STATE, f[0], fl[0], &st);
	keys = one(FEV_RING_REF, f[1], fl[1], &gref);
	keys = one(FEV_PORT, f[2], fl[2], &port) && keys;
	int fe = have_st ? (int)st : XB_UNKNOWN; /* as read_input does */
	for (int cur = CH_NEW; cur <= CH_CLOSED; cur++) {
		for (int be = -1; be <= XB_RECONFIGURED; be++) {
			for (int online = -1; online <= 1; online++) {
				for (int closed = 0; closed <= 1; closed++) {
					struct fsm_input in = {.be_state = be,
					                       .fe_state = fe,
					                       .online = online,
					                       .ring_keys = keys,
					                       .fe_was_closed = closed};
					struct fsm_step s = fsm_next((enum ch_state)cur, &in);

					if (s.actions & (FA_CONNECT | FA_ADOPT))
						CHECK(keys &&
						      (fe == XB_INITIALISED || fe == XB_CONNECTED));
					CHECK(s.next >= CH_NEW && s.next <= CH_CLOSED);
					CHECK(s.write_be >= -1 && s.write_be <= XB_CLOSED);
				}
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t out;

	if (size == 0)
		return 0;
	if (data[0] & 0x80)
		frontend(data + 1, size - 1);
	else
		one((enum fev_key)(data[0] % 3), data + 1, size - 1, &out);
	return 0;
}
