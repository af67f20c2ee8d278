/*
 * daemonize.h - start a daemon in the background and return once it serves.
 *
 * The starting process waits in daemonize() until the daemon reports that it
 * is ready, or why it is not, or dies; so the starter's exit status tells a
 * script or a service manager whether the daemon serves. The daemon runs as a
 * grandchild in a session of its own that it does not lead (it can never get
 * a controlling terminal), with none of the starter's descriptors but stdio.
 * Where it runs (chdir), its umask and its stdio are the caller's to set.
 *
 * On the pipe between them the daemon writes "ok\n", or "error: MESSAGE\n".
 */
#ifndef XENCHANNEL_DAEMONIZE_H
#define XENCHANNEL_DAEMONIZE_H

#include <stddef.h>

#define DAEMONIZE_CHILD 0  /* returned in the daemon */
#define DAEMONIZE_READY 1  /* returned in the starter: the daemon serves */
#define DAEMONIZE_FAILED 2 /* in the starter: it does not; msg says why, "" when it died first */

/* Fork the daemon. In the daemon, *ready_fd is where it reports. Returns one
 * of the above, or -1 with errno when no daemon could be started. */
int daemonize(int *ready_fd, char *msg, size_t msglen);

/* Report, once, then the fd is closed; nothing happens for fd < 0 (a daemon
 * started in the foreground). 0, or -1 with errno when the starter is gone. */
int daemonize_ready(int fd);
int daemonize_fail(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
