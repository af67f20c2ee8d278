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
	size_t o = 0;
	for (size_t i = 0; i < len && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	if (o + 5 >= outlen && outlen > 4)
		strcpy(out + outlen - 4, "...");
	else
		out[o] = '\0';
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xen-console-setup [--root DIR] [--action bind|add|remove]\n"
	           "                         [--devpath PATH] [--group GROUP] [--mode MODE]\n"
	           "                         [--timeout MS] [--syslog]\n"
	           "ACTION and DEVPATH default to the udev event's environment.\n");
}

/* Read device/console/<devid>/name (relative: this domain's own directory). */
static char *read_name(int devid, unsigned timeout_ms, size_t *len, const char **err)
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
		*err = "cannot connect to xenstore";
	} else {
		unsigned int l = 0;
		v = xs_read(xs, XBT_NULL, path, &l);
		if (!v)
			*err = errno == ENOENT ? "no name key (not a channel)" : "xenstore read failed";
		*len = l;
		xs_close(xs);
	}
	struct itimerval off = {0};
	setitimer(ITIMER_REAL, &off, NULL);
	return v;
}

int main(int argc, char **argv)
{
	log_init("xen-console-setup");
	const char *root = getenv("XENSIM_GUEST_ROOT");
	if (!root || !*root)
		root = "/";
	const char *action = getenv("ACTION");
	const char *devpath = getenv("DEVPATH");
	const char *group = NULL;
	mode_t mode = 0600;
	unsigned timeout_ms = DEFAULT_TIMEOUT_MS;
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},   {"action", required_argument, NULL, 'a'},
		{"devpath", required_argument, NULL, 'd'}, {"group", required_argument, NULL, 'g'},
		{"mode", required_argument, NULL, 'm'},   {"timeout", required_argument, NULL, 't'},
		{"syslog", no_argument, NULL, 's'},       {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "r:a:d:g:m:t:sh", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'a':
			action = optarg;
			break;
		case 'd':
			devpath = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'm': {
			unsigned long m = strtoul(optarg, &end, 8);
			if (!*optarg || *end || m > 07777) {
				log_err("--mode '%s' is not an octal file mode", optarg);
				return 2;
			}
			mode = (mode_t)m;
			break;
		}
		case 't': {
			unsigned long t = strtoul(optarg, &end, 10);
			if (!*optarg || *end || t == 0 || t > 60000) {
				log_err("--timeout '%s' is not 1..60000 milliseconds", optarg);
				return 2;
			}
			timeout_ms = (unsigned)t;
			break;
		}
		case 's':
			log_use_syslog(1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!action || !devpath) {
		log_err("no ACTION/DEVPATH: run from a udev rule or pass --action and --devpath");
		return 2;
	}
	const char *kernel = strrchr(devpath, '/');
	kernel = kernel ? kernel + 1 : devpath;
	int devid = cs_parse_devid(kernel);
	char want[64];
	snprintf(want, sizeof(want), "/devices/%s", kernel);
	if (devid < 0 || strcmp(devpath, want) != 0) {
		char shown[96];
		show(shown, sizeof(shown), devpath, strlen(devpath));
		log_err("DEVPATH '%s' is not a xen console device (/devices/console-<devid>)",
		        shown);
		return 1;
	}
	gid_t gid = (gid_t)-1;
	if (group) {
		struct group *gr = getgrnam(group);
		if (!gr) {
			log_err("--group '%s': no such group", group);
			return 2;
		}
		gid = gr->gr_gid;
	}

	const char *what;
	if (strcmp(action, "remove") == 0) {
		int lock = cs_lock(root);
		if (lock < 0) {
			log_err("%s: locking run/xen-channel/.lock: %s", kernel, strerror(errno));
			return 1;
		}
		int hvc;
		char name[256];
		if (cs_record_read(root, devid, &hvc, name, sizeof(name)) < 0) {
			close(lock);
			return 0; /* nothing was linked for this device */
		}
		if (hvc >= 0 && name[0] && cs_link_remove(root, name, hvc, &what) < 0) {
			log_err("%s: %s for %s: %s", kernel, what, name, strerror(errno));
			close(lock);
			return 1;
		}
		if (cs_record_remove(root, devid) < 0) {
			log_err("%s: removing run/xen-channel/%s: %s", kernel, kernel,
			        strerror(errno));
			close(lock);
			return 1;
		}
		close(lock);
		return 0;
	}
	/* The hvc slot is allocated in the driver's probe, before `bind`. A
	 * hot-added device's `add` comes before the probe; coldplug's synthesized
	 * `add` (udevadm trigger) finds the device bound already. */
	if (strcmp(action, "bind") != 0 &&
	    (strcmp(action, "add") != 0 || cs_dev_state(root, devid) != CS_DEV_BOUND))
		return 0;

	const char *why = NULL;
	size_t len = 0;
	char *name = read_name(devid, timeout_ms, &len, &why);
	char shown[160] = "";
	const char *bad = NULL;
	if (!name) {
		bad = why;
	} else {
		show(shown, sizeof(shown), name, len);
		bad = cs_name_value_check(name, len);
	}
	const char *good = bad ? NULL : name;

	int lock = cs_lock(root);
	if (lock < 0) {
		log_err("%s: locking run/xen-channel/.lock: %s", kernel, strerror(errno));
		free(name);
		return 1;
	}
	/* a run for this device already linked it (a repeated trigger): keep */
	int hvc = -1;
	char old[256];
	if (cs_record_read(root, devid, &hvc, old, sizeof(old)) == 0 && hvc > 0) {
		char node[64];
		snprintf(node, sizeof(node), "%s/dev/hvc%d", root, hvc);
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
	cs_records_clean(root, hvc < 0 ? devid : -1);
	if (hvc < 0)
		hvc = cs_hvc_infer(root, devid, &why);
	if (hvc < 0) {
		/* say this device has no line, so that later runs do not count it */
		cs_record_write(root, devid, -1, good);
		close(lock);
		log_err("%s: no usable hvc tty: %s", kernel, why);
		free(name);
		return 1;
	}
	if (cs_record_write(root, devid, hvc, good) < 0) {
		log_err("%s: writing run/xen-channel/%s: %s", kernel, kernel, strerror(errno));
		close(lock);
		free(name);
		return 1;
	}
	if (!good) {
		close(lock);
		if (name)
			log_err("%s: channel name '%s' from device/console/%d/name rejected: %s "
			        "(hvc%d left unlinked)",
			        kernel, shown, devid, bad, hvc);
		else
			log_err("%s: reading device/console/%d/name: %s (hvc%d left unlinked)",
			        kernel, devid, bad, hvc);
		free(name);
		return 1;
	}
	int rc = 0;
	if (cs_tty_perms(root, hvc, mode, gid) < 0) {
		log_err("%s: setting mode %04o%s%s on /dev/hvc%d: %s", kernel, (unsigned)mode,
		        group ? " group " : "", group ? group : "", hvc, strerror(errno));
		rc = 1;
	} else if (cs_link_add(root, good, hvc, &what) < 0) {
		log_err("%s: /dev/xen-channel/%s -> hvc%d: %s: %s", kernel, shown, hvc, what,
		        strerror(errno));
		cs_record_write(root, devid, hvc, NULL); /* the line stays claimed */
		rc = 1;
	}
	close(lock);
	free(name);
	return rc;
}
