/*
 * fsm.c - the per-channel xenbus state machine as a pure decision table.
 *
 * Input is what xenstore says now (both `state` keys, `online`, whether the
 * frontend published a valid ring-ref + port); output is the next state, the
 * side effects to perform and the backend state to write. channel.c applies
 * steps until the state stops changing. The table follows the xen-bus QEMU
 * backend, with two deliberate differences: a ring is mapped only once the
 * frontend says Initialised or Connected (legacy QEMU maps as soon as the keys
 * exist, which maps a stale grant when a guest re-runs the handshake), and a
 * misbehaving ring ends in CH_ERROR with the backend Closing.
 */
#include "xenchanneld.h"

static struct fsm_step step(enum ch_state next, unsigned actions, int write_be)
{
	return (struct fsm_step){.next = next, .actions = actions, .write_be = write_be};
}

static int fe_active(int fe)
{
	return fe == XB_INITIALISED || fe == XB_CONNECTED || fe == XB_CLOSING;
}

static int fe_ready(const struct fsm_input *in)
{
	return (in->fe_state == XB_INITIALISED || in->fe_state == XB_CONNECTED) && in->ring_keys;
}

static int fe_gone(int fe)
{
	return fe == XB_CLOSED || fe == XB_UNKNOWN || fe < 0;
}

/* The toolstack asked us to close (backend Closing written by someone else). */
static struct fsm_step toolstack_close(const struct fsm_input *in, unsigned actions)
{
	if (fe_active(in->fe_state))
		return step(CH_CLOSING, actions, -1);
	return step(CH_CLOSED, actions, XB_CLOSED);
}

struct fsm_step fsm_next(enum ch_state cur, const struct fsm_input *in)
{
	int bs = in->be_state, fs = in->fe_state;

	if (bs < 0) /* backend directory gone: the device was removed */
		return step(CH_CLOSED, cur == CH_NEW ? FA_NONE : FA_RELEASE, -1);

	switch (cur) {
	case CH_NEW:
		switch (bs) {
		case XB_INITIALISING:
			if (in->online != 1)
				return step(CH_NEW, FA_NONE, -1);
			return step(CH_INITWAIT, FA_OPEN, XB_INITWAIT);
		case XB_INITWAIT:
		case XB_INITIALISED:
			/* A previous instance got this far: carry on. */
			return step(CH_INITWAIT, FA_OPEN, bs == XB_INITWAIT ? -1 : XB_INITWAIT);
		case XB_CONNECTED:
			if (fe_ready(in))
				return step(CH_CONNECTED, FA_OPEN | FA_ADOPT, -1);
			if (fs == XB_CLOSING)
				return step(CH_CLOSING, FA_NONE, XB_CLOSING);
			if (fe_gone(fs))
				return step(CH_CLOSED, FA_NONE, XB_CLOSED);
			/* Frontend went back to Initialising (reset): start over. */
			return step(CH_INITWAIT, FA_OPEN, XB_INITWAIT);
		case XB_CLOSING:
			return step(CH_CLOSING, FA_NONE, -1);
		case XB_CLOSED:
			return step(CH_CLOSED, FA_NONE, -1);
		default:
			return step(CH_NEW, FA_NONE, -1);
		}

	case CH_INITWAIT:
		if (bs == XB_CLOSING)
			return toolstack_close(in, FA_RELEASE);
		if (bs == XB_CLOSED)
			return step(CH_CLOSED, FA_RELEASE, -1);
		if (fe_ready(in))
			return step(CH_CONNECTED, FA_CONNECT, XB_CONNECTED);
		if (fs == XB_CLOSING)
			return step(CH_CLOSING, FA_RELEASE, XB_CLOSING);
		if (fs == XB_CLOSED)
			return step(CH_CLOSED, FA_RELEASE, XB_CLOSED);
		return step(CH_INITWAIT, FA_NONE, -1);

	case CH_CONNECTED:
		if (bs == XB_CLOSING)
			return toolstack_close(in, FA_RELEASE);
		if (bs == XB_CLOSED)
			return step(CH_CLOSED, FA_RELEASE, -1);
		if (fs == XB_CLOSING)
			return step(CH_CLOSING, FA_RELEASE, XB_CLOSING);
		if (fe_gone(fs) || fs == XB_INITIALISING)
			return step(CH_CLOSED, FA_RELEASE, XB_CLOSED);
		return step(CH_CONNECTED, FA_NONE, -1);

	case CH_ERROR:
	case CH_CLOSING:
		if (bs == XB_CLOSED)
			return step(CH_CLOSED, FA_NONE, -1);
		if (fe_gone(fs) || fs == XB_INITIALISING)
			return step(CH_CLOSED, FA_NONE, XB_CLOSED);
		return step(cur, FA_NONE, -1);

	case CH_CLOSED:
		if (bs == XB_CLOSING) /* toolstack close while we are down */
			return step(CH_CLOSED, FA_NONE, XB_CLOSED);
		/* A frontend that closed and starts over (kexec, resume) gets a
		 * new handshake; one that never got going stays closed, so a
		 * toolstack detach of an idle device is not undone. */
		if (in->online == 1 &&
		    ((fs == XB_INITIALISING && in->fe_was_closed) || bs == XB_INITIALISING))
			return step(CH_INITWAIT, FA_OPEN, XB_INITWAIT);
		return step(CH_CLOSED, FA_NONE, -1);
	}
	return step(cur, FA_NONE, -1);
}

struct fsm_step fsm_connect_failed(void)
{
	return step(CH_ERROR, FA_RELEASE, XB_CLOSING);
}

const char *fsm_state_name(enum ch_state s)
{
	switch (s) {
	case CH_NEW:
		return "new";
	case CH_INITWAIT:
		return "initwait";
	case CH_CONNECTED:
		return "connected";
	case CH_ERROR:
		return "error";
	case CH_CLOSING:
		return "closing";
	case CH_CLOSED:
		return "closed";
	}
	return "?";
}
