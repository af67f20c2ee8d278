/*
 * declared.c - channels declared per domain name: one xl-syntax file per
 * domain, DIR/<domain>.cfg, holding `channel = [ "SPEC,devid=N", ... ]`.
 *
 * `xenchannel define` writes them, admins may write them by hand, and
 * xenchanneld attaches them whenever a domain of that name runs. Every
 * reader parses with the xl parser and the checks of cfg_domain_from_file,
 * so a hand-written file gets the same FILE:LINE:COL errors as a vm.cfg.
 * Writes are atomic (temporary file, fsync, rename): a reader never sees
 * half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xenchannel/config.h"
#include "xenchannel/escape.h"

const char *cfg_decl_name_check(const char *domain)
{
	size_t n = strlen(domain), digits = 0;
	if (!n)
		return "is empty";
	if (n > CFG_DECL_NAME_MAX)
		return "is longer than 64 characters";
	if (domain[0] == '.' || domain[0] == '-')
		return "starts with '.' or '-'";
	for (const char *p = domain; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		         !strchr("._-", *p))
			return "has a character other than A-Z a-z 0-9 . _ -";
	}
	if (digits == n)
		return "has only digits (that is a domain id)";
	return NULL;
}

int cfg_decl_path(char *buf, size_t size, const char *dir, const char *domain)
{
	int n = snprintf(buf, size, "%s/%s%s", dir, domain, CFG_DECL_SUFFIX);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int cfg_decl_file_domain(const char *fname, char *buf, size_t size)
{
	size_t n = strlen(fname), sl = strlen(CFG_DECL_SUFFIX);
	if (n <= sl || strcmp(fname + n - sl, CFG_DECL_SUFFIX) || n - sl >= size)
		return -1;
	memcpy(buf, fname, n - sl);
	buf[n - sl] = '\0';
	return cfg_decl_name_check(buf) ? -1 : 0;
}

int cfg_decl_parse(const char *source, const char *domain, const char *data, size_t len,
                   const struct cfg_registry *reg, struct cfg_domain *out, struct cfg_diag *d)
{
	memset(out, 0, sizeof(*out));
	struct cfg_file *f;
	if (cfg_parse(source, data, len, &f, d))
		return -1;
	size_t errs = d->nerrors;
	for (size_t i = 0; i < f->n; i++) {
		const struct cfg_setting *s = &f->settings[i];
		if (strcmp(s->key, "channel") && strcmp(s->key, "name"))
			cfg_diag_add(d, CFG_WARNING,
			             "%s:%u:%u: warning: `%s' is ignored in a declaration (only "
			             "channel = [ ... ] and name = \"%s\" are read)",
			             source, s->loc.line, s->loc.col, s->key, domain);
	}
	const struct cfg_setting *s = cfg_get(f, "name");
	if (s && (s->value->type != CFG_STRING || strcmp(s->value->str, domain)))
		cfg_diag_add(d, CFG_ERROR,
		             "%s:%u:%u: name does not match the file: this file declares the "
		             "channels of domain `%s'",
		             source, s->value->loc.line, s->value->loc.col, domain);
	int rc = cfg_domain_from_file_ex(f, reg, CFG_DECLARED, out, d);
	cfg_file_free(f);
	if (rc == 0 && d->nerrors > errs)
		rc = -1;
	if (rc == 0 && !out->name && !(out->name = strdup(domain))) {
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", source);
		rc = -1;
	}
	if (rc)
		cfg_domain_clear(out);
	return rc;
}

int cfg_decl_load(const char *dir, const char *domain, const struct cfg_registry *reg,
                  struct cfg_domain *out, struct cfg_diag *d)
{
	memset(out, 0, sizeof(*out));
	char path[4096];
	if (cfg_decl_path(path, sizeof(path), dir, domain)) {
		cfg_diag_add(d, CFG_ERROR, "%s: path too long", dir);
		return -1;
	}
	struct stat st;
	if (stat(path, &st) < 0 && errno == ENOENT)
		return 1;
	char *data;
	size_t len;
	if (cfg_read(path, &data, &len, d))
		return -1;
	int rc = cfg_decl_parse(path, domain, data, len, reg, out, d);
	free(data);
	return rc;
}

unsigned cfg_decl_free_devid(const struct cfg_domain *dom, unsigned prefer)
{
	unsigned char used[CFG_MAX_DEVID + 1] = {1};
	for (size_t i = 0; i < dom->nchannels; i++)
		if (dom->channels[i].devid <= CFG_MAX_DEVID)
			used[dom->channels[i].devid] = 1;
	if (prefer >= 1 && prefer <= CFG_MAX_DEVID && !used[prefer])
		return prefer;
	for (unsigned id = 1; id <= CFG_MAX_DEVID; id++)
		if (!used[id])
			return id;
	return 0;
}

/* s as the inside of a double-quoted xl string. */
static void put_quoted(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

char *cfg_decl_format(const struct cfg_domain *dom)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f,
	        "# Channels of domain %s: xenchanneld attaches them whenever a domain of\n"
	        "# that name runs. xl syntax (xl.cfg(5) channel=), plus devid= (1-%d).\n"
	        "# Written by xenchannel define; see xenchannel(8).\n"
	        "channel = [\n",
	        dom->name, CFG_MAX_DEVID);
	for (size_t i = 0; i < dom->nchannels; i++) {
		const struct cfg_channel *c = &dom->channels[i];
		fputs("    \"name=", f);
		put_quoted(f, c->name);
		fprintf(f, ",connection=%s", cfg_connection_name(c->connection));
		if (c->path) {
			fputs(",path=", f);
			put_quoted(f, c->path);
		}
		if (c->backend) {
			fputs(",backend=", f);
			put_quoted(f, c->backend);
		}
		fprintf(f, ",devid=%u\",\n", c->devid);
	}
	fputs("]\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* mkdir -p with mode for the missing components. */
static int make_dirs(const char *dir, mode_t mode)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -1;
		if (!c)
			return 0;
		*s = c;
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Make a rename or unlink in dir durable. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int cfg_decl_store(const char *dir, const struct cfg_domain *dom, struct cfg_diag *d)
{
	char path[4096], tmp[4200];
	if (cfg_decl_path(path, sizeof(path), dir, dom->name)) {
		cfg_diag_add(d, CFG_ERROR, "%s: path too long", dir);
		return -1;
	}
	if (!dom->nchannels) {
		if (unlink(path) < 0 && errno != ENOENT) {
			cfg_diag_add(d, CFG_ERROR, "%s: cannot remove: %s", path, strerror(errno));
			return -1;
		}
		sync_dir(dir);
		return 0;
	}
	if (make_dirs(dir, 0755) < 0) {
		cfg_diag_add(d, CFG_ERROR, "%s: cannot create the directory: %s", dir,
		             strerror(errno));
		return -1;
	}
	char *text = cfg_decl_format(dom);
	if (!text) {
		cfg_diag_add(d, CFG_ERROR, "%s: out of memory", path);
		return -1;
	}
	/* a dot file: xenchanneld reads only <domain>.cfg */
	snprintf(tmp, sizeof(tmp), "%s/.%s%s.XXXXXX", dir, dom->name, CFG_DECL_SUFFIX);
	int fd = mkostemp(tmp, O_CLOEXEC);
	int rc = -1;
	if (fd < 0) {
		cfg_diag_add(d, CFG_ERROR, "%s: cannot create a temporary file: %s", dir,
		             strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		cfg_diag_add(d, CFG_ERROR, "%s: cannot write: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		cfg_diag_add(d, CFG_ERROR, "%s: cannot replace: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	sync_dir(dir);
	rc = 0;
out:
	free(text);
	return rc;
}
