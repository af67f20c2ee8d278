/*
 * xensim-guest - the PV console frontends of one simulated guest.
 *
 * Started by xensim for each domain: `xensim-guest --run-dir R --domid D`
 * with XENSTORED_PATH pointing at the domain's own xenstored socket (so
 * relative paths are /local/domain/D/...). Exits on SIGTERM.
 */
#include "guest.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void on_xs(struct loop *l, int fd, unsigned ev, void *arg)
{
	xb_on_xs_readable(arg);
}

static void on_evtchn(struct loop *l, int fd, unsigned ev, void *arg)
{
	con_evtchn_readable(arg);
}

static void on_signal(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct guest *g = arg;
	int sig;
	while ((sig = loop_signal_next(fd)) > 0) {
		if (sig == SIGCHLD)
			hp_sigchld(g->hp);
		else
			loop_stop(l);
	}
}

/* RUN programs get the guest's environment, not all of ours. */
static char **guest_env(void)
{
	static const char *const keep[] = {"PATH=",
	                                   "XENSTORED_PATH=",
	                                   "XENSIM_GUEST_ROOT=",
	                                   "XENSIM_DOMID=",
	                                   "XENSIM_RUN_DIR=",
	                                   "ASAN_OPTIONS=",
	                                   "UBSAN_OPTIONS=",
	                                   "LSAN_OPTIONS=",
	                                   "TMPDIR=",
	                                   NULL};
	size_t n = 0;
	char **env = calloc(16, sizeof(char *));
	if (!env)
		return NULL;
	int have_path = 0;
	for (char **e = environ; *e && n < 14; e++)
		for (size_t k = 0; keep[k]; k++)
			if (strncmp(*e, keep[k], strlen(keep[k])) == 0) {
				env[n++] = *e;
				have_path |= k == 0;
			}
	if (!have_path)
		env[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	env[n] = NULL;
	return env;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xensim-guest --run-dir DIR --domid D [--verbose]\n"
	           "       xensim-guest --help | --version\n");
}

struct options {
	const char *run_dir;
	long domid;
	int verbose;
};

/* Returns 0, or -1 with the exit status in *status. */
static int parse_options(int argc, char **argv, struct options *o, int *status)
{
	static const struct option opts[] = {
	    {"run-dir", required_argument, NULL, 'r'}, {"domid", required_argument, NULL, 'd'},
	    {"verbose", no_argument, NULL, 'v'},       {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0}};
	*o = (struct options){.run_dir = getenv("XENSIM_RUN_DIR"), .domid = -1};
	*status = 2;
	int c;
	while ((c = getopt_long(argc, argv, "r:d:vhV", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'r':
			o->run_dir = optarg;
			break;
		case 'd':
			o->domid = strtol(optarg, &end, 10);
			if (!*optarg || *end || o->domid < 1 || o->domid >= 0x7ff0) {
				fprintf(stderr,
				        "xensim-guest: --domid '%s' is not a guest domain id\n",
				        optarg);
				return -1;
			}
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			*status = 0;
			return -1;
		case 'V':
			printf("xensim-guest %s\n", XENCHANNEL_VERSION);
			*status = 0;
			return -1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (!o->run_dir || o->domid < 0 || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* The environment every part of the guest (and what it runs) shares, and the
 * guest root's directories. root and sock get their paths. */
static int guest_setup(const char *run_dir, long domid, char *root, size_t rootlen, char *sock,
                       size_t socklen)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%ld", domid);
	setenv("XENSIM_DOMID", buf, 1); /* the platform acts as this domain */
	setenv("XENSIM_RUN_DIR", run_dir, 1);
	const char *r = getenv("XENSIM_GUEST_ROOT");
	if (r && *r)
		snprintf(root, rootlen, "%s", r);
	else
		snprintf(root, rootlen, "%s/domains/%ld/root", run_dir, domid);
	setenv("XENSIM_GUEST_ROOT", root, 1);
	snprintf(sock, socklen, "%s/domains/%ld/frontend.sock", run_dir, domid);
	if (!getenv("XENSTORED_PATH")) {
		char xsp[4096];
		snprintf(xsp, sizeof(xsp), "%s/domains/%ld/xenstored.sock", run_dir, domid);
		setenv("XENSTORED_PATH", xsp, 1);
	}
	static const char *const dirs[] = {"",
	                                   "/dev",
	                                   "/sys",
	                                   "/run",
	                                   "/etc",
	                                   "/etc/udev",
	                                   "/etc/udev/rules.d",
	                                   "/lib",
	                                   "/lib/udev",
	                                   "/lib/udev/rules.d"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s%s", root, dirs[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			log_err("guest root %s: %s", p, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	int status;
	if (parse_options(argc, argv, &o, &status) < 0)
		return status;
	const char *run_dir = o.run_dir;
	long domid = o.domid;
	static char prog[48];
	snprintf(prog, sizeof(prog), "xensim-guest[dom%ld]", domid);
	log_init(prog);
	if (o.verbose)
		log_set_level(LOG_LVL_DEBUG);
	static char root[4096], sock[4096];
	if (guest_setup(run_dir, domid, root, sizeof(root), sock, sizeof(sock)) < 0)
		return 1;

	tools_seed(root);

	struct guest g = {.domid = (uint32_t)domid,
	                  .run_dir = run_dir,
	                  .root = root,
	                  .last_hvc = -1,
	                  .ino_fd = -1};
	/* hvc_console's vtermnos[]: all free but slot 0, the primary console
	 * (hvc_instantiate at boot; its vterm number is devid 0's) */
	for (size_t i = 0; i < HVC_MAX_CONSOLES; i++)
		g.vtermnos[i] = -1;
	g.vtermnos[0] = 0;
	g.base_env = guest_env();
	g.loop = loop_new();
	if (!g.base_env || !g.loop) {
		log_err("out of memory");
		return 1;
	}
	char err[256] = "";
	g.plat = platform_open(err, sizeof(err));
	if (!g.plat) {
		log_err("platform: %s", err);
		return 1;
	}
	g.ev = plat_evtchn_open(g.plat);
	g.shr = plat_gntshr_open(g.plat);
	if (!g.ev || !g.shr) {
		log_err("opening event channels / grant sharing: %s", strerror(errno));
		return 1;
	}
	g.xs = xs_open(0);
	if (!g.xs) {
		log_err("connecting to xenstore at %s: %s", getenv("XENSTORED_PATH"),
		        strerror(errno));
		return 1;
	}
	g.hp = hp_new(&g);

	static const int sigs[] = {SIGTERM, SIGINT, SIGCHLD, SIGHUP, 0};
	signal(SIGPIPE, SIG_IGN);
	if (!g.hp || loop_signals(g.loop, sigs, on_signal, &g) < 0 ||
	    loop_watch(g.loop, xs_fileno(g.xs), LOOP_READ, on_xs, &g) < 0 ||
	    loop_watch(g.loop, plat_evtchn_fd(g.ev), LOOP_READ, on_evtchn, &g) < 0) {
		log_err("setting up the event loop: %s", strerror(errno));
		return 1;
	}
	if (ctl_open(&g, sock) < 0)
		return 1;
	if (xb_start(&g) < 0)
		return 1;
	log_info("domain %ld: frontends up, root %s", domid, root);
	int rc = loop_run(g.loop);

	ctl_close();
	hp_free(g.hp);
	xb_shutdown(&g);
	xs_close(g.xs);
	plat_gntshr_close(g.shr);
	plat_evtchn_close(g.ev);
	platform_close(g.plat);
	if (g.ino_fd >= 0)
		close(g.ino_fd);
	loop_free(g.loop);
	free(g.base_env);
	return rc < 0 ? 1 : 0;
}
