/* apply-nocloud.c - the NoCloud seed: cloud-init's local seed directory
 * made to hold exactly the host's files, replaced as a whole so cloud-init
 * never reads half of an old seed and half of a new one. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* user-data may hold secrets: only root reads the seed (cloud-init keeps
 * its own copies 0600 too). */
#define SEED_DIR_MODE 0700
#define SEED_FILE_MODE 0600

static void seed_path(char *buf, size_t size, const char *dir, int i)
{
	/* dir is one of ours, far shorter than PATH_MAX */
	if (snprintf(buf, size, "%s/%s", dir, proto_seed_names[i]) >= (int)size)
		buf[0] = 0;
}

/* Every file of the seed gets the same result. */
static void report_all(struct agent *a, const struct proto_config *c, json_t *items,
                       const char *result, const char *reason)
{
	for (int i = 0; i < PROTO_SEED_NFILES; i++) {
		char item[64];
		snprintf(item, sizeof(item), "nocloud.%s", proto_seed_names[i]);
		if (c->seed[i] && reason)
			item_result(a, items, item, result, "%s", reason);
		else if (c->seed[i])
			item_result(a, items, item, result, NULL);
	}
}

/* The seed directory as it should be: a directory, 0700, root's. */
static int dir_ok(struct agent *a)
{
	int fd = fs_open(a, AGENT_SEED_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd < 0)
		return 0;
	struct stat st;
	int ok = fstat(fd, &st) == 0 && (st.st_mode & 07777) == SEED_DIR_MODE && st.st_uid == 0 &&
	         st.st_gid == 0;
	close(fd);
	return ok;
}

static int exists(struct agent *a, const char *path)
{
	int fd = fs_open(a, path, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Remove what was the seed directory (now named `name` in pfd): it holds
 * plain files only, as we made it. Leftovers are logged, never fatal. */
static void remove_old(int pfd, const char *name)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			unlinkat(pfd, name, 0); /* it was a file or a symlink */
		return;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    unlinkat(dirfd(d), e->d_name, 0) < 0)
			log_warn("%s: cannot remove the old seed's %s: %s", AGENT_SEED_DIR,
			         e->d_name, strerror(errno));
	closedir(d);
	if (unlinkat(pfd, name, AT_REMOVEDIR) < 0)
		log_warn("%s: cannot remove the old seed: %s", AGENT_SEED_DIR, strerror(errno));
}

/* Build the new seed in `stage` beside the old one, then swap the two in
 * one rename. Files already right are hard-linked, so they keep their inode. */
static int build_and_swap(struct agent *a, const struct proto_config *c, const int *unchanged,
                          char *err, size_t errlen)
{
	char stage[64], stage_path[PATH_MAX], p[PATH_MAX];
	snprintf(stage, sizeof(stage), ".nocloud.xc%ld", (long)getpid());
	snprintf(stage_path, sizeof(stage_path), "%s/%s", AGENT_SEED_PARENT, stage);
	if (fs_mkdirs(a, AGENT_SEED_PARENT, 0755, 0, 0) < 0) {
		snprintf(err, errlen, "%s: %s", AGENT_SEED_PARENT, strerror(errno));
		return -1;
	}
	int pfd = fs_open(a, AGENT_SEED_PARENT, O_RDONLY | O_DIRECTORY, 0);
	if (pfd < 0) {
		snprintf(err, errlen, "%s: %s", AGENT_SEED_PARENT, strerror(errno));
		return -1;
	}
	remove_old(pfd, stage); /* left by an agent killed mid-way */
	int rc = fs_mkdirs(a, stage_path, SEED_DIR_MODE, 0, 0);
	int ofd = openat(pfd, "nocloud", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int sfd = rc < 0 ? -1 : openat(pfd, stage, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (int i = 0; sfd >= 0 && rc == 0 && i < PROTO_SEED_NFILES; i++) {
		if (!c->seed[i])
			continue;
		const char *name = proto_seed_names[i];
		if (unchanged[i] && ofd >= 0 && linkat(ofd, name, sfd, name, 0) == 0)
			continue;
		int changed;
		seed_path(p, sizeof(p), stage_path, i);
		rc = fs_write(a, p, c->seed[i], c->seed_len[i], SEED_FILE_MODE, 0, 0, &changed);
	}
	if (sfd < 0)
		rc = -1;
	if (rc == 0) {
		/* Exchange when something is there (even a file or a link: it is
		 * replaced, never followed), else a plain rename. */
		rc = exists(a, AGENT_SEED_DIR)
		         ? renameat2(pfd, stage, pfd, "nocloud", RENAME_EXCHANGE)
		         : renameat(pfd, stage, pfd, "nocloud");
	}
	int e = errno;
	if (rc == 0)
		fsync(pfd);
	remove_old(pfd, stage); /* the old seed after a swap, the new one after a failure */
	if (ofd >= 0)
		close(ofd);
	if (sfd >= 0)
		close(sfd);
	close(pfd);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", AGENT_SEED_DIR, strerror(e));
	return rc;
}

int apply_nocloud(struct agent *a, const struct proto_config *c, json_t *items)
{
	if (!c->has_seed)
		return 0;
	if (!a->policy.allow[POLICY_NOCLOUD]) {
		report_all(a, c, items, PROTO_RES_REFUSED, "policy does not allow nocloud");
		return 0;
	}
	char p[PATH_MAX];
	int unchanged[PROTO_SEED_NFILES] = {0}, stale[PROTO_SEED_NFILES] = {0};
	/* A directory with the wrong mode or owner is rebuilt, files and all. */
	int dir = dir_ok(a), same = dir;
	for (int i = 0; i < PROTO_SEED_NFILES; i++) {
		seed_path(p, sizeof(p), AGENT_SEED_DIR, i);
		if (c->seed[i])
			unchanged[i] =
			    dir && fs_same(a, p, c->seed[i], c->seed_len[i], SEED_FILE_MODE, 0, 0);
		else
			stale[i] = exists(a, p);
		same = same && (c->seed[i] ? unchanged[i] : !stale[i]);
	}
	if (same) {
		report_all(a, c, items, PROTO_RES_UNCHANGED, NULL);
		return 1;
	}
	char err[PATH_MAX + 64];
	if (build_and_swap(a, c, unchanged, err, sizeof(err)) < 0) {
		report_all(a, c, items, PROTO_RES_FAILED, err);
		return 0;
	}
	for (int i = 0; i < PROTO_SEED_NFILES; i++) {
		char item[64];
		snprintf(item, sizeof(item), "nocloud.%s", proto_seed_names[i]);
		if (c->seed[i])
			item_result(a, items, item,
			            unchanged[i] ? PROTO_RES_UNCHANGED : PROTO_RES_APPLIED, NULL);
		else if (stale[i])
			item_result(a, items, item, PROTO_RES_APPLIED, "removed: not in this seed");
	}
	return 1;
}
