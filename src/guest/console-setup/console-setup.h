/* console-setup.h - pieces of xen-console-setup, split for unit tests. */
#ifndef XEN_CONSOLE_SETUP_H
#define XEN_CONSOLE_SETUP_H

#include <stddef.h>
#include <sys/types.h>

/* The hvc tty driver registers hvc0..hvc7; hvc0 is the primary console. */
#define CS_HVC_LINES 8

/* NULL if name is safe as /dev/xen-channel/<name>, else why not. Accepted:
 * 1..CFG_NAME_MAX characters of [A-Za-z0-9._-], no leading '.', no "..". */
const char *cs_name_check(const char *name);
/* The same for a value read with its length (xenstore): a NUL inside is
 * refused too. */
const char *cs_name_value_check(const char *v, size_t len);

/* devid from a kernel name "console-<devid>" (decimal, 1..65535), or -1. */
int cs_parse_devid(const char *kernel);

/* Exclusive lock <root>/run/xen-channel/.lock (created with run/xen-channel),
 * held while a run infers, records and links. Returns the fd (close to
 * unlock) or -1 with errno. */
int cs_lock(const char *root);

/* A console device as <root>/sys/bus/xen/devices/console-<devid> shows it. */
enum { CS_DEV_GONE, CS_DEV_UNBOUND, CS_DEV_BOUND, CS_DEV_CLOSED };
int cs_dev_state(const char *root, int devid);

/* Drop records (and the links they made, if still theirs) of devices that are
 * gone or Closed (their hvc slot is free again), and the record of devid self
 * (a bind that finds its own record: left over from an earlier device with
 * that devid). Returns how many were dropped. Call under cs_lock. */
int cs_records_clean(const char *root, int self);

/* The hvc line of the bound console devid, inferred (Linux has no mapping):
 * candidates are hvc1..hvc7 that open (O_RDWR|O_NOCTTY|O_NONBLOCK) and that no
 * record claims; one candidate is taken; with several, the bound devices
 * without a record and this one are paired with them in devid order. Returns
 * K in 1..7, or -1 with why set. Call under cs_lock. */
int cs_hvc_infer(const char *root, int devid, const char **why);

/* What cs_hvc_infer finds under <root>, for its choice. */
struct cs_slots {
	unsigned opens;   /* bit K: /dev/hvc<K> opens (index K is allocated) */
	unsigned claimed; /* bit K: a record claims hvc<K> */
	const int *bound; /* devids of the bound consoles that have no record */
	size_t nbound;
};
/* cs_hvc_infer's choice, a pure function: the candidates are the lines
 * hvc1..hvc7 that open and that no record claims, in order; devid takes the
 * one at its rank in devid order among itself and `bound` (devid itself and
 * repeats in `bound` count once). Returns K in 1..7, or -1 with why set. */
int cs_hvc_pick(const struct cs_slots *s, int devid, const char **why);

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
 * written on bind so that remove knows what it linked (the xenstore directory
 * and sysfs entry are gone by then), and so that later runs know K is taken.
 * hvc -1 is written "none" (a device with no usable line); a NULL or empty
 * name is left out (no valid channel name: K is still claimed); read gives
 * them back as -1 and "". */
int cs_record_write(const char *root, int devid, int hvc, const char *name);
/* A record's text: format returns its length, or -1 when it does not fit in
 * size or hvc is not -1 or 1..7 or name is not valid; parse returns 0, or -1
 * (errno EINVAL) for any text format does not write. */
int cs_record_format(char *buf, size_t size, int hvc, const char *name);
int cs_record_parse(const char *buf, size_t len, int *hvc, char *name, size_t namelen);
int cs_record_read(const char *root, int devid, int *hvc, char *name, size_t namelen);
int cs_record_remove(const char *root, int devid);

#endif
