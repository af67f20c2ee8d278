/*
 * bench-ring.c - console ring throughput against the wakeup limit and a pipe.
 *
 * Two processes share one xencons page (memfd, MAP_SHARED): the writer is the
 * frontend producing `out` (2048 bytes), the reader the backend consuming it,
 * with one eventfd per direction as the event channel. The writer delivers
 * application writes of 64 B, 512 B or 2 KiB; the reader copies everything out
 * as a backend copies the ring to a socket.
 *
 * A 2 KiB ring is bound by wakeups, not memcpy, so in the same run we measure:
 *   - the eventfd ping-pong round trip between the two CPUs: the limit of a
 *     ring that needs one round trip per ring-full is 2048 B / RTT;
 *   - the ring, batched: each side drains or fills everything it can, commits,
 *     and kicks the peer once per batch (before it sleeps); the eventfd
 *     counter coalesces kicks the peer has not consumed yet;
 *   - the ring, naive: a kick after every commit (what a notify-per-write
 *     driver does), for comparison;
 *   - a pipe (64 KiB buffer) with the same write sizes, for reference.
 * No shared state beyond the xencons layout is used for notification.
 *
 * Each figure is the median of --reps repetitions (default 3).
 *
 * usage: bench-ring [--json FILE] [--mib N] [--reps N]
 */
#include <errno.h>
#include <sched.h>
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

#define SINK_SIZE (64u * 1024u)
#define PINGPONG_ROUNDS 10000
/* Round trips measured by each ring run's own two processes before it moves
 * data, so the limit and the throughput come from the same pair of processes
 * on the same CPUs within the same second. */
#define RUN_PINGPONG_ROUNDS 3000
#define WARMUP_ROUNDS 100

static int ncpu;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-ring: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Writer on CPU 0, reader on CPU 1, so every wakeup crosses CPUs as it does
 * between two domains; with one CPU nothing is pinned. */
static void pin(int cpu)
{
	cpu_set_t set;

	if (ncpu < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % ncpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		die("sched_setaffinity");
}

static void kick(int fd, uint64_t *count)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		die("eventfd write");
	(*count)++;
}

static void sleep_on(int fd, uint64_t *count)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		die("eventfd read");
	(*count)++;
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		c += w;
		n -= (size_t)w;
	}
}

static void read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			fprintf(stderr, "bench-ring: result pipe closed early\n");
			exit(1);
		}
		c += r;
		n -= (size_t)r;
	}
}

/* Fork the reader; it runs fn, writes `ready` first and its result at the end. */
struct child {
	pid_t pid;
	int res; /* read end of the result pipe */
};

static struct child spawn(void (*fn)(void *arg, int res), void *arg)
{
	struct child c;
	int p[2];
	char ready;

	if (pipe(p) < 0)
		die("pipe");
	c.pid = fork();
	if (c.pid < 0)
		die("fork");
	if (c.pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		pin(1);
		fn(arg, p[1]);
		_exit(0);
	}
	close(p[1]);
	c.res = p[0];
	read_all(c.res, &ready, 1);
	return c;
}

static void reap(struct child *c)
{
	int status;

	close(c->res);
	if (waitpid(c->pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-ring: reader process failed (status %#x)\n", status);
		exit(1);
	}
}

/* ---- eventfd ping-pong ---- */

struct pingpong {
	int to_child, to_parent;
};

static void pingpong_child(void *arg, int res)
{
	struct pingpong *pp = arg;
	uint64_t n = 0, v;

	write_all(res, "r", 1);
	for (int i = 0; i < WARMUP_ROUNDS + PINGPONG_ROUNDS; i++) {
		sleep_on(pp->to_child, &n);
		v = 1;
		if (write(pp->to_parent, &v, sizeof(v)) != sizeof(v))
			die("eventfd write");
	}
}

/* Mean round trip in microseconds; same_cpu puts both ends on CPU 0. */
static double pingpong(bool same_cpu)
{
	struct pingpong pp;
	struct child c;
	uint64_t n = 0, k = 0;
	double t0 = 0;

	pp.to_child = eventfd(0, EFD_CLOEXEC);
	pp.to_parent = eventfd(0, EFD_CLOEXEC);
	if (pp.to_child < 0 || pp.to_parent < 0)
		die("eventfd");
	pin(0);
	if (same_cpu) {
		int saved = ncpu;

		ncpu = 1; /* the child keeps our affinity: CPU 0 */
		c = spawn(pingpong_child, &pp);
		ncpu = saved;
	} else {
		c = spawn(pingpong_child, &pp);
	}
	for (int i = 0; i < WARMUP_ROUNDS + PINGPONG_ROUNDS; i++) {
		if (i == WARMUP_ROUNDS)
			t0 = now();
		kick(pp.to_child, &k);
		sleep_on(pp.to_parent, &n);
	}
	double us = (now() - t0) * 1e6 / PINGPONG_ROUNDS;

	reap(&c);
	close(pp.to_child);
	close(pp.to_parent);
	return us;
}

/* ---- ring ---- */

struct ring_run {
	unsigned char *page;
	int efd_reader, efd_writer; /* each side sleeps on its own */
	uint64_t total;
	size_t chunk;
	bool naive;
};

struct ring_result {
	uint64_t received, kicks, waits, sum;
};

static void ring_reader(void *arg, int res)
{
	struct ring_run *rr = arg;
	struct ring_result out = {0, 0, 0, 0};
	unsigned char *sink = malloc(SINK_SIZE);
	size_t sink_off = 0;
	struct ring r;

	if (!sink)
		die("malloc");
	ring_init(&r, rr->page, RING_BACKEND);
	write_all(res, "r", 1);
	/* Ping-pong phase: echo the writer's kicks. */
	for (int i = 0; i < WARMUP_ROUNDS + RUN_PINGPONG_ROUNDS; i++) {
		uint64_t ignored = 0;

		sleep_on(rr->efd_reader, &ignored);
		kick(rr->efd_writer, &ignored);
	}
	while (out.received < rr->total) {
		bool moved = false;
		struct ring_span s;

		/* Drain everything there is before sleeping. */
		for (;;) {
			int rc = ring_peek_read(&r, &s);

			if (rc != RING_OK) {
				fprintf(stderr, "bench-ring: reader: %s\n", ring_strerror(rc));
				exit(1);
			}
			if (s.len == 0)
				break;
			for (int i = 0; i < s.iovcnt; i++) {
				if (sink_off + s.iov[i].iov_len > SINK_SIZE)
					sink_off = 0;
				memcpy(sink + sink_off, s.iov[i].iov_base, s.iov[i].iov_len);
				sink_off += s.iov[i].iov_len;
				out.sum += sink[sink_off - 1]; /* the copy is used */
			}
			ring_commit_read(&r, &s, s.len);
			out.received += s.len;
			moved = true;
			if (rr->naive)
				kick(rr->efd_writer, &out.kicks);
		}
		/* One kick per drained batch: the writer may be waiting for space. */
		if (moved && !rr->naive)
			kick(rr->efd_writer, &out.kicks);
		if (out.received < rr->total)
			sleep_on(rr->efd_reader, &out.waits);
	}
	write_all(res, &out, sizeof(out));
	free(sink);
}

struct bench_result {
	double mb_s, rtt_us;
	uint64_t bytes, writer_kicks, writer_waits, reader_kicks, reader_waits;
};

static struct bench_result ring_bench(size_t chunk, uint64_t total, bool naive)
{
	struct ring_run rr;
	struct ring_result rres;
	struct bench_result b;
	unsigned char *src;
	uint64_t left = total, kicks = 0, waits = 0;
	size_t in_chunk = 0; /* bytes of the current application write done */
	bool unkicked = false;
	struct child c;
	struct ring r;
	int memfd;
	double t0 = 0;

	memfd = memfd_create("bench-ring", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, RING_PAGE_SIZE) < 0)
		die("memfd");
	rr.page = mmap(NULL, RING_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (rr.page == MAP_FAILED)
		die("mmap");
	close(memfd);
	rr.efd_reader = eventfd(0, EFD_CLOEXEC);
	rr.efd_writer = eventfd(0, EFD_CLOEXEC);
	if (rr.efd_reader < 0 || rr.efd_writer < 0)
		die("eventfd");
	rr.total = total;
	rr.chunk = chunk;
	rr.naive = naive;
	src = malloc(SINK_SIZE);
	if (!src)
		die("malloc");
	for (size_t i = 0; i < SINK_SIZE; i++)
		src[i] = (unsigned char)(i * 131 + 7);

	pin(0);
	c = spawn(ring_reader, &rr);
	ring_init(&r, rr.page, RING_FRONTEND);
	for (int i = 0; i < WARMUP_ROUNDS + RUN_PINGPONG_ROUNDS; i++) {
		uint64_t ignored = 0;

		if (i == WARMUP_ROUNDS)
			t0 = now();
		kick(rr.efd_reader, &ignored);
		sleep_on(rr.efd_writer, &ignored);
	}
	b.rtt_us = (now() - t0) * 1e6 / RUN_PINGPONG_ROUNDS;
	t0 = now();
	while (left) {
		struct ring_span s;
		size_t done = 0;
		int rc = ring_peek_write(&r, &s);

		if (rc != RING_OK) {
			fprintf(stderr, "bench-ring: writer: %s\n", ring_strerror(rc));
			exit(1);
		}
		if (s.len == 0) {
			/* Ring full: the batch ends; make sure the reader knows
			 * about it, then sleep until it frees space. */
			if (unkicked) {
				kick(rr.efd_reader, &kicks);
				unkicked = false;
			}
			sleep_on(rr.efd_writer, &waits);
			continue;
		}
		/* Application writes of `chunk` bytes, each committed as it
		 * lands (a write that does not fit continues after a wait). */
		while (done < s.len && left) {
			size_t n = chunk - in_chunk, off = done, put = 0;

			if (n > s.len - done)
				n = s.len - done;
			if (n > left)
				n = (size_t)left;
			while (put < n) {
				int i = off < s.iov[0].iov_len ? 0 : 1;
				size_t o = i ? off - s.iov[0].iov_len : off;
				size_t m = s.iov[i].iov_len - o;

				if (m > n - put)
					m = n - put;
				memcpy((unsigned char *)s.iov[i].iov_base + o,
				       src + ((total - left + put) % (SINK_SIZE - 2048)), m);
				put += m;
				off += m;
			}
			done += n;
			left -= n;
			in_chunk = (in_chunk + n) % chunk;
			ring_commit_write(&r, &s, done);
			if (naive)
				kick(rr.efd_reader, &kicks);
			else
				unkicked = true;
		}
	}
	if (unkicked)
		kick(rr.efd_reader, &kicks);
	read_all(c.res, &rres, sizeof(rres));
	b.mb_s = (double)total / (now() - t0) / 1e6;
	reap(&c);
	if (rres.received != total) {
		fprintf(stderr, "bench-ring: reader got %llu of %llu bytes\n",
		        (unsigned long long)rres.received, (unsigned long long)total);
		exit(1);
	}
	b.bytes = total;
	b.writer_kicks = kicks;
	b.writer_waits = waits;
	b.reader_kicks = rres.kicks;
	b.reader_waits = rres.waits;
	munmap(rr.page, RING_PAGE_SIZE);
	close(rr.efd_reader);
	close(rr.efd_writer);
	free(src);
	return b;
}

/* ---- pipe ---- */

struct pipe_run {
	int fd;
	uint64_t total;
};

static void pipe_reader(void *arg, int res)
{
	struct pipe_run *pr = arg;
	unsigned char *buf = malloc(SINK_SIZE);
	uint64_t got = 0;

	if (!buf)
		die("malloc");
	write_all(res, "r", 1);
	while (got < pr->total) {
		ssize_t n = read(pr->fd, buf, SINK_SIZE);

		if (n <= 0)
			die("pipe read");
		got += (uint64_t)n;
	}
	write_all(res, &got, sizeof(got));
	free(buf);
}

static double pipe_bench(size_t chunk, uint64_t total)
{
	struct pipe_run pr;
	unsigned char *src = calloc(1, chunk);
	uint64_t left = total, got;
	struct child c;
	int p[2];
	double t0, mb_s;

	if (!src || pipe(p) < 0)
		die("pipe");
	pr.fd = p[0];
	pr.total = total;
	pin(0);
	c = spawn(pipe_reader, &pr);
	close(p[0]);
	t0 = now();
	while (left) {
		size_t n = left < chunk ? (size_t)left : chunk;

		write_all(p[1], src, n);
		left -= n;
	}
	read_all(c.res, &got, sizeof(got));
	mb_s = (double)total / (now() - t0) / 1e6;
	close(p[1]);
	reap(&c);
	free(src);
	if (got != total) {
		fprintf(stderr, "bench-ring: pipe reader got %llu bytes\n",
		        (unsigned long long)got);
		exit(1);
	}
	return mb_s;
}

/* ---- main ---- */

struct metric {
	char name[48];
	double value;
};

static struct metric metrics[64];
static int nmetrics;

static void put(const char *name, double value)
{
	if (nmetrics < (int)(sizeof(metrics) / sizeof(metrics[0]))) {
		snprintf(metrics[nmetrics].name, sizeof(metrics[nmetrics].name), "%s", name);
		metrics[nmetrics++].value = value;
	}
}

static void putf(const char *prefix, const char *suffix, double value)
{
	char name[48];

	snprintf(name, sizeof(name), "%s_%s", prefix, suffix);
	put(name, value);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The two figures with a target, and whether they met it. */
static void print_targets(void)
{
	for (int i = 0; i < nmetrics; i++) {
		if (strcmp(metrics[i].name, "ring_vs_wakeup_limit_2k") == 0)
			printf("target ring_vs_wakeup_limit_2k >= 0.8: %.2f %s\n", metrics[i].value,
			       metrics[i].value >= 0.8 ? "met" : "MISSED");
		if (strcmp(metrics[i].name, "bytes_per_notify_2k") == 0)
			printf("target bytes_per_notify_2k >= 1024: %.0f %s\n", metrics[i].value,
			       metrics[i].value >= 1024 ? "met" : "MISSED");
	}
}

/* Every metric, one JSON object. */
static void write_json(const char *json)
{
	FILE *f = fopen(json, "w");

	if (!f)
		die(json);
	fputs("{", f);
	for (int i = 0; i < nmetrics; i++)
		fprintf(f, "%s\n  \"%s\": %.6g", i ? "," : "", metrics[i].name, metrics[i].value);
	fputs("\n}\n", f);
	if (fclose(f) != 0)
		die(json);
}

#define MAX_REPS 9
#define NCHUNK 3

int main(int argc, char **argv)
{
	static const size_t chunks[NCHUNK] = {64, 512, 2048};
	static const char *const suffix[NCHUNK] = {"64", "512", "2k"};
	/* per chunk size, per repetition */
	static double ring_mb[NCHUNK][MAX_REPS], ratio[NCHUNK][MAX_REPS],
	    per_notify[NCHUNK][MAX_REPS], per_kick[NCHUNK][MAX_REPS], per_wakeup[NCHUNK][MAX_REPS],
	    naive_mb[NCHUNK][MAX_REPS], naive_notify[NCHUNK][MAX_REPS], pipe_mb[NCHUNK][MAX_REPS];
	static double rtts[NCHUNK * MAX_REPS];
	double rtt_same[MAX_REPS];
	int nrtt = 0;
	const char *json = NULL;
	uint64_t mib = 0, total;
	int reps = 3;
	double rtt, limit;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			json = argv[++i];
		} else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc) {
			mib = strtoull(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1 || reps > MAX_REPS) {
				fprintf(stderr, "bench-ring: --reps must be 1..%d\n", MAX_REPS);
				return 2;
			}
		} else {
			fprintf(stderr, "usage: bench-ring [--json FILE] [--mib N] [--reps N]\n");
			return 2;
		}
	}
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;

	/* Size each ring run to take about half a second at the wakeup limit. */
	rtt = pingpong(false);
	total = mib ? mib << 20 : (uint64_t)((double)RING_OUT_SIZE / rtt * 0.5e6);
	if (!mib && total < (4u << 20))
		total = 4u << 20;
	if (!mib && total > (256u << 20))
		total = 256u << 20;
	total -= total % 2048;
	printf("bench-ring: %d CPUs, writer on CPU 0, reader on CPU 1; %d repetitions of "
	       "%.1f MB per ring run (pipe 4x); medians below\n",
	       ncpu, reps, (double)total / 1e6);

	/* Each repetition measures the round trip right before its ring runs,
	 * and every ratio uses the round trip of its own repetition. */
	for (int r = 0; r < reps; r++) {
		rtt_same[r] = pingpong(true);
		for (int i = 0; i < NCHUNK; i++) {
			struct bench_result b = ring_bench(chunks[i], total, false);
			struct bench_result n = ring_bench(chunks[i], total, true);

			pipe_mb[i][r] = pipe_bench(chunks[i], total * 4);
			ring_mb[i][r] = b.mb_s;
			rtts[nrtt++] = b.rtt_us;
			ratio[i][r] = b.mb_s / ((double)RING_OUT_SIZE / b.rtt_us);
			per_notify[i][r] =
			    (double)b.bytes / (double)(b.writer_kicks ? b.writer_kicks : 1);
			per_kick[i][r] =
			    (double)b.bytes / (double)(b.writer_kicks + b.reader_kicks);
			per_wakeup[i][r] =
			    (double)b.bytes / (double)(b.reader_waits ? b.reader_waits : 1);
			naive_mb[i][r] = n.mb_s;
			naive_notify[i][r] =
			    (double)n.bytes / (double)(n.writer_kicks ? n.writer_kicks : 1);
		}
	}

	rtt = median(rtts, nrtt);
	limit = (double)RING_OUT_SIZE / rtt; /* bytes per microsecond = MB/s */
	put("eventfd_rtt_us", rtt);
	put("eventfd_rtt_same_cpu_us", median(rtt_same, reps));
	put("wakeup_limit_mb_s", limit);
	printf("eventfd ping-pong round trip: %.1f us across CPUs (median of the %d ring runs' "
	       "own measurements; %.1f us on one CPU)\n",
	       rtt, nrtt, median(rtt_same, reps));
	printf("wakeup limit of a 2 KiB ring (2048 B per round trip): %.1f MB/s\n\n", limit);
	printf("%-6s %10s %8s %10s %10s %10s %10s %11s %10s\n", "write", "ring MB/s", "vs limit",
	       "B/notify", "B/kick", "B/wakeup", "naive MB/s", "naive B/ntf", "pipe MB/s");
	for (int i = 0; i < NCHUNK; i++) {
		double v[8] = {median(ring_mb[i], reps),      median(ratio[i], reps),
		               median(per_notify[i], reps),   median(per_kick[i], reps),
		               median(per_wakeup[i], reps),   median(naive_mb[i], reps),
		               median(naive_notify[i], reps), median(pipe_mb[i], reps)};

		printf("%-6zu %10.1f %8.2f %10.0f %10.0f %10.0f %10.1f %11.0f %10.1f\n", chunks[i],
		       v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
		putf("ring_mb_s", suffix[i], v[0]);
		putf("ring_vs_wakeup_limit", suffix[i], v[1]);
		putf("bytes_per_notify", suffix[i], v[2]);
		putf("bytes_per_kick_both_ways", suffix[i], v[3]);
		putf("bytes_per_reader_wakeup", suffix[i], v[4]);
		putf("ring_naive_mb_s", suffix[i], v[5]);
		putf("ring_naive_bytes_per_notify", suffix[i], v[6]);
		putf("pipe_mb_s", suffix[i], v[7]);
	}
	printf("\nring: both sides drain/fill everything, one kick per batch; naive: a kick after\n"
	       "every commit on both sides. B/notify: bytes per writer->reader kick; B/kick: per\n"
	       "kick in either direction; B/wakeup: per reader sleep. vs limit: ring MB/s over\n"
	       "2048 B per round trip, both measured by the same two processes in the same run.\n");

	print_targets();
	if (json)
		write_json(json);
	return 0;
}
