/*
 * xen-console-setup - udev helper: /dev/xen-channel/<name> for each Xen PV
 * channel. Run by the udev rule on the xen bus console-<devid> events; reads
 * the channel name the toolstack wrote in device/console/<devid>/name and
 * links it to the console's hvc tty.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <xenstore.h>

#include "console-setup.h"
#include "xenchannel/escape.h"
#include "xenchannel/log.h"

#define DEFAULT_TIMEOUT_MS 2000

static char timeout_msg[256];

static void on_alarm(int sig)
{
	(void)sig;
	ssize_t r = write(STDERR_FILENO, timeout_msg, strlen(timeout_msg));
	(void)r;
	_exit(1);
}

/* A printable, bounded rendition of untrusted text for one log line. */
static void show(char *out, size_t outlen, const char *s, size_t len)
{
	esc_text(out, outlen, s, len, 0, ESC_BACKSLASH);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xen-console-setup [--root DIR] [--action bind|add|remove]\n"
	           "                         [--devpath PATH] [--group GROUP] [--mode MODE]\n"
	           "                         [--timeout MS] [--syslog]\n"
	           "       xen-console-setup --print-name [--devpath PATH] [--timeout MS]\n"
	           "       xen-console-setup --help | --version\n"
	           "ACTION and DEVPATH default to the udev event's environment.\n"
	           "--print-name prints XEN_CHANNEL_NAME=<name> for udev's IMPORT{program}.\n");
}

/* Read device/console/<devid>/name (relative: this domain's own directory). */
static char *read_name(int devid, unsigned timeout_ms, size_t *len, const char **why)
{
	char path[64];
	snprintf(path, sizeof(path), "device/console/%d/name", devid);
	snprintf(timeout_msg, sizeof(timeout_msg),
	         "xen-console-setup: error: console-%d: reading %s from xenstore timed out "
	         "after %u ms\n",
	         devid, path, timeout_ms);
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {timeout_ms / 1000, (timeout_ms % 1000) * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	struct xs_handle *xs = xs_open(0);
	char *v = NULL;
	if (!xs) {
		*why = "cannot connect to xenstore";
	} else {
		unsigned int l = 0;
		v = xs_read(xs, XBT_NULL, path, &l);
		if (!v)
			*why = errno == ENOENT ? "no name key (not a channel)"
			                       : "xenstore read failed";
		*len = l;
		xs_close(xs);
	}
	struct itimerval off = {0};
	setitimer(ITIMER_REAL, &off, NULL);
	return v;
}

struct setup {
	const char *root, *action, *devpath, *group;
	mode_t mode;
	gid_t gid; /* (gid_t)-1: keep the tty's group */
	unsigned timeout_ms;
	int print_name;     /* --print-name: only say the channel's name */
	const char *kernel; /* "console-<devid>", the last part of DEVPATH */
	int devid;
};

/* Options over the udev event's environment, then checked. Returns 0, or -1
 * with the exit status in *status. */
static int parse_options(int argc, char **argv, struct setup *s, int *status)
{
	static const struct option opts[] = {{"root", required_argument, NULL, 'r'},
	                                     {"action", required_argument, NULL, 'a'},
	                                     {"devpath", required_argument, NULL, 'd'},
	                                     {"group", required_argument, NULL, 'g'},
	                                     {"mode", required_argument, NULL, 'm'},
	                                     {"timeout", required_argument, NULL, 't'},
	                                     {"syslog", no_argument, NULL, 's'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {"version", no_argument, NULL, 'V'},
	                                     {"print-name", no_argument, NULL, 'n'},
	                                     {NULL, 0, NULL, 0}};
	*s = (struct setup){.root = getenv("XENSIM_GUEST_ROOT"),
	                    .action = getenv("ACTION"),
	                    .devpath = getenv("DEVPATH"),
	                    .mode = 0600,
	                    .gid = (gid_t)-1,
	                    .timeout_ms = DEFAULT_TIMEOUT_MS};
	if (!s->root || !*s->root)
		s->root = "/";
	*status = 2;
	int c;
	while ((c = getopt_long(argc, argv, "r:a:d:g:m:t:shV", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'r':
			s->root = optarg;
			break;
		case 'a':
			s->action = optarg;
			break;
		case 'd':
			s->devpath = optarg;
			break;
		case 'g':
			s->group = optarg;
			break;
		case 'm': {
			unsigned long m = strtoul(optarg, &end, 8);
			if (!*optarg || *end || m > 07777) {
				log_err("--mode '%s' is not an octal file mode", optarg);
				return -1;
			}
			s->mode = (mode_t)m;
			break;
		}
		case 't': {
			unsigned long t = strtoul(optarg, &end, 10);
			if (!*optarg || *end || t == 0 || t > 60000) {
				log_err("--timeout '%s' is not 1..60000 milliseconds", optarg);
				return -1;
			}
			s->timeout_ms = (unsigned)t;
			break;
		}
		case 's':
			log_use_syslog(1);
			break;
		case 'n':
			s->print_name = 1;
			s->action = "bind"; /* not needed to name a channel */
			break;
		case 'h':
			usage(stdout);
			*status = 0;
			return -1;
		case 'V':
			printf("xen-console-setup %s\n", XENCHANNEL_VERSION);
			*status = 0;
			return -1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (!s->action || !s->devpath) {
		log_err("no ACTION/DEVPATH: run from a udev rule or pass --action and --devpath");
		return -1;
	}
	const char *kernel = strrchr(s->devpath, '/');
	s->kernel = kernel ? kernel + 1 : s->devpath;
	s->devid = cs_parse_devid(s->kernel);
	char want[64];
	snprintf(want, sizeof(want), "/devices/%s", s->kernel);
	if (s->devid < 0 || strcmp(s->devpath, want) != 0) {
		char shown[96];
		show(shown, sizeof(shown), s->devpath, strlen(s->devpath));
		log_err("DEVPATH '%s' is not a xen console device (/devices/console-<devid>)",
		        shown);
		*status = 1;
		return -1;
	}
	if (s->group) {
		struct group *gr = getgrnam(s->group);
		if (!gr) {
			log_err("--group '%s': no such group", s->group);
			return -1;
		}
		s->gid = gr->gr_gid;
	}
	return 0;
}

/* `remove`: delete the link this device's record names, then the record. */
static int remove_channel(const struct setup *s)
{
	const char *what;
	int lock = cs_lock(s->root);
	if (lock < 0) {
		log_err("%s: locking run/xen-channel/.lock: %s", s->kernel, strerror(errno));
		return 1;
	}
	int hvc, rc = 0;
	char name[256];
	if (cs_record_read(s->root, s->devid, &hvc, name, sizeof(name)) < 0) {
		close(lock);
		return 0; /* nothing was linked for this device */
	}
	if (hvc >= 0 && name[0] && cs_link_remove(s->root, name, hvc, &what) < 0) {
		log_err("%s: %s for %s: %s", s->kernel, what, name, strerror(errno));
		rc = 1;
	} else if (cs_record_remove(s->root, s->devid) < 0) {
		log_err("%s: removing run/xen-channel/%s: %s", s->kernel, s->kernel,
		        strerror(errno));
		rc = 1;
	}
	close(lock);
	return rc;
}

/* The hvc line of this device (under the lock): the one an earlier run
 * linked when it still opens and the name did not change (a repeated
 * trigger), else the one inferred now. -1 with *why when there is none. */
static int device_hvc(const struct setup *s, const char *good, const char **why)
{
	int hvc = -1;
	char old[256];
	if (cs_record_read(s->root, s->devid, &hvc, old, sizeof(old)) == 0 && hvc > 0) {
		char node[64];
		snprintf(node, sizeof(node), "%s/dev/hvc%d", s->root, hvc);
		int fd = open(node, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		else
			hvc = -1;
		if (fd >= 0 && strcmp(old, good ? good : "") != 0)
			hvc = -1; /* the name changed: relink */
	} else {
		hvc = -1;
	}
	cs_records_clean(s->root, hvc < 0 ? s->devid : -1);
	if (hvc < 0)
		hvc = cs_hvc_infer(s->root, s->devid, why);
	return hvc;
}

/* `bind` (or coldplug's `add`): link /dev/xen-channel/<name> to the hvc
 * tty. A bad name still claims the line, so that later runs skip it. */
static int bind_channel(const struct setup *s)
{
	const char *why = NULL, *what;
	size_t len = 0;
	char *name = read_name(s->devid, s->timeout_ms, &len, &why);
	char shown[160] = "";
	const char *bad = NULL;
	if (!name) {
		bad = why;
	} else {
		show(shown, sizeof(shown), name, len);
		bad = cs_name_value_check(name, len);
	}
	const char *good = bad ? NULL : name;

	int lock = cs_lock(s->root);
	if (lock < 0) {
		log_err("%s: locking run/xen-channel/.lock: %s", s->kernel, strerror(errno));
		free(name);
		return 1;
	}
	int hvc = device_hvc(s, good, &why);
	int rc = 1;
	if (hvc < 0) {
		/* say this device has no line, so that later runs do not count it */
		cs_record_write(s->root, s->devid, -1, good);
		log_err("%s: no usable hvc tty: %s", s->kernel, why);
	} else if (cs_record_write(s->root, s->devid, hvc, good) < 0) {
		log_err("%s: writing run/xen-channel/%s: %s", s->kernel, s->kernel,
		        strerror(errno));
	} else if (!good && name) {
		log_err("%s: channel name '%s' from device/console/%d/name rejected: %s "
		        "(hvc%d left unlinked)",
		        s->kernel, shown, s->devid, bad, hvc);
	} else if (!good) {
		log_err("%s: reading device/console/%d/name: %s (hvc%d left unlinked)", s->kernel,
		        s->devid, bad, hvc);
	} else if (cs_tty_perms(s->root, hvc, s->mode, s->gid) < 0) {
		log_err("%s: setting mode %04o%s%s on /dev/hvc%d: %s", s->kernel, (unsigned)s->mode,
		        s->group ? " group " : "", s->group ? s->group : "", hvc, strerror(errno));
	} else if (cs_link_add(s->root, good, hvc, &what) < 0) {
		log_err("%s: /dev/xen-channel/%s -> hvc%d: %s: %s", s->kernel, shown, hvc, what,
		        strerror(errno));
		cs_record_write(s->root, s->devid, hvc, NULL); /* the line stays claimed */
	} else {
		rc = 0;
	}
	close(lock);
	free(name);
	return rc;
}

/* --print-name: XEN_CHANNEL_NAME=<name> for udev's IMPORT{program}, so that
 * rules can act on one channel (start its agent); nothing for a device
 * without a usable name. */
static int print_name(const struct setup *s)
{
	const char *why = NULL;
	size_t len = 0;
	char *name = read_name(s->devid, s->timeout_ms, &len, &why);
	if (name && !cs_name_value_check(name, len))
		printf("XEN_CHANNEL_NAME=%s\n", name);
	free(name);
	return 0;
}

int main(int argc, char **argv)
{
	log_init("xen-console-setup");
	struct setup s;
	int status;
	if (parse_options(argc, argv, &s, &status) < 0)
		return status;
	if (s.print_name)
		return print_name(&s);
	if (strcmp(s.action, "remove") == 0)
		return remove_channel(&s);
	/* The hvc slot is allocated in the driver's probe, before `bind`. A
	 * hot-added device's `add` comes before the probe; coldplug's synthesized
	 * `add` (udevadm trigger) finds the device bound already. */
	if (strcmp(s.action, "bind") != 0 &&
	    (strcmp(s.action, "add") != 0 || cs_dev_state(s.root, s.devid) != CS_DEV_BOUND))
		return 0;
	return bind_channel(&s);
}
