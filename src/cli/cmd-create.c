/*
 * cmd-create.c - `xenchannel create [options] vm.cfg`: declare vm.cfg's
 * channels for its domain name (as `define` would), then `xl create` the
 * rest of the config, channel= removed, so no QEMU is started for them.
 *
 * The domain is created paused (`xl create -p`), its declared channels are
 * waited for (xenchanneld attaches them on @introduceDomain and says
 * hotplug-status connected), then it is unpaused: the guest kernel finds its
 * channels when it first probes, as it would with xl's own channels. The
 * config xl gets is vm.cfg with the channel= settings cut out and every other
 * byte left as it was, in a private temporary directory removed afterwards.
 * XENCHANNEL_XL names the xl program (a test's fake, or xensim).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "xenchannel/config.h"
#include "xenchannel/toolstack.h"

#define CREATE_TIMEOUT_S 10
/* xl create's options passed through: -p paused, -c console, -q quiet,
 * -d debug, -F foreground, -e no on_reboot. */
#define XL_FLAGS "pcqdFe"

static int usage(void)
{
	fprintf(
	    stderr,
	    "usage: xenchannel create [--dry-run] [--timeout SECONDS] [-p] [-c] [-q] [-d] [-F] "
	    "[-e] FILE\n"
	    "  declare FILE's channels for its domain, then run `xl create` (-p -c -q -d -F -e\n"
	    "  are passed to it) with FILE's other settings; $XENCHANNEL_XL names xl\n");
	return 2;
}

/* [b, e) widened to whole lines when nothing else is on them. */
static void whole_lines(const char *t, size_t len, size_t *b, size_t *e)
{
	size_t lb = *b, le = *e;
	while (le < len && (t[le] == ' ' || t[le] == '\t'))
		le++;
	if (le < len && t[le] == ';')
		*e = ++le; /* the statement's own terminator */
	while (le < len && (t[le] == ' ' || t[le] == '\t'))
		le++;
	while (lb > 0 && (t[lb - 1] == ' ' || t[lb - 1] == '\t'))
		lb--;
	if ((lb == 0 || t[lb - 1] == '\n') && (le == len || t[le] == '\n')) {
		*b = lb;
		*e = le < len ? le + 1 : le;
	}
}

/* text without its channel= settings; malloc'd. */
static char *strip_channels(const struct cfg_file *f, const char *text, size_t len, size_t *outlen)
{
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t n = 0, at = 0;
	for (size_t i = 0; i < f->n; i++) { /* settings are in file order */
		const struct cfg_setting *s = &f->settings[i];
		if (strcmp(s->key, "channel") || s->start < at)
			continue;
		size_t b = s->start, e = s->end;
		whole_lines(text, len, &b, &e);
		memcpy(out + n, text + at, b - at);
		n += b - at;
		at = e;
	}
	memcpy(out + n, text + at, len - at);
	n += len - at;
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* The declaration: vm.cfg's channels, each keeping the devid an earlier
 * declaration gave it, the others index + 1 when free. */
static int build_decl(const struct cfg_domain *cfg, struct cfg_domain *old, struct cfg_domain *out,
                      struct cfg_diag *d)
{
	memset(out, 0, sizeof(*out));
	out->name = strdup(cfg->name);
	out->channels = calloc(cfg->nchannels + 1, sizeof(*out->channels));
	if (!out->name || !out->channels) {
		cfg_diag_add(d, CFG_ERROR, "out of memory");
		return -1;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cfg->nchannels; i++) {
			const struct cfg_channel *c = &cfg->channels[i];
			unsigned kept = 0;
			for (size_t j = 0; j < old->nchannels; j++)
				if (!strcmp(old->channels[j].name, c->name))
					kept = old->channels[j].devid;
			if ((pass == 0) != (kept != 0))
				continue;
			struct cfg_channel *n = &out->channels[out->nchannels];
			*n = (struct cfg_channel){.index = c->index,
			                          .connection = c->connection,
			                          .devid_set = true,
			                          .loc = c->loc};
			n->devid = kept && cfg_decl_free_devid(out, kept) == kept
			               ? kept
			               : cfg_decl_free_devid(out, c->index + 1);
			n->name = strdup(c->name);
			n->path = c->path ? strdup(c->path) : NULL;
			n->backend = c->backend ? strdup(c->backend) : NULL;
			out->nchannels++;
			if (!n->name || (c->path && !n->path) || (c->backend && !n->backend)) {
				cfg_diag_add(d, CFG_ERROR, "out of memory");
				return -1;
			}
		}
	}
	/* in vm.cfg's order */
	for (size_t i = 1; i < out->nchannels; i++)
		for (size_t j = i; j > 0 && out->channels[j - 1].index > out->channels[j].index;
		     j--) {
			struct cfg_channel t = out->channels[j];
			out->channels[j] = out->channels[j - 1];
			out->channels[j - 1] = t;
		}
	return 0;
}

/* Run argv, wait for it; its exit status, or -1 when it could not run. */
static int run(char **argv)
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "xenchannel: create: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "xenchannel: create: cannot run %s: %s\n", argv[0],
		        strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static const char *xl_program(void)
{
	const char *xl = getenv("XENCHANNEL_XL");
	return xl && *xl ? xl : "xl";
}

struct create_opts {
	int dry_run;
	int timeout_s;
	char flags[8]; /* xl create's flags given, from XL_FLAGS */
	const char *file;
};

static int parse(int argc, char **argv, struct create_opts *o)
{
	static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'},
	                                     {"timeout", required_argument, NULL, 't'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	o->timeout_s = CREATE_TIMEOUT_S;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+" XL_FLAGS, opts, NULL)) != -1) {
		if (c == 'n') {
			o->dry_run = 1;
		} else if (c == 't') {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 3600) {
				fprintf(stderr,
				        "xenchannel: create: --timeout %s: want 1-3600 seconds\n",
				        optarg);
				return -1;
			}
			o->timeout_s = (int)v;
		} else if (c != '?' && c != 'h' && strchr(XL_FLAGS, c)) {
			if (!strchr(o->flags, c))
				o->flags[strlen(o->flags)] = (char)c;
		} else {
			return -1;
		}
	}
	if (optind + 1 != argc)
		return -1;
	o->file = argv[optind];
	return 0;
}

/* xl create [flags] [-p] FILE; argv has room for 12. */
static void xl_argv(char **argv, const struct create_opts *o, int pause, const char *cfg,
                    char flagbufs[][3])
{
	size_t k = 0;
	argv[k++] = (char *)xl_program();
	argv[k++] = "create";
	for (size_t i = 0; o->flags[i]; i++) {
		snprintf(flagbufs[i], 3, "-%c", o->flags[i]);
		argv[k++] = flagbufs[i];
	}
	if (pause)
		argv[k++] = "-p";
	argv[k++] = (char *)cfg;
	argv[k] = NULL;
}

/* Created paused: wait for the declared channels, then unpause unless the
 * user asked for -p. */
static int start_domain(const struct cfg_domain *decl, const struct create_opts *o)
{
	struct ts *ts;
	struct ts_error err;
	uint32_t domid;
	if (ts_open(&ts, &err) || ts_domain_lookup(ts, decl->name, &domid, &err)) {
		fprintf(stderr, "xenchannel: create: %s created no domain %s: %s\n", xl_program(),
		        decl->name, err.msg);
		if (ts)
			ts_close(ts);
		return 1;
	}
	unsigned devids[CFG_MAX_CHANNELS];
	for (size_t i = 0; i < decl->nchannels; i++)
		devids[i] = decl->channels[i].devid;
	if (ts_wait_served(ts, domid, devids, decl->nchannels, o->timeout_s * 1000, &err))
		fprintf(stderr,
		        "xenchannel: create: warning: %s; the domain starts anyway and "
		        "gets them when xenchanneld attaches them\n",
		        err.msg);
	ts_close(ts);
	if (strchr(o->flags, 'p'))
		return 0;
	char id[16];
	snprintf(id, sizeof(id), "%u", domid);
	char *argv[] = {(char *)xl_program(), "unpause", id, NULL};
	int st = run(argv);
	if (st) {
		fprintf(stderr, "xenchannel: create: `%s unpause %s' failed (status %d)\n",
		        xl_program(), id, st);
		return 1;
	}
	return 0;
}

static int write_temp(const char *name, const char *text, size_t len, char *dir, size_t dirlen,
                      char *path, size_t pathlen)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, dirlen, "%s/xenchannel-create.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "xenchannel: create: temporary directory: %s\n", strerror(errno));
		return -1;
	}
	snprintf(path, pathlen, "%s/%s.cfg", dir, name);
	FILE *f = fopen(path, "wx");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "xenchannel: create: writing %s: %s\n", path, strerror(errno));
		if (f)
			remove(path);
		rmdir(dir);
		return -1;
	}
	return 0;
}

static void dry_run(const struct cfg_domain *decl, const struct create_opts *o, int pause,
                    const char *text)
{
	char path[4096], flagbufs[8][3];
	cfg_decl_path(path, sizeof(path), cli_domains_dir(), decl->name);
	char *decl_text = cfg_decl_format(decl);
	printf("# declaration %s\n%s", path, decl_text ? decl_text : "");
	free(decl_text);
	char *argv[16];
	xl_argv(argv, o, pause, "STRIPPED.cfg", flagbufs);
	printf("# command:");
	for (size_t i = 0; argv[i]; i++)
		printf(" %s", argv[i]);
	printf("\n# STRIPPED.cfg\n%s", text);
}

int cmd_create(int argc, char **argv)
{
	struct create_opts o = {0};
	if (parse(argc, argv, &o))
		return usage();
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_registry *reg = NULL;
	struct cfg_file *f = NULL;
	struct cfg_domain cfg = {0}, old = {0}, decl = {0};
	char *text = NULL, *stripped = NULL;
	size_t len, slen;
	int rc = 1;
	if (cli_registry_load(&reg, &d) || cfg_read(o.file, &text, &len, &d) ||
	    cfg_parse(o.file, text, len, &f, &d) || cfg_domain_from_file(f, reg, &cfg, &d))
		goto out;
	const char *why = cfg_decl_name_check(cfg.name);
	if (why) {
		cfg_diag_add(&d, CFG_ERROR, "%s: domain name `%s' %s", o.file, cfg.name, why);
		goto out;
	}
	if (cli_decl_load(cfg.name, reg, &old, &d) < 0 ||
	    !(stripped = strip_channels(f, text, len, &slen)))
		goto out;
	/* no channel= at all: the declaration stays as it is */
	if (!cfg_get(f, "channel")) {
		decl = old;
		memset(&old, 0, sizeof(old));
	} else if (build_decl(&cfg, &old, &decl, &d)) {
		goto out;
	}
	/* xl blocks with -c and -F: no pause to wait in */
	int pause = !strchr(o.flags, 'c') && !strchr(o.flags, 'F') && !strchr(o.flags, 'p');
	if (o.dry_run) {
		cfg_diag_print(&d, stderr);
		dry_run(&decl, &o, pause, stripped);
		rc = 0;
		goto out;
	}
	if (cfg_get(f, "channel") && cfg_decl_store(cli_domains_dir(), &decl, &d))
		goto out;
	cfg_diag_print(&d, stderr); /* warnings */
	cfg_diag_free(&d);
	cfg_diag_init(&d);
	char dir[4096], path[4200], flagbufs[8][3], *xl[16];
	if (write_temp(decl.name, stripped, slen, dir, sizeof(dir), path, sizeof(path)))
		goto out;
	xl_argv(xl, &o, pause, path, flagbufs);
	int st = run(xl);
	remove(path);
	rmdir(dir);
	if (st) {
		fprintf(stderr,
		        "xenchannel: create: `%s create' failed (status %d); the declaration "
		        "stays (xenchannel undefine %s removes it)\n",
		        xl_program(), st, decl.name);
		goto out;
	}
	rc = pause || strchr(o.flags, 'p') ? start_domain(&decl, &o) : 0;
out:
	cfg_diag_print(&d, stderr);
	free(text);
	free(stripped);
	cfg_domain_clear(&cfg);
	cfg_domain_clear(&old);
	cfg_domain_clear(&decl);
	cfg_file_free(f);
	cfg_registry_free(reg);
	cfg_diag_free(&d);
	return rc;
}
