/*
 * qga-run.c - one qemu-ga command on many guests at once, through the host
 * library's runner; the domain lookups in xenstore; the blocking call.
 */
#include "xenchannel/host.h"
#include "xenchannel/loop.h"
#include "xenchannel/qga.h"
#include "xenchannel/xstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

struct run {
	const char *execute;
	const json_t *args;
	int timeout_ms;
};

static void take_result(struct qga_target *t)
{
	const json_t *v;
	const char *m;
	t->status = qga_chan_result(t->c, &v, &m);
	t->value = v ? json_incref((json_t *)v) : NULL;
	snprintf(t->message, sizeof(t->message), "%s", t->status == QGA_OK ? "" : m);
	t->ms = loop_now_ms() - t->start_ms;
	qga_chan_free(t->c);
	t->c = NULL;
}

static int task_start(void *task)
{
	struct qga_target *t = task;
	const struct run *r = t->run;
	if (t->status != QGA_OK)
		return -1; /* its domain or channel was not found */
	t->start_ms = loop_now_ms();
	t->c = qga_chan_new(t->sock, t->message, sizeof(t->message));
	if (!t->c) {
		t->status = QGA_NO_ANSWER;
		return -1;
	}
	if (qga_chan_command(t->c, r->execute, r->args, t->message, sizeof(t->message)) < 0) {
		qga_chan_free(t->c);
		t->c = NULL;
		t->status = QGA_NO_ANSWER;
		return -1;
	}
	return 0;
}

static int task_fd(const void *task)
{
	return qga_chan_fd(((const struct qga_target *)task)->c);
}

static unsigned task_events(const void *task)
{
	return qga_chan_events(((const struct qga_target *)task)->c);
}

static uint64_t task_next_ms(const void *task)
{
	return qga_chan_next_ms(((const struct qga_target *)task)->c);
}

static int task_step(void *task, unsigned revents)
{
	struct qga_target *t = task;
	if (!qga_chan_io(t->c, revents))
		return 0;
	take_result(t);
	return 1;
}

static void task_expire(void *task)
{
	struct qga_target *t = task;
	if (!t->c)
		return;
	char why[64];
	snprintf(why, sizeof(why), "timed out after %.1f s",
	         ((const struct run *)t->run)->timeout_ms / 1000.0);
	qga_chan_expire(t->c, why);
	take_result(t);
}

static int task_ok(const void *task)
{
	return ((const struct qga_target *)task)->status == QGA_OK;
}

static const struct host_task_ops qga_ops = {
    .start = task_start,
    .fd = task_fd,
    .events = task_events,
    .next_ms = task_next_ms,
    .step = task_step,
    .expire = task_expire,
    .ok = task_ok,
};

/* Each target's socket: given, or looked up in xenstore. A target that
 * cannot be found ends with QGA_NO_ANSWER before anything runs. */
static void resolve(struct qga_target *t, size_t n, const char *name)
{
	struct xs_handle *xs = NULL;
	int xs_err = 0;
	for (size_t i = 0; i < n; i++) {
		t[i].domid = -1;
		t[i].status = QGA_OK;
		if (strchr(t[i].spec, '/')) {
			if (strlen(t[i].spec) >= sizeof(t[i].sock)) {
				t[i].status = QGA_NO_ANSWER;
				snprintf(t[i].message, sizeof(t[i].message),
				         "socket %.80s...: path too long", t[i].spec);
			} else {
				snprintf(t[i].sock, sizeof(t[i].sock), "%s", t[i].spec);
			}
			continue;
		}
		if (!xs && !xs_err && !(xs = xs_open(0)))
			xs_err = errno;
		if (!xs) {
			t[i].status = QGA_NO_ANSWER;
			snprintf(t[i].message, sizeof(t[i].message),
			         "domain %.100s: cannot reach xenstore: %s", t[i].spec,
			         strerror(xs_err));
			continue;
		}
		unsigned domid;
		if (host_resolve_domain(xs, t[i].spec, &domid, t[i].message, sizeof(t[i].message)) <
		        0 ||
		    host_lookup(xs, domid, name, t[i].sock, sizeof(t[i].sock), t[i].message,
		                sizeof(t[i].message)) < 0) {
			t[i].status = QGA_NO_ANSWER;
			continue;
		}
		t[i].domid = (int)domid;
		char p[64];
		snprintf(p, sizeof(p), "/local/domain/%u/name", domid);
		char *nm = xstore_read(xs, XBT_NULL, p);
		snprintf(t[i].name, sizeof(t[i].name), "%s", nm ? nm : "");
		free(nm);
	}
	if (xs)
		xs_close(xs);
}

int qga_run(struct qga_target *t, size_t n, const char *execute, const json_t *args,
            const struct qga_run_opts *o, char *err, size_t errlen)
{
	/* The command and arguments are checked once, before any connection. */
	if (qga_check_command(execute, args, err, errlen) < 0)
		return -1;
	const char *name = o->name ? o->name : QGA_CHANNEL_NAME;
	struct run r = {.execute = execute, .args = args, .timeout_ms = o->timeout_ms};
	resolve(t, n, name);
	for (size_t i = 0; i < n; i++)
		t[i].run = &r;
	struct host_run_opts ro = {.jobs = host_run_fit_jobs(o->jobs ? o->jobs : n),
	                           .timeout_ms = (uint64_t)o->timeout_ms,
	                           .progress = o->progress,
	                           .progress_arg = o->progress_arg};
	if (host_run_tasks(t, n, sizeof(*t), &qga_ops, &ro) < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		return -1;
	}
	int worst = QGA_OK;
	for (size_t i = 0; i < n; i++) {
		t[i].run = NULL;
		if ((int)t[i].status > worst)
			worst = (int)t[i].status;
	}
	return worst;
}

void qga_targets_clear(struct qga_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		qga_chan_free(t[i].c);
		json_decref(t[i].value);
		t[i].c = NULL;
		t[i].value = NULL;
	}
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

/* Does /local/domain/0/backend/console/<dom> hold a channel `name`? */
static int has_channel(struct xs_handle *xs, const char *dom, const char *name)
{
	char dir[96];
	snprintf(dir, sizeof(dir), "/local/domain/0/backend/console/%s", dom);
	unsigned int n = 0;
	char **devs = xs_directory(xs, XBT_NULL, dir, &n);
	int found = 0;
	for (unsigned i = 0; devs && i < n && !found; i++) {
		char p[192];
		snprintf(p, sizeof(p), "%s/%s/name", dir, devs[i]);
		char *nm = xstore_read(xs, XBT_NULL, p);
		found = nm && !strcmp(nm, name);
		free(nm);
	}
	free(devs);
	return found;
}

int qga_domains(const char *name, unsigned **ids, size_t *count, char *err, size_t errlen)
{
	if (!name)
		name = QGA_CHANNEL_NAME;
	*ids = NULL;
	*count = 0;
	struct xs_handle *xs = xs_open(0);
	if (!xs) {
		snprintf(err, errlen, "cannot reach xenstore: %s", strerror(errno));
		return -1;
	}
	unsigned int n = 0;
	char **doms = xs_directory(xs, XBT_NULL, "/local/domain/0/backend/console", &n);
	unsigned *v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		free(doms);
		xs_close(xs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t k = 0;
	for (unsigned i = 0; doms && i < n; i++) {
		uint32_t d;
		if (xstore_parse_uint(doms[i], 0x7fef, &d) == 0 && has_channel(xs, doms[i], name))
			v[k++] = d;
	}
	free(doms);
	xs_close(xs);
	qsort(v, k, sizeof(*v), cmp_uint);
	*ids = v;
	*count = k;
	return 0;
}

int qga_call(const char *target, const char *execute, const json_t *args, int timeout_ms,
             json_t **value, char *err, size_t errlen)
{
	struct qga_target t = {.spec = target};
	struct qga_run_opts o = {.timeout_ms = timeout_ms};
	*value = NULL;
	int rc = qga_run(&t, 1, execute, args, &o, err, errlen);
	if (rc < 0)
		return -1;
	snprintf(err, errlen, "%s", t.message);
	*value = t.value;
	t.value = NULL;
	qga_targets_clear(&t, 1);
	return rc;
}
