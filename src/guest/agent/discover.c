/* discover.c - wait with inotify for <root>/dev/xen-channel/<name> (or the
 * --device path), open it when it appears, close it when it goes away, and
 * reopen it when it comes back or is replaced. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
#define WATCH_MASK                                                                                 \
	(IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF |     \
	 IN_ATTRIB | IN_ONLYDIR)

static void try_open(struct agent *a);

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Watch the device's directory, or its nearest existing ancestor (whose
 * events tell when the next directory down appears). The new watch is added
 * before the old one goes: the same directory keeps its watch descriptor,
 * and removing a watch queues an IN_IGNORED that on_inotify must not take
 * for a change, or the two would feed each other forever. */
static void rearm(struct agent *a)
{
	int old = a->ino_wd[0];
	a->ino_wd[0] = -1;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", a->devpath);
	for (;;) {
		char *s = strrchr(dir, '/');
		if (!s)
			return;
		if (s == dir)
			s[1] = 0;
		else
			*s = 0;
		int wd = inotify_add_watch(a->ino_fd, dir, WATCH_MASK);
		if (wd >= 0) {
			a->ino_wd[0] = wd;
			a->ino_wd[1] =
			    strlen(dir) + strlen(base(a->devpath)) + 1 == strlen(a->devpath);
			break;
		}
		if (s == dir)
			break;
	}
	if (old >= 0 && old != a->ino_wd[0])
		inotify_rm_watch(a->ino_fd, old);
}

static void on_retry(struct loop *l, void *arg)
{
	struct agent *a = arg;
	a->retry_timer = 0;
	try_open(a);
}

static void schedule_retry(struct agent *a)
{
	if (a->retry_timer)
		return;
	a->retry_timer = loop_timer(a->loop, a->retry_ms, on_retry, a);
	a->retry_ms = a->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : a->retry_ms * 2;
}

static void try_open(struct agent *a)
{
	if (session_attached(a))
		return;
	struct stat st;
	if (lstat(a->devpath, &st) < 0)
		return; /* not there yet: inotify tells us when it is */
	char err[PATH_MAX + 64];
	int is_tty;
	int fd = tty_open(a->devpath, &is_tty, err, sizeof(err));
	if (fd < 0) {
		if (a->retry_ms == RETRY_MIN_MS)
			log_warn("%s (will retry)", err);
		schedule_retry(a);
		return;
	}
	a->retry_ms = RETRY_MIN_MS;
	if (a->retry_timer) {
		loop_timer_cancel(a->loop, a->retry_timer);
		a->retry_timer = 0;
	}
	session_attach(a, fd, is_tty);
}

static void on_inotify(struct loop *l, int fd, unsigned events, void *arg)
{
	struct agent *a = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int ours_replaced = 0, ours_gone = 0, dir_changed = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->wd != a->ino_wd[0])
				continue; /* a watch we dropped: its last words */
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				dir_changed = 1;
				continue;
			}
			if (!a->ino_wd[1]) {
				dir_changed =
				    1; /* something changed on the way to the device dir */
				continue;
			}
			if (ev->len == 0 || strcmp(ev->name, base(a->devpath)) != 0)
				continue;
			if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
				ours_gone = 1;
			if (ev->mask & (IN_CREATE | IN_MOVED_TO))
				ours_replaced = 1;
		}
	}
	if (dir_changed)
		rearm(a);
	struct stat st;
	int exists = lstat(a->devpath, &st) == 0;
	if (session_attached(a) && (ours_gone || ours_replaced || !exists))
		session_detach(a, exists ? "device replaced" : "device removed");
	if (exists)
		try_open(a);
	seedwait_check_channels(a);
}

/* Without inotify (its per-user instance limit reached): look every
 * POLL_MS instead, with the same reactions. */
#define POLL_MS 500
static void on_poll(struct loop *l, void *arg)
{
	struct agent *a = arg;
	struct stat st;
	int exists = lstat(a->devpath, &st) == 0;
	if (session_attached(a) && !exists)
		session_detach(a, "device removed");
	if (exists)
		try_open(a);
	loop_timer(l, POLL_MS, on_poll, a);
}

int discover_start(struct agent *a, char *err, size_t errlen)
{
	a->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	a->retry_ms = RETRY_MIN_MS;
	if (a->ino_fd < 0) {
		log_warn("inotify: %s; looking for %s every %d ms instead", strerror(errno),
		         a->devpath, POLL_MS);
		on_poll(a->loop, a);
		return 0;
	}
	a->ino_wd[0] = -1;
	rearm(a);
	if (a->ino_wd[0] < 0) {
		snprintf(err, errlen, "%s: cannot watch any directory on its path", a->devpath);
		return -1;
	}
	loop_watch(a->loop, a->ino_fd, LOOP_READ, on_inotify, a);
	struct stat st;
	if (lstat(a->devpath, &st) < 0)
		log_info("waiting for %s", a->devpath);
	try_open(a);
	return 0;
}

void discover_lost(struct agent *a)
{
	/* The device failed (hangup, EIO) but may still be listed: try again a
	 * little later, or as soon as inotify reports it again. */
	a->retry_ms = RETRY_MIN_MS;
	schedule_retry(a);
}
