/*
 * evtchn.c - the one event channel descriptor of the daemon: find which
 * channel each pending port belongs to and queue a relay turn for it.
 *
 * Ports are unmasked right away unless the channel is in an event storm
 * (chan_event decides), in which case the port stays masked until the storm
 * window ends: a hostile guest costs us a bounded number of wakeups.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xenchannel/loop.h"
#include "xenchannel/platform.h"

#define PENDING_PER_WAKEUP 1024

static void evtchn_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct xcd *d = arg;
	for (int i = 0; i < PENDING_PER_WAKEUP; i++) {
		int port = plat_evtchn_pending(d->evt);
		if (port < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_err("event channel: reading pending port: %s", strerror(errno));
			return;
		}
		struct chan *c = (size_t)port < d->by_port_size ? d->by_port[port] : NULL;
		if (!c) {
			plat_evtchn_unmask(d->evt, (uint32_t)port);
			continue;
		}
		if (chan_event(c))
			plat_evtchn_unmask(d->evt, (uint32_t)port);
	}
}

int evtchn_init(struct xcd *d, char *err, size_t errlen)
{
	int fd = plat_evtchn_fd(d->evt);
	if (fd < 0 || loop_watch(d->loop, fd, LOOP_READ, evtchn_cb, d) < 0) {
		snprintf(err, errlen, "watching the event channel descriptor: %s", strerror(errno));
		return -1;
	}
	return 0;
}
