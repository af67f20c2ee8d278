/* apply_network.c - network (cloud-init v2 subset) through rtnetlink:
 * interfaces matched by MAC (or name), MTU, link up, addresses, routes;
 * name servers to /etc/resolv.conf (or a systemd-resolved drop-in). */
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* A request: header, family message, attributes, in one aligned buffer. */
struct nlreq {
	union {
		struct nlmsghdr h;
		char raw[512];
	};
};
#define REQ_IFI(r) ((struct ifinfomsg *)NLMSG_DATA(&(r)->h))
#define REQ_IFA(r) ((struct ifaddrmsg *)NLMSG_DATA(&(r)->h))
#define REQ_RTM(r) ((struct rtmsg *)NLMSG_DATA(&(r)->h))

static uint32_t nl_seq;

static void addattr(struct nlmsghdr *h, int type, const void *data, size_t len)
{
	char *p = (char *)h + NLMSG_ALIGN(h->nlmsg_len);
	struct rtattr rta = {.rta_type = (unsigned short)type,
	                     .rta_len = (unsigned short)RTA_LENGTH(len)};
	memcpy(p, &rta, sizeof(rta));
	memcpy(p + RTA_LENGTH(0), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(RTA_LENGTH(len));
}

/* Send a request; for dumps call cb for every answer. Returns 0 or -errno. */
static int nl_talk(int fd, struct nlmsghdr *h, int (*cb)(struct nlmsghdr *, void *), void *arg)
{
	h->nlmsg_seq = ++nl_seq;
	h->nlmsg_flags |= NLM_F_REQUEST | (cb ? NLM_F_DUMP : NLM_F_ACK);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	static char buf[32768];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, (size_t)n);
		     m = NLMSG_NEXT(m, n)) {
			if (m->nlmsg_seq != h->nlmsg_seq)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(m);
				return e->error;
			}
			if (cb)
				cb(m, arg);
		}
	}
}

struct link {
	int index;
	unsigned flags;
	unsigned mtu;
	char name[IFNAMSIZ];
	uint8_t mac[6];
	int has_mac;
};

struct link_search {
	const uint8_t *mac;
	const char *name;
	struct link found;
	int matches;
};

static int link_cb(struct nlmsghdr *m, void *arg)
{
	struct link_search *s = arg;
	if (m->nlmsg_type != RTM_NEWLINK)
		return 0;
	struct ifinfomsg *ifi = NLMSG_DATA(m);
	struct link l = {.index = ifi->ifi_index, .flags = ifi->ifi_flags};
	int len = (int)IFLA_PAYLOAD(m);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6) {
			memcpy(l.mac, RTA_DATA(a), 6);
			l.has_mac = 1;
		} else if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) == 4) {
			memcpy(&l.mtu, RTA_DATA(a), 4);
		} else if (a->rta_type == IFLA_IFNAME) {
			snprintf(l.name, sizeof(l.name), "%.*s", (int)RTA_PAYLOAD(a), (char *)RTA_DATA(a));
		}
	}
	if ((s->mac && l.has_mac && memcmp(l.mac, s->mac, 6) == 0) ||
	    (s->name && strcmp(l.name, s->name) == 0)) {
		s->found = l;
		s->matches++;
	}
	return 0;
}

static int find_link(int fd, struct link_search *s)
{
	struct nlreq r = {0};
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.h.nlmsg_type = RTM_GETLINK;
	REQ_IFI(&r)->ifi_family = AF_UNSPEC;
	return nl_talk(fd, &r.h, link_cb, s);
}

static int set_link(int fd, int index, unsigned mtu, int up)
{
	struct nlreq r = {0};
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.h.nlmsg_type = RTM_NEWLINK;
	REQ_IFI(&r)->ifi_family = AF_UNSPEC;
	REQ_IFI(&r)->ifi_index = index;
	if (up) {
		REQ_IFI(&r)->ifi_flags = IFF_UP;
		REQ_IFI(&r)->ifi_change = IFF_UP;
	}
	if (mtu)
		addattr(&r.h, IFLA_MTU, &mtu, 4);
	return nl_talk(fd, &r.h, NULL, NULL);
}

struct addr {
	int family;
	uint8_t a[16];
	unsigned plen;
};

struct addr_list {
	int index;
	struct addr v[64];
	size_t n;
};

static int addr_cb(struct nlmsghdr *m, void *arg)
{
	struct addr_list *l = arg;
	if (m->nlmsg_type != RTM_NEWADDR)
		return 0;
	struct ifaddrmsg *ifa = NLMSG_DATA(m);
	if ((int)ifa->ifa_index != l->index || ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
	    l->n == 64)
		return 0;
	int len = (int)IFA_PAYLOAD(m);
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFA_ADDRESS) {
			struct addr *d = &l->v[l->n++];
			d->family = ifa->ifa_family;
			d->plen = ifa->ifa_prefixlen;
			memcpy(d->a, RTA_DATA(a), ifa->ifa_family == AF_INET ? 4 : 16);
			break;
		}
	}
	return 0;
}

/* Is x one of the n addresses in set? */
static int addr_in(const struct addr *x, const struct addr *set, size_t n)
{
	size_t alen = x->family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		if (set[i].family == x->family && set[i].plen == x->plen &&
		    memcmp(set[i].a, x->a, alen) == 0)
			return 1;
	return 0;
}

/* The global addresses of link index, read fresh from the kernel. */
static int list_addrs(int fd, int index, struct addr_list *have)
{
	struct nlreq r = {0};
	memset(have, 0, sizeof(*have));
	have->index = index;
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.h.nlmsg_type = RTM_GETADDR;
	REQ_IFA(&r)->ifa_family = AF_UNSPEC;
	return nl_talk(fd, &r.h, addr_cb, have);
}

static int change_addr(int fd, int type, int index, const struct addr *ad)
{
	struct nlreq r = {0};
	size_t alen = ad->family == AF_INET ? 4 : 16;
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.h.nlmsg_type = (unsigned short)type;
	if (type == RTM_NEWADDR)
		r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	REQ_IFA(&r)->ifa_family = (unsigned char)ad->family;
	REQ_IFA(&r)->ifa_prefixlen = (unsigned char)ad->plen;
	REQ_IFA(&r)->ifa_index = (unsigned)index;
	REQ_IFA(&r)->ifa_scope = RT_SCOPE_UNIVERSE;
	addattr(&r.h, IFA_LOCAL, ad->a, alen);
	addattr(&r.h, IFA_ADDRESS, ad->a, alen);
	return nl_talk(fd, &r.h, NULL, NULL);
}

static int add_route(int fd, int index, int family, const uint8_t *dst, unsigned plen,
                     const uint8_t *gw, uint32_t metric)
{
	struct nlreq r = {0};
	size_t alen = family == AF_INET ? 4 : 16;
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h.nlmsg_type = RTM_NEWROUTE;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	REQ_RTM(&r)->rtm_family = (unsigned char)family;
	REQ_RTM(&r)->rtm_dst_len = (unsigned char)plen;
	REQ_RTM(&r)->rtm_table = RT_TABLE_MAIN;
	REQ_RTM(&r)->rtm_protocol = RTPROT_STATIC;
	REQ_RTM(&r)->rtm_scope = RT_SCOPE_UNIVERSE;
	REQ_RTM(&r)->rtm_type = RTN_UNICAST;
	if (plen)
		addattr(&r.h, RTA_DST, dst, alen);
	addattr(&r.h, RTA_GATEWAY, gw, alen);
	uint32_t oif = (uint32_t)index;
	addattr(&r.h, RTA_OIF, &oif, 4);
	if (metric)
		addattr(&r.h, RTA_PRIORITY, &metric, 4);
	return nl_talk(fd, &r.h, NULL, NULL);
}

/* One route; returns 1 added, 0 already there, -errno on failure. */
static int ensure_route(int fd, int index, const char *to, const char *via, uint32_t metric)
{
	uint8_t dst[16] = {0}, gw[16];
	int fam = 0, gfam;
	unsigned plen = 0;
	if (strcmp(to, "default") != 0 && proto_parse_prefix(to, &fam, dst, &plen) < 0)
		return -EINVAL;
	if (proto_parse_ip(via, &gfam, gw) < 0)
		return -EINVAL;
	int rc = add_route(fd, index, gfam, dst, plen, gw, metric);
	if (rc == -EEXIST)
		return 0;
	return rc < 0 ? rc : 1;
}

static void one_ethernet(struct agent *a, int fd, const char *id, const json_t *e,
                         json_t *items)
{
	char item[128];
	snprintf(item, sizeof(item), "network.ethernets.%s", id);
	if (!a->kernel) {
		item_result(a, items, item, PROTO_RES_FAILED,
		            "kernel changes are off (--kernel off); interfaces not configured");
		return;
	}
	if (fd < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "rtnetlink: %s", strerror(-fd));
		return;
	}
	uint8_t mac[6];
	const char *macs = json_string_value(json_object_get(json_object_get(e, "match"),
	                                                     "macaddress"));
	struct link_search s = {0};
	if (macs) {
		proto_parse_mac(macs, mac);
		s.mac = mac;
	} else {
		s.name = id;
	}
	int rc = find_link(fd, &s);
	if (rc < 0 || s.matches == 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "no interface %s %s", macs ? "with MAC" : "named",
		            macs ? macs : id);
		return;
	}
	if (s.matches > 1) {
		item_result(a, items, item, PROTO_RES_FAILED, "%d interfaces match %s", s.matches,
		            macs ? macs : id);
		return;
	}
	struct link *l = &s.found;
	int changed = 0;
	json_t *mtu = json_object_get(e, "mtu");
	unsigned want_mtu = mtu ? (unsigned)json_integer_value(mtu) : 0;
	if (want_mtu == l->mtu)
		want_mtu = 0;
	if (want_mtu || !(l->flags & IFF_UP)) {
		rc = set_link(fd, l->index, want_mtu, 1);
		if (rc < 0) {
			item_result(a, items, item, PROTO_RES_FAILED, "%s: set %s: %s", l->name,
			            want_mtu ? "mtu/up" : "up", strerror(-rc));
			return;
		}
		changed = 1;
	}
	/* Addresses: remove the global ones not wanted FIRST, then add the
	 * missing ones. The other order loses addresses: with the kernel's
	 * default promote_secondaries=0, deleting a subnet's primary address
	 * also deletes every secondary of that subnet, including one just added.
	 * The list is read again after removals for the same reason. */
	struct addr want[64];
	size_t nwant = 0, i;
	json_t *v;
	json_array_foreach(json_object_get(e, "addresses"), i, v)
	{
		if (nwant == 64)
			break;
		proto_parse_prefix(json_string_value(v), &want[nwant].family, want[nwant].a,
		                   &want[nwant].plen);
		nwant++;
	}
	struct addr_list have;
	rc = list_addrs(fd, l->index, &have);
	if (rc < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s: list addresses: %s", l->name,
		            strerror(-rc));
		return;
	}
	int removed = 0;
	for (size_t j = 0; j < have.n; j++) {
		if (addr_in(&have.v[j], want, nwant))
			continue;
		rc = change_addr(fd, RTM_DELADDR, l->index, &have.v[j]);
		if (rc < 0 && rc != -EADDRNOTAVAIL) {
			item_result(a, items, item, PROTO_RES_FAILED, "%s: remove an old address: %s",
			            l->name, strerror(-rc));
			return;
		}
		removed = changed = 1;
	}
	if (removed && (rc = list_addrs(fd, l->index, &have)) < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s: list addresses: %s", l->name,
		            strerror(-rc));
		return;
	}
	for (i = 0; i < nwant; i++) {
		if (addr_in(&want[i], have.v, have.n))
			continue;
		rc = change_addr(fd, RTM_NEWADDR, l->index, &want[i]);
		if (rc < 0 && rc != -EEXIST) {
			item_result(a, items, item, PROTO_RES_FAILED, "%s: add address %s: %s", l->name,
			            json_string_value(json_array_get(json_object_get(e, "addresses"), i)),
			            strerror(-rc));
			return;
		}
		changed = 1;
	}
	/* Routes: gateway4/6 are default routes; then the routes list. */
	static const char *const gws[] = {"gateway4", "gateway6"};
	for (int g = 0; g < 2; g++) {
		const char *gw = json_string_value(json_object_get(e, gws[g]));
		if (!gw)
			continue;
		rc = ensure_route(fd, l->index, "default", gw, 0);
		if (rc < 0) {
			item_result(a, items, item, PROTO_RES_FAILED, "%s: %s route: %s", l->name, gws[g],
			            strerror(-rc));
			return;
		}
		changed |= rc;
	}
	json_array_foreach(json_object_get(e, "routes"), i, v)
	{
		json_t *met = json_object_get(v, "metric");
		rc = ensure_route(fd, l->index, json_string_value(json_object_get(v, "to")),
		                  json_string_value(json_object_get(v, "via")),
		                  met ? (uint32_t)json_integer_value(met) : 0);
		if (rc < 0) {
			item_result(a, items, item, PROTO_RES_FAILED, "%s: routes[%zu]: %s", l->name, i,
			            strerror(-rc));
			return;
		}
		changed |= rc;
	}
	item_result(a, items, item, changed ? PROTO_RES_APPLIED : PROTO_RES_UNCHANGED, NULL);
}

static void add_unique(json_t *list, json_t *v)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) if (json_equal(x, v)) return;
	json_array_append(list, v);
}

/* Name servers of every interface, in order, to one resolver file. */
static void apply_dns(struct agent *a, const json_t *eths, json_t *items)
{
	json_t *ns = json_array(), *search = json_array();
	const char *id;
	json_t *e;
	json_object_foreach((json_t *)eths, id, e)
	{
		json_t *n = json_object_get(e, "nameservers");
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(n, "addresses"), i, v) add_unique(ns, v);
		json_array_foreach(json_object_get(n, "search"), i, v) add_unique(search, v);
	}
	if (json_array_size(ns) == 0 && json_array_size(search) == 0) {
		json_decref(ns);
		json_decref(search);
		return;
	}
	char buf[8192];
	size_t off = 0;
	size_t i;
	json_t *v;
	/* resolv.conf as a symlink means a resolver daemon owns it: use its drop-in. */
	int fd = fs_open(a, "/etc/resolv.conf", O_PATH | O_NOFOLLOW, 0);
	struct stat st;
	int resolved = fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
	if (fd >= 0)
		close(fd);
	const char *path = resolved ? "/etc/systemd/resolved.conf.d/xenchannel.conf"
	                            : "/etc/resolv.conf";
	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
	                        resolved ? "# written by xenchannel-agent\n[Resolve]\nDNS="
	                                 : "# written by xenchannel-agent\n");
	json_array_foreach(ns, i, v)
	{
		if (off < sizeof(buf))
			off += resolved ? (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
			                                   i ? " " : "", json_string_value(v))
			                : (size_t)snprintf(buf + off, sizeof(buf) - off, "nameserver %s\n",
			                                   json_string_value(v));
	}
	if (resolved && off < sizeof(buf))
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "\n");
	if (json_array_size(search) && off < sizeof(buf)) {
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, resolved ? "Domains=" : "search");
		json_array_foreach(search, i, v)
		{
			if (off < sizeof(buf))
				off += (size_t)snprintf(buf + off, sizeof(buf) - off, resolved && !i ? "%s" : " %s",
				                        json_string_value(v));
		}
		if (off < sizeof(buf))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "\n");
	}
	json_decref(ns);
	json_decref(search);
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

void apply_network(struct agent *a, const json_t *doc, json_t *items)
{
	json_t *eths = json_object_get(json_object_get(doc, "network"), "ethernets");
	if (!eths)
		return;
	if (!a->policy.allow[POLICY_NETWORK]) {
		item_result(a, items, "network", PROTO_RES_REFUSED, "policy does not allow network");
		return;
	}
	int fd = -1;
	if (a->kernel) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fd < 0)
			fd = -errno;
		else {
			struct timeval tv = {.tv_sec = 5};
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		}
	}
	const char *id;
	json_t *e;
	json_object_foreach(eths, id, e) one_ethernet(a, fd, id, e, items);
	if (fd >= 0)
		close(fd);
	apply_dns(a, eths, items);
}
