/*
 * cmd-provision.c - `xenchannel provision`: send a configuration document to
 * the agent of one or many domains at once and report what each applied.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "commands.h"
#include "xenchannel/host.h"
#include "xenchannel/proto.h"

struct doc {
	char *file;
	char *text;
	size_t len;
};

struct target {
	const char *spec;    /* as given */
	char label[512];     /* domain id or socket, as given */
	char sock[512];
	struct doc *doc;
	struct host_chan *h;
	int64_t id;
	uint64_t start_ms, end_ms;
	int done;
	json_t *reply;       /* the agent's reply, or NULL */
	char err[700];
	int counts[4];       /* applied, unchanged, failed, refused */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xenchannel provision [--config FILE] [--name NAME] [--timeout SECONDS]\n"
	           "                            [--jobs N] [--key FILE] [--json] [--verbose]\n"
	           "                            TARGET[=FILE]...\n"
	           "TARGET is a domain id or name, or the path of a channel socket; =FILE gives\n"
	           "that target its own document instead of --config. FILE is JSON, or YAML\n"
	           "when it ends in .yaml or .yml.\n");
}

static int is_yaml(const char *file)
{
	size_t n = strlen(file);
	return (n > 5 && !strcmp(file + n - 5, ".yaml")) || (n > 4 && !strcmp(file + n - 4, ".yml"));
}

static struct doc *load_doc(struct doc *docs, size_t *ndocs, const char *file, char *err,
                            size_t errlen)
{
	for (size_t i = 0; i < *ndocs; i++)
		if (strcmp(docs[i].file, file) == 0)
			return &docs[i];
	FILE *f = fopen(file, "rb");
	if (!f) {
		snprintf(err, errlen, "config %s: %s", file, strerror(errno));
		return NULL;
	}
	char *text = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > PROTO_MAX_PAYLOAD * 2u) {
				snprintf(err, errlen, "config %s: larger than %u bytes", file, PROTO_MAX_PAYLOAD);
				fclose(f);
				free(text);
				return NULL;
			}
			text = realloc(text, cap);
		}
		size_t n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	text[len] = 0;
	if (is_yaml(file)) {
		/* The document sent (and signed) is the JSON form of the YAML. */
		char yerr[300];
		char *js = cli_yaml_to_json(text, len, yerr, sizeof(yerr));
		free(text);
		if (!js) {
			snprintf(err, errlen, "config %s: %s", file, yerr);
			return NULL;
		}
		text = js;
		len = strlen(js);
	}
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		snprintf(err, errlen, "config %s:%d:%d: %s", file, je.line, je.column, je.text);
		free(text);
		return NULL;
	}
	char verr[400];
	if (proto_config_validate(o, verr, sizeof(verr)) < 0) {
		snprintf(err, errlen, "config %s: %s", file, verr);
		json_decref(o);
		free(text);
		return NULL;
	}
	json_decref(o);
	struct doc *d = &docs[(*ndocs)++];
	d->file = strdup(file);
	d->text = text;
	d->len = len;
	return d;
}

static void finish(struct target *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void finish(struct target *t, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->err, sizeof(t->err), fmt, ap);
		va_end(ap);
	}
	t->done = 1;
	t->end_ms = now_ms();
	host_chan_free(t->h);
	t->h = NULL;
}

static void take_reply(struct target *t, json_t *r)
{
	json_t *id = json_object_get(r, "id");
	if (!json_is_integer(id) || json_integer_value(id) != t->id) {
		json_decref(r);
		return;
	}
	t->reply = r;
	if (!json_is_true(json_object_get(r, "ok"))) {
		json_t *e = json_object_get(r, "error");
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		finish(t, "agent: %s: %s", code ? code : "error", msg ? msg : "");
		return;
	}
	size_t i;
	json_t *it;
	static const char *const names[4] = {PROTO_RES_APPLIED, PROTO_RES_UNCHANGED,
	                                     PROTO_RES_FAILED, PROTO_RES_REFUSED};
	json_array_foreach(json_object_get(json_object_get(r, "result"), "items"), i, it)
	{
		const char *res = json_string_value(json_object_get(it, "result"));
		for (int k = 0; k < 4; k++)
			if (res && strcmp(res, names[k]) == 0)
				t->counts[k]++;
	}
	finish(t, NULL);
}

static int target_ok(const struct target *t)
{
	return t->reply && !t->err[0] && t->counts[2] == 0 && t->counts[3] == 0;
}

static void progress(size_t done, size_t total, size_t failed, int final)
{
	fprintf(stderr, "\rprovision: %zu/%zu done, %zu failed%s", done, total, failed,
	        final ? "\n" : "");
	fflush(stderr);
}

static void print_table(struct target *t, size_t n, int verbose)
{
	printf("%-20s %6s %8s %10s %7s %8s %8s  %s\n", "TARGET", "GEN", "APPLIED", "UNCHANGED",
	       "FAILED", "REFUSED", "MS", "STATUS");
	for (size_t i = 0; i < n; i++) {
		json_t *res = t[i].reply ? json_object_get(t[i].reply, "result") : NULL;
		json_t *gen = json_object_get(res, "generation");
		char gbuf[24] = "-";
		if (json_is_integer(gen))
			snprintf(gbuf, sizeof(gbuf), "%lld", (long long)json_integer_value(gen));
		char lbl[64];
		printf("%-20s %6s %8d %10d %7d %8d %8llu  %s\n", cli_escaped(lbl, 21, t[i].label), gbuf,
		       t[i].counts[0], t[i].counts[1], t[i].counts[2], t[i].counts[3],
		       (unsigned long long)(t[i].end_ms - t[i].start_ms),
		       target_ok(&t[i]) ? "ok" : t[i].err[0] ? t[i].err : "items failed");
		size_t k;
		json_t *it;
		json_array_foreach(json_object_get(res, "items"), k, it)
		{
			const char *r = json_string_value(json_object_get(it, "result"));
			int bad = r && (!strcmp(r, PROTO_RES_FAILED) || !strcmp(r, PROTO_RES_REFUSED));
			if (!bad && !verbose)
				continue;
			char ib[200], rb[300];
			const char *reason = json_string_value(json_object_get(it, "reason"));
			printf("    %-40s %-9s %s\n",
			       cli_escaped(ib, sizeof(ib), json_string_value(json_object_get(it, "item"))),
			       r ? r : "?", reason ? cli_escaped(rb, sizeof(rb), reason) : "");
		}
	}
}

static void print_json(struct target *t, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:b, s:I}", "target", t[i].label, "socket",
		                      t[i].sock, "ok", target_ok(&t[i]), "ms",
		                      (json_int_t)(t[i].end_ms - t[i].start_ms));
		json_t *res = t[i].reply ? json_object_get(t[i].reply, "result") : NULL;
		if (res)
			json_object_set(o, "result", res);
		if (t[i].err[0])
			json_object_set_new(o, "error", json_string(t[i].err));
		json_array_append_new(arr, o);
	}
	json_dumpf(arr, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(arr);
}

int cmd_provision(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"name", required_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'}, {"jobs", required_argument, NULL, 'j'},
		{"key", required_argument, NULL, 'k'},    {"json", no_argument, NULL, 'J'},
		{"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *config = NULL, *name = HOST_DEFAULT_NAME, *keyfile = NULL;
	double timeout = 30;
	long jobs = 64;
	int json_out = 0, verbose = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:n:t:j:k:Jvh", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'c': config = optarg; break;
		case 'n': name = optarg; break;
		case 't':
			timeout = strtod(optarg, &end);
			if (*end || timeout <= 0 || timeout > 86400) {
				fprintf(stderr, "xenchannel: provision: --timeout %s: want seconds > 0\n",
				        optarg);
				return 2;
			}
			break;
		case 'j':
			jobs = strtol(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > 4096) {
				fprintf(stderr, "xenchannel: provision: --jobs %s: want 1..4096\n", optarg);
				return 2;
			}
			break;
		case 'k': keyfile = optarg; break;
		case 'J': json_out = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	size_t n = (size_t)(argc - optind);
	if (n == 0) {
		usage(stderr);
		return 2;
	}
	uint8_t *key = NULL;
	size_t keylen = 0;
	char err[600];
	if (keyfile) {
		key = proto_key_load(keyfile, 1, &keylen, err, sizeof(err));
		if (!key) {
			fprintf(stderr, "xenchannel: provision: %s\n", err);
			return 1;
		}
	}
	struct target *t = calloc(n, sizeof(*t));
	struct doc *docs = calloc(n + 1, sizeof(*docs));
	size_t ndocs = 0;
	struct xs_handle *xs = NULL;
	int usage_err = 0;
	for (size_t i = 0; i < n; i++) {
		char spec[512];
		snprintf(spec, sizeof(spec), "%s", argv[optind + (int)i]);
		t[i].spec = argv[optind + (int)i];
		char *eq = strchr(spec, '=');
		const char *file = config;
		if (eq) {
			*eq = 0;
			file = eq + 1;
		}
		snprintf(t[i].label, sizeof(t[i].label), "%s", spec);
		if (!file) {
			fprintf(stderr, "xenchannel: provision: %s: no document (give --config FILE or "
			                "TARGET=FILE)\n", spec);
			usage_err = 1;
			continue;
		}
		t[i].doc = load_doc(docs, &ndocs, file, err, sizeof(err));
		if (!t[i].doc) {
			fprintf(stderr, "xenchannel: provision: %s\n", err);
			usage_err = 1;
			continue;
		}
		if (strchr(spec, '/')) {
			snprintf(t[i].sock, sizeof(t[i].sock), "%s", spec);
			continue;
		}
		if (!xs && !(xs = xs_open(0))) {
			snprintf(t[i].err, sizeof(t[i].err), "cannot reach xenstore: %s", strerror(errno));
			t[i].done = 1;
			continue;
		}
		unsigned domid;
		if (host_resolve_domain(xs, spec, &domid, err, sizeof(err)) < 0 ||
		    host_lookup(xs, domid, name, t[i].sock, sizeof(t[i].sock), err, sizeof(err)) < 0) {
			snprintf(t[i].err, sizeof(t[i].err), "%s", err);
			t[i].done = 1;
		}
	}
	if (xs)
		xs_close(xs);
	if (usage_err) {
		free(t);
		return 2;
	}
	/* One socket per running target: make room for --jobs of them. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)jobs + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)jobs + 64 ? rl.rlim_max : (rlim_t)jobs + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)jobs + 64 && rl.rlim_cur > 64)
			jobs = (long)rl.rlim_cur - 64;
	}
	int tty = isatty(2) && !json_out;
	size_t next = 0, running = 0, finished = 0, failed = 0;
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	size_t *idx = calloc(n, sizeof(*idx));
	uint64_t timeout_ms = (uint64_t)(timeout * 1000);
	for (size_t i = 0; i < n; i++)
		if (t[i].done) {
			finished++;
			failed++;
		}
	uint64_t last_progress = 0;
	while (finished < n) {
		/* Start more, up to --jobs at a time. */
		while (running < (size_t)jobs && next < n) {
			struct target *x = &t[next++];
			if (x->done)
				continue;
			x->start_ms = now_ms();
			x->h = host_chan_new(x->sock, err, sizeof(err));
			if (!x->h || (x->id = host_chan_apply(x->h, x->doc->text, x->doc->len, key,
			                                      keylen)) < 0) {
				finish(x, "%s", x->h ? host_chan_error(x->h) : err);
				finished++;
				failed++;
				continue;
			}
			running++;
		}
		size_t np = 0;
		uint64_t now = now_ms(), wake = now + 1000;
		for (size_t i = 0; i < n; i++) {
			if (!t[i].h)
				continue;
			unsigned ev = host_chan_events(t[i].h);
			pfd[np] = (struct pollfd){.fd = host_chan_fd(t[i].h),
			                          .events = (short)((ev & HOST_READ ? POLLIN : 0) |
			                                            (ev & HOST_WRITE ? POLLOUT : 0))};
			idx[np++] = i;
			uint64_t nx = host_chan_next_ms(t[i].h);
			if (nx && nx < wake)
				wake = nx;
			if (t[i].start_ms + timeout_ms < wake)
				wake = t[i].start_ms + timeout_ms;
		}
		int ms = wake > now ? (int)(wake - now) : 0;
		if (poll(pfd, np, ms) < 0 && errno != EINTR) {
			perror("xenchannel: provision: poll");
			break;
		}
		now = now_ms();
		for (size_t k = 0; k < np; k++) {
			struct target *x = &t[idx[k]];
			unsigned got = 0;
			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
				got |= HOST_READ;
			if (pfd[k].revents & POLLOUT)
				got |= HOST_WRITE;
			if (host_chan_io(x->h, got) < 0) {
				finish(x, "%s", host_chan_error(x->h));
			} else {
				json_t *r;
				while (!x->done && (r = host_chan_take_reply(x->h)))
					take_reply(x, r);
				if (!x->done && now >= x->start_ms + timeout_ms)
					finish(x, "timed out after %.1f s (%s)", timeout,
					       host_chan_is_ready(x->h) ? "no reply to the document"
					                                : "no agent answered HELLO");
			}
			if (x->done) {
				running--;
				finished++;
				if (!target_ok(x))
					failed++;
			}
		}
		if (tty && (now - last_progress >= 100 || finished == n)) {
			progress(finished, n, failed, 0);
			last_progress = now;
		}
	}
	if (tty)
		progress(finished, n, failed, 1);
	if (json_out)
		print_json(t, n);
	else
		print_table(t, n, verbose);
	int ok = 1;
	for (size_t i = 0; i < n; i++) {
		ok &= target_ok(&t[i]);
		json_decref(t[i].reply);
	}
	for (size_t i = 0; i < ndocs; i++) {
		free(docs[i].file);
		free(docs[i].text);
	}
	free(docs);
	free(pfd);
	free(idx);
	free(t);
	free(key);
	return ok ? 0 : 1;
}
