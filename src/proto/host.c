/* host.c - non-blocking host end of the agent protocol over a unix socket. */
#include "xenchannel/host.h"
#include "xenchannel/loop.h"
#include "xenchannel/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HELLO_FIRST_MS 200
#define HELLO_MAX_MS 1000

enum hstate { H_CONNECTING, H_HELLO, H_READY, H_FAILED };

struct obuf {
	uint8_t *data;
	size_t len, off, cap;
};

struct host_chan {
	int fd;
	enum hstate st;
	uint32_t epoch;
	uint32_t seq;
	char nonce[17];
	uint64_t next_hello_ms;
	unsigned hello_gap_ms;
	int64_t next_id;
	struct obuf out; /* bytes being written */
	json_t *pending; /* requests queued before READY (array) */
	json_t *replies; /* replies not yet taken (array) */
	json_t *ready;   /* READY payload */
	struct proto_decoder *dec;
	struct host_chan_stats stats;
	char err[256];
};

static int fail(struct host_chan *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct host_chan *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	h->st = H_FAILED;
	return -1;
}

static int obuf_add(struct obuf *o, const uint8_t *p, size_t n)
{
	if (o->off == o->len)
		o->off = o->len = 0;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n)
			cap *= 2;
		uint8_t *d = realloc(o->data, cap);
		if (!d)
			return -1;
		o->data = d;
		o->cap = cap;
	}
	memcpy(o->data + o->len, p, n);
	o->len += n;
	return 0;
}

static int send_frame(struct host_chan *h, uint8_t type, const json_t *obj)
{
	uint8_t *buf;
	size_t n;
	if (proto_encode_json(type, 0, h->epoch, ++h->seq, obj, &buf, &n) < 0)
		return fail(h, "cannot encode a frame (payload over %u bytes?)", PROTO_MAX_PAYLOAD);
	int rc = obuf_add(&h->out, buf, n);
	free(buf);
	if (rc < 0)
		return fail(h, "out of memory");
	return 0;
}

static int send_hello(struct host_chan *h)
{
	json_t *o = json_pack("{s:I, s:s, s:[i], s:s}", "epoch", (json_int_t)h->epoch, "nonce",
	                      h->nonce, "versions", PROTO_VERSION, "host",
	                      "xenchannel "
	                      "0.1");
	int rc = send_frame(h, PROTO_HELLO, o);
	json_decref(o);
	h->stats.hellos_sent++;
	h->next_hello_ms = loop_now_ms() + h->hello_gap_ms;
	if (h->hello_gap_ms < HELLO_MAX_MS)
		h->hello_gap_ms *= 2;
	return rc;
}

struct host_chan *host_chan_new(const char *sockpath, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sockpath) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket %s: path too long", sockpath);
		return NULL;
	}
	strcpy(sa.sun_path, sockpath);
	struct host_chan *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->dec = proto_decoder_new(0);
	h->pending = json_array();
	h->replies = json_array();
	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!h->dec || !h->pending || !h->replies || h->fd < 0) {
		snprintf(err, errlen, "socket %s: %s", sockpath, strerror(errno));
		host_chan_free(h);
		return NULL;
	}
	uint8_t rnd[12];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		host_chan_free(h);
		return NULL;
	}
	memcpy(&h->epoch, rnd, 4);
	if (!h->epoch)
		h->epoch = 1;
	for (int i = 0; i < 8; i++)
		snprintf(h->nonce + 2 * i, 3, "%02x", rnd[4 + i]);
	h->next_id = 1;
	h->hello_gap_ms = HELLO_FIRST_MS;
	if (connect(h->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			snprintf(err, errlen, "connect %s: %s", sockpath, strerror(errno));
			host_chan_free(h);
			return NULL;
		}
		h->st = H_CONNECTING;
	} else {
		h->st = H_HELLO;
	}
	if (send_hello(h) < 0) {
		snprintf(err, errlen, "%s", h->err);
		host_chan_free(h);
		return NULL;
	}
	return h;
}

void host_chan_free(struct host_chan *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	proto_decoder_free(h->dec);
	json_decref(h->pending);
	json_decref(h->replies);
	json_decref(h->ready);
	free(h->out.data);
	free(h);
}

int host_chan_fd(const struct host_chan *h)
{
	return h->fd;
}

unsigned host_chan_events(const struct host_chan *h)
{
	if (h->st == H_FAILED)
		return 0;
	if (h->st == H_CONNECTING)
		return HOST_WRITE;
	return HOST_READ | (h->out.off < h->out.len ? HOST_WRITE : 0u);
}

uint64_t host_chan_next_ms(const struct host_chan *h)
{
	/* while connecting nothing is due at a time: the socket's writability
	 * ends that state (a past hello time here would make a caller's loop spin) */
	return h->st == H_HELLO ? h->next_hello_ms : 0;
}

const char *host_chan_error(const struct host_chan *h)
{
	return h->err;
}
int host_chan_is_ready(const struct host_chan *h)
{
	return h->st == H_READY;
}
const json_t *host_chan_ready(const struct host_chan *h)
{
	return h->ready;
}
const struct host_chan_stats *host_chan_stats(const struct host_chan *h)
{
	return &h->stats;
}

static int flush_pending(struct host_chan *h)
{
	size_t i;
	json_t *r;
	json_array_foreach(h->pending, i, r)
	{
		if (send_frame(h, PROTO_REQUEST, r) < 0)
			return -1;
	}
	json_array_clear(h->pending);
	return 0;
}

int64_t host_chan_request(struct host_chan *h, json_t *payload)
{
	if (h->st == H_FAILED || !json_is_object(payload))
		return -1;
	int64_t id = h->next_id++;
	json_t *copy = json_deep_copy(payload);
	if (!copy)
		return -1;
	json_object_set_new(copy, "id", json_integer(id));
	if (h->st == H_READY) {
		int rc = send_frame(h, PROTO_REQUEST, copy);
		json_decref(copy);
		return rc < 0 ? -1 : id;
	}
	json_array_append_new(h->pending, copy);
	return id;
}

int64_t host_chan_apply(struct host_chan *h, const char *doc, size_t doclen, const uint8_t *key,
                        size_t keylen)
{
	json_t *o = json_object();
	json_object_set_new(o, "op", json_string("apply"));
	json_object_set_new(o, "document", json_stringn(doc, doclen));
	if (!json_object_get(o, "document")) {
		json_decref(o);
		snprintf(h->err, sizeof(h->err), "document is not valid UTF-8");
		return -1;
	}
	if (key) {
		char mac[65];
		if (proto_hmac_hex(key, keylen, doc, doclen, mac) < 0) {
			json_decref(o);
			snprintf(h->err, sizeof(h->err), "HMAC computation failed");
			return -1;
		}
		json_object_set_new(o, "hmac", json_string(mac));
	}
	int64_t id = host_chan_request(h, o);
	json_decref(o);
	return id;
}

json_t *host_chan_take_reply(struct host_chan *h)
{
	if (json_array_size(h->replies) == 0)
		return NULL;
	json_t *r = json_incref(json_array_get(h->replies, 0));
	json_array_remove(h->replies, 0);
	return r;
}

static int on_frame(struct host_chan *h, const struct proto_frame *f)
{
	if (!(f->flags & PROTO_F_AGENT)) {
		h->stats.echo_dropped++; /* our own bytes, echoed back by a non-raw tty */
		return 0;
	}
	if (f->epoch != h->epoch) {
		h->stats.stale_dropped++; /* output of an earlier session */
		return 0;
	}
	char err[200];
	json_t *o = proto_payload_parse(f, err, sizeof(err));
	if (!o) {
		h->stats.bad_frames++;
		return 0;
	}
	if (f->type == PROTO_READY) {
		json_t *nonce = json_object_get(o, "nonce");
		if (h->st != H_HELLO || !json_is_string(nonce) ||
		    strcmp(json_string_value(nonce), h->nonce) != 0) {
			json_decref(o);
			return 0; /* duplicate READY, or not ours */
		}
		json_t *ver = json_object_get(o, "version");
		if (!json_is_integer(ver) || json_integer_value(ver) < PROTO_MIN_VERSION ||
		    json_integer_value(ver) > PROTO_VERSION) {
			json_decref(o);
			return fail(h, "agent chose protocol version outside %u..%u",
			            PROTO_MIN_VERSION, PROTO_VERSION);
		}
		json_t *e = json_object_get(o, "error");
		if (e) {
			const char *m = json_string_value(json_object_get(e, "message"));
			fail(h, "agent refused the session: %s", m ? m : "no reason");
			json_decref(o);
			return -1;
		}
		h->ready = o;
		h->st = H_READY;
		return flush_pending(h);
	}
	if (f->type == PROTO_REPLY && h->st == H_READY) {
		json_array_append_new(h->replies, o);
		return 0;
	}
	json_decref(o);
	h->stats.bad_frames++;
	return 0;
}

int host_chan_io(struct host_chan *h, unsigned revents)
{
	if (h->st == H_FAILED)
		return -1;
	if (h->st == H_CONNECTING && (revents & (HOST_WRITE | HOST_READ))) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr)
			return fail(h, "connect: %s", strerror(soerr));
		h->st = H_HELLO;
	}
	if ((h->st == H_HELLO) && h->next_hello_ms && loop_now_ms() >= h->next_hello_ms &&
	    send_hello(h) < 0)
		return -1;
	if (h->st == H_CONNECTING)
		return 0;
	while (h->out.off < h->out.len) {
		ssize_t n = send(h->fd, h->out.data + h->out.off, h->out.len - h->out.off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return fail(h, "write: %s", strerror(errno));
		}
		h->out.off += (size_t)n;
	}
	if (revents & HOST_READ) {
		uint8_t buf[16384];
		for (;;) {
			ssize_t n = recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0)
				return fail(h, "channel closed by the backend");
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				return fail(h, "read: %s", strerror(errno));
			}
			size_t off = 0;
			while (off < (size_t)n) {
				off += proto_decoder_feed(h->dec, buf + off, (size_t)n - off);
				struct proto_frame f;
				enum proto_event ev;
				while ((ev = proto_decoder_next(h->dec, &f)) != PROTO_EV_NONE) {
					if (ev == PROTO_EV_FRAME) {
						if (on_frame(h, &f) < 0)
							return -1;
					} else {
						h->stats.bad_frames++;
					}
				}
			}
			if ((size_t)n < sizeof(buf))
				break;
		}
		h->stats.garbage_bytes = proto_decoder_stats(h->dec)->skipped;
		/* Replies to requests just flushed after READY. */
		while (h->out.off < h->out.len) {
			ssize_t n = send(h->fd, h->out.data + h->out.off, h->out.len - h->out.off,
			                 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n <= 0)
				break;
			h->out.off += (size_t)n;
		}
	}
	return 0;
}

static int wait_until(struct host_chan *h, uint64_t deadline,
                      int (*done)(struct host_chan *, void *), void *arg, char *err, size_t errlen)
{
	for (;;) {
		if (done(h, arg))
			return 0;
		uint64_t now = loop_now_ms();
		if (now >= deadline) {
			snprintf(err, errlen, "timed out");
			return -1;
		}
		uint64_t until = deadline;
		uint64_t nx = host_chan_next_ms(h);
		if (nx && nx < until)
			until = nx;
		struct pollfd p = {.fd = h->fd, .events = 0};
		unsigned ev = host_chan_events(h);
		if (ev & HOST_READ)
			p.events |= POLLIN;
		if (ev & HOST_WRITE)
			p.events |= POLLOUT;
		int t = until > now ? (int)(until - now) : 0;
		int r = poll(&p, 1, t);
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		unsigned got = 0;
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			got |= HOST_READ;
		if (p.revents & POLLOUT)
			got |= HOST_WRITE;
		if (host_chan_io(h, got) < 0) {
			snprintf(err, errlen, "%s", h->err);
			return -1;
		}
	}
}

static int is_ready(struct host_chan *h, void *arg)
{
	return h->st == H_READY;
}

struct host_chan *host_chan_open(unsigned domid, const char *name, int timeout_ms, char *err,
                                 size_t errlen)
{
	char path[256];
	if (host_lookup(NULL, domid, name, path, sizeof(path), err, errlen) < 0)
		return NULL;
	struct host_chan *h = host_chan_new(path, err, errlen);
	if (!h)
		return NULL;
	char e[200];
	if (wait_until(h, loop_now_ms() + (uint64_t)timeout_ms, is_ready, NULL, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "domain %u: handshake with the agent on %s: %s", domid, path,
		         e);
		host_chan_free(h);
		return NULL;
	}
	return h;
}

struct want {
	int64_t id;
	json_t *reply;
};

static int have_reply(struct host_chan *h, void *arg)
{
	struct want *w = arg;
	size_t i;
	json_t *r;
	json_array_foreach(h->replies, i, r)
	{
		json_t *id = json_object_get(r, "id");
		if (json_is_integer(id) && json_integer_value(id) == w->id) {
			w->reply = json_incref(r);
			json_array_remove(h->replies, i);
			return 1;
		}
	}
	return 0;
}

json_t *host_chan_wait(struct host_chan *h, int64_t id, int timeout_ms, char *err, size_t errlen)
{
	struct want w = {.id = id};
	if (wait_until(h, loop_now_ms() + (uint64_t)timeout_ms, have_reply, &w, err, errlen) < 0)
		return NULL;
	return w.reply;
}
