/*
 * hvc.c - hvc tty lines: one pty per console, linked at <root>/dev/hvc<N>.
 *
 * Numbering is Linux's (hvc_console.c, hvc_alloc): the primary console was
 * instantiated at index 0, and every later hvc_alloc takes ++last_hvc. Indices
 * are never reused, even after a removal, and only hvc0..hvc7 have tty nodes:
 * a console whose index is 8 or more is probed and connected but no guest
 * process can open it. The simulator keeps these limits so users meet them
 * here first.
 */
#include "guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

void con_watch_master(struct fe_dev *d);

static void on_inotify(struct loop *l, int fd, unsigned ev, void *arg)
{
	hvc_on_inotify(arg);
}

void hvc_on_inotify(struct guest *g)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(g->ino_fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			p += sizeof(*e) + e->len;
			struct fe_dev *d;
			for (d = g->devs; d && d->ino_wd != e->wd; d = d->next)
				;
			if (!d || d->ino_wd < 0)
				continue;
			int was = d->opens;
			if (e->mask & IN_OPEN) {
				d->opens++;
				d->reset_due = 0; /* someone opened already: leave its settings */
			}
			if ((e->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) && d->opens > 0) {
				d->opens--;
				if (d->opens == 0)
					d->reset_due = 1;
			}
			if (was <= 0 && d->opens > 0)
				con_kick(d); /* a reader appeared: deliver what waits in `in` */
		}
	}
	/* hvc resets termios on each first open (TTY_DRIVER_RESET_TERMIOS): after
	 * the last close, put the standard settings back, so the next opener finds
	 * echo and canonical mode on, as on a real guest. */
	for (struct fe_dev *d = g->devs; d; d = d->next) {
		if (d->reset_due && d->keep >= 0 && tcsetattr(d->keep, TCSANOW, &d->std) < 0)
			log_debug("%s: restoring termios: %s", d->kname, strerror(errno));
		d->reset_due = 0;
	}
}

/* Track guest opens of the slave; without inotify the tty counts as open. */
static void track_opens(struct fe_dev *d)
{
	struct guest *g = d->g;
	d->ino_wd = -1;
	d->opens = 1;
	if (g->ino_fd < 0 && !g->ino_failed) {
		g->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (g->ino_fd < 0 || loop_watch(g->loop, g->ino_fd, LOOP_READ, on_inotify, g) < 0) {
			log_warn("inotify: %s; hvc ttys count as always open (dom0 data is "
			         "delivered even while no guest process has the tty open)",
			         strerror(errno));
			if (g->ino_fd >= 0)
				close(g->ino_fd);
			g->ino_fd = -1;
			g->ino_failed = 1;
		}
	}
	if (g->ino_fd < 0)
		return;
	int wd = inotify_add_watch(g->ino_fd, d->pts, IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
	if (wd < 0) {
		log_warn("%s: watching opens of %s: %s; the tty counts as always open", d->kname,
		         d->pts, strerror(errno));
		return;
	}
	d->ino_wd = wd;
	d->opens = 0;
}

static int link_node(struct fe_dev *d)
{
	char path[4096], tmp[4096];
	snprintf(path, sizeof(path), "%s/dev/hvc%d", d->g->root, d->hvc);
	snprintf(tmp, sizeof(tmp), "%s/dev/.hvc%d.new", d->g->root, d->hvc);
	unlink(tmp);
	if (symlink(d->pts, tmp) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int hvc_create(struct fe_dev *d)
{
	struct guest *g = d->g;
	d->hvc = ++g->last_hvc;
	if (d->hvc >= HVC_TTY_LINES) {
		log_warn("%s: hvc index %d: beyond hvc%d, the last tty line Linux registers; "
		         "no guest process can open this console",
		         d->kname, d->hvc, HVC_TTY_LINES - 1);
		hp_sysfs_tty(d, 1);
		return 0;
	}
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, d->pts, sizeof(d->pts))) {
		log_err("%s: creating a pty for hvc%d: %s", d->kname, d->hvc, strerror(errno));
		if (m >= 0)
			close(m);
		return -1;
	}
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	d->master = m;
	d->keep = open(d->pts, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (d->keep < 0 || tcgetattr(d->keep, &d->std) < 0) {
		log_err("%s: opening %s: %s", d->kname, d->pts, strerror(errno));
		hvc_remove(d);
		return -1;
	}
	track_opens(d);
	con_watch_master(d);
	if (link_node(d) < 0) {
		log_err("%s: linking %s/dev/hvc%d -> %s: %s", d->kname, g->root, d->hvc, d->pts,
		        strerror(errno));
		hvc_remove(d);
		return -1;
	}
	hp_sysfs_tty(d, 1);
	return 0;
}

void hvc_remove(struct fe_dev *d)
{
	if (d->hvc < 0)
		return;
	if (d->hvc < HVC_TTY_LINES) {
		char path[4096], cur[64];
		snprintf(path, sizeof(path), "%s/dev/hvc%d", d->g->root, d->hvc);
		ssize_t n = readlink(path, cur, sizeof(cur) - 1);
		if (n >= 0) {
			cur[n] = '\0';
			if (strcmp(cur, d->pts) == 0)
				unlink(path);
		}
	}
	hp_sysfs_tty(d, 0);
	if (d->ino_wd >= 0) {
		inotify_rm_watch(d->g->ino_fd, d->ino_wd);
		d->ino_wd = -1;
	}
	/* Hang up: readers of the slave see EOF/EIO, writers EIO. */
	if (d->master >= 0) {
		loop_unwatch(d->g->loop, d->master);
		close(d->master);
		d->master = -1;
	}
	if (d->keep >= 0) {
		close(d->keep);
		d->keep = -1;
	}
	log_info("%s: hvc%d removed", d->kname, d->hvc);
	d->hvc = -1;
	d->opens = 0;
	d->out_paused = d->in_waiting = 0;
}
