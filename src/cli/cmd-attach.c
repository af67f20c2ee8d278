/*
 * cmd-attach.c - `xenchannel attach [--force] [--no-wait | --timeout SECONDS]
 * [--json] DOMAIN SPEC`: add a channel to a running domain, wait for the
 * backend's verdict and print its devid.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "xenchannel/config.h"
#include "xenchannel/toolstack.h"

static int usage(void)
{
	fprintf(stderr,
	        "usage: xenchannel attach [--force] [--no-wait | --timeout SECONDS] [--json] "
	        "DOMAIN SPEC\n"
	        "  SPEC: \"name=NAME,connection=socket,path=PATH\" or "
	        "\"name=NAME,connection=pty\"\n");
	return 2;
}

struct attach_out {
	int json;
	const char *domain; /* as given */
	int64_t domid;      /* -1 until known */
	unsigned devid;     /* 0 until written */
	const char *name;
};

/* The failure, as text on stderr or as a JSON error object on stdout. */
static int failed(const struct attach_out *o, const char *msg)
{
	if (!o->json) {
		fprintf(stderr, "xenchannel: attach: %s\n", msg);
		return 1;
	}
	json_t *e;
	json_t *doc = cli_json_error(msg, &e);
	json_object_set_new(e, "domain", cli_json_text(o->domain));
	if (o->domid >= 0)
		json_object_set_new(e, "domid", json_integer(o->domid));
	if (o->devid)
		json_object_set_new(e, "devid", json_integer(o->devid));
	if (o->name)
		json_object_set_new(e, "name", cli_json_text(o->name));
	cli_json_print(doc);
	return 1;
}

static const char *first_error(const struct cfg_diag *d, const char *none)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->msgs[i].severity == CFG_ERROR)
			return d->msgs[i].text;
	return none;
}

/* The registry's word on the name: 0 fine, -1 refused (reported). */
static int check_registry(const struct attach_out *o, const struct cfg_channel *ch,
                          struct cfg_diag *d, struct cfg_registry **reg)
{
	if (cli_registry_load(reg, d)) { /* a missing registry is an error too */
		if (!o->json)
			cfg_diag_print(d, stderr);
		else
			failed(o, first_error(d, "cannot load the registry"));
		return -1;
	}
	const struct cfg_registry_entry *clash = cfg_registry_clash(*reg, ch->name);
	if (clash) {
		char msg[400];
		snprintf(msg, sizeof(msg),
		         "name `%s' differs only in case from the registered name `%s'", ch->name,
		         clash->name);
		if (o->json)
			failed(o, msg);
		else
			fprintf(stderr, "xenchannel: %s\n", msg);
		return -1;
	}
	return 0;
}

static int attach(struct attach_out *o, const struct cfg_channel *ch, unsigned flags, int wait,
                  int timeout_ms)
{
	struct ts *ts;
	struct ts_error err;
	if (ts_open(&ts, &err))
		return failed(o, err.msg);
	uint32_t domid;
	int r = ts_domain_lookup(ts, o->domain, &domid, &err);
	if (r == 0) {
		o->domid = domid;
		if (wait)
			r = ts_attach_wait(ts, domid, ch, flags, timeout_ms, &o->devid, &err);
		else
			r = ts_attach(ts, domid, ch, flags, &o->devid, &err);
	}
	char dname[128] = "";
	if (r == 0)
		ts_domain_name(ts, domid, dname, sizeof(dname));
	ts_close(ts);
	if (r)
		return failed(o, err.msg);
	if (!o->json) {
		printf("%u\n", o->devid);
		return 0;
	}
	json_t *j = json_object();
	json_object_set_new(j, "domain", cli_json_text(dname));
	json_object_set_new(j, "domid", json_integer(domid));
	json_object_set_new(j, "devid", json_integer(o->devid));
	json_object_set_new(j, "name", cli_json_text(ch->name));
	json_object_set_new(j, "connection", json_string(cfg_connection_name(ch->connection)));
	json_object_set_new(j, "path", cli_json_text(ch->path));
	json_object_set_new(j, "hotplug_status", wait ? json_string("connected") : json_null());
	return cli_json_print(j) ? 1 : 0;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},         {"no-wait", no_argument, NULL, 'n'},
	    {"timeout", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
	unsigned flags = 0;
	int c, wait = 1, timed = 0, timeout_ms = TS_ATTACH_TIMEOUT_MS;
	struct attach_out o = {.domid = -1};
	optind = 0;
	while ((c = getopt_long(argc, argv, "+fnt:jh", opts, NULL)) != -1) {
		if (c == 'f')
			flags |= TS_FORCE;
		else if (c == 'n')
			wait = 0;
		else if (c == 't') {
			if (cli_parse_seconds("attach", "--timeout", optarg, 0, &timeout_ms))
				return 2;
			timed = 1;
		} else if (c == 'j')
			o.json = 1;
		else
			return usage();
	}
	if (optind + 2 != argc)
		return usage();
	if (!wait && timed) {
		fprintf(stderr, "xenchannel: attach: --no-wait and --timeout exclude each other\n");
		return 2;
	}
	o.domain = argv[optind];
	const char *spec = argv[optind + 1];

	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_channel ch;
	if (cfg_channel_parse(spec, "spec", 1, NULL, 0, &ch, &d)) {
		if (o.json)
			failed(&o, first_error(&d, "invalid channel spec"));
		else
			cfg_diag_print(&d, stderr);
		cfg_diag_free(&d);
		return 1;
	}
	o.name = ch.name;
	cfg_diag_print(&d, stderr); /* warnings */
	cfg_diag_free(&d);
	cfg_diag_init(&d);
	struct cfg_registry *reg = NULL;
	int rc = 1;
	if (check_registry(&o, &ch, &d, &reg) == 0)
		rc = attach(&o, &ch, flags, wait, timeout_ms);
	cfg_registry_free(reg);
	cfg_channel_clear(&ch);
	cfg_diag_free(&d);
	return rc;
}
