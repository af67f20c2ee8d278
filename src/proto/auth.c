/* auth.c - HMAC-SHA256 (RFC 2104) over configuration documents, key files.
 * SHA-256 is sha256.c's; tests/unit/proto checks the result against
 * OpenSSL's HMAC(). */
#include "xenchannel/proto.h"

#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void to_hex(const uint8_t *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = 0;
}

static void hmac_sha256(const uint8_t *key, size_t keylen, const void *doc, size_t doclen,
                        uint8_t out[32])
{
	uint8_t k[64] = {0}, pad[64], inner[32];
	if (keylen > sizeof(k))
		sha256(key, keylen, k);
	else
		memcpy(k, key, keylen);
	struct sha256 c;
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	sha256_init(&c);
	sha256_update(&c, pad, sizeof(pad));
	sha256_update(&c, doc, doclen);
	sha256_final(&c, inner);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_init(&c);
	sha256_update(&c, pad, sizeof(pad));
	sha256_update(&c, inner, sizeof(inner));
	sha256_final(&c, out);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
}

int proto_hmac_hex(const uint8_t *key, size_t keylen, const void *doc, size_t doclen, char out[65])
{
	uint8_t md[32];
	hmac_sha256(key, keylen, doc, doclen, md);
	to_hex(md, 32, out);
	return 0;
}

int proto_hmac_verify(const uint8_t *key, size_t keylen, const void *doc, size_t doclen,
                      const char *hex)
{
	char want[65];
	if (!hex || strlen(hex) != 64 || proto_hmac_hex(key, keylen, doc, doclen, want) < 0)
		return 0;
	char got[65];
	for (int i = 0; i < 64; i++)
		got[i] = (hex[i] >= 'A' && hex[i] <= 'F') ? (char)(hex[i] - 'A' + 'a') : hex[i];
	got[64] = 0;
	unsigned char diff = 0; /* constant time */
	for (int i = 0; i < 64; i++)
		diff |= (unsigned char)(want[i] ^ got[i]);
	return diff == 0;
}

int proto_sha256_hex(const void *doc, size_t doclen, char out[65])
{
	uint8_t md[32];
	sha256(doc, doclen, md);
	to_hex(md, 32, out);
	return 0;
}

uint8_t *proto_key_load(const char *path, int require_private, size_t *len, char *err,
                        size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (require_private && (st.st_mode & 077)) {
		snprintf(err, errlen,
		         "key file %s: mode %04o lets group or others read it (want 0600)", path,
		         (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	if (st.st_size <= 0 || st.st_size > 4096) {
		snprintf(err, errlen, "key file %s: size %lld, want 1..4096 bytes", path,
		         (long long)st.st_size);
		close(fd);
		return NULL;
	}
	uint8_t *buf = malloc((size_t)st.st_size);
	ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		snprintf(err, errlen, "key file %s: short read", path);
		free(buf);
		return NULL;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n == 0) {
		snprintf(err, errlen, "key file %s: empty key", path);
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}
