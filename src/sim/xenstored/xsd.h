/*
 * xsd.h - internals shared by the xenstored files (not a public header).
 */
#ifndef XSD_INTERNAL_H
#define XSD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenchannel/log.h"
#include "xenchannel/loop.h"
#include "xenstored.h"

/* ---- wire facts (xs_wire.h, Xen 4.17) ---- */
enum xsd_type {
	XSD_CONTROL = 0,
	XSD_DIRECTORY = 1,
	XSD_READ = 2,
	XSD_GET_PERMS = 3,
	XSD_WATCH = 4,
	XSD_UNWATCH = 5,
	XSD_TRANSACTION_START = 6,
	XSD_TRANSACTION_END = 7,
	XSD_INTRODUCE = 8,
	XSD_RELEASE = 9,
	XSD_GET_DOMAIN_PATH = 10,
	XSD_WRITE = 11,
	XSD_MKDIR = 12,
	XSD_RM = 13,
	XSD_SET_PERMS = 14,
	XSD_WATCH_EVENT = 15,
	XSD_ERROR = 16,
	XSD_IS_DOMAIN_INTRODUCED = 17,
	XSD_RESUME = 18,
	XSD_SET_TARGET = 19,
	XSD_RESET_WATCHES = 21,
	XSD_DIRECTORY_PART = 22,
	XSD_TYPE_COUNT = 23,
};

#define XSD_HDR_SIZE 16u
#define XSD_PAYLOAD_MAX 4096u
#define XSD_REL_PATH_MAX 2048u
#define XSD_DOMID_FIRST_RESERVED 0x7FF0u
#define XSD_NO_TARGET UINT32_MAX
#define XSD_DOMAIN_CONNS_MAX 256u /* connections per domain socket */

struct xsd_hdr {
	uint32_t type, req_id, tx_id, len;
};

/* wire.c */
const char *wire_errname(int err); /* errno -> table name; unknown -> "EINVAL" */
int wire_errno(const char *name);  /* name -> errno, -1 if not in the table */
const char *wire_typename(uint32_t type);
void wire_get_hdr(const unsigned char *p, struct xsd_hdr *h);
void wire_put_hdr(unsigned char *p, const struct xsd_hdr *h);
/* Strings in a payload: count of NUL bytes; the n-th NUL-terminated string. */
unsigned wire_count_nuls(const char *p, uint32_t len);
/* Exactly one string ending at the last byte, else NULL. */
const char *wire_onearg(const char *p, uint32_t len);
/* Split into at most max strings (each NUL-terminated, last may run to end if
 * the payload is NUL-terminated). Returns the total number of strings. */
unsigned wire_strings(const char *p, uint32_t len, const char **vec, unsigned max);

/* ---- hash table (hash.c): intrusive, string keys, chained ---- */
struct hent {
	struct hent *next;
	const char *key;
	uint32_t klen;
	uint32_t hash;
};
struct htable {
	struct hent **b;
	size_t nb, n;
};
uint32_t ht_hash(const char *k, size_t n);
int ht_init(struct htable *t, size_t nb);
void ht_fini(struct htable *t);
struct hent *ht_get(const struct htable *t, const char *k, size_t n, uint32_t h);
int ht_add(struct htable *t, struct hent *e); /* key/klen set; -1 ENOMEM */
void ht_del(struct htable *t, struct hent *e);

/* ---- permissions (perms.c) ---- */
#define PERM_READ 1u
#define PERM_WRITE 2u
#define PERM_OWNER 4u
#define XSD_PERMS_MAX 1366u /* "n0" entries that fit a 4096 payload */
struct perm {
	uint32_t id;
	uint8_t bits; /* PERM_READ|PERM_WRITE */
};
/* Parse n NUL-separated "<letter><domid>" strings; EINVAL on a bad one. */
int perms_parse(const char *p, uint32_t len, unsigned n, struct perm *out);
/* Format as "<l><id>\0" repeated into buf; returns bytes or -1 if too big. */
int perms_format(const struct perm *p, unsigned n, char *buf, size_t cap);
struct conn;
/* Access a connection has on a node with this list (PERM_* mask). */
unsigned perms_for_conn(const struct conn *c, const struct perm *p, unsigned n);

/* ---- node store (store.c) ---- */
struct node {
	struct hent h; /* key = path */
	struct node *parent, *first, *last, *prev, *next;
	uint32_t nchildren, childlen; /* childlen: bytes of the NUL-joined names */
	uint64_t gen;
	char *value;
	uint32_t vlen;
	uint16_t nperms;
	uint16_t namelen;
	struct perm *perms;
	char path[];
};

struct store {
	struct htable nodes;
	uint64_t gen;    /* last generation handed out (0 = "absent") */
	uint32_t *owned; /* nodes owned per domid < nowned (grown on demand) */
	size_t nowned;
	size_t nnodes;
};

int store_init(struct store *s);
void store_fini(struct store *s);
struct node *store_get(const struct store *s, const char *path, size_t len);
/* Create path below an existing parent (which must be its parent). */
struct node *store_create(struct store *s, struct node *parent, const char *path, size_t len,
                          const char *value, uint32_t vlen, const struct perm *perms,
                          unsigned nperms);
int store_set_value(struct store *s, struct node *n, const char *v, uint32_t vlen);
int store_set_perms(struct store *s, struct node *n, const struct perm *p, unsigned np);
/* Remove n and its subtree; cb(n, top, arg) runs for each node before it is
 * freed (children first, top last). */
typedef void (*store_rm_cb)(struct node *n, bool top, void *arg);
void store_remove(struct store *s, struct node *n, store_rm_cb cb, void *arg);
/* Record size as 4.17 accounts it for the node-size quota. */
size_t store_node_size(uint32_t vlen, unsigned nperms, uint32_t childlen);
uint32_t store_owned(const struct store *s, uint32_t domid);
/* Grow a zero-filled table indexed by domid (*n entries of esize bytes) to
 * cover domid < XSD_DOMID_FIRST_RESERVED, doubling: the tables follow the
 * largest domid seen rather than cover all 32k from the start, which made
 * every fresh store (one per fuzz input, per test) clear 384 KiB. Returns
 * the table, maybe moved, or NULL (p untouched) when out of memory. */
void *domid_table_reserve(void *p, size_t *n, size_t esize, uint32_t domid);
/* Consistency of the whole tree (CONTROL check, fuzzing). */
bool store_check(const struct store *s);

/* ---- paths (path.c) ---- */
/* Canonicalise a request path for connection c into buf: relative paths go
 * below the connection's home. Returns length, or -1 (EINVAL) when invalid.
 * '@' paths are returned only when allow_special. */
int path_canon(const struct conn *c, const char *in, char *buf, size_t cap, bool allow_special,
               bool *relative);
bool path_valid(const char *p, size_t len);
/* Length of the parent of path (path != "/"): "/a/b" -> 2, "/a" -> 1. */
size_t path_parent_len(const char *p, size_t len);

/* ---- connections (conn.c) ---- */
struct outmsg {
	struct outmsg *next;
	uint32_t len; /* header + payload */
	bool event;
	unsigned char data[];
};

struct watch;
struct tx;
struct domain;
struct xsd;

struct conn {
	struct xsd *x;
	struct domain *dom; /* NULL: the privileged socket */
	int fd;
	uint32_t domid;
	bool priv;
	bool dead;
	bool doomed; /* to be closed when the loop turns */
	bool paused;
	char *in;
	size_t in_len;
	struct outmsg *oq_head, *oq_tail;
	size_t oq_off, oq_count, oq_bytes, oq_events;
	struct watch *watches;
	unsigned nwatches;
	struct tx *txs;
	unsigned ntx;
	uint32_t next_txid;
	uint64_t id;                /* for log lines */
	struct conn *next, *prev;   /* all connections */
	struct conn *dnext, *dprev; /* connections of the same domain */
	struct conn *doom_next;
	struct log_limit ll;
};

#define XSD_OQ_PAUSE_BYTES (64u * 1024u) /* stop reading requests above this */
#define XSD_OQ_MAX_EVENTS 2048u          /* pending watch events before drop */
#define XSD_OQ_MAX_BYTES (4u * 1024u * 1024u)

struct conn *conn_new(struct xsd *x, int fd, struct domain *dom);
void conn_close(struct conn *c, const char *why); /* deferred free */
void conn_close_later(struct conn *c);            /* safe while walking watches */
/* Feed bytes as if read from the socket (also used by the fuzz target). */
void conn_feed(struct conn *c, const unsigned char *p, size_t n);
/* Queue a message; event messages count towards the drop limit. */
int conn_send(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p1,
              size_t l1, const void *p2, size_t l2, bool event);
void conn_reap(struct xsd *x);

/* ---- domains (domain.c) ---- */
struct domain {
	struct xsd *x;
	uint32_t domid;
	uint32_t target;
	uint32_t port;
	int lfd;
	char *sockpath;
	struct conn *conns;
	unsigned nconns;
	unsigned nwatches;
	struct log_limit ll;
	struct domain *next, *prev; /* all introduced domains */
};
int domain_introduce(struct xsd *x, uint32_t domid, uint32_t port);
int domain_release(struct xsd *x, uint32_t domid);
struct domain *domain_get(const struct xsd *x, uint32_t domid);
void domain_destroy_all(struct xsd *x);

/* ---- watches (watch.c) ---- */
struct watch {
	struct watch *cnext;         /* per connection */
	struct watch *pnext, *pprev; /* per watched path */
	struct wpath *wp;
	struct conn *c;
	bool relative;
	char token[];
};
struct wpath {
	struct hent h;
	struct watch *head;
	char path[];
};
int watch_add(struct conn *c, const char *path, size_t plen, bool relative, const char *token);
int watch_del(struct conn *c, const char *path, size_t plen, const char *token);
void watch_del_all(struct conn *c);
/* Fire watches for an event on path. exact: only watches on path itself;
 * else watches on path and its ancestors. Read access is checked on perms
 * (the node), pperms (its parent) and old (previous perms), any may be NULL. */
struct permset {
	const struct perm *p;
	unsigned n;
};
void watch_fire(struct xsd *x, const char *path, size_t len, bool exact, struct permset node,
                struct permset parent, struct permset old);
/* Fire one watch only (the initial event). */
void watch_fire_one(struct watch *w);
void watch_fire_special(struct xsd *x, const char *name);

/* ---- transactions / store view (transaction.c) ---- */
/* A reference to a node as seen by a request: the global tree, or the
 * private copy of a transaction. */
struct nref {
	bool exists;
	const char *value;
	uint32_t vlen;
	const struct perm *perms;
	unsigned nperms;
	uint64_t gen;
	uint32_t childlen, nchildren;
	struct node *n;
	struct txent *e;
};
struct tx *tx_find(struct conn *c, uint32_t id);
int tx_start(struct conn *c, uint32_t *id);
int tx_end(struct conn *c, struct tx *t, bool commit);
void tx_free_all(struct conn *c);
/* View operations; t may be NULL for the global tree. */
int view_get(struct xsd *x, struct tx *t, const char *path, size_t len, struct nref *r);
/* NUL-joined child names, from byte offset `off`; writes up to cap. */
size_t view_children(struct xsd *x, struct tx *t, const struct nref *r, char *buf, size_t cap);
int view_create(struct xsd *x, struct conn *c, struct tx *t, const char *path, size_t len,
                const char *value, uint32_t vlen, bool fire);
int view_write(struct xsd *x, struct conn *c, struct tx *t, struct nref *r, const char *path,
               size_t len, const char *value, uint32_t vlen);
int view_set_perms(struct xsd *x, struct conn *c, struct tx *t, struct nref *r, const char *path,
                   size_t len, const struct perm *p, unsigned np);
int view_rm(struct xsd *x, struct conn *c, struct tx *t, struct nref *r, const char *path,
            size_t len);

/* ---- operations (ops.c) and control (control.c) ---- */
struct req {
	struct conn *c;
	struct xsd_hdr h;
	const char *p; /* payload (len h.len), NUL-terminated copy */
	struct tx *tx;
};
void ops_dispatch(struct conn *c, const struct xsd_hdr *h, const char *payload);
void reply(struct req *r, const void *p, size_t n);
void reply2(struct req *r, const void *p1, size_t l1, const void *p2, size_t l2);
void reply_ok(struct req *r);
void reply_err(struct req *r, int err);
int control_op(struct req *r);

/* ---- the daemon (core.c) ---- */
struct special {
	const char *name;
	struct perm *perms; /* malloc'd, nperms >= 1 */
	unsigned nperms;
};

struct xsd {
	struct loop *l;
	char *run_dir;
	char *sockpath;
	int lfd;
	struct store st;
	struct htable wpaths;
	struct conn *conns;
	struct conn *dead;   /* closed, waiting for the end of the iteration */
	struct conn *doomed; /* to close at the end of the iteration */
	uint64_t reap_timer;
	size_t nconns;
	uint64_t next_conn_id;
	struct domain **doms; /* indexed by domid < ndoms (grown on demand) */
	size_t ndoms;
	struct domain *domlist;
	struct special spec_intro, spec_release;
	bool trace;
	/* quotas (unprivileged), CONTROL quota changes them */
	unsigned q_nodes, q_watches, q_tx, q_perms, q_node_size, q_tx_nodes, q_path;
};

struct special *xsd_special(struct xsd *x, const char *name);
/* Accept loop callback shared by the dom0 and domain sockets. */
void xsd_listen_cb(struct loop *l, int fd, unsigned ev, void *arg);
int xsd_listen(const char *path, int *fd_out, char *err, size_t errlen);

#endif
