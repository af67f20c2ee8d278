/* service.c - sockets, request dispatch and domains of the hypervisor service
 * (guest processes: guest-proc.c). */
#include "service.h"

#include "hyp.h"
#include "xenchannel/log.h"
#include "xenchannel/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct svc_conn {
	struct svc *s;
	int fd;
	uint32_t domid;
	uint32_t *seq;
	int broken;
	struct svc_conn *next;
};

/* Per-domain state of the service, hung off hyp_domain.svc_data. */
struct svc_dom {
	struct svc *s;
	struct svc_conn *waiter; /* DOM_DESTROY request to answer when done */
	uint32_t waiter_type;
	struct guest_proc guest;
	int destroying; /* tear the domain down once the guest is gone */
};

struct svc {
	struct loop *loop;
	struct hyp hyp;
	char run[PATH_MAX - 1024];
	int dom0_fd;
	struct svc_conn *conns;
	struct svc_hooks hooks;
	void (*shutdown_done)(void *arg);
	void *shutdown_arg;
	int shutting_down;
};

static void conn_free(struct svc_conn *c);
static void listen_cb(struct loop *l, int fd, unsigned ev, void *arg);
static void destroy_finish(struct svc *s, struct hyp_domain *d);

/* ---- files ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void svc_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ---- connections ---- */

static void send_event(void *owner, const struct simw_msg *m, int fd, void *arg)
{
	(void)arg;
	struct svc_conn *c = owner;
	if (c->broken)
		return;
	if (simw_send(c->fd, m, NULL, 0, &fd, 1) < 0) {
		log_warn("domain %u client on fd %d: cannot deliver event-channel update (%s); "
		         "dropping the client",
		         c->domid, c->fd, strerror(errno));
		c->broken = 1;
		/* freed from conn_cb, which a writable wake-up will reach */
		loop_modify(c->s->loop, c->fd, LOOP_READ | LOOP_WRITE);
		return;
	}
	__atomic_add_fetch(c->seq, 1, __ATOMIC_RELEASE);
}

static void reply(struct svc_conn *c, struct simw_msg *m, const void *payload, size_t len,
                  const int *fds, int nfds)
{
	m->type |= SIMW_REPLY;
	if (simw_send(c->fd, m, payload, len, fds, nfds) < 0) {
		log_warn("domain %u client on fd %d: cannot send reply (%s); dropping the client",
		         c->domid, c->fd, strerror(errno));
		c->broken = 1;
	}
}

static void reply_err(struct svc_conn *c, struct simw_msg *m, int rc)
{
	struct simw_msg r = {.type = m->type, .err = rc < 0 ? -rc : 0};
	reply(c, &r, NULL, 0, NULL, 0);
}

/* ---- guests ---- */

static void shutdown_check(struct svc *s);

/* The guest process is reaped: a pending destroy or shutdown goes on. */
static void guest_gone(struct hyp_domain *d, void *arg)
{
	struct svc_dom *sd = d->svc_data;
	struct svc *s = sd->s;
	(void)arg;
	if (sd->destroying)
		destroy_finish(s, d);
	else if (s->shutting_down)
		shutdown_check(s);
}

static struct guest_proc *guest_of(struct hyp_domain *d)
{
	return &((struct svc_dom *)d->svc_data)->guest;
}

/* ---- domains ---- */

static int domain_files(struct svc *s, struct hyp_domain *d)
{
	static const char *const dirs[] = {"root/dev", "root/etc/udev/rules.d", "root/run",
	                                   "root/lib/udev/rules.d"};
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/domains/%u/%s", s->run, d->domid, dirs[i]);
		if (mkdirs(path, 0755) < 0)
			return -errno;
	}
	if (simw_socket_path(path, sizeof(path), s->run, d->domid) < 0)
		return -errno;
	d->listen_fd = listen_at(path);
	if (d->listen_fd < 0)
		return -errno;
	if (loop_watch(s->loop, d->listen_fd, LOOP_READ, listen_cb, s) < 0)
		return -errno;
	return 0;
}

static struct hyp_domain *domain_new(struct svc *s, uint32_t domid, const char *name, int *rc)
{
	struct hyp_domain *d = NULL;
	struct svc_dom *sd = calloc(1, sizeof(*sd));
	if (!sd) {
		*rc = -ENOMEM;
		return NULL;
	}
	sd->s = s;
	*rc = hyp_domain_create(&s->hyp, domid, name, &d);
	if (*rc < 0) {
		free(sd);
		return NULL;
	}
	sd->guest = (struct guest_proc){.loop = s->loop, .d = d, .exited = guest_gone};
	d->svc_data = sd;
	return d;
}

/* Everything of d goes, except the xenstore socket, which xenstored removes
 * when the toolstack releases the domain. */
static void domain_remove_files(struct svc *s, uint32_t domid)
{
	char path[PATH_MAX];
	static const char *const files[] = {"hypervisor.sock", "guest.log", "frontend.sock"};
	snprintf(path, sizeof(path), "%s/domains/%u/root", s->run, domid);
	svc_rmtree(path);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/domains/%u/%s", s->run, domid, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/domains/%u", s->run, domid);
	rmdir(path); /* fails while xenstored.sock is still there */
}

static void domain_free(struct svc *s, struct hyp_domain *d)
{
	struct svc_dom *sd = d->svc_data;
	uint32_t domid = d->domid;
	if (d->listen_fd >= 0) {
		loop_unwatch(s->loop, d->listen_fd);
		close(d->listen_fd);
	}
	guest_forget(&sd->guest);
	hyp_domain_destroy(&s->hyp, d);
	free(sd);
	if (domid != 0)
		domain_remove_files(s, domid);
}

static void destroy_finish(struct svc *s, struct hyp_domain *d)
{
	struct svc_dom *sd = d->svc_data;
	struct svc_conn *w = sd->waiter;
	uint32_t type = sd->waiter_type, domid = d->domid;
	char name[HYP_NAME_MAX + 1];
	snprintf(name, sizeof(name), "%s", d->name);
	domain_free(s, d);
	log_info("domain %u (%s) destroyed", domid, name);
	if (s->hooks.domain_dead)
		s->hooks.domain_dead(domid, s->hooks.arg);
	if (w) {
		struct simw_msg r = {.type = type};
		reply(w, &r, NULL, 0, NULL, 0);
		loop_modify(s->loop, w->fd, w->broken ? LOOP_READ | LOOP_WRITE : LOOP_READ);
	}
	if (s->shutting_down)
		shutdown_check(s);
}

/* ---- requests ---- */

static void do_dom_create(struct svc_conn *c, struct simw_msg *m, const char *name)
{
	struct svc *s = c->s;
	int rc;
	struct hyp_domain *d = domain_new(s, HYP_NEW_DOMID, name, &rc);
	if (!d) {
		reply_err(c, m, rc);
		return;
	}
	rc = domain_files(s, d);
	if (rc < 0) {
		log_err("domain %u (%s): cannot create its files under %s/domains: %s", d->domid,
		        name, s->run, strerror(-rc));
		domain_free(s, d);
		reply_err(c, m, rc);
		return;
	}
	log_info("domain %u (%s) created, uuid %s", d->domid, d->name, d->uuid);
	struct simw_msg r = {.type = m->type,
	                     .a = {d->domid, d->store_port, (uint32_t)d->store_mfn}};
	reply(c, &r, d->uuid, strlen(d->uuid) + 1, NULL, 0);
}

static void do_dom_unpause(struct svc_conn *c, struct simw_msg *m)
{
	struct hyp_domain *d = hyp_domain_find(&c->s->hyp, m->a[0]);
	if (!d || d->domid == 0 || d->state == DOM_DYING) {
		reply_err(c, m, -ESRCH);
		return;
	}
	if (d->state == DOM_RUNNING) {
		reply_err(c, m, 0);
		return;
	}
	d->state = DOM_RUNNING;
	int pid = guest_spawn(guest_of(d), c->s->run);
	if (pid < 0) {
		log_err("domain %u (%s): cannot start its guest process: %s", d->domid, d->name,
		        strerror(-pid));
		d->state = DOM_PAUSED;
		reply_err(c, m, pid);
		return;
	}
	struct simw_msg r = {.type = m->type, .a = {(uint32_t)pid}};
	reply(c, &r, NULL, 0, NULL, 0);
}

static void do_dom_destroy(struct svc_conn *c, struct simw_msg *m)
{
	struct svc *s = c->s;
	struct hyp_domain *d = hyp_domain_find(&s->hyp, m->a[0]);
	if (!d || d->domid == 0) {
		reply_err(c, m, d ? -EPERM : -ESRCH);
		return;
	}
	struct svc_dom *sd = d->svc_data;
	if (sd->destroying) {
		reply_err(c, m, -EBUSY);
		return;
	}
	sd->destroying = 1;
	d->state = DOM_DYING;
	sd->waiter = c;
	sd->waiter_type = m->type;
	loop_modify(s->loop, c->fd, 0); /* answer first, then read more */
	if (d->guest_pid > 0)
		guest_stop(&sd->guest);
	else
		destroy_finish(s, d);
}

static void do_dom_list(struct svc_conn *c, struct simw_msg *m)
{
	static const char *const st[] = {"paused", "running", "dying"};
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		reply_err(c, m, -ENOMEM);
		return;
	}
	buf[0] = '\0';
	uint32_t n = 0;
	for (struct hyp_domain *d = c->s->hyp.domains; d; d = d->next)
		n++;
	/* oldest first: the list is kept newest first */
	for (uint32_t i = n; i-- > 0;) {
		struct hyp_domain *d = c->s->hyp.domains;
		for (uint32_t k = 0; k < i; k++)
			d = d->next;
		char line[256];
		int k = snprintf(line, sizeof(line), "%u %s %s %s %d\n", d->domid, d->name,
		                 st[d->state], d->uuid, (int)d->guest_pid);
		if (len + (size_t)k + 1 > SIMW_PAYLOAD_MAX)
			break;
		if (len + (size_t)k + 1 > cap) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		memcpy(buf + len, line, (size_t)k + 1);
		len += (size_t)k;
	}
	struct simw_msg r = {.type = m->type, .a = {n}};
	reply(c, &r, buf, len, NULL, 0);
	free(buf);
}

static void dispatch(struct svc_conn *c, struct simw_msg *m, const char *payload)
{
	struct hyp *h = &c->s->hyp;
	struct hyp_domain *d = hyp_domain_find(h, c->domid);
	int fds[SIMW_MAX_FDS], rc;
	uint32_t out[3];
	if (!d || d->state == DOM_DYING) {
		reply_err(c, m, -ESRCH); /* our domain is gone */
		return;
	}
	switch (m->type) {
	case SIMW_EVTCHN_ALLOC_UNBOUND:
		rc = hyp_evtchn_alloc_unbound(h, d, c, m->a[0], &fds[0]);
		if (rc < 0)
			break;
		{
			struct simw_msg r = {.type = m->type, .a = {(uint32_t)rc}};
			reply(c, &r, NULL, 0, fds, 1);
		}
		return;
	case SIMW_EVTCHN_BIND:
		rc = hyp_evtchn_bind(h, d, c, m->a[0], m->a[1], &fds[0], &fds[1]);
		if (rc < 0)
			break;
		{
			struct simw_msg r = {.type = m->type, .a = {(uint32_t)rc}};
			reply(c, &r, NULL, 0, fds, 2);
		}
		return;
	case SIMW_EVTCHN_UNBIND:
		rc = hyp_evtchn_close(h, d, c, m->a[0]);
		break;
	case SIMW_EVTCHN_STATUS:
		rc = hyp_evtchn_status(h, d, m->a[0], m->a[1], out);
		if (rc < 0)
			break;
		{
			struct simw_msg r = {.type = m->type, .a = {out[0], out[1], out[2]}};
			reply(c, &r, NULL, 0, NULL, 0);
		}
		return;
	case SIMW_GNT_SHARE:
		rc = hyp_gnt_share(h, d, c, m->a[0], m->a[1] != 0, &fds[0]);
		if (rc < 0)
			break;
		{
			struct simw_msg r = {.type = m->type, .a = {(uint32_t)rc}};
			reply(c, &r, NULL, 0, fds, 1);
		}
		return;
	case SIMW_GNT_UNSHARE:
		rc = hyp_gnt_unshare(h, d, c, m->a[0]);
		break;
	case SIMW_GNT_MAP:
		rc = hyp_gnt_map(h, d, c, m->a[0], m->a[1], &fds[0]);
		if (rc < 0)
			break;
		{
			struct simw_msg r = {.type = m->type, .a = {(uint32_t)rc}};
			reply(c, &r, NULL, 0, fds, 1);
		}
		return;
	case SIMW_GNT_UNMAP:
		rc = hyp_gnt_unmap(h, c, m->a[0]);
		break;
	case SIMW_DOM_CREATE:
	case SIMW_DOM_UNPAUSE:
	case SIMW_DOM_DESTROY:
	case SIMW_DOM_LIST:
		if (c->domid != 0) {
			rc = -EPERM; /* domctl: privileged only */
			break;
		}
		if (c->s->shutting_down) {
			rc = -ESHUTDOWN;
			break;
		}
		if (m->type == SIMW_DOM_CREATE)
			do_dom_create(c, m, payload);
		else if (m->type == SIMW_DOM_UNPAUSE)
			do_dom_unpause(c, m);
		else if (m->type == SIMW_DOM_DESTROY)
			do_dom_destroy(c, m);
		else
			do_dom_list(c, m);
		return;
	default:
		rc = -ENOSYS;
	}
	reply_err(c, m, rc);
}

static void conn_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct svc_conn *c = arg;
	(void)l;
	(void)fd;
	(void)ev;
	if (c->broken) {
		conn_free(c);
		return;
	}
	struct simw_msg m;
	char payload[HYP_NAME_MAX + 2];
	int fds[SIMW_MAX_FDS];
	ssize_t n = simw_recv(c->fd, &m, payload, sizeof(payload), fds, MSG_DONTWAIT);
	for (int i = 0; i < SIMW_MAX_FDS; i++)
		if (n >= 0 && fds[i] >= 0)
			close(fds[i]); /* clients have no business sending descriptors */
	if (n < 0) {
		if (errno == EAGAIN)
			return;
		if (errno == EPROTO)
			log_warn("domain %u client on fd %d: malformed message; disconnecting",
			         c->domid, c->fd);
		conn_free(c);
		return;
	}
	if (m.type & SIMW_REPLY ||
	    (m.type == SIMW_DOM_CREATE && memchr(payload, 0, (size_t)n + 1) == NULL)) {
		log_warn("domain %u client on fd %d: malformed request type %u; disconnecting",
		         c->domid, c->fd, m.type);
		conn_free(c);
		return;
	}
	if (m.type == SIMW_DOM_CREATE && (size_t)n == 0)
		payload[0] = '\0';
	dispatch(c, &m, payload);
	if (c->broken)
		conn_free(c);
}

static void conn_free(struct svc_conn *c)
{
	struct svc *s = c->s;
	for (struct svc_conn **p = &s->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	for (struct hyp_domain *d = s->hyp.domains; d; d = d->next) {
		struct svc_dom *sd = d->svc_data;
		if (sd->waiter == c)
			sd->waiter = NULL;
	}
	hyp_owner_gone(&s->hyp, c->domid, c);
	loop_unwatch(s->loop, c->fd);
	close(c->fd);
	munmap(c->seq, SIMW_PAGE);
	free(c);
}

static uint32_t listen_domid(struct svc *s, int fd)
{
	for (struct hyp_domain *d = s->hyp.domains; d; d = d->next)
		if (d->listen_fd == fd)
			return d->domid;
	return 0;
}

static void listen_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct svc *s = arg;
	(void)ev;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	uint32_t domid = fd == s->dom0_fd ? 0 : listen_domid(s, fd);
	struct svc_conn *c = calloc(1, sizeof(*c));
	int mfd = memfd_create("xensim-seq", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (!c || mfd < 0 || ftruncate(mfd, SIMW_PAGE) < 0 ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	c->seq = mmap(NULL, SIMW_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (c->seq == MAP_FAILED)
		goto fail;
	c->s = s;
	c->fd = cfd;
	c->domid = domid;
	struct simw_msg hello = {.type = SIMW_HELLO, .a = {domid}};
	if (simw_send(cfd, &hello, NULL, 0, &mfd, 1) < 0 ||
	    loop_watch(l, cfd, LOOP_READ, conn_cb, c) < 0) {
		munmap(c->seq, SIMW_PAGE);
		goto fail;
	}
	close(mfd);
	c->next = s->conns;
	s->conns = c;
	return;
fail:
	log_warn("cannot set up a hypervisor client for domain %u: %s", domid, strerror(errno));
	if (mfd >= 0)
		close(mfd);
	free(c);
	close(cfd);
}

/* ---- life cycle ---- */

struct svc *svc_new(struct loop *l, const char *run_dir, const struct svc_hooks *hooks, char *err,
                    size_t errlen)
{
	struct svc *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = l;
	s->dom0_fd = -1;
	if (hooks)
		s->hooks = *hooks;
	snprintf(s->run, sizeof(s->run), "%s", run_dir);
	hyp_init(&s->hyp);
	s->hyp.send_event = send_event;
	char path[PATH_MAX];
	int rc;
	if (!domain_new(s, 0, "Domain-0", &rc)) {
		snprintf(err, errlen, "cannot create domain 0: %s", strerror(-rc));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/hypervisor", run_dir);
	if (mkdirs(path, 0755) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/domains", run_dir);
	if (mkdirs(path, 0755) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		goto fail;
	}
	if (simw_socket_path(path, sizeof(path), run_dir, 0) < 0) {
		snprintf(err, errlen, "run directory path %s is too long for a unix socket",
		         run_dir);
		goto fail;
	}
	s->dom0_fd = listen_at(path);
	if (s->dom0_fd < 0 || loop_watch(l, s->dom0_fd, LOOP_READ, listen_cb, s) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		goto fail;
	}
	return s;
fail:
	svc_free(s);
	return NULL;
}

static void shutdown_check(struct svc *s)
{
	for (struct hyp_domain *d = s->hyp.domains; d; d = d->next)
		if (d->guest_pid > 0)
			return;
	if (s->shutdown_done) {
		void (*done)(void *) = s->shutdown_done;
		s->shutdown_done = NULL;
		done(s->shutdown_arg);
	}
}

void svc_shutdown(struct svc *s, void (*done)(void *arg), void *arg)
{
	s->shutting_down = 1;
	s->shutdown_done = done;
	s->shutdown_arg = arg;
	for (struct hyp_domain *d = s->hyp.domains; d; d = d->next)
		guest_stop(guest_of(d));
	shutdown_check(s);
}

void svc_free(struct svc *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	while (s->hyp.domains) {
		struct hyp_domain *d = s->hyp.domains;
		guest_kill(guest_of(d));
		domain_free(s, d);
	}
	hyp_fini(&s->hyp);
	if (s->dom0_fd >= 0) {
		char path[PATH_MAX];
		loop_unwatch(s->loop, s->dom0_fd);
		close(s->dom0_fd);
		if (simw_socket_path(path, sizeof(path), s->run, 0) == 0)
			unlink(path);
		snprintf(path, sizeof(path), "%s/hypervisor", s->run);
		rmdir(path);
		snprintf(path, sizeof(path), "%s/domains", s->run);
		rmdir(path);
	}
	free(s);
}
