/*
 * backend.c - the lock that makes xenchanneld the one backend of a host's
 * backend/console tree, and the question "is it running?".
 *
 * The daemon holds an open-file-description write lock (F_OFD_SETLK) on the
 * whole lock file and writes "PID CONTROL-SOCKET\n" into it. The kernel drops
 * the lock when the daemon dies, even by SIGKILL, so a stale file never keeps
 * a new daemon out. Asking uses F_OFD_GETLK, which takes nothing: a daemon
 * starting at that very moment is never refused because someone looked.
 * A clean exit removes the file while still holding the lock; a claimer that
 * locked a file removed meanwhile sees that its path names another file (or
 * none) and starts over, so two claimers never hold two different files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toolstack-int.h"
#include "xenchannel/platform.h"

static struct flock whole_file(short type)
{
	struct flock fl;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	return fl; /* l_start = l_len = 0: the whole file; l_pid must be 0 */
}

/* What the holder wrote: "PID CONTROL\n" (pid 0 and "" while it has not yet). */
static void read_holder(int fd, struct ts_backend *b)
{
	char buf[sizeof(b->control) + 32];
	b->pid = 0;
	b->control[0] = '\0';
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *end;
	long pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 0 || *end != ' ')
		return;
	b->pid = pid;
	size_t len = strcspn(end + 1, "\n");
	if (len < sizeof(b->control)) {
		memcpy(b->control, end + 1, len);
		b->control[len] = '\0';
	}
}

int ts_backend_running(struct ts_backend *b, struct ts_error *err)
{
	memset(b, 0, sizeof(*b));
	if (platform_backend_lock_path(b->lock, sizeof(b->lock)) < 0) {
		ts_fail(err, ENAMETOOLONG, "the backend lock file name is too long");
		return -1;
	}
	int fd = open(b->lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* no daemon ever ran here */
		ts_fail(err, errno, "cannot open %s: %s", b->lock, strerror(errno));
		return -1;
	}
	struct flock fl = whole_file(F_WRLCK);
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
		ts_fail(err, errno, "cannot query the lock on %s: %s", b->lock, strerror(errno));
		close(fd);
		return -1;
	}
	int held = fl.l_type != F_UNLCK;
	if (held)
		read_holder(fd, b);
	close(fd);
	return held;
}

/* Is fd still the file at path? */
static int still_there(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int lock_file(struct ts_backend *b, struct ts_error *err)
{
	for (;;) {
		int fd = open(b->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			ts_fail(err, errno, "cannot open the lock file %s: %s", b->lock,
			        strerror(errno));
			return -1;
		}
		struct flock fl = whole_file(F_WRLCK);
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
			if (still_there(fd, b->lock))
				return fd;
			close(fd); /* removed by the exiting holder: take the new one */
			continue;
		}
		int e = errno;
		if (e == EAGAIN || e == EACCES) {
			read_holder(fd, b);
			if (b->pid)
				ts_fail(err, EEXIST,
				        "another xenchanneld (pid %ld, control socket %s) already "
				        "serves this host (it holds %s); only one may",
				        b->pid, b->control, b->lock);
			else
				ts_fail(err, EEXIST,
				        "another xenchanneld, still starting, already holds %s; "
				        "only one may serve this host",
				        b->lock);
		} else {
			ts_fail(err, e, "cannot lock %s: %s", b->lock, strerror(e));
		}
		close(fd);
		return -1;
	}
}

int ts_backend_claim(const char *control, struct ts_backend *b, struct ts_error *err)
{
	memset(b, 0, sizeof(*b));
	if (platform_backend_lock_path(b->lock, sizeof(b->lock)) < 0) {
		ts_fail(err, ENAMETOOLONG, "the backend lock file name is too long");
		return -1;
	}
	int fd = lock_file(b, err);
	if (fd < 0)
		return -1;
	char line[sizeof(b->control) + 32];
	int n = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(), control);
	if (ftruncate(fd, 0) < 0 || n < 0 || pwrite(fd, line, (size_t)n, 0) != n) {
		ts_fail(err, errno, "cannot write %s: %s", b->lock, strerror(errno));
		close(fd);
		return -1;
	}
	b->pid = (long)getpid();
	snprintf(b->control, sizeof(b->control), "%s", control);
	return fd;
}

void ts_backend_release(int fd, const struct ts_backend *b)
{
	if (fd < 0)
		return;
	if (still_there(fd, b->lock))
		unlink(b->lock); /* while still locked: see the top of the file */
	close(fd);
}
