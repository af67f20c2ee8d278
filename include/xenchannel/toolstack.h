/*
 * toolstack.h - attach, detach and list channels of running domains, writing
 * xenstore the way libxl 4.17 writes a channel (the frontend `type` aside).
 *
 * All xenstore access goes through libxenstore (xs_open() honours
 * XENSTORED_PATH). Values are read back from the dom0-owned copy under
 * /libxl/<domid>/device/console/<devid>, never from keys a guest can write;
 * the only guest-writable key read is the frontend `state`, parsed strictly.
 *
 * Errors come back as -1 with a one-line explanation in struct ts_error
 * (what, where, why) and an errno-style code.
 */
#ifndef XENCHANNEL_TOOLSTACK_H
#define XENCHANNEL_TOOLSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenchannel/config.h"

/* Frontend `type` of channels served by xenchanneld (QEMU serves "ioemu",
 * xenconsoled "xenconsoled"; neither touches ours). */
#define TS_FRONTEND_TYPE "xenchanneld"
/* libxl's LIBXL_XENCONSOLE_LIMIT and LIBXL_XENCONSOLE_PROTOCOL. */
#define TS_CONSOLE_LIMIT "1048576"
#define TS_CONSOLE_PROTOCOL "vt100"
/* Default time detach waits for the frontend to close. */
#define TS_DETACH_TIMEOUT_MS 10000
/* Default time attach waits for the backend's verdict. */
#define TS_ATTACH_TIMEOUT_MS 10000
/* The backend's verdict keys in its device directory, as libxl's hotplug
 * scripts write them: `hotplug-error` (the reason) first, then
 * `hotplug-status` = `error`; or `hotplug-status` = `connected`. */
#define TS_HOTPLUG_STATUS "hotplug-status"
#define TS_HOTPLUG_ERROR "hotplug-error"

struct ts_error {
	int code; /* ENOENT unknown domain/channel, EEXIST duplicate name, EADDRINUSE path
	             in use, EINVAL bad spec, ENOSPC too many channels, EHOSTUNREACH
	             xenstore unreachable, ETIMEDOUT a side did not answer,
	             ECONNREFUSED the backend refused the channel, EIO other */
	char msg[1024];
};

struct ts;

/* Connect to xenstored. On failure the message names the socket tried. */
int ts_open(struct ts **out, struct ts_error *err);
void ts_close(struct ts *ts);

/* "NAME" or a decimal domid of an existing domain. */
int ts_domain_lookup(struct ts *ts, const char *spec, uint32_t *domid, struct ts_error *err);
/* The domain's name into buf ("" if it has none); 0 or -1. */
int ts_domain_name(struct ts *ts, uint32_t domid, char *buf, size_t size);

#define TS_FORCE 1u
/* ts_attach: at ch->devid (1-CFG_MAX_DEVID), refused when that devid is taken. */
#define TS_AT_DEVID 2u

/*
 * Attach ch to domain domid as the lowest free console devid >= 1, in one
 * transaction (retried on EAGAIN). Refuses (unless TS_FORCE) an eighth
 * channel and a devid >= 10; always refuses a name that breaks the naming
 * rules, a name already used in the domain, a socket path already used by
 * any channel of any domain. *devid receives the devid.
 */
int ts_attach(struct ts *ts, uint32_t domid, const struct cfg_channel *ch, unsigned flags,
              unsigned *devid, struct ts_error *err);

/*
 * Attach as ts_attach, then wait (xenstore watch, at most timeout_ms; < 0:
 * forever) for the backend's verdict in its `hotplug-status`. `connected`:
 * 0. `error`: -1, ECONNREFUSED, the backend's `hotplug-error` in the message.
 * No verdict in time: -1, ETIMEDOUT, the message names the likely cause (no
 * xenchanneld holds the backend lock, or one does but did not answer). On
 * both failures what attach wrote is removed again (the close handshake of
 * ts_detach, bounded, then the directories), so the devid is free again.
 * *devid is set once the channel was written, failure or not (else 0).
 */
int ts_attach_wait(struct ts *ts, uint32_t domid, const struct cfg_channel *ch, unsigned flags,
                   int timeout_ms, unsigned *devid, struct ts_error *err);

/* The one xenchanneld of this host (see platform_backend_lock_path). */
struct ts_backend {
	char lock[256];    /* the lock file */
	long pid;          /* the holder's pid, 0 if unknown */
	char control[108]; /* the holder's control socket, "" if unknown */
};
/* 1 when a xenchanneld holds the lock (b says which, as far as it wrote),
 * 0 when none does, -1 on error. Takes no lock. */
int ts_backend_running(struct ts_backend *b, struct ts_error *err);
/* For xenchanneld itself: take the lock and write our pid and control
 * socket into it. Returns the descriptor to keep open while serving, or -1:
 * EEXIST when another daemon holds it (err names its pid and control
 * socket, b too), else errno-style. */
int ts_backend_claim(const char *control, struct ts_backend *b, struct ts_error *err);
/* For xenchanneld, on a clean exit: remove the lock file and let go of it. */
void ts_backend_release(int fd, const struct ts_backend *b);

struct ts_detach_result {
	unsigned devid;
	bool forced;    /* removed although a side did not answer */
	char note[512]; /* with forced: what did not answer */
};

/*
 * Detach the channel `which` (its name or devid) of domid: backend state
 * Closing, wait (xenstore watch) for the frontend to reach Closed or to
 * vanish, and, if a backend process serves the channel (its state was past
 * Initialising), for that backend's own Closed; then backend state Closed
 * and remove the frontend, backend and /libxl directories in one
 * transaction. timeout_ms < 0: wait forever. On timeout: error naming the
 * side that did not answer, unless TS_FORCE (then removed anyway and
 * res->forced says so).
 */
int ts_detach(struct ts *ts, uint32_t domid, const char *which, int timeout_ms, unsigned flags,
              struct ts_detach_result *res, struct ts_error *err);

/*
 * The same detach in steps, for a process that must not block (xenchanneld,
 * which is itself the backend that has to answer): prepare, watch
 * op->fe/state and op->be/state, close, then on each change ask done, and
 * finish once it says 1 (or when giving up).
 */
struct ts_detach_op {
	uint32_t domid;
	unsigned devid;
	bool served;                    /* a backend process serves it: its Closed is awaited */
	char fe[256], be[256], lp[256]; /* frontend, backend, /libxl directories */
};
/* Find the channel `which` (name or devid) and its directories. */
int ts_detach_prepare(struct ts *ts, uint32_t domid, const char *which, struct ts_detach_op *op,
                      struct ts_error *err);
/* Backend state Closing (only while the backend directory exists). */
int ts_detach_close(struct ts *ts, const struct ts_detach_op *op, struct ts_error *err);
/* 1 when the frontend is Closed or gone and, if served, the backend Closed. */
int ts_detach_done(struct ts *ts, const struct ts_detach_op *op);
/* Backend state Closed, then the three directories removed in one transaction. */
int ts_detach_finish(struct ts *ts, const struct ts_detach_op *op, struct ts_error *err);
/* Remove the directories of channel devid of domid at once, no handshake:
 * for a domain that is gone. */
int ts_channel_remove(struct ts *ts, uint32_t domid, unsigned devid, struct ts_error *err);

/* Wait until a backend process has taken each of the n channels devids of
 * domid (channels that may not exist yet): its verdict hotplug-status =
 * "connected" in the backend directory. -1 on a hotplug-error (its text in
 * err), on ETIMEDOUT after timeout_ms (naming the channels still waited
 * for), or on a xenstore failure. */
int ts_wait_served(struct ts *ts, uint32_t domid, const unsigned *devids, size_t n, int timeout_ms,
                   struct ts_error *err);

/* XenbusState names; state < 0 means missing (-1) or unparsable (-2). */
const char *ts_state_name(int state);

struct ts_channel_info {
	uint32_t domid;
	char *domain; /* domain name, "" if none */
	unsigned devid;
	char *name;       /* from the /libxl copy */
	char *connection; /* "socket", "pty" or "" */
	char *path;       /* socket path or NULL */
	char *tty;        /* frontend tty (pty), NULL if empty */
	char *type;       /* frontend type: xenchanneld, ioemu, ... */
	char *backend;    /* backend directory */
	int fe_state;
	int be_state;
};

/* Every channel (console devid >= 1) of domid, or of all domains if
 * domid < 0, ordered by domain then devid. */
int ts_list(struct ts *ts, int64_t domid, struct ts_channel_info **out, size_t *n,
            struct ts_error *err);
void ts_list_free(struct ts_channel_info *v, size_t n);

#endif
