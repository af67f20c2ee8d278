/* main.c - xenchannel-agent: options, the event loop, signals. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: xenchannel-agent [--root DIR] [--name NAME | --device PATH]\n"
	           "                        [--policy FILE] [--key FILE] [--state-dir DIR]\n"
	           "                        [--kernel auto|on|off] [--wait-seed SEC] [--syslog]\n"
	           "                        [--verbose] [--check]\n"
	           "       xenchannel-agent --help | --version\n");
}

static void on_signal(struct loop *l, int fd, unsigned events, void *arg)
{
	int sig = loop_signal_next(fd);
	if (sig == SIGHUP) {
		settings_reload(arg);
		return;
	}
	if (sig > 0)
		log_info("signal %d: stopping", sig);
	loop_stop(l);
}

static int same_ns(const char *kind)
{
	char a[64], b[64];
	struct stat s1, s2;
	snprintf(a, sizeof(a), "/proc/self/ns/%s", kind);
	snprintf(b, sizeof(b), "/proc/1/ns/%s", kind);
	if (stat(a, &s1) < 0 || stat(b, &s2) < 0)
		return 1; /* cannot tell: assume shared, stay safe */
	return s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev;
}

/* Options into a: 0, or -1 with the exit status in *status. */
static int configure(struct agent *a, int argc, char **argv, int *status)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"name", required_argument, NULL, 'n'},
	    {"device", required_argument, NULL, 'd'},
	    {"policy", required_argument, NULL, 'p'},
	    {"key", required_argument, NULL, 'k'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"kernel", required_argument, NULL, 'K'},
	    {"syslog", no_argument, NULL, 'S'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {"check", no_argument, NULL, 'c'},
	    {"wait-seed", required_argument, NULL, 'w'},
	    {0},
	};
	const char *root = getenv("XENSIM_GUEST_ROOT");
	const char *device = NULL, *kernel = "auto";
	a->name = AGENT_DEFAULT_NAME;
	a->policy_path = AGENT_POLICY_FILE;
	a->key_path = AGENT_KEY_FILE;
	a->state_dir = AGENT_STATE_DIR;
	*status = 2;
	int c;
	while ((c = getopt_long(argc, argv, "r:n:d:p:k:s:K:w:SvVhc", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'd':
			device = optarg;
			break;
		case 'p':
			a->policy_path = optarg;
			break;
		case 'k':
			a->key_path = optarg;
			break;
		case 's':
			a->state_dir = optarg;
			break;
		case 'K':
			kernel = optarg;
			break;
		case 'c':
			a->check_only = 1;
			break;
		case 'w': {
			char *end;
			long sec = strtol(optarg, &end, 10);
			if (*end || end == optarg || sec < 1 || sec > 3600) {
				log_err("--wait-seed %s: want seconds, 1..3600", optarg);
				return -1;
			}
			a->wait_seed_ms = (int)sec * 1000;
			break;
		}
		case 'S':
			log_use_syslog(1);
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'V':
			printf("xenchannel-agent %s\n", AGENT_VERSION);
			*status = 0;
			return -1;
		case 'h':
			usage(stdout);
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
	if (!root || !*root)
		root = "/";
	if (!*a->name || strchr(a->name, '/') || strcmp(a->name, ".") == 0 ||
	    strcmp(a->name, "..") == 0) {
		log_err("--name %s: not a valid channel name", a->name);
		return -1;
	}
	a->root = root;
	a->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (a->rootfd < 0) {
		log_err("--root %s: %s", root, strerror(errno));
		*status = 1;
		return -1;
	}
	int is_slash = strcmp(root, "/") == 0;
	if (strcmp(kernel, "on") == 0) {
		a->kernel = 1;
	} else if (strcmp(kernel, "off") == 0) {
		a->kernel = 0;
	} else if (strcmp(kernel, "auto") == 0) {
		/* Under a --root the agent plays a guest: touch the kernel only from
		 * namespaces of our own, never the machine's. */
		a->kernel = is_slash || (!same_ns("uts") && !same_ns("net"));
	} else {
		log_err("--kernel %s: want auto, on or off", kernel);
		return -1;
	}
	if (device) {
		snprintf(a->devpath, sizeof(a->devpath), "%s", device);
		a->explicit_device = 1;
	} else {
		snprintf(a->devpath, sizeof(a->devpath), "%s/dev/xen-channel/%s",
		         is_slash ? "" : root, a->name);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct agent a;
	int status;
	log_init("xenchannel-agent");
	if (configure(&a, argc, argv, &status) < 0)
		return status;
	char err[PATH_MAX + 128];
	if (settings_load(&a, a.check_only ? "check" : "start", err, sizeof(err)) < 0) {
		log_err("%s", err);
		return 1;
	}
	if (a.check_only)
		return 0;
	if (state_load(&a, err, sizeof(err)) < 0)
		log_warn("%s", err);
	a.loop = loop_new();
	if (!a.loop) {
		log_err("cannot create the event loop");
		return 1;
	}
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, 0};
	signal(SIGPIPE, SIG_IGN);
	if (loop_signals(a.loop, sigs, on_signal, &a) < 0) {
		log_err("cannot watch signals: %s", strerror(errno));
		return 1;
	}
	session_init(&a);
	log_info("root %s, channel %s, kernel changes %s, last generation %lld%s", a.root,
	         a.devpath, a.kernel ? "on" : "off", (long long)a.state.generation,
	         a.state.interrupted ? " (a later apply was interrupted)" : "");
	if (a.wait_seed_ms && seedwait_skip(&a))
		return 0;
	if (discover_start(&a, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return 1;
	}
	int nowait = a.wait_seed_ms ? seedwait_start(&a) : 0;
	if (nowait < 0) {
		log_err("cannot start the --wait-seed timer");
		return 1;
	}
	if (nowait)
		return 0;
	int rc = loop_run(a.loop);
	session_detach(&a, "stopping");
	loop_free(a.loop);
	return rc < 0 ? 1 : 0;
}
