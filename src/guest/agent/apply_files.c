/* apply_files.c - write_files: path, content, permissions, owner. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Standard base64 (RFC 4648); the validator already checked the alphabet
 * and length. Returns the decoded length, or -1. */
static long b64_decode(const char *in, size_t n, unsigned char *out)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	long o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '=')
			break;
		const char *p = strchr(alpha, in[i]);
		if (!p || !in[i])
			return -1;
		acc = acc << 6 | (uint32_t)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

static void one_file(struct agent *a, const json_t *f, json_t *items)
{
	const char *path = json_string_value(json_object_get(f, "path"));
	const char *content = json_string_value(json_object_get(f, "content"));
	size_t clen = content ? json_string_length(json_object_get(f, "content")) : 0;
	const char *enc = json_string_value(json_object_get(f, "encoding"));
	const char *perm = json_string_value(json_object_get(f, "permissions"));
	const char *owner = json_string_value(json_object_get(f, "owner"));
	char item[PATH_MAX + 16];
	snprintf(item, sizeof(item), "write_files.%s", path);
	if (!policy_file_allowed(a, path)) {
		item_result(a, items, item, PROTO_RES_REFUSED, "policy does not allow writing %s",
		            path);
		return;
	}
	uid_t uid = 0;
	gid_t gid = 0;
	char err[200];
	if (users_owner(a, owner ? owner : "root:root", &uid, &gid, err, sizeof(err)) < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s", err);
		return;
	}
	mode_t mode = perm ? (mode_t)strtoul(perm, NULL, 8) : 0644;
	unsigned char *data = (unsigned char *)(content ? content : "");
	unsigned char *decoded = NULL;
	size_t len = clen;
	if (enc && strcmp(enc, "text/plain") != 0 && clen) {
		decoded = malloc(clen / 4 * 3 + 1);
		long n = decoded ? b64_decode(content, clen, decoded) : -1;
		if (n < 0) {
			item_result(a, items, item, PROTO_RES_FAILED, "content: invalid base64");
			free(decoded);
			return;
		}
		len = (size_t)n;
		data = decoded;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;
	int changed;
	if ((dir[0] && fs_mkdirs(a, dir, 0755, 0, 0) < 0) ||
	    fs_write(a, path, data, len, mode, uid, gid, &changed) < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s: %s", path, strerror(errno));
		free(decoded);
		return;
	}
	free(decoded);
	item_result(a, items, item, changed ? PROTO_RES_APPLIED : PROTO_RES_UNCHANGED, NULL);
}

void apply_files(struct agent *a, const json_t *doc, json_t *items)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(doc, "write_files"), i, f) one_file(a, f, items);
}
