/*
 * sim-wire.h - messages between the sim platform and the xensim hypervisor
 * service.
 *
 * One SOCK_SEQPACKET connection per platform handle; the socket a client
 * connected to is its identity (<run>/hypervisor/socket is dom0,
 * <run>/domains/<D>/hypervisor.sock is domain D). Every message is a fixed
 * header, an optional text payload and up to SIMW_MAX_FDS descriptors
 * (SCM_RIGHTS). Requests get exactly one reply (type | SIMW_REPLY, err = 0 or
 * a positive errno). The service may also send unsolicited SIMW_EV_* messages
 * on an event-channel connection; it bumps the shared sequence counter (a
 * read-only page handed over in SIMW_HELLO) after each one, so a client can
 * tell without a system call whether it has news to read.
 *
 * Notifications never pass through the service: every port owns an eventfd
 * (its "pending" state); the binding peer holds a copy and writes to it.
 */
#ifndef XENCHANNEL_SIM_WIRE_H
#define XENCHANNEL_SIM_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SIMW_REPLY 0x8000u
#define SIMW_MAX_FDS 2
#define SIMW_PAYLOAD_MAX 65536u
#define SIMW_PAGE 4096u
#define SIMW_DOMID_SELF 0x7FF0u /* DOMID_SELF */
#define SIMW_DOMID_FIRST_RESERVED 0x7FF0u

enum simw_type {
	SIMW_HELLO = 1,            /* svc: a0 = our domid; fd: sequence page */
	SIMW_EVTCHN_ALLOC_UNBOUND, /* a0 = remote dom -> a0 = port; fd: port eventfd */
	SIMW_EVTCHN_BIND,          /* a0 = remote dom, a1 = remote port -> a0 = local port;
	                              fds: local eventfd, remote eventfd */
	SIMW_EVTCHN_UNBIND,        /* a0 = port */
	SIMW_EVTCHN_STATUS,        /* a0 = dom, a1 = port -> a0 = state, a1 = remote dom,
	                              a2 = remote port (EVTCHNOP_status) */
	SIMW_EV_BOUND,             /* svc: a0 = port, a1 = remote dom, a2 = remote port;
	                              fd: remote eventfd */
	SIMW_EV_UNBOUND,           /* svc: a0 = port is unbound again; fd: its new eventfd */
	SIMW_GNT_SHARE,            /* a0 = domid, a1 = writable -> a0 = gref; fd: page */
	SIMW_GNT_UNSHARE,          /* a0 = gref */
	SIMW_GNT_MAP,              /* a0 = domid, a1 = gref -> a0 = map handle; fd: page */
	SIMW_GNT_UNMAP,            /* a0 = map handle */
	SIMW_DOM_CREATE,           /* payload: name -> a0 = domid, a1 = store port,
	                              a2 = store mfn; payload: uuid (dom0 only) */
	SIMW_DOM_UNPAUSE,          /* a0 = domid -> a0 = guest pid or 0 (dom0 only) */
	SIMW_DOM_DESTROY,          /* a0 = domid (dom0 only) */
	SIMW_DOM_LIST,             /* -> payload: "domid name state uuid guest-pid\n"... */
};

/* EVTCHNOP_status states (public/event_channel.h). */
enum simw_evtchn_state {
	SIMW_EVTCHNSTAT_closed = 0,
	SIMW_EVTCHNSTAT_unbound = 1,
	SIMW_EVTCHNSTAT_interdomain = 2,
};

struct simw_msg {
	uint32_t type;
	int32_t err;
	uint32_t a[4];
};

/* Send one message; 0 or -1 with errno. */
int simw_send(int fd, const struct simw_msg *m, const void *payload, size_t len, const int *fds,
              int nfds);
/* Receive one message (flags: 0 or MSG_DONTWAIT). Returns the payload length
 * (>= 0) or -1 with errno (0 bytes read = EPIPE; oversized or malformed =
 * EPROTO). Received descriptors land in fds (the rest are set to -1); any
 * beyond SIMW_MAX_FDS are closed. The payload is NUL-terminated when cap > len. */
ssize_t simw_recv(int fd, struct simw_msg *m, void *payload, size_t cap, int fds[SIMW_MAX_FDS],
                  int flags);
/* Path of the hypervisor socket a domain uses; -1 + ENAMETOOLONG if it does
 * not fit a sockaddr_un. */
int simw_socket_path(char *buf, size_t len, const char *run_dir, uint32_t domid);

#endif
