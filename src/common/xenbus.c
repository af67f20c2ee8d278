/* xenbus.c - names of the XenbusState values. */
#include "xenchannel/xenbus.h"

const char *xb_state_name(int state)
{
	static const char *const names[] = {
	    "Unknown", "Initialising", "InitWait",      "Initialised",  "Connected",
	    "Closing", "Closed",       "Reconfiguring", "Reconfigured",
	};
	if (state < 0 || state >= (int)(sizeof(names) / sizeof(names[0])))
		return "Unknown";
	return names[state];
}
