/*
 * qga-rtt.c - round trips of qemu-ga commands over two sockets in the same
 * run: a channel served by xenchanneld, and the same qemu-ga binary listening
 * on a plain unix socket (the KVM virtio-serial equivalent). One connection
 * per socket, handshake done first; then each round sends each command once
 * on each socket, alternately, so load affects both alike.
 * Usage: qga-rtt [--rounds N] [--json FILE] CHANNEL-SOCKET PLAIN-SOCKET
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel/host.h"
#include "xenchannel/loop.h"
#include "xenchannel/qga.h"

static const char *const cmds[] = {"guest-ping", "guest-network-get-interfaces"};
#define NCMDS 2

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Drive c until its command has a result (at most 10 s). */
static int run(struct qga_chan *c)
{
	uint64_t deadline = loop_now_ms() + 10000;
	while (!qga_chan_io(c, 0)) {
		uint64_t now = loop_now_ms(), nx = qga_chan_next_ms(c);
		if (now >= deadline) {
			qga_chan_expire(c, "bench");
			return -1;
		}
		unsigned ev = qga_chan_events(c);
		struct pollfd p = {.fd = qga_chan_fd(c),
		                   .events = (short)((ev & HOST_READ ? POLLIN : 0) |
		                                     (ev & HOST_WRITE ? POLLOUT : 0))};
		uint64_t until = nx && nx < deadline ? nx : deadline;
		poll(&p, 1, until > now ? (int)(until - now) : 0);
		unsigned got = (p.revents & (POLLIN | POLLHUP | POLLERR) ? HOST_READ : 0u) |
		               (p.revents & POLLOUT ? HOST_WRITE : 0u);
		if (qga_chan_io(c, got))
			break;
	}
	return qga_chan_result(c, NULL, NULL) == QGA_OK ? 0 : -1;
}

static int call(struct qga_chan *c, const char *cmd, uint64_t *us)
{
	char err[256];
	uint64_t t0 = loop_now_us();
	if (qga_chan_command(c, cmd, NULL, err, sizeof(err)) < 0 || run(c) < 0) {
		const char *m;
		qga_chan_result(c, NULL, &m);
		fprintf(stderr, "qga-rtt: %s: %s\n", cmd, m);
		return -1;
	}
	*us = loop_now_us() - t0;
	return 0;
}

int main(int argc, char **argv)
{
	size_t rounds = 500;
	const char *json = NULL;
	int a = 1;
	for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (!strcmp(argv[a], "--rounds"))
			rounds = strtoul(argv[a + 1], NULL, 10);
		else if (!strcmp(argv[a], "--json"))
			json = argv[a + 1];
	}
	if (argc - a != 2 || rounds == 0) {
		fprintf(stderr, "usage: qga-rtt [--rounds N] [--json FILE] CHANNEL-SOCKET "
		                "PLAIN-SOCKET\n");
		return 2;
	}
	struct qga_chan *c[2];
	char err[300];
	for (int s = 0; s < 2; s++) {
		uint64_t us;
		if (!(c[s] = qga_chan_new(argv[a + s], err, sizeof(err))) ||
		    call(c[s], "guest-ping", &us) < 0) {
			fprintf(stderr, "qga-rtt: %s: %s\n", argv[a + s], c[s] ? "no answer" : err);
			return 1;
		}
	}
	uint64_t *v[NCMDS][2];
	for (int k = 0; k < NCMDS; k++)
		for (int s = 0; s < 2; s++)
			v[k][s] = calloc(rounds, sizeof(uint64_t));
	for (size_t r = 0; r < rounds; r++)
		for (int k = 0; k < NCMDS; k++)
			for (int s = 0; s < 2; s++) {
				int side = (int)(r & 1) ^ s; /* who goes first alternates */
				if (call(c[side], cmds[k], &v[k][side][r]) < 0)
					return 1;
			}
	FILE *jf = json ? fopen(json, "w") : NULL;
	if (jf)
		fprintf(jf, "{");
	printf("%-30s %14s %14s %14s %14s %8s\n", "round trip (us)", "channel p50", "plain p50",
	       "channel p99", "plain p99", "x p50");
	for (int k = 0; k < NCMDS; k++) {
		double p50[2], p99[2];
		for (int s = 0; s < 2; s++) {
			qsort(v[k][s], rounds, sizeof(uint64_t), cmp_u64);
			p50[s] = (double)v[k][s][rounds / 2];
			p99[s] = (double)v[k][s][rounds * 99 / 100];
		}
		printf("%-30s %14.0f %14.0f %14.0f %14.0f %8.2f\n", cmds[k], p50[0], p50[1], p99[0],
		       p99[1], p50[0] / p50[1]);
		const char *key = k == 0 ? "ping" : "interfaces";
		if (jf)
			fprintf(jf,
			        "%s\"%s_channel_p50_us\": %.0f, \"%s_plain_p50_us\": %.0f, "
			        "\"%s_channel_p99_us\": %.0f, \"%s_plain_p99_us\": %.0f, "
			        "\"%s_ratio_p50\": %.3f, \"%s_ratio_p99\": %.3f",
			        k ? ", " : "", key, p50[0], key, p50[1], key, p99[0], key, p99[1],
			        key, p50[0] / p50[1], key, p99[0] / p99[1]);
	}
	if (jf) {
		fprintf(jf, "}\n");
		fclose(jf);
	}
	for (int s = 0; s < 2; s++)
		qga_chan_free(c[s]);
	return 0;
}
