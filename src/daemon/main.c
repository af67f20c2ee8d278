/*
 * main.c - xenchanneld: options, daemonizing, signals, start and stop.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenstore.h>

#include "xenchannel/config.h"
#include "xenchannel/daemonize.h"
#include "xenchannel/loop.h"
#include "xenchannel/platform.h"

#define VERSION XENCHANNEL_VERSION

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: xenchanneld [-f] [-s|-e] [-v] [-p PIDFILE] [-c CONTROL] [-m MODE] [-D DIR]\n"
	       "  -f, --foreground      do not daemonize\n"
	       "  -s, --syslog          log to syslog (default when daemonized)\n"
	       "  -e, --stderr          log to stderr (default in the foreground)\n"
	       "  -p, --pidfile FILE    write our pid to FILE\n"
	       "  -c, --control PATH    control socket (default /run/xenchanneld/control.sock)\n"
	       "  -m, --socket-mode OCT mode of channel sockets (default 0600)\n"
	       "  -D, --domains-dir DIR channels declared per domain (default\n"
	       "                        $XENCHANNEL_DOMAINS_DIR, else " XC_DOMAINS_DIR ")\n"
	       "  -v, --verbose         log debug lines\n"
	       "  -h, --help, -V, --version\n");
}

static int parse_args(int argc, char **argv, struct xcd_opts *o)
{
	static const struct option longopts[] = {
	    {"foreground", no_argument, NULL, 'f'},
	    {"syslog", no_argument, NULL, 's'},
	    {"stderr", no_argument, NULL, 'e'},
	    {"pidfile", required_argument, NULL, 'p'},
	    {"control", required_argument, NULL, 'c'},
	    {"socket-mode", required_argument, NULL, 'm'},
	    {"domains-dir", required_argument, NULL, 'D'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	o->socket_mode = 0600;
	o->use_syslog = -1;
	int ch;
	while ((ch = getopt_long(argc, argv, "fsep:c:m:D:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->foreground = 1;
			break;
		case 's':
			o->use_syslog = 1;
			break;
		case 'e':
			o->use_syslog = 0;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'c':
			if (optarg[0] != '/') {
				fprintf(stderr,
				        "xenchanneld: --control '%s': not an absolute path\n",
				        optarg);
				return -1;
			}
			o->control_path = optarg;
			break;
		case 'm': {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);
			if (!*optarg || *end || m > 0777 || (m & 0600) != 0600) {
				fprintf(
				    stderr,
				    "xenchanneld: --socket-mode '%s': want an octal mode <= 0777 "
				    "that includes 0600\n",
				    optarg);
				return -1;
			}
			o->socket_mode = (mode_t)m;
			break;
		}
		case 'D':
			o->domains_dir = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("xenchanneld %s\n", VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xenchanneld: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	if (o->use_syslog < 0)
		o->use_syslog = !o->foreground;
	if (!o->domains_dir)
		o->domains_dir = getenv(CFG_DOMAINS_DIR_ENV);
	if (!o->domains_dir || !*o->domains_dir)
		o->domains_dir = XC_DOMAINS_DIR;
	return 0;
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static int write_pidfile(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_err("pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	dprintf(fd, "%ld\n", (long)getpid());
	close(fd);
	return 0;
}

static void signal_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct xcd *d = arg;
	int sig;
	while ((sig = loop_signal_next(fd)) > 0) {
		if (sig == SIGHUP) {
			log_info("SIGHUP: rescanning xenstore");
			watch_scan_all(d);
			domains_rescan(d);
		} else {
			log_info("signal %d: shutting down, leaving the guests' rings connected",
			         sig);
			d->stopping = 1;
			loop_stop(l);
		}
	}
}

static void release_one(struct chan *c, void *arg)
{
	(void)arg;
	/* Shutdown: release our side only; xenstore keeps saying Connected so
	 * the next instance adopts the channel. */
	chan_release(c);
}

static void free_one(struct chan *c, void *arg)
{
	(void)arg;
	c->scheduled = 0;
	c->watching_fe = 0;
	chan_free(c, 0);
}

/* Each channel holds a few descriptors (listener, client, event channel);
 * thousands of channels need more than the usual soft limit. */
static void raise_nofile(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) < 0)
		return;
	struct rlimit want = {.rlim_cur = 1u << 20, .rlim_max = 1u << 20};
	if (r.rlim_max < want.rlim_max && setrlimit(RLIMIT_NOFILE, &want) == 0)
		return; /* privileged: raised the hard limit too */
	if (r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* The platform (event channels, grant tables) and xenstore. */
static int open_platform(struct xcd *d)
{
	char err[512];
	d->plat = platform_open(err, sizeof(err));
	if (!d->plat) {
		log_err("platform: %s", err);
		return -1;
	}
	d->self = platform_domid(d->plat);
	d->evt = plat_evtchn_open(d->plat);
	if (!d->evt) {
		log_err("opening event channels (%s platform): %s", platform_name(d->plat),
		        strerror(errno));
		return -1;
	}
	d->gnt = plat_gnttab_open(d->plat);
	if (!d->gnt) {
		log_err("opening grant tables (%s platform): %s", platform_name(d->plat),
		        strerror(errno));
		return -1;
	}
	d->xs = xs_open(0);
	if (!d->xs) {
		log_err("connecting to xenstore: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Exactly one daemon serves a host's backend/console tree: a second one,
 * whatever its options, must not touch xenstore, sockets or ptys. The lock
 * lives as long as this process (the kernel drops it even on SIGKILL). */
static int claim_backend(struct xcd *d)
{
	char ctl[sizeof(d->lock.control)], err[512];
	struct ts_error te;
	d->lock_fd = d->ino_fd = -1; /* (the exit path closes them) */
	if (control_path(&d->opt, ctl, sizeof(ctl), err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	d->lock_fd = ts_backend_claim(ctl, &d->lock, &te);
	if (d->lock_fd >= 0)
		return 0;
	log_err("refusing to start: %s", te.msg);
	if (d->opt.use_syslog && d->opt.foreground) /* the log went to syslog */
		fprintf(stderr, "xenchanneld: refusing to start: %s\n", te.msg);
	return -1;
}

/* Ready: systemd is told, and a daemonized process's starter returns; from
 * here on the log goes where the user asked. */
static void announce_ready(const struct xcd *d, int ready_fd)
{
	notify_systemd("READY=1");
	if (ready_fd < 0)
		return;
	if (d->opt.use_syslog)
		log_use_syslog(1);
	int keep_err = !d->opt.use_syslog;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (!keep_err)
			dup2(null, 2);
		if (null > 2)
			close(null);
	} else {
		detach_stdio();
	}
	if (daemonize_ready(ready_fd) < 0)
		log_warn("telling the parent we are ready: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	static struct xcd d;
	char err[512];
	int ready_fd = -1, rc = 1, sfd = -1;

	log_init("xenchanneld");
	if (parse_args(argc, argv, &d.opt) < 0)
		return 2;
	if (d.opt.verbose)
		log_set_level(LOG_LVL_DEBUG);
	if (d.opt.use_syslog && d.opt.foreground)
		log_use_syslog(1);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	if (!d.opt.foreground) {
		char msg[256];
		int r = daemonize(&ready_fd, msg, sizeof(msg));
		if (r < 0) {
			log_err("daemonizing: %s", strerror(errno));
			return 1;
		}
		if (r != DAEMONIZE_CHILD) {
			/* the starter: the daemon logged why it failed on our stderr */
			if (r == DAEMONIZE_FAILED && *msg)
				log_err("daemonizing: %s", msg);
			return r == DAEMONIZE_READY ? 0 : 1;
		}
		if (chdir("/") < 0) {
			log_err("daemonizing: chdir /: %s", strerror(errno));
			return 1;
		}
		umask(022);
	}
	if (claim_backend(&d) < 0)
		return 1;

	d.tab_size = 8192;
	d.tab = calloc(d.tab_size, sizeof(*d.tab));
	d.loop = loop_new();
	if (!d.tab || !d.loop) {
		log_err("out of memory");
		goto out;
	}
	if (open_platform(&d) < 0)
		goto out;

	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, 0};
	sfd = loop_signals(d.loop, sigs, signal_cb, &d);
	if (sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		goto out;
	}
	if (control_open(&d, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (evtchn_init(&d, err, sizeof(err)) < 0 || ptyc_init(&d, err, sizeof(err)) < 0 ||
	    watch_init(&d, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	uint64_t t0 = loop_now_us();
	watch_scan_all(&d);
	d.skip_root_event = 1; /* the watch's first event would scan again */
	if (domains_init(&d, d.opt.domains_dir, err, sizeof(err)) < 0) {
		log_err("declared channels: %s", err);
		goto out;
	}
	log_info("serving %s/*/* on the %s platform: %zu channels, %llu adopted in %.1f ms",
	         d.be_root, platform_name(d.plat), d.nchan, (unsigned long long)d.adopted,
	         (double)(loop_now_us() - t0) / 1000.0);

	if (d.opt.pidfile && write_pidfile(d.opt.pidfile) < 0)
		goto out;
	announce_ready(&d, ready_fd);
	ready_fd = -1;

	if (loop_run(d.loop) < 0)
		log_err("event loop: %s", strerror(errno));
	else
		rc = 0;
	notify_systemd("STOPPING=1");

out:
	chan_foreach(&d, release_one, NULL);
	chan_foreach(&d, free_one, NULL);
	domains_close(&d);
	control_close(&d);
	ptyc_close(&d);
	if (d.opt.pidfile && rc == 0)
		unlink(d.opt.pidfile);
	if (sfd >= 0)
		close(sfd);
	if (d.xs)
		xs_close(d.xs);
	if (d.gnt)
		plat_gnttab_close(d.gnt);
	if (d.evt)
		plat_evtchn_close(d.evt);
	if (d.plat)
		platform_close(d.plat);
	loop_free(d.loop);
	free(d.tab);
	free(d.by_port);
	ts_backend_release(d.lock_fd, &d.lock);
	return rc;
}
