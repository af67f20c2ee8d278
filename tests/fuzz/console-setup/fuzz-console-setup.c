/*
 * fuzz-console-setup.c - libFuzzer target for the pure parts of
 * xen-console-setup: what it reads in a guest (the channel name from
 * xenstore, console-<devid> names from sysfs, its own records under
 * run/xen-channel) and its choice of hvc line from a slot state.
 *
 * The first byte picks the part; the rest is the input:
 *   0 name: the value as xenstore returns it (exact-size heap block, no
 *     terminator). An accepted name is safe as one path component under
 *     /dev/xen-channel: 1..CFG_NAME_MAX bytes of [A-Za-z0-9._-], no '/', no
 *     NUL, no control byte, not "." or "..", no leading '.' (so it can never
 *     be one of our own ".new-*" temporary links); it survives a record.
 *   1 devid: an accepted kernel name is exactly "console-<devid>" printed
 *     back, devid 1..65535.
 *   2 record: an accepted record names a line in 1..7 or none, and a valid
 *     name or none; formatting it again reads back the same.
 *   3 slots: bytes for the lines that open and those records claim, this
 *     console's devid and the other bound, unrecorded consoles. The choice is
 *     a line in 1..7 that opens and is unclaimed, or -1 with a reason; every
 *     claimant given the same state gets a different line, lower devids get
 *     lower lines, and a claimant goes without only when there are fewer
 *     candidates than claimants up to it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console-setup.h"
#include "xenchannel/config.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-console-setup: %s:%d: invariant failed: %s\n",       \
			        __FILE__, __LINE__, #cond);                                        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define MAX_BOUND 32

static int name_byte_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

static void check_record_roundtrip(int hvc, const char *name)
{
	char buf[256], back[256];
	int bhvc = -2;
	int l = cs_record_format(buf, sizeof(buf), hvc, name);

	CHECK(l > 0);
	CHECK(cs_record_parse(buf, (size_t)l, &bhvc, back, sizeof(back)) == 0);
	CHECK(bhvc == hvc);
	CHECK(strcmp(back, name ? name : "") == 0);
}

static void fuzz_name(const uint8_t *data, size_t len)
{
	char *v = malloc(len ? len : 1);
	char *z = malloc(len + 1);

	if (!v || !z)
		goto out;
	memcpy(v, data, len);
	memcpy(z, data, len);
	z[len] = '\0';
	const char *why = cs_name_value_check(v, len);
	if (why) {
		CHECK(why[0]);
	} else {
		CHECK(len >= 1 && len <= CFG_NAME_MAX);
		for (size_t i = 0; i < len; i++)
			CHECK(name_byte_ok((unsigned char)v[i]));
		CHECK(v[0] != '.');
		CHECK(!(len == 1 && v[0] == '.') && !(len == 2 && v[0] == '.' && v[1] == '.'));
		CHECK(!memchr(v, '/', len) && !memchr(v, '\0', len));
		for (size_t i = 0; i + 1 < len; i++)
			CHECK(!(v[i] == '.' && v[i + 1] == '.'));
		check_record_roundtrip(3, z);
		check_record_roundtrip(-1, z);
	}
	/* the C-string check agrees whenever there is no NUL to cut at */
	if (!memchr(v, '\0', len))
		CHECK(!cs_name_check(z) == !why);
out:
	free(v);
	free(z);
}

static void fuzz_devid(const uint8_t *data, size_t len)
{
	char *z = malloc(len + 1);

	if (!z)
		return;
	memcpy(z, data, len);
	z[len] = '\0';
	int id = cs_parse_devid(z);
	CHECK(id == -1 || (id >= 1 && id <= 65535));
	if (id > 0) {
		char back[32];
		snprintf(back, sizeof(back), "console-%d", id);
		CHECK(strcmp(back, z) == 0);
	}
	free(z);
}

static void fuzz_record(const uint8_t *data, size_t len)
{
	char *v = malloc(len ? len : 1);
	char name[256];
	int hvc = -2;

	if (!v)
		return;
	memcpy(v, data, len);
	if (cs_record_parse(v, len, &hvc, name, sizeof(name)) == 0) {
		CHECK(hvc == -1 || (hvc >= 1 && hvc <= 7));
		CHECK(name[0] == '\0' || !cs_name_check(name));
		check_record_roundtrip(hvc, name);
	}
	free(v);
}

static void fuzz_slots(const uint8_t *data, size_t len)
{
	int ids[MAX_BOUND + 1], got[MAX_BOUND + 1];
	size_t n = 0;

	if (len < 5)
		return;
	unsigned opens = data[0], claimed = data[1];
	int self_listed = data[2] & 1; /* the device also in its own `bound` */
	ids[n++] = 1 + (data[3] << 8 | data[4]) % 65535;
	data += 5;
	len -= 5;
	/* distinct devids (the state a directory listing gives) */
	for (; len >= 2 && n <= MAX_BOUND; data += 2, len -= 2) {
		int id = 1 + (data[0] << 8 | data[1]) % 65535, dup = 0;
		for (size_t i = 0; i < n; i++)
			dup |= ids[i] == id;
		if (!dup)
			ids[n++] = id;
	}
	int ncand = 0;
	for (int k = 1; k <= 7; k++)
		ncand += (opens >> k & 1) && !(claimed >> k & 1);

	/* every claimant, with the others as `bound` (and itself among them once:
	 * it must not count) */
	for (size_t i = 0; i < n; i++) {
		int bound[MAX_BOUND + 1];
		size_t nb = 0, rank = 0;
		for (size_t j = 0; j < n; j++) {
			if (j != i || self_listed)
				bound[nb++] = ids[j];
			rank += ids[j] < ids[i];
		}
		struct cs_slots s = {
		    .opens = opens, .claimed = claimed, .bound = bound, .nbound = nb};
		const char *why = NULL;
		int k = cs_hvc_pick(&s, ids[i], &why);
		got[i] = k;
		if (k < 0) {
			CHECK(k == -1 && why && why[0]);
			CHECK(rank >= (size_t)ncand);
			continue;
		}
		CHECK(k >= 1 && k <= 7);
		CHECK((opens >> k & 1) && !(claimed >> k & 1));
		CHECK(rank < (size_t)ncand);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (i != j && got[i] > 0 && got[j] > 0) {
				CHECK(got[i] != got[j]);
				CHECK((ids[i] < ids[j]) == (got[i] < got[j]));
			}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_name(data + 1, size - 1);
		break;
	case 1:
		fuzz_devid(data + 1, size - 1);
		break;
	case 2:
		fuzz_record(data + 1, size - 1);
		break;
	case 3:
		fuzz_slots(data + 1, size - 1);
		break;
	}
	return 0;
}
