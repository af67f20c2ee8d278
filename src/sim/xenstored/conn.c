/*
 * conn.c - one client connection: framed input, a bounded output queue,
 * back-pressure (stop reading requests while replies pile up) and the drop
 * of a client that does not read its watch events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "xsd.h"

#define IN_CAP (2u * (XSD_HDR_SIZE + XSD_PAYLOAD_MAX))

static void conn_io(struct loop *l, int fd, unsigned ev, void *arg);

struct conn *conn_new(struct xsd *x, int fd, struct domain *dom)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->x = x;
	c->fd = fd;
	c->dom = dom;
	c->domid = dom ? dom->domid : 0;
	c->priv = dom == NULL;
	c->next_txid = 1;
	c->id = ++x->next_conn_id;
	if (loop_watch(x->l, fd, LOOP_READ, conn_io, c) < 0) {
		free(c);
		return NULL;
	}
	c->next = x->conns;
	if (x->conns)
		x->conns->prev = c;
	x->conns = c;
	if (dom) {
		c->dnext = dom->conns;
		if (dom->conns)
			dom->conns->dprev = c;
		dom->conns = c;
		dom->nconns++;
	}
	x->nconns++;
	return c;
}

static void reap_cb(struct loop *l, void *arg)
{
	struct xsd *x = arg;
	x->reap_timer = 0;
	conn_reap(x);
}

/* A zero-delay timer (cancellable, unlike loop_soon, so xsd_free is safe). */
static void queue_reap(struct xsd *x)
{
	if (!x->reap_timer)
		x->reap_timer = loop_timer(x->l, 0, reap_cb, x);
}

void conn_close_later(struct conn *c)
{
	if (c->doomed || c->dead)
		return;
	c->doomed = true;
	c->doom_next = c->x->doomed;
	c->x->doomed = c;
	queue_reap(c->x);
}

void conn_reap(struct xsd *x)
{
	while (x->doomed) {
		struct conn *d = x->doomed;
		x->doomed = d->doom_next;
		conn_close(d, NULL);
	}
	struct conn *c = x->dead;
	x->dead = NULL;
	while (c) {
		struct conn *next = c->next;
		struct outmsg *m = c->oq_head;
		while (m) {
			struct outmsg *mn = m->next;
			free(m);
			m = mn;
		}
		free(c->in);
		free(c);
		c = next;
	}
}

void conn_close(struct conn *c, const char *why)
{
	struct xsd *x = c->x;
	if (c->dead)
		return;
	c->dead = true;
	if (why)
		log_info("xenstored: closed connection %llu of domain %u: %s",
		         (unsigned long long)c->id, c->domid, why);
	loop_unwatch(x->l, c->fd);
	close(c->fd);
	c->fd = -1;
	watch_del_all(c);
	tx_free_all(c);
	/* unlink from the lists, park on the dead list until the loop turns */
	if (c->prev)
		c->prev->next = c->next;
	else
		x->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->dom) {
		if (c->dprev)
			c->dprev->dnext = c->dnext;
		else
			c->dom->conns = c->dnext;
		if (c->dnext)
			c->dnext->dprev = c->dprev;
		c->dom->nconns--;
		c->dom = NULL;
	}
	x->nconns--;
	c->next = x->dead;
	x->dead = c;
	queue_reap(x);
}

static void update_mask(struct conn *c)
{
	unsigned m = 0;
	if (!c->paused)
		m |= LOOP_READ;
	if (c->oq_head)
		m |= LOOP_WRITE;
	loop_modify(c->x->l, c->fd, m);
}

/* Write as much of the queue as the socket takes. */
static int flush(struct conn *c)
{
	while (c->oq_head) {
		struct iovec iov[16];
		int n = 0;
		size_t off = c->oq_off;
		for (struct outmsg *m = c->oq_head; m && n < 16; m = m->next) {
			iov[n].iov_base = m->data + off;
			iov[n].iov_len = m->len - off;
			off = 0;
			n++;
		}
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		size_t left = (size_t)w;
		while (left && c->oq_head) {
			struct outmsg *m = c->oq_head;
			size_t rest = m->len - c->oq_off;
			if (left < rest) {
				c->oq_off += left;
				break;
			}
			left -= rest;
			c->oq_off = 0;
			c->oq_head = m->next;
			if (!c->oq_head)
				c->oq_tail = NULL;
			c->oq_count--;
			c->oq_bytes -= m->len;
			if (m->event)
				c->oq_events--;
			free(m);
		}
	}
	return 0;
}

int conn_send(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p1,
              size_t l1, const void *p2, size_t l2, bool event)
{
	if (c->dead || c->doomed)
		return -1;
	if (event && (c->oq_events >= XSD_OQ_MAX_EVENTS || c->oq_bytes >= XSD_OQ_MAX_BYTES)) {
		log_warn("xenstored: domain %u connection %llu does not read its watch events "
		         "(%zu queued, %zu bytes): dropping it",
		         c->domid, (unsigned long long)c->id, c->oq_events, c->oq_bytes);
		conn_close_later(c);
		return -1;
	}
	size_t len = XSD_HDR_SIZE + l1 + l2;
	struct outmsg *m = malloc(sizeof(*m) + len);
	if (!m)
		return -1;
	struct xsd_hdr h = {type, req_id, tx_id, (uint32_t)(l1 + l2)};
	wire_put_hdr(m->data, &h);
	if (l1)
		memcpy(m->data + XSD_HDR_SIZE, p1, l1);
	if (l2)
		memcpy(m->data + XSD_HDR_SIZE + l1, p2, l2);
	m->len = (uint32_t)len;
	m->event = event;
	m->next = NULL;
	bool was_empty = !c->oq_head;
	if (c->oq_tail)
		c->oq_tail->next = m;
	else
		c->oq_head = m;
	c->oq_tail = m;
	c->oq_count++;
	c->oq_bytes += len;
	if (event)
		c->oq_events++;
	if (was_empty) {
		if (flush(c) < 0) {
			conn_close_later(c);
			return -1;
		}
		if (c->oq_head)
			update_mask(c);
	}
	return 0;
}

static void process(struct conn *c)
{
	size_t off = 0;
	while (!c->dead && !c->paused && c->in_len - off >= XSD_HDR_SIZE) {
		struct xsd_hdr h;
		wire_get_hdr((unsigned char *)c->in + off, &h);
		if (h.len > XSD_PAYLOAD_MAX) {
			log_limited(&c->ll, 5, LOG_LVL_WARN,
			            "xenstored: domain %u connection %llu sent a %s message with "
			            "length %u > %u: dropping the connection",
			            c->domid, (unsigned long long)c->id, wire_typename(h.type),
			            h.len, XSD_PAYLOAD_MAX);
			conn_close(c, NULL);
			return;
		}
		if (c->in_len - off < XSD_HDR_SIZE + h.len)
			break;
		/* NUL-terminate a copy of the payload so string scans stop. */
		char payload[XSD_PAYLOAD_MAX + 1];
		memcpy(payload, c->in + off + XSD_HDR_SIZE, h.len);
		payload[h.len] = 0;
		off += XSD_HDR_SIZE + h.len;
		ops_dispatch(c, &h, payload);
		if (!c->dead && c->oq_bytes > XSD_OQ_PAUSE_BYTES && !c->paused) {
			c->paused = true;
			update_mask(c);
		}
	}
	if (c->dead)
		return;
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}

void conn_feed(struct conn *c, const unsigned char *p, size_t n)
{
	if (c->paused && !c->dead) {
		flush(c);
		c->paused = false;
	}
	while (n && !c->dead) {
		if (!c->in) {
			c->in = malloc(IN_CAP);
			if (!c->in) {
				conn_close(c, "out of memory");
				return;
			}
		}
		size_t k = IN_CAP - c->in_len;
		if (k > n)
			k = n;
		memcpy(c->in + c->in_len, p, k);
		c->in_len += k;
		p += k;
		n -= k;
		process(c);
		if (!c->dead && c->paused && n) {
			/* a fed stream cannot wait; drain what we can */
			flush(c);
			c->paused = false;
		}
	}
}

static void conn_io(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct conn *c = arg;
	if (ev & LOOP_WRITE) {
		if (flush(c) < 0) {
			conn_close(c, "write failed");
			return;
		}
		if (c->paused && c->oq_bytes <= XSD_OQ_PAUSE_BYTES / 2) {
			c->paused = false;
			process(c); /* requests already buffered */
		}
		if (!c->dead)
			update_mask(c);
	}
	if (c->dead || !(ev & LOOP_READ) || c->paused)
		return;
	if (!c->in) {
		c->in = malloc(IN_CAP);
		if (!c->in) {
			conn_close(c, "out of memory");
			return;
		}
	}
	ssize_t r = read(fd, c->in + c->in_len, IN_CAP - c->in_len);
	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(c, NULL); /* orderly EOF is not worth a log line */
		return;
	}
	c->in_len += (size_t)r;
	process(c);
	if (!c->dead && c->in_len == 0) {
		free(c->in);
		c->in = NULL;
	}
}
