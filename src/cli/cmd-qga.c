/*
 * cmd-qga.c - `xenchannel qga`: run a qemu-guest-agent command in one guest,
 * or in many at once, over their org.qemu.guest_agent.0 channels.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "xenchannel/qga.h"

struct options {
	const char *name;
	double timeout;
	long jobs;
	int all, json_out;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: xenchannel qga [--all] [--json] [--timeout SECONDS] [--jobs N] [--name NAME]\n"
	    "                      [TARGET...] COMMAND [ARGUMENTS-JSON]\n"
	    "TARGET is a domain id or name, or the path of a channel socket; --all runs\n"
	    "COMMAND in every domain with the channel. COMMAND is a qemu-ga command\n"
	    "(guest-ping, guest-fsfreeze-freeze...), ARGUMENTS-JSON its arguments as a\n"
	    "JSON object. Exit status: 0 every guest answered, 1 a guest returned an\n"
	    "error, 2 a guest did not answer (or a usage error).\n"
	    "  --all              every domain that has the channel\n"
	    "  --json             print a JSON array, one object per target\n"
	    "  --timeout SECONDS  per target, handshake included (default 10)\n"
	    "  --jobs N           at most N targets at a time (default 256)\n"
	    "  --name NAME        the channel's name (default org.qemu.guest_agent.0)\n"
	    "  --help             show this text\n");
}

/* Returns 0, or -1 with the exit status in *status (help, usage error). */
static int parse_options(int argc, char **argv, struct options *o, int *status)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'J'},
	    {"timeout", required_argument, NULL, 't'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"name", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	*o = (struct options){.name = QGA_CHANNEL_NAME, .timeout = 10, .jobs = 256};
	int c;
	optind = 1;
	*status = 2;
	while ((c = getopt_long(argc, argv, "at:j:n:Jh", opts, NULL)) != -1) {
		int ms;
		switch (c) {
		case 'a':
			o->all = 1;
			break;
		case 'J':
			o->json_out = 1;
			break;
		case 't':
			if (cli_parse_seconds("qga", "--timeout", optarg, 1, &ms))
				return -1;
			o->timeout = ms / 1000.0;
			break;
		case 'j':
			if (cli_parse_jobs("qga", optarg, 65536, &o->jobs))
				return -1;
			break;
		case 'n':
			o->name = optarg;
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
	return 0;
}

static const char *status_word(enum qga_status s)
{
	return s == QGA_OK ? "ok" : s == QGA_GUEST_ERROR ? "error" : "no-answer";
}

static void progress(void *arg, size_t done, size_t total, size_t failed, int final)
{
	fprintf(stderr, "\rqga: %zu/%zu done, %zu failed%s", done, total, failed,
	        final ? "\n" : "");
	fflush(stderr);
}

static const char *label(const struct qga_target *t, char *buf, size_t size)
{
	return cli_escaped(buf, size, t->name[0] ? t->name : t->spec);
}

static void print_table(const struct qga_target *t, size_t n)
{
	printf("%-20s %5s %-9s %7s  %s\n", "TARGET", "ID", "STATUS", "MS", "RESULT");
	for (size_t i = 0; i < n; i++) {
		char lbl[64], id[16] = "-", res[200];
		if (t[i].domid >= 0)
			snprintf(id, sizeof(id), "%d", t[i].domid);
		if (t[i].status == QGA_OK) {
			char *s = json_dumps(t[i].value, JSON_COMPACT | JSON_ENCODE_ANY);
			cli_escaped(res, 80, s ? s : "");
			free(s);
		} else {
			cli_escaped(res, sizeof(res), t[i].message);
		}
		printf("%-20s %5s %-9s %7llu  %s\n", label(&t[i], lbl, 21), id,
		       status_word(t[i].status), (unsigned long long)t[i].ms, res);
	}
}

static void print_json(const struct qga_target *t, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:I}", "target", t[i].spec, "status",
		                      status_word(t[i].status), "ms", (json_int_t)t[i].ms);
		json_object_set_new(o, "domid",
		                    t[i].domid >= 0 ? json_integer(t[i].domid) : json_null());
		if (t[i].name[0])
			json_object_set_new(o, "name", json_string(t[i].name));
		if (t[i].status == QGA_OK)
			json_object_set(o, "return", t[i].value);
		else if (t[i].status == QGA_GUEST_ERROR)
			json_object_set(o, "error", t[i].value);
		if (t[i].status != QGA_OK)
			json_object_set_new(o, "message", json_string(t[i].message));
		json_array_append_new(arr, o);
	}
	json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	printf("\n");
	json_decref(arr);
}

/* One target, no --json: the return value as JSON; an error object too, and
 * the message on stderr. */
static void print_one(const struct qga_target *t)
{
	int flags = JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_ENCODE_ANY;
	if (t->status == QGA_OK) {
		json_dumpf(t->value, stdout, flags);
		printf("\n");
		return;
	}
	if (t->status == QGA_GUEST_ERROR) {
		json_t *o = json_pack("{s:O}", "error", t->value);
		json_dumpf(o, stdout, flags);
		printf("\n");
		json_decref(o);
	}
	char lbl[80];
	fprintf(stderr, "xenchannel: qga: %s: %s\n", label(t, lbl, sizeof(lbl)), t->message);
}

/* The targets: --all's domains, or the arguments before COMMAND. */
static struct qga_target *make_targets(const struct options *o, char **specs, size_t nspecs,
                                       size_t *n, char (**ids)[16])
{
	*ids = NULL;
	if (!o->all) {
		struct qga_target *t = calloc(nspecs ? nspecs : 1, sizeof(*t));
		for (size_t i = 0; t && i < nspecs; i++)
			t[i].spec = specs[i];
		*n = nspecs;
		return t;
	}
	unsigned *doms;
	char err[300];
	if (qga_domains(o->name, &doms, n, err, sizeof(err)) < 0) {
		fprintf(stderr, "xenchannel: qga: --all: %s\n", err);
		return NULL;
	}
	if (*n == 0) {
		char nm[80];
		fprintf(stderr, "xenchannel: qga: --all: no domain has a channel named %s\n",
		        cli_escaped(nm, sizeof(nm), o->name));
		free(doms);
		return NULL;
	}
	struct qga_target *t = calloc(*n, sizeof(*t));
	*ids = calloc(*n, sizeof(**ids));
	for (size_t i = 0; t && *ids && i < *n; i++) {
		snprintf((*ids)[i], sizeof((*ids)[i]), "%u", doms[i]);
		t[i].spec = (*ids)[i];
	}
	free(doms);
	return t;
}

int cmd_qga(int argc, char **argv)
{
	struct options o;
	int status;
	if (parse_options(argc, argv, &o, &status) < 0)
		return status;
	/* [TARGET...] COMMAND [ARGUMENTS-JSON]: arguments are an object, so '{'. */
	int last = argc - 1;
	const char *args_text = NULL;
	if (last >= optind && argv[last][strspn(argv[last], " \t\n")] == '{')
		args_text = argv[last--];
	if (last < optind) {
		usage(stderr);
		return 2;
	}
	const char *execute = argv[last];
	size_t nspecs = (size_t)(last - optind);
	if (o.all ? nspecs != 0 : nspecs == 0) {
		fprintf(stderr, "xenchannel: qga: %s\n",
		        o.all ? "--all takes no TARGET" : "no TARGET (or --all)");
		usage(stderr);
		return 2;
	}
	json_t *args = NULL;
	if (args_text) {
		json_error_t je;
		args = json_loads(args_text, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(args)) {
			fprintf(stderr, "xenchannel: qga: ARGUMENTS-JSON:%d:%d: %s\n", je.line,
			        je.column, args ? "not a JSON object" : je.text);
			json_decref(args);
			return 2;
		}
	}
	char err[400];
	if (qga_check_command(execute, args, err, sizeof(err)) < 0) {
		fprintf(stderr, "xenchannel: qga: %s\n", err);
		json_decref(args);
		return 2;
	}
	size_t n;
	char(*ids)[16];
	struct qga_target *t = make_targets(&o, argv + optind, nspecs, &n, &ids);
	if (!t) {
		json_decref(args);
		return 2;
	}
	int many = o.all || n > 1;
	struct qga_run_opts ro = {
	    .name = o.name, .timeout_ms = (int)(o.timeout * 1000), .jobs = (size_t)o.jobs};
	if (many && !o.json_out && isatty(2))
		ro.progress = progress;
	int rc = qga_run(t, n, execute, args, &ro, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "xenchannel: qga: %s\n", err);
		rc = 2;
	} else if (o.json_out) {
		print_json(t, n);
	} else if (many) {
		print_table(t, n);
	} else {
		print_one(&t[0]);
	}
	qga_targets_clear(t, n);
	free(t);
	free(ids);
	json_decref(args);
	return rc;
}
