/*
 * guest.h - xensim-guest: one simulated guest kernel's PV console frontends.
 *
 * xenbus.c   the xenbus frontend bus: watch `device`, register/unregister
 *            console-<node> devices, otherend (backend state) watches,
 *            switch_state, dev_fatal.
 * console.c  the hvc_xen driver: probe (page, event channel, hvc line, grant,
 *            ring-ref/port transaction, Initialised), backend_changed, remove,
 *            ring <-> tty data path with back-pressure, fault injection.
 * hvc.c      the hvc tty lines: Linux's index slots, a pty per line linked
 *            at <root>/dev/hvc<N>, open tracking, hangup.
 * hotplug.c  sysfs entries and uevents; runs the guest's udev rules and their
 *            RUN programs asynchronously, one event at a time per device.
 * control.c  frontend.sock: `fault`, `status`, `settle`.
 * tools.c    the guest package (udev rule + xen-console-setup) in a fresh root.
 */
#ifndef XENSIM_GUEST_H
#define XENSIM_GUEST_H

#include <stdint.h>
#include <sys/types.h>
#include <termios.h>
#include <xenstore.h>

#include "xenchannel/log.h"
#include "xenchannel/loop.h"
#include "xenchannel/platform.h"
#include "xenchannel/ring.h"
#include "xenchannel/xenbus.h"
#include "xenchannel/xstore.h"

#define HVC_TTY_LINES 8     /* hvc tty driver lines: hvc0..hvc7 */
#define HVC_MAX_CONSOLES 16 /* hvc_console's MAX_NR_HVC_CONSOLES: slots of vtermnos[] */

struct guest;

struct fe_dev {
	struct guest *g;
	struct fe_dev *next;
	char node[16];     /* child name under device/console */
	char kname[32];    /* xenbus device name: console-<node> */
	char fe_path[48];  /* device/console/<node> (relative to our home) */
	char be_path[256]; /* the other end (absolute) */
	uint32_t be_domid;
	char token[64]; /* otherend watch token */
	int watching;
	int bound;           /* driver probe succeeded */
	int bind_sent;       /* a bind uevent went out: unbind goes out on removal */
	enum xb_state state; /* our cached state, as dev->state */
	enum xb_state be_state;

	/* xencons_info */
	int devid;          /* Linux: last character of the node name - '0' */
	uint64_t probe_seq; /* order in Linux's xenconsoles list (0: not in it) */
	void *page;
	uint32_t gref;
	int port; /* -1 when none */
	struct ring ring;

	/* hvc line (hvc.c) */
	int hvc;          /* index, -1 when removed */
	uint64_t hvc_seq; /* allocation order (hvc_structs list position) */
	int master;       /* pty master, -1 when none */
	int keep;         /* our slave fd: keeps the pty alive between guest opens */
	int ino_wd;       /* inotify watch on the slave (guest opens/closes), -1 if none */
	int opens;        /* guest processes holding the tty open (1 when untracked) */
	char pts[64];
	struct termios std; /* the line's termios at creation (tty_std_termios) */
	int reset_due;      /* last close seen: restore std before the next open */

	/* data path state */
	int out_paused; /* not reading the master: out ring full */
	int in_waiting; /* master not writable: waiting for POLLOUT */
	int stalled;    /* fault: neither drain in nor produce out */
	int corrupt;    /* fault corrupt-index active */
	uint32_t saved_out_prod, saved_in_cons;
	struct log_limit lim;
	uint64_t bytes_out, bytes_in;
};

struct guest {
	struct loop *loop;
	struct xs_handle *xs;
	struct platform *plat;
	struct plat_evtchn *ev;
	struct plat_gntshr *shr;
	uint32_t domid;
	const char *run_dir;
	const char *root;
	char **base_env;                /* environment for RUN programs */
	int vtermnos[HVC_MAX_CONSOLES]; /* slot -> vterm number (devid), -1 free; 0: primary */
	int last_hvc;                   /* counter for indices beyond the table (-1 at boot) */
	uint64_t hvc_allocs;            /* hvc_seq source */
	uint64_t probes;                /* successful probes so far (probe_seq source) */
	int ino_fd;                     /* one inotify instance for all ttys, -1 until needed */
	int ino_failed;                 /* inotify unavailable: ttys count as always open */
	struct fe_dev *devs;
	struct hotplug *hp;
};

/* xenbus.c */
int xb_start(struct guest *g);
void xb_on_xs_readable(struct guest *g);
int xb_switch_state(struct fe_dev *d, enum xb_state s);
void xb_dev_fatal(struct fe_dev *d, int err, const char *what);
struct fe_dev *xb_find(struct guest *g, const char *node);
void xb_shutdown(struct guest *g);
/* Catch up with xenstore now: queued watch events, then a rescan of
 * device/console (what the next watch event would trigger anyway). */
void xb_sync(struct guest *g);

/* console.c */
int con_probe(struct fe_dev *d);
void con_backend_changed(struct fe_dev *d, enum xb_state s);
void con_remove(struct fe_dev *d);
void con_evtchn_readable(struct guest *g);
void con_kick(struct fe_dev *d); /* (re)run both directions */
/* Fault injection; returns 0 or -1 with a message in err. */
int con_fault(struct fe_dev *d, const char *kind, const char *arg, char *err, size_t errlen);

/* hvc.c */
int hvc_create(struct fe_dev *d);
void hvc_remove(struct fe_dev *d);
void hvc_on_inotify(struct guest *g);

/* hotplug.c */
struct hotplug *hp_new(struct guest *g);
void hp_free(struct hotplug *hp);
/* The kernel side of a uevent: sysfs updates and queueing the event. */
void hp_device_add(struct fe_dev *d);
void hp_device_bind(struct fe_dev *d);
void hp_device_remove(struct fe_dev *d);
void hp_sysfs_state(struct fe_dev *d);
void hp_sigchld(struct hotplug *hp);
int hp_busy(const struct hotplug *hp);
/* Call cb once every queued event has finished (udevadm settle). */
int hp_settle(struct hotplug *hp, void (*cb)(void *arg), void *arg);

/* tools.c: install the guest package (rule + helper) into a fresh root */
void tools_seed(const char *root);

/* control.c */
int ctl_open(struct guest *g, const char *path);
void ctl_close(void);

#endif
