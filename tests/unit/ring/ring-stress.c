/*
 * ring-stress.c - two processes, one shared ring page, both directions at once.
 *
 * The page is a memfd mapped MAP_SHARED and inherited over fork(): the parent
 * is the backend, the child the frontend. Each process produces one stream and
 * consumes the other at the same time, with random chunk sizes and random
 * partial commits, through the zero-copy peek/commit API (and sometimes the
 * copying ring_read/ring_write). Notifications are one eventfd per direction.
 * Byte k of each stream is a function of k and the stream's seed, so every
 * received byte is checked: a lost, repeated, reordered or torn byte fails.
 *
 * usage: ring-stress [--mib N] [--seed S]   (default 256 MiB each direction)
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xenchannel/ring.h"

struct end {
	const char *name;
	struct ring ring;
	int wait_fd;   /* our eventfd: the peer kicks it */
	int notify_fd; /* the peer's eventfd */
	int peer_fd;   /* read end of a pipe the peer holds open while alive */
	uint64_t total;
	uint64_t tx_seed, rx_seed;
	uint64_t sent, received;
	uint64_t rng;
	uint64_t notifies, waits, corrupt;
	unsigned char buf[4096];
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t rnd(struct end *e)
{
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 7;
	e->rng ^= e->rng << 17;
	return e->rng;
}

/* Byte k of the stream with this seed. */
static unsigned char pat(uint64_t seed, uint64_t k)
{
	return (unsigned char)(mix64((k >> 3) ^ seed) >> ((k & 7) * 8));
}

static void gen(unsigned char *p, size_t n, uint64_t seed, uint64_t k)
{
	uint64_t w = mix64((k >> 3) ^ seed);

	for (size_t i = 0; i < n; i++, k++) {
		if ((k & 7) == 0)
			w = mix64((k >> 3) ^ seed);
		p[i] = (unsigned char)(w >> ((k & 7) * 8));
	}
}

static bool verify(const struct end *e, const unsigned char *p, size_t n, uint64_t k)
{
	uint64_t w = mix64((k >> 3) ^ e->rx_seed);

	for (size_t i = 0; i < n; i++, k++) {
		if ((k & 7) == 0)
			w = mix64((k >> 3) ^ e->rx_seed);
		if (p[i] != (unsigned char)(w >> ((k & 7) * 8))) {
			fprintf(stderr,
			        "ring-stress: %s: byte %" PRIu64
			        " of the received stream is 0x%02x, "
			        "expected 0x%02x\n",
			        e->name, k, p[i], pat(e->rx_seed, k));
			return false;
		}
	}
	return true;
}

/* A random amount out of `avail`: often tiny, often all, otherwise uniform. */
static size_t pick(struct end *e, size_t avail)
{
	uint64_t r = rnd(e);

	if (avail == 0)
		return 0;
	switch (r & 3) {
	case 0:
		return 1 + (r >> 8) % (avail < 16 ? avail : 16);
	case 1:
		return avail;
	default:
		return 1 + (r >> 8) % avail;
	}
}

/* Consume some of what the peer produced. -1 on error, else bytes. */
static long consume(struct end *e)
{
	struct ring_span s;
	size_t n, done = 0;
	int rc;

	if (rnd(e) & 1) { /* copying path */
		size_t want = pick(e, sizeof(e->buf));
		long got = ring_read(&e->ring, e->buf, want);

		if (got < 0) {
			fprintf(stderr, "ring-stress: %s: ring_read: %s\n", e->name,
			        ring_strerror((int)got));
			return -1;
		}
		if (!verify(e, e->buf, (size_t)got, e->received))
			return -1;
		e->received += (uint64_t)got;
		return got;
	}
	rc = ring_peek_read(&e->ring, &s);
	if (rc != RING_OK) {
		fprintf(stderr, "ring-stress: %s: peek_read: %s\n", e->name, ring_strerror(rc));
		return -1;
	}
	n = pick(e, s.len);
	for (int i = 0; i < s.iovcnt && done < n; i++) {
		size_t m = s.iov[i].iov_len < n - done ? s.iov[i].iov_len : n - done;

		if (!verify(e, s.iov[i].iov_base, m, e->received + done))
			return -1;
		done += m;
	}
	rc = ring_commit_read(&e->ring, &s, n);
	if (rc != RING_OK) {
		fprintf(stderr, "ring-stress: %s: commit_read: %s\n", e->name, ring_strerror(rc));
		return -1;
	}
	e->received += n;
	return (long)n;
}

/* Produce a random chunk of our stream. -1 on error, else bytes. */
static long produce(struct end *e)
{
	uint64_t left = e->total - e->sent;
	struct ring_span s;
	size_t n, done = 0;
	int rc;

	if (rnd(e) & 1) { /* copying path */
		size_t want = pick(e, sizeof(e->buf));
		long put;

		if (want > left)
			want = (size_t)left;
		gen(e->buf, want, e->tx_seed, e->sent);
		put = ring_write(&e->ring, e->buf, want);
		if (put < 0) {
			fprintf(stderr, "ring-stress: %s: ring_write: %s\n", e->name,
			        ring_strerror((int)put));
			return -1;
		}
		e->sent += (uint64_t)put;
		return put;
	}
	rc = ring_peek_write(&e->ring, &s);
	if (rc != RING_OK) {
		fprintf(stderr, "ring-stress: %s: peek_write: %s\n", e->name, ring_strerror(rc));
		return -1;
	}
	n = pick(e, s.len);
	if (n > left)
		n = (size_t)left;
	for (int i = 0; i < s.iovcnt && done < n; i++) {
		size_t m = s.iov[i].iov_len < n - done ? s.iov[i].iov_len : n - done;

		gen(s.iov[i].iov_base, m, e->tx_seed, e->sent + done);
		done += m;
	}
	rc = ring_commit_write(&e->ring, &s, n);
	if (rc != RING_OK) {
		fprintf(stderr, "ring-stress: %s: commit_write: %s\n", e->name, ring_strerror(rc));
		return -1;
	}
	e->sent += n;
	return (long)n;
}

static int notify(struct end *e)
{
	uint64_t one = 1;

	e->notifies++;
	if (write(e->notify_fd, &one, sizeof(one)) != sizeof(one)) {
		fprintf(stderr, "ring-stress: %s: eventfd write: %s\n", e->name, strerror(errno));
		return -1;
	}
	return 0;
}

static int run(struct end *e)
{
	bool peer_gone = false;

	for (;;) {
		bool progress = false;
		long n;

		if (e->received < e->total) {
			n = consume(e);
			if (n < 0)
				return -1;
			progress |= n > 0;
		}
		if (e->sent < e->total) {
			n = produce(e);
			if (n < 0)
				return -1;
			progress |= n > 0;
		}
		if (progress) {
			/* Kick the peer after each batch that moved bytes; the
			 * eventfd counter coalesces kicks it has not seen yet. */
			if (notify(e) < 0)
				return -1;
			continue;
		}
		if (e->sent == e->total && e->received == e->total)
			return 0;
		if (peer_gone) {
			fprintf(stderr,
			        "ring-stress: %s: peer exited with %" PRIu64
			        " bytes unsent and %" PRIu64 " unreceived here\n",
			        e->name, e->total - e->sent, e->total - e->received);
			return -1;
		}
		/* Nothing to do: sleep until the peer kicks us (or dies). */
		struct pollfd pfd[2] = {{e->wait_fd, POLLIN, 0}, {e->peer_fd, POLLIN, 0}};
		uint64_t cnt;

		e->waits++;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ring-stress: %s: poll: %s\n", e->name, strerror(errno));
			return -1;
		}
		if (pfd[1].revents)
			peer_gone = true;
		if ((pfd[0].revents & POLLIN) && read(e->wait_fd, &cnt, sizeof(cnt)) < 0 &&
		    errno != EAGAIN) {
			fprintf(stderr, "ring-stress: %s: eventfd read: %s\n", e->name,
			        strerror(errno));
			return -1;
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t mib = 256, seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	int efd_back, efd_front, alive_back[2], alive_front[2], memfd, status, rc;
	struct end e;
	void *page;
	pid_t pid;
	double t0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc)
			mib = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: ring-stress [--mib N] [--seed S]\n");
			return 2;
		}
	}
	if (mib == 0 || mib > (1u << 20)) {
		fprintf(stderr, "ring-stress: --mib must be 1..1048576\n");
		return 2;
	}
	if (seed == 0)
		seed = 1;

	memfd = memfd_create("xencons-ring", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, RING_PAGE_SIZE) < 0) {
		perror("ring-stress: memfd");
		return 1;
	}
	page = mmap(NULL, RING_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (page == MAP_FAILED) {
		perror("ring-stress: mmap");
		return 1;
	}
	efd_back = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd_front = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd_back < 0 || efd_front < 0 || pipe(alive_back) < 0 || pipe(alive_front) < 0) {
		perror("ring-stress: eventfd/pipe");
		return 1;
	}
	printf("ring-stress: %" PRIu64 " MiB each direction, seed %#" PRIx64 "\n", mib, seed);
	fflush(stdout);

	memset(&e, 0, sizeof(e));
	e.total = mib << 20;
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("ring-stress: fork");
		return 1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(alive_back[1]);
		close(alive_front[0]);
		e.name = "frontend";
		ring_init(&e.ring, page, RING_FRONTEND);
		e.wait_fd = efd_front;
		e.notify_fd = efd_back;
		e.peer_fd = alive_back[0];
		e.tx_seed = seed ^ 0x6f7574; /* "out" */
		e.rx_seed = seed ^ 0x696e;   /* "in" */
		e.rng = mix64(seed + 2) | 1;
		rc = run(&e);
		printf("ring-stress: frontend: sent %" PRIu64 " received %" PRIu64
		       " bytes, %" PRIu64 " notifies, %" PRIu64 " waits\n",
		       e.sent, e.received, e.notifies, e.waits);
		fflush(stdout);
		_exit(rc == 0 ? 0 : 1);
	}
	close(alive_back[0]);
	close(alive_front[1]);
	e.name = "backend";
	ring_init(&e.ring, page, RING_BACKEND);
	e.wait_fd = efd_back;
	e.notify_fd = efd_front;
	e.peer_fd = alive_front[0];
	e.tx_seed = seed ^ 0x696e;
	e.rx_seed = seed ^ 0x6f7574;
	e.rng = mix64(seed + 1) | 1;
	rc = run(&e);
	if (rc != 0)
		kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) < 0) {
		perror("ring-stress: waitpid");
		return 1;
	}
	printf("ring-stress: backend: sent %" PRIu64 " received %" PRIu64 " bytes, %" PRIu64
	       " notifies, %" PRIu64 " waits\n",
	       e.sent, e.received, e.notifies, e.waits);
	if (rc != 0)
		return 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "ring-stress: frontend failed (status %#x)\n", status);
		return 1;
	}
	if (e.sent != e.total || e.received != e.total) {
		fprintf(stderr, "ring-stress: backend moved %" PRIu64 "/%" PRIu64 " bytes\n",
		        e.sent, e.received);
		return 1;
	}
	printf("ring-stress: ok, 2 x %" PRIu64 " MiB verified in %.2f s\n", mib, now() - t0);
	return 0;
}
