/*
 * provision-cloud.c - cloud-init's inputs for `xenchannel provision`: a
 * NoCloud seed directory (--nocloud DIR), and a cloud-config user-data given
 * as a document. Both are checked with cloud-init's rules before anything is
 * sent; every problem is reported as FILE:LINE:COL: what.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "xenchannel/host.h"
#include "xenchannel/proto.h"

/* One of cloud-init's files, read and (when YAML) parsed. */
struct cfile {
	char path[PATH_MAX];
	char *text;
	size_t len;
	json_t *json;  /* the YAML as JSON, or NULL */
	json_t *marks; /* key path -> [line, column] */
};

static void cfile_free(struct cfile *f)
{
	free(f->text);
	json_decref(f->json);
	json_decref(f->marks);
	memset(f, 0, sizeof(*f));
}

int cli_is_cloud_config(const char *text, size_t len)
{
	static const char hdr[] = "#cloud-config";
	size_t n = sizeof(hdr) - 1;
	if (len < n || memcmp(text, hdr, n) != 0)
		return 0;
	while (n < len && (text[n] == ' ' || text[n] == '\t' || text[n] == '\r'))
		n++;
	return n == len || text[n] == '\n';
}

static int cfile_text_ok(struct cfile *f, struct cfg_diag *d);

/* Read dir/name (dir NULL: name is the path). An optional file that is not
 * there is 0 with f->text NULL; -1 when it cannot be read (reported). */
static int cfile_read(struct cfile *f, const char *dir, const char *name, int optional,
                      struct cfg_diag *d)
{
	memset(f, 0, sizeof(*f));
	if (snprintf(f->path, sizeof(f->path), "%s%s%s", dir ? dir : "", dir ? "/" : "", name) >=
	    (int)sizeof(f->path)) {
		cfg_diag_add(d, CFG_ERROR, "%s/%s: path too long", dir, name);
		return -1;
	}
	struct stat st;
	if (optional && stat(f->path, &st) < 0 && errno == ENOENT)
		return 0;
	if (cfg_read(f->path, &f->text, &f->len, d))
		return -1;
	return cfile_text_ok(f, d);
}

/* cloud-init's files are text: UTF-8, no NUL (and so they fit a JSON string). */
static int cfile_text_ok(struct cfile *f, struct cfg_diag *d)
{
	if (memchr(f->text, 0, f->len)) {
		cfg_diag_add(d, CFG_ERROR, "%s: a NUL byte (cloud-init's files are text)", f->path);
		return -1;
	}
	json_t *s = json_stringn(f->text, f->len);
	if (!s) {
		cfg_diag_add(d, CFG_ERROR, "%s: not UTF-8 text", f->path);
		return -1;
	}
	json_decref(s);
	return 0;
}

/* Parse the file as cloud-init does (YAML 1.1, empty is {}). */
static int cfile_yaml(struct cfile *f, struct cfg_diag *d)
{
	char err[300];
	struct cli_yaml_opts o = {.yaml11 = 1, .allow_empty = 1, .marks = json_object()};
	f->marks = o.marks;
	if (!(f->json = cli_yaml_load(f->text, f->len, &o, err, sizeof(err)))) {
		cfg_diag_add(d, CFG_ERROR, "%s:%zu:%zu: %s", f->path, o.line ? o.line : 1,
		             o.column ? o.column : 1, err);
		return -1;
	}
	return 0;
}

/* The place of a key path in the file: its own mark, or its nearest
 * ancestor's (a missing key is reported where its mapping is). */
static json_t *find_mark(const json_t *marks, const char *path)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		json_t *m = json_object_get(marks, p);
		if (m || !*p)
			return m;
		size_t n = strlen(p);
		char *cut = p[n - 1] == ']' ? strrchr(p, '[') : strrchr(p, '.');
		if (!cut)
			cut = p;
		*cut = 0;
	}
}

/* Problems "PATH: what", one a line, as FILE:LINE:COL: PATH: what. */
static void report(struct cfg_diag *d, const struct cfile *f, const char *problems)
{
	char *copy = strdup(problems), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char path[1024];
		size_t n = strcspn(line, ":");
		snprintf(path, sizeof(path), "%.*s", (int)n, line);
		json_t *m = line[n] ? find_mark(f->marks, path) : NULL;
		if (m)
			cfg_diag_add(d, CFG_ERROR, "%s:%lld:%lld: %s", f->path,
			             (long long)json_integer_value(json_array_get(m, 0)),
			             (long long)json_integer_value(json_array_get(m, 1)), line);
		else
			cfg_diag_add(d, CFG_ERROR, "%s: %s", f->path, line);
	}
	free(copy);
}

/* user-data and vendor-data: a #cloud-config is checked; the other formats
 * cloud-init reads (scripts, includes, MIME, ...) are passed as they are. */
static int check_user_data(struct cfile *f, struct cfg_diag *d)
{
	static const char *const others[] = {"#!",
	                                     "#include",
	                                     "#cloud-boothook",
	                                     "#part-handler",
	                                     "#cloud-config-archive",
	                                     "#cloud-config-jsonp",
	                                     "## template: jinja",
	                                     "Content-Type:",
	                                     "MIME-Version:",
	                                     NULL};
	if (f->len == 0)
		return 0; /* no user-data: cloud-init does nothing with it */
	if (!cli_is_cloud_config(f->text, f->len)) {
		for (const char *const *o = others; *o; o++)
			if (strncmp(f->text, *o, strlen(*o)) == 0)
				return 0;
		cfg_diag_add(d, CFG_ERROR,
		             "%s:1:1: not a format cloud-init reads: a cloud-config starts with "
		             "the line #cloud-config (or give a #! script, #include, "
		             "#cloud-boothook, MIME multipart)",
		             f->path);
		return -1;
	}
	if (cfile_yaml(f, d) < 0)
		return -1;
	char err[4096];
	if (proto_cloud_config_check(f->json, err, sizeof(err)) < 0) {
		report(d, f, err);
		return -1;
	}
	return 0;
}

static int check_meta_data(struct cfile *f, struct cfg_diag *d)
{
	if (cfile_yaml(f, d) < 0)
		return -1;
	char err[512] = "";
	for (const char *const *k = (const char *const[]){"instance-id", "local-hostname", NULL};
	     *k; k++) {
		json_t *v = json_object_get(f->json, *k);
		if (v && !json_is_string(v))
			proto_err_add(err, sizeof(err), "%s: want a string", *k);
	}
	if (err[0]) {
		report(d, f, err);
		return -1;
	}
	return 0;
}

static int check_network_config(struct cfile *f, struct cfg_diag *d)
{
	if (cfile_yaml(f, d) < 0)
		return -1;
	char err[4096];
	if (proto_network_config_check(f->json, err, sizeof(err)) < 0) {
		report(d, f, err);
		return -1;
	}
	return 0;
}

json_t *cli_seed_load(const char *dir, struct cfg_diag *d)
{
	struct cfile f[PROTO_SEED_NFILES];
	const char *text[PROTO_SEED_NFILES] = {0};
	size_t len[PROTO_SEED_NFILES] = {0}, errs = d->nerrors;
	for (int i = 0; i < PROTO_SEED_NFILES; i++) {
		int optional = i == PROTO_SEED_NETWORK_CONFIG || i == PROTO_SEED_VENDOR_DATA;
		if (cfile_read(&f[i], dir, proto_seed_names[i], optional, d) < 0 || !f[i].text)
			continue;
		if (f[i].len > PROTO_SEED_MAX) {
			cfg_diag_add(d, CFG_ERROR, "%s: %zu bytes, at most %u in a seed file",
			             f[i].path, f[i].len, PROTO_SEED_MAX);
			continue;
		}
		int rc = i == PROTO_SEED_META_DATA        ? check_meta_data(&f[i], d)
		         : i == PROTO_SEED_NETWORK_CONFIG ? check_network_config(&f[i], d)
		                                          : check_user_data(&f[i], d);
		text[i] = rc == 0 ? f[i].text : NULL;
		len[i] = f[i].len;
	}
	json_t *doc = d->nerrors > errs ? NULL : host_seed_doc(text, len);
	if (!doc && d->nerrors == errs)
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", dir);
	for (int i = 0; i < PROTO_SEED_NFILES; i++)
		cfile_free(&f[i]);
	return doc;
}

/* Our validator's problems in the converted document, each told at the
 * place of the cloud-init file it came from (origin: doc path -> [source,
 * source path]). */
static void report_doc(struct cfg_diag *d, struct cfile *files, const json_t *origin,
                       const char *problems)
{
	char *copy = strdup(problems), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char path[1024], rest[1024] = "";
		size_t n = strcspn(line, ":");
		snprintf(path, sizeof(path), "%.*s", (int)n, line);
		json_t *o = NULL;
		/* the longest prefix of the path that has an origin */
		while (!(o = json_object_get(origin, path)) && *path) {
			size_t l = strlen(path);
			char *cut = path[l - 1] == ']' ? strrchr(path, '[') : strrchr(path, '.');
			if (!cut)
				cut = path;
			char tail[1024];
			snprintf(tail, sizeof(tail), "%s%s", cut, rest);
			snprintf(rest, sizeof(rest), "%s", tail);
			*cut = 0;
		}
		struct cfile *f = &files[o ? json_integer_value(json_array_get(o, 0)) : 0];
		char msg[2200];
		snprintf(msg, sizeof(msg), "%s%s%s",
		         o ? json_string_value(json_array_get(o, 1)) : "", o ? rest : "",
		         o ? line + n : line);
		report(d, f, msg);
	}
	free(copy);
}

/* files[PROTO_CC_*]: user-data, network-config, meta-data (text NULL when
 * absent), read already. */
static json_t *convert(struct cfile *files, json_t **skipped, struct cfg_diag *d)
{
	size_t errs = d->nerrors;
	struct cfile *ud = &files[PROTO_CC_USER_DATA], *nc = &files[PROTO_CC_NETWORK_CONFIG],
	             *md = &files[PROTO_CC_META_DATA];
	if (ud->len && check_user_data(ud, d) == 0 && !ud->json)
		cfg_diag_add(
		    d, CFG_ERROR,
		    "%s:1:1: not a cloud-config (its first line is not #cloud-config): only "
		    "cloud-init can run it",
		    ud->path);
	if (nc->text)
		check_network_config(nc, d);
	if (md->text)
		check_meta_data(md, d);
	if (d->nerrors > errs)
		return NULL;
	struct proto_cc_result r;
	char err[4096] = "";
	if (proto_cloud_config_convert(ud->json, nc->json, md->json, &r, err, sizeof(err)) < 0) {
		cfg_diag_add(d, CFG_ERROR, "%s: %s", ud->path, err);
		return NULL;
	}
	/* what our appliers refuse, said about the cloud-init file */
	json_t *check = json_deep_copy(r.doc);
	if (!json_object_get(check, "generation"))
		json_object_set_new(check, "generation", json_integer(1));
	if (proto_config_validate(check, err, sizeof(err)) < 0)
		report_doc(d, files, r.origin, err);
	json_decref(check);
	json_t *doc = d->nerrors > errs ? NULL : json_incref(r.doc);
	*skipped = doc ? json_incref(r.skipped) : NULL;
	proto_cc_result_free(&r);
	return doc;
}

/* network-config beside the user-data file, when there is one. */
static int beside(const char *file, const char *name, char *out, size_t size)
{
	const char *slash = strrchr(file, '/');
	int n = slash ? snprintf(out, size, "%.*s/%s", (int)(slash - file), file, name)
	              : snprintf(out, size, "%s", name);
	struct stat st;
	return n < (int)size && stat(out, &st) == 0;
}

json_t *cli_cloud_config_load(const char *file, const char *text, size_t len, const char *netfile,
                              json_t **skipped, struct cfg_diag *d)
{
	struct cfile f[3] = {0};
	snprintf(f[PROTO_CC_USER_DATA].path, sizeof(f[0].path), "%s", file);
	f[PROTO_CC_USER_DATA].text = malloc(len + 1);
	if (!f[PROTO_CC_USER_DATA].text) {
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", file);
		return NULL;
	}
	memcpy(f[PROTO_CC_USER_DATA].text, text, len);
	f[PROTO_CC_USER_DATA].len = len;
	if (cfile_text_ok(&f[PROTO_CC_USER_DATA], d) < 0) {
		cfile_free(&f[PROTO_CC_USER_DATA]);
		return NULL;
	}
	char nbuf[PATH_MAX];
	if (!netfile && beside(file, "network-config", nbuf, sizeof(nbuf)))
		netfile = nbuf;
	json_t *doc = NULL;
	if (!netfile || cfile_read(&f[PROTO_CC_NETWORK_CONFIG], NULL, netfile, 0, d) == 0)
		doc = convert(f, skipped, d);
	for (int i = 0; i < 3; i++)
		cfile_free(&f[i]);
	return doc;
}

json_t *cli_cloud_dir_load(const char *dir, const char *netfile, json_t **skipped,
                           struct cfg_diag *d)
{
	struct cfile f[3] = {0};
	json_t *doc = NULL;
	if (cfile_read(&f[PROTO_CC_USER_DATA], dir, "user-data", 0, d) == 0 &&
	    (netfile ? cfile_read(&f[PROTO_CC_NETWORK_CONFIG], NULL, netfile, 0, d)
	             : cfile_read(&f[PROTO_CC_NETWORK_CONFIG], dir, "network-config", 1, d)) == 0 &&
	    cfile_read(&f[PROTO_CC_META_DATA], dir, "meta-data", 1, d) == 0)
		doc = convert(f, skipped, d);
	for (int i = 0; i < 3; i++)
		cfile_free(&f[i]);
	return doc;
}
