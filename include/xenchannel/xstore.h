/*
 * xstore.h - reading, parsing and writing xenstore values the way every part
 * of xenchannel does: the daemon, the toolstack and the simulator.
 *
 * Numbers. Xenstore holds numbers as decimal text, and the writers never pad
 * them: libxl, Linux's xenbus_printf and our own tools all write plain "%u".
 * So a number is accepted only in that one spelling: decimal digits, no sign,
 * no space, no leading zero except "0" itself. "007", "+7", " 7" and "7 " are
 * refused, as are an empty string and anything above the caller's maximum.
 *
 * Transactions. A commit that fails with EAGAIN means another writer touched
 * what the transaction read; it is redone from the start. xstore_transact
 * runs that loop once for everybody.
 */
#ifndef XENCHANNEL_XSTORE_H
#define XENCHANNEL_XSTORE_H

#include <stdint.h>
#include <xenstore.h>

/* Parse s as above; 0 with *out set, or -1 (and *out untouched). */
int xstore_parse_uint(const char *s, uint32_t max, uint32_t *out);

/* xs_read that refuses a value with an embedded NUL (no writer of ours puts
 * one there; a guest that does gets EINVAL). NULL with errno on failure. */
char *xstore_read(struct xs_handle *xs, xs_transaction_t t, const char *path);

/* What xstore_transact and xstore_write_if return below zero (errno says why). */
#define XSTORE_TX_FAILED (-1)   /* an operation of the body failed */
#define XSTORE_TX_NOSTART (-2)  /* xs_transaction_start failed */
#define XSTORE_TX_NOCOMMIT (-3) /* the commit failed; EAGAIN: it kept conflicting */

/* The body of a transaction: 0 to commit; -1 when a xenstore operation failed
 * (errno; EAGAIN redoes the transaction, as a conflict reported early); a
 * positive verdict to abort, which xstore_transact then returns. */
typedef int (*xstore_tx_fn)(struct xs_handle *xs, xs_transaction_t t, void *arg);

/* Run fn in a transaction and commit it, redone while it conflicts, at most
 * max_tries times (0: until it stops conflicting). Returns 0 once committed,
 * fn's positive verdict, or an XSTORE_TX_* failure with errno. */
int xstore_transact(struct xs_handle *xs, unsigned max_tries, xstore_tx_fn fn, void *arg);

/* Write path = val only while guard exists, in one transaction: a device
 * directory its toolstack removed must not come back through a late write
 * (xenstore creates missing parents). Returns 0 when written, 1 when guard is
 * gone (nothing written), or an XSTORE_TX_* failure with errno. */
int xstore_write_if(struct xs_handle *xs, const char *guard, const char *path, const char *val,
                    unsigned max_tries);

#endif
