/* apply-network.c - network (cloud-init v2 subset): interfaces matched by MAC
 * (or name), MTU, link up, addresses, routes, through rtnetlink (netlink.c);
 * name servers to /etc/resolv.conf (or a systemd-resolved drop-in). */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Is x one of the n addresses in set? */
static int addr_in(const struct proto_addr *x, const struct proto_addr *set, size_t n)
{
	size_t alen = x->family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		if (set[i].family == x->family && set[i].plen == x->plen &&
		    memcmp(set[i].addr, x->addr, alen) == 0)
			return 1;
	return 0;
}

/* One route; returns 1 added, 0 already there, -errno on failure. */
static int ensure_route(int fd, int index, const struct proto_route *rt)
{
	int rc = nl_add_route(fd, index, rt);
	if (rc == -EEXIST)
		return 0;
	return rc < 0 ? rc : 1;
}

/* The link the entry names, exactly one. Returns 0, or -1 after reporting. */
static int find_one_link(struct agent *a, int fd, const struct proto_ethernet *e, const char *item,
                         json_t *items, struct nl_link *l)
{
	struct nl_link_search s = {0};
	if (e->has_mac)
		s.mac = e->mac;
	else
		s.name = e->id;
	const char *what = e->has_mac ? e->mac_text : e->id;
	int rc = nl_find_link(fd, &s);
	if (rc < 0 || s.matches == 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "no interface %s %s",
		            e->has_mac ? "with MAC" : "named", what);
		return -1;
	}
	if (s.matches > 1) {
		item_result(a, items, item, PROTO_RES_FAILED, "%d interfaces match %s", s.matches,
		            what);
		return -1;
	}
	*l = s.found;
	return 0;
}

/* Addresses: remove the global ones not wanted FIRST, then add the missing
 * ones. The other order loses addresses: with the kernel's default
 * promote_secondaries=0, deleting a subnet's primary address also deletes
 * every secondary of that subnet, including one just added. The list is read
 * again after removals for the same reason. Returns 1 changed, 0 not, -1
 * after reporting a failure. */
static int sync_addrs(struct agent *a, int fd, const struct proto_ethernet *e,
                      const struct nl_link *l, const char *item, json_t *items)
{
	size_t nwant = e->naddrs < NL_MAX_ADDRS ? e->naddrs : NL_MAX_ADDRS;
	struct nl_addr_list have;
	int changed = 0, removed = 0;
	int rc = nl_list_addrs(fd, l->index, &have);
	if (rc < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s: list addresses: %s", l->name,
		            strerror(-rc));
		return -1;
	}
	for (size_t j = 0; j < have.n; j++) {
		if (addr_in(&have.v[j], e->addrs, nwant))
			continue;
		rc = nl_del_addr(fd, l->index, &have.v[j]);
		if (rc < 0 && rc != -EADDRNOTAVAIL) {
			item_result(a, items, item, PROTO_RES_FAILED,
			            "%s: remove an old address: %s", l->name, strerror(-rc));
			return -1;
		}
		removed = changed = 1;
	}
	if (removed && (rc = nl_list_addrs(fd, l->index, &have)) < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s: list addresses: %s", l->name,
		            strerror(-rc));
		return -1;
	}
	for (size_t i = 0; i < nwant; i++) {
		if (addr_in(&e->addrs[i], have.v, have.n))
			continue;
		rc = nl_add_addr(fd, l->index, &e->addrs[i]);
		if (rc < 0 && rc != -EEXIST) {
			item_result(a, items, item, PROTO_RES_FAILED, "%s: add address %s: %s",
			            l->name, e->addrs[i].text, strerror(-rc));
			return -1;
		}
		changed = 1;
	}
	return changed;
}

/* Routes: gateway4/6 are default routes; then the routes list. Returns 1
 * changed, 0 not, -1 after reporting a failure. */
static int sync_routes(struct agent *a, int fd, const struct proto_ethernet *e,
                       const struct nl_link *l, const char *item, json_t *items)
{
	const struct proto_addr *gws[2] = {&e->gateway4, &e->gateway6};
	static const char *const gw_names[2] = {"gateway4", "gateway6"};
	int changed = 0, rc;
	for (int g = 0; g < 2; g++) {
		if (!gws[g]->family)
			continue;
		struct proto_route def = {.via = *gws[g]};
		rc = ensure_route(fd, l->index, &def);
		if (rc < 0) {
			item_result(a, items, item, PROTO_RES_FAILED, "%s: %s route: %s", l->name,
			            gw_names[g], strerror(-rc));
			return -1;
		}
		changed |= rc;
	}
	for (size_t i = 0; i < e->nroutes; i++) {
		rc = ensure_route(fd, l->index, &e->routes[i]);
		if (rc < 0) {
			item_result(a, items, item, PROTO_RES_FAILED, "%s: routes[%zu]: %s",
			            l->name, i, strerror(-rc));
			return -1;
		}
		changed |= rc;
	}
	return changed;
}

static void one_ethernet(struct agent *a, int fd, const struct proto_ethernet *e, json_t *items)
{
	char item[128];
	snprintf(item, sizeof(item), "network.ethernets.%s", e->id);
	if (!a->kernel) {
		item_result(a, items, item, PROTO_RES_FAILED,
		            "kernel changes are off (--kernel off); interfaces not configured");
		return;
	}
	if (fd < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "rtnetlink: %s", strerror(-fd));
		return;
	}
	struct nl_link l;
	if (find_one_link(a, fd, e, item, items, &l) < 0)
		return;
	int changed = 0, rc;
	unsigned want_mtu = e->mtu == l.mtu ? 0 : e->mtu;
	if (want_mtu || !(l.flags & IFF_UP)) {
		rc = nl_set_link(fd, l.index, want_mtu, 1);
		if (rc < 0) {
			item_result(a, items, item, PROTO_RES_FAILED, "%s: set %s: %s", l.name,
			            want_mtu ? "mtu/up" : "up", strerror(-rc));
			return;
		}
		changed = 1;
	}
	if ((rc = sync_addrs(a, fd, e, &l, item, items)) < 0)
		return;
	changed |= rc;
	if ((rc = sync_routes(a, fd, e, &l, item, items)) < 0)
		return;
	changed |= rc;
	item_result(a, items, item, changed ? PROTO_RES_APPLIED : PROTO_RES_UNCHANGED, NULL);
}

/* Append s to list (n entries) unless it is already there. */
static void add_unique(const char **list, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0)
			return;
	list[(*n)++] = s;
}

/* The resolver file: resolv.conf, or a resolved drop-in when resolv.conf is a
 * symlink (a resolver daemon owns it). Returns its length, or sizeof(buf) or
 * more when it does not fit. */
static size_t format_dns(char *buf, size_t size, int resolved, const char **ns, size_t nns,
                         const char **search, size_t nsearch)
{
	size_t off = 0;
	off += (size_t)snprintf(buf + off, size - off,
	                        resolved ? "# written by xenchannel-agent\n[Resolve]\nDNS="
	                                 : "# written by xenchannel-agent\n");
	for (size_t i = 0; i < nns; i++) {
		if (off < size)
			off += resolved ? (size_t)snprintf(buf + off, size - off, "%s%s",
			                                   i ? " " : "", ns[i])
			                : (size_t)snprintf(buf + off, size - off, "nameserver %s\n",
			                                   ns[i]);
	}
	if (resolved && off < size)
		off += (size_t)snprintf(buf + off, size - off, "\n");
	if (nsearch && off < size) {
		off += (size_t)snprintf(buf + off, size - off, resolved ? "Domains=" : "search");
		for (size_t i = 0; i < nsearch; i++) {
			if (off < size)
				off += (size_t)snprintf(buf + off, size - off,
				                        resolved && !i ? "%s" : " %s", search[i]);
		}
		if (off < size)
			off += (size_t)snprintf(buf + off, size - off, "\n");
	}
	return off;
}

static void write_dns(struct agent *a, const char **ns, size_t nns, const char **search,
                      size_t nsearch, json_t *items)
{
	char buf[8192];
	int fd = fs_open(a, "/etc/resolv.conf", O_PATH | O_NOFOLLOW, 0);
	struct stat st;
	int resolved = fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
	if (fd >= 0)
		close(fd);
	const char *path =
	    resolved ? "/etc/systemd/resolved.conf.d/xenchannel.conf" : "/etc/resolv.conf";
	size_t off = format_dns(buf, sizeof(buf), resolved, ns, nns, search, nsearch);
	if (off >= sizeof(buf)) {
		item_result(a, items, "network.nameservers", PROTO_RES_FAILED, "too many entries");
		return;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;
	int changed;
	if (fs_mkdirs(a, dir, 0755, 0, 0) < 0 ||
	    fs_write(a, path, buf, off, 0644, 0, 0, &changed) < 0) {
		item_result(a, items, "network.nameservers", PROTO_RES_FAILED, "%s: %s", path,
		            strerror(errno));
		return;
	}
	item_result(a, items, "network.nameservers",
	            changed ? PROTO_RES_APPLIED : PROTO_RES_UNCHANGED, NULL);
}

/* Name servers of every interface, in order and without duplicates, to one
 * resolver file. */
static void apply_dns(struct agent *a, const struct proto_config *c, json_t *items)
{
	size_t maxns = 0, maxsearch = 0, nns = 0, nsearch = 0;
	for (size_t i = 0; i < c->nethernets; i++) {
		maxns += c->ethernets[i].ndns;
		maxsearch += c->ethernets[i].nsearch;
	}
	if (maxns == 0 && maxsearch == 0)
		return;
	const char **ns = calloc(maxns + 1, sizeof(*ns));
	const char **search = calloc(maxsearch + 1, sizeof(*search));
	if (!ns || !search) {
		item_result(a, items, "network.nameservers", PROTO_RES_FAILED, "out of memory");
	} else {
		for (size_t i = 0; i < c->nethernets; i++) {
			const struct proto_ethernet *e = &c->ethernets[i];
			for (size_t k = 0; k < e->ndns; k++)
				add_unique(ns, &nns, e->dns[k].text);
			for (size_t k = 0; k < e->nsearch; k++)
				add_unique(search, &nsearch, e->search[k]);
		}
		write_dns(a, ns, nns, search, nsearch, items);
	}
	free(ns);
	free(search);
}

void apply_network(struct agent *a, const struct proto_config *c, json_t *items)
{
	if (!c->has_ethernets)
		return;
	if (!a->policy.allow[POLICY_NETWORK]) {
		item_result(a, items, "network", PROTO_RES_REFUSED,
		            "policy does not allow network");
		return;
	}
	int fd = a->kernel ? nl_open() : -1;
	for (size_t i = 0; i < c->nethernets; i++)
		one_ethernet(a, fd, &c->ethernets[i], items);
	if (fd >= 0)
		close(fd);
	apply_dns(a, c, items);
}
