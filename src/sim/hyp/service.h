/*
 * service.h - the hypervisor service of the xensim daemon: unix sockets
 * (<run>/hypervisor/socket for dom0, <run>/domains/<D>/hypervisor.sock for
 * domain D) in the daemon's event loop, requests dispatched to hyp, guest
 * processes (xensim-guest) spawned and reaped.
 */
#ifndef XENSIM_SERVICE_H
#define XENSIM_SERVICE_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct svc;

struct svc_hooks {
	/* The hypervisor has destroyed domain domid (xenstored fires
	 * @releaseDomain). */
	void (*domain_dead)(uint32_t domid, void *arg);
	void *arg;
};

struct svc *svc_new(struct loop *l, const char *run_dir, const struct svc_hooks *hooks, char *err,
                    size_t errlen);
/* Stop every guest (SIGTERM, SIGKILL after a bound), then call done. */
void svc_shutdown(struct svc *s, void (*done)(void *arg), void *arg);
void svc_free(struct svc *s);

/* Recursively remove a directory tree (no symlinks followed); best effort. */
void svc_rmtree(const char *path);

#endif
