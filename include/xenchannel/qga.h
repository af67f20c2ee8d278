/*
 * qga.h - the dom0 client of qemu-guest-agent over a Xen channel (part of
 * libxenchannel).
 *
 * A guest runs its distribution's qemu-ga on the channel named
 * QGA_CHANNEL_NAME; xenchanneld serves the channel as a unix socket in dom0.
 * The protocol is qemu-ga's: one JSON object per command,
 * {"execute": NAME, "arguments": {...}, "id": N}, answered by
 * {"return": VALUE, "id": N} or {"error": {"class": C, "desc": D}, "id": N}.
 *
 * Synchronisation. The agent may hold stale output (replies to an earlier
 * client) and its parser may hold half a command. So a struct qga_chan first
 * sends the byte 0xFF (which resets the agent's parser) and
 * guest-sync-delimited with a fresh random id; the agent answers with 0xFF
 * followed by {"return": id}. Everything before that 0xFF, every reply
 * that does not carry one of our ids, and every object that began before
 * the command was written (ids are predictable), is discarded. The
 * handshake is repeated (same way, new id) until answered: a tty that is
 * not yet raw may echo it, and an agent that starts late never saw it.
 *
 * Lost commands. While a command runs, the channel sends a guest-sync-delimited
 * probe now and then (with a 0xFF first). The agent handles requests in order,
 * so a probe answered before the command means the command was lost (the
 * agent restarted in between). A command that only reads (qga_idempotent()) is
 * then sent again, at most QGA_MAX_RETRIES times; any other command ends with
 * QGA_NO_ANSWER, as it may or may not have run. Commands that answer nothing
 * on success (qga_no_reply(): guest-shutdown, guest-suspend-*) succeed with
 * {} once a later probe is answered without an error, or once the channel
 * closes after them (the domain went away).
 *
 * Replies are at most QGA_MAX_REPLY bytes and QGA_MAX_VALUES JSON values
 * (each '{', '[' and ',' outside strings counts one): a parsed value takes up
 * to ~200 bytes, so the bytes alone would let a guest cost dom0 over a
 * gigabyte per reply. Larger replies end the command with QGA_NO_ANSWER (read
 * files in chunks). A reply to our command whose "error" has no "class"
 * string ends it with QGA_NO_ANSWER too: QGA_GUEST_ERROR always has one.
 */
#ifndef XENCHANNEL_QGA_H
#define XENCHANNEL_QGA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define QGA_CHANNEL_NAME "org.qemu.guest_agent.0"
/* The fuzz target builds qga.c with both scaled down, to reach them fast. */
#ifndef QGA_MAX_REPLY
#define QGA_MAX_REPLY (16u << 20)
#endif
#ifndef QGA_MAX_VALUES
#define QGA_MAX_VALUES (1u << 18)
#endif
#define QGA_MAX_RETRIES 3

/* The outcome of one command; also xenchannel qga's exit status. */
enum qga_status {
	QGA_OK = 0,          /* the command's "return" value */
	QGA_GUEST_ERROR = 1, /* the agent answered {"error": {"class", "desc"}} */
	QGA_NO_ANSWER = 2,   /* no agent, no channel, channel closed, timed out, lost */
};

/* ---- one agent, non-blocking (qga.c) ----
 * Used like struct host_chan: poll qga_chan_fd() for qga_chan_events()
 * (HOST_READ|HOST_WRITE), call qga_chan_io() when it is ready or when
 * qga_chan_next_ms() passes. One command at a time; queue the next one once
 * the previous has its result. */
struct qga_chan;

/* Connect (without blocking) to the socket of a channel and queue the
 * handshake. NULL with err on failure. */
struct qga_chan *qga_chan_new(const char *sockpath, char *err, size_t errlen);
/* The same on a connected stream socket fd (taken: closed by qga_chan_free,
 * or at once on failure), with ids from seed's range (qga_chan_new's is
 * random) and timers on now_ms (NULL: loop_now_ms). Lets a test or fuzz
 * target run a session deterministically on a socketpair. */
struct qga_chan *qga_chan_adopt(int fd, uint32_t seed, uint64_t (*now_ms)(void), char *err,
                                size_t errlen);
void qga_chan_free(struct qga_chan *c);

/* Queue a command: execute is a qemu-ga command name (lower case letters,
 * digits and '-'), args an object or NULL (not stolen). Sent once the
 * handshake is done. 0, or -1 with err (bad name or arguments, a command
 * already running). */
int qga_chan_command(struct qga_chan *c, const char *execute, const json_t *args, char *err,
                     size_t errlen);

int qga_chan_fd(const struct qga_chan *c);
unsigned qga_chan_events(const struct qga_chan *c);
/* Absolute monotonic ms of the next handshake repeat or probe, 0 if none. */
uint64_t qga_chan_next_ms(const struct qga_chan *c);
/* Do whatever I/O is possible (revents 0 on a timer). Returns 1 once the
 * queued command has its result, else 0. */
int qga_chan_io(struct qga_chan *c, unsigned revents);
/* The result: status, the value (QGA_OK: the "return"; QGA_GUEST_ERROR: the
 * "error" object; borrowed, valid until the next command or free) and a
 * one-line message (errors; guest text escaped). */
enum qga_status qga_chan_result(const struct qga_chan *c, const json_t **value,
                                const char **message);
/* Give up on the command (a deadline passed): its result becomes
 * QGA_NO_ANSWER, "why: " followed by what the channel was waiting for. */
void qga_chan_expire(struct qga_chan *c, const char *why);
int qga_chan_is_synced(const struct qga_chan *c);

struct qga_chan_stats {
	uint64_t syncs_sent;    /* handshakes, repeats included */
	uint64_t probes_sent;   /* syncs sent while a command ran */
	uint64_t retries;       /* commands sent again after the agent lost them */
	uint64_t stale_dropped; /* replies that were not ours */
	uint64_t garbage_bytes; /* bytes outside any JSON object, and dropped objects */
};
const struct qga_chan_stats *qga_chan_stats(const struct qga_chan *c);

/* Is execute a command name (lower case letters, digits, '-') and args an
 * object or NULL? 0, or -1 with err. */
int qga_check_command(const char *execute, const json_t *args, char *err, size_t errlen);
/* Commands that answer nothing on success. */
int qga_no_reply(const char *execute);
/* Commands that only read, so sending them twice is harmless. */
int qga_idempotent(const char *execute);

/* ---- many guests, one event loop (qga-run.c) ---- */

struct qga_target {
	const char *spec; /* in: a domain id or name, or a socket path (has a '/') */
	/* out */
	int domid;      /* -1 for a socket path or an unknown domain */
	char name[64];  /* domain name, "" if unknown */
	char sock[256]; /* the channel's socket */
	enum qga_status status;
	json_t *value;     /* "return" or "error" (owned: qga_targets_clear()) */
	char message[600]; /* why, for QGA_NO_ANSWER and QGA_GUEST_ERROR */
	uint64_t ms;       /* from connect to result */
	/* private, while running */
	struct qga_chan *c;
	const void *run;
	uint64_t start_ms;
};

struct qga_run_opts {
	const char *name; /* channel name; NULL: QGA_CHANNEL_NAME */
	int timeout_ms;   /* per target, handshake included */
	size_t jobs;      /* at most this many at a time; 0: all */
	/* as host_run_opts.progress: at most every 100 ms, and at the end */
	void (*progress)(void *arg, size_t done, size_t total, size_t failed, int final);
	void *progress_arg;
};

/* Run one command on every target from one event loop: each target's domain
 * and channel are looked up in xenstore (not for socket paths), then all run
 * at once, at most jobs at a time. Returns the worst status (QGA_NO_ANSWER >
 * QGA_GUEST_ERROR > QGA_OK), or -1 with err when the command or the
 * arguments are invalid or the event loop failed. */
int qga_run(struct qga_target *t, size_t n, const char *execute, const json_t *args,
            const struct qga_run_opts *o, char *err, size_t errlen);
void qga_targets_clear(struct qga_target *t, size_t n);

/* The domain ids of every domain with a channel `name` (NULL:
 * QGA_CHANNEL_NAME), ascending; *ids is malloc'd. 0, or -1 with err. */
int qga_domains(const char *name, unsigned **ids, size_t *n, char *err, size_t errlen);

/* Blocking, one target: run the command and return its status; *value gets
 * the "return" or "error" (a new reference, NULL on QGA_NO_ANSWER), err the
 * message. -1 with err for an invalid command or arguments. */
int qga_call(const char *target, const char *execute, const json_t *args, int timeout_ms,
             json_t **value, char *err, size_t errlen);

#endif
