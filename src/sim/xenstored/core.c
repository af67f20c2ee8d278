/*
 * core.c - the daemon object: the store with the tree xenstored and
 * xen-init-dom0 leave behind, the special watch nodes, and the privileged
 * socket <run_dir>/xenstored/socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xsd.h"

struct special *xsd_special(struct xsd *x, const char *name)
{
	if (strcmp(name, "@introduceDomain") == 0)
		return &x->spec_intro;
	if (strcmp(name, "@releaseDomain") == 0)
		return &x->spec_release;
	return NULL;
}

int xsd_listen(const char *path, int *fd_out, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	*fd_out = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s: longer than %zu bytes", path,
		         sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket for %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		/* A live daemon answers; a stale socket file is replaced. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			snprintf(err, errlen, "%s: another xenstored is listening there", path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	mode_t old = umask(0077);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 1024) < 0) {
		snprintf(err, errlen, "listening on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*fd_out = fd;
	return 0;
}

static void resume_accept(struct loop *l, void *arg);

struct paused_listener {
	struct xsd *x;
	int fd;
	struct domain *d;
};

void xsd_listen_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct domain *d = arg;
	struct xsd *x = d ? d->x : NULL;
	if (!x)
		return;
	for (int i = 0; i < 64; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* out of descriptors: stop accepting for a moment */
				log_warn("xenstored: accept on %s: %s; pausing for 100 ms",
				         d->domid ? d->sockpath : x->sockpath, strerror(errno));
				loop_modify(l, fd, 0);
				struct paused_listener *pl = malloc(sizeof(*pl));
				if (pl) {
					*pl = (struct paused_listener){x, fd, d};
					loop_timer(l, 100, resume_accept, pl);
				}
			}
			return;
		}
		if (d->domid && d->nconns >= XSD_DOMAIN_CONNS_MAX) {
			/* a domain has one ring on real Xen; a few processes here */
			log_limited(
			    &d->ll, 1, LOG_LVL_WARN,
			    "xenstored: domain %u already has %u connections: refusing more",
			    d->domid, d->nconns);
			close(cfd);
			continue;
		}
		if (!conn_new(x, cfd, d->domid ? d : NULL)) {
			log_warn("xenstored: cannot register a connection: %s", strerror(errno));
			close(cfd);
		}
	}
}

static void resume_accept(struct loop *l, void *arg)
{
	struct paused_listener *pl = arg;
	loop_modify(l, pl->fd, LOOP_READ);
	free(pl);
}

static int mk(struct xsd *x, const char *path, const char *value)
{
	size_t len = strlen(path);
	struct node *n = store_get(&x->st, path, len);
	if (n)
		return value ? store_set_value(&x->st, n, value, (uint32_t)strlen(value)) : 0;
	size_t pl = path_parent_len(path, len);
	struct node *p = store_get(&x->st, path, pl);
	if (!p)
		return ENOENT;
	n = store_create(&x->st, p, path, len, value, value ? (uint32_t)strlen(value) : 0, p->perms,
	                 p->nperms);
	return n ? 0 : ENOMEM;
}

static int initial_tree(struct xsd *x)
{
	static const struct perm none0 = {0, 0};
	if (!store_create(&x->st, NULL, "/", 1, NULL, 0, &none0, 1))
		return ENOMEM;
	/* xenstored's setup_structure, then what xen-init-dom0 writes */
	static const char *const nodes[][2] = {
	    {"/tool", NULL},
	    {"/tool/xenstored", NULL},
	    {"/local", NULL},
	    {"/local/domain", NULL},
	    {"/local/domain/0", NULL},
	    {"/local/domain/0/domid", "0"},
	    {"/local/domain/0/name", "Domain-0"},
	};
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		if (mk(x, nodes[i][0], nodes[i][1]))
			return ENOMEM;
	x->spec_intro.name = "@introduceDomain";
	x->spec_release.name = "@releaseDomain";
	x->spec_intro.perms = malloc(sizeof(none0));
	x->spec_release.perms = malloc(sizeof(none0));
	if (!x->spec_intro.perms || !x->spec_release.perms)
		return ENOMEM;
	x->spec_intro.perms[0] = none0;
	x->spec_intro.nperms = 1;
	x->spec_release.perms[0] = none0;
	x->spec_release.nperms = 1;
	return 0;
}

static void dom0_accept(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct xsd *x = arg;
	/* the privileged socket is served as a pseudo-domain 0 listener */
	struct domain d0 = {.x = x, .domid = 0};
	xsd_listen_cb(l, fd, ev, &d0);
}

struct xsd *xsd_new(struct loop *l, const char *run_dir, char *err, size_t errlen)
{
	struct xsd *x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "xenstored: out of memory");
		return NULL;
	}
	x->l = l;
	x->lfd = -1;
	x->q_nodes = 1000;
	x->q_watches = 128;
	x->q_tx = 10;
	x->q_perms = 5;
	x->q_node_size = 2048;
	x->q_tx_nodes = 1024;
	x->q_path = XSD_REL_PATH_MAX;
	x->run_dir = run_dir ? strdup(run_dir) : NULL;
	if ((run_dir && !x->run_dir) || store_init(&x->st) < 0 || ht_init(&x->wpaths, 64) < 0 ||
	    initial_tree(x)) {
		snprintf(err, errlen, "xenstored: out of memory");
		goto fail;
	}
	if (!run_dir)
		return x; /* in-process only */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/xenstored", run_dir);
	if (mkdir(run_dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "creating run directory %s: %s", run_dir, strerror(errno));
		goto fail;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "creating %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (asprintf(&x->sockpath, "%s/socket", dir) < 0) {
		x->sockpath = NULL;
		snprintf(err, errlen, "xenstored: out of memory");
		goto fail;
	}
	if (xsd_listen(x->sockpath, &x->lfd, err, errlen) < 0)
		goto fail;
	if (loop_watch(l, x->lfd, LOOP_READ, dom0_accept, x) < 0) {
		snprintf(err, errlen, "watching %s: %s", x->sockpath, strerror(errno));
		goto fail;
	}
	return x;
fail:
	xsd_free(x);
	return NULL;
}

void xsd_free(struct xsd *x)
{
	if (!x)
		return;
	while (x->conns)
		conn_close(x->conns, NULL);
	domain_destroy_all(x);
	if (x->reap_timer)
		loop_timer_cancel(x->l, x->reap_timer);
	conn_reap(x);
	if (x->lfd >= 0) {
		loop_unwatch(x->l, x->lfd);
		close(x->lfd);
		unlink(x->sockpath);
	}
	if (x->wpaths.b)
		ht_fini(&x->wpaths);
	if (x->st.nodes.b)
		store_fini(&x->st);
	free(x->spec_intro.perms);
	free(x->spec_release.perms);
	free(x->doms);
	free(x->sockpath);
	free(x->run_dir);
	free(x);
}

/* Request tracing, as `xenstore-control log on` (used by --trace). */
void xsd_set_trace(struct xsd *x, int on);
void xsd_set_trace(struct xsd *x, int on)
{
	x->trace = on != 0;
}
