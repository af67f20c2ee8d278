/* seedwait.c - `xenchannel-agent --wait-seed SEC`: run before cloud-init's
 * local stage and serve the channel until the host's NoCloud seed is in
 * place, at most SEC seconds; do not wait at all in a guest without a
 * channel, or when a seed is there already. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root_prefix(const struct agent *a)
{
	return strcmp(a->root, "/") == 0 ? "" : a->root;
}

/* Entries of a directory whose name starts with prefix ("" for all), not
 * counting dot files; *named is set when one of them is called name. */
static int count_entries(const char *dir, const char *prefix, const char *name, int *named)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		n++;
		if (name && strcmp(e->d_name, name) == 0)
			*named = 1;
	}
	closedir(d);
	return n;
}

/* Xen console devices other than the boot console: the guest's channels. */
static int channel_devices(const struct agent *a)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/sys/bus/xen/devices", root_prefix(a));
	return count_entries(dir, "console-", NULL, NULL);
}

int seedwait_skip(struct agent *a)
{
	char p[PATH_MAX];
	int have = 1;
	for (int i = PROTO_SEED_META_DATA; i <= PROTO_SEED_USER_DATA; i++) {
		snprintf(p, sizeof(p), "%s/%s", AGENT_SEED_DIR, proto_seed_names[i]);
		int fd = fs_open(a, p, O_PATH, 0);
		have = have && fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	if (have) {
		log_info("a NoCloud seed is in %s already: not waiting", AGENT_SEED_DIR);
		return 1;
	}
	struct stat st;
	int devs = channel_devices(a), here = lstat(a->devpath, &st) == 0;
	log_info("--wait-seed: %d Xen channel device(s), %s %s", devs, a->devpath,
	         here ? "present" : "not there yet");
	if (here || a->explicit_device)
		return 0;
	if (devs == 0) {
		log_info("no Xen channel in this guest: not waiting for a seed");
		return 1;
	}
	return 0;
}

static void on_timeout(struct loop *l, void *arg)
{
	struct agent *a = arg;
	log_warn("no NoCloud seed from the host within %d s: cloud-init goes on without it",
	         a->wait_seed_ms / 1000);
	loop_stop(l);
}

int seedwait_start(struct agent *a)
{
	log_info("waiting up to %d s for the host's NoCloud seed on %s", a->wait_seed_ms / 1000,
	         a->devpath);
	if (!loop_timer(a->loop, (uint64_t)a->wait_seed_ms, on_timeout, a))
		return -1;
	return seedwait_check_channels(a);
}

int seedwait_check_channels(struct agent *a)
{
	if (!a->wait_seed_ms || a->explicit_device || session_attached(a))
		return 0;
	/* The links udev made (xen-console-setup), beside where ours would be,
	 * in one listing: a separate lstat of ours before it races with the
	 * rename that makes our link (seen on real Xen: ours was missing to the
	 * lstat and present to the listing, counted as someone else's). */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", a->devpath);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	int ours = 0, devs = channel_devices(a);
	int links = count_entries(dir, "", slash ? slash + 1 : a->devpath, &ours);
	if (!ours && devs > 0 && links >= devs) {
		log_info("all %d channel(s) of this guest are set up and none is %s: not waiting",
		         devs, a->name);
		loop_stop(a->loop);
		return 1;
	}
	return 0;
}

void seedwait_reply_sent(struct agent *a)
{
	log_info("NoCloud seed in place: done");
	a->s.stop_when_flushed = 1;
	if (a->s.out.len == a->s.out.off)
		seedwait_drain(a);
}

/* Closing an hvc tty may drop what it has not pushed to the ring yet, so
 * the reply could be lost with the process: wait until the tty's output
 * queue is empty, for at most DRAIN_MS (a host that stopped reading must
 * not hold the boot). No event says "sent": the queue is looked at every
 * DRAIN_STEP_MS. */
#define DRAIN_MS 3000
#define DRAIN_STEP_MS 20
static void on_drain(struct loop *l, void *arg)
{
	struct agent *a = arg;
	int queued = 0;
	if (a->s.fd >= 0 && a->s.is_tty && ioctl(a->s.fd, TIOCOUTQ, &queued) < 0)
		queued = 0;
	if (queued > 0 && loop_now_ms() < a->drain_until) {
		loop_timer(l, DRAIN_STEP_MS, on_drain, a);
		return;
	}
	if (queued > 0)
		log_warn("%d bytes of the reply still queued after %d ms", queued, DRAIN_MS);
	loop_stop(l);
}

void seedwait_drain(struct agent *a)
{
	if (a->drain_until)
		return;
	a->drain_until = loop_now_ms() + DRAIN_MS;
	on_drain(a->loop, a);
}
