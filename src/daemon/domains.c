/*
 * domains.c - channels that follow their domain.
 *
 * Channels are declared per domain *name* (DIR/<name>.cfg, see config.h).
 * When a domain appears (@introduceDomain; its name may be written just
 * after, so /local/domain/D/name is watched until it is there) its declared
 * channels are attached with the toolstack's own ts_attach(), each at its
 * declared devid; the backend directories it writes are then served like any
 * other (watch.c, channel.c). inotify on DIR keeps what is attached in step
 * with the files: a channel dropped or changed is detached with the xenbus
 * close handshake, run in steps (ts_detach_*) because this process is the
 * backend that has to answer it. When a domain goes, every directory of the
 * channels we served for it goes too (domains_channel_gone, called by
 * watch.c), so nothing of ours stays in xenstore.
 *
 * A file with errors is logged (FILE:LINE:COL) and the previous declaration
 * stays in force. Only files owned by our user and writable by nobody else
 * are read: they name sockets a root daemon creates.
 */
#include "xenchanneld.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenstore.h>

#include "xenchannel/config.h"
#include "xenchannel/loop.h"
#include "xenchannel/toolstack.h"
#include "xenchannel/xstore.h"

#define TOKEN_INTRO "dom-intro"
#define TOKEN_NAME "dom-name"
#define TOKEN_DETACH "dom-detach"
#define TOKEN_RELEASE "dom-release"
#define NDEV (CFG_MAX_DEVID + 1)
/* A guest drops a removed device when its xenstore watch fires, and Linux
 * never probes a device that reappears before that (xenchannel(8),
 * detach); its hvc slot and /dev/xen-channel link go with the remove uevent.
 * No event tells dom0, so after removing a channel from a running domain we
 * attach nothing to it for this long. */
#define REUSE_DELAY_MS 1500

struct domains;

struct fdetach {
	struct domains *ds;
	struct fdom *fd;
	struct ts_detach_op op;
	uint64_t timer;
};

/* A devid we removed, not to be reused yet. */
struct fcool {
	struct domains *ds;
	struct fdom *fd;
	unsigned devid;
	uint64_t timer;
};

/* A running domain we follow. */
struct fdom {
	uint32_t domid;
	char *name;                /* NULL until /local/domain/D/name is written */
	int name_watch;            /* watching that key */
	unsigned owned;            /* bit per devid: a declared channel we attached */
	struct fdetach *det[NDEV]; /* removals under way */
	struct fcool cool[NDEV];   /* timer != 0: removed a moment ago */
	struct fdom *next;
};

/* A declaration file, as last read successfully. */
struct decl {
	char *domain;
	struct cfg_domain dom; /* no channels when there is no file */
	struct decl *next;
};

struct domains {
	struct xcd *d;
	struct ts *ts;
	char *dir;
	int ifd, wd, parent_wd; /* parent_wd: waiting for dir to be created */
	struct fdom *doms;
	struct decl *decls;
};

/* ---- declarations ---- */

/* Only our own files, writable by nobody else. */
static int trusted(const char *path, const struct stat *st)
{
	if (st->st_uid == geteuid() && !(st->st_mode & 022))
		return 1;
	log_err("%s: not owned by uid %u or writable by others; ignored", path,
	        (unsigned)geteuid());
	return 0;
}

static void log_diag(const struct cfg_diag *dg)
{
	for (size_t i = 0; i < dg->n; i++) {
		if (dg->msgs[i].severity == CFG_ERROR)
			log_err("%s", dg->msgs[i].text);
		else
			log_warn("%s", dg->msgs[i].text);
	}
}

/* (Re)read the file of domain into e; on error e keeps what it had. */
static void decl_read(struct domains *ds, struct decl *e)
{
	char path[PATH_MAX];
	struct stat st;
	struct cfg_domain dom = {0};
	if (cfg_decl_path(path, sizeof(path), ds->dir, e->domain))
		return;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			log_err("%s: %s", path, strerror(errno));
		else if (e->dom.nchannels)
			log_info("%s removed: domain %s has no declared channel now", path,
			         e->domain);
		cfg_domain_clear(&e->dom);
		return;
	}
	if (!trusted(path, &st))
		return;
	struct cfg_diag dg;
	cfg_diag_init(&dg);
	int r = cfg_decl_load(ds->dir, e->domain, NULL, &dom, &dg);
	log_diag(&dg);
	cfg_diag_free(&dg);
	if (r < 0) {
		log_err("%s: not used; %s", path,
		        e->dom.nchannels ? "the previous declaration stays in force"
		                         : "domain has no declared channel");
		return;
	}
	cfg_domain_clear(&e->dom);
	e->dom = dom;
	log_info("%s: %zu channel%s declared for domain %s", path, dom.nchannels,
	         dom.nchannels == 1 ? "" : "s", e->domain);
}

static struct decl *decl_get(struct domains *ds, const char *domain, int reload)
{
	struct decl *e = ds->decls;
	while (e && strcmp(e->domain, domain))
		e = e->next;
	if (e && !reload)
		return e;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->domain = strdup(domain))) {
			free(e);
			return NULL;
		}
		e->next = ds->decls;
		ds->decls = e;
	}
	decl_read(ds, e);
	return e;
}

/* ---- keeping a domain in step ---- */

static struct fdom *fdom_find(struct domains *ds, uint32_t domid)
{
	struct fdom *f = ds->doms;
	while (f && f->domid != domid)
		f = f->next;
	return f;
}

static int same_channel(const struct cfg_channel *w, const struct ts_channel_info *h)
{
	return !strcmp(w->name, h->name) &&
	       !strcmp(cfg_connection_name(w->connection), h->connection) &&
	       (w->connection != CFG_CONN_SOCKET || (h->path && !strcmp(w->path, h->path)));
}

static void detach_start(struct domains *ds, struct fdom *f, unsigned devid);

static void attach_one(struct domains *ds, struct fdom *f, const struct cfg_channel *w)
{
	struct ts_error err;
	unsigned devid;
	if (ts_attach(ds->ts, f->domid, w, TS_AT_DEVID, &devid, &err)) {
		log_err("domain %u (%s): declared channel %s (devid %u) not attached: %s", f->domid,
		        f->name, w->name, w->devid, err.msg);
		return;
	}
	f->owned |= 1u << devid;
	log_info("domain %u (%s): declared channel %s attached as devid %u", f->domid, f->name,
	         w->name, devid);
}

/* Make the domain's channels what its declaration says. */
/* The declared and the attached channel at each devid. */
struct pair {
	const struct cfg_channel *w;
	const struct ts_channel_info *h;
};

/* Make the domain's channels what its declaration says: first what must go
 * (dropped or changed), then, once nothing is being removed, what must come. */
static void reconcile(struct domains *ds, struct fdom *f)
{
	if (!f->name)
		return;
	struct decl *e = decl_get(ds, f->name, 0);
	struct ts_channel_info *have = NULL;
	size_t nh = 0;
	struct ts_error err;
	if (ts_list(ds->ts, f->domid, &have, &nh, &err)) {
		log_err("domain %u (%s): %s", f->domid, f->name, err.msg);
		return;
	}
	struct pair p[NDEV] = {{0}};
	for (size_t i = 0; e && i < e->dom.nchannels; i++)
		p[e->dom.channels[i].devid].w = &e->dom.channels[i];
	for (size_t i = 0; i < nh; i++)
		if (have[i].devid < NDEV)
			p[have[i].devid].h = &have[i];
	int busy = 0; /* a removal under way or just done: no attach now */
	for (unsigned id = 1; id < NDEV; id++) {
		const struct cfg_channel *w = p[id].w;
		const struct ts_channel_info *h = p[id].h;
		if (!h && !f->det[id])
			f->owned &= ~(1u << id);
		if (h && !f->det[id]) {
			if (w && same_channel(w, h))
				f->owned |= 1u << id; /* ours, perhaps from before a restart */
			else if (f->owned & (1u << id))
				detach_start(ds, f, id); /* dropped or changed */
			else if (w)
				log_err(
				    "domain %u (%s): declared channel %s not attached: devid %u "
				    "is used by channel %s, which is not declared",
				    f->domid, f->name, w->name, id, h->name);
		}
		busy |= f->det[id] || f->cool[id].timer;
	}
	for (unsigned id = 1; id < NDEV && !busy; id++) {
		if (p[id].h || !p[id].w)
			continue;
		/* a channel just removed may not have reached its watch yet: let
		 * it go first, so the new one starts afresh */
		if (chan_find(ds->d, f->domid, id))
			chan_update(ds->d, f->domid, id);
		attach_one(ds, f, p[id].w);
	}
	ts_list_free(have, nh);
}

/* ---- removing a channel with the close handshake, without blocking ---- */

static void detach_watch(struct domains *ds, struct fdetach *x, int on)
{
	char p[300];
	const char *dirs[] = {x->op.fe, x->op.be};
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/state", dirs[i]);
		if (on)
			xs_watch(ds->d->xs, p, TOKEN_DETACH);
		else
			xs_unwatch(ds->d->xs, p, TOKEN_DETACH);
	}
}

static void cool_done(struct loop *l, void *arg)
{
	struct fcool *c = arg;
	c->timer = 0;
	reconcile(c->ds, c->fd);
}

static void detach_end(struct fdetach *x, int forced)
{
	struct domains *ds = x->ds;
	struct fdom *f = x->fd;
	struct ts_error err;
	if (forced)
		log_warn("domain %u (%s): channel %u did not close within %d ms; removed anyway",
		         f->domid, f->name, x->op.devid, TS_DETACH_TIMEOUT_MS);
	if (ts_detach_finish(ds->ts, &x->op, &err))
		log_err("domain %u: %s", f->domid, err.msg);
	else
		log_info("domain %u (%s): channel %u detached (no longer declared as it was)",
		         f->domid, f->name, x->op.devid);
	detach_watch(ds, x, 0);
	if (x->timer)
		loop_timer_cancel(ds->d->loop, x->timer);
	f->det[x->op.devid] = NULL;
	f->owned &= ~(1u << x->op.devid);
	struct fcool *c = &f->cool[x->op.devid];
	*c = (struct fcool){ds, f, x->op.devid, 0};
	c->timer = loop_timer(ds->d->loop, REUSE_DELAY_MS, cool_done, c);
	free(x);
}

static void detach_timeout(struct loop *l, void *arg)
{
	struct fdetach *x = arg;
	struct fdom *f = x->fd;
	x->timer = 0;
	detach_end(x, 1);
	reconcile(x->ds, f);
}

static void detach_start(struct domains *ds, struct fdom *f, unsigned devid)
{
	struct fdetach *x = calloc(1, sizeof(*x));
	if (!x)
		return;
	x->ds = ds;
	x->fd = f;
	char which[16];
	snprintf(which, sizeof(which), "%u", devid);
	struct ts_error err;
	if (ts_detach_prepare(ds->ts, f->domid, which, &x->op, &err)) {
		log_err("domain %u: %s", f->domid, err.msg);
		free(x);
		return;
	}
	f->det[devid] = x;
	detach_watch(ds, x, 1); /* before Closing: no answer is missed */
	if (ts_detach_close(ds->ts, &x->op, &err)) {
		log_err("domain %u: %s", f->domid, err.msg);
		detach_end(x, 0);
		return;
	}
	x->timer = loop_timer(ds->d->loop, TS_DETACH_TIMEOUT_MS, detach_timeout, x);
}

/* A state key of a channel being removed changed. */
static void detach_check(struct domains *ds)
{
	for (struct fdom *f = ds->doms; f; f = f->next) {
		int ended = 0;
		for (unsigned id = 1; id < NDEV; id++) {
			if (f->det[id] && ts_detach_done(ds->ts, &f->det[id]->op)) {
				detach_end(f->det[id], 0);
				ended = 1;
			}
		}
		if (ended)
			reconcile(ds, f);
	}
}

/* ---- domains coming and going ---- */

static void name_watch(struct domains *ds, struct fdom *f, int on)
{
	char p[64];
	snprintf(p, sizeof(p), "/local/domain/%u/name", f->domid);
	if (on && !f->name_watch)
		f->name_watch = xs_watch(ds->d->xs, p, TOKEN_NAME);
	else if (!on && f->name_watch) {
		xs_unwatch(ds->d->xs, p, TOKEN_NAME);
		f->name_watch = 0;
	}
}

/* Learn the domain's name once it is there, then attach. */
static void fdom_named(struct domains *ds, struct fdom *f)
{
	if (f->name)
		return;
	char name[256];
	if (ts_domain_name(ds->ts, f->domid, name, sizeof(name)) < 0 || !*name) {
		if (!f->name_watch)
			log_debug("domain %u has no name yet: waiting for it", f->domid);
		name_watch(ds, f, 1);
		return;
	}
	name_watch(ds, f, 0);
	f->name = strdup(name);
	reconcile(ds, f);
}

static void fdom_free(struct domains *ds, struct fdom *f)
{
	for (unsigned id = 1; id < NDEV; id++) {
		if (f->cool[id].timer)
			loop_timer_cancel(ds->d->loop, f->cool[id].timer);
		struct fdetach *x = f->det[id];
		if (!x)
			continue;
		detach_watch(ds, x, 0);
		if (x->timer)
			loop_timer_cancel(ds->d->loop, x->timer);
		free(x);
	}
	name_watch(ds, f, 0);
	free(f->name);
	free(f);
}

/* Follow every domain we do not follow yet (not ourselves). */
static void scan_domains(struct domains *ds)
{
	unsigned n = 0;
	char **v = xs_directory(ds->d->xs, XBT_NULL, "/local/domain", &n);
	for (unsigned i = 0; v && i < n; i++) {
		uint32_t domid;
		if (xstore_parse_uint(v[i], 0x7fef, &domid) || domid == ds->d->self ||
		    fdom_find(ds, domid) || !watch_domain_alive(ds->d, domid))
			continue;
		struct fdom *f = calloc(1, sizeof(*f));
		if (!f)
			break;
		f->domid = domid;
		f->next = ds->doms;
		ds->doms = f;
		fdom_named(ds, f);
	}
	free(v);
}

/* Remove a directory if it has nothing left in it. */
static void rm_if_empty(struct domains *ds, const char *path)
{
	unsigned n = 0;
	char **v = xs_directory(ds->d->xs, XBT_NULL, path, &n);
	if (v && n == 0)
		xs_rm(ds->d->xs, XBT_NULL, path);
	free(v);
}

static void prune(struct domains *ds, uint32_t domid)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%u", ds->d->be_root, domid);
	rm_if_empty(ds, p);
	const char *lx[] = {"/libxl/%u/device/console", "/libxl/%u/device", "/libxl/%u",
	                    "/local/domain/%u/device/console", "/local/domain/%u/device"};
	for (size_t i = 0; i < sizeof(lx) / sizeof(lx[0]); i++) {
		snprintf(p, sizeof(p), lx[i], domid);
		rm_if_empty(ds, p);
	}
}

/* Drop the domains that are gone. */
static void release_gone(struct domains *ds)
{
	for (struct fdom **pp = &ds->doms; *pp;) {
		struct fdom *f = *pp;
		if (watch_domain_alive(ds->d, f->domid)) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		for (unsigned id = 1; id < NDEV; id++)
			if (f->owned & (1u << id))
				domains_channel_gone(ds->d, f->domid, id);
		prune(ds, f->domid);
		log_info("domain %u (%s) is gone", f->domid, f->name ? f->name : "?");
		fdom_free(ds, f);
	}
}

void domains_backend_removed(struct xcd *d, uint32_t domid)
{
	struct domains *ds = d->domains;
	if (ds && !watch_domain_alive(d, domid))
		prune(ds, domid);
}

void domains_channel_gone(struct xcd *d, uint32_t domid, uint32_t devid)
{
	struct domains *ds = d->domains;
	if (!ds)
		return;
	struct ts_error err;
	if (ts_channel_remove(ds->ts, domid, devid, &err))
		log_err("domain %u is gone: %s", domid, err.msg);
	prune(ds, domid);
}

/* ---- the directory ---- */

static void reconcile_named(struct domains *ds, const char *domain)
{
	for (struct fdom *f = ds->doms; f; f = f->next)
		if (f->name && !strcmp(f->name, domain))
			reconcile(ds, f);
}

static void rescan_files(struct domains *ds)
{
	for (struct decl *e = ds->decls; e; e = e->next)
		decl_read(ds, e);
	for (struct fdom *f = ds->doms; f; f = f->next)
		reconcile(ds, f);
}

static int watch_dir(struct domains *ds)
{
	ds->wd = inotify_add_watch(ds->ifd, ds->dir,
	                           IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
	                               IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
	if (ds->wd >= 0) {
		if (ds->parent_wd >= 0)
			inotify_rm_watch(ds->ifd, ds->parent_wd);
		ds->parent_wd = -1;
		log_info("following the domains declared in %s", ds->dir);
		return 0;
	}
	if (errno != ENOENT) {
		log_err("%s: %s; no declared channel will be attached", ds->dir, strerror(errno));
		return -1;
	}
	/* wait for it to be created (xenchannel define does) */
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", ds->dir);
	char *slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = '\0';
	if (ds->parent_wd < 0)
		ds->parent_wd =
		    inotify_add_watch(ds->ifd, parent, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	log_info("%s does not exist%s: no domain has declared channels", ds->dir,
	         ds->parent_wd >= 0 ? " yet" : "");
	return 0;
}

static void inotify_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct domains *ds = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			p += sizeof(*e) + e->len;
			char domain[CFG_DECL_NAME_MAX + 1];
			if (e->mask & IN_Q_OVERFLOW) {
				rescan_files(ds);
			} else if (e->wd == ds->parent_wd) {
				if (watch_dir(ds) == 0 && ds->wd >= 0)
					rescan_files(ds);
			} else if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				log_warn("%s was removed; declarations stay as last read", ds->dir);
				inotify_rm_watch(fd, ds->wd);
				ds->wd = -1;
				watch_dir(ds);
			} else if (e->len &&
			           !cfg_decl_file_domain(e->name, domain, sizeof(domain))) {
				decl_get(ds, domain, 1);
				reconcile_named(ds, domain);
			}
		}
	}
}

/* ---- the daemon's hooks ---- */

int domains_event(struct xcd *d, const char *path, const char *token)
{
	struct domains *ds = d->domains;
	if (!ds)
		return 0;
	if (!strcmp(token, TOKEN_INTRO)) {
		scan_domains(ds);
	} else if (!strcmp(token, TOKEN_NAME)) {
		uint32_t domid;
		if (sscanf(path, "/local/domain/%u/name", &domid) == 1) {
			struct fdom *f = fdom_find(ds, domid);
			if (f)
				fdom_named(ds, f);
		}
	} else if (!strcmp(token, TOKEN_DETACH)) {
		detach_check(ds);
	} else if (!strcmp(token, TOKEN_RELEASE)) {
		release_gone(ds);
	} else {
		return 0;
	}
	return 1;
}

void domains_rescan(struct xcd *d)
{
	if (d->domains) {
		scan_domains(d->domains);
		rescan_files(d->domains);
	}
}

int domains_init(struct xcd *d, const char *dir, char *err, size_t errlen)
{
	struct domains *ds = calloc(1, sizeof(*ds));
	if (!ds || !(ds->dir = strdup(dir))) {
		free(ds);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ds->d = d;
	ds->wd = ds->parent_wd = -1;
	d->domains = ds;
	struct ts_error te;
	if (ts_open(&ds->ts, &te)) {
		snprintf(err, errlen, "%s", te.msg);
		return -1;
	}
	ds->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ds->ifd < 0 || loop_watch(d->loop, ds->ifd, LOOP_READ, inotify_cb, ds) < 0) {
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		return -1;
	}
	watch_dir(ds);
	/* @releaseDomain also reaches watch.c, which frees the channels */
	if (!xs_watch(d->xs, "@introduceDomain", TOKEN_INTRO) ||
	    !xs_watch(d->xs, "@releaseDomain", TOKEN_RELEASE)) {
		snprintf(err, errlen, "xenstore: watching @introduceDomain: %s", strerror(errno));
		return -1;
	}
	scan_domains(ds);
	return 0;
}

void domains_close(struct xcd *d)
{
	struct domains *ds = d->domains;
	if (!ds)
		return;
	while (ds->doms) {
		struct fdom *f = ds->doms;
		ds->doms = f->next;
		fdom_free(ds, f);
	}
	while (ds->decls) {
		struct decl *e = ds->decls;
		ds->decls = e->next;
		cfg_domain_clear(&e->dom);
		free(e->domain);
		free(e);
	}
	if (ds->ifd > 0) {
		loop_unwatch(d->loop, ds->ifd);
		close(ds->ifd);
	}
	ts_close(ds->ts);
	free(ds->dir);
	free(ds);
	d->domains = NULL;
}
