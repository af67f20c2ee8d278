/* console-setup.h - pieces of xen-console-setup, split for unit tests. */
#ifndef XEN_CONSOLE_SETUP_H
#define XEN_CONSOLE_SETUP_H

#include <stddef.h>
#include <sys/types.h>

/* NULL if name is safe as /dev/xen-channel/<name>, else why not. Accepted:
 * 1..CFG_NAME_MAX characters of [A-Za-z0-9._-], no leading '.', no "..". */
const char *cs_name_check(const char *name);

/* devid from a kernel name "console-<devid>" (decimal, 1..65535), or -1. */
int cs_parse_devid(const char *kernel);

/* Which hvc line serves xen device DEVPATH (e.g. /devices/console-2) under
 * root: the single hvcK entry of <root>/sys<devpath>/tty/ when that directory
 * exists, else the devid (pv-channel(7): console-N is /dev/hvcN). Returns K
 * in 0..7, or -1 with why set. */
int cs_hvc_index(const char *root, const char *devpath, int devid, const char **why);

/* The link /dev/xen-channel/<name> -> ../hvc<K>, relative to rootfd's dev/.
 * Atomic replace via a temporary link and rename(2). Refuses to replace a
 * link that points at another hvc line (returns -1, errno EEXIST). Returns 0
 * or -1 with errno; *what names the failing step. */
int cs_link_add(const char *root, const char *name, int hvc, const char **what);
/* Remove the link only if it still points at hvc<K>. Returns 1 removed, 0 not
 * ours / absent, -1 error. */
int cs_link_remove(const char *root, const char *name, int hvc, const char **what);

/* Device-node permissions: chmod <root>/dev/hvc<K> to mode, and chgrp to gid
 * unless gid == (gid_t)-1. Returns 0 or -1 with errno. */
int cs_tty_perms(const char *root, int hvc, mode_t mode, gid_t gid);

/* Per-device record <root>/run/xen-channel/console-<devid> = "hvc<K> <name>":
 * written on add so that remove knows what it linked (the xenstore directory
 * and sysfs entry are gone by then). */
int cs_record_write(const char *root, int devid, int hvc, const char *name);
int cs_record_read(const char *root, int devid, int *hvc, char *name, size_t namelen);
int cs_record_remove(const char *root, int devid);

#endif
