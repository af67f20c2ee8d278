/*
 * soak-peer - one end of one channel for the soak (tests/soak/soak).
 *
 *   soak-peer host SOCKET SEND_SEED RECV_SEED
 *   soak-peer guest TTY SEND_SEED RECV_SEED
 *
 * Writes a stream in writes of random sizes (with the odd short pause) and at
 * the same time reads and verifies the stream of the other end. The host end
 * reconnects by itself whenever its socket comes back (inotify on the socket's
 * directory); the guest end opens its tty again when told to ("reopen").
 *
 * The stream. Offsets count every byte a write accepted. Each connection (host)
 * or opening of the tty (guest) starts a segment: a header, 0xff and the
 * segment's start offset as 16 hex digits, then pattern bytes, a hash of the
 * seed and the offset that is never 0xff. Bytes a dying connection loses are
 * a suffix of its segment, so the reader must get, per segment, an exact
 * prefix, with segments in order; a duplicated, reordered or corrupted byte
 * is caught at its offset. A segment cut inside its header shows up as a
 * truncated header (0xff, a few digits, then the next 0xff).
 *
 * Driven over stdin and stdout, one line each:
 *   hold | go        stop | resume writing; "held OFFSET" (bytes accepted so far)
 *   reopen           (guest) open the tty again after a hangup; "open N"
 *   mark             "moved" as soon as a byte arrives after this line
 *   expect N         "done" once the other end's stream is in up to offset N
 *   report           one JSON line: what was sent and what was received
 *   state            one line of internals, for a failure report
 *   hash LIST        sha256 of this writer's stream over the segment prefixes
 *                    LIST (a report's "delivered"), from its own segment list:
 *                    "hashed SHA lost L maxlost M" or "hashbad WHY"
 * Unsolicited lines: "conn N" (host connected), "down" (connection or tty
 * gone), "fail WHY" (the stream read was wrong; reading goes on unchecked).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer-io.h"
#include "sha256.h"

#define HDR_LEN 17u
#define CHUNK_MAX 65536u
#define RETRY_MS 100     /* reconnect attempts between inotify events */
#define RESEND_MAX 2048u /* the guest -> dom0 half of the ring */

/* ---- the stream ---- */

static unsigned char pattern_byte(uint64_t seed, uint64_t o)
{
	unsigned char b = (unsigned char)(peer_mix(seed ^ (o >> 3)) >> ((o & 7) * 8));
	return b == 0xff ? 0xfe : b;
}

/* Bytes [off, off + n) of a segment that starts at seg. */
static void stream_fill(unsigned char *b, size_t n, uint64_t off, uint64_t seg, uint64_t seed)
{
	char hex[17];
	snprintf(hex, sizeof(hex), "%016" PRIx64, seg);
	for (size_t i = 0; i < n; i++) {
		uint64_t o = off + i, k = o - seg;
		if (k == 0)
			b[i] = 0xff;
		else if (k < HDR_LEN)
			b[i] = (unsigned char)hex[k - 1];
		else
			b[i] = pattern_byte(seed, o);
	}
}

static void hexdigest(struct sha256 *h, char out[65])
{
	struct sha256 c = *h; /* the running hash goes on */
	uint8_t d[32];
	sha256_final(&c, d);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static uint64_t rng_next(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	return peer_mix(*s);
}

/* ---- writer ---- */

struct tx {
	uint64_t seed, rng;
	uint64_t off; /* bytes accepted so far */
	uint64_t seg; /* start of the current segment */
	int in_seg;   /* a segment is open on the current fd */
	int held;
	double resume_at; /* a short pause ends */
	uint64_t *segs;
	size_t nsegs, cap;
	struct sha256 h;
	unsigned char buf[CHUNK_MAX];
	size_t len, pos;
};

static void tx_new_fd(struct tx *t)
{
	t->in_seg = 0;
	t->len = t->pos = 0;
}

static int tx_start_segment(struct tx *t)
{
	if (t->nsegs && t->segs[t->nsegs - 1] == t->off)
		t->nsegs--; /* the last one never got a byte through: it was none */
	if (t->nsegs == t->cap) {
		size_t n = t->cap ? 2 * t->cap : 64;
		uint64_t *s = realloc(t->segs, n * sizeof(*s));
		if (!s)
			return -1;
		t->segs = s;
		t->cap = n;
	}
	t->segs[t->nsegs++] = t->off;
	t->seg = t->off;
	t->in_seg = 1;
	return 0;
}

/* The next chunk: log-uniform sizes from 1 byte to 64 KiB. */
static void tx_next_chunk(struct tx *t)
{
	uint64_t r = rng_next(&t->rng);
	size_t n = 1 + (size_t)((r >> 8) & ((1u << (r % 17)) - 1));
	if (n > CHUNK_MAX)
		n = CHUNK_MAX;
	stream_fill(t->buf, n, t->off, t->seg, t->seed);
	t->len = n;
	t->pos = 0;
	/* now and then a pause, so the rings run empty as well as full */
	if ((r >> 40) % 32 == 0)
		t->resume_at = peer_now() + (double)((r >> 48) % 3000) / 1e6;
}

static uint64_t tx_seglen(const struct tx *t, size_t i)
{
	return (i + 1 < t->nsegs ? t->segs[i + 1] : t->off) - t->segs[i];
}

/* "hash LIST": see the header comment. */
static void tx_hash(struct tx *t, char *list)
{
	struct sha256 h;
	sha256_init(&h);
	uint64_t lost = 0, maxlost = 0;
	size_t next = 0; /* first segment not accounted for yet */
	static unsigned char b[CHUNK_MAX];
	char why[256] = "";
	for (char *save, *tok = strtok_r(list, " ", &save); tok && !*why;
	     tok = strtok_r(NULL, " ", &save)) {
		size_t j = next;
		uint64_t got;
		if (tok[0] == 'S' && tok[1] == ':') {
			uint64_t a, n;
			if (sscanf(tok + 2, "%" SCNu64 ":%" SCNu64, &a, &n) != 2) {
				snprintf(why, sizeof(why), "bad entry '%.40s'", tok);
				break;
			}
			while (j < t->nsegs && t->segs[j] != a)
				j++;
			if (j == t->nsegs) {
				snprintf(why, sizeof(why),
				         "entry %s: no segment of mine starts there (after the "
				         "previous entry)",
				         tok);
				break;
			}
			if (n > tx_seglen(t, j)) {
				snprintf(why, sizeof(why),
				         "entry %s: more than the %" PRIu64
				         " bytes I wrote in that "
				         "segment",
				         tok, tx_seglen(t, j));
				break;
			}
			for (uint64_t o = a; o < a + n;) {
				size_t k = a + n - o < sizeof(b) ? (size_t)(a + n - o) : sizeof(b);
				stream_fill(b, k, o, a, t->seed);
				sha256_update(&h, b, k);
				o += k;
			}
			got = n;
		} else if (tok[0] == 'T' && tok[1] == ':') {
			const char *d = tok + 2;
			char hex[17];
			for (; j < t->nsegs; j++) {
				snprintf(hex, sizeof(hex), "%016" PRIx64, t->segs[j]);
				if (!strncmp(hex, d, strlen(d)) && strlen(d) < tx_seglen(t, j))
					break;
			}
			if (j == t->nsegs || strlen(d) > 16) {
				snprintf(
				    why, sizeof(why),
				    "truncated header %s matches no segment after the previous "
				    "entry",
				    tok);
				break;
			}
			sha256_update(&h, "\xff", 1);
			sha256_update(&h, d, strlen(d));
			got = 1 + strlen(d);
		} else {
			snprintf(why, sizeof(why), "bad entry '%.40s'", tok);
			break;
		}
		for (; next < j; next++) { /* segments that delivered nothing */
			uint64_t l = tx_seglen(t, next);
			lost += l;
			maxlost = l > maxlost ? l : maxlost;
		}
		uint64_t l = tx_seglen(t, j) - got;
		lost += l;
		maxlost = l > maxlost ? l : maxlost;
		next = j + 1;
	}
	if (*why) {
		printf("hashbad %s; my segments:", why);
		for (size_t i = 0; i < t->nsegs; i++)
			printf(" %" PRIu64 ":%" PRIu64, t->segs[i], tx_seglen(t, i));
		printf("\n");
		return;
	}
	for (; next < t->nsegs; next++) {
		uint64_t l = tx_seglen(t, next);
		lost += l;
		maxlost = l > maxlost ? l : maxlost;
	}
	char hex[65];
	hexdigest(&h, hex);
	printf("hashed %s lost %" PRIu64 " maxlost %" PRIu64 "\n", hex, lost, maxlost);
}

/* ---- reader ---- */

enum rx_mode { RX_START, RX_DATA, RX_HDR };

struct rx {
	uint64_t seed;
	enum rx_mode mode;
	uint64_t exp; /* next offset expected in RX_DATA */
	uint64_t cut; /* where the previous segment stopped arriving */
	uint64_t seg; /* start of the segment being received */
	int have_seg;
	char hdr[17];
	unsigned hn;
	uint64_t got;    /* bytes of the stream, resent ones not counted */
	struct sha256 h; /* over the same bytes */
	char *delivered; /* "S:start:len" and "T:digits" entries */
	size_t dlen, dcap;
	int failed;
	/* A new connection may start with a resend of the end of the old one
	 * (see resend_begin): the lengths that still fit what came so far. */
	int resync;
	uint16_t cand[RESEND_MAX + 1];
	unsigned ncand;
	unsigned char pend[64];
	unsigned pn;
	uint64_t skip_off, skip_left; /* decided: old bytes still to come */
	uint64_t raw, resent, resends, max_resend;
};

static void rx_entry(struct rx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void rx_entry(struct rx *r, const char *fmt, ...)
{
	char e[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e, sizeof(e), fmt, ap);
	va_end(ap);
	if (r->dlen + (size_t)n + 2 > r->dcap) {
		size_t c = r->dcap ? 2 * r->dcap : 4096;
		char *p = realloc(r->delivered, c);
		if (!p)
			return;
		r->delivered = p;
		r->dcap = c;
	}
	if (r->dlen)
		r->delivered[r->dlen++] = ' ';
	memcpy(r->delivered + r->dlen, e, (size_t)n + 1);
	r->dlen += (size_t)n;
}

static void rx_fail(struct rx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void rx_fail(struct rx *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("fail ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	r->failed = 1;
}

/* A data byte was not the one expected at r->exp: say what it looks like. */
static void rx_mismatch(struct rx *r, const unsigned char *b, size_t n)
{
	size_t k = n < 32 ? n : 32;
	uint64_t lo = r->seg + HDR_LEN;
	for (uint64_t d = 1; d <= (1u << 20) && d <= r->exp && r->exp - d >= lo; d++) {
		size_t i = 0;
		while (i < k && b[i] == pattern_byte(r->seed, r->exp - d + i))
			i++;
		if (i == k) {
			rx_fail(r,
			        "offset %" PRIu64 " (segment %" PRIu64 "): the bytes repeat offset "
			        "%" PRIu64 " (%" PRIu64 " bytes duplicated, %zu compared)",
			        r->exp, r->seg, r->exp - d, d, k);
			return;
		}
	}
	for (uint64_t d = 1; d <= (1u << 20); d++) {
		size_t i = 0;
		while (i < k && b[i] == pattern_byte(r->seed, r->exp + d + i))
			i++;
		if (i == k) {
			rx_fail(r,
			        "offset %" PRIu64 " (segment %" PRIu64 "): the stream goes on at "
			        "offset %" PRIu64 " (%" PRIu64 " bytes lost inside a segment)",
			        r->exp, r->seg, r->exp + d, d);
			return;
		}
	}
	rx_fail(r, "offset %" PRIu64 " (segment %" PRIu64 "): byte 0x%02x, expected 0x%02x", r->exp,
	        r->seg, b[0], pattern_byte(r->seed, r->exp));
}

static void rx_header_done(struct rx *r)
{
	r->hdr[16] = '\0';
	char *end;
	uint64_t a = strtoull(r->hdr, &end, 16);
	if (a < r->cut || (r->have_seg && a <= r->seg)) {
		rx_fail(r,
		        "segment header says %" PRIu64 " after the stream reached %" PRIu64
		        ": out of order or repeated",
		        a, r->cut);
		return;
	}
	r->seg = a;
	r->have_seg = 1;
	r->exp = a + HDR_LEN;
	r->mode = RX_DATA;
}

static void rx_check(struct rx *r, const unsigned char *b, size_t n)
{
	static unsigned char want[4096];
	sha256_update(&r->h, b, n);
	r->got += n;
	size_t i = 0;
	while (i < n && !r->failed) {
		switch (r->mode) {
		case RX_START:
			if (b[i] != 0xff) {
				rx_fail(r,
				        "the stream does not start with a segment header (0x%02x)",
				        b[i]);
				break;
			}
			r->mode = RX_HDR;
			r->hn = 0;
			r->cut = 0;
			i++;
			break;
		case RX_DATA: {
			size_t m = n - i < sizeof(want) ? n - i : sizeof(want), k = 0;
			for (size_t j = 0; j < m; j++)
				want[j] = pattern_byte(r->seed, r->exp + j);
			while (k < m && want[k] == b[i + k])
				k++;
			r->exp += k;
			i += k;
			if (k == m)
				break;
			if (b[i] != 0xff) {
				rx_mismatch(r, b + i, n - i);
				break;
			}
			/* the segment stopped here: a new one starts */
			rx_entry(r, "S:%" PRIu64 ":%" PRIu64, r->seg, r->exp - r->seg);
			r->have_seg = 0;
			r->cut = r->exp;
			r->mode = RX_HDR;
			r->hn = 0;
			i++;
			break;
		}
		case RX_HDR: {
			unsigned char c = b[i];
			if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
				r->hdr[r->hn++] = (char)c;
				i++;
				if (r->hn == 16)
					rx_header_done(r);
			} else if (c == 0xff) {
				r->hdr[r->hn] = '\0';
				rx_entry(r, "T:%s", r->hdr);
				r->hn = 0;
				i++;
			} else {
				rx_fail(r, "segment header after offset %" PRIu64 ": byte 0x%02x",
				        r->cut, c);
			}
			break;
		}
		}
	}
}

/*
 * The resend. xenchanneld advances the ring's consumer index after its write
 * to the client returned; killed in between (SIGKILL lands on return from the
 * write), it leaves those bytes in the ring and the next instance sends them
 * again. So a connection that follows a killed daemon may begin with the last
 * d bytes already received, d <= RESEND_MAX (one write of the out ring), and
 * then go on exactly where the stream was. Only that is let through: the
 * resent bytes must equal what came before, they are counted, and they are
 * left out of the checked stream and its hash.
 */
static void resend_begin(struct rx *r)
{
	r->resync = 0;
	if (r->mode != RX_DATA || r->failed)
		return; /* (a cut inside a header is not worth modelling) */
	uint64_t most = r->exp - r->seg < RESEND_MAX ? r->exp - r->seg : RESEND_MAX;
	for (unsigned d = 0; d <= most; d++)
		r->cand[d] = (uint16_t)d;
	r->ncand = (unsigned)most + 1;
	r->pn = 0;
	r->resync = 1;
}

static unsigned char rx_stream_byte(const struct rx *r, uint64_t o)
{
	unsigned char b;
	stream_fill(&b, 1, o, r->seg, r->seed);
	return b;
}

/* Settle on a resend of d bytes: what is pending beyond it is new. */
static void resend_end(struct rx *r, unsigned d)
{
	r->resync = 0;
	if (d) {
		r->resent += d;
		r->resends++;
		r->max_resend = d > r->max_resend ? d : r->max_resend;
	}
	if (d >= r->pn) {
		/* the resend goes on past what came so far */
		r->skip_off = r->exp - d + r->pn;
		r->skip_left = d - r->pn;
		return;
	}
	rx_check(r, r->pend + d, r->pn - d);
}

/* Feed one byte through the candidates; 1 once decided. */
static int resend_step(struct rx *r, unsigned char c)
{
	unsigned i = r->pn, k = 0, boundary = 0;
	r->pend[r->pn++] = c;
	for (unsigned j = 0; j < r->ncand; j++) {
		unsigned d = r->cand[j];
		/* inside the resend: an old byte; after it: the stream goes on */
		unsigned char want = rx_stream_byte(r, r->exp - d + i);
		if (want == c || (c == 0xff && i >= d)) {
			r->cand[k++] = (uint16_t)d;
			boundary |= c == 0xff;
		}
	}
	r->ncand = k;
	if (k == 0) {
		resend_end(r, 0); /* fails at the first byte that fits nothing */
		return 1;
	}
	if (k == 1 || boundary || r->pn == sizeof(r->pend)) {
		resend_end(r, r->cand[0]); /* ties: the smallest resend */
		return 1;
	}
	return 0;
}

static void rx_feed(struct rx *r, const unsigned char *b, size_t n)
{
	r->raw += n;
	size_t i = 0;
	while (r->resync && i < n)
		resend_step(r, b[i++]);
	for (; r->skip_left && i < n && !r->failed; i++) {
		if (b[i] != rx_stream_byte(r, r->skip_off))
			rx_fail(r,
			        "offset %" PRIu64 " (segment %" PRIu64 "): byte 0x%02x of a resend "
			        "after a reconnection is not the one received before",
			        r->skip_off, r->seg, b[i]);
		r->skip_off++;
		r->skip_left--;
	}
	if (i < n)
		rx_check(r, b + i, n - i);
}

/* ---- the peer ---- */

static struct {
	int guest;
	const char *path;
	int fd, ino;
	int wdead; /* writing failed: read what is still queued, then close */
	int sndbuf;
	unsigned conns, downs;
	struct tx tx;
	struct rx rx;
	int marked;
	uint64_t mark_got;
	int expecting;
	uint64_t expect;
} P = {.fd = -1, .ino = -1};

static void lose_fd(void)
{
	/* Gone in the middle of a resend (killed again): what came was old
	 * bytes, checked; the next connection resends from the ring again. */
	if (P.rx.resync)
		resend_end(&P.rx, P.rx.cand[0] < P.rx.pn ? P.rx.cand[0] : P.rx.pn);
	P.rx.skip_left = 0;
	close(P.fd);
	P.fd = -1;
	P.wdead = 0;
	P.downs++;
	tx_new_fd(&P.tx);
	printf("down\n");
}

static void try_connect(void)
{
	int fd = peer_connect(P.path);
	if (fd < 0)
		return; /* not there yet, or stale: inotify or the retry brings us back */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	int sb = 0;
	socklen_t sl = sizeof(sb);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, &sl) == 0 && sb > P.sndbuf)
		P.sndbuf = sb;
	P.fd = fd;
	P.conns++;
	tx_new_fd(&P.tx);
	if (P.conns > 1)
		resend_begin(&P.rx);
	printf("conn %u\n", P.conns);
}

static int open_tty(void)
{
	int fd = peer_open_tty(P.path, O_NONBLOCK);
	if (fd < 0) {
		printf("error open %s: %s\n", P.path, strerror(errno));
		return -1;
	}
	P.fd = fd;
	P.conns++;
	tx_new_fd(&P.tx);
	printf("open %u\n", P.conns);
	return 0;
}

static void report(void)
{
	char s[65], r[65];
	hexdigest(&P.tx.h, s);
	hexdigest(&P.rx.h, r);
	printf("{\"sent\": %" PRIu64 ", \"segments\": %zu, \"send_sha256\": \"%s\", "
	       "\"got\": %" PRIu64 ", \"recv_sha256\": \"%s\", \"conns\": %u, \"downs\": %u, "
	       "\"sndbuf\": %d, \"failed\": %d, \"raw\": %" PRIu64 ", \"resent\": %" PRIu64
	       ", \"resends\": %" PRIu64 ", \"max_resend\": %" PRIu64 ", \"delivered\": \"",
	       P.tx.off, P.tx.nsegs, s, P.rx.got, r, P.conns, P.downs, P.sndbuf, P.rx.failed,
	       P.rx.raw, P.rx.resent, P.rx.resends, P.rx.max_resend);
	if (P.rx.delivered)
		fputs(P.rx.delivered, stdout);
	if (P.rx.have_seg)
		printf("%sS:%" PRIu64 ":%" PRIu64, P.rx.dlen ? " " : "", P.rx.seg,
		       P.rx.exp - P.rx.seg);
	else if (P.rx.mode == RX_HDR)
		printf("%sT:%.*s", P.rx.dlen ? " " : "", (int)P.rx.hn, P.rx.hdr);
	printf("\"}\n");
}

static void check_waiters(void)
{
	if (P.marked && P.rx.got > P.mark_got) {
		P.marked = 0;
		printf("moved\n");
	}
	if (P.expecting && (P.rx.failed || (P.rx.mode == RX_DATA && P.rx.exp >= P.expect))) {
		P.expecting = 0;
		printf("done %" PRIu64 "\n", P.rx.mode == RX_DATA ? P.rx.exp : 0);
	}
}

static int command(char *line)
{
	if (!strcmp(line, "hold")) {
		P.tx.held = 1;
		printf("held %" PRIu64 "\n", P.tx.off);
	} else if (!strcmp(line, "go")) {
		P.tx.held = 0;
	} else if (!strcmp(line, "reopen") && P.guest) {
		if (P.fd >= 0)
			printf("error reopen: the tty is open\n");
		else
			open_tty();
	} else if (!strcmp(line, "mark")) {
		P.marked = 1;
		P.mark_got = P.rx.got;
	} else if (!strncmp(line, "expect ", 7)) {
		P.expecting = 1;
		P.expect = strtoull(line + 7, NULL, 10);
	} else if (!strcmp(line, "report")) {
		report();
	} else if (!strncmp(line, "hash ", 5) || !strcmp(line, "hash")) {
		tx_hash(&P.tx, line + 4);
	} else if (!strcmp(line, "state")) {
		printf("state fd %d wdead %d held %d sent %" PRIu64
		       " pending %zu mode %d exp %" PRIu64 " got %" PRIu64 " raw %" PRIu64
		       " resync %d/%u/%u conns %u downs %u\n",
		       P.fd, P.wdead, P.tx.held, P.tx.off, P.tx.len - P.tx.pos, (int)P.rx.mode,
		       P.rx.exp, P.rx.got, P.rx.raw, P.rx.resync, P.rx.ncand, P.rx.pn, P.conns,
		       P.downs);
	} else if (!strcmp(line, "quit")) {
		return 1;
	} else {
		printf("error unknown command '%.40s'\n", line);
	}
	return 0;
}

/* Read commands; 1 when told to quit (or stdin closed). */
static int read_commands(void)
{
	static char buf[1 << 20];
	static size_t have;
	ssize_t n = read(0, buf + have, sizeof(buf) - 1 - have);
	if (n == 0)
		return 1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	have += (size_t)n;
	char *p = buf, *nl;
	while ((nl = memchr(p, '\n', have - (size_t)(p - buf)))) {
		*nl = '\0';
		if (command(p))
			return 1;
		p = nl + 1;
	}
	have -= (size_t)(p - buf);
	memmove(buf, p, have);
	check_waiters(); /* what a new mark or expect waits for may be here already */
	if (have == sizeof(buf) - 1)
		return 1; /* a line that long is no command of ours */
	return 0;
}

static void do_read(void)
{
	static unsigned char buf[CHUNK_MAX];
	size_t want = 1 + (size_t)(rng_next(&P.tx.rng) % sizeof(buf));
	ssize_t n = read(P.fd, buf, want);
	if (n > 0) {
		rx_feed(&P.rx, buf, (size_t)n);
		check_waiters();
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		lose_fd();
	}
}

static void do_write(void)
{
	struct tx *t = &P.tx;
	if (t->pos == t->len) {
		if (!t->in_seg && tx_start_segment(t) < 0)
			return;
		tx_next_chunk(t);
		if (t->resume_at > peer_now())
			return;
	}
	ssize_t n = send(P.fd, t->buf + t->pos, t->len - t->pos, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && errno == ENOTSOCK)
		n = write(P.fd, t->buf + t->pos, t->len - t->pos);
	if (n > 0) {
		sha256_update(&t->h, t->buf + t->pos, (size_t)n);
		t->pos += (size_t)n;
		t->off += (uint64_t)n;
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* The bytes the other side sent before it went are still ours to
		 * read: the read side closes the fd when it reaches the end. */
		P.wdead = 1;
	}
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "host") && strcmp(argv[1], "guest"))) {
		fprintf(stderr, "usage: soak-peer host|guest PATH SEND_SEED RECV_SEED\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	P.guest = !strcmp(argv[1], "guest");
	P.path = argv[2];
	P.tx.seed = strtoull(argv[3], NULL, 0);
	P.tx.rng = P.tx.seed ^ 0x5eed;
	P.rx.seed = strtoull(argv[4], NULL, 0);
	sha256_init(&P.tx.h);
	sha256_init(&P.rx.h);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	if (P.guest) {
		if (open_tty() < 0)
			return 1;
	} else {
		P.ino = peer_watch_dir(P.path); /* (without it: the retry timer) */
		try_connect();
	}
	for (;;) {
		struct tx *t = &P.tx;
		double now = peer_now();
		int writing = P.fd >= 0 && !t->held && !P.wdead,
		    paused = writing && t->resume_at > now;
		struct pollfd p[3] = {{.fd = 0, .events = POLLIN},
		                      {.fd = P.fd, .events = POLLIN},
		                      {.fd = P.fd < 0 && !P.guest ? P.ino : -1, .events = POLLIN}};
		if (writing && !paused)
			p[1].events |= POLLOUT;
		int timeout = -1;
		if (paused)
			timeout = (int)((t->resume_at - now) * 1000) + 1;
		if (P.fd < 0 && !P.guest)
			timeout = RETRY_MS;
		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			return 1;
		if ((p[0].revents & (POLLIN | POLLHUP)) && read_commands())
			return 0;
		if (P.fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			do_read();
		/* (a "hold" read just now stops the write the poll asked for) */
		if (P.fd >= 0 && (p[1].revents & POLLOUT) && !t->held && !P.wdead)
			do_write();
		if (P.fd < 0 && !P.guest) {
			char buf[4096];
			while (P.ino >= 0 && read(P.ino, buf, sizeof(buf)) > 0)
				;
			try_connect();
		}
	}
}
