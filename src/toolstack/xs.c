/*
 * xs.c - the toolstack's xenstore connection, domain lookup and small
 * read helpers shared by attach, detach and list.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "toolstack-int.h"
#include "xenchannel/escape.h"
#include "xenchannel/loop.h"
#include "xenchannel/xenbus.h"

void ts_fail(struct ts_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int ts_open(struct ts **out, struct ts_error *err)
{
	*out = NULL;
	struct ts *ts = calloc(1, sizeof(*ts));
	if (!ts) {
		ts_fail(err, ENOMEM, "out of memory");
		return -1;
	}
	errno = 0;
	ts->xsh = xs_open(0);
	if (!ts->xsh) {
		int e = errno ? errno : ECONNREFUSED;
		const char *env = getenv("XENSTORED_PATH");
		ts_fail(err, EHOSTUNREACH,
		        "xenstore unreachable: cannot connect to %s%s: %s (is xenstored running? "
		        "XENSTORED_PATH selects the socket)",
		        xs_daemon_socket(), env ? " (from XENSTORED_PATH)" : "", strerror(e));
		free(ts);
		return -1;
	}
	*out = ts;
	return 0;
}

void ts_close(struct ts *ts)
{
	if (!ts)
		return;
	xs_close(ts->xsh);
	free(ts);
}

/* Format a path; -1 with errno ENAMETOOLONG when it does not fit. */
static int vpath(char *path, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(path, size, fmt, ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

char *ts_read(struct ts *ts, xs_transaction_t t, const char *fmt, ...)
{
	char path[TS_PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	int r = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : xstore_read(ts->xsh, t, path);
}

char **ts_dir(struct ts *ts, xs_transaction_t t, unsigned *num, const char *fmt, ...)
{
	char path[TS_PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	int r = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	*num = 0;
	return r < 0 ? NULL : xs_directory(ts->xsh, t, path, num);
}

int ts_domain_exists(struct ts *ts, xs_transaction_t t, uint32_t domid)
{
	unsigned n;
	char **d = ts_dir(ts, t, &n, "/local/domain/%u", domid);
	if (!d)
		return 0;
	free(d);
	return 1;
}

int ts_domain_name(struct ts *ts, uint32_t domid, char *buf, size_t size)
{
	if (size)
		buf[0] = 0;
	char *v = ts_read(ts, XBT_NULL, "/local/domain/%u/name", domid);
	if (!v)
		return errno == ENOENT ? 0 : -1;
	snprintf(buf, size, "%s", v);
	free(v);
	return 0;
}

int ts_domain_lookup(struct ts *ts, const char *spec, uint32_t *domid, struct ts_error *err)
{
	unsigned id;
	if (!spec || !*spec) {
		ts_fail(err, EINVAL, "no domain given (a domain name or a domid)");
		return -1;
	}
	if (xstore_parse_uint(spec, 0x7fef, &id) == 0) { /* DOMID_FIRST_RESERVED - 1 */
		if (!ts_domain_exists(ts, XBT_NULL, id)) {
			ts_fail(err, ENOENT, "unknown domain %u: /local/domain/%u does not exist",
			        id, id);
			return -1;
		}
		*domid = id;
		return 0;
	}
	unsigned n;
	char **doms = ts_dir(ts, XBT_NULL, &n, "/local/domain");
	if (!doms) {
		ts_fail(err, EIO, "cannot list /local/domain: %s", strerror(errno));
		return -1;
	}
	int found = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned d;
		if (xstore_parse_uint(doms[i], 0x7fef, &d))
			continue;
		char *name = ts_read(ts, XBT_NULL, "/local/domain/%u/name", d);
		if (name && !strcmp(name, spec)) {
			if (found) {
				ts_fail(err, EINVAL,
				        "domain name `%s' is ambiguous (domains %u and %u); give "
				        "the domid",
				        spec, *domid, d);
				free(name);
				free(doms);
				return -1;
			}
			*domid = d;
			found = 1;
		}
		free(name);
	}
	free(doms);
	if (!found) {
		char shown[80];
		esc_text(shown, sizeof(shown), spec, strlen(spec), 60, 0);
		ts_fail(err, ENOENT, "unknown domain `%s': no domain has that name or domid",
		        shown);
		return -1;
	}
	return 0;
}

const char *ts_state_name(int state)
{
	if (state == -1)
		return "missing";
	if (state < 0 || state > XB_RECONFIGURED)
		return "invalid";
	return xb_state_name(state);
}

int ts_read_state(struct ts *ts, const char *dir)
{
	char *v = ts_read(ts, XBT_NULL, "%s/state", dir);
	if (!v)
		return errno == ENOENT ? -1 : -2;
	unsigned s;
	int r = xstore_parse_uint(v, 8, &s) ? -2 : (int)s;
	free(v);
	return r;
}

int ts_wait(struct ts *ts, int (*done)(struct ts *ts, void *arg), void *arg, long long deadline,
            const char *what, struct ts_error *err)
{
	int fd = xs_fileno(ts->xsh);
	while (!done(ts, arg)) {
		int wait = -1;
		if (deadline >= 0) {
			long long left = deadline - (long long)loop_now_ms();
			if (left <= 0)
				return 1;
			wait = left > 0x7fffffff ? 0x7fffffff : (int)left;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
			ts_fail(err, EIO, "poll on the xenstore connection: %s", strerror(errno));
			return -1;
		}
		char **ev;
		errno = 0;
		while ((ev = xs_check_watch(ts->xsh)))
			free(ev);
		if (errno && errno != EAGAIN) {
			ts_fail(err, EIO, "lost the xenstore connection while waiting for %s",
			        what);
			return -1;
		}
	}
	return 0;
}

static int remove_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	const char *const *paths = arg;
	for (size_t i = 0; i < 3; i++)
		if (!xs_rm(xs, t, paths[i]) && errno != ENOENT)
			return -1;
	return 0;
}

int ts_remove_dirs(struct ts *ts, const char *fe, const char *be, const char *lp)
{
	const char *paths[] = {fe, be, lp};
	return xstore_transact(ts->xsh, TS_TXN_RETRIES, remove_body, paths) < 0 ? -1 : 0;
}
