/* xensim.h - pieces of the xensim command line shared by its subcommands. */
#ifndef XENSIM_XENSIM_H
#define XENSIM_XENSIM_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "xenchannel/sim-wire.h"

struct xensim {
	char run[PATH_MAX - 1024]; /* run directory */
};

/* Errors are printed as "xensim: ..." on stderr. */
void xensim_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error of command cmd: "xensim: cmd: <fmt...>" (if fmt) and the
 * command's usage on stderr; returns 2, the exit status. */
int xensim_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Connection to the hypervisor service as dom0. */
struct ctl {
	int fd;
};
int ctl_open(struct ctl *c, const struct xensim *x);
void ctl_close(struct ctl *c);
/* One request; returns the reply payload length or -1 with errno (the
 * service's error). out may be NULL. */
ssize_t ctl_call(struct ctl *c, struct simw_msg *req, const char *payload, struct simw_msg *rep,
                 char *out, size_t outcap);

struct xensim_dom {
	uint32_t domid;
	char name[80];
	char state[16];
	char uuid[40];
	int guest_pid;
};
/* Look a domain up by id or name; 0, or -1 after printing why. */
int xensim_find_domain(const struct xensim *x, const char *arg, struct xensim_dom *out);

/* Domain creation in the steps libxl takes, for `create` and config files:
 * build (hypervisor domain + xenstore entries + introduce; still paused),
 * then the caller adds devices, then unpause (starts xensim-guest).
 * On failure each prints why and returns -1; destroy undoes a partial build. */
int xensim_domain_build(const struct xensim *x, const char *name, uint32_t *domid);
int xensim_domain_unpause(const struct xensim *x, uint32_t domid);
int xensim_domain_destroy(const struct xensim *x, uint32_t domid);

/* xenstore side of the toolstack (xs-domain.c). */
struct xs_handle;
struct xs_handle *xensim_xs_open(const struct xensim *x);
int xensim_xs_domain_write(struct xs_handle *xs, uint32_t domid, const char *name, const char *uuid,
                           uint32_t store_port, uint64_t store_mfn);
int xensim_xs_domain_remove(struct xs_handle *xs, uint32_t domid);

/* `xensim create FILE.cfg` (create-cfg.c). */
int xensim_create_cfg(const struct xensim *x, const char *path, int paused);

/* The processes `xensim exec` started in this run directory, and their
 * children (exec-procs.c): term sends them SIGTERM, reap waits at most ms
 * for them, then SIGKILLs the rest; returns how many survived even that. */
#define XENSIM_PROCS_MAX 1024
struct xensim_procs {
	int fd[XENSIM_PROCS_MAX]; /* pidfds */
	size_t n;
};
void xensim_exec_procs_term(const struct xensim *x, pid_t daemon, struct xensim_procs *ps);
size_t xensim_exec_procs_reap(struct xensim_procs *ps, int ms);

int cmd_start(struct xensim *x, int argc, char **argv);
int cmd_stop(struct xensim *x, int argc, char **argv);
int cmd_env(struct xensim *x, int argc, char **argv);
int cmd_list(struct xensim *x, int argc, char **argv);
int cmd_create(struct xensim *x, int argc, char **argv);
int cmd_destroy(struct xensim *x, int argc, char **argv);
int cmd_unpause(struct xensim *x, int argc, char **argv);
int cmd_exec(struct xensim *x, int argc, char **argv);
int cmd_fault(struct xensim *x, int argc, char **argv);

#endif
