/* netlink.c - the few rtnetlink requests the network applier makes: find a
 * link, set its MTU and bring it up, list / add / remove addresses, add a
 * route. Each call is one request and its answer on a blocking socket. */
#include "agent.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

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

int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* A kernel that never answers must not hang the agent. */
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

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

static int link_cb(struct nlmsghdr *m, void *arg)
{
	struct nl_link_search *s = arg;
	if (m->nlmsg_type != RTM_NEWLINK)
		return 0;
	struct ifinfomsg *ifi = NLMSG_DATA(m);
	struct nl_link l = {.index = ifi->ifi_index, .flags = ifi->ifi_flags};
	int len = (int)IFLA_PAYLOAD(m);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6) {
			memcpy(l.mac, RTA_DATA(a), 6);
			l.has_mac = 1;
		} else if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) == 4) {
			memcpy(&l.mtu, RTA_DATA(a), 4);
		} else if (a->rta_type == IFLA_IFNAME) {
			snprintf(l.name, sizeof(l.name), "%.*s", (int)RTA_PAYLOAD(a),
			         (char *)RTA_DATA(a));
		}
	}
	if ((s->mac && l.has_mac && memcmp(l.mac, s->mac, 6) == 0) ||
	    (s->name && strcmp(l.name, s->name) == 0)) {
		s->found = l;
		s->matches++;
	}
	return 0;
}

int nl_find_link(int fd, struct nl_link_search *s)
{
	struct nlreq r = {0};
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.h.nlmsg_type = RTM_GETLINK;
	REQ_IFI(&r)->ifi_family = AF_UNSPEC;
	return nl_talk(fd, &r.h, link_cb, s);
}

int nl_set_link(int fd, int index, unsigned mtu, int up)
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

static int addr_cb(struct nlmsghdr *m, void *arg)
{
	struct nl_addr_list *l = arg;
	if (m->nlmsg_type != RTM_NEWADDR)
		return 0;
	struct ifaddrmsg *ifa = NLMSG_DATA(m);
	if ((int)ifa->ifa_index != l->index || ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
	    l->n == NL_MAX_ADDRS)
		return 0;
	int len = (int)IFA_PAYLOAD(m);
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFA_ADDRESS) {
			struct proto_addr *d = &l->v[l->n++];
			d->family = ifa->ifa_family;
			d->plen = ifa->ifa_prefixlen;
			memcpy(d->addr, RTA_DATA(a), ifa->ifa_family == AF_INET ? 4 : 16);
			break;
		}
	}
	return 0;
}

int nl_list_addrs(int fd, int index, struct nl_addr_list *have)
{
	struct nlreq r = {0};
	memset(have, 0, sizeof(*have));
	have->index = index;
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.h.nlmsg_type = RTM_GETADDR;
	REQ_IFA(&r)->ifa_family = AF_UNSPEC;
	return nl_talk(fd, &r.h, addr_cb, have);
}

static int change_addr(int fd, int type, int index, const struct proto_addr *ad)
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
	addattr(&r.h, IFA_LOCAL, ad->addr, alen);
	addattr(&r.h, IFA_ADDRESS, ad->addr, alen);
	return nl_talk(fd, &r.h, NULL, NULL);
}

int nl_add_addr(int fd, int index, const struct proto_addr *a)
{
	return change_addr(fd, RTM_NEWADDR, index, a);
}

int nl_del_addr(int fd, int index, const struct proto_addr *a)
{
	return change_addr(fd, RTM_DELADDR, index, a);
}

int nl_add_route(int fd, int index, const struct proto_route *rt)
{
	struct nlreq r = {0};
	int family = rt->via.family;
	size_t alen = family == AF_INET ? 4 : 16;
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h.nlmsg_type = RTM_NEWROUTE;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	REQ_RTM(&r)->rtm_family = (unsigned char)family;
	REQ_RTM(&r)->rtm_dst_len = (unsigned char)rt->to.plen;
	REQ_RTM(&r)->rtm_table = RT_TABLE_MAIN;
	REQ_RTM(&r)->rtm_protocol = RTPROT_STATIC;
	REQ_RTM(&r)->rtm_scope = RT_SCOPE_UNIVERSE;
	REQ_RTM(&r)->rtm_type = RTN_UNICAST;
	if (rt->to.plen)
		addattr(&r.h, RTA_DST, rt->to.addr, alen);
	addattr(&r.h, RTA_GATEWAY, rt->via.addr, alen);
	uint32_t oif = (uint32_t)index;
	addattr(&r.h, RTA_OIF, &oif, 4);
	if (rt->metric)
		addattr(&r.h, RTA_PRIORITY, &rt->metric, 4);
	return nl_talk(fd, &r.h, NULL, NULL);
}
