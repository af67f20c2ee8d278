/*
 * channel.c - one `channel = [ "..." ]` spec, split as xl 4.17 splits it.
 *
 * xl (parse_config_data): the string is cut on ',' with strtok_r, so empty
 * fields vanish; each field is cut on '=' with strtok_r: the first piece is
 * the key, the second the value, anything after a second '=' is dropped;
 * isspace() is trimmed from both. A field without a value is fatal ("failed
 * to parse channel configuration: FIELD"), unknown keys only warn
 * ("unknown channel parameter '%s', ignoring"), connection must be exactly
 * "pty" or "socket", and socket needs a path. libxl later insists on a name.
 *
 * On top of that (never accepting what xl would read differently): a value
 * cut short by a second '=', a key given twice, a missing name, a name that
 * breaks the naming rules, a relative or over-long socket path are errors.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xenchannel/config.h"
#include "xenchannel/escape.h"

struct ctx {
	const char *spec;
	const char *source;
	unsigned line;
	const unsigned *cols;
	unsigned index;
	unsigned flags;
	struct cfg_diag *d;
	int errors;
};

static unsigned col_of(const struct ctx *c, size_t off)
{
	if (c->cols)
		return c->cols[off];
	return (unsigned)off + 1;
}

__attribute__((format(printf, 4, 5))) static void report(struct ctx *c, enum cfg_severity sev,
                                                         size_t off, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *w = sev == CFG_WARNING ? "warning: " : "";
	if (sev == CFG_ERROR)
		c->errors++;
	if (c->source)
		cfg_diag_add(c->d, sev, "%s:%u:%u: %schannel[%u]: %s", c->source, c->line,
		             col_of(c, off), w, c->index, msg);
	else
		cfg_diag_add(c->d, sev, "%schannel[%u]: %s", w, c->index, msg);
}

/* Printable, bounded copy of untrusted text for a message. */
static void show(char *buf, size_t size, const char *s, size_t n)
{
	esc_text(buf, size, s, n, 60, 0);
}

const char *cfg_connection_name(enum cfg_connection c)
{
	switch (c) {
	case CFG_CONN_PTY:
		return "pty";
	case CFG_CONN_SOCKET:
		return "socket";
	case CFG_CONN_UNKNOWN:
		break;
	}
	return "unknown";
}

void cfg_channel_clear(struct cfg_channel *c)
{
	free(c->name);
	free(c->path);
	free(c->backend);
	memset(c, 0, sizeof(*c));
}

/* A piece [b, e) of the spec, trimmed of isspace() as xl trims it. */
struct piece {
	size_t b, e;
};

static struct piece trim(const char *s, struct piece p)
{
	while (p.b < p.e && isspace((unsigned char)s[p.b]))
		p.b++;
	while (p.e > p.b && isspace((unsigned char)s[p.e - 1]))
		p.e--;
	return p;
}

static char *dup_piece(const char *s, struct piece p)
{
	return strndup(s + p.b, p.e - p.b);
}

static int set_once(struct ctx *c, char **slot, size_t *seen_at, const char *key, const char *s,
                    struct piece val, size_t field_off)
{
	if (*slot) {
		char a[80], b[80];
		show(a, sizeof(a), *slot, strlen(*slot));
		show(b, sizeof(b), s + val.b, val.e - val.b);
		report(c, CFG_ERROR, field_off,
		       "%s= given twice (`%s', then `%s'; xl would silently use the last)", key, a,
		       b);
		return 0;
	}
	*slot = dup_piece(s, val);
	*seen_at = val.b; /* where the value starts, for later messages */
	if (!*slot) {
		report(c, CFG_ERROR, field_off, "out of memory");
		return -1;
	}
	return 0;
}

static void check_path(struct ctx *c, const char *path, size_t off)
{
	char buf[96];
	show(buf, sizeof(buf), path, strlen(path));
	if (!*path) {
		report(c, CFG_ERROR, off, "path= is empty");
		return;
	}
	if (path[0] != '/') {
		report(c, CFG_ERROR, off, "path `%s' is not absolute (socket paths start with '/')",
		       buf);
		return;
	}
	if (strlen(path) > CFG_PATH_MAX) {
		report(c, CFG_ERROR, off,
		       "path is %zu bytes long; a unix socket path has at most %d bytes",
		       strlen(path), CFG_PATH_MAX);
		return;
	}
	for (const char *p = path; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			report(c, CFG_ERROR, off + (size_t)(p - path),
			       "path `%s' contains a control character", buf);
			return;
		}
	}
	if (path[strlen(path) - 1] == '/')
		report(c, CFG_ERROR, off, "path `%s' names a directory (ends with '/')", buf);
}

/* What the fields gave so far, and where (offsets for the messages). */
struct fields {
	char *conn;
	char *devid;
	size_t name_at, path_at, conn_at, backend_at, devid_at;
	int oom, malformed;
};

/* strtok_r("=") on a field: the pieces that matter (at most three). */
static int split_field(const char *spec, struct piece field, struct piece parts[3])
{
	int np = 0;
	size_t j = field.b;
	while (j < field.e && np < 3) {
		if (spec[j] == '=') {
			j++;
			continue;
		}
		parts[np].b = j;
		while (j < field.e && spec[j] != '=')
			j++;
		parts[np].e = j;
		np++;
	}
	return np;
}

/* One key=value field. */
static void parse_field(struct ctx *c, struct piece field, struct cfg_channel *out,
                        struct fields *f)
{
	const char *spec = c->spec;
	struct piece parts[3];
	int np = split_field(spec, field, parts);
	char fbuf[96];
	show(fbuf, sizeof(fbuf), spec + field.b, field.e - field.b);
	if (np < 2) {
		report(c, CFG_ERROR, field.b,
		       "`%s' is not key=value (xl: failed to parse channel configuration)", fbuf);
		f->malformed = 1;
		return;
	}
	if (spec[field.b] == '=') {
		report(c, CFG_ERROR, field.b, "`%s' starts with '=' (no key)", fbuf);
		f->malformed = 1;
		return;
	}
	struct piece key = trim(spec, parts[0]);
	struct piece val = trim(spec, parts[1]);
	size_t klen = key.e - key.b;
	char kbuf[80];
	show(kbuf, sizeof(kbuf), spec + key.b, klen);
	if (np == 3) {
		/* reported, then kept as xl keeps it so nothing else cascades */
		char vbuf[80];
		show(vbuf, sizeof(vbuf), spec + val.b, val.e - val.b);
		report(c, CFG_ERROR, parts[2].b,
		       "the value of %s= contains '=': xl would keep only `%s' and drop "
		       "the rest "
		       "(values cannot contain '=', ',' or '\"')",
		       kbuf, vbuf);
	} else if (parts[1].b != parts[0].e + 1) {
		/* "key==value": xl reads it as key=value; say so, it is a typo */
		report(c, CFG_ERROR, parts[0].e, "`%s' has more than one '=' after the key", fbuf);
	}
	if (!klen) {
		report(c, CFG_ERROR, field.b, "`%s' has no key before '='", fbuf);
		f->malformed = 1;
		return;
	}
	int r = 0;
	if (klen == 4 && !memcmp(spec + key.b, "name", 4)) {
		r = set_once(c, &out->name, &f->name_at, "name", spec, val, field.b);
	} else if (klen == 4 && !memcmp(spec + key.b, "path", 4)) {
		r = set_once(c, &out->path, &f->path_at, "path", spec, val, field.b);
	} else if (klen == 7 && !memcmp(spec + key.b, "backend", 7)) {
		r = set_once(c, &out->backend, &f->backend_at, "backend", spec, val, field.b);
	} else if (klen == 10 && !memcmp(spec + key.b, "connection", 10)) {
		r = set_once(c, &f->conn, &f->conn_at, "connection", spec, val, field.b);
	} else if ((c->flags & CFG_DECLARED) && klen == 5 && !memcmp(spec + key.b, "devid", 5)) {
		r = set_once(c, &f->devid, &f->devid_at, "devid", spec, val, field.b);
	} else {
		report(c, CFG_WARNING, key.b, "unknown channel parameter '%s', ignoring", kbuf);
	}
	if (r)
		f->oom = 1;
}

/* connection=, and the path it needs (socket) or ignores (pty). */
static void check_connection(struct ctx *c, struct cfg_channel *out, const struct fields *f)
{
	const char *conn = f->conn;
	if (conn) {
		if (!strcmp(conn, "pty")) {
			out->connection = CFG_CONN_PTY;
		} else if (!strcmp(conn, "socket")) {
			out->connection = CFG_CONN_SOCKET;
		} else {
			char vbuf[80];
			show(vbuf, sizeof(vbuf), conn, strlen(conn));
			int upper = !strcasecmp(conn, "pty") || !strcasecmp(conn, "socket");
			report(c, CFG_ERROR, f->conn_at,
			       "unknown channel connection '%s' (expected `pty' or `socket'%s)",
			       vbuf,
			       upper ? ", lower case: xl does not accept the man page's upper case"
			             : "");
		}
	} else if (!f->oom && !f->malformed) {
		report(c, CFG_ERROR, 0, "no connection= (xl: channel has unknown 'connection')");
	}

	if (out->connection == CFG_CONN_SOCKET && !out->path)
		report(c, CFG_ERROR, f->conn_at, "connection=socket needs path=");
	if (out->connection == CFG_CONN_SOCKET && out->path)
		check_path(c, out->path, f->path_at);
	if (out->connection == CFG_CONN_PTY && out->path) {
		report(c, CFG_WARNING, f->path_at, "path= is ignored for connection=pty");
		free(out->path);
		out->path = NULL;
	}
}

/* name= (required, naming rules) and backend= (a domain id or name). */
static void check_name_backend(struct ctx *c, const struct cfg_channel *out, const struct fields *f)
{
	if (!out->name) {
		if (!f->oom && !f->malformed)
			report(c, CFG_ERROR, 0, "no name= (libxl: channel %u has no name)",
			       c->index);
	} else {
		const char *why = cfg_name_check(out->name);
		if (why) {
			char nbuf[96];
			show(nbuf, sizeof(nbuf), out->name, strlen(out->name));
			report(c, CFG_ERROR, f->name_at, "name `%s' %s", nbuf, why);
		}
	}
	if (out->backend) {
		const char *b = out->backend;
		int bad = !*b;
		for (; *b; b++)
			if (!isalnum((unsigned char)*b) && !strchr("_.-", *b))
				bad = 1;
		if (bad) {
			char bbuf[80];
			show(bbuf, sizeof(bbuf), out->backend, strlen(out->backend));
			report(c, CFG_ERROR, f->backend_at,
			       "backend `%s' is neither a domain id nor a domain name", bbuf);
		}
	}
}

/* devid= of a declaration: one digit 1-9, as Linux reads device/console/N. */
static void check_devid(struct ctx *c, struct cfg_channel *out, const struct fields *f)
{
	if (!f->devid)
		return;
	const char *v = f->devid;
	if (v[0] >= '1' && v[0] <= '0' + CFG_MAX_DEVID && !v[1]) {
		out->devid = (unsigned)(v[0] - '0');
		out->devid_set = true;
		return;
	}
	char vbuf[80];
	show(vbuf, sizeof(vbuf), v, strlen(v));
	report(c, CFG_ERROR, f->devid_at,
	       "devid `%s' is not one of 1-%d (0 is the primary console; Linux reads only the "
	       "last digit of device/console/N)",
	       vbuf, CFG_MAX_DEVID);
}

int cfg_channel_parse(const char *spec, const char *source, unsigned line, const unsigned *cols,
                      unsigned index, struct cfg_channel *out, struct cfg_diag *d)
{
	return cfg_channel_parse_ex(spec, source, line, cols, index, 0, out, d);
}

int cfg_channel_parse_ex(const char *spec, const char *source, unsigned line, const unsigned *cols,
                         unsigned index, unsigned flags, struct cfg_channel *out,
                         struct cfg_diag *d)
{
	struct ctx c = {spec, source, line, cols, index, flags, d, 0};
	memset(out, 0, sizeof(*out));
	out->index = index;
	out->devid = index + 1;
	out->loc.line = line;
	out->loc.col = col_of(&c, 0);

	struct fields f = {0};
	size_t n = strlen(spec);
	size_t i = 0;
	while (i < n && !f.oom) {
		/* strtok_r(",") : skip separators, take the run up to the next one */
		if (spec[i] == ',') {
			i++;
			continue;
		}
		struct piece field = {i, i};
		while (field.e < n && spec[field.e] != ',')
			field.e++;
		i = field.e;
		parse_field(&c, field, out, &f);
	}
	check_connection(&c, out, &f);
	check_devid(&c, out, &f);
	free(f.conn);
	free(f.devid);
	check_name_backend(&c, out, &f);

	if (c.errors || f.oom) {
		cfg_channel_clear(out);
		return -1;
	}
	return 0;
}
