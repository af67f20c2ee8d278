/* daemon.h - the xensim daemon: one event loop with xenstored and the hypervisor service. */
#ifndef XENSIM_DAEMON_H
#define XENSIM_DAEMON_H

/* Run the daemon in this process until SIGTERM/SIGINT. When ready_fd >= 0
 * (from daemonize()), reports there once every socket is listening, or why
 * not. Returns the exit status. */
int xensim_daemon(const char *run_dir, int ready_fd);

#endif
