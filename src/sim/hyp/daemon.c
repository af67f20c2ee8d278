/*
 * daemon.c - the xensim daemon: xenstored (when built in) and the hypervisor
 * service share one event loop; SIGTERM/SIGINT stop the guests and exit.
 */
#include "daemon.h"

#include "service.h"
#include "xenchannel/daemonize.h"
#include "xenchannel/log.h"
#include "xenchannel/loop.h"

#ifdef XENSIM_HAVE_XSD
#include "xenstored.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct daemon {
	struct loop *loop;
	struct svc *svc;
#ifdef XENSIM_HAVE_XSD
	struct xsd *xsd;
#endif
	int sigfd;
	int stopping;
	int wrote_pid;
};

static void domain_dead(uint32_t domid, void *arg)
{
#ifdef XENSIM_HAVE_XSD
	struct daemon *dm = arg;
	if (dm->xsd)
		xsd_domain_dead(dm->xsd, domid);
#else
	(void)domid;
	(void)arg;
#endif
}

static void stopped(void *arg)
{
	struct daemon *dm = arg;
	loop_stop(dm->loop);
}

static void signal_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct daemon *dm = arg;
	int sig;
	(void)l;
	(void)ev;
	while ((sig = loop_signal_next(fd)) > 0) {
		if (dm->stopping)
			continue;
		dm->stopping = 1;
		log_info("signal %d: stopping guests and shutting down", sig);
		svc_shutdown(dm->svc, stopped, dm);
	}
}

int xensim_daemon(const char *run_dir, int ready_fd)
{
	struct daemon dm = {.sigfd = -1};
	char err[PATH_MAX + 256], pidpath[PATH_MAX];
	int rc = 1;
	snprintf(pidpath, sizeof(pidpath), "%s/xensim.pid", run_dir);
	signal(SIGPIPE, SIG_IGN);
	/* every port and grant holds a descriptor here: allow what we may */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	dm.loop = loop_new();
	if (!dm.loop) {
		snprintf(err, sizeof(err), "cannot create the event loop: %s", strerror(errno));
		goto fail;
	}
	static const int sigs[] = {SIGTERM, SIGINT, 0};
	dm.sigfd = loop_signals(dm.loop, sigs, signal_cb, &dm);
	if (dm.sigfd < 0) {
		snprintf(err, sizeof(err), "cannot watch signals: %s", strerror(errno));
		goto fail;
	}
#ifdef XENSIM_HAVE_XSD
	dm.xsd = xsd_new(dm.loop, run_dir, err, sizeof(err));
	if (!dm.xsd)
		goto fail;
#endif
	struct svc_hooks hooks = {.domain_dead = domain_dead, .arg = &dm};
	dm.svc = svc_new(dm.loop, run_dir, &hooks, err, sizeof(err));
	if (!dm.svc)
		goto fail;
	FILE *pf = fopen(pidpath, "we");
	if (!pf || fprintf(pf, "%d\n", (int)getpid()) < 0 || fclose(pf) != 0) {
		snprintf(err, sizeof(err), "cannot write %s: %s", pidpath, strerror(errno));
		goto fail;
	}
	dm.wrote_pid = 1;
	log_info("running in %s (pid %d)", run_dir, (int)getpid());
	daemonize_ready(ready_fd); /* a starter gone away has nothing to hear */
	ready_fd = -1;
	if (loop_run(dm.loop) < 0)
		log_err("event loop failed: %s", strerror(errno));
	else
		rc = 0;
	log_info("stopped");
	goto out;
fail:
	log_err("%s", err);
	daemonize_fail(ready_fd, "%s", err);
out:
	svc_free(dm.svc);
#ifdef XENSIM_HAVE_XSD
	if (dm.xsd)
		xsd_free(dm.xsd);
#endif
	if (dm.wrote_pid) {
		/* what is left of the domains' directories is ours */
		char dir[PATH_MAX + 16];
		snprintf(dir, sizeof(dir), "%s/domains", run_dir);
		svc_rmtree(dir);
	}
	if (dm.sigfd >= 0)
		close(dm.sigfd);
	if (dm.loop)
		loop_free(dm.loop);
	if (dm.wrote_pid)
		unlink(pidpath);
	return rc;
}
