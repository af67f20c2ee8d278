/* frame.c - frame encoding and the resynchronising decoder. */
#include "xenchannel/proto.h"

#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

long proto_encode(const struct proto_frame *f, uint8_t *out, size_t cap)
{
	if (f->len > PROTO_MAX_PAYLOAD || cap < PROTO_HDR_SIZE + (size_t)f->len)
		return -1;
	memcpy(out, PROTO_MAGIC, 4);
	out[4] = f->version;
	out[5] = f->type;
	put16(out + 6, f->flags);
	put32(out + 8, f->epoch);
	put32(out + 12, f->seq);
	put32(out + 16, f->len);
	put32(out + 20, proto_crc32c(0, f->payload, f->len));
	put32(out + 24, proto_crc32c(0, out, 24));
	if (f->len)
		memcpy(out + PROTO_HDR_SIZE, f->payload, f->len);
	return (long)(PROTO_HDR_SIZE + f->len);
}

int proto_encode_json(uint8_t type, uint16_t flags, uint32_t epoch, uint32_t seq, const json_t *obj,
                      uint8_t **out, size_t *outlen)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return -1;
	size_t n = strlen(text);
	if (n > PROTO_MAX_PAYLOAD) {
		free(text);
		return -1;
	}
	uint8_t *buf = malloc(PROTO_HDR_SIZE + n);
	if (!buf) {
		free(text);
		return -1;
	}
	struct proto_frame f = {
	    .version = PROTO_VERSION,
	    .type = type,
	    .flags = flags,
	    .epoch = epoch,
	    .seq = seq,
	    .len = (uint32_t)n,
	    .payload = (const uint8_t *)text,
	};
	long r = proto_encode(&f, buf, PROTO_HDR_SIZE + n);
	free(text);
	*out = buf;
	*outlen = (size_t)r;
	return 0;
}

/*
 * The decoder keeps at most one frame's worth of bytes. buf[start..end) is
 * unread; a frame candidate always begins at start once a magic was found.
 * scanned remembers how far the payload area of a waiting candidate was
 * already searched for the start of a newer frame; it is non-zero only
 * while such a candidate, whose header was checked, waits at start.
 */
struct proto_decoder {
	uint8_t *buf;
	size_t cap, start, end, scanned;
	uint32_t max_payload;
	struct proto_decoder_stats st;
};

struct proto_decoder *proto_decoder_new(uint32_t max_payload)
{
	struct proto_decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->max_payload = max_payload ? max_payload : PROTO_MAX_PAYLOAD;
	d->cap = PROTO_HDR_SIZE + d->max_payload;
	d->buf = malloc(d->cap);
	if (!d->buf) {
		free(d);
		return NULL;
	}
	return d;
}

void proto_decoder_free(struct proto_decoder *d)
{
	if (!d)
		return;
	free(d->buf);
	free(d);
}

void proto_decoder_reset(struct proto_decoder *d)
{
	d->start = d->end = d->scanned = 0;
}

const struct proto_decoder_stats *proto_decoder_stats(const struct proto_decoder *d)
{
	return &d->st;
}

size_t proto_decoder_feed(struct proto_decoder *d, const void *buf, size_t len)
{
	if (d->start > 0 && (d->end == d->cap || d->start >= d->cap / 2)) {
		memmove(d->buf, d->buf + d->start, d->end - d->start);
		d->end -= d->start;
		d->start = 0;
	}
	size_t room = d->cap - d->end;
	if (len > room)
		len = room;
	memcpy(d->buf + d->end, buf, len);
	d->end += len;
	return len;
}

/* A valid header at p (PROTO_HDR_SIZE bytes available)? */
static int header_ok(const uint8_t *p)
{
	return memcmp(p, PROTO_MAGIC, 4) == 0 && proto_crc32c(0, p, 24) == get32(p + 24);
}

static void parse_header(const uint8_t *p, struct proto_frame *f)
{
	f->version = p[4];
	f->type = p[5];
	f->flags = get16(p + 6);
	f->epoch = get32(p + 8);
	f->seq = get32(p + 12);
	f->len = get32(p + 16);
	f->payload = NULL;
}

static void skip(struct proto_decoder *d, size_t n, int count_as_garbage)
{
	d->start += n;
	if (count_as_garbage)
		d->st.skipped += n;
	d->scanned = 0;
	if (d->start == d->end)
		d->start = d->end = 0;
}

/* Offset (from start) of the first possible magic at or after from, or the
 * offset of a trailing partial magic, or the unread length when none. */
static size_t find_magic(const struct proto_decoder *d, size_t from)
{
	const uint8_t *p = d->buf + d->start;
	size_t n = d->end - d->start;
	while (from < n) {
		const uint8_t *m = memchr(p + from, (uint8_t)PROTO_MAGIC[0], n - from);
		if (!m)
			break;
		size_t i = (size_t)(m - p), k = n - i < 4 ? n - i : 4;
		if (memcmp(m, PROTO_MAGIC, k) == 0)
			return i;
		from = i + 1;
	}
	return n;
}

enum proto_event proto_decoder_next(struct proto_decoder *d, struct proto_frame *f)
{
	for (;;) {
		size_t m = find_magic(d, 0);
		if (m > 0)
			skip(d, m, 1);
		size_t avail = d->end - d->start;
		if (avail < PROTO_HDR_SIZE)
			return PROTO_EV_NONE;
		const uint8_t *p = d->buf + d->start;
		/* a waiting candidate's header was checked when it came in: do not
		 * check it again for every byte of its payload */
		if (!d->scanned && !header_ok(p)) {
			skip(d, 1, 1);
			continue;
		}
		parse_header(p, f);
		if (f->len > d->max_payload) {
			/* The header is genuine (its CRC matched) but the frame is too
			 * big to hold: report it and go on scanning after the header;
			 * the payload bytes are skipped as garbage. */
			d->st.oversize++;
			skip(d, PROTO_HDR_SIZE, 0);
			return PROTO_EV_OVERSIZE;
		}
		size_t total = PROTO_HDR_SIZE + f->len;
		if (avail < total) {
			/* Waiting for the payload. A payload is UTF-8 JSON, which never
			 * holds the magic, so the start of another valid frame inside
			 * it means this one was cut short (a sender that went away
			 * mid-frame): drop it and resynchronise there. */
			size_t from = d->scanned > PROTO_HDR_SIZE ? d->scanned : PROTO_HDR_SIZE;
			for (;;) {
				size_t k = find_magic(d, from);
				if (k + PROTO_HDR_SIZE > avail) {
					d->scanned = k;
					return PROTO_EV_NONE;
				}
				if (header_ok(p + k)) {
					d->st.truncated++;
					skip(d, k, 1);
					break;
				}
				from = k + 1;
			}
			continue;
		}
		if (proto_crc32c(0, p + PROTO_HDR_SIZE, f->len) != get32(p + 20)) {
			/* Rescan from the byte after this magic: a newer frame may
			 * start inside the damaged payload. */
			d->st.badcrc++;
			skip(d, 1, 1);
			return PROTO_EV_BADCRC;
		}
		f->payload = p + PROTO_HDR_SIZE;
		d->st.frames++;
		/* Consume now; the bytes stay in place until the next feed. */
		d->start += total;
		d->scanned = 0;
		return PROTO_EV_FRAME;
	}
}
