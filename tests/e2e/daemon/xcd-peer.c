/*
 * xcd-peer - one end of a channel for tests and benchmarks.
 *
 *   xcd-peer xfer PATH [--send N --seed-send S] [--recv N --seed-recv S]
 *                      [--reconnect] [--stop-at N] [--timeout SECS]
 *       Full duplex: writes N pattern bytes and reads/verifies N pattern bytes
 *       at the same time. PATH is a unix socket (connected) or a tty (raw).
 *       The pattern is a hash of the byte's offset, so a lost, duplicated or
 *       reordered chunk is caught at its exact offset. --reconnect: when a
 *       socket peer goes away, wait for the socket to come back (inotify on
 *       its directory) and carry on; bytes must continue exactly where they
 *       stopped. --stop-at N: once exactly N bytes are received, stop
 *       (SIGSTOP) until continued, so a test knows how far the transfer got.
 *       Prints "sent N received N seconds S".
 *   xcd-peer echo PATH           copy everything read back to the sender
 *   xcd-peer rtt PATH COUNT SIZE round trips of SIZE bytes against an echo;
 *                                prints "rtt_us median M mean A"
 *   xcd-peer multi LISTFILE SECONDS read|write
 *       Open every path listed in LISTFILE (one per line) and, for SECONDS,
 *       write to all of them as fast as they take it, or read from all of
 *       them; prints the total and the min/max per-path rate measured after
 *       the first second.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "peer-io.h"

static void fill(unsigned char *b, size_t n, uint64_t off, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t o = off + i;
		b[i] = (unsigned char)(peer_mix(seed ^ (o >> 3)) >> ((o & 7) * 8));
	}
}

/* Connect, waiting (inotify, bounded) for the socket to (re)appear. */
static int connect_wait(const char *path, double deadline)
{
	/* Usually the socket is there: connect before paying for an inotify
	 * instance and watch (milliseconds each with thousands of sockets in the
	 * directory, which made opening every channel outlast a benchmark). */
	int fd0 = peer_connect(path);
	if (fd0 >= 0)
		return fd0;
	int in = peer_watch_dir(path);
	for (;;) {
		int fd = peer_connect(path);
		if (fd >= 0) {
			if (in >= 0)
				close(in);
			return fd;
		}
		double left = deadline - peer_now();
		if (left <= 0) {
			fprintf(stderr, "xcd-peer: connect %s: %s (timed out)\n", path,
			        strerror(errno));
			return -1;
		}
		/* A stale socket file exists before the daemon replaces it; the
		 * replacement shows up as IN_CREATE. Poll at most 100 ms so a
		 * missed race costs little. */
		struct pollfd p = {.fd = in, .events = POLLIN};
		poll(&p, in >= 0 ? 1 : 0, left < 0.1 ? (int)(left * 1000) + 1 : 100);
		char buf[4096];
		while (in >= 0 && read(in, buf, sizeof(buf)) > 0)
			;
	}
}

static int open_path(const char *path, double deadline)
{
	if (peer_is_socket(path))
		return connect_wait(path, deadline);
	int fd = peer_open_tty(path, 0);
	if (fd < 0)
		fprintf(stderr, "xcd-peer: open %s: %s\n", path, strerror(errno));
	return fd;
}

static int xfer(int argc, char **argv)
{
	const char *path = argv[2];
	uint64_t nsend = 0, nrecv = 0, ssend = 1, srecv = 2, stop_at = 0;
	int reconnect = 0;
	double timeout = 120;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--send") && i + 1 < argc)
			nsend = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--recv") && i + 1 < argc)
			nrecv = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed-send") && i + 1 < argc)
			ssend = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed-recv") && i + 1 < argc)
			srecv = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--stop-at") && i + 1 < argc)
			stop_at = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--reconnect"))
			reconnect = 1;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atof(argv[++i]);
		else {
			fprintf(stderr, "xcd-peer: bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	double t0 = peer_now(), deadline = t0 + timeout;
	int sock = peer_is_socket(path);
	int fd = open_path(path, deadline);
	if (fd < 0)
		return 1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* A tty is raw from here on: a driver may now let the other end talk
	 * (before this, the tty's default echo would send bytes back). */
	fprintf(stderr, "ready\n");
	static unsigned char out[65536], in[65536], want[65536];
	uint64_t sent = 0, got = 0;
	size_t outlen = 0, outpos = 0;
	while (sent < nsend || got < nrecv) {
		if (peer_now() > deadline) {
			fprintf(stderr, "xcd-peer: timeout: sent %llu/%llu received %llu/%llu\n",
			        (unsigned long long)sent, (unsigned long long)nsend,
			        (unsigned long long)got, (unsigned long long)nrecv);
			return 1;
		}
		if (outpos == outlen && sent < nsend) {
			uint64_t n = nsend - sent;
			outlen = n < sizeof(out) ? (size_t)n : sizeof(out);
			fill(out, outlen, sent, ssend);
			outpos = 0;
		}
		struct pollfd p = {.fd = fd,
		                   .events = (short)((got < nrecv ? POLLIN : 0) |
		                                     (outpos < outlen ? POLLOUT : 0))};
		if (poll(&p, 1, 1000) < 0 && errno != EINTR)
			return 1;
		int gone = 0;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			size_t want_n = sizeof(in);
			if (stop_at > got && stop_at - got < want_n)
				want_n = (size_t)(stop_at - got);
			ssize_t n = read(fd, in, want_n);
			if (n > 0) {
				if (got + (uint64_t)n > nrecv) {
					fprintf(stderr, "xcd-peer: %llu bytes more than expected\n",
					        (unsigned long long)(got + (uint64_t)n - nrecv));
					return 1;
				}
				fill(want, (size_t)n, got, srecv);
				if (memcmp(want, in, (size_t)n) != 0) {
					size_t k = 0;
					while (want[k] == in[k])
						k++;
					fprintf(stderr, "xcd-peer: mismatch at offset %llu\n",
					        (unsigned long long)(got + k));
					return 1;
				}
				got += (uint64_t)n;
				if (got == stop_at)
					raise(SIGSTOP);
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				gone = 1;
			}
		}
		if (!gone && (p.revents & POLLOUT) && outpos < outlen) {
			ssize_t n =
			    send(fd, out + outpos, outlen - outpos, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == ENOTSOCK)
				n = write(fd, out + outpos, outlen - outpos);
			if (n > 0) {
				outpos += (size_t)n;
				sent += (uint64_t)n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				gone = 1;
			}
		}
		if (gone) {
			if (!(sock && reconnect)) {
				fprintf(stderr,
				        "xcd-peer: peer went away: sent %llu received %llu\n",
				        (unsigned long long)sent, (unsigned long long)got);
				return 1;
			}
			close(fd);
			fd = connect_wait(path, deadline);
			if (fd < 0)
				return 1;
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		}
	}
	if (!sock)
		tcdrain(fd);
	double dt = peer_now() - t0;
	printf("sent %llu received %llu seconds %.3f\n", (unsigned long long)sent,
	       (unsigned long long)got, dt);
	close(fd);
	return 0;
}

static int echo(const char *path)
{
	int fd = open_path(path, peer_now() + 30);
	if (fd < 0)
		return 1;
	fprintf(stderr, "ready\n");
	static unsigned char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return 0;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return 1;
			}
			off += w;
		}
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int rtt(const char *path, int count, size_t size)
{
	int fd = open_path(path, peer_now() + 30);
	if (fd < 0 || size == 0 || size > 4096 || count <= 0)
		return 1;
	unsigned char msg[4096], back[4096];
	double *t = calloc((size_t)count, sizeof(*t)), sum = 0;
	for (int i = 0; i < count + 10; i++) {
		fill(msg, size, (uint64_t)i * size, 9);
		double a = peer_now();
		if (write(fd, msg, size) != (ssize_t)size)
			return 1;
		size_t got = 0;
		while (got < size) {
			ssize_t n = read(fd, back + got, size - got);
			if (n <= 0)
				return 1;
			got += (size_t)n;
		}
		if (memcmp(msg, back, size) != 0) {
			fprintf(stderr, "xcd-peer: echo mismatch\n");
			return 1;
		}
		if (i >= 10) { /* warm-up excluded */
			t[i - 10] = (peer_now() - a) * 1e6;
			sum += t[i - 10];
		}
	}
	qsort(t, (size_t)count, sizeof(*t), cmp_d);
	printf("rtt_us median %.1f mean %.1f\n", t[count / 2], sum / count);
	free(t);
	close(fd);
	return 0;
}

static int multi(const char *list, double seconds, int writing)
{
	FILE *f = fopen(list, "r");
	if (!f) {
		perror(list);
		return 1;
	}
	size_t n = 0, cap = 0;
	int *fds = NULL;
	uint64_t *bytes = NULL, *base = NULL;
	char line[4096];
	double deadline = peer_now() + 60;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			fds = realloc(fds, cap * sizeof(*fds));
			bytes = realloc(bytes, cap * sizeof(*bytes));
			base = realloc(base, cap * sizeof(*base));
		}
		int fd = open_path(line, deadline);
		if (fd < 0)
			return 1;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fds[n] = fd;
		bytes[n] = base[n] = 0;
		n++;
	}
	fclose(f);
	if (n == 0)
		return 2;
	printf("opened %zu\n", n); /* a driver may wait for this line */
	fflush(stdout);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	for (size_t i = 0; i < n; i++) {
		struct epoll_event ev = {.events = writing ? EPOLLOUT : EPOLLIN, .data.u64 = i};
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	static unsigned char buf[4096];
	memset(buf, 'x', sizeof(buf));
	double t0 = peer_now(), tmark = t0 + 1.0, tend = t0 + seconds;
	int marked = 0;
	struct epoll_event evs[256];
	for (;;) {
		double t = peer_now();
		if (!marked && t >= tmark) {
			for (size_t i = 0; i < n; i++)
				base[i] = bytes[i];
			tmark = t;
			marked = 1;
		}
		if (t >= tend)
			break;
		int k = epoll_wait(ep, evs, 256, 100);
		for (int j = 0; j < k; j++) {
			size_t i = (size_t)evs[j].data.u64;
			ssize_t r = writing ? write(fds[i], buf, sizeof(buf))
			                    : read(fds[i], buf, sizeof(buf));
			if (r > 0)
				bytes[i] += (uint64_t)r;
			else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
			}
		}
	}
	double span = peer_now() - tmark;
	uint64_t total = 0;
	double mn = 1e300, mx = 0;
	for (size_t i = 0; i < n; i++) {
		double r = (double)(bytes[i] - base[i]) / span;
		total += bytes[i] - base[i];
		if (r < mn)
			mn = r;
		if (r > mx)
			mx = r;
	}
	printf("paths %zu total_bytes %llu seconds %.3f min_rate %.1f max_rate %.1f "
	       "aggregate_rate %.1f\n",
	       n, (unsigned long long)total, span, mn, mx, (double)total / span);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "multi"))
		return multi(argv[2], atof(argv[3]), !strcmp(argv[4], "write"));
	if (argc >= 3 && !strcmp(argv[1], "xfer"))
		return xfer(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "echo"))
		return echo(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "rtt"))
		return rtt(argv[2], atoi(argv[3]), (size_t)atoi(argv[4]));
	fprintf(stderr, "usage: xcd-peer xfer PATH [--send N] [--recv N] [--seed-send S] "
	                "[--seed-recv S] [--reconnect] [--timeout SECS]\n"
	                "       xcd-peer echo PATH\n       xcd-peer rtt PATH COUNT SIZE\n");
	return 2;
}
