/*
 * config.h - xl domain configuration files and channel specs, parsed as xl
 * parses them, with stricter checks on top.
 *
 * Two grammars live here:
 *  - the xl.cfg file grammar (libxlu): `key = value` / `key += value`
 *    settings ended by a newline or ';', values are strings (either quote,
 *    xl's backslash escapes), numbers (kept as text, as xl does) or lists
 *    `[ ... ]` (nested, trailing comma, line breaks allowed), `#` comments.
 *    Unknown keys are kept; for a key set twice the last setting wins.
 *  - the channel spec, one string of a `channel = [ ... ]` list:
 *    comma-separated `key=value` fields split as xl splits them.
 *
 * Every problem is reported as one line "FILE:LINE:COL: what" in a
 * struct cfg_diag; a parse either succeeds completely or returns -1 and
 * leaves nothing half-built behind.
 */
#ifndef XENCHANNEL_CONFIG_H
#define XENCHANNEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux guests expose hvc0-hvc7; hvc0 is the primary console. */
#define CFG_MAX_CHANNELS 7
/* Linux reads only the last digit of device/console/N. */
#define CFG_MAX_DEVID 9
/* Longest channel name we accept (it becomes a file name in the guest). */
#define CFG_NAME_MAX 128
/* A unix socket path must fit sockaddr_un.sun_path with its NUL. */
#define CFG_PATH_MAX 107

/* ---- diagnostics ---------------------------------------------------- */

struct json_t; /* jansson's json_t */

enum cfg_severity { CFG_ERROR, CFG_WARNING };

struct cfg_msg {
	enum cfg_severity severity;
	char *text; /* "FILE:LINE:COL: message" (no trailing newline) */
};

struct cfg_diag {
	struct cfg_msg *msgs;
	size_t n, cap;
	size_t nerrors;
};

void cfg_diag_init(struct cfg_diag *d);
void cfg_diag_free(struct cfg_diag *d);
/* Append one message; returns -1 only when out of memory. */
int cfg_diag_add(struct cfg_diag *d, enum cfg_severity sev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Write every message, one per line (warnings say "warning:" in the text). */
void cfg_diag_print(const struct cfg_diag *d, void *stdio_file);
/* The messages of one severity as a JSON array (a jansson json_t *) of
 * {"file", "line", "column", "message"} objects, line and column only where
 * the message has them; NULL without memory. */
struct json_t *cfg_diag_json(const struct cfg_diag *d, enum cfg_severity sev);

/* ---- xl.cfg file grammar ------------------------------------------- */

struct cfg_loc {
	unsigned line; /* 1-based */
	unsigned col;  /* 1-based, in bytes */
};

enum cfg_type { CFG_STRING, CFG_LIST };

struct cfg_value {
	enum cfg_type type;
	struct cfg_loc loc; /* first character (the quote for strings) */
	/* CFG_STRING */
	char *str; /* dequoted text; NUMBER atoms keep their text */
	size_t len;
	bool quoted;    /* a quoted string, not a number */
	unsigned *cols; /* source column of each byte of str (len + 1) */
	/* CFG_LIST */
	struct cfg_value **items;
	size_t nitems;
};

struct cfg_setting {
	char *key;
	struct cfg_loc loc; /* of the key */
	size_t start, end;  /* its bytes in the text: the key to the value's end */
	bool append;        /* written with += (already folded into value) */
	struct cfg_value *value;
};

struct cfg_file {
	char *source;                 /* name used in messages */
	struct cfg_setting *settings; /* in file order, duplicates included */
	size_t n;
};

/* Parse a whole file held in memory. source names it in messages. */
int cfg_parse(const char *source, const char *data, size_t len, struct cfg_file **out,
              struct cfg_diag *d);
/* Like cfg_parse(), but a file with syntax errors still yields (in *out)
 * the settings that parsed, statements in error left out, so that later
 * checks report their errors too; still -1 when there was an error. */
int cfg_parse_keep(const char *source, const char *data, size_t len, struct cfg_file **out,
                   struct cfg_diag *d);
/* What standard input is called in messages. */
#define CFG_STDIN_NAME "<stdin>"
/* Read a whole file (a regular file, at most 4 MiB), or standard input when
 * path is "-". Returns 0 with a malloc'd *data, or -1. */
int cfg_read(const char *path, char **data, size_t *len, struct cfg_diag *d);
/* cfg_read() then cfg_parse(); messages use path as given. */
int cfg_parse_file(const char *path, struct cfg_file **out, struct cfg_diag *d);
/* Warn (FILE:LINE:COL) about keys xl ignores that are one edit away from a
 * key xl knows: `channels' for `channel'. */
void cfg_check_keys(const struct cfg_file *f, struct cfg_diag *d);
void cfg_file_free(struct cfg_file *f);
/* The setting xl uses for key (the last one), or NULL. */
const struct cfg_setting *cfg_get(const struct cfg_file *f, const char *key);

/* ---- channel specs ------------------------------------------------- */

enum cfg_connection { CFG_CONN_UNKNOWN, CFG_CONN_PTY, CFG_CONN_SOCKET };

struct cfg_channel {
	unsigned index; /* position in channel=[...] (0-based) */
	/* index + 1: the numbering libxl intends (channel->devid = i + 1).
	 * xl 4.17 leaves devid 0 instead, so libxl takes the first channel for
	 * the primary console, rejects it, and `xl create` still succeeds
	 * without it (fixed in 4.18.5, 4.19.2, 4.20.1). On a 4.17 host,
	 * channels from xl need a sacrificial first entry; ours do not. */
	unsigned devid;
	bool devid_set; /* devid= given (declarations only) */
	char *name;     /* NULL if not given */
	enum cfg_connection connection;
	char *path;    /* socket path, NULL for pty */
	char *backend; /* backend domain name or id, NULL = dom0 */
	struct cfg_loc loc;
};

/*
 * Parse one channel spec string exactly as xl does, then check it.
 * where: prefix for messages, e.g. "vm.cfg:7:12: channel[1]" (may be "").
 * cols: source column of each byte of spec (may be NULL: then columns are
 * offsets into spec, 1-based); source/line: for "FILE:LINE:COL:" prefixes
 * (source NULL: messages start with "channel[...]"). Returns 0 or -1 with
 * errors in d; warnings (unknown keys, path ignored for pty) never fail.
 */
int cfg_channel_parse(const char *spec, const char *source, unsigned line, const unsigned *cols,
                      unsigned index, struct cfg_channel *out, struct cfg_diag *d);
/* flags: CFG_DECLARED parses a declaration's spec (see below), which may
 * also say devid=N (1-CFG_MAX_DEVID). */
#define CFG_DECLARED 1u
int cfg_channel_parse_ex(const char *spec, const char *source, unsigned line, const unsigned *cols,
                         unsigned index, unsigned flags, struct cfg_channel *out,
                         struct cfg_diag *d);
void cfg_channel_clear(struct cfg_channel *c);
const char *cfg_connection_name(enum cfg_connection c);

/* ---- a domain's configuration ------------------------------------- */

struct cfg_domain {
	char *name; /* NULL if the file has no name= */
	struct cfg_channel *channels;
	size_t nchannels;
};

/*
 * Extract and validate what xenchannel needs from a parsed file: the
 * domain name and every channel (names follow the naming rules, are unique
 * within the domain and do not clash with a registered name, paths are
 * unique and absolute, at most CFG_MAX_CHANNELS). reg may be NULL.
 */
struct cfg_registry;
int cfg_domain_from_file(const struct cfg_file *f, const struct cfg_registry *reg,
                         struct cfg_domain *out, struct cfg_diag *d);
/* The same with flags: CFG_DECLARED reads a declaration (no name= needed,
 * devid= in specs, see cfg_decl_load). */
int cfg_domain_from_file_ex(const struct cfg_file *f, const struct cfg_registry *reg,
                            unsigned flags, struct cfg_domain *out, struct cfg_diag *d);
void cfg_domain_clear(struct cfg_domain *dom);
/* JSON text of a domain (malloc'd): {"name", "channels": [...]}. */
char *cfg_domain_to_json(const struct cfg_domain *dom, const struct cfg_registry *reg);
/* The same as a jansson object (a new reference), NULL without memory. */
struct json_t *cfg_domain_json(const struct cfg_domain *dom, const struct cfg_registry *reg);

/* ---- channels declared per domain ---------------------------------- */

/*
 * xenchanneld attaches a domain's declared channels whenever a domain of
 * that name runs. Each domain has one file DIR/<domain>.cfg in xl syntax:
 * `channel = [ "SPEC", ... ]` (an optional name= must match the file), each
 * SPEC as in xl.cfg plus `devid=N`, the devid the channel always gets
 * (1-CFG_MAX_DEVID, unique in the file). A spec without devid= gets
 * index + 1 when no other spec takes it, else the lowest free devid, so a
 * file always gives the same devids.
 */
#define CFG_DOMAINS_DIR_ENV "XENCHANNEL_DOMAINS_DIR"
#define CFG_DECL_SUFFIX ".cfg"
#define CFG_DECL_NAME_MAX 64

/* A domain name that can have a declaration: NULL, or why not (static). */
const char *cfg_decl_name_check(const char *domain);
/* DIR/<domain>.cfg into buf: 0, or -1 when it does not fit. */
int cfg_decl_path(char *buf, size_t size, const char *dir, const char *domain);
/* The domain a file name in DIR declares ("web1.cfg" -> "web1"): 0, or -1
 * for any other file (temporary files start with '.'). */
int cfg_decl_file_domain(const char *fname, char *buf, size_t size);
/* Parse a declaration's text; out->name is domain. 0 or -1 (errors in d). */
int cfg_decl_parse(const char *source, const char *domain, const char *data, size_t len,
                   const struct cfg_registry *reg, struct cfg_domain *out, struct cfg_diag *d);
/* Read DIR/<domain>.cfg: 0 with *out, 1 when there is no such file (out
 * empty), -1 with errors in d. */
int cfg_decl_load(const char *dir, const char *domain, const struct cfg_registry *reg,
                  struct cfg_domain *out, struct cfg_diag *d);
/* A devid in 1-CFG_MAX_DEVID no channel of dom has: prefer when free, else
 * the lowest; 0 when all are taken. */
unsigned cfg_decl_free_devid(const struct cfg_domain *dom, unsigned prefer);
/* The file text of dom (every devid written out); malloc'd, NULL without memory. */
char *cfg_decl_format(const struct cfg_domain *dom);
/* Write dom->name's file atomically (creating DIR), or remove it when dom
 * has no channel. 0, or -1 with the error in d. */
int cfg_decl_store(const char *dir, const struct cfg_domain *dom, struct cfg_diag *d);

/* ---- channel names and the registry -------------------------------- */

/*
 * Naming rules (xen-pv-channel(7): globally unique, include a domain name):
 * reverse-domain style, at least three dot-separated labels
 * (tld.domain.application...), each label 1-63 characters of
 * [A-Za-z0-9_-] not starting or ending with '-', the first label letters
 * only, at most CFG_NAME_MAX characters in all. Returns NULL if name
 * passes, else a static string saying why not.
 */
const char *cfg_name_check(const char *name);

struct cfg_registry_entry {
	char *name;
	char *contact;
	char *description;
	unsigned line;
};

struct cfg_registry {
	char *source;
	struct cfg_registry_entry *entries;
	size_t n;
};

/* Parse a registry file ("N:", "C:", "D:" stanzas, '#' comments). */
int cfg_registry_load(const char *path, struct cfg_registry **out, struct cfg_diag *d);
int cfg_registry_parse(const char *source, const char *data, size_t len, struct cfg_registry **out,
                       struct cfg_diag *d);
void cfg_registry_free(struct cfg_registry *r);
const struct cfg_registry_entry *cfg_registry_find(const struct cfg_registry *r, const char *name);
/* A registered name equal to name ignoring case but spelled differently. */
const struct cfg_registry_entry *cfg_registry_clash(const struct cfg_registry *r, const char *name);

#endif
