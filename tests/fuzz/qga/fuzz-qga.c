/*
 * fuzz-qga.c - libFuzzer target for the dom0 client of qemu-guest-agent
 * (qga.h): what a guest's agent, untrusted, sends back on the channel.
 *
 * A whole session on a socketpair, the production code from the socket on:
 * qga_chan_adopt() on one end, the fuzzer playing the agent on the other, a
 * fake clock, no threads. qga.c is built in with its reply limits scaled
 * down (meson.build): a 16 MiB reply takes a second under ASan, 4 KiB
 * do not. Byte 0 sets the session up:
 *   bits 0-2  the command: read-only, plain, answer-less, with arguments;
 *   bits 3-4  the id seed (0, the top of the range, two others);
 *   bit 5     the command is queued before the handshake (as qga_run does),
 *             else once the channel is synced;
 *   bit 6     a second command once the first has its result.
 * The rest is what the agent sends, in chunks split at NUL bytes; after each
 * chunk the client does its I/O and what it wrote is read back. In a chunk:
 *   $S $C $F $N  the last sync id the client sent, its last command id (0
 *                before one), its first id and the next (not sent yet), in
 *                decimal: the agent can hit the ids whatever the seed;
 *   $E           what the client wrote last (a tty that echoes);
 *   $T           what came before is sent, and the clock jumps to the
 *                client's next timer (a repeat of the handshake, a probe),
 *                which runs before the client reads it (after, with a NUL
 *                first);
 *   $D           what came before is sent, and the agent's end closes (the
 *                domain went away): the client reads it, then the end of
 *                the stream, and nothing it writes arrives any more;
 *   $< ... $>    the text between is repeated to fill UNIT_FILL bytes
 *                (huge replies, deep nesting), at most AG_MAX in all;
 *   $0 $$        a NUL, a '$'.
 * Invariants, checked with abort():
 *   - a result is QGA_OK with the "return" of an object the agent sent with
 *     the id the client last sent the command with (answer-less commands:
 *     or {}), QGA_GUEST_ERROR with such an object's "error", which has a
 *     "class" string, or QGA_NO_ANSWER without a value; the message is one
 *     line of printable ASCII, not empty unless the status is QGA_OK;
 *   - a result does not change once it is there (later replies, timers);
 *   - what the client writes is a 0xFF or a JSON request with a new id,
 *     from its first one up; a command goes out at most 1 + QGA_MAX_RETRIES
 *     times, and once if it is not read-only;
 *   - the heap the client holds stays within HEAP_MAX (malloc hooks), and
 *     ASan finds no leak.
 */
#include <sanitizer/allocator_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xenchannel/host.h"
#include "xenchannel/qga.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-qga: %s:%d: invariant failed: %s\n", __FILE__,       \
			        __LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Only the client is explored: the driver, the checks and the malloc hooks
 * are out of the coverage (a third of the time of a run went to their
 * features), and out of libFuzzer's table of compared values (heap
 * addresses there made the exploration differ from run to run). */
#define NOCOV __attribute__((no_sanitize("coverage"), noinline))

/* What a $< $> adds, and what the agent may send in all: past the reply
 * cap, so both sides of it are reached. */
#define UNIT_FILL (QGA_MAX_REPLY / 8)
#define AG_MAX (QGA_MAX_REPLY + QGA_MAX_REPLY / 4)
/* The reply text, jansson's copies of it and the tree (a parsed value takes
 * up to ~200 bytes), and the channel itself. A reply's tree was 70 times its
 * text before the value limit. */
#define HEAP_MAX ((int64_t)4 * QGA_MAX_REPLY + (int64_t)256 * QGA_MAX_VALUES + (int64_t)(64 << 10))
/* Bytes the model may parse when it looks for a result's object. */
#define MODEL_BUDGET ((size_t)1 << 20)

static const struct {
	const char *name, *args;
} commands[8] = {
    {"guest-info", NULL},
    {"guest-network-get-interfaces", NULL},
    {"guest-ping", NULL},
    {"guest-shutdown", "{\"mode\": \"powerdown\"}"},
    {"guest-exec", "{\"path\": \"/bin/true\", \"capture-output\": true}"},
    {"guest-fsfreeze-freeze", NULL},
    {"guest-file-read", "{\"handle\": 1000, \"count\": 4096}"},
    {"guest-suspend-ram", NULL},
};
static const uint32_t seeds[4] = {0, 0x3fffffff, 1, 0x12345};
static json_t *args[8]; /* the commands' arguments, parsed once */

/* The heap the client holds: counted only inside its calls. */
static int tracking, trace;
static int64_t live, peak;

NOCOV static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	if (__atomic_load_n(&tracking, __ATOMIC_RELAXED)) {
		int64_t l = __atomic_add_fetch(&live, (int64_t)n, __ATOMIC_RELAXED);
		if (l > peak)
			peak = l;
	}
}

NOCOV static void on_free(const volatile void *p)
{
	if (p && __atomic_load_n(&tracking, __ATOMIC_RELAXED) &&
	    __sanitizer_get_ownership((const void *)p))
		__atomic_sub_fetch(&live, (int64_t)__sanitizer_get_allocated_size((const void *)p),
		                   __ATOMIC_RELAXED);
}

/* One session. */
static struct qga_chan *c;
static int peer;
static uint64_t fake_now;
static const char *cmd_name;
static json_t *cmd_args;
/* the agent's side: what it produced, what of it was sent */
static uint8_t ag[AG_MAX];
static size_t aglen, agsent;
/* what of it the client has read for sure: before the step being run, and
 * before the step its command last went out in (a reply begins after) */
static size_t consumed, step_from, cmd_from;
/* the client's side: requests not parsed yet, and the last bytes read */
static uint8_t cout[1 << 16], last[1 << 16];
static size_t coutlen, lastlen;
static json_int_t first_id, last_id, last_sync, last_cmd;
/* the command being checked: phase 1, then 2 with bit 6 */
static int phase, done;
static unsigned cmd_sends;
static json_int_t phase_cmd;
static enum qga_status res_st;
static const json_t *res_val;
static char res_msg[600];

static uint64_t clock_now(void)
{
	return fake_now;
}

/* One client request, written by our own code: its shape is checked. */
NOCOV static void on_request(json_t *r)
{
	const char *ex = json_string_value(json_object_get(r, "execute"));
	json_t *id = json_object_get(r, "id");
	CHECK(ex && json_is_integer(id));
	json_int_t n = json_integer_value(id);
	if (trace)
		fprintf(stderr, "fuzz-qga: request %s %lld\n", ex, (long long)n);
	if (first_id == 0) {
		CHECK(!strcmp(ex, "guest-sync-delimited"));
		first_id = n;
	}
	CHECK(n >= first_id && n > last_id);
	last_id = n;
	if (!strcmp(ex, "guest-sync-delimited")) {
		json_t *a = json_object_get(json_object_get(r, "arguments"), "id");
		CHECK(json_is_integer(a) && json_integer_value(a) == n);
		last_sync = n;
		return;
	}
	CHECK(!strcmp(ex, cmd_name));
	json_t *a = json_object_get(r, "arguments");
	CHECK(cmd_args ? json_equal(a, cmd_args) : !a);
	last_cmd = phase_cmd = n;
	cmd_from = step_from;
	cmd_sends++;
	CHECK(cmd_sends <= 1 + QGA_MAX_RETRIES);
	CHECK(cmd_sends == 1 || qga_idempotent(cmd_name));
}

/* Read what the client wrote: 0xFF delimiters and JSON requests. */
NOCOV static void drain(void)
{
	lastlen = 0;
	while (peer >= 0) {
		ssize_t n = recv(peer, last + lastlen, sizeof(last) - lastlen, MSG_DONTWAIT);
		if (n <= 0)
			break;
		CHECK(coutlen + (size_t)n <= sizeof(cout));
		memcpy(cout + coutlen, last + lastlen, (size_t)n);
		coutlen += (size_t)n;
		lastlen += (size_t)n;
		if (lastlen < sizeof(last))
			break; /* a short read: the socket is empty */
		lastlen = 0;
	}
	size_t pos = 0;
	while (pos < coutlen) {
		if (cout[pos] == 0xff) {
			pos++;
			continue;
		}
		json_error_t je;
		json_t *r = json_loadb((const char *)cout + pos, coutlen - pos,
		                       JSON_DISABLE_EOF_CHECK, &je);
		if (!r) {
			CHECK(json_error_code(&je) == json_error_premature_end_of_input);
			break; /* the rest comes with the next send */
		}
		pos += je.position;
		on_request(r);
		json_decref(r);
	}
	memmove(cout, cout + pos, coutlen - pos);
	coutlen -= pos;
}

NOCOV static int printable_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Does the object at p start with a key a reply has? Only the order of the
 * search: any other key may come first. */
NOCOV static int reply_like(const uint8_t *p, size_t n)
{
	static const char *const keys[] = {"\"return\"", "\"error\"", "\"id\""};
	size_t i = 1;
	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
		i++;
	for (size_t k = 0; k < 3; k++)
		if (n - i >= strlen(keys[k]) && !memcmp(p + i, keys[k], strlen(keys[k])))
			return 1;
	return 0;
}

/* Is v the "return" (err: the "error") of an object the agent sent with the
 * id id, after the command went out? Every '{' from cmd_from is tried, the
 * objects the client can have taken are among them: those that look like a
 * reply first, the last first (a reply has just come). -1: undecided, the
 * search went over its budget. */
NOCOV static int model_sent(json_int_t id, const json_t *v, int err)
{
	size_t cost = 0;
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *from = ag + cmd_from;
		for (const uint8_t *p = ag + agsent;
		     (p = memrchr(from, '{', (size_t)(p - from)));) {
			size_t n = agsent - (size_t)(p - ag);
			if (reply_like(p, n) == pass)
				continue;
			json_error_t je;
			json_t *o = json_loadb((const char *)p, n, JSON_DISABLE_EOF_CHECK, &je);
			cost += je.position + 1;
			int hit = 0;
			if (o) {
				json_t *oid = json_object_get(o, "id");
				json_t *e = json_object_get(o, "error");
				hit = json_is_integer(oid) && json_integer_value(oid) == id &&
				      !json_object_get(o, "execute") &&
				      (err ? e && json_equal(e, v)
				           : !e && json_equal(json_object_get(o, "return"), v));
			}
			json_decref(o);
			if (hit)
				return 1;
			if (cost > MODEL_BUDGET)
				return -1;
		}
	}
	return 0;
}

NOCOV static void check_result(void)
{
	const json_t *v;
	const char *m;
	enum qga_status st = qga_chan_result(c, &v, &m);
	if (done) { /* unchanged */
		CHECK(st == res_st && v == res_val && !strcmp(m, res_msg));
		return;
	}
	if (trace) {
		char *j = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		fprintf(stderr, "fuzz-qga: command %d: %s: id %lld, status %d, %.200s, %s\n", phase,
		        cmd_name, (long long)phase_cmd, st, j ? j : "no value", m);
		free(j);
	}
	CHECK(strlen(m) < sizeof(res_msg) && printable_line(m));
	switch (st) {
	case QGA_OK:
		CHECK(v && phase_cmd);
		if (qga_no_reply(cmd_name) && json_is_object(v) && json_object_size(v) == 0)
			break;
		CHECK(model_sent(phase_cmd, v, 0) != 0);
		break;
	case QGA_GUEST_ERROR:
		CHECK(v && phase_cmd && m[0]);
		CHECK(json_is_string(json_object_get(v, "class")));
		CHECK(model_sent(phase_cmd, v, 1) != 0);
		break;
	case QGA_NO_ANSWER:
		CHECK(!v && m[0]);
		break;
	default:
		CHECK(!"a known status");
	}
	res_st = st;
	res_val = v;
	snprintf(res_msg, sizeof(res_msg), "%s", m);
	done = 1;
}

NOCOV static void queue_command(void)
{
	char err[300];
	tracking = 1;
	int rc = qga_chan_command(c, cmd_name, cmd_args, err, sizeof(err));
	tracking = 0;
	CHECK(rc == 0);
	phase++;
	done = 0;
	cmd_sends = 0;
	phase_cmd = 0;
}

NOCOV static void check_heap(void)
{
	CHECK(peak <= HEAP_MAX);
}

/* The client does its I/O; its results are checked; the second command
 * goes once the first has its result. */
NOCOV static void step(unsigned revents)
{
	step_from = consumed;
	tracking = 1;
	int r = qga_chan_io(c, revents);
	tracking = 0;
	if (revents & HOST_READ)
		consumed = agsent; /* it reads until the socket is empty */
	check_heap();
	drain();
	if (phase > 0 && (r || done))
		check_result();
	if (phase == 0 && qga_chan_is_synced(c)) {
		queue_command();
		step(HOST_WRITE); /* the loop sees it writable: the command goes out */
	}
}

/* Send what the agent produced; the client reads whenever the socket is
 * full. */
NOCOV static void flush_agent(void)
{
	while (agsent < aglen) {
		ssize_t n =
		    peer < 0 ? -1
		             : send(peer, ag + agsent, aglen - agsent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			agsent += (size_t)n;
			continue;
		}
		if (n < 0 && peer >= 0 && (qga_chan_events(c) & HOST_READ)) {
			step(HOST_READ);
			continue;
		}
		aglen = agsent; /* nobody reads any more: dropped */
	}
}

NOCOV static void put(const void *p, size_t n)
{
	if (n > AG_MAX - aglen)
		n = AG_MAX - aglen;
	memcpy(ag + aglen, p, n);
	aglen += n;
}

NOCOV static void put_id(json_int_t id)
{
	char b[32];
	put(b, (size_t)snprintf(b, sizeof(b), "%lld", (long long)id));
}

/* One chunk: expanded into ag, then sent, then the client's turn. */
NOCOV static void chunk(const uint8_t *p, size_t n)
{
	size_t unit = SIZE_MAX; /* where the text of a $< began */
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d = memchr(p + i, '$', n - i);
		size_t lit = d ? (size_t)(d - p) - i : n - i;
		put(p + i, lit);
		if ((i += lit) + 1 >= n) {
			put(p + i, n - i); /* a '$' at the end is itself */
			break;
		}
		switch (p[++i]) {
		case 'S':
			put_id(last_sync);
			break;
		case 'C':
			put_id(last_cmd);
			break;
		case 'F':
			put_id(first_id);
			break;
		case 'N':
			put_id(last_id + 1);
			break;
		case 'E':
			put(last, lastlen);
			break;
		case 'T':
			flush_agent();
			if (qga_chan_next_ms(c) > fake_now)
				fake_now = qga_chan_next_ms(c);
			else
				fake_now += 1000;
			step(0);
			break;
		case 'D':
			flush_agent();
			if (peer >= 0)
				close(peer);
			peer = -1;
			break;
		case '<':
			unit = aglen;
			break;
		case '>':
			if (unit < aglen) {
				size_t len = aglen - unit, end = aglen + UNIT_FILL;
				while (aglen < end && aglen < AG_MAX)
					put(ag + unit, len);
			}
			unit = SIZE_MAX;
			break;
		case '0':
			put("", 1);
			break;
		default:
			put(p + i, 1);
			break;
		}
	}
	flush_agent();
	step(HOST_READ | HOST_WRITE);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	trace = getenv("FUZZ_QGA_TRACE") != NULL; /* each result on stderr */
	for (size_t i = 0; i < 8; i++)
		if (commands[i].args && !(args[i] = json_loads(commands[i].args, 0, NULL)))
			abort();
	if (!__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t cfg = data[0];
	cmd_name = commands[cfg & 7].name;
	cmd_args = args[cfg & 7];
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	peer = sv[1];
	fake_now = 1000000;
	aglen = agsent = coutlen = lastlen = consumed = step_from = cmd_from = 0;
	phase = done = 0;
	first_id = last_id = last_sync = last_cmd = phase_cmd = 0;
	live = peak = 0;
	char err[300];
	tracking = 1;
	c = qga_chan_adopt(sv[0], seeds[(cfg >> 3) & 3], clock_now, err, sizeof(err));
	tracking = 0;
	CHECK(c);
	if (!(cfg & 0x20))
		queue_command();
	step(HOST_WRITE); /* the handshake goes out */

	const uint8_t *p = data + 1, *end = data + size;
	while (p <= end) {
		const uint8_t *z = memchr(p, 0, (size_t)(end - p));
		if (!z)
			z = end;
		chunk(p, (size_t)(z - p));
		p = z + 1;
		if (phase == 1 && done && (cfg & 0x40)) {
			queue_command();
			step(HOST_WRITE);
		}
	}
	if (phase > 0 && !done) {
		tracking = 1;
		qga_chan_expire(c, "deadline");
		tracking = 0;
		check_result();
		CHECK(res_st == QGA_NO_ANSWER && !strncmp(res_msg, "deadline: ", 10));
	}
	tracking = 1;
	qga_chan_free(c);
	tracking = 0;
	if (trace)
		fprintf(stderr, "fuzz-qga: heap peak %lld bytes\n", (long long)peak);
	if (peer >= 0)
		close(peer);
	return 0;
}
