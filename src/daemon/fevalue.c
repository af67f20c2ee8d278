/*
 * fevalue.c - the values a guest writes in its frontend directory.
 *
 * `state`, `ring-ref` and `port` are the only frontend keys whose values the
 * daemon uses, and the guest owns them: any bytes may be there. This is the
 * one place they are judged, as a pure function of the bytes xenstore
 * returned, so that it can be tested and fuzzed on its own.
 */
#include "xenchanneld.h"

#include <stdint.h>
#include <string.h>

#include "xenchannel/xstore.h"

/* Xen never allocates port 0, and no ABI has ports beyond the FIFO ABI's
 * 2^17 (EVTCHN_FIFO_NR_CHANNELS); 2-level has 4096 on 64-bit. */
#define FEV_PORT_MAX ((1u << 17) - 1)
/* Grant refs 0..7 are reserved for the toolstack (GNTTAB_NR_RESERVED_ENTRIES:
 * 0 is the primary console's page, 1 the xenstore page); a frontend grants
 * its ring with a ref from its allocator, which never hands these out. */
#define FEV_GREF_FIRST 8u

const char *fev_key_name(enum fev_key k)
{
	switch (k) {
	case FEV_STATE:
		return "state";
	case FEV_RING_REF:
		return "ring-ref";
	case FEV_PORT:
		return "port";
	}
	return "?";
}

int fev_parse(enum fev_key k, const char *v, size_t len, uint32_t *out, const char **why)
{
	char num[11]; /* up to 10 digits: 4294967295 */
	uint32_t n;

	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	if (memchr(v, '\0', len)) {
		*why = "contains a NUL byte";
		return -1;
	}
	if (len >= sizeof(num)) {
		*why = "is longer than 10 characters (not a 32-bit decimal number)";
		return -1;
	}
	memcpy(num, v, len);
	num[len] = '\0';
	if (xstore_parse_uint(num, UINT32_MAX, &n) < 0) {
		*why = "is not a decimal number below 2^32 (digits only, no leading zero)";
		return -1;
	}
	switch (k) {
	case FEV_STATE:
		if (n > XB_RECONFIGURED) {
			*why = "is not a XenbusState (0..8)";
			return -1;
		}
		break;
	case FEV_RING_REF:
		if (n < FEV_GREF_FIRST) {
			*why = "is a grant reference reserved for the toolstack (0..7)";
			return -1;
		}
		break;
	case FEV_PORT:
		if (n == 0 || n > FEV_PORT_MAX) {
			*why = "is not an event channel port (1..131071)";
			return -1;
		}
		break;
	}
	*out = n;
	return 0;
}
