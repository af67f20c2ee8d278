/*
 * xenchanneld.h - internals of the channel backend daemon (not installed).
 *
 * One process serves every channel of every domain from one event loop:
 * watch.c finds devices in xenstore, channel.c runs each device's state
 * machine (decisions in fsm.c), relay.c moves bytes between the ring and the
 * dom0 endpoint (endpoint-socket.c, endpoint-pty.c), control.c answers
 * `stats`. Channels a previous instance left Connected are adopted, not
 * connected anew (chan_connect).
 */
#ifndef XENCHANNELD_H
#define XENCHANNELD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "xenchannel/log.h"
#include "xenchannel/ring.h"
#include "xenchannel/toolstack.h"
#include "xenchannel/xenbus.h"

struct linesrv;
struct loop;
struct platform;
struct plat_evtchn;
struct plat_gnttab;
struct xs_handle;

/* ---- fsm.c: what a channel does next, as a pure function ---- */

enum ch_state {
	CH_NEW,      /* discovered, nothing done yet */
	CH_INITWAIT, /* endpoint open, backend InitWait, waiting for the frontend */
	CH_CONNECTED,
	CH_ERROR,   /* ring misbehaved: released, backend Closing */
	CH_CLOSING, /* released, backend Closing, waiting for frontend Closed */
	CH_CLOSED,  /* released, backend Closed */
};

/* What xenstore says right now (-1: key missing or unparsable). */
struct fsm_input {
	int be_state;
	int fe_state; /* XB_UNKNOWN when the frontend directory is gone */
	int online;
	int ring_keys;     /* ring-ref and port both present and valid */
	int fe_was_closed; /* the frontend reached Closed since we closed */
};

enum fsm_action {
	FA_NONE = 0,
	FA_OPEN = 1u << 0,    /* open the dom0 endpoint */
	FA_CONNECT = 1u << 1, /* map the ring, bind the event channel */
	FA_ADOPT = 1u << 2,   /* as CONNECT, for a ring a previous instance served */
	FA_RELEASE = 1u << 3, /* unmap, unbind, close the endpoint */
};

struct fsm_step {
	enum ch_state next;
	unsigned actions; /* FA_* */
	int write_be;     /* backend state to write, or -1 */
};

struct fsm_step fsm_next(enum ch_state cur, const struct fsm_input *in);
/* After a failed FA_CONNECT/FA_ADOPT. */
struct fsm_step fsm_connect_failed(void);
const char *fsm_state_name(enum ch_state s);

/* ---- relay.c: one budgeted pass between a ring and a stream fd ---- */

struct relay_result {
	size_t to_guest;   /* bytes committed into `in` */
	size_t from_guest; /* bytes consumed from `out` */
	int corrupt;       /* ring indices were invalid; nothing moved after that */
	int want_read;     /* `in` has room: read the fd when readable */
	int want_write;    /* `out` has data the fd did not take: wait for writable */
	int more;          /* budget ran out with work left: run again soon */
	int client_gone;   /* EOF or error on the fd */
	int err;           /* errno of the fd error, 0 for EOF */
};

#define RELAY_BUDGET (64u * 1024u) /* bytes per direction per pass */
#define RELAY_ITERS 32u            /* readv/writev calls per direction per pass */

void relay_pass(struct ring *r, int fd, size_t budget, struct relay_result *res);

/* ---- endpoint-socket.c ---- */

/* Create a listening unix socket at path (see the man page for the rules).
 * Returns the fd, or -1 with a message in err. dev and ino identify the file. */
int eps_listen(const char *path, mode_t mode, int backlog, dev_t *dev, ino_t *ino, char *err,
               size_t errlen);
/* Remove path if it is still the socket file we created. */
void eps_unlink(const char *path, dev_t dev, ino_t ino);
/* Accept one client (non-blocking, close-on-exec), -1 with errno. */
int eps_accept(int lfd);

/* ---- endpoint-pty.c ---- */

/* Open a raw-mode pty; *master is non-blocking, *slave is kept open so the
 * pty never hangs up and guest output waits in it instead of being lost. */
int ept_open(int *master, int *slave, char *name, size_t namelen, char *err, size_t errlen);

/* ---- the daemon ---- */

enum ep_kind { EP_SOCKET, EP_PTY };

struct chan {
	struct xcd *d;
	uint32_t domid, devid;
	enum ch_state st;
	enum ep_kind kind;
	char *name;
	char *path;
	dev_t sock_dev;
	ino_t sock_ino;
	int listen_fd;
	int fd; /* client socket or pty master, -1 when none */
	int pty_slave;
	int pty_wd;       /* inotify watch on the pty's slave, -1 when none */
	int pty_clients;  /* dom0 opens of the slave (ours aside) */
	unsigned fd_mask; /* LOOP_* mask currently registered for fd */
	int watching_fe;
	int skip_fe_initial; /* the new watch's first event: we just read it all */
	int fe_was_closed;
	unsigned seen; /* scan generation (watch.c) */

	void *page;
	struct ring ring;
	int local_port; /* -1 when not bound */
	uint32_t remote_port, gref;

	int scheduled; /* a relay turn is queued (loop_soon) */
	int dead;      /* freed while queued: the queued turn frees the memory */
	int throttled; /* event storm: port left masked until the window ends */
	uint64_t throttle_timer;
	uint64_t accept_timer; /* accept failed (EMFILE...): listener paused */
	uint64_t win_start_ms;
	unsigned win_events;
	uint64_t win_bytes;
	uint64_t win_to;        /* of win_bytes, to the guest */
	uint64_t rate_to;       /* bytes per ms to the guest, last window (batching) */
	size_t pass_from_guest; /* bytes the last turn took from `out` */
	size_t pass_to_guest;   /* ... and put into `in` */
	uint64_t batch_len;     /* ms of the next batch (channel.c) */
	uint64_t batch_timer;   /* port masked for a batch: the timer unmasks */

	uint64_t bytes_to_guest, bytes_from_guest, errors, storms;
	uint64_t events;   /* event channel notifications from the guest */
	uint64_t notifies; /* ... and to the guest */
	struct log_limit lim;
	struct chan *hnext;
};

struct xcd_opts {
	int foreground;
	int use_syslog;
	int verbose;
	const char *pidfile;
	const char *control_path;
	const char *domains_dir; /* declarations (domains.c) */
	mode_t socket_mode;
};

struct xcd {
	struct loop *loop;
	struct platform *plat;
	struct plat_evtchn *evt;
	struct plat_gnttab *gnt;
	struct xs_handle *xs;
	uint32_t self;
	char be_root[64];
	int skip_root_event;  /* the initial scan ran already */
	int introduced_works; /* xs_is_domain_introduced answers for ourselves */
	struct xcd_opts opt;

	struct chan **tab; /* hash on (domid, devid) */
	size_t tab_size;
	size_t nchan;
	struct chan **by_port; /* local port -> channel */
	size_t by_port_size;

	uint64_t adopted; /* channels taken over from a previous instance */

	int ino_fd;         /* inotify: opens and closes of pty channels' ttys */
	struct chan **ptys; /* the channels with a watch on it */
	size_t npty, pty_cap;

	int lock_fd; /* the backend lock (one daemon per host), held while we run */
	struct ts_backend lock;

	struct domains *domains; /* domains.c */
	struct linesrv *control;
	char *control_path;
	dev_t control_dev;
	ino_t control_ino;
	int stopping;
};

/* channel.c */
struct chan *chan_find(struct xcd *d, uint32_t domid, uint32_t devid);
/* Re-read xenstore for (domid, devid) and move the state machine; creates or
 * frees the channel as needed. */
void chan_update(struct xcd *d, uint32_t domid, uint32_t devid);
void chan_free(struct chan *c, int write_xenstore);
void chan_schedule(struct chan *c);
/* Its event channel fired; returns 1 when the port may be unmasked now. */
int chan_event(struct chan *c);
void chan_fail(struct chan *c, const char *why);
void chan_release(struct chan *c);
int chan_connect(struct chan *c, int adopt);
int chan_open_endpoint(struct chan *c);
/* Write our backend state, in a transaction that never turns a toolstack's
 * Closing or Closed back into InitWait or Connected (a detach racing our
 * handshake): 1 when it did not for that reason, else 0. */
int chan_write_state(struct chan *c, int state);
void chan_foreach(struct xcd *d, void (*fn)(struct chan *c, void *arg), void *arg);

/* evtchn.c */
int evtchn_init(struct xcd *d, char *err, size_t errlen);

/* watch.c */
int watch_init(struct xcd *d, char *err, size_t errlen);
void watch_scan_all(struct xcd *d);
int watch_frontend(struct chan *c, int on);
/* Is domid still there (introduced)? */
int watch_domain_alive(struct xcd *d, uint32_t domid);

/* domains.c: channels declared per domain name, attached when it runs. */
int domains_init(struct xcd *d, const char *dir, char *err, size_t errlen);
void domains_close(struct xcd *d);
/* A xenstore event with one of our tokens: 1 when it was ours. */
int domains_event(struct xcd *d, const char *path, const char *token);
/* SIGHUP: look at every domain and declaration again. */
void domains_rescan(struct xcd *d);
/* Channel devid of domid, whose domain is gone: remove its directories. */
void domains_channel_gone(struct xcd *d, uint32_t domid, uint32_t devid);
/* A backend device directory of domid came or went: a gone domain's empty
 * directories are removed. */
void domains_backend_removed(struct xcd *d, uint32_t domid);

/* control.c */
/* The control socket's path: -c, else $XENSIM_RUN_DIR or /run, then
 * /xenchanneld/control.sock. 0, or -1 with err. */
int control_path(const struct xcd_opts *o, char *path, size_t len, char *err, size_t errlen);
int control_open(struct xcd *d, char *err, size_t errlen);
void control_close(struct xcd *d);
/* One JSON object (no newline) describing c into buf; returns its length. */
size_t control_format(const struct chan *c, char *buf, size_t len);

/* pty-clients.c */
int ptyc_init(struct xcd *d, char *err, size_t errlen);
void ptyc_close(struct xcd *d);
/* Count the dom0 clients of c's pty tty from now on. 0, or -1 with errno. */
int ptyc_watch(struct chan *c, const char *tty);
void ptyc_unwatch(struct chan *c);

/* notify.c: sd_notify(3) without libsystemd. 0, or -1 when not under systemd. */
int notify_systemd(const char *state);

/* fevalue.c: the guest-written frontend values the daemon uses. */
enum fev_key { FEV_STATE, FEV_RING_REF, FEV_PORT };
/* Judge the value of frontend key k as xenstore returned it: len bytes (any
 * bytes, no terminator needed). Returns 0 with *out set, or -1 with *why set
 * to a static text saying what is wrong with it. */
int fev_parse(enum fev_key k, const char *v, size_t len, uint32_t *out, const char **why);
/* The xenstore key of k: "state", "ring-ref", "port". */
const char *fev_key_name(enum fev_key k);

#endif
