/* links.c - /dev/xen-channel/<name> links, tty permissions and per-device records. */
#include "console-setup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Open <root>/<a>/<b> as directories without following symlinks below root,
 * creating the last one (mode 0755) when create is set. */
static int open_dir2(const char *root, const char *a, const char *b, int create)
{
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -1;
	int afd = openat(rfd, a, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	close(rfd);
	if (afd < 0) {
		errno = e;
		return -1;
	}
	if (!b)
		return afd;
	if (create && mkdirat(afd, b, 0755) < 0 && errno != EEXIST) {
		e = errno;
		close(afd);
		errno = e;
		return -1;
	}
	int bfd = openat(afd, b, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	close(afd);
	errno = e;
	return bfd;
}

int cs_link_add(const char *root, const char *name, int hvc, const char **what)
{
	char target[32], cur[64], tmp[64];
	snprintf(target, sizeof(target), "../hvc%d", hvc);
	*what = "opening dev/xen-channel";
	int dfd = open_dir2(root, "dev", "xen-channel", 1);
	if (dfd < 0)
		return -1;
	ssize_t n = readlinkat(dfd, name, cur, sizeof(cur) - 1);
	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, target) == 0) {
			close(dfd);
			return 0; /* already right */
		}
		if (strncmp(cur, "../hvc", 6) == 0) {
			*what = "checking the existing link (it serves another hvc line)";
			close(dfd);
			errno = EEXIST;
			return -1;
		}
	} else if (errno == EINVAL) {
		*what = "checking the existing entry (not a symlink)";
		close(dfd);
		errno = EEXIST;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), ".new-%ld-%d", (long)getpid(), hvc);
	unlinkat(dfd, tmp, 0);
	*what = "creating the temporary link";
	if (symlinkat(target, dfd, tmp) < 0) {
		int e = errno;
		close(dfd);
		errno = e;
		return -1;
	}
	*what = "renaming the temporary link into place";
	if (renameat(dfd, tmp, dfd, name) < 0) {
		int e = errno;
		unlinkat(dfd, tmp, 0);
		close(dfd);
		errno = e;
		return -1;
	}
	close(dfd);
	return 0;
}

int cs_link_remove(const char *root, const char *name, int hvc, const char **what)
{
	char target[32], cur[64];
	snprintf(target, sizeof(target), "../hvc%d", hvc);
	*what = "opening dev/xen-channel";
	int dfd = open_dir2(root, "dev", "xen-channel", 0);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	ssize_t n = readlinkat(dfd, name, cur, sizeof(cur) - 1);
	if (n < 0) {
		close(dfd);
		return 0;
	}
	cur[n] = '\0';
	if (strcmp(cur, target) != 0) {
		close(dfd);
		return 0;
	}
	*what = "removing the link";
	int rc = unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 1;
	int e = errno;
	close(dfd);
	errno = e;
	return rc;
}

int cs_tty_perms(const char *root, int hvc, mode_t mode, gid_t gid)
{
	char tty[32];
	snprintf(tty, sizeof(tty), "hvc%d", hvc);
	int dfd = open_dir2(root, "dev", NULL, 0);
	if (dfd < 0)
		return -1;
	int rc = 0;
	if (gid != (gid_t)-1 && fchownat(dfd, tty, (uid_t)-1, gid, 0) < 0)
		rc = -1;
	if (rc == 0 && fchmodat(dfd, tty, mode, 0) < 0)
		rc = -1;
	int e = errno;
	close(dfd);
	errno = e;
	return rc;
}

int cs_record_write(const char *root, int devid, int hvc, const char *name)
{
	char file[32], tmp[48];
	snprintf(file, sizeof(file), "console-%d", devid);
	snprintf(tmp, sizeof(tmp), ".console-%d.%ld", devid, (long)getpid());
	int dfd = open_dir2(root, "run", "xen-channel", 1);
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int rc = -1;
	if (fd >= 0) {
		char line[256];
		int l = cs_record_format(line, sizeof(line), hvc, name);
		rc = (l > 0 && write(fd, line, (size_t)l) == l) ? 0 : -1;
		if (close(fd) < 0)
			rc = -1;
		if (rc == 0)
			rc = renameat(dfd, tmp, dfd, file);
		if (rc < 0)
			unlinkat(dfd, tmp, 0);
	}
	int e = errno;
	close(dfd);
	errno = e;
	return rc;
}

int cs_record_format(char *buf, size_t size, int hvc, const char *name)
{
	if (hvc != -1 && (hvc < 1 || hvc >= CS_HVC_LINES))
		return -1;
	if (name && *name && cs_name_check(name))
		return -1;
	char k[16] = "none";
	if (hvc >= 0)
		snprintf(k, sizeof(k), "hvc%d", hvc);
	int l = name && *name ? snprintf(buf, size, "%s %s\n", k, name)
	                      : snprintf(buf, size, "%s\n", k);
	return l > 0 && (size_t)l < size ? l : -1;
}

/* Exactly what cs_record_format writes: "none" or "hvc<K>" (K in 1..7), then
 * " <name>" or nothing, then "\n". Anything else is not ours (or damaged):
 * a loose reading once took "hvc0", "hvc+3" or "hvc99999999999" for lines. */
int cs_record_parse(const char *text, size_t len, int *hvc, char *name, size_t namelen)
{
	int k;
	if (len >= 5 && memcmp(text, "none", 4) == 0)
		k = -1;
	else if (len >= 5 && memcmp(text, "hvc", 3) == 0 && text[3] >= '1' &&
	         text[3] < '0' + CS_HVC_LINES)
		k = text[3] - '0';
	else
		goto bad;
	if (text[len - 1] != '\n')
		goto bad;
	const char *nm = text + 5;
	size_t nl = 0;
	if (text[4] == ' ') {
		nl = len - 6;
		if (nl == 0 || cs_name_value_check(nm, nl))
			goto bad;
	} else if (len != 5) {
		goto bad;
	}
	if (nl >= namelen)
		goto bad;
	memcpy(name, nm, nl);
	name[nl] = '\0';
	*hvc = k;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int cs_record_read(const char *root, int devid, int *hvc, char *name, size_t namelen)
{
	char file[32];
	snprintf(file, sizeof(file), "console-%d", devid);
	int dfd = open_dir2(root, "run", "xen-channel", 0);
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	close(dfd);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0) {
		errno = EINVAL;
		return -1;
	}
	return cs_record_parse(buf, (size_t)n, hvc, name, namelen);
}

int cs_record_remove(const char *root, int devid)
{
	char file[32];
	snprintf(file, sizeof(file), "console-%d", devid);
	int dfd = open_dir2(root, "run", "xen-channel", 0);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	int rc = unlinkat(dfd, file, 0) < 0 && errno != ENOENT ? -1 : 0;
	close(dfd);
	return rc;
}
