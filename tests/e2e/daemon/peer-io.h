/*
 * peer-io.h - what the channel peers of the tests share (xcd-peer, soak-peer):
 * a clock, the pattern hash, and opening either end of a channel.
 */
#ifndef PEER_IO_H
#define PEER_IO_H

#include <stdint.h>

/* CLOCK_MONOTONIC in seconds. */
double peer_now(void);
/* splitmix64's finaliser: the pattern generators hash offsets with it. */
uint64_t peer_mix(uint64_t x);
/* Is path a unix socket (following symlinks)? */
int peer_is_socket(const char *path);
/* Connect a close-on-exec stream socket to path once; -1 with errno. */
int peer_connect(const char *path);
/* An inotify fd (non-blocking, close-on-exec) that turns readable when an
 * entry appears in path's directory (a socket replaced by a restarted daemon
 * shows up as IN_CREATE); -1 with errno. */
int peer_watch_dir(const char *path);
/* Open a tty read-write, no controlling tty, close-on-exec, raw mode (no
 * flush: bytes already queued are data). flags adds e.g. O_NONBLOCK. */
int peer_open_tty(const char *path, int flags);

#endif
