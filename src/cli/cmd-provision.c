/*
 * cmd-provision.c - `xenchannel provision`: send a configuration document to
 * the agent of one or many domains at once and report what each applied.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenstore.h>

#include "commands.h"
#include "xenchannel/host.h"
#include "xenchannel/loop.h"
#include "xenchannel/proto.h"

struct doc {
	char *file;
	int ok;     /* 0: the document is bad (its errors reported once) */
	char *text; /* the document as sent, or NULL when its generation is the guest's */
	size_t len;
	json_t *obj;     /* without text: the document, less its generation */
	int seed;        /* a NoCloud seed: the agent needs the "nocloud" capability */
	json_t *skipped; /* cloud-config items only cloud-init can do, or NULL */
};

#define BACKEND_DOWN "backend not running (xenchanneld not serving the channel): "

struct target {
	const char *spec; /* as given */
	char label[512];  /* domain id or socket, as given */
	char sock[512];
	struct doc *doc;
	char *text; /* the document sent when its generation came from the guest */
	struct host_chan *h;
	int64_t id, status_id;
	int ready_seen, unresolved; /* unresolved: domain or channel not there (yet) */
	uint64_t start_ms, end_ms;
	int done;
	json_t *reply; /* the agent's reply, or NULL */
	char err[700];
	const char *kind; /* with err: what went wrong, for --json ("no-domain", ...) */
	int counts[5];    /* applied, unchanged, failed, refused, not-applied */
	struct run_ctx *ctx;
	uint64_t wait_until; /* --wait-agent: failures before READY are tried again until then */
	uint64_t retry_at;   /* without a channel: when to try again */
	unsigned retry_ms;
};

/* A cloud-config item only cloud-init can do (the host's own result). */
#define RES_NOT_APPLIED "not-applied"

struct options {
	const char *config, *name, *keyfile, *nocloud, *netfile;
	double timeout, wait_agent;
	long jobs;
	int json_out, verbose;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: xenchannel provision [--config FILE | --nocloud DIR] [--name NAME]\n"
	           "                            [--network-config FILE] [--timeout SECONDS]\n"
	           "                            [--wait-agent SECONDS] [--jobs N] [--key FILE]\n"
	           "                            [--json] [--verbose] TARGET[=FILE]...\n"
	           "TARGET is a domain id or name, or the path of a channel socket; =FILE gives\n"
	           "that target its own document instead of --config. FILE is JSON, YAML when\n"
	           "it ends in .yaml or .yml, a cloud-config when its first line is\n"
	           "#cloud-config (with --network-config, or a network-config beside it), or a\n"
	           "directory holding user-data, network-config and meta-data. --nocloud DIR\n"
	           "(or =DIR with --nocloud) sends a NoCloud seed for cloud-init instead.\n"
	           "Each guest may be given once.\n");
}

static int is_yaml(const char *file)
{
	size_t n = strlen(file);
	return (n > 5 && !strcmp(file + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(file + n - 4, ".yml"));
}

/* The apply request must fit one frame: the document is a JSON string in
 * it, escaped once more. */
static int fits_a_frame(const char *file, const char *text, size_t len, struct cfg_diag *d)
{
	json_t *req = json_pack("{s:I, s:s, s:s%, s:s}", "id", (json_int_t)INT64_MAX, "op", "apply",
	                        "document", text, len, "hmac",
	                        "0000000000000000000000000000000000000000000000000000000000000000");
	char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
	size_t n = s ? strlen(s) : SIZE_MAX;
	free(s);
	json_decref(req);
	if (n <= PROTO_MAX_PAYLOAD)
		return 0;
	cfg_diag_add(d, CFG_ERROR,
	             "%s: the request would be %zu bytes, over the %u-byte frame limit", file, n,
	             PROTO_MAX_PAYLOAD);
	return -1;
}

/* A provisioning document (JSON, or YAML by its name): its text, checked. */
static char *plain_doc(const char *file, char *text, size_t len, size_t *outlen, struct cfg_diag *d)
{
	if (len > PROTO_MAX_PAYLOAD) {
		cfg_diag_add(d, CFG_ERROR, "%s: larger than %u bytes", file, PROTO_MAX_PAYLOAD);
		free(text);
		return NULL;
	}
	if (is_yaml(file)) {
		/* The document sent (and signed) is the JSON form of the YAML. */
		char yerr[300];
		char *js = cli_yaml_to_json(text, len, yerr, sizeof(yerr));
		free(text);
		if (!js) {
			cfg_diag_add(d, CFG_ERROR, "%s: %s", file, yerr);
			return NULL;
		}
		text = js;
		len = strlen(js);
	}
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		cfg_diag_add(d, CFG_ERROR, "%s:%d:%d: %s", file, je.line, je.column, je.text);
		free(text);
		return NULL;
	}
	char verr[4096];
	int bad = proto_config_validate(o, verr, sizeof(verr)) < 0;
	json_decref(o);
	for (char *line = verr, *nl; bad && line; line = nl ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')))
			*nl = 0;
		cfg_diag_add(d, CFG_ERROR, "%s: %s", file, line);
	}
	if (bad) {
		free(text);
		return NULL;
	}
	*outlen = len;
	return text;
}

/* cloud-init's inputs: a seed (--nocloud), a directory or a cloud-config
 * as the document for our appliers. obj is the document, text its form
 * when it has its own generation. */
static int cloud_doc(struct doc *doc, const char *file, const char *text, size_t len, int dir,
                     const struct options *o, struct cfg_diag *d)
{
	json_t *obj;
	if (o->nocloud) {
		if (!dir) {
			cfg_diag_add(d, CFG_ERROR,
			             "%s: not a directory (a NoCloud seed is a directory with "
			             "meta-data, user-data, ...)",
			             file);
			return -1;
		}
		obj = cli_seed_load(file, d);
		doc->seed = 1;
	} else if (dir) {
		obj = cli_cloud_dir_load(file, o->netfile, &doc->skipped, d);
	} else {
		obj = cli_cloud_config_load(file, text, len, o->netfile, &doc->skipped, d);
	}
	if (!obj)
		return -1;
	size_t n;
	json_t *g = json_object_get(obj, "generation");
	char *t = host_doc_text(obj, g ? json_integer_value(g) : 1, &n);
	int rc = -1;
	if (t)
		rc = fits_a_frame(file, t, n, d);
	else
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", file);
	if (rc == 0 && json_object_get(obj, "generation")) {
		doc->text = t; /* a generation of its own: sent as it is */
		doc->len = n;
		t = NULL;
	} else {
		json_object_del(obj, "generation");
		doc->obj = json_incref(obj);
	}
	free(t);
	json_decref(obj);
	return rc < 0 ? -1 : 0;
}

/* Read, convert and validate one document, once per file; every problem
 * goes to d as "FILE[:LINE:COL]: what". NULL when the document is bad. */
static struct doc *load_doc(struct doc *docs, size_t *ndocs, const char *file,
                            const struct options *o, struct cfg_diag *d)
{
	for (size_t i = 0; i < *ndocs; i++)
		if (strcmp(docs[i].file, file) == 0)
			return docs[i].ok ? &docs[i] : NULL;
	struct doc *doc = &docs[(*ndocs)++];
	if (!(doc->file = strdup(file))) {
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", file);
		return NULL;
	}
	struct stat st;
	int dir = stat(file, &st) == 0 && S_ISDIR(st.st_mode);
	char *text = NULL;
	size_t len = 0;
	if (!dir && cfg_read(file, &text, &len, d))
		return NULL;
	int rc;
	if (o->nocloud || dir || cli_is_cloud_config(text, len)) {
		rc = cloud_doc(doc, file, text, len, dir, o, d);
		free(text);
	} else if (o->netfile) {
		cfg_diag_add(d, CFG_ERROR,
		             "%s: --network-config goes with a cloud-config (a first line "
		             "#cloud-config)",
		             file);
		free(text);
		rc = -1;
	} else {
		rc = (doc->text = plain_doc(file, text, len, &doc->len, d)) ? 0 : -1;
	}
	doc->ok = rc == 0;
	return doc->ok ? doc : NULL;
}

static void finish(struct target *t, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finish(struct target *t, const char *kind, const char *fmt, ...)
{
	t->kind = kind;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->err, sizeof(t->err), fmt, ap);
		va_end(ap);
	}
	t->done = 1;
	t->end_ms = loop_now_ms();
	if (!t->start_ms)
		t->start_ms = t->end_ms; /* failed before it started */
	host_chan_free(t->h);
	t->h = NULL;
}

/* A failure noted (kind, message) without ending the target: it may be
 * tried again (--wait-agent). */
static void note(struct target *t, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(struct target *t, const char *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	t->kind = kind;
}

/* The domain's channel socket; -1 with the failure noted (unresolved). */
static int resolve_one(struct xs_handle *xs, struct target *t, const char *name)
{
	char err[600], nb[200];
	unsigned domid;
	t->unresolved = 1;
	if (host_resolve_domain(xs, t->label, &domid, err, sizeof(err)) < 0) {
		if (errno == ENOENT)
			note(t, "no-domain", "no such domain");
		else
			note(t, "xenstore", "%s", err);
		return -1;
	}
	if (host_lookup(xs, domid, name, t->sock, sizeof(t->sock), err, sizeof(err)) < 0) {
		if (errno == ENOENT)
			note(t, "no-channel", "no channel %s on domain %s",
			     cli_escaped(nb, sizeof(nb), name), t->label);
		else
			note(t, "no-channel", "%s", err);
		t->sock[0] = 0;
		return -1;
	}
	t->unresolved = 0;
	return 0;
}

static int agent_refused(struct target *t, const json_t *r)
{
	if (json_is_true(json_object_get(r, "ok")))
		return 0;
	json_t *e = json_object_get(r, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	finish(t, "agent-error", "agent: %s: %s", code ? code : "error", msg ? msg : "");
	return 1;
}

static int has_capability(const json_t *ready, const char *cap)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(ready, "capabilities"), i, c)
	{
		if (json_is_string(c) && strcmp(json_string_value(c), cap) == 0)
			return 1;
	}
	return 0;
}

static void send_apply(struct target *t, const char *text, size_t len);

/* The status reply of a document whose generation is the guest's: sent as
 * the guest's last generation L when the guest has exactly this content as
 * L (so every item is unchanged), else as L + 1 (docs/protocol.md §6.1). */
static void send_with_guest_generation(struct target *t, const json_t *r)
{
	if (agent_refused(t, r))
		return;
	const json_t *ready = host_chan_ready(t->h);
	if (t->doc->seed && !has_capability(ready, "nocloud")) {
		const char *agent = json_string_value(json_object_get(ready, "agent"));
		char ab[200];
		finish(t, "agent-too-old",
		       "the agent (%s) cannot take a NoCloud seed (no \"nocloud\" capability): "
		       "update xenchannel-guest in the guest",
		       cli_escaped(ab, sizeof(ab), agent ? agent : "?"));
		return;
	}
	size_t len;
	char *text = host_doc_for_guest(t->doc->obj, json_object_get(r, "result"), &len);
	if (!text) {
		finish(t, "channel-failed", "cannot build the document for the guest's generation");
		return;
	}
	t->text = text;
	send_apply(t, text, len);
}

/* What only cloud-init can do, among the agent's items (the host's own). */
static void add_skipped(struct target *t, json_t *result)
{
	json_t *items = json_object_get(result, "items");
	size_t i, n = json_array_size(t->doc->skipped);
	json_t *it;
	json_array_foreach(t->doc->skipped, i, it)
	{
		json_array_append_new(items, json_pack("{s:O, s:s, s:O}", "item",
		                                       json_object_get(it, "item"), "result",
		                                       RES_NOT_APPLIED, "reason",
		                                       json_object_get(it, "reason")));
	}
	if (n)
		json_object_set_new(json_object_get(result, "summary"), RES_NOT_APPLIED,
		                    json_integer((json_int_t)n));
}

static void take_reply(struct target *t, json_t *r)
{
	json_t *id = json_object_get(r, "id");
	if (json_is_integer(id) && t->status_id && json_integer_value(id) == t->status_id) {
		t->status_id = 0;
		send_with_guest_generation(t, r);
		json_decref(r);
		return;
	}
	if (!json_is_integer(id) || json_integer_value(id) != t->id) {
		json_decref(r);
		return;
	}
	t->reply = r;
	if (agent_refused(t, r))
		return;
	size_t i;
	json_t *it;
	static const char *const names[5] = {PROTO_RES_APPLIED, PROTO_RES_UNCHANGED,
	                                     PROTO_RES_FAILED, PROTO_RES_REFUSED, RES_NOT_APPLIED};
	add_skipped(t, json_object_get(r, "result"));
	json_array_foreach(json_object_get(json_object_get(r, "result"), "items"), i, it)
	{
		const char *res = json_string_value(json_object_get(it, "result"));
		for (int k = 0; k < 5; k++)
			if (res && strcmp(res, names[k]) == 0)
				t->counts[k]++;
	}
	finish(t,
	       t->counts[2]   ? "items-failed"
	       : t->counts[3] ? "items-refused"
	       : t->counts[4] ? "items-not-applied"
	                      : NULL,
	       NULL);
}

static int target_ok(const struct target *t)
{
	return t->reply && !t->err[0] && t->counts[2] == 0 && t->counts[3] == 0 &&
	       t->counts[4] == 0;
}

static void progress(size_t done, size_t total, size_t failed, int final)
{
	fprintf(stderr, "\rprovision: %zu/%zu done, %zu failed%s", done, total, failed,
	        final ? "\n" : "");
	fflush(stderr);
}

static const char *status_of(const struct target *t)
{
	if (target_ok(t))
		return "ok";
	if (t->err[0])
		return t->err;
	/* a policy's refusal is not a failure: say which it was */
	if (!t->counts[2] && !t->counts[3])
		return "items not applied (need cloud-init)";
	return !t->counts[3]   ? "items failed"
	       : !t->counts[2] ? "items refused"
	                       : "items failed, refused";
}

static void print_table(struct target *t, size_t n, int verbose)
{
	/* the TARGET column fits the longest target: names are never cut */
	int w = 6;
	char lbl[2048];
	for (size_t i = 0; i < n; i++) {
		int l = (int)strlen(cli_escaped(lbl, sizeof(lbl), t[i].label));
		if (l > w)
			w = l;
	}
	printf("%-*s %6s %8s %10s %7s %8s %8s  %s\n", w, "TARGET", "GEN", "APPLIED", "UNCHANGED",
	       "FAILED", "REFUSED", "MS", "STATUS");
	for (size_t i = 0; i < n; i++) {
		json_t *res = t[i].reply ? json_object_get(t[i].reply, "result") : NULL;
		json_t *gen = json_object_get(res, "generation");
		char gbuf[24] = "-";
		if (json_is_integer(gen))
			snprintf(gbuf, sizeof(gbuf), "%lld", (long long)json_integer_value(gen));
		printf("%-*s %6s %8d %10d %7d %8d %8llu  %s\n", w,
		       cli_escaped(lbl, sizeof(lbl), t[i].label), gbuf, t[i].counts[0],
		       t[i].counts[1], t[i].counts[2], t[i].counts[3],
		       (unsigned long long)(t[i].end_ms - t[i].start_ms), status_of(&t[i]));
		size_t k;
		json_t *it;
		json_array_foreach(json_object_get(res, "items"), k, it)
		{
			const char *r = json_string_value(json_object_get(it, "result"));
			int bad =
			    r && (!strcmp(r, PROTO_RES_FAILED) || !strcmp(r, PROTO_RES_REFUSED) ||
			          !strcmp(r, RES_NOT_APPLIED));
			if (!bad && !verbose)
				continue;
			char ib[200], rb[300];
			const char *reason = json_string_value(json_object_get(it, "reason"));
			printf("    %-40s %-9s %s\n",
			       cli_escaped(ib, sizeof(ib),
			                   json_string_value(json_object_get(it, "item"))),
			       r ? r : "?", reason ? cli_escaped(rb, sizeof(rb), reason) : "");
		}
	}
}

/* The last line: "N guests: A applied, U unchanged, F failed" (applied: ok
 * with an item applied; unchanged: ok with nothing to do). */
static void print_summary(const struct target *t, size_t n)
{
	size_t applied = 0, unchanged = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (!target_ok(&t[i]))
			failed++;
		else if (t[i].counts[0])
			applied++;
		else
			unchanged++;
	}
	printf("%zu guest%s: %zu applied, %zu unchanged, %zu failed\n", n, n == 1 ? "" : "s",
	       applied, unchanged, failed);
}

static void print_json(struct target *t, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:o, s:o, s:b, s:I}", "target", proto_json_text(t[i].label),
		                      "socket", proto_json_text(t[i].sock), "ok", target_ok(&t[i]),
		                      "ms", (json_int_t)(t[i].end_ms - t[i].start_ms));
		json_t *res = t[i].reply ? json_object_get(t[i].reply, "result") : NULL;
		if (res)
			json_object_set(o, "result", res);
		if (t[i].err[0])
			json_object_set_new(o, "error", proto_json_text(t[i].err));
		if (t[i].kind)
			json_object_set_new(o, "error_kind", json_string(t[i].kind));
		json_array_append_new(arr, o);
	}
	json_dumpf(arr, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(arr);
}

/* ---- the targets as tasks of the host library's runner ---- */

struct run_ctx {
	const uint8_t *key;
	size_t keylen;
	double timeout, wait_agent;
	const char *name; /* the channel's */
};

static void send_apply(struct target *t, const char *text, size_t len)
{
	if ((t->id = host_chan_apply(t->h, text, len, t->ctx->key, t->ctx->keylen)) < 0)
		finish(t, "channel-failed", "%s", host_chan_error(t->h));
}

/* The noted failure ends the target (1), or, before the agent answered
 * and within --wait-agent, the target is tried again a little later (0):
 * the domain, its channel, the backend or the agent may not be there yet. */
static int target_failed(struct target *x)
{
	if (!x->wait_until || x->ready_seen) {
		finish(x, x->kind, NULL);
		return 1;
	}
	if (loop_now_ms() >= x->wait_until) {
		char last[sizeof(x->err)];
		snprintf(last, sizeof(last), "%s", x->err);
		finish(x, x->kind, "%s (waited %.1f s)", last,
		       (loop_now_ms() - x->start_ms) / 1000.0);
		return 1;
	}
	host_chan_free(x->h);
	x->h = NULL;
	x->retry_ms = x->retry_ms ? (x->retry_ms * 2 > 1000 ? 1000 : x->retry_ms * 2) : 100;
	x->retry_at = loop_now_ms() + x->retry_ms;
	return 0;
}

/* One go at the target: find its socket if needed, connect, queue the
 * document (or, when its generation is the guest's, the status request
 * first). 0 while it runs or waits to be tried again, 1 when it is done. */
static int target_attempt(struct target *x)
{
	char err[600];
	x->retry_at = 0;
	if (x->unresolved) {
		struct xs_handle *xs = xs_open(0);
		int rc = xs ? resolve_one(xs, x, x->ctx->name) : -1;
		if (!xs)
			note(x, "xenstore", "cannot reach xenstore: %s", strerror(errno));
		else
			xs_close(xs);
		if (rc < 0)
			return target_failed(x);
	}
	if (!(x->h = host_chan_new(x->sock, err, sizeof(err)))) {
		/* nobody listens on the socket: no backend serves the channel */
		int e = errno;
		if (e == ENOENT || e == ECONNREFUSED)
			note(x, "backend-not-running", BACKEND_DOWN "%s", err);
		else
			note(x, "channel-failed", "%s", err);
		return target_failed(x);
	}
	x->err[0] = 0; /* what earlier tries noted is over */
	x->kind = NULL;
	if (x->doc->text) {
		send_apply(x, x->doc->text, x->doc->len);
	} else {
		json_t *st = json_pack("{s:s}", "op", "status");
		if (!st || (x->status_id = host_chan_request(x->h, st)) < 0)
			finish(x, "channel-failed", "cannot queue the status request");
		json_decref(st);
	}
	return x->done;
}

static int task_start(void *task)
{
	struct target *x = task;
	if (x->done)
		return -1; /* its domain or channel was not found */
	x->start_ms = loop_now_ms();
	if (x->ctx->wait_agent > 0)
		x->wait_until = x->start_ms + (uint64_t)(x->ctx->wait_agent * 1000);
	return target_attempt(x) ? -1 : 0;
}

/* -1 while the target waits to be tried again: nothing to watch then. */
static int task_fd(const void *task)
{
	const struct target *x = task;
	return x->h ? host_chan_fd(x->h) : -1;
}

static unsigned task_events(const void *task)
{
	const struct target *x = task;
	return x->h ? host_chan_events(x->h) : 0;
}

static uint64_t task_next_ms(const void *task)
{
	const struct target *x = task;
	return x->h ? host_chan_next_ms(x->h) : x->retry_at;
}

/* Do the I/O the channel is ready for and take its reply, or try again
 * when it is time; 1 when done. */
static int task_step(void *task, unsigned got)
{
	struct target *x = task;
	if (!x->h)
		return x->retry_at && loop_now_ms() >= x->retry_at ? target_attempt(x) : 0;
	if (host_chan_io(x->h, got) < 0) {
		const char *e = host_chan_error(x->h);
		if (!strncmp(e, "connect", 7))
			note(x, "backend-not-running", BACKEND_DOWN "%s", e);
		else
			note(x, "channel-failed", "%s", e);
		return target_failed(x);
	}
	x->ready_seen |= host_chan_is_ready(x->h);
	json_t *r;
	while (!x->done && (r = host_chan_take_reply(x->h)))
		take_reply(x, r);
	return x->done;
}

static void task_expire(void *task)
{
	struct target *x = task;
	if (x->done)
		return;
	double secs = x->ctx->wait_agent + x->ctx->timeout;
	if (!x->h) {
		/* still waiting for the domain, channel or backend */
		char last[sizeof(x->err)];
		snprintf(last, sizeof(last), "%s", x->err);
		finish(x, x->kind, "%s (waited %.1f s)", last, secs);
		return;
	}
	int ready = host_chan_is_ready(x->h);
	finish(x, ready ? "no-reply" : "no-agent", "timed out after %.1f s (%s)", secs,
	       ready ? "no reply to the document"
	             : "no agent answered HELLO: is xenchannel-agent running in the guest?");
}

static int task_ok(const void *task)
{
	return target_ok(task);
}

static const struct host_task_ops provision_ops = {
    .start = task_start,
    .fd = task_fd,
    .events = task_events,
    .next_ms = task_next_ms,
    .step = task_step,
    .expire = task_expire,
    .ok = task_ok,
};

static void on_progress(void *arg, size_t done, size_t total, size_t failed, int final)
{
	progress(done, total, failed, final);
}

/* ---- the command ---- */

/* Returns 0, or -1 with the exit status in *status (help, usage error). */
static int parse_options(int argc, char **argv, struct options *o, int *status)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"name", required_argument, NULL, 'n'},
	    {"timeout", required_argument, NULL, 't'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"key", required_argument, NULL, 'k'},
	    {"json", no_argument, NULL, 'J'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"nocloud", required_argument, NULL, 'N'},
	    {"network-config", required_argument, NULL, 'C'},
	    {"wait-agent", required_argument, NULL, 'W'},
	    {0},
	};
	*o = (struct options){.name = HOST_DEFAULT_NAME, .timeout = 30, .jobs = 64};
	int c;
	optind = 1;
	*status = 2;
	while ((c = getopt_long(argc, argv, "c:n:t:j:k:JvhN:C:W:", opts, NULL)) != -1) {
		int ms;
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'N':
			o->nocloud = optarg;
			break;
		case 'C':
			o->netfile = optarg;
			break;
		case 'W':
			if (cli_parse_seconds("provision", "--wait-agent", optarg, 0, &ms))
				return -1;
			o->wait_agent = ms / 1000.0;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 't':
			if (cli_parse_seconds("provision", "--timeout", optarg, 1, &ms))
				return -1;
			o->timeout = ms / 1000.0;
			break;
		case 'j':
			if (cli_parse_jobs("provision", optarg, 4096, &o->jobs))
				return -1;
			break;
		case 'k':
			o->keyfile = optarg;
			break;
		case 'J':
			o->json_out = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			*status = 0;
			return -1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return -1;
	}
	if (o->nocloud && o->config) {
		fprintf(stderr, "xenchannel: provision: --nocloud and --config: give one\n");
		return -1;
	}
	return 0;
}

/* Each TARGET[=FILE] gets its document and its socket. A target whose domain
 * or channel cannot be found is done (failed) already; a missing or bad
 * document is a usage error, reported in d: returns -1. */
static int resolve_targets(struct target *t, size_t n, char **specs, const struct options *o,
                           struct doc *docs, size_t *ndocs, struct cfg_diag *d, struct cfg_diag *td)
{
	struct xs_handle *xs = NULL;
	size_t errs = d->nerrors + td->nerrors;
	for (size_t i = 0; i < n; i++) {
		char spec[512];
		snprintf(spec, sizeof(spec), "%s", specs[i]);
		t[i].spec = specs[i];
		char *eq = strchr(spec, '=');
		const char *file = o->nocloud ? o->nocloud : o->config;
		if (eq) {
			*eq = 0;
			file = eq + 1;
		}
		snprintf(t[i].label, sizeof(t[i].label), "%s", spec);
		if (!file) {
			cfg_diag_add(td, CFG_ERROR,
			             "target %zu (%s): no document (give --config FILE, --nocloud "
			             "DIR or TARGET=FILE)",
			             i + 1, spec);
			continue;
		}
		if (!(t[i].doc = load_doc(docs, ndocs, file, o, d)))
			continue;
		if (strchr(spec, '/')) {
			snprintf(t[i].sock, sizeof(t[i].sock), "%s", spec);
			continue;
		}
		if (!xs && !(xs = xs_open(0))) {
			finish(&t[i], "xenstore", "cannot reach xenstore: %s", strerror(errno));
			continue;
		}
		/* with --wait-agent the domain and its channel may come later */
		if (resolve_one(xs, &t[i], o->name) < 0 &&
		    !(o->wait_agent > 0 && strcmp(t[i].kind, "xenstore") != 0))
			finish(&t[i], t[i].kind, NULL);
	}
	if (xs)
		xs_close(xs);
	return d->nerrors + td->nerrors > errs ? -1 : 0;
}

/* The same guest given twice (by name and id, or by its socket) is a usage
 * error: two documents for one guest, or one sent twice, is a mistake. */
/* The same guest given twice (by name and id, or by its socket) is a usage
 * error: two documents for one guest, or one sent twice, is a mistake. */
static int find_duplicates(const struct target *t, size_t n, struct cfg_diag *d)
{
	size_t errs = d->nerrors;
	for (size_t i = 0; i < n; i++) {
		char ri[PATH_MAX], rj[PATH_MAX];
		const char *si = t[i].sock[0] && realpath(t[i].sock, ri) ? ri : t[i].sock;
		for (size_t j = 0; j < i; j++) {
			const char *sj = t[j].sock[0] && realpath(t[j].sock, rj) ? rj : t[j].sock;
			if (strcmp(t[i].label, t[j].label) && (!si[0] || strcmp(si, sj)))
				continue;
			char a[200], b[200];
			cfg_diag_add(
			    d, CFG_ERROR,
			    "targets %zu (%s) and %zu (%s) are the same guest%s%s: give each "
			    "guest once",
			    j + 1, cli_escaped(a, sizeof(a), t[j].label), i + 1,
			    cli_escaped(b, sizeof(b), t[i].label), si[0] ? ", socket " : "", si);
			break;
		}
	}
	return d->nerrors > errs ? -1 : 0;
}

/* Bad documents and targets: on stderr, or {"errors": [...]} on stdout with
 * "file", "line", "column" where a document's problem has them. */
static void print_usage_errors(const struct cfg_diag *d, const struct cfg_diag *td, int json)
{
	if (!json) {
		for (size_t i = 0; i < d->n; i++)
			fprintf(stderr, "xenchannel: provision: %s\n", d->msgs[i].text);
		for (size_t i = 0; i < td->n; i++)
			fprintf(stderr, "xenchannel: provision: %s\n", td->msgs[i].text);
		return;
	}
	json_t *o = cli_with_diag(json_object(), d);
	json_t *errs = json_object_get(o, "errors");
	for (size_t i = 0; errs && i < td->n; i++)
		json_array_append_new(
		    errs, json_pack("{s:o}", "message", proto_json_text(td->msgs[i].text)));
	cli_json_print(o);
}

static void free_docs(struct doc *docs, size_t ndocs)
{
	for (size_t i = 0; i < ndocs; i++) {
		free(docs[i].file);
		free(docs[i].text);
		json_decref(docs[i].obj);
		json_decref(docs[i].skipped);
	}
	free(docs);
}

int cmd_provision(int argc, char **argv)
{
	struct options o;
	int status;
	if (parse_options(argc, argv, &o, &status) < 0)
		return status;
	size_t n = (size_t)(argc - optind);
	uint8_t *key = NULL;
	size_t keylen = 0;
	char err[600];
	if (o.keyfile) {
		key = proto_key_load(o.keyfile, 1, &keylen, err, sizeof(err));
		if (!key) {
			fprintf(stderr, "xenchannel: provision: %s\n", err);
			return 1;
		}
	}
	struct target *t = calloc(n, sizeof(*t));
	struct doc *docs = calloc(n + 1, sizeof(*docs));
	size_t ndocs = 0;
	struct cfg_diag d, td; /* problems of documents (FILE: ...), of targets */
	cfg_diag_init(&d);
	cfg_diag_init(&td);
	if (!t || !docs) {
		fprintf(stderr, "xenchannel: provision: out of memory\n");
		status = 1;
		goto out;
	}
	/* every bad document and every duplicate, before anything is sent */
	int bad = resolve_targets(t, n, argv + optind, &o, docs, &ndocs, &d, &td);
	if (find_duplicates(t, n, &td) < 0 || bad < 0) {
		print_usage_errors(&d, &td, o.json_out);
		status = 2;
		goto out;
	}
	struct run_ctx ctx = {.key = key,
	                      .keylen = keylen,
	                      .timeout = o.timeout,
	                      .wait_agent = o.wait_agent,
	                      .name = o.name};
	for (size_t i = 0; i < n; i++)
		t[i].ctx = &ctx;
	struct host_run_opts ro = {.jobs = host_run_fit_jobs((size_t)o.jobs),
	                           .timeout_ms = (uint64_t)((o.wait_agent + o.timeout) * 1000)};
	if (isatty(2) && !o.json_out)
		ro.progress = on_progress;
	if (host_run_tasks(t, n, sizeof(*t), &provision_ops, &ro) < 0)
		perror("xenchannel: provision: event loop");
	if (o.json_out) {
		print_json(t, n);
	} else {
		print_table(t, n, o.verbose);
		print_summary(t, n);
	}
	status = 0;
	for (size_t i = 0; i < n; i++)
		if (!target_ok(&t[i]))
			status = 1;
out:
	for (size_t i = 0; t && i < n; i++) {
		json_decref(t[i].reply);
		host_chan_free(t[i].h);
		free(t[i].text);
	}
	cfg_diag_free(&d);
	cfg_diag_free(&td);
	free_docs(docs, ndocs);
	free(t);
	free(key);
	return status;
}
