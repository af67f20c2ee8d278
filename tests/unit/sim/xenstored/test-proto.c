/*
 * test-proto.c - the wire protocol byte by byte over a raw socket:
 * hand-built and malformed messages, ordering, a client that stops reading
 * its watch events, and thousands of connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "harness.h"

static struct harness H;

enum {
	T_DIRECTORY = 1,
	T_READ = 2,
	T_WATCH = 4,
	T_TX_START = 6,
	T_TX_END = 7,
	T_INTRODUCE = 8,
	T_WRITE = 11,
	T_RM = 13,
	T_SET_PERMS = 14,
	T_WATCH_EVENT = 15,
	T_ERROR = 16,
	T_DIRECTORY_PART = 22
};

struct msg {
	uint32_t type, req_id, tx_id, len;
	char body[4200];
};

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_raw(int fd, const void *p, size_t n)
{
	assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static void send_msg(int fd, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *body,
                     uint32_t len)
{
	uint32_t hdr[4] = {type, req_id, tx_id, len};
	send_raw(fd, hdr, sizeof(hdr));
	if (len)
		send_raw(fd, body, len);
}

/* Read exactly n bytes, waiting at most 5 s; false on EOF. */
static bool read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			return false;
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void recv_msg(int fd, struct msg *m)
{
	assert_true(read_full(fd, m, 16));
	assert_true(m->len <= 4096);
	assert_true(read_full(fd, m->body, m->len));
	m->body[m->len] = 0;
}

static void expect_reply(int fd, uint32_t type, uint32_t req_id, const char *body, uint32_t len)
{
	struct msg m;
	recv_msg(fd, &m);
	assert_int_equal(m.type, type);
	assert_int_equal(m.req_id, req_id);
	assert_int_equal(m.len, len);
	assert_memory_equal(m.body, body, len);
}

static void expect_error(int fd, uint32_t req_id, const char *name)
{
	expect_reply(fd, T_ERROR, req_id, name, (uint32_t)strlen(name) + 1);
}

static bool peer_closed(int fd)
{
	char b[256];
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			return false;
		ssize_t r = read(fd, b, sizeof(b));
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
		if (r < 0)
			return false;
	}
}

#define S(lit) lit, (uint32_t)sizeof(lit)

static void test_basic_ops_and_req_ids(void **state)
{
	int fd = connect_to(H.sock);
	send_msg(fd, T_WRITE, 7, 0, "/p/a\0value", 10);
	expect_reply(fd, T_WRITE, 7, S("OK"));
	send_msg(fd, T_READ, 8, 0, S("/p/a"));
	expect_reply(fd, T_READ, 8, "value", 5); /* no trailing NUL */
	send_msg(fd, T_DIRECTORY, 9, 0, S("/p"));
	expect_reply(fd, T_DIRECTORY, 9, S("a"));
	/* pipelined, answered in order with their own ids */
	send_msg(fd, T_READ, 100, 0, S("/p/a"));
	send_msg(fd, T_READ, 101, 0, S("/p/missing"));
	send_msg(fd, T_READ, 102, 0, S("/p/a"));
	expect_reply(fd, T_READ, 100, "value", 5);
	expect_error(fd, 101, "ENOENT");
	expect_reply(fd, T_READ, 102, "value", 5);
	close(fd);
}

static void test_byte_by_byte(void **state)
{
	int fd = connect_to(H.sock);
	char buf[16 + 6];
	uint32_t hdr[4] = {T_READ, 42, 0, 6};
	memcpy(buf, hdr, 16);
	memcpy(buf + 16, "/tool", 6);
	for (size_t i = 0; i < sizeof(buf); i++)
		send_raw(fd, buf + i, 1);
	expect_reply(fd, T_READ, 42, "", 0);
	close(fd);
}

static void test_errors(void **state)
{
	int fd = connect_to(H.sock);
	send_msg(fd, 999, 1, 0, S("x"));
	expect_error(fd, 1, "ENOSYS");
	send_msg(fd, 20, 2, 0, S("x")); /* RESTRICT: removed */
	expect_error(fd, 2, "ENOSYS");
	send_msg(fd, T_WATCH_EVENT, 3, 0, S("x"));
	expect_error(fd, 3, "ENOSYS");
	send_msg(fd, T_READ, 4, 0, "/tool", 5); /* no NUL */
	expect_error(fd, 4, "EINVAL");
	send_msg(fd, T_READ, 5, 0, "/tool\0/x", 9); /* two strings */
	expect_error(fd, 5, "EINVAL");
	send_msg(fd, T_READ, 6, 0, S("/bad//path"));
	expect_error(fd, 6, "EINVAL");
	send_msg(fd, T_READ, 7, 0, S("/trailing/"));
	expect_error(fd, 7, "EINVAL");
	send_msg(fd, T_READ, 8, 0, S("/bad char"));
	expect_error(fd, 8, "EINVAL");
	send_msg(fd, T_READ, 9, 77, S("/tool")); /* unknown transaction */
	expect_error(fd, 9, "ENOENT");
	send_msg(fd, T_RM, 10, 0, S("/"));
	expect_error(fd, 10, "EINVAL");
	send_msg(fd, T_RM, 11, 0, S("/tool/nothing")); /* parent exists: OK */
	expect_reply(fd, T_RM, 11, S("OK"));
	send_msg(fd, T_RM, 12, 0, S("/nothing/at/all"));
	expect_error(fd, 12, "ENOENT");
	send_msg(fd, T_TX_END, 13, 0, S("T")); /* not in a transaction */
	expect_error(fd, 13, "ENOENT");
	send_msg(fd, T_TX_END, 14, 0, S("X"));
	expect_error(fd, 14, "EINVAL");
	send_msg(fd, T_SET_PERMS, 15, 0, "/tool\0q5", 9);
	expect_error(fd, 15, "EINVAL");
	send_msg(fd, T_WATCH, 16, 0,
	         "/w\0tok\0"
	         "3",
	         9); /* 4.17 has no depth argument */
	expect_error(fd, 16, "EINVAL");
	char longpath[2100];
	longpath[0] = '/';
	memset(longpath + 1, 'a', sizeof(longpath) - 2);
	longpath[sizeof(longpath) - 1] = 0;
	send_msg(fd, T_READ, 17, 0, longpath, sizeof(longpath));
	expect_error(fd, 17, "EINVAL");
	/* the connection is still fine */
	send_msg(fd, T_READ, 18, 0, S("/local/domain/0/name"));
	expect_reply(fd, T_READ, 18, "Domain-0", 8);
	close(fd);
}

static void test_transactions_wire(void **state)
{
	int fd = connect_to(H.sock);
	send_msg(fd, T_TX_START, 1, 0, S(""));
	struct msg m;
	recv_msg(fd, &m);
	assert_int_equal(m.type, T_TX_START);
	uint32_t id = (uint32_t)strtoul(m.body, NULL, 10);
	assert_true(id != 0);
	assert_int_equal(m.len, strlen(m.body) + 1);
	send_msg(fd, T_TX_START, 2, id, S("")); /* nested */
	expect_error(fd, 2, "EBUSY");
	send_msg(fd, T_WRITE, 3, id, "/txp\0v", 6);
	expect_reply(fd, T_WRITE, 3, S("OK"));
	send_msg(fd, T_TX_END, 4, id, S("T"));
	expect_reply(fd, T_TX_END, 4, S("OK"));
	send_msg(fd, T_READ, 5, id, S("/txp")); /* id is gone now */
	expect_error(fd, 5, "ENOENT");
	close(fd);
}

static void test_watch_order(void **state)
{
	int fd = connect_to(H.sock);
	send_msg(fd, T_WATCH, 5, 0, "/wo\0tk", 7);
	expect_reply(fd, T_WATCH, 5, S("OK"));
	struct msg m;
	recv_msg(fd, &m);
	assert_int_equal(m.type, T_WATCH_EVENT);
	assert_int_equal(m.req_id, 0);
	assert_int_equal(m.len, 7);
	assert_memory_equal(m.body, "/wo\0tk", 7);
	send_msg(fd, T_WATCH, 6, 0, "/wo\0tk", 7);
	expect_error(fd, 6, "EEXIST");
	close(fd);
}

static void test_directory_part(void **state)
{
	int fd = connect_to(H.sock);
	char path[64];
	for (int i = 0; i < 300; i++) {
		int n = snprintf(path, sizeof(path), "/dp/entry-number-%03d", i);
		send_msg(fd, T_WRITE, 1, 0, path, (uint32_t)n + 1);
		expect_reply(fd, T_WRITE, 1, S("OK"));
	}
	send_msg(fd, T_DIRECTORY, 2, 0, S("/dp")); /* 300 * 17 > 4096 */
	expect_error(fd, 2, "E2BIG");
	unsigned off = 0, names = 0;
	char gen0[32] = "";
	for (;;) {
		char req[32];
		int n = snprintf(req, sizeof(req), "/dp%c%u", 0, off);
		send_msg(fd, T_DIRECTORY_PART, 3, 0, req, (uint32_t)n + 1);
		struct msg m;
		recv_msg(fd, &m);
		assert_int_equal(m.type, T_DIRECTORY_PART);
		size_t gl = strlen(m.body) + 1;
		if (!gen0[0])
			memcpy(gen0, m.body, gl < sizeof(gen0) ? gl : sizeof(gen0) - 1);
		assert_string_equal(m.body, gen0); /* unchanged node: same generation */
		size_t p = gl;
		bool end = false;
		while (p < m.len) {
			size_t l = strlen(m.body + p);
			if (l == 0) {
				end = true;
				break;
			}
			names++;
			off += (unsigned)l + 1;
			p += l + 1;
		}
		if (end)
			break;
	}
	assert_int_equal(names, 300);
	/* past the end: generation and an empty string */
	char req[32];
	int n = snprintf(req, sizeof(req), "/dp%c%u", 0, 100000u);
	send_msg(fd, T_DIRECTORY_PART, 4, 0, req, (uint32_t)n + 1);
	struct msg m;
	recv_msg(fd, &m);
	assert_int_equal(m.len, strlen(gen0) + 2);
	close(fd);
}

static void test_oversized_drops_only_that_client(void **state)
{
	int good = connect_to(H.sock), bad = connect_to(H.sock);
	uint32_t hdr[4] = {T_WRITE, 0, 0, 4097};
	send_raw(bad, hdr, sizeof(hdr));
	assert_true(peer_closed(bad));
	close(bad);
	/* garbage header with a huge length */
	bad = connect_to(H.sock);
	send_raw(bad, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
	assert_true(peer_closed(bad));
	close(bad);
	send_msg(good, T_READ, 1, 0, S("/local/domain/0/domid"));
	expect_reply(good, T_READ, 1, "0", 1);
	close(good);
}

static void test_domain_socket_privileged_ops(void **state)
{
	int fd = connect_to(H.sock);
	send_msg(fd, T_INTRODUCE, 1, 0,
	         "21\0"
	         "0\0"
	         "5",
	         7);
	expect_reply(fd, T_INTRODUCE, 1, S("OK"));
	send_msg(fd, T_INTRODUCE, 2, 0,
	         "22\0"
	         "0",
	         5); /* missing port */
	expect_error(fd, 2, "EINVAL");
	char ds[400];
	harness_domain_sock(&H, 21, ds, sizeof(ds));
	int g = connect_to(ds);
	send_msg(g, T_INTRODUCE, 3, 0,
	         "23\0"
	         "0\0"
	         "5",
	         7);
	expect_error(g, 3, "EACCES");
	send_msg(g, 0, 4, 0, S("check")); /* CONTROL */
	expect_error(g, 4, "EACCES");
	send_msg(g, T_READ, 5, 0, S("/tool"));
	expect_error(g, 5, "EACCES");
	send_msg(fd, 0, 6, 0, S("check"));
	expect_reply(fd, 0, 6, S("OK"));
	send_msg(fd, 9, 7, 0, S("21")); /* RELEASE closes the guest's connection */
	expect_reply(fd, 9, 7, S("OK"));
	assert_true(peer_closed(g));
	close(g);
	close(fd);
}

static void test_slow_watcher_dropped(void **state)
{
	int lazy = connect_to(H.sock), w = connect_to(H.sock);
	int small = 4096;
	setsockopt(lazy, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	send_msg(lazy, T_WATCH, 1, 0, "/flood\0t", 9);
	expect_reply(lazy, T_WATCH, 1, S("OK"));
	/* lazy never reads again; w writes until lazy is dropped */
	char body[64];
	int n = snprintf(body, sizeof(body), "/flood/k%cvalue", 0);
	bool dropped = false;
	for (int i = 0; i < 200000 && !dropped; i++) {
		send_msg(w, T_WRITE, 2, 0, body, (uint32_t)n + 5);
		expect_reply(w, T_WRITE, 2, S("OK"));
		if (i % 256 == 0) {
			/* dropped means: the server closed its end (EOF after the data) */
			struct pollfd p = {.fd = lazy, .events = POLLRDHUP};
			dropped = poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
		}
	}
	assert_true(dropped);
	assert_true(peer_closed(lazy));
	close(lazy);
	close(w);
}

static void test_thousands_of_connections(void **state)
{
	enum { N = 3000 };
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < 2 * N + 100)
		skip();
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	static int fds[N];
	for (int i = 0; i < N; i++)
		fds[i] = connect_to(H.sock);
	for (int i = 0; i < N; i++)
		send_msg(fds[i], T_READ, (uint32_t)i, 0, S("/local/domain/0/domid"));
	for (int i = 0; i < N; i++) {
		expect_reply(fds[i], T_READ, (uint32_t)i, "0", 1);
		close(fds[i]);
	}
}

static void test_domain_connection_cap(void **state)
{
	int fd = connect_to(H.sock);
	send_msg(fd, T_INTRODUCE, 1, 0,
	         "30\0"
	         "0\0"
	         "5",
	         7);
	expect_reply(fd, T_INTRODUCE, 1, S("OK"));
	char ds[400];
	harness_domain_sock(&H, 30, ds, sizeof(ds));
	enum { N = 260 };
	int g[N], answered = 0, refused = 0;
	for (int i = 0; i < N; i++) {
		g[i] = connect_to(ds);
		/* one at a time, so the order of acceptance is the order here */
		uint32_t hdr[4] = {T_DIRECTORY, 2, 0, sizeof("/local/domain/30")};
		char req[16 + sizeof("/local/domain/30")];
		memcpy(req, hdr, 16);
		memcpy(req + 16, "/local/domain/30", sizeof("/local/domain/30"));
		ssize_t w = write(g[i], req, sizeof(req)); /* may fail: refused */
		(void)w;
		struct msg m;
		if (read_full(g[i], &m, 16)) {
			answered++;
			assert_int_equal(m.type, T_ERROR); /* the node does not exist */
			assert_true(read_full(g[i], m.body, m.len));
		} else {
			refused++;
		}
	}
	assert_int_equal(answered, 256);
	assert_int_equal(refused, N - 256);
	for (int i = 0; i < N; i++)
		close(g[i]);
	close(fd);
}

static int setup(void **state)
{
	return harness_start(&H);
}
static int teardown(void **state)
{
	harness_finish(&H);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_ops_and_req_ids),
	    cmocka_unit_test(test_byte_by_byte),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_transactions_wire),
	    cmocka_unit_test(test_watch_order),
	    cmocka_unit_test(test_directory_part),
	    cmocka_unit_test(test_oversized_drops_only_that_client),
	    cmocka_unit_test(test_domain_socket_privileged_ops),
	    cmocka_unit_test(test_slow_watcher_dropped),
	    cmocka_unit_test(test_thousands_of_connections),
	    cmocka_unit_test(test_domain_connection_cap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
