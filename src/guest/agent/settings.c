/* settings.c - what the guest's administrator configures for the agent: the
 * policy and the HMAC key. Read at start (an unusable file stops the agent)
 * and again on SIGHUP (an unusable file keeps what was loaded, and the log
 * says which file and why). */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The HMAC key, inside the root, must be root-only (mode 0600, our owner).
 * No file: *key stays NULL and documents need no HMAC. */
static int key_load(struct agent *a, uint8_t **key, size_t *keylen, char *err, size_t errlen)
{
	*key = NULL;
	*keylen = 0;
	int fd = fs_open(a, a->key_path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "key %s: %s", a->key_path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) ||
	    st.st_uid != geteuid() || st.st_size < 1 || st.st_size > 4096) {
		snprintf(
		    err, errlen,
		    "key %s: must be a regular file of 1..4096 bytes, owned by uid %u, mode 0600",
		    a->key_path, (unsigned)geteuid());
		close(fd);
		return -1;
	}
	uint8_t *k = malloc((size_t)st.st_size);
	ssize_t n = k ? read(fd, k, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		snprintf(err, errlen, "key %s: short read", a->key_path);
		free(k);
		return -1;
	}
	if (k[n - 1] == '\n')
		n--;
	if (n == 0) {
		snprintf(err, errlen, "key %s: empty", a->key_path);
		free(k);
		return -1;
	}
	*key = k;
	*keylen = (size_t)n;
	return 0;
}

/* Both files or neither: a policy and a key the administrator changed
 * together are taken together. */
static int read_both(struct agent *a, struct policy *p, uint8_t **key, size_t *keylen, char *err,
                     size_t errlen)
{
	if (policy_load(a, p, err, errlen) < 0)
		return -1;
	if (key_load(a, key, keylen, err, errlen) < 0) {
		policy_free(p);
		return -1;
	}
	return 0;
}

static void install(struct agent *a, struct policy *p, uint8_t *key, size_t keylen, const char *why)
{
	policy_free(&a->policy);
	a->policy = *p;
	free(a->key);
	a->key = key;
	a->keylen = keylen;
	char sum[512];
	policy_summary(&a->policy, sum, sizeof(sum));
	const char *in = strcmp(a->root, "/") ? " in root " : "";
	log_info(
	    "%s: policy %s%s%s: %s (%s); key %s: %s", why, a->policy_path, in, *in ? a->root : "",
	    a->policy.present ? "loaded" : "no file, defaults", sum, a->key_path,
	    a->key ? "loaded, documents must carry an HMAC" : "no file, documents need no HMAC");
}

int settings_load(struct agent *a, const char *why, char *err, size_t errlen)
{
	struct policy p;
	uint8_t *key;
	size_t keylen;
	if (read_both(a, &p, &key, &keylen, err, errlen) < 0)
		return -1;
	install(a, &p, key, keylen, why);
	return 0;
}

void settings_reload(struct agent *a)
{
	struct policy p;
	uint8_t *key;
	size_t keylen;
	char err[PATH_MAX + 256];
	if (read_both(a, &p, &key, &keylen, err, sizeof(err)) < 0) {
		log_err("SIGHUP: reload failed, keeping the previous policy and key: %s", err);
		return;
	}
	install(a, &p, key, keylen, "SIGHUP: reloaded");
}
