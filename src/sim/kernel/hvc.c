/*
 * hvc.c - hvc tty lines: one pty per line, linked at <root>/dev/hvc<N>.
 *
 * Numbering is Linux 6.1's (hvc_console.c, hvc_alloc/hvc_remove). A table of
 * MAX_NR_HVC_CONSOLES (16) slots records the vterm number of each allocated
 * index; slot 0 holds the primary console. hvc_alloc takes the slot whose vterm
 * number equals the new console's (hvc_xen's vterm number comes from the devid,
 * so console-11 lands on console-1's slot while console-1 exists), else the
 * first slot that is free, else ++last_hvc + 16 (not recorded). hvc_remove
 * frees the slot at once, so indices are reused. Only hvc0..hvc7 are tty lines
 * (the driver registers 8): a console whose index is 8 or more is probed and
 * connected but no guest process can open it. When two consoles share an
 * index, the tty line belongs to the one allocated first (hvc_get_by_index
 * walks the list in allocation order); once it is removed, the line (after a
 * hangup) belongs to the next. The simulator keeps these limits so users meet
 * them here first.
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

/* The pty behind tty line d->hvc, linked at <root>/dev/hvc<N>. */
static int line_open(struct fe_dev *d)
{
	struct guest *g = d->g;
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
		return -1;
	}
	track_opens(d);
	con_watch_master(d);
	if (link_node(d) < 0) {
		log_err("%s: linking %s/dev/hvc%d -> %s: %s", d->kname, g->root, d->hvc, d->pts,
		        strerror(errno));
		return -1;
	}
	return 0;
}

/* The device whose hvc_struct comes first in allocation order at index k. */
static struct fe_dev *line_user(struct guest *g, int k, const struct fe_dev *except)
{
	struct fe_dev *best = NULL;
	for (struct fe_dev *o = g->devs; o; o = o->next)
		if (o != except && o->hvc == k && (!best || o->hvc_seq < best->hvc_seq))
			best = o;
	return best;
}

int hvc_create(struct fe_dev *d)
{
	struct guest *g = d->g;
	int i;
	/* a slot already recorded for this vterm number */
	for (i = 0; i < HVC_MAX_CONSOLES; i++)
		if (g->vtermnos[i] == d->devid)
			break;
	if (i >= HVC_MAX_CONSOLES) {
		/* the first empty slot, else a counter beyond the table */
		for (i = 0; i < HVC_MAX_CONSOLES && g->vtermnos[i] != -1; i++)
			;
		if (i == HVC_MAX_CONSOLES)
			i = ++g->last_hvc + HVC_MAX_CONSOLES;
	}
	d->hvc = i;
	d->hvc_seq = ++g->hvc_allocs;
	if (i < HVC_MAX_CONSOLES)
		g->vtermnos[i] = d->devid;
	if (i >= HVC_TTY_LINES) {
		log_warn("%s: hvc index %d: beyond hvc%d, the last tty line Linux registers; "
		         "no guest process can open this console",
		         d->kname, i, HVC_TTY_LINES - 1);
		return 0;
	}
	struct fe_dev *first = line_user(g, i, d);
	if (first) {
		log_warn("%s: hvc index %d is %s's too (same vterm number, devid %d): hvc%d "
		         "opens %s's console while it exists, as in Linux",
		         d->kname, i, first->kname, d->devid, i, first->kname);
		return 0;
	}
	if (line_open(d) < 0) {
		int e = errno ? errno : EIO;
		hvc_remove(d);
		errno = e;
		return -1;
	}
	return 0;
}

void hvc_remove(struct fe_dev *d)
{
	if (d->hvc < 0)
		return;
	struct guest *g = d->g;
	int k = d->hvc, had_line = d->master >= 0;
	/* Linux frees the slot whatever else still uses the index */
	if (k < HVC_MAX_CONSOLES)
		g->vtermnos[k] = -1;
	if (had_line) {
		char path[4096], cur[64];
		snprintf(path, sizeof(path), "%s/dev/hvc%d", g->root, k);
		ssize_t n = readlink(path, cur, sizeof(cur) - 1);
		if (n >= 0) {
			cur[n] = '\0';
			if (strcmp(cur, d->pts) == 0)
				unlink(path);
		}
	}
	if (d->ino_wd >= 0) {
		inotify_rm_watch(g->ino_fd, d->ino_wd);
		d->ino_wd = -1;
	}
	/* Hang up: readers of the slave see EOF/EIO, writers EIO. */
	if (d->master >= 0) {
		loop_unwatch(g->loop, d->master);
		close(d->master);
		d->master = -1;
	}
	if (d->keep >= 0) {
		close(d->keep);
		d->keep = -1;
	}
	log_info("%s: hvc%d removed", d->kname, k);
	d->hvc = -1;
	d->pts[0] = '\0';
	d->opens = 0;
	d->out_paused = d->in_waiting = 0;
	/* a console sharing the index now owns the tty line */
	struct fe_dev *next = had_line ? line_user(g, k, NULL) : NULL;
	if (next) {
		log_info("%s: hvc%d now opens %s's console", next->kname, k, next->kname);
		if (line_open(next) < 0)
			hvc_remove(next);
		else
			con_kick(next);
	}
}
