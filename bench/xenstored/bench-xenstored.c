/*
 * bench-xenstored - xensim-xenstored through the real libxenstore:
 * reads/s and writes/s with 1 and 16 clients (threads, one handle each),
 * watch latency from the start of a write to the event p50/p99, and the
 * daemon's RSS holding 100k nodes.
 *
 *   bench-xenstored --json FILE [--daemon PATH] [--seconds N]
 *
 * Baseline, side by side: Debian's xenstored (xen-utils-4.17) needs the
 * hypervisor's event channel device and cannot run here, so the baseline
 * column is the same daemon with one client.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

static double secs = 2.0;
static atomic_bool stop_flag;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct worker {
	pthread_t th;
	int idx;
	bool write;
	uint64_t ops;
	int failed;
	pthread_barrier_t *bar;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct xs_handle *h = xs_open(0);
	char path[64];
	snprintf(path, sizeof(path), "/bench/c%d/key", w->idx);
	if (!h || !xs_write(h, XBT_NULL, path, "0123456789", 10))
		w->failed = 1;
	pthread_barrier_wait(w->bar);
	while (!w->failed && !atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		if (w->write) {
			if (!xs_write(h, XBT_NULL, path, "abcdefghij", 10))
				w->failed = 1;
		} else {
			unsigned len;
			char *v = xs_read(h, XBT_NULL, path, &len);
			if (!v)
				w->failed = 1;
			free(v);
		}
		w->ops++;
	}
	if (h)
		xs_close(h);
	return NULL;
}

/* Operations per second with n clients. */
static double run_clients(int n, bool write)
{
	struct worker *ws = calloc((size_t)n, sizeof(*ws));
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
	atomic_store(&stop_flag, false);
	for (int i = 0; i < n; i++) {
		ws[i] = (struct worker){.idx = i, .write = write, .bar = &bar};
		pthread_create(&ws[i].th, NULL, worker_main, &ws[i]);
	}
	pthread_barrier_wait(&bar);
	uint64_t t0 = now_ns();
	struct timespec d = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
	nanosleep(&d, NULL); /* the measurement window, not a synchronisation */
	atomic_store(&stop_flag, true);
	uint64_t total = 0;
	int failed = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(ws[i].th, NULL);
		total += ws[i].ops;
		failed |= ws[i].failed;
	}
	double el = (double)(now_ns() - t0) / 1e9;
	pthread_barrier_destroy(&bar);
	free(ws);
	if (failed) {
		fprintf(stderr, "bench-xenstored: a client failed: %s\n", strerror(errno));
		exit(1);
	}
	return (double)total / el;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Write-to-event latency in microseconds: p50 and p99 over n samples. */
static void watch_latency(int n, double *p50, double *p99)
{
	struct xs_handle *w = xs_open(0), *h = xs_open(0);
	if (!w || !h || !xs_watch(w, "/bench/lat", "lat")) {
		fprintf(stderr, "bench-xenstored: watch setup: %s\n", strerror(errno));
		exit(1);
	}
	unsigned num;
	free(xs_read_watch(w, &num)); /* the initial event */
	uint64_t *lat = calloc((size_t)n, sizeof(*lat));
	for (int i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		if (!xs_write(h, XBT_NULL, "/bench/lat/k", "x", 1)) {
			fprintf(stderr, "bench-xenstored: write: %s\n", strerror(errno));
			exit(1);
		}
		char **v = xs_read_watch(w, &num);
		lat[i] = now_ns() - t0;
		free(v);
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	*p50 = (double)lat[n / 2] / 1000.0;
	*p99 = (double)lat[(n * 99) / 100] / 1000.0;
	free(lat);
	xs_close(w);
	xs_close(h);
}

struct filler {
	pthread_t th;
	int idx, per;
};

static void *fill_main(void *arg)
{
	struct filler *f = arg;
	struct xs_handle *h = xs_open(0);
	char path[64];
	for (int i = 0; h && i < f->per; i++) {
		snprintf(path, sizeof(path), "/bench/fill/t%d/n%d", f->idx, i);
		if (!xs_write(h, XBT_NULL, path, "value-0123", 10))
			break;
	}
	if (h)
		xs_close(h);
	return NULL;
}

static long rss_kib(pid_t pid)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "r");
	long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* CPU time (user + system) a process has used, in microseconds. */
static double cpu_us(pid_t pid)
{
	char p[64], buf[1024];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *s = strrchr(buf, ')'); /* fields after the command name */
	unsigned long ut = 0, st = 0;
	if (!s ||
	    sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

static long node_count(struct xs_handle *h, const char *path)
{
	unsigned n;
	char **d = xs_directory(h, XBT_NULL, path, &n);
	free(d);
	return d ? (long)n : -1;
}

/* Start the daemon with its run directory in dir; it daemonises once ready.
 * Points libxenstore at it. Returns its pid, or -1. */
static long start_daemon(const char *daemon, const char *dir)
{
	char run[PATH_MAX], sock[PATH_MAX + 32], pidf[PATH_MAX + 40];
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(sock, sizeof(sock), "%s/xenstored/socket", run);
	snprintf(pidf, sizeof(pidf), "%s/xenstored/xenstored.pid", run);
	pid_t p = fork();
	if (p == 0) {
		execl(daemon, daemon, "--run-dir", run, (char *)NULL);
		fprintf(stderr, "bench-xenstored: exec %s: %s\n", daemon, strerror(errno));
		_exit(127);
	}
	int st;
	if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench-xenstored: %s did not start\n", daemon);
		return -1;
	}
	FILE *pf = fopen(pidf, "r");
	long dpid = 0;
	if (!pf || fscanf(pf, "%ld", &dpid) != 1)
		return -1;
	fclose(pf);
	setenv("XENSTORED_PATH", sock, 1);
	return dpid;
}

/* 100k nodes written by 16 clients; returns how many are there, and the
 * time it took in *secs_taken. */
static long fill_nodes(double *secs_taken)
{
	enum { NFILL = 16, TOTAL = 100000 };
	struct filler fs[NFILL];
	uint64_t tf = now_ns();
	for (int i = 0; i < NFILL; i++) {
		fs[i] = (struct filler){.idx = i, .per = TOTAL / NFILL};
		pthread_create(&fs[i].th, NULL, fill_main, &fs[i]);
	}
	for (int i = 0; i < NFILL; i++)
		pthread_join(fs[i].th, NULL);
	*secs_taken = (double)(now_ns() - tf) / 1e9;
	struct xs_handle *h = xs_open(0);
	long filled = 0;
	char path[64];
	for (int i = 0; h && i < NFILL; i++) {
		snprintf(path, sizeof(path), "/bench/fill/t%d", i);
		long k = node_count(h, path);
		filled += k > 0 ? k : 0;
	}
	if (h)
		xs_close(h);
	return filled;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", required_argument, NULL, 'j'},
	    {"daemon", required_argument, NULL, 'd'},
	    {"seconds", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *json = NULL;
	char daemon[PATH_MAX] = "";
	int c;
	while ((c = getopt_long(argc, argv, "j:d:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = optarg;
			break;
		case 'd':
			snprintf(daemon, sizeof(daemon), "%s", optarg);
			break;
		case 's':
			secs = atof(optarg);
			break;
		default:
			fprintf(
			    stderr,
			    "usage: bench-xenstored --json FILE [--daemon PATH] [--seconds N]\n");
			return 2;
		}
	}
	if (!daemon[0]) {
		/* build/bench/xenstored/ -> build/src/sim/xenstored/ */
		char self[PATH_MAX - 64];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return 1;
		self[n] = 0;
		*strrchr(self, '/') = 0;
		snprintf(daemon, sizeof(daemon), "%s/../../src/sim/xenstored/xensim-xenstored",
		         self);
	}
	char dir[] = "/tmp/bench-xenstored.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	long dpid = start_daemon(daemon, dir);
	if (dpid < 0)
		return 1;

	double r1 = run_clients(1, false);
	double c0 = cpu_us((pid_t)dpid);
	double r16 = run_clients(16, false);
	/* daemon CPU per request: what the daemon would do with a core of its own */
	double cpu_per_read = (cpu_us((pid_t)dpid) - c0) / (r16 * secs);
	double w1 = run_clients(1, true), w16 = run_clients(16, true);
	double p50, p99;
	watch_latency(5000, &p50, &p99);

	long rss0 = rss_kib((pid_t)dpid);
	double fill_s;
	long filled = fill_nodes(&fill_s);
	long rss100k = rss_kib((pid_t)dpid);
	kill((pid_t)dpid, SIGTERM);

	printf("xensim-xenstored through libxenstore (%g s per throughput run)\n", secs);
	printf("baseline: Debian's xenstored needs the Xen hypervisor and cannot run here;\n"
	       "          the baseline column is the same daemon with 1 client.\n\n");
	printf("%-28s %14s %14s %12s\n", "metric", "16 clients", "baseline 1c", "target");
	printf("%-28s %14.0f %14.0f %12s\n", "reads/s", r16, r1, ">= 100000");
	printf("%-28s %14.0f %14.0f %12s\n", "writes/s", w16, w1, "-");
	printf("%-28s %14.2f %14s %12s\n", "daemon CPU per read (us)", cpu_per_read, "-", "-");
	printf("%-28s %14.0f %14s %12s\n", "  = reads/s per daemon core",
	       cpu_per_read > 0 ? 1e6 / cpu_per_read : 0.0, "-", "-");
	printf("%-28s %14.1f %14s %12s\n", "watch latency p50 (us)", p50, "-", "-");
	printf("%-28s %14.1f %14s %12s\n", "watch latency p99 (us)", p99, "-", "<= 1000");
	printf("%-28s %14ld %14ld %12s\n", "daemon RSS (KiB), 100k nodes", rss100k, rss0,
	       "(empty)");
	printf("%-28s %14ld %14s %12s\n", "nodes written", filled, "-", "100000");
	printf("%-28s %14.0f %14s %12s\n", "fill rate (writes/s, 16c)", (double)filled / fill_s,
	       "-", "-");

	if (json) {
		FILE *f = fopen(json, "w");
		if (!f) {
			fprintf(stderr, "bench-xenstored: %s: %s\n", json, strerror(errno));
			return 1;
		}
		fprintf(f,
		        "{\"reads_per_s_1c\": %.0f, \"reads_per_s_16c\": %.0f, "
		        "\"writes_per_s_1c\": %.0f, \"writes_per_s_16c\": %.0f, "
		        "\"daemon_cpu_us_per_read_16c\": %.2f, "
		        "\"watch_p50_us\": %.1f, \"watch_p99_us\": %.1f, "
		        "\"rss_kib_empty\": %ld, \"rss_kib_100k_nodes\": %ld, \"nodes\": %ld}\n",
		        r1, r16, w1, w16, cpu_per_read, p50, p99, rss0, rss100k, filled);
		fclose(f);
	}
	char cmd[sizeof(dir) + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-xenstored: could not remove %s\n", dir);
	return 0;
}
