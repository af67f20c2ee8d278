/*
 * endpoint-socket.c - the listening unix socket of a connection=socket channel.
 *
 * The path comes from the dom0-owned backend directory, yet it names a file
 * we create as root, so it is checked like untrusted input:
 *  - absolute, fits sockaddr_un, no "." or ".." components, not ending in "/";
 *  - the parent directory exists, is a real directory (not a symlink), is
 *    owned by root or by our effective uid, and is not writable by others;
 *  - the final component is never followed: if something exists there it
 *    must be a socket nobody listens on (a stale one, connect() is refused),
 *    and only then it is replaced; a live socket, a regular file, a symlink,
 *    or anything else is refused and left untouched.
 * All file operations go through a descriptor of the parent directory
 * (bind() via /proc/self/fd/N/name), so a parent swapped after the checks
 * cannot redirect us.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int split_path(const char *path, char *dir, size_t dirlen, const char **base, char *err,
                      size_t errlen)
{
	struct sockaddr_un sa;
	size_t len = strlen(path);
	if (path[0] != '/') {
		snprintf(err, errlen, "socket path '%s' is not absolute", path);
		return -1;
	}
	if (len >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is longer than %zu bytes", path,
		         sizeof(sa.sun_path) - 1);
		return -1;
	}
	if (path[len - 1] == '/') {
		snprintf(err, errlen, "socket path '%s' names a directory", path);
		return -1;
	}
	for (const char *p = path; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "socket path contains a control character");
			return -1;
		}
	}
	/* reject "." and ".." components */
	for (const char *p = path; p && *p;) {
		const char *c = p + 1;
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.') || n == 0) {
			snprintf(err, errlen,
			         "socket path '%s' has an empty, '.' or '..' component", path);
			return -1;
		}
		p = e;
	}
	const char *slash = strrchr(path, '/');
	size_t dl = (size_t)(slash - path);
	if (dl == 0)
		dl = 1; /* parent is "/" */
	if (dl >= dirlen) {
		snprintf(err, errlen, "socket path '%s' too long", path);
		return -1;
	}
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	*base = slash + 1;
	return 0;
}

/* Open and vet the parent directory; returns an O_PATH descriptor. */
static int open_parent(const char *dir, const char *path, char *err, size_t errlen)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			snprintf(err, errlen,
			         "socket path '%s': parent '%s' is a symlink or not a directory",
			         path, dir);
		else
			snprintf(err, errlen, "socket path '%s': parent '%s': %s", path, dir,
			         strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(dfd, &st) < 0) {
		snprintf(err, errlen, "socket path '%s': stat '%s': %s", path, dir,
		         strerror(errno));
		close(dfd);
		return -1;
	}
	uid_t me = geteuid();
	if (st.st_uid != 0 && st.st_uid != me) {
		snprintf(err, errlen,
		         "socket path '%s': parent '%s' is owned by uid %u, not root%s", path, dir,
		         (unsigned)st.st_uid, me ? " or us" : "");
		close(dfd);
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen,
		         "socket path '%s': parent '%s' is world-writable (anyone could replace "
		         "the socket; use a root-owned directory such as /run/xenchannel)",
		         path, dir);
		close(dfd);
		return -1;
	}
	return dfd;
}

static void proc_path(char *buf, size_t len, int dfd, const char *base)
{
	snprintf(buf, len, "/proc/self/fd/%d/%s", dfd, base);
}

/* Something exists at base: 0 when it was a stale socket we removed. */
static int clear_stale(int dfd, const char *base, const struct stat *st, const char *path,
                       char *err, size_t errlen)
{
	if (!S_ISSOCK(st->st_mode)) {
		const char *what = S_ISLNK(st->st_mode)   ? "a symlink"
		                   : S_ISREG(st->st_mode) ? "a regular file"
		                   : S_ISDIR(st->st_mode) ? "a directory"
		                                          : "not a socket";
		snprintf(err, errlen, "socket path '%s' exists and is %s; not replacing it", path,
		         what);
		return -1;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	proc_path(sa.sun_path, sizeof(sa.sun_path), dfd, base);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0) {
		snprintf(err, errlen, "socket(): %s", strerror(errno));
		return -1;
	}
	int rc = connect(s, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(s);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
		snprintf(err, errlen, "socket path '%s' is in use by another listener", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "socket path '%s': probing existing socket: %s", path,
		         strerror(e));
		return -1;
	}
	/* Remove it only if it is still the very file we examined. */
	struct stat again;
	if (fstatat(dfd, base, &again, AT_SYMLINK_NOFOLLOW) < 0 || again.st_ino != st->st_ino ||
	    again.st_dev != st->st_dev) {
		snprintf(err, errlen, "socket path '%s' changed while being checked", path);
		return -1;
	}
	if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "socket path '%s': removing stale socket: %s", path,
		         strerror(errno));
		return -1;
	}
	return 0;
}

int eps_listen(const char *path, mode_t mode, int backlog, dev_t *dev, ino_t *ino, char *err,
               size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *base;
	if (split_path(path, dir, sizeof(dir), &base, err, errlen) < 0)
		return -1;
	int dfd = open_parent(dir, path, err, errlen);
	if (dfd < 0)
		return -1;

	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	proc_path(sa.sun_path, sizeof(sa.sun_path), dfd, base);
	if (strlen(sa.sun_path) + 1 >= sizeof(sa.sun_path)) {
		snprintf(err, errlen,
		         "socket path '%s': its file name is too long (%zu bytes; at most %zu, "
		         "as it is bound through %.*s)",
		         path, strlen(base),
		         sizeof(sa.sun_path) - 2 - (strlen(sa.sun_path) - strlen(base)),
		         (int)(strlen(sa.sun_path) - strlen(base)), sa.sun_path);
		close(dfd);
		return -1;
	}

	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (clear_stale(dfd, base, &st, path, err, errlen) < 0) {
			close(dfd);
			return -1;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "socket path '%s': %s", path, strerror(errno));
		close(dfd);
		return -1;
	}

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket(): %s", strerror(errno));
		close(dfd);
		return -1;
	}
	/* The file is created with the final mode: no window where it is wider. */
	mode_t old = umask((mode_t)(~mode & 0777));
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (rc < 0) {
		snprintf(err, errlen, "socket path '%s': bind: %s", path, strerror(e));
		goto fail;
	}
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "socket path '%s' vanished after bind", path);
		goto fail;
	}
	if ((st.st_mode & 0777) != (mode & 0777) && fchmodat(dfd, base, mode & 0777, 0) < 0) {
		snprintf(err, errlen, "socket path '%s': chmod: %s", path, strerror(errno));
		unlinkat(dfd, base, 0);
		goto fail;
	}
	if (listen(fd, backlog) < 0) {
		snprintf(err, errlen, "socket path '%s': listen: %s", path, strerror(errno));
		unlinkat(dfd, base, 0);
		goto fail;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	close(dfd);
	return fd;
fail:
	close(fd);
	close(dfd);
	return -1;
}

void eps_unlink(const char *path, dev_t dev, ino_t ino)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], err[256];
	const char *base;
	if (split_path(path, dir, sizeof(dir), &base, err, sizeof(err)) < 0)
		return;
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == dev && st.st_ino == ino)
		unlinkat(dfd, base, 0);
	close(dfd);
}

int eps_accept(int lfd)
{
	return accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
