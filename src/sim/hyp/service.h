/*
 * service.h - the hypervisor service of the xensim daemon: unix sockets
 * (<run>/hypervisor/socket for dom0, <run>/domains/<D>/hypervisor.sock for
 * domain D) in the daemon's event loop, requests dispatched to hyp, guest
 * processes (xensim-guest, guest-proc.c) spawned and reaped.
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

/* guest-proc.c, for service.c: the xensim-guest process of domain d, whose
 * pid and pidfd are d->guest_pid and d->guest_pidfd. */
struct hyp_domain;
struct guest_proc {
	struct loop *loop;
	struct hyp_domain *d;
	uint64_t kill_timer;
	int stopping; /* SIGTERM sent */
	/* called once the process is reaped (d->guest_pid is 0 again) */
	void (*exited)(struct hyp_domain *d, void *arg);
	void *arg;
};
/* Fork and exec xensim-guest for the domain, watched in g->loop. Returns the
 * pid, 0 when there is no xensim-guest binary (a domain without frontends),
 * or -errno. */
int guest_spawn(struct guest_proc *g, const char *run_dir);
/* SIGTERM, and SIGKILL if it is still there after a bound; exited() follows. */
void guest_stop(struct guest_proc *g);
/* SIGKILL and reap now (tear-down; no exited() call). */
void guest_kill(struct guest_proc *g);
/* Stop watching the process and its timer (the domain goes). */
void guest_forget(struct guest_proc *g);

#endif
