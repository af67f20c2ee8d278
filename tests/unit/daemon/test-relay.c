/* The relay against a ring on a private page and a socketpair standing in
 * for the dom0 client: the ring is the buffer, nothing is lost or invented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xenchanneld.h"

struct fx {
	void *page;
	struct ring be, fe;
	int sv[2]; /* sv[0] daemon side, sv[1] client side */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int mfd = memfd_create("ring", 0);
	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, RING_PAGE_SIZE), 0);
	f->page = mmap(NULL, RING_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	assert_true(f->page != MAP_FAILED);
	close(mfd);
	ring_init(&f->be, f->page, RING_BACKEND);
	ring_init(&f->fe, f->page, RING_FRONTEND);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, f->sv), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	munmap(f->page, RING_PAGE_SIZE);
	close(f->sv[0]);
	if (f->sv[1] >= 0)
		close(f->sv[1]);
	free(f);
	return 0;
}

static void pattern(unsigned char *b, size_t n, size_t off)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)((off + i) * 131u + 7u);
}

static void guest_bytes_reach_the_client(void **state)
{
	struct fx *f = *state;
	unsigned char buf[2048], got[2048];
	pattern(buf, sizeof(buf), 0);
	assert_int_equal(ring_write(&f->fe, buf, 1500), 1500);
	struct relay_result r;
	relay_pass(&f->be, f->sv[0], RELAY_BUDGET, &r);
	assert_int_equal(r.from_guest, 1500);
	assert_false(r.corrupt);
	assert_int_equal(ring_readable(&f->be), 0);
	assert_int_equal(read(f->sv[1], got, sizeof(got)), 1500);
	assert_memory_equal(buf, got, 1500);
}

static void client_bytes_fill_only_free_ring_space(void **state)
{
	struct fx *f = *state;
	unsigned char buf[3000], got[3000];
	pattern(buf, sizeof(buf), 5);
	assert_int_equal(write(f->sv[1], buf, 3000), 3000);
	struct relay_result r;
	relay_pass(&f->be, f->sv[0], RELAY_BUDGET, &r);
	assert_int_equal(r.to_guest, RING_IN_SIZE);
	assert_false(r.want_read); /* ring full: stop reading the socket */
	/* the rest is still in the socket, not in some buffer of ours */
	size_t total = 0;
	while (total < 3000) {
		long n = ring_read(&f->fe, got + total, sizeof(got) - total);
		assert_true(n > 0);
		total += (size_t)n;
		relay_pass(&f->be, f->sv[0], RELAY_BUDGET, &r);
	}
	assert_memory_equal(buf, got, 3000);
	assert_true(r.want_read);
}

static void no_client_leaves_guest_bytes_in_the_ring(void **state)
{
	struct fx *f = *state;
	unsigned char buf[100];
	pattern(buf, sizeof(buf), 0);
	ring_write(&f->fe, buf, sizeof(buf));
	struct relay_result r;
	relay_pass(&f->be, -1, RELAY_BUDGET, &r);
	assert_int_equal(r.from_guest, 0);
	assert_int_equal(ring_readable(&f->be), 100);
}

static void full_socket_back_pressures_the_guest(void **state)
{
	struct fx *f = *state;
	int small = 4096;
	setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	unsigned char chunk[2048], sink[65536];
	size_t produced = 0, consumed = 0;
	struct relay_result r;
	/* the guest writes until the ring stays full: the client is not reading */
	for (int i = 0; i < 10000; i++) {
		pattern(chunk, sizeof(chunk), produced);
		long n = ring_write(&f->fe, chunk, sizeof(chunk));
		assert_true(n >= 0);
		produced += (size_t)n;
		relay_pass(&f->be, f->sv[0], RELAY_BUDGET, &r);
		if (n == 0 && r.from_guest == 0)
			break;
	}
	assert_true(r.want_write);
	assert_int_equal(ring_writable(&f->fe), 0); /* guest sees a full ring */
	/* now the client drains; every byte arrives exactly once, in order */
	unsigned char expect[65536];
	for (;;) {
		ssize_t n = read(f->sv[1], sink, sizeof(sink));
		if (n > 0) {
			pattern(expect, (size_t)n, consumed);
			assert_memory_equal(expect, sink, (size_t)n);
			consumed += (size_t)n;
			continue;
		}
		relay_pass(&f->be, f->sv[0], RELAY_BUDGET, &r);
		if (r.from_guest == 0 && ring_readable(&f->be) == 0)
			break;
	}
	assert_int_equal(consumed, produced);
}

static void corrupt_indices_move_nothing(void **state)
{
	struct fx *f = *state;
	unsigned char *p = f->page;
	uint32_t cons = 0, prod = 5000; /* > 2048: impossible */
	memcpy(p + RING_OFF_OUT_CONS, &cons, 4);
	memcpy(p + RING_OFF_OUT_PROD, &prod, 4);
	struct relay_result r;
	relay_pass(&f->be, f->sv[0], RELAY_BUDGET, &r);
	assert_true(r.corrupt);
	assert_int_equal(r.from_guest, 0);
	memcpy(&cons, p + RING_OFF_OUT_CONS, 4);
	assert_int_equal(cons, 0);
	char c;
	assert_int_equal(read(f->sv[1], &c, 1), -1);
	/* also noticed with no client attached */
	relay_pass(&f->be, -1, RELAY_BUDGET, &r);
	assert_true(r.corrupt);
	/* and on the `in` side */
	prod = 0;
	memcpy(p + RING_OFF_OUT_PROD, &prod, 4);
	uint32_t icons = 4000, iprod = 0;
	memcpy(p + RING_OFF_IN_CONS, &icons, 4);
	memcpy(p + RING_OFF_IN_PROD, &iprod, 4);
	relay_pass(&f->be, f->sv[0], RELAY_BUDGET, &r);
	assert_true(r.corrupt);
}

static void client_eof_is_reported(void **state)
{
	struct fx *f = *state;
	close(f->sv[1]);
	f->sv[1] = -1;
	struct relay_result r;
	relay_pass(&f->be, f->sv[0], RELAY_BUDGET, &r);
	assert_true(r.client_gone);
}

static void budget_bounds_one_pass(void **state)
{
	struct fx *f = *state;
	unsigned char buf[2048];
	pattern(buf, sizeof(buf), 0);
	ring_write(&f->fe, buf, 2048);
	struct relay_result r;
	relay_pass(&f->be, f->sv[0], 100, &r); /* budget smaller than the data */
	assert_true(r.from_guest >= 100);
	assert_true(r.from_guest <= 2048);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(guest_bytes_reach_the_client, setup, teardown),
	    cmocka_unit_test_setup_teardown(client_bytes_fill_only_free_ring_space, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(no_client_leaves_guest_bytes_in_the_ring, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(full_socket_back_pressures_the_guest, setup, teardown),
	    cmocka_unit_test_setup_teardown(corrupt_indices_move_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(client_eof_is_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(budget_bounds_one_pass, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
