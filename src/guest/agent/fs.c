/* fs.c - file operations confined to the agent's root directory. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int fs_open(struct agent *a, const char *path, int flags, mode_t mode)
{
	const char *rel = path;
	while (*rel == '/')
		rel++;
	if (!*rel)
		rel = ".";
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .mode = (flags & O_CREAT) ? mode : 0,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;
	do
		fd = syscall(SYS_openat2, a->rootfd, rel, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return (int)fd;
}

int fs_read(struct agent *a, const char *path, char **data, size_t *len)
{
	int fd = fs_open(a, path, O_RDONLY, 0);
	if (fd < 0)
		return -1;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf) {
			close(fd);
			errno = ENOMEM;
			return -1;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			if (cap >= 16u << 20) {
				free(buf);
				close(fd);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	close(fd);
	buf[n] = 0;
	*data = buf;
	*len = n;
	return 0;
}

/* Split path into its parent directory (opened O_PATH inside the root) and
 * its last component. */
static int open_parent(struct agent *a, const char *path, char *leaf, size_t leaflen)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1] || strlen(slash + 1) >= leaflen) {
		errno = EINVAL;
		return -1;
	}
	snprintf(leaf, leaflen, "%s", slash + 1);
	char dir[PATH_MAX];
	size_t dl = (size_t)(slash - path);
	if (dl >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, dl);
	dir[dl] = 0;
	return fs_open(a, dl ? dir : "/", O_PATH | O_DIRECTORY, 0);
}

static int set_owner(int fd, uid_t uid, gid_t gid)
{
	if (uid == (uid_t)-1 && gid == (gid_t)-1)
		return 0;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	if ((uid == (uid_t)-1 || st.st_uid == uid) && (gid == (gid_t)-1 || st.st_gid == gid))
		return 0;
	return fchown(fd, uid, gid);
}

/* The next directory below cur, created when missing. A plain directory is
 * opened right below cur (O(1)); a symlink, "." or ".." is resolved again
 * from the root (prefix, RESOLVE_IN_ROOT), so they stay inside the root
 * exactly as in fs_open. A whole path costs O(length), not O(length^2). */
static int step_down(struct agent *a, int cur, const char *prefix, const char *name, int last,
                     mode_t mode, uid_t uid, gid_t gid)
{
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return fs_open(a, prefix, O_PATH | O_DIRECTORY, 0);
	int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			close(fd);
			return -1;
		}
		if (S_ISDIR(st.st_mode))
			return fd;
		close(fd);
		if (S_ISLNK(st.st_mode))
			return fs_open(a, prefix, O_PATH | O_DIRECTORY, 0);
		errno = ENOTDIR;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	/* Directories on the way get 0755 and our owner; the last one gets
	 * what was asked for. */
	mode_t m = last ? mode : 0755;
	if (mkdirat(cur, name, m) < 0 && errno != EEXIST)
		return -1;
	fd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = last ? set_owner(fd, uid, gid) : 0;
	if (rc == 0)
		rc = fchmod(fd, m);
	if (rc < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int fs_mkdirs(struct agent *a, const char *dir, mode_t mode, uid_t uid, gid_t gid)
{
	char p[PATH_MAX];
	if (strlen(dir) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(p, dir);
	int cur = fs_open(a, "/", O_PATH | O_DIRECTORY, 0);
	char *s = p;
	while (cur >= 0) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		char *e = strchrnul(s, '/'), *next = e;
		while (*next == '/')
			next++;
		char c = *e;
		*e = 0;
		int fd = step_down(a, cur, p, s, !*next, mode, uid, gid);
		int err = errno;
		close(cur);
		errno = err;
		cur = fd;
		*e = c;
		s = e;
	}
	if (cur < 0)
		return -1;
	close(cur);
	return 0;
}

int fs_fix_dir(struct agent *a, const char *dir, mode_t mode, uid_t uid, gid_t gid, int *changed)
{
	int fd = fs_open(a, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd < 0)
		return -1;
	struct stat st;
	int rc = fstat(fd, &st);
	/* Owner before mode, as in fs_write. */
	if (rc == 0 &&
	    ((uid != (uid_t)-1 && st.st_uid != uid) || (gid != (gid_t)-1 && st.st_gid != gid))) {
		rc = fchown(fd, uid, gid);
		*changed = 1;
	}
	if (rc == 0 && (st.st_mode & 07777) != mode) {
		rc = fchmod(fd, mode);
		*changed = 1;
	}
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int fs_same(struct agent *a, const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
            gid_t gid)
{
	int fd = fs_open(a, path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return 0;
	struct stat st;
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len &&
	         (st.st_mode & 07777) == mode && (uid == (uid_t)-1 || st.st_uid == uid) &&
	         (gid == (gid_t)-1 || st.st_gid == gid);
	if (ok && len) {
		char *buf = malloc(len);
		size_t n = 0;
		while (buf && n < len) {
			ssize_t r = read(fd, buf + n, len - n);
			if (r <= 0)
				break;
			n += (size_t)r;
		}
		ok = buf && n == len && memcmp(buf, data, len) == 0;
		free(buf);
	}
	close(fd);
	return ok;
}

int fs_write(struct agent *a, const char *path, const void *data, size_t len, mode_t mode,
             uid_t uid, gid_t gid, int *changed)
{
	*changed = 0;
	if (fs_same(a, path, data, len, mode, uid, gid))
		return 0;
	char leaf[NAME_MAX + 1], tmp[NAME_MAX + 32];
	int dfd = open_parent(a, path, leaf, sizeof(leaf));
	if (dfd < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), ".%.*s.xc%ld", 200, leaf, (long)getpid());
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = fd < 0 ? -1 : 0;
	size_t off = 0;
	while (rc == 0 && off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno != EINTR)
			rc = -1;
		else if (w > 0)
			off += (size_t)w;
	}
	/* Owner first: chown clears the set-user-ID and set-group-ID bits. */
	if (rc == 0)
		rc = set_owner(fd, uid, gid);
	if (rc == 0)
		rc = fchmod(fd, mode);
	if (rc == 0)
		rc = fsync(fd);
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = renameat(dfd, tmp, dfd, leaf);
	if (rc < 0) {
		e = errno;
		unlinkat(dfd, tmp, 0);
	} else {
		int sfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sfd >= 0) {
			fsync(sfd);
			close(sfd);
		}
		*changed = 1;
	}
	close(dfd);
	errno = e;
	return rc;
}
