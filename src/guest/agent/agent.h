/*
 * agent.h - internals of xenchannel-agent, shared by its files (not installed).
 */
#ifndef XENCHANNEL_AGENT_H
#define XENCHANNEL_AGENT_H

#include "xenchannel/log.h"
#include "xenchannel/loop.h"
#include "xenchannel/proto.h"

#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef XENCHANNEL_VERSION
#define XENCHANNEL_VERSION "unknown"
#endif
#define AGENT_VERSION XENCHANNEL_VERSION
#define AGENT_DEFAULT_NAME "org.xenchannel.agent.0"
#define AGENT_POLICY_FILE "/etc/xenchannel/agent-policy.json"
#define AGENT_KEY_FILE "/etc/xenchannel/agent.key"
#define AGENT_STATE_DIR "/var/lib/xenchannel-agent"
/* cloud-init's local NoCloud seed (its paths.seed_dir + "nocloud") */
#define AGENT_SEED_PARENT "/var/lib/cloud/seed"
#define AGENT_SEED_DIR AGENT_SEED_PARENT "/nocloud"

/* policy.c */
enum policy_action {
	POLICY_HOSTNAME,
	POLICY_NETWORK,
	POLICY_USERS,
	POLICY_WRITE_FILES,
	POLICY_NOCLOUD,
	POLICY_NACTIONS,
};
struct policy {
	int allow[POLICY_NACTIONS];
	char **file_prefixes; /* NULL: write_files may write anywhere under the root */
	size_t nprefixes;
	int present; /* read from the file (else: no file, everything allowed) */
};

/* state.c: what was last applied, persisted so a restart converges. */
struct state {
	json_int_t generation; /* 0: nothing applied yet */
	char digest[65];
	json_t *results;        /* array of item results */
	json_int_t interrupted; /* generation whose apply never finished, or 0 */
};

struct obuf {
	uint8_t *data;
	size_t len, off, cap;
};

struct session {
	int fd;
	int is_tty;
	struct proto_decoder *dec;
	int active;
	uint32_t epoch;
	char nonce[65];
	unsigned version;
	uint32_t seq;
	struct obuf out;
	struct log_limit lim;
	uint64_t stale_dropped, echo_dropped;
	int stop_when_flushed; /* --wait-seed: stop once the output is written */
};

struct agent {
	struct loop *loop;
	const char *root;       /* "/" or --root */
	int rootfd;             /* O_PATH directory fd of root */
	const char *name;       /* channel name */
	char devpath[PATH_MAX]; /* full path of the device (root + /dev/xen-channel/name) */
	int explicit_device;    /* --device given */
	int kernel;             /* apply hostname / network to the kernel */
	int check_only;         /* --check: read policy and key, then exit */
	int wait_seed_ms;       /* --wait-seed: > 0: oneshot, until a seed is in place */
	int seed_written;       /* an apply put a complete seed in place */
	uint64_t drain_until;   /* --wait-seed: stop at the latest then */
	const char *policy_path, *key_path, *state_dir;
	struct policy policy;
	uint8_t *key; /* HMAC key, NULL when documents need none */
	size_t keylen;
	struct state state;
	struct session s;
	/* discover.c */
	int ino_fd;
	int ino_wd[4];
	uint64_t retry_timer;
	unsigned retry_ms;
};

/* fs.c: every file operation stays inside the root (openat2 RESOLVE_IN_ROOT). */
int fs_open(struct agent *a, const char *path, int flags, mode_t mode);
/* Read a whole file (NUL-terminated, malloc'd). -1 with errno (ENOENT...). */
int fs_read(struct agent *a, const char *path, char **data, size_t *len);
/* Create missing directories of dir; new ones get mode/uid/gid. */
int fs_mkdirs(struct agent *a, const char *dir, mode_t mode, uid_t uid, gid_t gid);
/* Make path hold exactly data with mode/uid/gid (uid -1: keep caller's).
 * Writes a temporary file and renames it over path. *changed tells whether
 * anything differed. Returns 0 or -1 with errno. */
int fs_write(struct agent *a, const char *path, const void *data, size_t len, mode_t mode,
             uid_t uid, gid_t gid, int *changed);
/* Does path already hold exactly data with mode/uid/gid (uid -1: any)? */
int fs_same(struct agent *a, const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
            gid_t gid);
/* Make an existing directory have mode/uid/gid; *changed set when it did not. */
int fs_fix_dir(struct agent *a, const char *dir, mode_t mode, uid_t uid, gid_t gid, int *changed);

/* users.c: accounts from <root>/etc/passwd and <root>/etc/group. */
struct account {
	uid_t uid;
	gid_t gid;
	char home[PATH_MAX];
};
int users_lookup(struct agent *a, const char *name, struct account *acc);
int users_group(struct agent *a, const char *name, gid_t *gid);
/* "user" or "user:group" -> uid/gid. Returns 0 or -1 with a reason in err. */
int users_owner(struct agent *a, const char *owner, uid_t *uid, gid_t *gid, char *err,
                size_t errlen);

/* policy.c */
/* The policy file (a->policy_path) parsed into *p, which the caller frees
 * with policy_free; -1 with file and reason in err (nothing left in *p). */
int policy_load(struct agent *a, struct policy *p, char *err, size_t errlen);
void policy_free(struct policy *p);
/* The policy in one line, for the log. */
void policy_summary(const struct policy *p, char *buf, size_t len);
const char *policy_action_name(enum policy_action act);
int policy_file_allowed(const struct agent *a, const char *path);
json_t *policy_describe(const struct agent *a);

/* settings.c: policy and key, read at start and again on SIGHUP. */
/* Logs what was loaded, after "why: ". */
int settings_load(struct agent *a, const char *why, char *err, size_t errlen);
/* Read both again; on any error keep the current ones and log why. */
void settings_reload(struct agent *a);

/* state.c */
int state_load(struct agent *a, char *err, size_t errlen);
int state_mark_pending(struct agent *a, json_int_t generation);
int state_save(struct agent *a, json_int_t generation, const char *digest, json_t *results);
json_t *state_describe(const struct agent *a);

/* Item results, appended by the appliers. */
void item_result(struct agent *a, json_t *items, const char *item, const char *result,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* apply_*.c: one section of the parsed document each. */
void apply_hostname(struct agent *a, const struct proto_config *c, json_t *items);
void apply_network(struct agent *a, const struct proto_config *c, json_t *items);
void apply_ssh(struct agent *a, const struct proto_config *c, json_t *items);
void apply_files(struct agent *a, const struct proto_config *c, json_t *items);
/* Returns 1 when the seed is complete in place (every file applied or unchanged). */
int apply_nocloud(struct agent *a, const struct proto_config *c, json_t *items);

/* seedwait.c: --wait-seed, the oneshot run before cloud-init's local stage. */
/* 1 when there is nothing to wait for (no channel, or a seed already in
 * place), with the reason logged; 0 to wait. */
int seedwait_skip(struct agent *a);
/* Start the bound, which stops the loop when it passes. 1 when there is
 * nothing to wait for after all (see below), -1 on error, else 0. */
int seedwait_start(struct agent *a);
/* After an inotify event in the channel directory: stop (1) when every
 * channel of the guest has its link and none is ours. */
int seedwait_check_channels(struct agent *a);
/* The reply that put the seed in place is on its way: stop once it is out. */
void seedwait_reply_sent(struct agent *a);
/* Our output is written to the device: stop once the tty has sent it. */
void seedwait_drain(struct agent *a);

/* netlink.c: rtnetlink requests for apply_network. Each returns 0 or -errno. */
#define NL_MAX_ADDRS 64
struct nl_link {
	int index;
	unsigned flags;
	unsigned mtu;
	char name[16]; /* IFNAMSIZ */
	uint8_t mac[6];
	int has_mac;
};
struct nl_link_search {
	const uint8_t *mac; /* match by MAC, */
	const char *name;   /* or by name */
	struct nl_link found;
	int matches;
};
struct nl_addr_list {
	int index;
	struct proto_addr v[NL_MAX_ADDRS]; /* family, addr, plen; no text */
	size_t n;
};
/* A route socket (fd), or -errno. */
int nl_open(void);
int nl_find_link(int fd, struct nl_link_search *s);
int nl_set_link(int fd, int index, unsigned mtu, int up);
/* The global-scope addresses of link index, read fresh from the kernel. */
int nl_list_addrs(int fd, int index, struct nl_addr_list *have);
int nl_add_addr(int fd, int index, const struct proto_addr *a);
int nl_del_addr(int fd, int index, const struct proto_addr *a);
/* rt->to.plen 0 is a default route; the family is the gateway's. */
int nl_add_route(int fd, int index, const struct proto_route *rt);

/* apply.c: the "apply" and "status" requests. Returns the reply payload. */
json_t *apply_request(struct agent *a, json_int_t id, const json_t *req);
json_t *status_request(struct agent *a, json_int_t id);

/* tty.c */
int tty_open(const char *path, int *is_tty, char *err, size_t errlen);

/* session.c */
void session_init(struct agent *a);
void session_attach(struct agent *a, int fd, int is_tty);
void session_detach(struct agent *a, const char *why);
int session_attached(const struct agent *a);

/* discover.c */
int discover_start(struct agent *a, char *err, size_t errlen);
/* Called by the session when the device went away or failed. */
void discover_lost(struct agent *a);

#endif
