/*
 * xenstored.h - a wire-compatible xenstored for the simulator.
 *
 * Speaks the xenstore protocol (Xen 4.17) over unix sockets:
 *   <run_dir>/xenstored/socket            privileged (acts as dom0)
 *   <run_dir>/domains/<D>/xenstored.sock  acts as domain D; created on
 *                                         XS_INTRODUCE, removed on XS_RELEASE
 * Everything runs in the caller's event loop; nothing blocks.
 */
#ifndef XENSTORED_H
#define XENSTORED_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct xsd;

/* Create the store and listen on <run_dir>/xenstored/socket. On failure
 * returns NULL with a message (what, where, why) in err. With run_dir NULL
 * there are no sockets at all, not even for introduced domains: for
 * in-process use (the fuzz target), which makes its connections itself. */
struct xsd *xsd_new(struct loop *l, const char *run_dir, char *err, size_t errlen);

/* Close every connection, remove the sockets, free the store. */
void xsd_free(struct xsd *x);

/* The hypervisor says domain domid died: drop its connections and socket,
 * remove the nodes it owns and fire @releaseDomain. A later XS_RELEASE of
 * that domain answers ENOENT, as on real Xen. */
void xsd_domain_dead(struct xsd *x, uint32_t domid);

#endif
