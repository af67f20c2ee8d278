/*
 * xenbus.h - XenbusState, the values both ends write as decimal ASCII in
 * their `state` key (<xen/io/xenbus.h>), and their names.
 */
#ifndef XENCHANNEL_XENBUS_H
#define XENCHANNEL_XENBUS_H

enum xb_state {
	XB_UNKNOWN = 0,
	XB_INITIALISING = 1,
	XB_INITWAIT = 2,
	XB_INITIALISED = 3,
	XB_CONNECTED = 4,
	XB_CLOSING = 5,
	XB_CLOSED = 6,
	XB_RECONFIGURING = 7,
	XB_RECONFIGURED = 8,
};

/* "Initialising", "Connected", ...; "Unknown" for anything out of range. */
const char *xb_state_name(int state);

#endif
