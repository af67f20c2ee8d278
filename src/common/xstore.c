/* xstore.c - strict numbers, NUL-checked reads and retried transactions. */
#include "xenchannel/xstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int xstore_parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	if (!s || !*s || strlen(s) > 10)
		return -1;
	if (s[0] == '0' && s[1])
		return -1; /* no leading zeros: one spelling per number */
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10u + (uint64_t)(*p - '0');
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

char *xstore_read(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	unsigned len = 0;
	char *v = xs_read(xs, t, path, &len);
	if (v && strlen(v) != len) {
		free(v);
		errno = EINVAL;
		return NULL;
	}
	return v;
}

int xstore_transact(struct xs_handle *xs, unsigned max_tries, xstore_tx_fn fn, void *arg)
{
	for (unsigned tries = 0; !max_tries || tries < max_tries; tries++) {
		xs_transaction_t t = xs_transaction_start(xs);
		if (t == XBT_NULL)
			return XSTORE_TX_NOSTART;
		int r = fn(xs, t, arg);
		if (r != 0) {
			int e = errno;
			xs_transaction_end(xs, t, true);
			errno = e;
			if (r > 0)
				return r;
			if (e == EAGAIN)
				continue;
			return XSTORE_TX_FAILED;
		}
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return XSTORE_TX_NOCOMMIT;
	}
	errno = EAGAIN;
	return XSTORE_TX_NOCOMMIT;
}

struct write_if {
	const char *guard, *path, *val;
};

static int write_if_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	const struct write_if *w = arg;
	unsigned len;
	char *cur = xs_read(xs, t, w->guard, &len);
	if (!cur)
		return errno == ENOENT ? 1 : -1;
	free(cur);
	return xs_write(xs, t, w->path, w->val, (unsigned)strlen(w->val)) ? 0 : -1;
}

int xstore_write_if(struct xs_handle *xs, const char *guard, const char *path, const char *val,
                    unsigned max_tries)
{
	struct write_if w = {guard, path, val};
	return xstore_transact(xs, max_tries, write_if_body, &w);
}
