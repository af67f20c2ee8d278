/*
 * harness.h - run the xenstored library in a thread of the test process,
 * on a private run dir, reachable through its real sockets (XENSTORED_PATH
 * points there). Shared by every unit test that needs a xenstored.
 */
#ifndef XSD_TEST_HARNESS_H
#define XSD_TEST_HARNESS_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpdir.h"
#include "xenchannel/loop.h"
#include "xenstored.h"

struct harness {
	char dir[256];
	char sock[320];
	struct loop *l;
	struct xsd *x;
	int stop[2];
	pthread_t th;
};

static void harness_stop_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	loop_stop(l);
}

static void *harness_main(void *arg)
{
	struct harness *h = arg;
	loop_run(h->l);
	return NULL;
}

/* Returns 0 or -1 (with a message on stderr). */
static inline int harness_start(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	signal(SIGPIPE, SIG_IGN); /* a closed peer is an error to see, not a death */
	if (!ut_tmpdir(h->dir, sizeof(h->dir), "xsd-test"))
		return -1;
	char err[256];
	h->l = loop_new();
	h->x = xsd_new(h->l, h->dir, err, sizeof(err));
	if (!h->x) {
		fprintf(stderr, "xsd_new: %s\n", err);
		return -1;
	}
	if (pipe(h->stop) < 0)
		return -1;
	loop_watch(h->l, h->stop[0], LOOP_READ, harness_stop_cb, h);
	snprintf(h->sock, sizeof(h->sock), "%s/xenstored/socket", h->dir);
	setenv("XENSTORED_PATH", h->sock, 1);
	return pthread_create(&h->th, NULL, harness_main, h) == 0 ? 0 : -1;
}

static inline void harness_domain_sock(const struct harness *h, unsigned domid, char *buf, size_t n)
{
	snprintf(buf, n, "%s/domains/%u/xenstored.sock", h->dir, domid);
}

static inline void harness_finish(struct harness *h)
{
	ssize_t w = write(h->stop[1], "x", 1);
	(void)w;
	pthread_join(h->th, NULL);
	xsd_free(h->x);
	loop_free(h->l);
	close(h->stop[0]);
	close(h->stop[1]);
	if (ut_rmtree(h->dir) < 0)
		fprintf(stderr, "cleanup of %s failed\n", h->dir);
}

#endif
