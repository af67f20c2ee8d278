/*
 * host.h - the dom0 side of the agent protocol (part of libxenchannel).
 *
 * A struct host_chan is one connection to one guest's agent over the unix
 * socket that serves its channel. It is non-blocking: the caller polls
 * host_chan_fd() for host_chan_events(), calls host_chan_io() when the fd is
 * ready or the deadline from host_chan_next_ms() passes, and collects
 * replies with host_chan_take_reply(). Many channels run in one poll loop.
 * host_chan_open() / host_chan_call() are blocking conveniences on top.
 *
 * The session (docs/protocol.md §4): on connect the host sends HELLO with a
 * fresh epoch and nonce and repeats it until the agent answers READY with
 * the same pair; requests queued before that are sent right after READY.
 * Frames from the agent with another epoch (stale output of an earlier
 * session) and frames without PROTO_F_AGENT (our own bytes echoed by a tty
 * that was not yet raw) are dropped.
 */
#ifndef XENCHANNEL_HOST_H
#define XENCHANNEL_HOST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "xenchannel/proto.h"

#define HOST_READ 1u
#define HOST_WRITE 2u

#define HOST_DEFAULT_NAME "org.xenchannel.agent.0"

struct xs_handle;
struct host_chan;

/* Domain "7" or a domain name (/local/domain/<D>/name) -> domid. xs may be
 * NULL (a connection is opened for the call). Returns 0 or -1 with err
 * (errno ENOENT: no such domain). */
int host_resolve_domain(struct xs_handle *xs, const char *spec, unsigned *domid, char *err,
                        size_t errlen);

/* Socket path of channel `name` of domain domid, from the backend directory
 * /local/domain/0/backend/console/<D>/<devid> (keys name, connection, path).
 * Fails with a clear message when there is no such channel (errno ENOENT)
 * or its connection is not "socket" (EINVAL). */
int host_lookup(struct xs_handle *xs, unsigned domid, const char *name, char *path, size_t pathlen,
                char *err, size_t errlen);

/* A channel to the agent behind a unix socket; connects without blocking and
 * queues the first HELLO. NULL with err on failure. */
struct host_chan *host_chan_new(const char *sockpath, char *err, size_t errlen);
void host_chan_free(struct host_chan *h);

int host_chan_fd(const struct host_chan *h);
unsigned host_chan_events(const struct host_chan *h); /* HOST_READ|HOST_WRITE */
/* Absolute monotonic ms of the next timed action (HELLO repeat), 0 if none. */
uint64_t host_chan_next_ms(const struct host_chan *h);
/* Do whatever I/O is possible. Returns 0, or -1 when the channel failed
 * (host_chan_error() says why; the channel is then unusable). */
int host_chan_io(struct host_chan *h, unsigned revents);
const char *host_chan_error(const struct host_chan *h);

int host_chan_is_ready(const struct host_chan *h);
/* The READY payload (epoch, nonce, version, agent, capabilities, policy). */
const json_t *host_chan_ready(const struct host_chan *h);

/* Queue a request; payload is an object (its "id" is set here; it is not
 * stolen). Returns the id (>0) or -1. Sent once the session is ready. */
int64_t host_chan_request(struct host_chan *h, json_t *payload);
/* Queue {"op":"apply","document":doc,"hmac":...}; key NULL for none. */
int64_t host_chan_apply(struct host_chan *h, const char *doc, size_t doclen, const uint8_t *key,
                        size_t keylen);
/* ---- documents the host builds (host-doc.c) ---- */

/* A NoCloud seed as a document, {"nocloud": {...}} without a generation:
 * text[i] (NULL: absent) of len[i] bytes is the file proto_seed_names[i].
 * NULL when a text is not UTF-8 (or without memory). Check the files first
 * (xenchannel provision --nocloud does, with cloud-init's rules). */
json_t *host_seed_doc(const char *const text[PROTO_SEED_NFILES],
                      const size_t len[PROTO_SEED_NFILES]);
/* doc's text with this generation: compact, keys sorted, so the same
 * content always gives the same bytes (malloc'd; NULL without memory). */
char *host_doc_text(const json_t *doc, json_int_t generation, size_t *len);
/* The text to send for a document whose generation is the guest's, from
 * the result of its "status" reply: as its last generation L when the
 * guest has exactly this content as L (every item then unchanged), else as
 * L + 1 (docs/protocol.md §6.1). Queue it with host_chan_apply(). */
char *host_doc_for_guest(const json_t *doc, const json_t *status, size_t *len);

/* Next reply received (a new reference), or NULL. */
json_t *host_chan_take_reply(struct host_chan *h);

/* Counters for diagnostics. */
struct host_chan_stats {
	uint64_t hellos_sent, stale_dropped, echo_dropped, garbage_bytes, bad_frames;
};
const struct host_chan_stats *host_chan_stats(const struct host_chan *h);

/* Blocking: connect to domain's channel `name` (NULL: HOST_DEFAULT_NAME) and
 * wait up to timeout_ms for READY. */
struct host_chan *host_chan_open(unsigned domid, const char *name, int timeout_ms, char *err,
                                 size_t errlen);
/* Blocking: wait up to timeout_ms for the reply with this id. */
json_t *host_chan_wait(struct host_chan *h, int64_t id, int timeout_ms, char *err, size_t errlen);

/* ---- many guests, one event loop (host-run.c) ----
 * The engine behind `xenchannel provision` and `xenchannel qga`: a task is
 * one exchange with one guest over one non-blocking fd; host_run_tasks()
 * starts up to `jobs` of them at a time, watches each one's fd and next
 * timed action, ends it at its deadline and returns when all have ended. */
struct host_task_ops {
	/* Connect and queue the work: 0, or -1 when the task has ended already
	 * (failed before it started). */
	int (*start)(void *task);
	/* Its fd now: another one after a reconnect, -1 while it only waits
	 * for its next timed action (next_ms). */
	int (*fd)(const void *task);
	unsigned (*events)(const void *task);  /* HOST_READ|HOST_WRITE wanted now */
	uint64_t (*next_ms)(const void *task); /* absolute ms of its next timed action, 0 none */
	/* Do the I/O ready in revents (0 on a timer); 1 when the task has ended. */
	int (*step)(void *task, unsigned revents);
	void (*expire)(void *task);  /* its deadline passed: end it as timed out */
	int (*ok)(const void *task); /* did the ended task succeed? (progress counts) */
};

struct host_run_opts {
	size_t jobs;         /* at most this many tasks at a time (0: all) */
	uint64_t timeout_ms; /* each task's deadline, from its start */
	/* Called at most every 100 ms while tasks end, and once at the end. */
	void (*progress)(void *arg, size_t done, size_t total, size_t failed, int final);
	void *progress_arg;
};

/* Run tasks[0..n) (an array of elements of `size` bytes, as for qsort).
 * Returns 0, or -1 with errno when the event loop itself failed. */
int host_run_tasks(void *tasks, size_t n, size_t size, const struct host_task_ops *ops,
                   const struct host_run_opts *o);

/* One socket per running task: raise RLIMIT_NOFILE for `jobs` of them, and
 * return how many fit (fewer when the hard limit is too low). */
size_t host_run_fit_jobs(size_t jobs);

#endif
