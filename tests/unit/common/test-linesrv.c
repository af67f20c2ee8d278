/*
 * test-linesrv.c - the one-request-line control server: a line in, the answer
 * out, then EOF; answers that come later; big answers to slow readers; lines
 * too long, clients too slow, clients gone; a server stopped mid-answer.
 * Client and server share one event loop, so every step is an event.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"
#include "xenchannel/linesrv.h"
#include "xenchannel/loop.h"

#define GUARD_MS 5000 /* reaching it fails the test; nothing waits for it */

static char dir[256];
static struct sockaddr_un sa = {.sun_family = AF_UNIX};
static struct loop *L;
static struct linesrv *S;

/* what the handler saw, and what it is told to do */
static struct {
	int calls;
	char line[128];
	struct linesrv_conn *held; /* answer later */
	int hold;
	size_t big; /* answer with this many bytes */
} H;

/* one client, reading on the same loop until EOF */
struct client {
	int fd;
	char *in;
	size_t len, cap;
	size_t chunk; /* bytes taken per wakeup: a slow reader */
	int eof;
};

static void guard_cb(struct loop *l, void *arg)
{
	fail_msg("no EOF within %d ms", GUARD_MS);
}

static void handler(struct linesrv_conn *c, char *line, void *arg)
{
	H.calls++;
	snprintf(H.line, sizeof(H.line), "%s", line);
	if (H.hold) {
		H.held = c;
		return;
	}
	if (H.big) {
		char block[4096];
		for (size_t off = 0; off < H.big; off += sizeof(block)) {
			size_t n = H.big - off < sizeof(block) ? H.big - off : sizeof(block);
			for (size_t i = 0; i < n; i++)
				block[i] = (char)((off + i) % 251);
			assert_int_equal(linesrv_write(c, block, n), 0);
		}
	} else {
		linesrv_printf(c, "you said '%s'\n", line);
	}
	linesrv_done(c);
}

static int setup(void **state)
{
	memset(&H, 0, sizeof(H));
	if (!ut_tmpdir(dir, sizeof(dir), "linesrv"))
		return -1;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s/s", dir) >=
	    sizeof(sa.sun_path))
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		return -1;
	L = loop_new();
	S = L ? linesrv_new(L, fd, 32, 200, handler, NULL) : NULL;
	return S && loop_timer(L, GUARD_MS, guard_cb, NULL) ? 0 : -1;
}

static int teardown(void **state)
{
	linesrv_free(S);
	loop_free(L);
	return ut_rmtree(dir);
}

static void client_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct client *c = arg;
	if (c->len + c->chunk > c->cap) {
		c->cap = (c->len + c->chunk) * 2;
		c->in = realloc(c->in, c->cap + 1);
	}
	ssize_t n = read(fd, c->in + c->len, c->chunk);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		c->eof = 1;
		loop_unwatch(l, fd);
		loop_stop(l);
		return;
	}
	c->len += (size_t)n;
	c->in[c->len] = '\0';
}

static void client_open(struct client *c, const char *send, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->chunk = 65536;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (len)
		assert_int_equal(write(c->fd, send, len), (ssize_t)len);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	assert_int_equal(loop_watch(L, c->fd, LOOP_READ, client_cb, c), 0);
}

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->in);
}

static void test_line_in_answer_out(void **state)
{
	struct client c;
	client_open(&c, "stats\r\n", 7);
	loop_run(L);
	assert_true(c.eof);
	assert_int_equal(H.calls, 1);
	assert_string_equal(H.line, "stats"); /* line end and \r dropped */
	assert_string_equal(c.in, "you said 'stats'\n");
	client_close(&c);
}

static void write_rest(struct loop *l, void *arg)
{
	struct client *c = arg;
	assert_int_equal(H.calls, 0); /* half a line is no request */
	assert_int_equal(write(c->fd, "ts\n", 3), 3);
}

static void test_line_in_pieces(void **state)
{
	struct client c;
	client_open(&c, "sta", 3);
	loop_timer(L, 20, write_rest, &c);
	loop_run(L);
	assert_string_equal(H.line, "stats");
	assert_string_equal(c.in, "you said 'stats'\n");
	client_close(&c);
}

static void answer_later(struct loop *l, void *arg)
{
	assert_non_null(H.held);
	linesrv_printf(H.held, "done\n");
	linesrv_done(H.held);
	H.held = NULL;
}

static void test_answer_later(void **state)
{
	H.hold = 1;
	struct client c;
	client_open(&c, "settle\n", 7);
	loop_timer(L, 400, answer_later, NULL); /* later than the 200 ms timeout */
	loop_run(L);
	assert_true(c.eof);
	assert_string_equal(c.in, "done\n"); /* the line arrived: no timeout since */
	client_close(&c);
}

static void test_big_answer_to_a_slow_reader(void **state)
{
	H.big = 3u << 20;
	struct client c;
	client_open(&c, "dump\n", 5);
	c.chunk = 1000;
	loop_run(L);
	assert_true(c.eof);
	assert_int_equal(c.len, H.big);
	for (size_t i = 0; i < c.len; i++)
		if (c.in[i] != (char)(i % 251))
			fail_msg("byte %zu differs", i);
	client_close(&c);
}

static void test_line_too_long(void **state)
{
	struct client c;
	char req[40];
	memset(req, 'x', sizeof(req));
	client_open(&c, req, sizeof(req));
	loop_run(L);
	assert_true(c.eof);
	assert_int_equal(H.calls, 0);
	assert_string_equal(c.in, "error request longer than 32 bytes\n");
	client_close(&c);
}

static void test_silent_client_dropped(void **state)
{
	struct client c;
	client_open(&c, "no newline yet", 14);
	uint64_t t0 = loop_now_ms();
	loop_run(L);
	assert_true(c.eof);
	assert_int_equal(c.len, 0);
	assert_int_equal(H.calls, 0);
	assert_true(loop_now_ms() - t0 >= 200);
	client_close(&c);
}

static void test_client_gone_before_its_line(void **state)
{
	struct client c;
	client_open(&c, "half", 4);
	shutdown(c.fd, SHUT_WR);
	loop_run(L); /* the server closes its end: our EOF */
	assert_true(c.eof);
	assert_int_equal(H.calls, 0);
	client_close(&c);
}

static void stop_server(struct loop *l, void *arg)
{
	linesrv_free(S);
	S = NULL;
}

static void test_server_stopped_with_an_answer_pending(void **state)
{
	H.hold = 1;
	struct client c;
	client_open(&c, "settle\n", 7);
	loop_timer(L, 10, stop_server, NULL);
	loop_run(L);
	assert_true(c.eof);
	assert_int_equal(c.len, 0);
	assert_int_equal(H.calls, 1);
	client_close(&c);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_line_in_answer_out),
	    T(test_line_in_pieces),
	    T(test_answer_later),
	    T(test_big_answer_to_a_slow_reader),
	    T(test_line_too_long),
	    T(test_silent_client_dropped),
	    T(test_client_gone_before_its_line),
	    T(test_server_stopped_with_an_answer_pending),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
