/* document.c - the configuration document (desired state): parsed and
 * validated in one pass into a struct proto_config. Independent parts (each
 * top-level key, each interface, user and file) are all checked, so one
 * pass reports every one that is wrong, one line each; within a part the
 * first problem is reported. */
#include "xenchannel/proto.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_LIST 256
#define MAX_KEY_LEN 16384
#define MAX_CONTENT (192u * 1024u)

int proto_err_add(char *err, size_t errlen, const char *fmt, ...)
{
	/* appended on a line of its own after earlier problems */
	size_t n = strnlen(err, errlen);
	if (n && n + 1 < errlen)
		err[n++] = '\n';
	if (n + 1 >= errlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

int proto_parse_ip(const char *s, int *family, uint8_t *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

int proto_parse_prefix(const char *s, int *family, uint8_t *addr, unsigned *plen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	if (proto_parse_ip(buf, family, addr) < 0)
		return -1;
	const char *p = slash + 1;
	if (!*p || strlen(p) > 3)
		return -1;
	unsigned n = 0;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (n > (*family == AF_INET ? 32u : 128u))
		return -1;
	*plen = n;
	return 0;
}

int proto_parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    (i < 5 && p[2] != ':'))
			return -1;
		char h[3] = {p[0], p[1], 0};
		mac[i] = (uint8_t)strtoul(h, NULL, 16);
	}
	return 0;
}

/* RFC 1123 host name label(s); dots allowed when fqdn is set. */
static int valid_hostname(const char *s, int fqdn)
{
	size_t n = strlen(s);
	if (n == 0 || n > (fqdn ? 253u : 63u))
		return 0;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (!fqdn || label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-') || (label == 0 && c == '-') || ++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

static int valid_ifname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return 0;
	return 1;
}

static int valid_username(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(islower(c) || isdigit(c) || c == '_' || c == '-' || c == '.' ||
		      (c == '$' && i == n - 1)))
			return 0;
	}
	return 1;
}

/* Absolute, no empty / "." / ".." components, printable, bounded. */
static int valid_path(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 4095 || s[0] != '/' || s[n - 1] == '/')
		return 0;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	const char *p = s;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t l = (size_t)(e - p);
		if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (l == 0 && *e == '/')
			return 0;
		p = e;
	}
	return strstr(s, "//") == NULL;
}

static int only_keys(const json_t *o, const char *where, const char *const *allowed, char *err,
                     size_t errlen)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, k) == 0)
				ok = 1;
		if (!ok)
			return proto_err_add(err, errlen, "%s%s%s: unknown key", where,
			                     *where ? "." : "", k);
	}
	return 0;
}

static int string_list(const json_t *a, const char *where, size_t maxlen, char *err, size_t errlen)
{
	if (!json_is_array(a))
		return proto_err_add(err, errlen, "%s: not a list", where);
	if (json_array_size(a) > MAX_LIST)
		return proto_err_add(err, errlen, "%s: more than %d entries", where, MAX_LIST);
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return proto_err_add(err, errlen, "%s[%zu]: not a string", where, i);
		if (json_string_length(v) == 0 || json_string_length(v) > maxlen)
			return proto_err_add(err, errlen, "%s[%zu]: length %zu, want 1..%zu", where,
			                     i, json_string_length(v), maxlen);
		if (memchr(json_string_value(v), 0, json_string_length(v)))
			return proto_err_add(err, errlen, "%s[%zu]: contains a NUL byte", where, i);
	}
	return 0;
}

static int oom(char *err, size_t errlen)
{
	return proto_err_add(err, errlen, "document: out of memory");
}

/* calloc that never returns NULL for an empty list. */
static void *alloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static int dup_string(const json_t *v, char **dst, char *err, size_t errlen)
{
	*dst = strdup(json_string_value(v));
	return *dst ? 0 : oom(err, errlen);
}

/* Copies of the strings of a list that string_list() accepted. */
static int dup_strings(const json_t *a, char ***out, size_t *n, char *err, size_t errlen)
{
	if (!(*out = alloc_array(json_array_size(a), sizeof(**out))))
		return oom(err, errlen);
	*n = json_array_size(a);
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (dup_string(v, &(*out)[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int parse_ip(const json_t *v, const char *where, int want_family, struct proto_addr *out,
                    char *err, size_t errlen)
{
	if (!json_is_string(v) || proto_parse_ip(json_string_value(v), &out->family, out->addr) < 0)
		return proto_err_add(err, errlen, "%s: not an IP address", where);
	if (want_family && out->family != want_family)
		return proto_err_add(err, errlen, "%s: not an %s address", where,
		                     want_family == AF_INET ? "IPv4" : "IPv6");
	snprintf(out->text, sizeof(out->text), "%s", json_string_value(v));
	return 0;
}

/* match.macaddress, or an id that is an interface name. */
static int parse_match(const json_t *e, const char *w, struct proto_ethernet *eth, char *err,
                       size_t errlen)
{
	static const char *const mkeys[] = {"macaddress", NULL};
	char w2[256];
	json_t *m = json_object_get(e, "match");
	if (!m) {
		if (!valid_ifname(eth->id))
			return proto_err_add(
			    err, errlen,
			    "%s: without match.macaddress the id must be an interface name", w);
		return 0;
	}
	snprintf(w2, sizeof(w2), "%s.match", w);
	if (!json_is_object(m))
		return proto_err_add(err, errlen, "%s: not a mapping", w2);
	if (only_keys(m, w2, mkeys, err, errlen) < 0)
		return -1;
	json_t *mac = json_object_get(m, "macaddress");
	if (!mac || !json_is_string(mac) || proto_parse_mac(json_string_value(mac), eth->mac) < 0)
		return proto_err_add(err, errlen, "%s.macaddress: want xx:xx:xx:xx:xx:xx", w2);
	eth->has_mac = 1;
	snprintf(eth->mac_text, sizeof(eth->mac_text), "%s", json_string_value(mac));
	return 0;
}

static int parse_addresses(const json_t *a, const char *w, struct proto_ethernet *eth, char *err,
                           size_t errlen)
{
	char w2[256];
	snprintf(w2, sizeof(w2), "%s.addresses", w);
	if (string_list(a, w2, 64, err, errlen) < 0)
		return -1;
	if (!(eth->addrs = alloc_array(json_array_size(a), sizeof(*eth->addrs))))
		return oom(err, errlen);
	eth->naddrs = json_array_size(a);
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		struct proto_addr *d = &eth->addrs[i];
		if (proto_parse_prefix(json_string_value(v), &d->family, d->addr, &d->plen) < 0)
			return proto_err_add(err, errlen,
			                     "%s[%zu]: \"%s\" is not an address/prefix", w2, i,
			                     json_string_value(v));
		snprintf(d->text, sizeof(d->text), "%s", json_string_value(v));
	}
	return 0;
}

static int parse_route(const json_t *v, const char *w2, struct proto_route *rt, char *err,
                       size_t errlen)
{
	static const char *const rkeys[] = {"to", "via", "metric", NULL};
	if (!json_is_object(v))
		return proto_err_add(err, errlen, "%s: not a mapping", w2);
	if (only_keys(v, w2, rkeys, err, errlen) < 0)
		return -1;
	json_t *to = json_object_get(v, "to"), *via = json_object_get(v, "via");
	if (!json_is_string(to) || (strcmp(json_string_value(to), "default") != 0 &&
	                            proto_parse_prefix(json_string_value(to), &rt->to.family,
	                                               rt->to.addr, &rt->to.plen) < 0))
		return proto_err_add(err, errlen, "%s.to: want \"default\" or address/prefix", w2);
	if (!json_is_string(via) ||
	    proto_parse_ip(json_string_value(via), &rt->via.family, rt->via.addr) < 0)
		return proto_err_add(err, errlen, "%s.via: not an IP address", w2);
	if (rt->to.family && rt->to.family != rt->via.family)
		return proto_err_add(err, errlen, "%s: to and via are of different families", w2);
	json_t *met = json_object_get(v, "metric");
	if (met && (!json_is_integer(met) || json_integer_value(met) < 0 ||
	            json_integer_value(met) > 0xffffffffLL))
		return proto_err_add(err, errlen, "%s.metric: want an integer >= 0", w2);
	rt->metric = met ? (uint32_t)json_integer_value(met) : 0;
	snprintf(rt->to.text, sizeof(rt->to.text), "%s", json_string_value(to));
	snprintf(rt->via.text, sizeof(rt->via.text), "%s", json_string_value(via));
	return 0;
}

static int parse_routes(const json_t *r, const char *w, struct proto_ethernet *eth, char *err,
                        size_t errlen)
{
	if (!json_is_array(r) || json_array_size(r) > MAX_LIST)
		return proto_err_add(err, errlen, "%s.routes: not a list (max %d)", w, MAX_LIST);
	if (!(eth->routes = alloc_array(json_array_size(r), sizeof(*eth->routes))))
		return oom(err, errlen);
	eth->nroutes = json_array_size(r);
	size_t i;
	json_t *v;
	json_array_foreach(r, i, v)
	{
		char w2[256];
		snprintf(w2, sizeof(w2), "%s.routes[%zu]", w, i);
		if (parse_route(v, w2, &eth->routes[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int parse_nameservers(const json_t *ns, const char *w, struct proto_ethernet *eth, char *err,
                             size_t errlen)
{
	static const char *const nkeys[] = {"addresses", "search", NULL};
	char w2[256], w3[384];
	size_t i;
	json_t *v;
	snprintf(w2, sizeof(w2), "%s.nameservers", w);
	if (!json_is_object(ns))
		return proto_err_add(err, errlen, "%s: not a mapping", w2);
	if (only_keys(ns, w2, nkeys, err, errlen) < 0)
		return -1;
	json_t *na = json_object_get(ns, "addresses");
	if (na) {
		snprintf(w3, sizeof(w3), "%s.addresses", w2);
		if (string_list(na, w3, 64, err, errlen) < 0)
			return -1;
		if (!(eth->dns = alloc_array(json_array_size(na), sizeof(*eth->dns))))
			return oom(err, errlen);
		eth->ndns = json_array_size(na);
		json_array_foreach(na, i, v)
		{
			char w4[512];
			snprintf(w4, sizeof(w4), "%s[%zu]", w3, i);
			if (parse_ip(v, w4, 0, &eth->dns[i], err, errlen) < 0)
				return -1;
		}
	}
	json_t *se = json_object_get(ns, "search");
	if (se) {
		snprintf(w3, sizeof(w3), "%s.search", w2);
		if (string_list(se, w3, 253, err, errlen) < 0)
			return -1;
		json_array_foreach(se, i, v)
		{
			if (!valid_hostname(json_string_value(v), 1))
				return proto_err_add(err, errlen, "%s[%zu]: not a domain name", w3,
				                     i);
		}
		if (dup_strings(se, &eth->search, &eth->nsearch, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int parse_ethernet(const char *id, const json_t *e, struct proto_ethernet *eth, char *err,
                          size_t errlen)
{
	static const char *const keys[] = {"match",  "addresses",   "gateway4", "gateway6",
	                                   "routes", "nameservers", "mtu",      "dhcp4",
	                                   "dhcp6",  NULL};
	char w[128], w2[256];
	snprintf(w, sizeof(w), "network.ethernets.%s", id);
	if (!json_is_object(e))
		return proto_err_add(err, errlen, "%s: not a mapping", w);
	if (only_keys(e, w, keys, err, errlen) < 0)
		return -1;
	if (!(eth->id = strdup(id)))
		return oom(err, errlen);
	if (parse_match(e, w, eth, err, errlen) < 0)
		return -1;
	for (const char *const *d = (const char *const[]){"dhcp4", "dhcp6", NULL}; *d; d++) {
		json_t *v = json_object_get(e, *d);
		if (v && !json_is_false(v))
			return proto_err_add(err, errlen,
			                     "%s.%s: only static addressing is supported (false)",
			                     w, *d);
	}
	json_t *a = json_object_get(e, "addresses");
	if (a && parse_addresses(a, w, eth, err, errlen) < 0)
		return -1;
	json_t *g = json_object_get(e, "gateway4");
	snprintf(w2, sizeof(w2), "%s.gateway4", w);
	if (g && parse_ip(g, w2, AF_INET, &eth->gateway4, err, errlen) < 0)
		return -1;
	g = json_object_get(e, "gateway6");
	snprintf(w2, sizeof(w2), "%s.gateway6", w);
	if (g && parse_ip(g, w2, AF_INET6, &eth->gateway6, err, errlen) < 0)
		return -1;
	json_t *mtu = json_object_get(e, "mtu");
	if (mtu && (!json_is_integer(mtu) || json_integer_value(mtu) < 68 ||
	            json_integer_value(mtu) > 65535))
		return proto_err_add(err, errlen, "%s.mtu: want an integer 68..65535", w);
	eth->mtu = mtu ? (unsigned)json_integer_value(mtu) : 0;
	json_t *r = json_object_get(e, "routes");
	if (r && parse_routes(r, w, eth, err, errlen) < 0)
		return -1;
	json_t *ns = json_object_get(e, "nameservers");
	if (ns && parse_nameservers(ns, w, eth, err, errlen) < 0)
		return -1;
	return 0;
}

static int parse_network(const json_t *n, struct proto_config *c, char *err, size_t errlen)
{
	static const char *const keys[] = {"version", "ethernets", NULL};
	if (!json_is_object(n))
		return proto_err_add(err, errlen, "network: not a mapping");
	if (only_keys(n, "network", keys, err, errlen) < 0)
		return -1;
	json_t *v = json_object_get(n, "version");
	if (v && (!json_is_integer(v) || json_integer_value(v) != 2))
		return proto_err_add(err, errlen, "network.version: only version 2 is supported");
	json_t *eth = json_object_get(n, "ethernets");
	if (!eth)
		return 0;
	if (!json_is_object(eth) || json_object_size(eth) > 64)
		return proto_err_add(err, errlen,
		                     "network.ethernets: not a mapping (max 64 entries)");
	c->has_ethernets = 1;
	if (!(c->ethernets = alloc_array(json_object_size(eth), sizeof(*c->ethernets))))
		return oom(err, errlen);
	c->nethernets = json_object_size(eth);
	size_t i = 0;
	const char *id;
	json_t *e;
	int rc = 0;
	json_object_foreach(eth, id, e)
	{
		if (strlen(id) == 0 || strlen(id) > 64)
			rc = proto_err_add(err, errlen,
			                   "network.ethernets: id length must be 1..64");
		else if (parse_ethernet(id, e, &c->ethernets[i++], err, errlen) < 0)
			rc = -1;
	}
	return rc;
}

static int parse_user(const json_t *u, size_t i, const json_t *v, struct proto_user *pu, char *err,
                      size_t errlen)
{
	static const char *const keys[] = {"name", "ssh_authorized_keys", NULL};
	char w[64];
	snprintf(w, sizeof(w), "users[%zu]", i);
	if (!json_is_object(v))
		return proto_err_add(err, errlen, "%s: not a mapping", w);
	if (only_keys(v, w, keys, err, errlen) < 0)
		return -1;
	json_t *name = json_object_get(v, "name");
	if (!json_is_string(name) || !valid_username(json_string_value(name)))
		return proto_err_add(err, errlen, "%s.name: missing or not a valid user name", w);
	for (size_t j = 0; j < i; j++)
		if (json_equal(json_object_get(json_array_get(u, j), "name"), name))
			return proto_err_add(err, errlen, "%s.name: user \"%s\" listed twice", w,
			                     json_string_value(name));
	if (dup_string(name, &pu->name, err, errlen) < 0)
		return -1;
	json_t *k = json_object_get(v, "ssh_authorized_keys");
	if (!k)
		return 0;
	char w2[96];
	snprintf(w2, sizeof(w2), "%s.ssh_authorized_keys", w);
	if (string_list(k, w2, MAX_KEY_LEN, err, errlen) < 0)
		return -1;
	size_t j;
	json_t *key;
	json_array_foreach(k, j, key)
	{
		if (strpbrk(json_string_value(key), "\r\n"))
			return proto_err_add(err, errlen, "%s[%zu]: a key must be one line", w2, j);
	}
	pu->has_keys = 1;
	return dup_strings(k, &pu->keys, &pu->nkeys, err, errlen);
}

static int parse_users(const json_t *u, struct proto_config *c, char *err, size_t errlen)
{
	if (!json_is_array(u) || json_array_size(u) > MAX_LIST)
		return proto_err_add(err, errlen, "users: not a list (max %d)", MAX_LIST);
	if (!(c->users = alloc_array(json_array_size(u), sizeof(*c->users))))
		return oom(err, errlen);
	c->nusers = json_array_size(u);
	size_t i;
	json_t *v;
	int rc = 0;
	json_array_foreach(u, i, v)
	{
		if (parse_user(u, i, v, &c->users[i], err, errlen) < 0)
			rc = -1;
	}
	return rc;
}

static int valid_owner(const char *s)
{
	char buf[80];
	if (strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	char *colon = strchr(buf, ':');
	if (colon)
		*colon = 0;
	if (!valid_username(buf))
		return 0;
	return !colon || valid_username(colon + 1);
}

/* Standard base64 (RFC 4648); decoding stops at the first '='. Returns the
 * decoded length, or -1 at a byte outside the alphabet. */
static long b64_decode(const char *in, size_t n, uint8_t *out)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	long o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && in[i] != '='; i++) {
		const char *p = in[i] ? strchr(alpha, in[i]) : NULL;
		if (!p)
			return -1;
		acc = acc << 6 | (uint32_t)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

/* content and encoding: checked, then kept as the bytes to write. */
static int parse_content(const json_t *c, const json_t *enc, const char *w, struct proto_file *pf,
                         char *err, size_t errlen)
{
	int b64 = enc && strcmp(json_string_value(enc), "text/plain") != 0;
	size_t n = c ? json_string_length(c) : 0;
	const char *s = c ? json_string_value(c) : "";
	if (c && b64) {
		if (n % 4 != 0)
			return proto_err_add(err, errlen,
			                     "%s.content: base64 length is not a multiple of 4", w);
		/* '=' only as the padding that ends the text. */
		for (size_t j = 0; j < n; j++)
			if (!(isalnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '/' ||
			      (s[j] == '=' && j >= n - 2 && (j == n - 1 || s[j + 1] == '='))))
				return proto_err_add(err, errlen,
				                     "%s.content: not base64 at byte %zu", w, j);
	} else if (c && memchr(s, 0, n)) {
		return proto_err_add(err, errlen,
		                     "%s.content: contains a NUL byte (use encoding b64)", w);
	}
	if (!(pf->data = malloc(b64 ? n / 4 * 3 + 1 : n + 1)))
		return oom(err, errlen);
	if (b64) {
		long len = b64_decode(s, n, pf->data);
		if (len < 0)
			return proto_err_add(err, errlen, "%s.content: invalid base64", w);
		pf->len = (size_t)len;
	} else {
		memcpy(pf->data, s, n);
		pf->len = n;
	}
	return 0;
}

static int parse_file(const json_t *f, size_t i, const json_t *v, struct proto_file *pf, char *err,
                      size_t errlen)
{
	static const char *const keys[] = {"path",     "content", "permissions", "owner",
	                                   "encoding", "append",  "defer",       NULL};
	char w[64];
	snprintf(w, sizeof(w), "write_files[%zu]", i);
	if (!json_is_object(v))
		return proto_err_add(err, errlen, "%s: not a mapping", w);
	if (only_keys(v, w, keys, err, errlen) < 0)
		return -1;
	json_t *p = json_object_get(v, "path");
	if (!json_is_string(p) || !valid_path(json_string_value(p)))
		return proto_err_add(
		    err, errlen, "%s.path: want an absolute path without '.', '..' or empty parts",
		    w);
	for (size_t j = 0; j < i; j++)
		if (json_equal(json_object_get(json_array_get(f, j), "path"), p))
			return proto_err_add(err, errlen, "%s.path: \"%s\" listed twice", w,
			                     json_string_value(p));
	json_t *c = json_object_get(v, "content");
	if (c && (!json_is_string(c) || json_string_length(c) > MAX_CONTENT))
		return proto_err_add(err, errlen, "%s.content: want a string of at most %u bytes",
		                     w, MAX_CONTENT);
	json_t *enc = json_object_get(v, "encoding");
	if (enc && (!json_is_string(enc) || (strcmp(json_string_value(enc), "text/plain") != 0 &&
	                                     strcmp(json_string_value(enc), "b64") != 0 &&
	                                     strcmp(json_string_value(enc), "base64") != 0)))
		return proto_err_add(err, errlen, "%s.encoding: want text/plain, b64 or base64", w);
	if (parse_content(c, enc, w, pf, err, errlen) < 0)
		return -1;
	json_t *perm = json_object_get(v, "permissions");
	pf->mode = 0644;
	if (perm) {
		const char *s = json_is_string(perm) ? json_string_value(perm) : "";
		char *end;
		unsigned long m = strtoul(s, &end, 8);
		if (!*s || *end || m > 07777 || strlen(s) > 5)
			return proto_err_add(
			    err, errlen, "%s.permissions: want an octal string like \"0644\"", w);
		pf->mode = (unsigned)m;
	}
	json_t *own = json_object_get(v, "owner");
	if (own && (!json_is_string(own) || !valid_owner(json_string_value(own))))
		return proto_err_add(err, errlen, "%s.owner: want \"user\" or \"user:group\"", w);
	json_t *ap = json_object_get(v, "append");
	if (ap && !json_is_false(ap))
		return proto_err_add(err, errlen,
		                     "%s.append: only false is supported (desired state)", w);
	json_t *df = json_object_get(v, "defer");
	if (df && !json_is_boolean(df))
		return proto_err_add(err, errlen, "%s.defer: want true or false", w);
	if (!(pf->path = strdup(json_string_value(p))) ||
	    !(pf->owner = strdup(own ? json_string_value(own) : "root:root")))
		return oom(err, errlen);
	return 0;
}

static int parse_files(const json_t *f, struct proto_config *c, char *err, size_t errlen)
{
	if (!json_is_array(f) || json_array_size(f) > MAX_LIST)
		return proto_err_add(err, errlen, "write_files: not a list (max %d)", MAX_LIST);
	if (!(c->files = alloc_array(json_array_size(f), sizeof(*c->files))))
		return oom(err, errlen);
	c->nfiles = json_array_size(f);
	size_t i;
	json_t *v;
	int rc = 0;
	json_array_foreach(f, i, v)
	{
		if (parse_file(f, i, v, &c->files[i], err, errlen) < 0)
			rc = -1;
	}
	return rc;
}

const char *const proto_seed_names[PROTO_SEED_NFILES] = {
    [PROTO_SEED_META_DATA] = "meta-data",
    [PROTO_SEED_USER_DATA] = "user-data",
    [PROTO_SEED_NETWORK_CONFIG] = "network-config",
    [PROTO_SEED_VENDOR_DATA] = "vendor-data",
};

/* The NoCloud seed: file name -> text. cloud-init needs meta-data and
 * user-data (either may be empty); what they say is cloud-init's business,
 * checked by the host (xenchannel provision --nocloud). */
static int parse_nocloud(const json_t *n, struct proto_config *c, char *err, size_t errlen)
{
	if (!json_is_object(n))
		return proto_err_add(err, errlen, "nocloud: not a mapping");
	static const char *const keys[] = {"meta-data", "user-data", "network-config",
	                                   "vendor-data", NULL};
	if (only_keys(n, "nocloud", keys, err, errlen) < 0)
		return -1;
	for (int i = 0; i < PROTO_SEED_NFILES; i++) {
		json_t *v = json_object_get(n, proto_seed_names[i]);
		if (!v) {
			if (i == PROTO_SEED_META_DATA || i == PROTO_SEED_USER_DATA)
				return proto_err_add(err, errlen,
				                     "nocloud.%s: missing (cloud-init needs it)",
				                     proto_seed_names[i]);
			continue;
		}
		if (!json_is_string(v) || json_string_length(v) > PROTO_SEED_MAX)
			return proto_err_add(err, errlen,
			                     "nocloud.%s: want a string of at most %u bytes",
			                     proto_seed_names[i], PROTO_SEED_MAX);
		if (memchr(json_string_value(v), 0, json_string_length(v)))
			return proto_err_add(err, errlen, "nocloud.%s: contains a NUL byte",
			                     proto_seed_names[i]);
		c->seed_len[i] = json_string_length(v);
		if (!(c->seed[i] = malloc(c->seed_len[i] + 1)))
			return oom(err, errlen);
		memcpy(c->seed[i], json_string_value(v), c->seed_len[i] + 1);
	}
	c->has_seed = 1;
	return 0;
}

static int parse_document(const json_t *doc, struct proto_config *c, char *err, size_t errlen)
{
	static const char *const keys[] = {"generation", "hostname",    "fqdn",    "network",
	                                   "users",      "write_files", "nocloud", NULL};
	if (!json_is_object(doc))
		return proto_err_add(err, errlen, "document: not a mapping");
	int rc = only_keys(doc, "", keys, err, errlen);
	json_t *g = json_object_get(doc, "generation");
	if (!json_is_integer(g) || json_integer_value(g) < 1)
		rc = proto_err_add(err, errlen, "generation: missing or not an integer >= 1");
	else
		c->generation = json_integer_value(g);
	json_t *h = json_object_get(doc, "hostname");
	if (h && (!json_is_string(h) || !valid_hostname(json_string_value(h), 0)))
		rc = proto_err_add(err, errlen,
		                   "hostname: not a host name (letters, digits, '-', max 63)");
	else if (h && dup_string(h, &c->hostname, err, errlen) < 0)
		return -1;
	json_t *fq = json_object_get(doc, "fqdn");
	if (fq && (!json_is_string(fq) || !valid_hostname(json_string_value(fq), 1)))
		rc = proto_err_add(err, errlen, "fqdn: not a domain name");
	else if (fq && !h)
		rc = proto_err_add(err, errlen, "fqdn: given without hostname");
	else if (fq && dup_string(fq, &c->fqdn, err, errlen) < 0)
		return -1;
	json_t *n = json_object_get(doc, "network");
	if (n && parse_network(n, c, err, errlen) < 0)
		rc = -1;
	json_t *u = json_object_get(doc, "users");
	if (u && parse_users(u, c, err, errlen) < 0)
		rc = -1;
	json_t *f = json_object_get(doc, "write_files");
	if (f && parse_files(f, c, err, errlen) < 0)
		rc = -1;
	json_t *nc = json_object_get(doc, "nocloud");
	if (nc && parse_nocloud(nc, c, err, errlen) < 0)
		rc = -1;
	return rc;
}

int proto_config_parse(const json_t *doc, struct proto_config *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (errlen)
		err[0] = 0;
	if (parse_document(doc, c, err, errlen) < 0) {
		proto_config_free(c);
		return -1;
	}
	return 0;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void proto_config_free(struct proto_config *c)
{
	for (size_t i = 0; i < c->nethernets; i++) {
		struct proto_ethernet *e = &c->ethernets[i];
		free(e->id);
		free(e->addrs);
		free(e->routes);
		free(e->dns);
		free_strings(e->search, e->nsearch);
	}
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free_strings(c->users[i].keys, c->users[i].nkeys);
	}
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].data);
		free(c->files[i].owner);
	}
	free(c->ethernets);
	free(c->users);
	free(c->files);
	free(c->hostname);
	free(c->fqdn);
	for (int i = 0; i < PROTO_SEED_NFILES; i++)
		free(c->seed[i]);
	memset(c, 0, sizeof(*c));
}

int proto_config_validate(const json_t *doc, char *err, size_t errlen)
{
	struct proto_config c;
	if (proto_config_parse(doc, &c, err, errlen) < 0)
		return -1;
	proto_config_free(&c);
	return 0;
}
