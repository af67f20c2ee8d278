/*
 * exepath.h - files installed with this executable, found from where it runs.
 *
 * A binary knows the directories meson installed things in (absolute paths,
 * e.g. /usr/libexec/xenchannel). Staged under a DESTDIR, or moved with its
 * whole tree, it finds them under the same root as itself: the root is its own
 * directory minus the configured directory it was installed in.
 */
#ifndef XENCHANNEL_EXEPATH_H
#define XENCHANNEL_EXEPATH_H

#include <stddef.h>

/* The directory holding the running executable, into buf: 0, or -1. */
int exepath_dir(char *buf, size_t len);

/* If this executable sits in self_dir (its configured install directory)
 * under some root ("" when installed, the DESTDIR when staged), write root +
 * path into buf and return 0; -1 when it does not sit there (the build
 * tree) or buf is too small. */
int exepath_installed(char *buf, size_t len, const char *self_dir, const char *path);

#endif
