/*
 * cmd-define.c - channels declared per domain name, which xenchanneld
 * attaches whenever a domain of that name runs: `xenchannel define DOMAIN
 * SPEC...`, `xenchannel undefine DOMAIN [NAME]`, and what `list --defined`
 * shows. The files and their grammar are config.h's (cfg_decl_*); a spec is
 * checked as `attach` checks it (naming rules, registry), the whole
 * declaration as a hand-written file is, before it is written.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "xenchannel/config.h"
#include "xenchannel/toolstack.h"

const char *cli_domains_dir(void)
{
	const char *dir = getenv(CFG_DOMAINS_DIR_ENV);
	return dir && *dir ? dir : XC_DOMAINS_DIR;
}

int cli_decl_load(const char *domain, const struct cfg_registry *reg, struct cfg_domain *out,
                  struct cfg_diag *d)
{
	const char *why = cfg_decl_name_check(domain);
	if (why) {
		char buf[96];
		cfg_diag_add(d, CFG_ERROR, "domain name `%s' %s",
		             cli_escaped(buf, sizeof(buf), domain), why);
		return -1;
	}
	int r = cfg_decl_load(cli_domains_dir(), domain, reg, out, d);
	if (r == 1 && !(out->name = strdup(domain))) {
		cfg_diag_add(d, CFG_ERROR, "out of memory");
		return -1;
	}
	return r;
}

/* Does another domain's declaration use path? Its domain's name into who. */
static int path_declared_elsewhere(const char *domain, const char *path, char *who, size_t size)
{
	DIR *dir = opendir(cli_domains_dir());
	struct dirent *e;
	int found = 0;
	while (dir && !found && (e = readdir(dir))) {
		char other[CFG_DECL_NAME_MAX + 1];
		if (cfg_decl_file_domain(e->d_name, other, sizeof(other)) || !strcmp(other, domain))
			continue;
		struct cfg_domain dom;
		struct cfg_diag d;
		cfg_diag_init(&d);
		if (cfg_decl_load(cli_domains_dir(), other, NULL, &dom, &d) == 0) {
			for (size_t i = 0; i < dom.nchannels && !found; i++)
				found = dom.channels[i].path && !strcmp(dom.channels[i].path, path);
			if (found)
				snprintf(who, size, "%s", other);
			cfg_domain_clear(&dom);
		}
		cfg_diag_free(&d);
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Put ch (taken over) into dom: replaces the channel of the same name,
 * keeping its devid unless ch gives one. Its index in dom, or -1 with the
 * error in d. */
static int decl_put(struct cfg_domain *dom, struct cfg_channel *ch, const char *where,
                    struct cfg_diag *d)
{
	size_t at = 0;
	while (at < dom->nchannels && strcmp(dom->channels[at].name, ch->name))
		at++;
	if (at == dom->nchannels) {
		if (dom->nchannels >= CFG_MAX_CHANNELS) {
			cfg_diag_add(d, CFG_ERROR,
			             "%s: domain %s already declares %d channels, the most a Linux "
			             "guest can open",
			             where, dom->name, CFG_MAX_CHANNELS);
			return -1;
		}
		void *v = realloc(dom->channels, (dom->nchannels + 1) * sizeof(*dom->channels));
		if (!v) {
			cfg_diag_add(d, CFG_ERROR, "out of memory");
			return -1;
		}
		dom->channels = v;
		memset(&dom->channels[at], 0, sizeof(dom->channels[at]));
		dom->nchannels++;
	} else if (!ch->devid_set) {
		ch->devid = dom->channels[at].devid;
		ch->devid_set = true;
	}
	struct cfg_channel old = dom->channels[at];
	dom->channels[at] = (struct cfg_channel){0};
	if (!ch->devid_set)
		ch->devid = cfg_decl_free_devid(dom, (unsigned)at + 1);
	ch->devid_set = true;
	ch->index = (unsigned)at;
	for (size_t i = 0; i < dom->nchannels; i++) {
		const struct cfg_channel *o = &dom->channels[i];
		if (i == at || !o->name)
			continue;
		if (o->devid == ch->devid)
			cfg_diag_add(d, CFG_ERROR,
			             "%s: devid %u is already declared for channel %s", where,
			             ch->devid, o->name);
		if (o->path && ch->path && !strcmp(o->path, ch->path))
			cfg_diag_add(d, CFG_ERROR, "%s: path %s is already declared for channel %s",
			             where, ch->path, o->name);
	}
	char who[CFG_DECL_NAME_MAX + 1];
	if (ch->path && path_declared_elsewhere(dom->name, ch->path, who, sizeof(who)))
		cfg_diag_add(d, CFG_ERROR, "%s: path %s is already declared for domain %s", where,
		             ch->path, who);
	cfg_channel_clear(&old);
	dom->channels[at] = *ch;
	memset(ch, 0, sizeof(*ch));
	return d->nerrors ? -1 : (int)at;
}

/* The whole declaration read back as a hand-written file would be, then
 * written. */
static int decl_check_store(const struct cfg_domain *dom, const struct cfg_registry *reg,
                            struct cfg_diag *d)
{
	char *text = cfg_decl_format(dom);
	struct cfg_domain back;
	if (!text ||
	    cfg_decl_parse("(declaration)", dom->name, text, strlen(text), reg, &back, d)) {
		free(text);
		return -1;
	}
	free(text);
	cfg_domain_clear(&back);
	return cfg_decl_store(cli_domains_dir(), dom, d);
}

static int define_usage(void)
{
	fprintf(stderr, "usage: xenchannel define DOMAIN-NAME SPEC...\n"
	                "  SPEC: as for attach, optionally with devid=N (1-9)\n");
	return 2;
}

int cmd_define(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	optind = 0;
	if (getopt_long(argc, argv, "+h", opts, NULL) != -1 || argc - optind < 2)
		return define_usage();
	const char *domain = argv[optind];
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_registry *reg = NULL;
	struct cfg_domain dom = {0};
	int rc = 1;
	if (cli_registry_load(&reg, &d) || cli_decl_load(domain, reg, &dom, &d) < 0)
		goto out;
	unsigned devids[CFG_MAX_CHANNELS + 64];
	int nspecs = argc - optind - 1;
	if (nspecs > (int)(sizeof(devids) / sizeof(devids[0]))) {
		cfg_diag_add(&d, CFG_ERROR, "too many specs");
		goto out;
	}
	for (int i = 0; i < nspecs; i++) {
		char where[32];
		snprintf(where, sizeof(where), "spec %d", i + 1);
		struct cfg_channel ch;
		if (cfg_channel_parse_ex(argv[optind + 1 + i], where, 1, NULL, 0, CFG_DECLARED, &ch,
		                         &d))
			goto out;
		const struct cfg_registry_entry *clash = cfg_registry_clash(reg, ch.name);
		if (clash)
			cfg_diag_add(&d, CFG_ERROR,
			             "%s: name `%s' differs only in case from the registered name "
			             "`%s'",
			             where, ch.name, clash->name);
		int at = d.nerrors ? -1 : decl_put(&dom, &ch, where, &d);
		if (at < 0) {
			cfg_channel_clear(&ch);
			goto out;
		}
		devids[i] = dom.channels[at].devid;
	}
	if (decl_check_store(&dom, reg, &d))
		goto out;
	for (int i = 0; i < nspecs; i++)
		printf("%u\n", devids[i]);
	rc = 0;
out:
	cfg_diag_print(&d, stderr);
	cfg_domain_clear(&dom);
	cfg_registry_free(reg);
	cfg_diag_free(&d);
	return rc;
}

static int undefine_usage(void)
{
	fprintf(stderr, "usage: xenchannel undefine DOMAIN-NAME [NAME]\n");
	return 2;
}

int cmd_undefine(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	optind = 0;
	if (getopt_long(argc, argv, "+h", opts, NULL) != -1 || argc - optind < 1 ||
	    argc - optind > 2)
		return undefine_usage();
	const char *domain = argv[optind], *name = argv[optind + 1];
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_domain dom = {0};
	int rc = 1;
	char path[4096];
	const char *why = cfg_decl_name_check(domain);
	if (why || cfg_decl_path(path, sizeof(path), cli_domains_dir(), domain)) {
		char buf[96];
		cfg_diag_add(&d, CFG_ERROR, "domain name `%s' %s",
		             cli_escaped(buf, sizeof(buf), domain), why ? why : "is too long");
		goto out;
	}
	if (!name) {
		/* the whole file, even one with errors: that is the way out */
		if (remove(path) < 0) {
			cfg_diag_add(&d, CFG_ERROR, "%s: %s", path,
			             errno == ENOENT ? "domain has no declared channel"
			                             : strerror(errno));
			goto out;
		}
		rc = 0;
		goto out;
	}
	int r = cli_decl_load(domain, NULL, &dom, &d);
	if (r < 0)
		goto out;
	size_t at = 0;
	while (at < dom.nchannels && strcmp(dom.channels[at].name, name))
		at++;
	if (at == dom.nchannels) {
		char buf[96];
		cfg_diag_add(&d, CFG_ERROR, "domain %s declares no channel named `%s'", domain,
		             cli_escaped(buf, sizeof(buf), name));
		goto out;
	}
	cfg_channel_clear(&dom.channels[at]);
	memmove(&dom.channels[at], &dom.channels[at + 1],
	        (dom.nchannels - at - 1) * sizeof(dom.channels[0]));
	dom.nchannels--;
	if (cfg_decl_store(cli_domains_dir(), &dom, &d))
		goto out;
	rc = 0;
out:
	cfg_diag_print(&d, stderr);
	cfg_domain_clear(&dom);
	cfg_diag_free(&d);
	return rc;
}

/* ---- list --defined ---- */

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Running domain of that name: its domid, or -1. */
static long running(struct ts *ts, const char *domain)
{
	uint32_t domid;
	struct ts_error err;
	if (!ts || ts_domain_lookup(ts, domain, &domid, &err))
		return -1;
	return domid;
}

static void show(const struct cfg_domain *dom, long domid, json_t *arr)
{
	char b1[80], b2[200], b3[200], id[16];
	snprintf(id, sizeof(id), "%ld", domid);
	for (size_t i = 0; i < dom->nchannels; i++) {
		const struct cfg_channel *c = &dom->channels[i];
		if (!arr) {
			printf("%-16s %5s %5u %-32s %-6s %s\n",
			       cli_escaped(b1, sizeof(b1), dom->name), domid < 0 ? "-" : id,
			       c->devid, cli_escaped(b2, sizeof(b2), c->name),
			       cfg_connection_name(c->connection),
			       c->path ? cli_escaped(b3, sizeof(b3), c->path) : "-");
			continue;
		}
		json_t *o = json_object();
		json_object_set_new(o, "domain", json_string(dom->name));
		json_object_set_new(o, "domid", domid < 0 ? json_null() : json_integer(domid));
		json_object_set_new(o, "devid", json_integer(c->devid));
		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "connection",
		                    json_string(cfg_connection_name(c->connection)));
		json_object_set_new(o, "path",
		                    c->path ? json_string(cli_escaped(b3, sizeof(b3), c->path))
		                            : json_null());
		json_array_append_new(arr, o);
	}
}

int cli_list_defined(const char *only, int json)
{
	const char *dir = cli_domains_dir();
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, by_name);
	if (n < 0 && errno != ENOENT) {
		fprintf(stderr, "xenchannel: list --defined: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	struct ts *ts = NULL;
	struct ts_error err;
	if (ts_open(&ts, &err))
		ts = NULL; /* no xenstore: no DOMID column values */
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		printf("%-16s %5s %5s %-32s %-6s %s\n", "DOMAIN", "DOMID", "DEVID", "NAME", "CONN",
		       "PATH");
	int rc = 0, seen = 0;
	for (int i = 0; i < n; i++) {
		char domain[CFG_DECL_NAME_MAX + 1];
		if (cfg_decl_file_domain(ents[i]->d_name, domain, sizeof(domain)) ||
		    (only && strcmp(only, domain)))
			continue;
		struct cfg_diag d;
		cfg_diag_init(&d);
		struct cfg_domain dom;
		if (cfg_decl_load(dir, domain, NULL, &dom, &d) == 0) {
			show(&dom, running(ts, domain), arr);
			cfg_domain_clear(&dom);
			seen = 1;
		} else {
			rc = 1;
		}
		cfg_diag_print(&d, stderr);
		cfg_diag_free(&d);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	ts_close(ts);
	if (only && !seen && !rc) {
		fprintf(stderr, "xenchannel: list --defined: domain %s has no declared channel\n",
		        only);
		rc = 1;
	}
	if (arr && cli_json_print(arr))
		rc = 1;
	return rc;
}
