/*
 * cmd-agent-shell.c - `xenchannel agent-shell`: an interactive session with a
 * guest's agent. Each line typed is a request (a JSON object, or a bare op
 * such as `ping` or `status`); replies are printed as they arrive.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "xenchannel/host.h"
#include "xenchannel/loop.h"
#include "xenchannel/proto.h"

#define REPLY_WAIT_MS 10000

static void print(const json_t *o)
{
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("\n");
	fflush(stdout);
}

int cmd_agent_shell(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
		        "usage: xenchannel agent-shell DOMAIN|SOCKET [NAME]\n"
		        "Type requests, one per line: ping | status | {\"op\": \"apply\", \"config\": {...}}\n");
		return argc < 2 ? 2 : 0;
	}
	const char *name = argc == 3 ? argv[2] : HOST_DEFAULT_NAME;
	char sock[256], err[600];
	if (strchr(argv[1], '/')) {
		snprintf(sock, sizeof(sock), "%s", argv[1]);
	} else {
		unsigned domid;
		if (host_resolve_domain(NULL, argv[1], &domid, err, sizeof(err)) < 0 ||
		    host_lookup(NULL, domid, name, sock, sizeof(sock), err, sizeof(err)) < 0) {
			fprintf(stderr, "xenchannel: agent-shell: %s\n", err);
			return 1;
		}
	}
	struct host_chan *h = host_chan_new(sock, err, sizeof(err));
	if (!h) {
		fprintf(stderr, "xenchannel: agent-shell: %s\n", err);
		return 1;
	}
	int interactive = isatty(0);
	if (interactive)
		fprintf(stderr, "connected to %s; waiting for the agent (HELLO)...\n", sock);
	int ready_shown = 0, stdin_open = 1, waiting = 0;
	uint64_t give_up = 0;
	char line[PROTO_MAX_PAYLOAD / 4];
	size_t llen = 0;
	for (;;) {
		if (!ready_shown && host_chan_is_ready(h)) {
			printf("READY ");
			print(host_chan_ready(h));
			ready_shown = 1;
			if (interactive)
				fprintf(stderr, "> ");
		}
		if (!stdin_open && waiting == 0)
			break;
		struct pollfd p[2] = {{.fd = host_chan_fd(h)}, {.fd = stdin_open ? 0 : -1, .events = POLLIN}};
		unsigned ev = host_chan_events(h);
		p[0].events = (short)((ev & HOST_READ ? POLLIN : 0) | (ev & HOST_WRITE ? POLLOUT : 0));
		/* Wake for the next HELLO repeat, and once input has ended, give up
		 * on missing replies after REPLY_WAIT_MS. */
		uint64_t now = loop_now_ms();
		if (!stdin_open && !give_up)
			give_up = now + REPLY_WAIT_MS;
		int tmo = -1;
		uint64_t nx = host_chan_next_ms(h);
		if (nx)
			tmo = nx > now ? (int)(nx - now) : 0;
		if (give_up) {
			int left = give_up > now ? (int)(give_up - now) : 0;
			if (tmo < 0 || left < tmo)
				tmo = left;
		}
		int r = poll(p, 2, tmo);
		if (r < 0 && errno != EINTR)
			break;
		if (give_up && loop_now_ms() >= give_up) {
			fprintf(stderr, "xenchannel: agent-shell: %d repl%s still missing\n", waiting,
			        waiting == 1 ? "y" : "ies");
			host_chan_free(h);
			return 1;
		}
		unsigned got = 0;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			got |= HOST_READ;
		if (p[0].revents & POLLOUT)
			got |= HOST_WRITE;
		if (host_chan_io(h, got) < 0) {
			fprintf(stderr, "xenchannel: agent-shell: %s\n", host_chan_error(h));
			host_chan_free(h);
			return 1;
		}
		json_t *rep;
		while ((rep = host_chan_take_reply(h))) {
			print(rep);
			json_decref(rep);
			if (waiting)
				waiting--;
			if (interactive)
				fprintf(stderr, "> ");
		}
		if (!(p[1].revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t n = read(0, line + llen, sizeof(line) - llen - 1);
		if (n <= 0) {
			stdin_open = 0;
			continue;
		}
		llen += (size_t)n;
		line[llen] = 0;
		char *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			char *s = line;
			while (*s == ' ' || *s == '\t')
				s++;
			json_t *req = NULL;
			if (*s == '{') {
				json_error_t je;
				req = json_loads(s, 0, &je);
				if (!req || !json_is_object(req))
					fprintf(stderr, "not a JSON object: %s\n", req ? "" : je.text);
			} else if (*s) {
				req = json_pack("{s:s}", "op", s);
			}
			if (req && json_is_object(req)) {
				if (host_chan_request(h, req) < 0)
					fprintf(stderr, "cannot send: %s\n", host_chan_error(h));
				else
					waiting++;
			}
			json_decref(req);
			size_t rest = llen - (size_t)(nl + 1 - line);
			memmove(line, nl + 1, rest);
			llen = rest;
			line[llen] = 0;
		}
		if (llen == sizeof(line) - 1) {
			fprintf(stderr, "line too long, dropped\n");
			llen = 0;
		}
		/* Push what was just queued. */
		host_chan_io(h, HOST_WRITE);
	}
	host_chan_free(h);
	return 0;
}
