/* session.c - one open device: read frames, answer HELLO with READY, serve
 * requests of the current epoch, write replies without blocking. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_LIMIT (4u << 20) /* replies held for a host that does not read */

void session_init(struct agent *a)
{
	memset(&a->s, 0, sizeof(a->s));
	a->s.fd = -1;
}

int session_attached(const struct agent *a)
{
	return a->s.fd >= 0;
}

static void on_io(struct loop *l, int fd, unsigned events, void *arg);

static void flush_out(struct agent *a)
{
	struct session *s = &a->s;
	while (s->out.off < s->out.len) {
		ssize_t n = write(s->fd, s->out.data + s->out.off, s->out.len - s->out.off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			session_detach(a, strerror(errno));
			discover_lost(a);
			return;
		}
		s->out.off += (size_t)n;
	}
	if (s->out.off == s->out.len) {
		s->out.off = s->out.len = 0;
		if (s->stop_when_flushed)
			seedwait_drain(a); /* --wait-seed: the seed's reply is out */
	}
	loop_modify(a->loop, s->fd, LOOP_READ | (s->out.len ? LOOP_WRITE : 0u));
}

static void send_json(struct agent *a, uint8_t type, const json_t *o)
{
	struct session *s = &a->s;
	uint8_t *buf;
	size_t n;
	if (proto_encode_json(type, PROTO_F_AGENT, s->epoch, ++s->seq, o, &buf, &n) < 0) {
		log_err("cannot encode a reply (over %u bytes?)", PROTO_MAX_PAYLOAD);
		return;
	}
	if (s->out.len - s->out.off + n > OUT_LIMIT) {
		log_limited(&s->lim, 5, LOG_LVL_WARN,
		            "%s: host is not reading; dropping a %zu-byte reply", a->devpath, n);
		free(buf);
		return;
	}
	if (s->out.len + n > s->out.cap) {
		size_t cap = s->out.cap ? s->out.cap : 4096;
		while (cap < s->out.len + n)
			cap *= 2;
		uint8_t *d = realloc(s->out.data, cap);
		if (!d) {
			free(buf);
			return;
		}
		s->out.data = d;
		s->out.cap = cap;
	}
	memcpy(s->out.data + s->out.len, buf, n);
	s->out.len += n;
	free(buf);
	flush_out(a);
}

static void on_hello(struct agent *a, const struct proto_frame *f, json_t *o)
{
	struct session *s = &a->s;
	json_t *nonce = json_object_get(o, "nonce");
	if (!json_is_string(nonce) || json_string_length(nonce) == 0 ||
	    json_string_length(nonce) > 64) {
		log_limited(&s->lim, 5, LOG_LVL_WARN, "%s: HELLO without a valid nonce ignored",
		            a->devpath);
		return;
	}
	if (s->active && s->epoch == f->epoch && strcmp(s->nonce, json_string_value(nonce)) == 0) {
		/* The host repeated its HELLO before our READY reached it. */
	} else {
		unsigned v = proto_pick_version(json_object_get(o, "versions"));
		s->epoch = f->epoch;
		snprintf(s->nonce, sizeof(s->nonce), "%s", json_string_value(nonce));
		if (!v) {
			s->active = 0;
			json_t *r = json_pack("{s:I, s:s, s:i, s:{s:s, s:s}}", "epoch",
			                      (json_int_t)f->epoch, "nonce", s->nonce, "version", 0,
			                      "error", "code", PROTO_ERR_UNSUPPORTED, "message",
			                      "no common protocol version (agent speaks 1)");
			send_json(a, PROTO_READY, r);
			json_decref(r);
			log_warn("%s: HELLO with no common protocol version", a->devpath);
			return;
		}
		s->version = v;
		s->active = 1;
		log_info("%s: session epoch %08x, protocol version %u", a->devpath, f->epoch, v);
	}
	json_t *caps = json_pack("[s,s,s,s,s,s,s,s,s]", "ping", "status", "apply", "hostname",
	                         "network", "users", "write_files", "nocloud", "hmac-sha256");
	json_t *r = json_pack("{s:I, s:s, s:i, s:s, s:o, s:o, s:I}", "epoch", (json_int_t)s->epoch,
	                      "nonce", s->nonce, "version", s->version, "agent",
	                      "xenchannel-agent " AGENT_VERSION, "capabilities", caps, "policy",
	                      policy_describe(a), "generation", a->state.generation);
	send_json(a, PROTO_READY, r);
	json_decref(r);
}

static void on_request(struct agent *a, json_t *o)
{
	json_t *idv = json_object_get(o, "id");
	json_t *opv = json_object_get(o, "op");
	json_int_t id = json_is_integer(idv) ? json_integer_value(idv) : 0;
	json_t *r;
	if (!json_is_integer(idv) || !json_is_string(opv)) {
		r = proto_error_reply(id, PROTO_ERR_INVALID,
		                      "a request needs an integer \"id\" and a string \"op\"");
	} else {
		const char *op = json_string_value(opv);
		if (strcmp(op, "ping") == 0)
			r = json_pack("{s:I, s:b, s:{}}", "id", id, "ok", 1, "result");
		else if (strcmp(op, "status") == 0)
			r = status_request(a, id);
		else if (strcmp(op, "apply") == 0)
			r = apply_request(a, id, o);
		else
			r = proto_error_reply(id, PROTO_ERR_UNSUPPORTED,
			                      "unknown op \"%.64s\" (have ping, status, apply)",
			                      op);
	}
	send_json(a, PROTO_REPLY, r);
	json_decref(r);
	if (a->wait_seed_ms && a->seed_written)
		seedwait_reply_sent(a);
}

static void on_frame(struct agent *a, const struct proto_frame *f)
{
	struct session *s = &a->s;
	if (f->flags & PROTO_F_AGENT) {
		s->echo_dropped++; /* our own output reflected back */
		return;
	}
	if (f->type != PROTO_HELLO && (!s->active || f->epoch != s->epoch)) {
		s->stale_dropped++; /* from an earlier session */
		return;
	}
	char err[256];
	json_t *o = proto_payload_parse(f, err, sizeof(err));
	if (!o) {
		log_limited(&s->lim, 5, LOG_LVL_WARN, "%s: %s", a->devpath, err);
		if (f->type == PROTO_REQUEST) {
			json_t *r = proto_error_reply(0, PROTO_ERR_INVALID, "%s", err);
			send_json(a, PROTO_REPLY, r);
			json_decref(r);
		}
		return;
	}
	if (f->type == PROTO_HELLO)
		on_hello(a, f, o);
	else if (f->type == PROTO_REQUEST)
		on_request(a, o);
	else
		log_limited(&s->lim, 5, LOG_LVL_WARN, "%s: unexpected frame type %u ignored",
		            a->devpath, f->type);
	json_decref(o);
}

static void drain(struct agent *a)
{
	struct session *s = &a->s;
	struct proto_frame f;
	enum proto_event ev;
	while (s->fd >= 0 && (ev = proto_decoder_next(s->dec, &f)) != PROTO_EV_NONE) {
		if (ev == PROTO_EV_FRAME) {
			on_frame(a, &f);
		} else if (ev == PROTO_EV_OVERSIZE) {
			log_limited(&s->lim, 5, LOG_LVL_WARN,
			            "%s: frame seq %u announces %u bytes (max %u); skipped",
			            a->devpath, f.seq, f.len, PROTO_MAX_PAYLOAD);
			if (s->active && f.epoch == s->epoch && !(f.flags & PROTO_F_AGENT)) {
				json_t *r = proto_error_reply(
				    0, PROTO_ERR_INVALID,
				    "frame seq %u of %u bytes exceeds the maximum "
				    "payload of %u bytes",
				    f.seq, f.len, PROTO_MAX_PAYLOAD);
				json_object_set_new(r, "seq", json_integer(f.seq));
				send_json(a, PROTO_REPLY, r);
				json_decref(r);
			}
		} else if (ev == PROTO_EV_BADCRC) {
			log_limited(&s->lim, 5, LOG_LVL_WARN,
			            "%s: frame seq %u: payload CRC mismatch", a->devpath, f.seq);
		}
	}
}

static void on_io(struct loop *l, int fd, unsigned events, void *arg)
{
	struct agent *a = arg;
	struct session *s = &a->s;
	if (events & LOOP_WRITE)
		flush_out(a);
	if (s->fd < 0 || !(events & LOOP_READ))
		return;
	uint8_t buf[16384];
	for (int rounds = 0; rounds < 64; rounds++) {
		ssize_t n = read(s->fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			/* EIO/hangup on a tty: the device went away under us. */
			session_detach(a, n == 0 ? "end of file" : strerror(errno));
			discover_lost(a);
			return;
		}
		if (n < 0)
			break;
		size_t off = 0;
		while (off < (size_t)n && s->fd >= 0) {
			off += proto_decoder_feed(s->dec, buf + off, (size_t)n - off);
			drain(a);
		}
		if (s->fd < 0 || (size_t)n < sizeof(buf))
			break;
	}
}

void session_attach(struct agent *a, int fd, int is_tty)
{
	struct session *s = &a->s;
	if (!s->dec)
		s->dec = proto_decoder_new(0);
	else
		proto_decoder_reset(s->dec);
	s->fd = fd;
	s->is_tty = is_tty;
	s->active = 0; /* a reopened device starts over: wait for a HELLO */
	s->out.off = s->out.len = 0;
	loop_watch(a->loop, fd, LOOP_READ, on_io, a);
	log_info("%s: open (%s), waiting for HELLO", a->devpath, is_tty ? "raw tty" : "stream");
}

void session_detach(struct agent *a, const char *why)
{
	struct session *s = &a->s;
	if (s->fd < 0)
		return;
	log_info("%s: closed (%s)", a->devpath, why);
	loop_unwatch(a->loop, s->fd);
	close(s->fd);
	s->fd = -1;
	s->active = 0;
}
