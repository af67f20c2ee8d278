/*
 * infer.c - which hvc line a xen console device got, inferred as it must be
 * on Linux: the kernel exposes no mapping from console-<devid> to its tty (no
 * sysfs link, no attribute). What it does expose: an hvc index is allocated
 * in the driver's probe, before the `bind` uevent, and /dev/hvc<K> opens only
 * while index K is allocated. So, under an exclusive lock shared by every
 * run: the lines hvc1..hvc7 that open and that no device record claims are
 * the candidates; the devices that are bound and have no record yet are the
 * claimants; both are paired in order (probe order is devid order for the
 * channels a domain boots with, and hot-added devices take the first free
 * slots in the order they are probed). There may be more claimants than
 * candidates (indices beyond hvc7): the last ones in devid order get none,
 * also when a single candidate is left.
 */
#include "console-setup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CLAIMANTS 256 /* bound console devices considered at once */

static int mkdir_at(const char *path)
{
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

int cs_lock(const char *root)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/run", root);
	if (mkdir_at(path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/run/xen-channel", root);
	if (mkdir_at(path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/run/xen-channel/.lock", root);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	return fd;
}

int cs_dev_state(const char *root, int devid)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/sys/bus/xen/devices/console-%d", root, devid);
	struct stat st;
	if (stat(path, &st) < 0)
		return CS_DEV_GONE;
	char buf[64] = "";
	snprintf(path, sizeof(path), "%s/sys/bus/xen/devices/console-%d/state", root, devid);
	FILE *f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	/* after the backend's Closing the frontend is Closed and its hvc slot
	 * is free again, but the device stays until its directory goes */
	if (strncmp(buf, "Closed", 6) == 0)
		return CS_DEV_CLOSED;
	snprintf(path, sizeof(path), "%s/sys/bus/xen/devices/console-%d/driver", root, devid);
	return stat(path, &st) == 0 ? CS_DEV_BOUND : CS_DEV_UNBOUND;
}

/* devids of the records in run/xen-channel (console-<devid>); count or -1 */
static int list_records(const char *root, int *ids, int max)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/run/xen-channel", root);
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		int id = cs_parse_devid(de->d_name);
		if (id >= 0)
			ids[n++] = id;
	}
	closedir(d);
	return n;
}

int cs_records_clean(const char *root, int self)
{
	int ids[MAX_CLAIMANTS];
	int n = list_records(root, ids, MAX_CLAIMANTS);
	int cleaned = 0;
	for (int i = 0; i < n; i++) {
		int st = cs_dev_state(root, ids[i]);
		if (ids[i] != self && st != CS_DEV_GONE && st != CS_DEV_CLOSED)
			continue;
		int hvc;
		char name[256];
		if (cs_record_read(root, ids[i], &hvc, name, sizeof(name)) == 0 && hvc >= 0 &&
		    name[0]) {
			const char *what;
			cs_link_remove(root, name, hvc, &what);
		}
		if (cs_record_remove(root, ids[i]) == 0)
			cleaned++;
	}
	return cleaned;
}

static int line_opens(const char *root, int k)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/dev/hvc%d", root, k);
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

int cs_hvc_pick(const struct cs_slots *s, int devid, const char **why)
{
	int cand[CS_HVC_LINES], ncand = 0;
	for (int k = 1; k < CS_HVC_LINES; k++)
		if ((s->opens >> k & 1u) && !(s->claimed >> k & 1u))
			cand[ncand++] = k;
	if (ncand == 0) {
		*why = "no unclaimed hvc line opens (the kernel gave this console an index "
		       "beyond hvc7, or shares one with another console)";
		return -1;
	}
	/* rank: the distinct claimants before devid in devid order */
	size_t pos = 0;
	for (size_t i = 0; i < s->nbound; i++) {
		int id = s->bound[i], seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = s->bound[j] == id;
		if (id < devid && !seen)
			pos++;
	}
	if (pos >= (size_t)ncand) {
		*why = "more unlinked consoles than unclaimed hvc lines, and the ones before "
		       "this console in devid order take them";
		return -1;
	}
	return cand[pos];
}

int cs_hvc_infer(const char *root, int devid, const char **why)
{
	struct cs_slots s = {0};
	/* lines claimed by a record */
	int ids[MAX_CLAIMANTS];
	int n = list_records(root, ids, MAX_CLAIMANTS);
	if (n < 0) {
		*why = "cannot read run/xen-channel";
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int hvc;
		char name[256];
		if (cs_record_read(root, ids[i], &hvc, name, sizeof(name)) == 0 && hvc >= 0 &&
		    hvc < CS_HVC_LINES)
			s.claimed |= 1u << hvc;
	}
	/* allocated lines: they open */
	for (int k = 1; k < CS_HVC_LINES; k++)
		if (line_opens(root, k))
			s.opens |= 1u << k;

	/* claimants: bound devices without a record. Counted even when a single
	 * line is left: a console whose index is beyond hvc7 is bound and
	 * unrecorded too, and must not take the line of an earlier console whose
	 * run has not come yet. */
	int cl[MAX_CLAIMANTS];
	char path[4096];
	snprintf(path, sizeof(path), "%s/sys/bus/xen/devices", root);
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) && s.nbound < MAX_CLAIMANTS) {
			int id = cs_parse_devid(de->d_name);
			if (id < 0 || id == devid)
				continue;
			int rec = 0;
			for (int i = 0; i < n; i++)
				if (ids[i] == id)
					rec = 1;
			if (!rec && cs_dev_state(root, id) == CS_DEV_BOUND)
				cl[s.nbound++] = id;
		}
		closedir(d);
	}
	s.bound = cl;
	return cs_hvc_pick(&s, devid, why);
}
