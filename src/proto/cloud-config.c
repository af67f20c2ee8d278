/* cloud-config.c - cloud-init's inputs: a cloud-config (user-data) and a
 * network-config version 2, checked with cloud-init's rules (its JSON schema,
 * cloud-init 22.4) for the keys known here, and turned into a configuration
 * document for our own appliers where cloud-init is not installed. Whatever
 * those appliers cannot do is listed, item by item, never dropped. */
#include "xenchannel/proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { T_STR = 1, T_BOOL = 2, T_INT = 4, T_NULL = 8, T_LIST = 16, T_MAP = 32, T_REAL = 64 };

static const char *const type_names[] = {"a string", "a boolean", "an integer", "null",
                                         "a list",   "a mapping", "a number"};

static unsigned type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return T_STR;
	case JSON_TRUE:
	case JSON_FALSE:
		return T_BOOL;
	case JSON_INTEGER:
		return T_INT;
	case JSON_REAL:
		return T_REAL;
	case JSON_NULL:
		return T_NULL;
	case JSON_ARRAY:
		return T_LIST;
	default:
		return T_MAP;
	}
}

static const char *type_name(unsigned t)
{
	for (unsigned i = 0; i < sizeof(type_names) / sizeof(*type_names); i++)
		if (t == 1u << i)
			return type_names[i];
	return "?";
}

/* v is of one of types; else "PATH: want a string or a list, not an integer". */
static int want(const json_t *v, unsigned types, const char *path, char *err, size_t errlen)
{
	if (type_of(v) & types)
		return 0;
	char buf[128] = "";
	size_t n = 0;
	for (unsigned t = 1; t <= T_REAL; t <<= 1)
		if (types & t)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " or " : "",
			                      type_name(t));
	return proto_err_add(err, errlen, "%s: want %s, not %s", path, buf, type_name(type_of(v)));
}

/* Key paths as messages show them: "users[0].name". Cut when too long
 * (a message is still given). */
static void join(char *out, size_t n, const char *path, const char *key)
{
	if (snprintf(out, n, "%s%s%s", path, *path ? "." : "", key) >= (int)n)
		out[n - 1] = 0;
}

static void index_of(char *out, size_t n, const char *path, size_t i)
{
	if (snprintf(out, n, "%s[%zu]", path, i) >= (int)n)
		out[n - 1] = 0;
}

struct spec {
	const char *key;
	unsigned types;
};

/* The known keys of o have their types; when closed, others are problems. */
static int check_keys(const json_t *o, const char *path, const struct spec *specs, int closed,
                      char *err, size_t errlen)
{
	int rc = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		char p[512];
		join(p, sizeof(p), path, k);
		const struct spec *s = specs;
		while (s->key && strcmp(s->key, k) != 0)
			s++;
		if (s->key)
			rc |= want(v, s->types, p, err, errlen);
		else if (closed)
			rc = proto_err_add(err, errlen, "%s: unknown key", p);
	}
	return rc;
}

/* A list (at least one entry, as cloud-init's schema has it) whose entries
 * are of types. */
static int check_list(const json_t *a, const char *path, unsigned types, char *err, size_t errlen)
{
	if (want(a, T_LIST, path, err, errlen) < 0)
		return -1;
	if (json_array_size(a) == 0)
		return proto_err_add(err, errlen, "%s: an empty list (want at least one entry)",
		                     path);
	int rc = 0;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		char p[512];
		index_of(p, sizeof(p), path, i);
		rc |= want(v, types, p, err, errlen);
	}
	return rc;
}

static const struct spec user_specs[] = {
    {"name", T_STR},
    {"expiredate", T_STR},
    {"gecos", T_STR},
    {"groups", T_STR | T_LIST | T_MAP},
    {"homedir", T_STR},
    {"inactive", T_STR},
    {"lock-passwd", T_BOOL},
    {"lock_passwd", T_BOOL},
    {"no_create_home", T_BOOL},
    {"no_log_init", T_BOOL},
    {"no_user_group", T_BOOL},
    {"passwd", T_STR},
    {"hashed_passwd", T_STR},
    {"plain_text_passwd", T_STR},
    {"create_groups", T_BOOL},
    {"primary_group", T_STR},
    {"selinux_user", T_STR},
    {"shell", T_STR},
    {"snapuser", T_STR},
    {"ssh_authorized_keys", T_LIST},
    {"ssh_import_id", T_LIST},
    {"ssh_redirect_user", T_BOOL},
    {"system", T_BOOL},
    {"sudo", T_STR | T_NULL | T_BOOL},
    {"uid", T_INT | T_STR},
    {NULL, 0},
};

static int check_user(const json_t *u, const char *p, char *err, size_t errlen)
{
	if (json_is_string(u))
		return 0;
	if (json_is_array(u))
		return check_list(u, p, T_STR, err, errlen);
	if (want(u, T_MAP, p, err, errlen) < 0)
		return -1;
	int rc = check_keys(u, p, user_specs, 1, err, errlen);
	if (!json_object_get(u, "name") && !json_object_get(u, "snapuser"))
		rc = proto_err_add(err, errlen, "%s: no name", p);
	char q[600];
	for (const char *const *k =
	         (const char *const[]){"ssh_authorized_keys", "ssh_import_id", NULL};
	     *k; k++) {
		json_t *v = json_object_get(u, *k);
		join(q, sizeof(q), p, *k);
		if (json_is_array(v))
			rc |= check_list(v, q, T_STR, err, errlen);
	}
	return rc;
}

static int check_users(const json_t *users, char *err, size_t errlen)
{
	if (want(users, T_STR | T_LIST | T_MAP, "users", err, errlen) < 0)
		return -1;
	if (!json_is_array(users))
		return 0;
	if (json_array_size(users) == 0)
		return proto_err_add(err, errlen, "users: an empty list (want at least one entry)");
	int rc = 0;
	size_t i;
	json_t *u;
	json_array_foreach(users, i, u)
	{
		char p[64];
		index_of(p, sizeof(p), "users", i);
		rc |= check_user(u, p, err, errlen);
	}
	return rc;
}

static const char *const encodings[] = {"gz",       "gzip", "gz+base64", "gzip+base64", "gz+b64",
                                        "gzip+b64", "b64",  "base64",    "text/plain",  NULL};

static int check_file(const json_t *f, const char *p, char *err, size_t errlen)
{
	static const struct spec specs[] = {
	    {"path", T_STR},     {"content", T_STR}, {"owner", T_STR},  {"permissions", T_STR},
	    {"encoding", T_STR}, {"append", T_BOOL}, {"defer", T_BOOL}, {NULL, 0},
	};
	if (want(f, T_MAP, p, err, errlen) < 0)
		return -1;
	int rc = 0;
	json_t *perm = json_object_get(f, "permissions"), *rest = json_copy((json_t *)f);
	if (json_is_integer(perm)) {
		/* the classic mistake gets its own hint */
		rc = proto_err_add(err, errlen,
		                   "%s.permissions: want a string like '0644' (quoted: YAML reads "
		                   "0644 as the number %lld)",
		                   p, (long long)json_integer_value(perm));
		json_object_del(rest, "permissions");
	}
	rc |= check_keys(rest ? rest : f, p, specs, 1, err, errlen);
	json_decref(rest);
	if (!json_object_get(f, "path"))
		rc = proto_err_add(err, errlen, "%s: no path (it is required)", p);
	json_t *enc = json_object_get(f, "encoding");
	if (json_is_string(enc)) {
		const char *const *e = encodings;
		while (*e && strcmp(*e, json_string_value(enc)) != 0)
			e++;
		if (!*e)
			rc = proto_err_add(err, errlen,
			                   "%s.encoding: want one of gz, gzip, gz+base64, "
			                   "gzip+base64, gz+b64, gzip+b64, b64, base64, text/plain",
			                   p);
	}
	return rc;
}

/* packages: names, or [name, version] pairs. */
static int check_packages(const json_t *a, char *err, size_t errlen)
{
	if (check_list(a, "packages", T_STR | T_LIST, err, errlen) < 0)
		return -1;
	int rc = 0;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (json_is_array(v) &&
		    (json_array_size(v) != 2 || !json_is_string(json_array_get(v, 0)) ||
		     !json_is_string(json_array_get(v, 1))))
			rc = proto_err_add(err, errlen,
			                   "packages[%zu]: want a name or [name, version]", i);
	}
	return rc;
}

/* runcmd and bootcmd: commands as strings or argument lists. */
static int check_commands(const json_t *a, const char *key, unsigned types, char *err,
                          size_t errlen)
{
	if (check_list(a, key, types, err, errlen) < 0)
		return -1;
	int rc = 0;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		char p[64];
		index_of(p, sizeof(p), key, i);
		if (json_is_array(v))
			rc |= check_list(v, p, T_STR, err, errlen);
	}
	return rc;
}

int proto_cloud_config_check(const json_t *cc, char *err, size_t errlen)
{
	static const struct spec specs[] = {
	    {"hostname", T_STR},
	    {"fqdn", T_STR},
	    {"preserve_hostname", T_BOOL},
	    {"prefer_fqdn_over_hostname", T_BOOL},
	    {"manage_etc_hosts", T_BOOL | T_STR},
	    {"disable_root", T_BOOL},
	    {"package_update", T_BOOL},
	    {"package_upgrade", T_BOOL},
	    {"package_reboot_if_required", T_BOOL},
	    {"system_info", T_MAP},
	    {"generation", T_INT},
	    {NULL, 0},
	};
	if (errlen)
		err[0] = 0;
	if (!json_is_object(cc))
		return proto_err_add(err, errlen, "the cloud-config must be a mapping");
	int rc = check_keys(cc, "", specs, 0, err, errlen);
	json_t *v = json_object_get(cc, "manage_etc_hosts");
	if (json_is_string(v) && strcmp(json_string_value(v), "localhost") != 0 &&
	    strcmp(json_string_value(v), "template") != 0)
		rc = proto_err_add(err, errlen,
		                   "manage_etc_hosts: want true, false or \"localhost\"");
	v = json_object_get(cc, "generation");
	if (json_is_integer(v) && json_integer_value(v) < 1)
		rc = proto_err_add(err, errlen, "generation: want an integer >= 1");
	if ((v = json_object_get(cc, "users")))
		rc |= check_users(v, err, errlen);
	if ((v = json_object_get(cc, "ssh_authorized_keys")))
		rc |= check_list(v, "ssh_authorized_keys", T_STR, err, errlen);
	if ((v = json_object_get(cc, "write_files"))) {
		if (check_list(v, "write_files", T_MAP | T_STR | T_INT | T_BOOL | T_NULL | T_LIST,
		               err, errlen) < 0)
			rc = -1;
		else {
			size_t i;
			json_t *f;
			json_array_foreach(v, i, f)
			{
				char p[64];
				index_of(p, sizeof(p), "write_files", i);
				rc |= check_file(f, p, err, errlen);
			}
		}
	}
	if ((v = json_object_get(cc, "packages")))
		rc |= check_packages(v, err, errlen);
	if ((v = json_object_get(cc, "runcmd")))
		rc |= check_commands(v, "runcmd", T_STR | T_LIST | T_NULL, err, errlen);
	if ((v = json_object_get(cc, "bootcmd")))
		rc |= check_commands(v, "bootcmd", T_STR | T_LIST, err, errlen);
	return rc;
}

/* ---- network-config version 2 ---- */

static int check_ip(const json_t *v, const char *p, int family, char *err, size_t errlen)
{
	int fam;
	uint8_t a[16];
	if (want(v, T_STR, p, err, errlen) < 0)
		return -1;
	if (proto_parse_ip(json_string_value(v), &fam, a) < 0 || (family && fam != family))
		return proto_err_add(err, errlen, "%s: \"%s\" is not an %s address", p,
		                     json_string_value(v),
		                     family == AF_INET ? "IPv4"
		                     : family          ? "IPv6"
		                                       : "IP");
	return 0;
}

static int check_route(const json_t *r, const char *p, char *err, size_t errlen)
{
	static const struct spec specs[] = {
	    {"to", T_STR},    {"via", T_STR},   {"metric", T_INT}, {"on-link", T_BOOL},
	    {"table", T_INT}, {"scope", T_STR}, {"type", T_STR},   {"from", T_STR},
	    {"mtu", T_INT},   {NULL, 0},
	};
	if (want(r, T_MAP, p, err, errlen) < 0)
		return -1;
	int rc = check_keys(r, p, specs, 1, err, errlen);
	char q[600];
	json_t *to = json_object_get(r, "to"), *via = json_object_get(r, "via");
	int fam;
	uint8_t a[16];
	unsigned plen;
	join(q, sizeof(q), p, "to");
	if (!to)
		rc = proto_err_add(err, errlen, "%s: missing", q);
	else if (json_is_string(to) && strcmp(json_string_value(to), "default") != 0 &&
	         proto_parse_prefix(json_string_value(to), &fam, a, &plen) < 0 &&
	         proto_parse_ip(json_string_value(to), &fam, a) < 0)
		rc = proto_err_add(err, errlen,
		                   "%s: want \"default\", an address or address/prefix", q);
	join(q, sizeof(q), p, "via");
	if (via)
		rc |= check_ip(via, q, 0, err, errlen);
	return rc;
}

static int check_nameservers(const json_t *ns, const char *p, char *err, size_t errlen)
{
	static const struct spec specs[] = {{"addresses", T_LIST}, {"search", T_LIST}, {NULL, 0}};
	if (want(ns, T_MAP, p, err, errlen) < 0 || check_keys(ns, p, specs, 1, err, errlen) < 0)
		return -1;
	int rc = 0;
	char q[600], r[640];
	json_t *a = json_object_get(ns, "addresses"), *v;
	size_t i;
	join(q, sizeof(q), p, "addresses");
	json_array_foreach(a, i, v)
	{
		index_of(r, sizeof(r), q, i);
		rc |= check_ip(v, r, 0, err, errlen);
	}
	join(q, sizeof(q), p, "search");
	json_array_foreach(json_object_get(ns, "search"), i, v)
	{
		index_of(r, sizeof(r), q, i);
		rc |= want(v, T_STR, r, err, errlen);
	}
	return rc;
}

static int check_addresses(const json_t *a, const char *p, char *err, size_t errlen)
{
	int rc = 0;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		char q[600];
		index_of(q, sizeof(q), p, i);
		int fam;
		uint8_t b[16];
		unsigned plen;
		/* netplan also takes {"addr/prefix": {lifetime, label}} */
		const char *s = json_is_string(v) ? json_string_value(v)
		                : json_is_object(v) && json_object_size(v) == 1
		                    ? json_object_iter_key(json_object_iter((json_t *)v))
		                    : NULL;
		if (!s)
			rc = proto_err_add(err, errlen, "%s: want an address/prefix", q);
		else if (proto_parse_prefix(s, &fam, b, &plen) < 0)
			rc =
			    proto_err_add(err, errlen, "%s: \"%s\" is not an address/prefix", q, s);
	}
	return rc;
}

static int check_ethernet(const json_t *e, const char *p, char *err, size_t errlen)
{
	static const struct spec specs[] = {
	    {"match", T_MAP},       {"set-name", T_STR},
	    {"addresses", T_LIST},  {"gateway4", T_STR},
	    {"gateway6", T_STR},    {"mtu", T_INT},
	    {"dhcp4", T_BOOL},      {"dhcp6", T_BOOL},
	    {"nameservers", T_MAP}, {"routes", T_LIST},
	    {"optional", T_BOOL},   {"wakeonlan", T_BOOL},
	    {"critical", T_BOOL},   {"accept-ra", T_BOOL},
	    {"macaddress", T_STR},  {NULL, 0},
	};
	static const struct spec mspecs[] = {
	    {"macaddress", T_STR}, {"name", T_STR}, {"driver", T_STR}, {NULL, 0}};
	if (want(e, T_MAP, p, err, errlen) < 0)
		return -1;
	int rc = check_keys(e, p, specs, 0, err, errlen);
	char q[600];
	json_t *m = json_object_get(e, "match");
	join(q, sizeof(q), p, "match");
	if (json_is_object(m)) {
		rc |= check_keys(m, q, mspecs, 1, err, errlen);
		json_t *mac = json_object_get(m, "macaddress");
		uint8_t b[6];
		if (json_is_string(mac) && proto_parse_mac(json_string_value(mac), b) < 0)
			rc = proto_err_add(err, errlen, "%s.macaddress: want xx:xx:xx:xx:xx:xx", q);
	}
	json_t *v;
	join(q, sizeof(q), p, "addresses");
	if (json_is_array(v = json_object_get(e, "addresses")))
		rc |= check_addresses(v, q, err, errlen);
	join(q, sizeof(q), p, "gateway4");
	if ((v = json_object_get(e, "gateway4")) && json_is_string(v))
		rc |= check_ip(v, q, AF_INET, err, errlen);
	join(q, sizeof(q), p, "gateway6");
	if ((v = json_object_get(e, "gateway6")) && json_is_string(v))
		rc |= check_ip(v, q, AF_INET6, err, errlen);
	v = json_object_get(e, "mtu");
	if (json_is_integer(v) && (json_integer_value(v) < 68 || json_integer_value(v) > 65535))
		rc = proto_err_add(err, errlen, "%s.mtu: want 68..65535", p);
	join(q, sizeof(q), p, "nameservers");
	if (json_is_object(v = json_object_get(e, "nameservers")))
		rc |= check_nameservers(v, q, err, errlen);
	join(q, sizeof(q), p, "routes");
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(e, "routes"), i, r)
	{
		char rp[640];
		index_of(rp, sizeof(rp), q, i);
		rc |= check_route(r, rp, err, errlen);
	}
	return rc;
}

/* The version 2 body: the document itself, or its "network". */
static const json_t *network_body(const json_t *nc, const char **prefix)
{
	const json_t *n = json_object_get(nc, "network");
	*prefix = n ? "network" : "";
	return n ? n : nc;
}

int proto_network_config_check(const json_t *nc, char *err, size_t errlen)
{
	static const struct spec specs[] = {
	    {"version", T_INT}, {"renderer", T_STR}, {"ethernets", T_MAP}, {"bonds", T_MAP},
	    {"bridges", T_MAP}, {"vlans", T_MAP},    {"wifis", T_MAP},     {NULL, 0},
	};
	if (errlen)
		err[0] = 0;
	if (!json_is_object(nc))
		return proto_err_add(err, errlen, "the network-config must be a mapping");
	const char *pre;
	const json_t *n = network_body(nc, &pre);
	if (want(n, T_MAP, pre, err, errlen) < 0)
		return -1;
	char p[600];
	join(p, sizeof(p), pre, "version");
	json_t *ver = json_object_get(n, "version");
	if (!ver)
		return proto_err_add(err, errlen, "%s: missing (want 2)", p);
	if (!json_is_integer(ver) || json_integer_value(ver) != 2)
		return proto_err_add(err, errlen,
		                     "%s: only network-config version 2 is accepted (netplan "
		                     "syntax)",
		                     p);
	int rc = check_keys(n, pre, specs, 1, err, errlen);
	const char *id;
	json_t *e;
	json_object_foreach(json_object_get(n, "ethernets"), id, e)
	{
		join(p, sizeof(p), pre, "ethernets");
		char q[700];
		join(q, sizeof(q), p, id);
		rc |= check_ethernet(e, q, err, errlen);
	}
	return rc;
}

/* ---- conversion ---- */

struct conv {
	struct proto_cc_result *r;
	int oom;
};

static void skip(struct conv *c, const char *item, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void skip(struct conv *c, const char *item, const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (json_array_append_new(c->r->skipped,
	                          json_pack("{s:s, s:s}", "item", item, "reason", reason)) < 0)
		c->oom = 1;
}

static void origin(struct conv *c, const char *docpath, enum proto_cc_source src, const char *path)
{
	if (json_object_set_new(c->r->origin, docpath, json_pack("[i, s]", (int)src, path)) < 0)
		c->oom = 1;
}

#define NEEDS "not applied: needs cloud-init"

static void set(struct conv *c, json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		c->oom = 1;
}

/* hostname and fqdn as cloud-init derives them (util.get_hostname_fqdn):
 * fqdn wins, a dotted hostname is an fqdn, and without either meta-data's
 * local-hostname is used the same way. */
static void convert_hostname(struct conv *c, const json_t *cc, const json_t *md)
{
	json_t *h = json_object_get(cc, "hostname"), *f = json_object_get(cc, "fqdn");
	enum proto_cc_source src = PROTO_CC_USER_DATA;
	const char *hpath = "hostname", *fpath = "fqdn";
	if (json_is_true(json_object_get(cc, "preserve_hostname"))) {
		if (h || f)
			skip(c, "hostname", "not applied: preserve_hostname is true");
		return;
	}
	if (!h && !f && json_is_string(json_object_get(md, "local-hostname"))) {
		h = json_object_get(md, "local-hostname");
		src = PROTO_CC_META_DATA;
		hpath = "local-hostname";
	}
	if (!f && h && strchr(json_string_value(h), '.') != json_string_value(h) &&
	    strchr(json_string_value(h), '.')) {
		f = h;
		fpath = hpath;
		h = NULL;
	}
	if (!h && !f)
		return;
	if (h) {
		set(c, c->r->doc, "hostname", json_incref(h));
		origin(c, "hostname", src, hpath);
	} else {
		const char *fq = json_string_value(f);
		set(c, c->r->doc, "hostname", json_stringn(fq, strcspn(fq, ".")));
		origin(c, "hostname", src, fpath);
	}
	if (f) {
		set(c, c->r->doc, "fqdn", json_incref(f));
		origin(c, "fqdn", src, fpath);
	}
}

/* The document's users entry for name, made when missing. */
static json_t *doc_user(struct conv *c, const char *name, const char *src)
{
	json_t *users = json_object_get(c->r->doc, "users");
	if (!users) {
		users = json_array();
		set(c, c->r->doc, "users", users);
	}
	size_t i;
	json_t *u;
	json_array_foreach(users, i, u)
	{
		if (strcmp(json_string_value(json_object_get(u, "name")), name) == 0)
			return u;
	}
	u = json_pack("{s:s, s:[]}", "name", name, "ssh_authorized_keys");
	if (!u || json_array_append_new(users, u) < 0) {
		c->oom = 1;
		return NULL;
	}
	char dp[64];
	index_of(dp, sizeof(dp), "users", json_array_size(users) - 1);
	origin(c, dp, PROTO_CC_USER_DATA, src);
	return u;
}

/* Keys added to a user, each once, in order. */
static void add_keys(struct conv *c, json_t *u, const json_t *keys)
{
	json_t *have = json_object_get(u, "ssh_authorized_keys");
	size_t i, j;
	json_t *k, *h;
	json_array_foreach(keys, i, k)
	{
		int dup = 0;
		json_array_foreach(have, j, h) dup |= json_equal(h, k);
		if (!dup && json_array_append(have, k) < 0)
			c->oom = 1;
	}
}

/* The distribution's default user: cloud-init knows it from its system
 * configuration; here only when the cloud-config names it. */
static const char *default_user(const json_t *cc)
{
	json_t *du = json_object_get(json_object_get(cc, "system_info"), "default_user");
	return json_string_value(json_object_get(du, "name"));
}

static void convert_user(struct conv *c, const json_t *cc, const json_t *u, size_t i)
{
	char p[64], item[640];
	index_of(p, sizeof(p), "users", i);
	if (json_is_string(u) && strcmp(json_string_value(u), "default") == 0) {
		if (!default_user(cc))
			skip(c, p, NEEDS " (the distribution's default user)");
		return;
	}
	const char *name = json_string_value(json_is_object(u) ? json_object_get(u, "name") : u);
	if (!json_is_object(u) || !name) {
		skip(c, p, NEEDS " (creates the account)");
		return;
	}
	json_t *keys = json_object_get(u, "ssh_authorized_keys");
	if (!keys) {
		skip(c, p, NEEDS " (creates account %.64s)", name);
	} else {
		json_t *du = doc_user(c, name, p);
		if (du)
			add_keys(c, du, keys);
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)u, k, v)
	{
		if (strcmp(k, "name") == 0 || strcmp(k, "ssh_authorized_keys") == 0)
			continue;
		join(item, sizeof(item), p, k);
		skip(c, item, NEEDS);
	}
}

static void convert_users(struct conv *c, const json_t *cc)
{
	json_t *users = json_object_get(cc, "users");
	if (json_is_array(users)) {
		size_t i;
		json_t *u;
		json_array_foreach(users, i, u) convert_user(c, cc, u, i);
	} else if (users) {
		skip(c, "users", NEEDS " (users given as %s)",
		     json_is_string(users) ? "a string" : "a mapping");
	}
	json_t *keys = json_object_get(cc, "ssh_authorized_keys");
	if (!keys)
		return;
	const char *who = default_user(cc);
	if (!who && json_is_false(json_object_get(cc, "disable_root")))
		who = "root";
	if (!who) {
		skip(c, "ssh_authorized_keys",
		     NEEDS ": these keys are the default user's, and only cloud-init knows who "
		           "that is (name it in system_info.default_user.name)");
		return;
	}
	json_t *du = doc_user(c, who, "ssh_authorized_keys");
	if (du)
		add_keys(c, du, keys);
}

static void convert_files(struct conv *c, const json_t *cc)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(cc, "write_files"), i, f)
	{
		char p[64], item[600];
		index_of(p, sizeof(p), "write_files", i);
		const char *path = json_string_value(json_object_get(f, "path"));
		snprintf(item, sizeof(item), "%s (%.400s)", p, path ? path : "?");
		const char *enc = json_string_value(json_object_get(f, "encoding"));
		if (enc && strncmp(enc, "gz", 2) == 0) {
			skip(c, item, NEEDS " (encoding %s)", enc);
			continue;
		}
		if (json_is_true(json_object_get(f, "append"))) {
			skip(c, item, NEEDS " (append: true; the agent writes whole files)");
			continue;
		}
		json_t *files = json_object_get(c->r->doc, "write_files");
		if (!files) {
			files = json_array();
			set(c, c->r->doc, "write_files", files);
		}
		/* cloud-init reads permissions with Python's int(p, 8): "0o644" too */
		json_t *copy = json_copy((json_t *)f);
		const char *perm = json_string_value(json_object_get(f, "permissions"));
		if (copy && perm && perm[0] == '0' && (perm[1] == 'o' || perm[1] == 'O')) {
			char p8[16];
			snprintf(p8, sizeof(p8), "0%.10s", perm + 2);
			json_object_set_new(copy, "permissions", json_string(p8));
		}
		if (!files || !copy || json_array_append_new(files, copy) < 0) {
			c->oom = 1;
			return;
		}
		char dp[64];
		index_of(dp, sizeof(dp), "write_files", json_array_size(files) - 1);
		origin(c, dp, PROTO_CC_USER_DATA, p);
	}
}

/* Keys of the cloud-config used above; every other one is cloud-init's. */
static void skip_the_rest(struct conv *c, const json_t *cc)
{
	static const char *const used[] = {"hostname",   "fqdn",        "preserve_hostname",
	                                   "users",      "write_files", "ssh_authorized_keys",
	                                   "generation", NULL};
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)cc, k, v)
	{
		const char *const *u = used;
		while (*u && strcmp(*u, k) != 0)
			u++;
		if (*u)
			continue;
		if (strcmp(k, "disable_root") == 0 && json_is_false(v) &&
		    json_object_get(cc, "ssh_authorized_keys") && !default_user(cc))
			continue; /* it sent the keys to root */
		if (strcmp(k, "system_info") == 0 && json_object_size(v) == 1 && default_user(cc) &&
		    json_object_size(json_object_get(v, "default_user")) == 1)
			continue; /* only named the default user */
		if (json_is_array(v))
			skip(c, k, NEEDS " (%zu entr%s)", json_array_size(v),
			     json_array_size(v) == 1 ? "y" : "ies");
		else
			skip(c, k, NEEDS);
	}
}

/* What of an interface the agent cannot do: whole interface (1), or
 * single keys reported and left out (0). */
static int interface_unsupported(struct conv *c, const char *item, const json_t *e)
{
	for (const char *const *d = (const char *const[]){"dhcp4", "dhcp6", NULL}; *d; d++)
		if (json_is_true(json_object_get(e, *d))) {
			skip(c, item,
			     "unsupported: %s: true (the agent configures static addresses only; "
			     "DHCP needs cloud-init or the guest's own DHCP client)",
			     *d);
			return 1;
		}
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(e, "match"), k, v)
	{
		if (strcmp(k, "macaddress") != 0) {
			skip(c, item,
			     "unsupported: match.%s (the agent matches an interface by macaddress "
			     "or "
			     "by its id); " NEEDS,
			     k);
			return 1;
		}
	}
	return 0;
}

static json_t *convert_routes(struct conv *c, const json_t *routes, const char *item,
                              const char *src, const char *dst)
{
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(routes, i, r)
	{
		char it[700], sp[700], dp[700];
		index_of(it, sizeof(it), item, i);
		const char *k;
		json_t *v;
		int ok = 1;
		json_object_foreach(r, k, v)
		{
			if (ok && strcmp(k, "to") && strcmp(k, "via") && strcmp(k, "metric")) {
				skip(c, it, NEEDS " (route option %s)", k);
				ok = 0;
			}
		}
		if (!ok)
			continue;
		if (json_array_append(out, r) < 0)
			c->oom = 1;
		index_of(sp, sizeof(sp), src, i);
		index_of(dp, sizeof(dp), dst, json_array_size(out) - 1);
		origin(c, dp, PROTO_CC_NETWORK_CONFIG, sp);
	}
	return out;
}

static void convert_ethernet(struct conv *c, json_t *eths, const char *id, const json_t *e,
                             const char *src)
{
	static const char *const copied[] = {"addresses",   "gateway4", "gateway6", "mtu",
	                                     "nameservers", "dhcp4",    "dhcp6",    NULL};
	char item[600], dst[600];
	snprintf(item, sizeof(item), "network.ethernets.%s", id);
	snprintf(dst, sizeof(dst), "network.ethernets.%s", id);
	if (interface_unsupported(c, item, e))
		return;
	json_t *out = json_object();
	set(c, eths, id, out);
	origin(c, dst, PROTO_CC_NETWORK_CONFIG, src);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)e, k, v)
	{
		char it[700], sp[700], dp[700];
		join(it, sizeof(it), item, k);
		join(sp, sizeof(sp), src, k);
		join(dp, sizeof(dp), dst, k);
		const char *const *cp = copied;
		while (*cp && strcmp(*cp, k) != 0)
			cp++;
		if (strcmp(k, "match") == 0 || *cp) {
			set(c, out, k, json_deep_copy(v));
		} else if (strcmp(k, "routes") == 0) {
			set(c, out, k, convert_routes(c, v, it, sp, dp));
		} else {
			skip(c, it, NEEDS);
		}
	}
	/* netplan's {"addr/prefix": {options}} entries: options need cloud-init */
	json_t *addrs = json_object_get(out, "addresses");
	for (size_t i = 0; i < json_array_size(addrs); i++) {
		json_t *a = json_array_get(addrs, i);
		if (!json_is_object(a))
			continue;
		char it[700];
		snprintf(it, sizeof(it), "%s.addresses[%zu]", item, i);
		skip(c, it, NEEDS " (address options)");
		json_array_set_new(addrs, i,
		                   json_string(json_object_iter_key(json_object_iter(a))));
	}
}

static void convert_network(struct conv *c, const json_t *nc)
{
	const char *pre;
	const json_t *n = network_body(nc, &pre);
	json_t *net = json_pack("{s:i, s:{}}", "version", 2, "ethernets");
	set(c, c->r->doc, "network", net);
	if (!net)
		return;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)n, k, v)
	{
		char item[600], src[600];
		snprintf(item, sizeof(item), "network.%s", k);
		join(src, sizeof(src), pre, k);
		if (strcmp(k, "version") == 0)
			continue;
		if (strcmp(k, "ethernets") != 0) {
			skip(c, item, NEEDS);
			continue;
		}
		const char *id;
		json_t *e;
		json_object_foreach(v, id, e)
		{
			char esrc[700];
			join(esrc, sizeof(esrc), src, id);
			convert_ethernet(c, json_object_get(net, "ethernets"), id, e, esrc);
		}
	}
}

/* meta-data: instance-id, dsmode and local-hostname are cloud-init's own
 * bookkeeping or used above; anything else (public-keys, ...) is not. */
static void convert_meta_data(struct conv *c, const json_t *md)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)md, k, v)
	{
		if (strcmp(k, "instance-id") && strcmp(k, "dsmode") &&
		    strcmp(k, "local-hostname")) {
			char item[300];
			snprintf(item, sizeof(item), "meta-data.%.200s", k);
			skip(c, item, NEEDS);
		}
	}
}

void proto_cc_result_free(struct proto_cc_result *r)
{
	json_decref(r->doc);
	json_decref(r->skipped);
	json_decref(r->origin);
	memset(r, 0, sizeof(*r));
}

int proto_cloud_config_convert(const json_t *cc, const json_t *nc, const json_t *md,
                               struct proto_cc_result *out, char *err, size_t errlen)
{
	out->doc = json_object();
	out->skipped = json_array();
	out->origin = json_object();
	struct conv c = {.r = out, .oom = !out->doc || !out->skipped || !out->origin};
	json_t *g = json_object_get(cc, "generation");
	if (g) {
		set(&c, out->doc, "generation", json_incref(g));
		origin(&c, "generation", PROTO_CC_USER_DATA, "generation");
	}
	convert_hostname(&c, cc, md);
	if (cc) {
		convert_users(&c, cc);
		convert_files(&c, cc);
	}
	if (nc)
		convert_network(&c, nc);
	if (cc)
		skip_the_rest(&c, cc);
	if (md)
		convert_meta_data(&c, md);
	if (c.oom) {
		proto_cc_result_free(out);
		return proto_err_add(err, errlen, "cloud-config: out of memory");
	}
	return 0;
}
