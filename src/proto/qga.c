/* qga.c - non-blocking client of qemu-guest-agent over a channel's unix socket. */
#include "xenchannel/qga.h"
#include "xenchannel/escape.h"
#include "xenchannel/host.h"
#include "xenchannel/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SYNC_FIRST_MS 250
#define SYNC_MAX_MS 2000
#define PROBE_FIRST_MS 500
#define PROBE_MAX_MS 4000
#define QGA_DELIM 0xFF

enum qstate { Q_CONNECTING, Q_SYNC, Q_SYNCED, Q_CLOSED };

struct qbuf {
	uint8_t *d;
	size_t len, off, cap;
};

/* Splits the agent's byte stream into top-level JSON objects. */
struct splitter {
	struct qbuf obj;
	size_t depth;
	int in_str, esc;
	size_t values;  /* '{', '[' and ',' outside strings: the tree it parses into */
	size_t dropped; /* bytes of an oversize object not kept */
	uint64_t began; /* out_sent when the object's '{' came */
	int seen_delim; /* a 0xFF came since the handshake was sent */
	enum { SP_FITS, SP_TOO_LONG, SP_TOO_MANY } oversize; /* dropped unparsed */
};

struct qga_chan {
	int fd;
	enum qstate st;
	uint64_t (*now_ms)(void);
	struct qbuf out;
	uint64_t out_queued, out_sent; /* bytes ever queued in out, ever sent */
	struct splitter sp;
	int64_t sync_base, sync_next; /* our sync ids: [sync_base, sync_next) */
	int64_t probe_floor;          /* syncs from here on were sent after the command */
	uint64_t next_sync_ms, next_probe_ms;
	unsigned sync_gap, probe_gap;
	/* the command */
	char *execute;
	json_t *args;
	int64_t cmd_id;
	int cmd_queued, cmd_sent, done;
	uint64_t cmd_end; /* out_queued just after the command: written once out_sent gets there */
	unsigned retries;
	enum qga_status status;
	json_t *value;
	char msg[600];
	struct qga_chan_stats stats;
};

static const char *const no_reply_cmds[] = {"guest-shutdown", "guest-suspend-disk",
                                            "guest-suspend-ram", "guest-suspend-hybrid", NULL};

/* Read-only commands (and guest-sync*, answered by value). */
static const char *const idempotent_cmds[] = {"guest-ping",
                                              "guest-sync",
                                              "guest-sync-delimited",
                                              "guest-info",
                                              "guest-get-time",
                                              "guest-fsfreeze-status",
                                              "guest-network-get-interfaces",
                                              "guest-get-vcpus",
                                              "guest-get-disks",
                                              "guest-get-fsinfo",
                                              "guest-get-memory-blocks",
                                              "guest-get-memory-block-info",
                                              "guest-exec-status",
                                              "guest-get-host-name",
                                              "guest-get-users",
                                              "guest-get-timezone",
                                              "guest-get-osinfo",
                                              "guest-get-devices",
                                              "guest-ssh-get-authorized-keys",
                                              "guest-get-diskstats",
                                              "guest-get-cpustats",
                                              NULL};

static int in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcmp(*l, s))
			return 1;
	return 0;
}

int qga_no_reply(const char *execute)
{
	return in_list(no_reply_cmds, execute);
}

int qga_idempotent(const char *execute)
{
	return in_list(idempotent_cmds, execute);
}

static int qbuf_add(struct qbuf *b, const void *p, size_t n)
{
	if (b->off == b->len)
		b->off = b->len = 0;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *d = realloc(b->d, cap);
		if (!d)
			return -1;
		b->d = d;
		b->cap = cap;
	}
	memcpy(b->d + b->len, p, n);
	b->len += n;
	return 0;
}

/* The command's result; later replies and events change nothing. */
static void finish(struct qga_chan *c, enum qga_status st, json_t *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void finish(struct qga_chan *c, enum qga_status st, json_t *value, const char *fmt, ...)
{
	if (c->done) {
		json_decref(value);
		return;
	}
	c->done = 1;
	c->status = st;
	c->value = value;
	c->msg[0] = 0;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
		va_end(ap);
	}
}

/* Queue one request: an optional 0xFF (resets the agent's parser) and the
 * JSON object. */
static int send_obj(struct qga_chan *c, int delim, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	uint8_t d = QGA_DELIM;
	size_t n = s ? strlen(s) : 0;
	int rc =
	    !s || (delim && qbuf_add(&c->out, &d, 1) < 0) || qbuf_add(&c->out, s, n) < 0 ? -1 : 0;
	free(s);
	if (rc < 0)
		finish(c, QGA_NO_ANSWER, NULL, "out of memory");
	else
		c->out_queued += (delim ? 1u : 0u) + n;
	return rc;
}

static int send_sync(struct qga_chan *c)
{
	int64_t id = c->sync_next++;
	json_t *o = json_pack("{s:s, s:{s:I}, s:I}", "execute", "guest-sync-delimited", "arguments",
	                      "id", (json_int_t)id, "id", (json_int_t)id);
	return send_obj(c, 1, o);
}

static void send_handshake(struct qga_chan *c)
{
	c->stats.syncs_sent++;
	send_sync(c);
	c->next_sync_ms = c->now_ms() + c->sync_gap;
	if (c->sync_gap < SYNC_MAX_MS)
		c->sync_gap *= 2;
}

static void send_probe(struct qga_chan *c)
{
	c->stats.probes_sent++;
	send_sync(c);
	c->next_probe_ms = c->now_ms() + c->probe_gap;
	if (c->probe_gap < PROBE_MAX_MS)
		c->probe_gap *= 2;
}

static void send_command(struct qga_chan *c)
{
	c->cmd_id = c->sync_next++;
	c->probe_floor = c->sync_next;
	json_t *o = json_pack("{s:s, s:I}", "execute", c->execute, "id", (json_int_t)c->cmd_id);
	if (o && c->args)
		json_object_set(o, "arguments", c->args);
	if (send_obj(c, 0, o) < 0)
		return;
	c->cmd_sent = 1;
	c->cmd_end = c->out_queued;
	c->probe_gap = PROBE_FIRST_MS;
	c->next_probe_ms = c->now_ms() + c->probe_gap;
}

/* The channel on fd (closed on failure), its handshake queued. */
static struct qga_chan *chan_start(int fd, enum qstate st, uint32_t seed, uint64_t (*now_ms)(void),
                                   char *err, size_t errlen)
{
	struct qga_chan *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = fd;
	c->st = st;
	c->now_ms = now_ms ? now_ms : loop_now_ms;
	/* A fresh id range per connection, within qemu-ga's int and far from
	 * what another client would pick. */
	c->sync_base = c->sync_next = 1 + (int64_t)(seed & 0x3fffffff) * 1024;
	c->probe_floor = INT64_MAX;
	c->sync_gap = SYNC_FIRST_MS;
	send_handshake(c);
	if (c->done) {
		snprintf(err, errlen, "%s", c->msg);
		qga_chan_free(c);
		return NULL;
	}
	return c;
}

struct qga_chan *qga_chan_new(const char *sockpath, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sockpath) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket %s: path too long", sockpath);
		return NULL;
	}
	strcpy(sa.sun_path, sockpath);
	uint32_t rnd;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(err, errlen, "socket %s: %s", sockpath, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	enum qstate st = Q_SYNC;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			snprintf(err, errlen, "connect %s: %s", sockpath, strerror(errno));
			close(fd);
			return NULL;
		}
		st = Q_CONNECTING;
	}
	return chan_start(fd, st, rnd, NULL, err, errlen);
}

struct qga_chan *qga_chan_adopt(int fd, uint32_t seed, uint64_t (*now_ms)(void), char *err,
                                size_t errlen)
{
	return chan_start(fd, Q_SYNC, seed, now_ms, err, errlen);
}

void qga_chan_free(struct qga_chan *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->out.d);
	free(c->sp.obj.d);
	free(c->execute);
	json_decref(c->args);
	json_decref(c->value);
	free(c);
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

int qga_check_command(const char *execute, const json_t *args, char *err, size_t errlen)
{
	char buf[80];
	if (!valid_name(execute)) {
		snprintf(err, errlen,
		         "command %s: want a qemu-ga command name (a-z, 0-9, '-', at most 64)",
		         esc_text(buf, sizeof(buf), execute, strlen(execute), 0, ESC_BACKSLASH));
		return -1;
	}
	if (args && !json_is_object(args)) {
		snprintf(err, errlen, "command %s: the arguments must be a JSON object", execute);
		return -1;
	}
	return 0;
}

int qga_chan_command(struct qga_chan *c, const char *execute, const json_t *args, char *err,
                     size_t errlen)
{
	if (qga_check_command(execute, args, err, errlen) < 0)
		return -1;
	if (c->cmd_queued && !c->done) {
		snprintf(err, errlen, "command %s: %s is still running", execute, c->execute);
		return -1;
	}
	free(c->execute);
	json_decref(c->args);
	json_decref(c->value);
	c->value = NULL;
	c->execute = strdup(execute);
	c->args = args ? json_deep_copy(args) : NULL;
	c->cmd_queued = 1;
	c->cmd_sent = c->done = 0;
	c->retries = 0;
	c->probe_floor = INT64_MAX;
	if (!c->execute || (args && !c->args)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (c->st == Q_CLOSED)
		finish(c, QGA_NO_ANSWER, NULL, "the channel is closed");
	else if (c->st == Q_SYNCED)
		send_command(c);
	return 0;
}

int qga_chan_fd(const struct qga_chan *c)
{
	return c->fd;
}

unsigned qga_chan_events(const struct qga_chan *c)
{
	if (c->st == Q_CLOSED)
		return 0;
	if (c->st == Q_CONNECTING)
		return HOST_WRITE;
	return HOST_READ | (c->out.off < c->out.len ? HOST_WRITE : 0u);
}

uint64_t qga_chan_next_ms(const struct qga_chan *c)
{
	if (c->st == Q_SYNC)
		return c->next_sync_ms; /* while connecting: wait to be writable */
	if (c->st == Q_SYNCED && c->cmd_sent && !c->done)
		return c->next_probe_ms;
	return 0;
}

int qga_chan_is_synced(const struct qga_chan *c)
{
	return c->st == Q_SYNCED;
}

const struct qga_chan_stats *qga_chan_stats(const struct qga_chan *c)
{
	return &c->stats;
}

enum qga_status qga_chan_result(const struct qga_chan *c, const json_t **value,
                                const char **message)
{
	if (value)
		*value = c->done ? c->value : NULL;
	if (message)
		*message = c->done ? c->msg : "no result yet";
	return c->done ? c->status : QGA_NO_ANSWER;
}

void qga_chan_expire(struct qga_chan *c, const char *why)
{
	if (c->st == Q_CONNECTING || c->st == Q_SYNC)
		finish(c, QGA_NO_ANSWER, NULL,
		       "%s: no agent answered guest-sync-delimited (%llu sent)", why,
		       (unsigned long long)c->stats.syncs_sent);
	else
		finish(c, QGA_NO_ANSWER, NULL, "%s: no reply to %s", why,
		       c->execute ? c->execute : "the command");
}

static int is_ours(const struct qga_chan *c, const json_t *v, int64_t from)
{
	return json_is_integer(v) && json_integer_value(v) >= from &&
	       json_integer_value(v) < c->sync_next;
}

/* The agent answered a sync sent after the command, and not the command. */
static void command_lost(struct qga_chan *c)
{
	if (qga_no_reply(c->execute)) {
		finish(c, QGA_OK, json_object(), NULL);
	} else if (qga_idempotent(c->execute) && c->retries < QGA_MAX_RETRIES) {
		c->retries++;
		c->stats.retries++;
		send_command(c);
	} else {
		finish(c, QGA_NO_ANSWER, NULL,
		       "the agent lost %s (restarted while it ran?); not sent again, as it may "
		       "have run",
		       c->execute);
	}
}

/* "CLASS: desc" of an error object, escaped (guest text). */
static const char *error_text(const json_t *e, char *buf, size_t size)
{
	char cls[80], desc[400];
	const char *k = json_string_value(json_object_get(e, "class"));
	const char *d = json_string_value(json_object_get(e, "desc"));
	snprintf(buf, size, "%s: %s",
	         k ? esc_text(cls, sizeof(cls), k, strlen(k), 60, ESC_BACKSLASH) : "error",
	         esc_text(desc, sizeof(desc), d, d ? strlen(d) : 0, 300, ESC_BACKSLASH));
	return buf;
}

/* o is a whole object; after_cmd: it began once the command was written
 * (one begun before cannot answer it). */
static void on_object(struct qga_chan *c, json_t *o, int after_cmd)
{
	json_t *ret = json_object_get(o, "return");
	json_t *e = json_object_get(o, "error");
	json_t *id = json_object_get(o, "id");
	if (json_object_get(o, "execute") || (!ret && !e)) {
		c->stats.stale_dropped++; /* our request echoed by a tty, or not a reply */
		return;
	}
	if (c->st == Q_SYNC) {
		if (e && is_ours(c, id, c->sync_base)) {
			char why[500];
			finish(c, QGA_NO_ANSWER, NULL, "the agent refused guest-sync-delimited: %s",
			       error_text(e, why, sizeof(why)));
		} else if (c->sp.seen_delim && !e && is_ours(c, ret, c->sync_base)) {
			c->st = Q_SYNCED;
			if (c->cmd_queued && !c->done && !c->cmd_sent)
				send_command(c);
		} else {
			c->stats.stale_dropped++;
		}
		return;
	}
	if (!after_cmd || c->done) {
		c->stats.stale_dropped++;
		return;
	}
	if (json_is_integer(id) && json_integer_value(id) == c->cmd_id) {
		char why[500];
		if (e && !json_is_string(json_object_get(e, "class")))
			finish(c, QGA_NO_ANSWER, NULL,
			       "%s: the agent's error reply has no \"class\" string", c->execute);
		else if (e)
			finish(c, QGA_GUEST_ERROR, json_incref(e), "%s: %s", c->execute,
			       error_text(e, why, sizeof(why)));
		else
			finish(c, QGA_OK, json_incref(ret), NULL);
	} else if (!e && is_ours(c, ret, c->probe_floor)) {
		command_lost(c);
	} else {
		c->stats.stale_dropped++;
	}
}

static void sp_reset(struct splitter *sp)
{
	sp->obj.len = sp->obj.off = 0;
	sp->depth = sp->values = sp->dropped = 0;
	sp->in_str = sp->esc = 0;
	sp->oversize = SP_FITS;
}

/* A complete top-level object: parse it and act on it. */
static void sp_complete(struct qga_chan *c)
{
	struct splitter *sp = &c->sp;
	int after_cmd = c->cmd_sent && sp->began >= c->cmd_end;
	if (sp->oversize) {
		c->stats.garbage_bytes += sp->obj.len + sp->dropped;
		if (after_cmd && sp->oversize == SP_TOO_MANY)
			finish(
			    c, QGA_NO_ANSWER, NULL,
			    "%s: the agent's reply has over %u JSON values (read less at a time)",
			    c->execute, QGA_MAX_VALUES);
		else if (after_cmd)
			finish(c, QGA_NO_ANSWER, NULL,
			       "%s: the agent's reply is over %u bytes (read less at a time)",
			       c->execute, QGA_MAX_REPLY);
		sp_reset(sp);
		return;
	}
	json_error_t je;
	size_t len = sp->obj.len;
	json_t *o = json_loadb((const char *)sp->obj.d, len, 0, &je);
	sp_reset(sp);
	if (!json_is_object(o)) {
		c->stats.garbage_bytes += len;
		json_decref(o);
		return;
	}
	on_object(c, o, after_cmd);
	json_decref(o);
}

/* Keep n bytes of the object being read, or past a limit only count them. */
static void sp_keep(struct splitter *sp, const uint8_t *p, size_t n)
{
	if (!sp->oversize && (n > QGA_MAX_REPLY - sp->obj.len || qbuf_add(&sp->obj, p, n) < 0))
		sp->oversize = SP_TOO_LONG;
	if (sp->oversize)
		sp->dropped += n;
}

/* The length of the run of plain string bytes at p (none of '"', '\\',
 * 0xFF), looked for in a bounded window so that the scans stay linear. */
static size_t str_run(const uint8_t *p, size_t n)
{
	static const uint8_t stops[] = {'"', '\\', QGA_DELIM};
	if (n > 4096)
		n = 4096;
	for (size_t k = 0; k < sizeof(stops); k++) {
		const uint8_t *e = memchr(p, stops[k], n);
		if (e)
			n = (size_t)(e - p);
	}
	return n;
}

static void sp_feed(struct qga_chan *c, const uint8_t *p, size_t n)
{
	struct splitter *sp = &c->sp;
	size_t from = 0; /* while depth > 0: p[from..i) is the object's, not kept yet */
	for (size_t i = 0; i < n; i++) {
		if (sp->in_str && !sp->esc) { /* most of a big reply: a run at a time */
			if ((i += str_run(p + i, n - i)) == n)
				break;
		}
		uint8_t b = p[i];
		if (b == QGA_DELIM) { /* never inside JSON text: the agent's delimiter */
			c->stats.garbage_bytes +=
			    sp->obj.len + sp->dropped + (sp->depth ? i - from : 0);
			sp_reset(sp);
			sp->seen_delim = 1;
			continue;
		}
		if (sp->depth == 0) {
			if (b == '{') {
				sp->depth = sp->values = 1;
				sp->began = c->out_sent;
				from = i;
			} else if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
				c->stats.garbage_bytes++;
			}
			continue;
		}
		if (sp->in_str) {
			if (sp->esc)
				sp->esc = 0;
			else if (b == '\\')
				sp->esc = 1;
			else if (b == '"')
				sp->in_str = 0;
		} else if (b == '"') {
			sp->in_str = 1;
		} else if (b == '{' || b == '[' || b == ',') {
			sp->depth += b != ',';
			if (++sp->values > QGA_MAX_VALUES && !sp->oversize)
				sp->oversize = SP_TOO_MANY;
		} else if ((b == '}' || b == ']') && --sp->depth == 0) {
			sp_keep(sp, p + from, i + 1 - from);
			sp_complete(c);
		}
	}
	if (sp->depth)
		sp_keep(sp, p + from, n - from);
}

static void closed(struct qga_chan *c, const char *why)
{
	c->st = Q_CLOSED;
	if (c->cmd_sent && c->out_sent < c->cmd_end)
		finish(c, QGA_NO_ANSWER, NULL, "%s before %s was sent", why, c->execute);
	else if (c->cmd_sent && !c->done && qga_no_reply(c->execute))
		finish(c, QGA_OK, json_object(), NULL); /* the guest went away, as asked */
	else if (c->cmd_sent)
		finish(c, QGA_NO_ANSWER, NULL, "%s: no reply to %s", why, c->execute);
	else
		finish(c, QGA_NO_ANSWER, NULL, "%s before the agent answered guest-sync-delimited",
		       why);
}

static void flush_out(struct qga_chan *c)
{
	while (c->st != Q_CLOSED && c->out.off < c->out.len) {
		ssize_t n = send(c->fd, c->out.d + c->out.off, c->out.len - c->out.off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				closed(c, strerror(errno));
			return;
		}
		c->out.off += (size_t)n;
		c->out_sent += (size_t)n;
	}
}

static void read_in(struct qga_chan *c)
{
	uint8_t buf[65536];
	while (c->st != Q_CLOSED) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0) {
			closed(c, "channel closed by the backend");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				closed(c, strerror(errno));
			return;
		}
		sp_feed(c, buf, (size_t)n);
		if ((size_t)n < sizeof(buf))
			return;
	}
}

int qga_chan_io(struct qga_chan *c, unsigned revents)
{
	if (c->st == Q_CONNECTING && (revents & (HOST_READ | HOST_WRITE))) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			char why[160];
			snprintf(why, sizeof(why), "connect: %s", strerror(soerr));
			closed(c, why);
			return c->done;
		}
		c->st = Q_SYNC;
	}
	uint64_t now = c->now_ms();
	if (c->st == Q_SYNC && now >= c->next_sync_ms)
		send_handshake(c);
	else if (c->st == Q_SYNCED && c->cmd_sent && !c->done && now >= c->next_probe_ms)
		send_probe(c);
	if (c->st == Q_CONNECTING)
		return c->done;
	flush_out(c);
	if (revents & HOST_READ)
		read_in(c);
	flush_out(c); /* a command sent once the handshake was answered */
	return c->done;
}
