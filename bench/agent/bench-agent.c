/*
 * bench-agent.c - xenchannel-agent against qemu-guest-agent, same transport
 * (a pty: the guest side is the slave, this program holds the master like a
 * console backend would), same run:
 *   - start-to-ready: spawn -> first answer (READY to HELLO; guest-ping reply),
 *     the request repeated every 2 ms until answered;
 *   - RSS (VmRSS) after the round trips;
 *   - no-op round trip: our ping request vs guest-ping, N sequential.
 * Usage: bench-agent [--json FILE] [--rounds N]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "xenchannel/proto.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static long rss_kb(pid_t pid)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "r");
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

struct side {
	const char *name;
	int master;
	pid_t pid;
	double ready_ms;
	double rtt_p50_us, rtt_mean_us, rtt_p99_us;
	long rss;
	/* ours */
	struct proto_decoder *dec;
	uint32_t epoch, seq;
	/* qga */
	char line[4096];
	size_t llen;
};

static int open_pty(int *master, char *slave, size_t n)
{
	int s;
	if (openpty(master, &s, NULL, NULL, NULL) < 0)
		return -1;
	if (ttyname_r(s, slave, n) != 0)
		return -1;
	/* the master side stays raw as well: a console backend moves bytes */
	struct termios t;
	tcgetattr(s, &t);
	close(s);
	fcntl(*master, F_SETFL, O_NONBLOCK);
	return 0;
}

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EAGAIN) {
				struct pollfd pf = {.fd = fd, .events = POLLOUT};
				poll(&pf, 1, 100);
				continue;
			}
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* ours: send a frame */
static void ours_send(struct side *s, uint8_t type, json_t *o)
{
	uint8_t *buf;
	size_t n;
	proto_encode_json(type, 0, s->epoch, ++s->seq, o, &buf, &n);
	write_all(s->master, buf, n);
	free(buf);
	json_decref(o);
}

/* ours: wait up to ms for a frame of type (agent's, our epoch). 1 got, 0 not. */
static int ours_wait(struct side *s, uint8_t type, int ms)
{
	double end = now_ms() + ms;
	for (;;) {
		struct proto_frame f;
		enum proto_event ev;
		while ((ev = proto_decoder_next(s->dec, &f)) != PROTO_EV_NONE)
			if (ev == PROTO_EV_FRAME && f.type == type && (f.flags & PROTO_F_AGENT) &&
			    f.epoch == s->epoch)
				return 1;
		double left = end - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = s->master, .events = POLLIN};
		if (poll(&p, 1, (int)left + 1) <= 0)
			continue;
		uint8_t buf[8192];
		ssize_t n = read(s->master, buf, sizeof(buf));
		if (n > 0)
			proto_decoder_feed(s->dec, buf, (size_t)n);
	}
}

/* qga: wait for one reply line containing "return". */
static int qga_wait(struct side *s, int ms)
{
	double end = now_ms() + ms;
	for (;;) {
		char *nl;
		while ((nl = memchr(s->line, '\n', s->llen))) {
			size_t l = (size_t)(nl - s->line) + 1;
			int ok = memmem(s->line, l, "\"return\"", 8) != NULL;
			memmove(s->line, s->line + l, s->llen - l);
			s->llen -= l;
			if (ok)
				return 1;
		}
		double left = end - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = s->master, .events = POLLIN};
		if (poll(&p, 1, (int)left + 1) <= 0)
			continue;
		if (s->llen == sizeof(s->line))
			s->llen = 0;
		ssize_t n = read(s->master, s->line + s->llen, sizeof(s->line) - s->llen);
		if (n > 0)
			s->llen += (size_t)n;
	}
}

static const char qga_ping[] = "{\"execute\":\"guest-ping\"}\n";

static int measure(struct side *s, int ours, int rounds, double t0)
{
	/* start-to-ready: ask every 2 ms until answered (10 s at most) */
	int ready = 0;
	while (!ready && now_ms() - t0 < 10000) {
		if (ours)
			ours_send(s, PROTO_HELLO,
			          json_pack("{s:I, s:s, s:[i]}", "epoch", (json_int_t)s->epoch,
			                    "nonce", "bench", "versions", 1));
		else
			write_all(s->master, qga_ping, strlen(qga_ping));
		ready = ours ? ours_wait(s, PROTO_READY, 2) : qga_wait(s, 2);
	}
	if (!ready)
		return -1;
	s->ready_ms = now_ms() - t0;
	/* drain duplicate answers to the repeated first requests */
	if (ours)
		while (ours_wait(s, PROTO_READY, 50))
			;
	else
		while (qga_wait(s, 50))
			;
	double *t = calloc((size_t)rounds, sizeof(double));
	for (int i = 0; i < rounds; i++) {
		double a = now_ms();
		if (ours) {
			ours_send(s, PROTO_REQUEST,
			          json_pack("{s:i, s:s}", "id", i + 1, "op", "ping"));
			if (!ours_wait(s, PROTO_REPLY, 5000))
				return -1;
		} else {
			write_all(s->master, qga_ping, strlen(qga_ping));
			if (!qga_wait(s, 5000))
				return -1;
		}
		t[i] = (now_ms() - a) * 1000.0;
	}
	double sum = 0;
	for (int i = 0; i < rounds; i++)
		sum += t[i];
	qsort(t, (size_t)rounds, sizeof(double), cmp_d);
	s->rtt_mean_us = sum / rounds;
	s->rtt_p50_us = t[rounds / 2];
	s->rtt_p99_us = t[(rounds * 99) / 100];
	free(t);
	s->rss = rss_kb(s->pid);
	return 0;
}

static void stop(struct side *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	const char *json_path = NULL;
	int rounds = 2000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json_path = argv[++i];
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench-agent [--json FILE] [--rounds N]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	char self[4096], agent[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return 1;
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(agent, sizeof(agent), "%s/../../src/guest/agent/xenchannel-agent", self);
	char tmp[] = "/tmp/bench-agent.XXXXXX";
	if (!mkdtemp(tmp))
		return 1;

	struct side ours = {
	    .name = "xenchannel-agent", .epoch = 0xbe9c4, .dec = proto_decoder_new(0)};
	struct side qga = {.name = "qemu-ga"};
	char slave[256];
	if (open_pty(&ours.master, slave, sizeof(slave)) < 0) {
		perror("openpty");
		return 1;
	}
	char *aargv[] = {agent, "--device", slave, "--root", tmp, "--kernel", "off", NULL};
	double t0 = now_ms();
	ours.pid = spawn(aargv);
	int ok_ours = measure(&ours, 1, rounds, t0) == 0;
	stop(&ours);

	int have_qga =
	    access("/usr/sbin/qemu-ga", X_OK) == 0 || access("/usr/bin/qemu-ga", X_OK) == 0;
	int ok_qga = 0;
	if (have_qga) {
		char slave2[256], pidf[300];
		open_pty(&qga.master, slave2, sizeof(slave2));
		snprintf(pidf, sizeof(pidf), "%s/qga.pid", tmp);
		char *qargv[] = {"qemu-ga", "-m", "isa-serial", "-p", slave2,
		                 "-t",      tmp,  "-f",         pidf, NULL};
		t0 = now_ms();
		qga.pid = spawn(qargv);
		ok_qga = measure(&qga, 0, rounds, t0) == 0;
		stop(&qga);
	}
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-agent: could not remove %s\n", tmp);
	if (!ok_ours) {
		fprintf(stderr, "bench-agent: xenchannel-agent did not answer (%s)\n", agent);
		return 1;
	}
	printf("transport: pty (agent on the slave, this program on the master), %d no-op round "
	       "trips\n\n",
	       rounds);
	printf("%-18s %10s %10s %12s %12s %12s\n", "agent", "ready ms", "RSS KiB", "rtt p50 us",
	       "rtt mean us", "rtt p99 us");
	struct side *all[2] = {&ours, &qga};
	for (int i = 0; i < 2; i++) {
		if (i == 1 && !ok_qga) {
			printf("%-18s %s\n", "qemu-ga",
			       have_qga ? "did not answer" : "not installed");
			continue;
		}
		printf("%-18s %10.1f %10ld %12.1f %12.1f %12.1f\n", all[i]->name, all[i]->ready_ms,
		       all[i]->rss, all[i]->rtt_p50_us, all[i]->rtt_mean_us, all[i]->rtt_p99_us);
	}
	if (ok_qga)
		printf("\nratios (ours / qemu-ga): RSS %.2f (target <= 0.5), rtt p50 %.2f (target "
		       "<= 1)\n",
		       (double)ours.rss / qga.rss, ours.rtt_p50_us / qga.rtt_p50_us);
	if (json_path) {
		FILE *f = fopen(json_path, "w");
		if (!f) {
			perror(json_path);
			return 1;
		}
		fprintf(f, "{\"ready_ms\": %.3f, \"agent_rss_kb\": %ld, \"agent_rtt_us\": %.2f",
		        ours.ready_ms, ours.rss, ours.rtt_p50_us);
		if (ok_qga)
			fprintf(
			    f,
			    ", \"qga_ready_ms\": %.3f, \"qga_rss_kb\": %ld, \"qga_rtt_us\": %.2f, "
			    "\"rss_ratio_vs_qga\": %.4f, \"rtt_ratio_vs_qga\": %.4f",
			    qga.ready_ms, qga.rss, qga.rtt_p50_us, (double)ours.rss / qga.rss,
			    ours.rtt_p50_us / qga.rtt_p50_us);
		fprintf(f, "}\n");
		fclose(f);
	}
	return ok_qga || !have_qga ? 0 : 1;
}
