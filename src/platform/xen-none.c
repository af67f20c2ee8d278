/* xen-none.c - the real-Xen back end when libxen-dev was not available. */
#include "platform-int.h"

#include <errno.h>
#include <stdio.h>

struct platform *plat_xen_open(char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen,
		         "built without Xen support (libxen-dev was missing); set "
		         "XENSIM_RUN_DIR to use the simulator");
	errno = ENOSYS;
	return NULL;
}
