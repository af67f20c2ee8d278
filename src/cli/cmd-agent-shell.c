/*
 * cmd-agent-shell.c - `xenchannel agent-shell`: an interactive session with a
 * guest's agent. Each line typed is a request (a JSON object, or a bare op
 * such as `ping` or `status`); replies are printed as they arrive.
 */
#include <errno.h>
#include <getopt.h>
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

struct shell {
	struct loop *loop;
	struct host_chan *h;
	int fd;          /* the channel's socket */
	int interactive; /* stdin is a terminal: prompts on stderr */
	int ready_shown, stdin_open, waiting;
	uint64_t hello_timer, give_up_timer, handshake_timer;
	double timeout; /* seconds the agent has to answer HELLO */
	const char *sock;
	int stdin_polled; /* stdin cannot be watched (a file): read it every turn */
	int done, status; /* stopped, and the exit status */
	char line[PROTO_MAX_PAYLOAD / 4];
	size_t llen;
};

static void stop(struct shell *s, int status)
{
	s->done = 1;
	s->status = status;
	loop_stop(s->loop);
}

static void on_hello_timer(struct loop *l, void *arg);

/* After every event: READY once, the end when input is over and nothing is
 * awaited, and what to watch next. */
static void after_event(struct shell *s)
{
	if (s->done)
		return;
	if (!s->ready_shown && host_chan_is_ready(s->h)) {
		loop_timer_cancel(s->loop, s->handshake_timer);
		s->handshake_timer = 0;
		printf("READY ");
		print(host_chan_ready(s->h));
		s->ready_shown = 1;
		if (s->interactive)
			fprintf(stderr, "> ");
	}
	if (!s->stdin_open && s->waiting == 0) {
		stop(s, 0);
		return;
	}
	unsigned ev = host_chan_events(s->h);
	loop_modify(s->loop, s->fd,
	            (ev & HOST_READ ? LOOP_READ : 0) | (ev & HOST_WRITE ? LOOP_WRITE : 0));
	loop_timer_cancel(s->loop, s->hello_timer);
	s->hello_timer = 0;
	uint64_t nx = host_chan_next_ms(s->h), now = loop_now_ms();
	if (nx)
		s->hello_timer = loop_timer(s->loop, nx > now ? nx - now : 0, on_hello_timer, s);
}

static void chan_io(struct shell *s, unsigned got)
{
	if (host_chan_io(s->h, got) < 0) {
		fprintf(stderr, "xenchannel: agent-shell: %s\n", host_chan_error(s->h));
		stop(s, 1);
		return;
	}
	json_t *rep;
	while ((rep = host_chan_take_reply(s->h))) {
		print(rep);
		json_decref(rep);
		if (s->waiting)
			s->waiting--;
		if (s->interactive)
			fprintf(stderr, "> ");
	}
	after_event(s);
}

static void on_chan(struct loop *l, int fd, unsigned events, void *arg)
{
	chan_io(arg, (events & LOOP_READ ? HOST_READ : 0) | (events & LOOP_WRITE ? HOST_WRITE : 0));
}

static void on_hello_timer(struct loop *l, void *arg)
{
	struct shell *s = arg;
	s->hello_timer = 0;
	chan_io(s, 0);
}

/* Nobody answered HELLO: say so rather than wait for ever. */
static void no_agent(struct loop *l, void *arg)
{
	struct shell *s = arg;
	s->handshake_timer = 0;
	fprintf(stderr,
	        "xenchannel: agent-shell: %s: no agent answered within %g s; is "
	        "xenchannel-agent running in the guest?\n",
	        s->sock, s->timeout);
	stop(s, 1);
}

static void on_give_up(struct loop *l, void *arg)
{
	struct shell *s = arg;
	if (!host_chan_is_ready(s->h)) {
		no_agent(l, s);
		return;
	}
	fprintf(stderr, "xenchannel: agent-shell: %d repl%s still missing\n", s->waiting,
	        s->waiting == 1 ? "y" : "ies");
	stop(s, 1);
}

/* One typed line: a JSON object, or a bare op such as "ping". */
static void send_line(struct shell *s, char *text)
{
	while (*text == ' ' || *text == '\t')
		text++;
	json_t *req = NULL;
	if (*text == '{') {
		json_error_t je;
		req = json_loads(text, 0, &je);
		if (!req || !json_is_object(req))
			fprintf(stderr, "not a JSON object: %s\n", req ? "" : je.text);
	} else if (*text) {
		req = json_pack("{s:s}", "op", text);
	}
	if (req && json_is_object(req)) {
		if (host_chan_request(s->h, req) < 0)
			fprintf(stderr, "cannot send: %s\n", host_chan_error(s->h));
		else
			s->waiting++;
	}
	json_decref(req);
}

static void on_stdin(struct loop *l, int fd, unsigned events, void *arg);
static void stdin_soon(struct loop *l, void *arg)
{
	on_stdin(l, 0, LOOP_READ, arg);
}

/* Once input has ended, give up on missing replies after REPLY_WAIT_MS. */
static void input_over(struct shell *s)
{
	s->stdin_open = 0;
	loop_unwatch(s->loop, 0);
	if (s->waiting && !(s->give_up_timer = loop_timer(s->loop, REPLY_WAIT_MS, on_give_up, s)))
		on_give_up(s->loop, s);
}

static void on_stdin(struct loop *l, int fd, unsigned events, void *arg)
{
	struct shell *s = arg;
	ssize_t n = read(0, s->line + s->llen, sizeof(s->line) - s->llen - 1);
	if (n <= 0) {
		input_over(s);
		after_event(s);
		return;
	}
	s->llen += (size_t)n;
	s->line[s->llen] = 0;
	char *nl;
	while ((nl = strchr(s->line, '\n'))) {
		*nl = 0;
		send_line(s, s->line);
		size_t rest = s->llen - (size_t)(nl + 1 - s->line);
		memmove(s->line, nl + 1, rest);
		s->llen = rest;
		s->line[s->llen] = 0;
	}
	if (s->llen == sizeof(s->line) - 1) {
		fprintf(stderr, "line too long, dropped\n");
		s->llen = 0;
	}
	/* Push what was just queued. */
	host_chan_io(s->h, HOST_WRITE);
	after_event(s);
	if (s->stdin_polled)
		loop_soon(l, stdin_soon, s);
}

/* Watch stdin; a regular file or /dev/null, which epoll refuses, is always
 * readable: it is read at every turn of the loop instead. */
static void watch_stdin(struct shell *s)
{
	if (loop_watch(s->loop, 0, LOOP_READ, on_stdin, s) == 0)
		return;
	if (errno == EPERM) {
		s->stdin_polled = 1;
		loop_soon(s->loop, stdin_soon, s);
	} else {
		input_over(s); /* no usable stdin: no input */
	}
}

#define USAGE                                                                                      \
	"usage: xenchannel agent-shell [--timeout SECONDS] DOMAIN|SOCKET [NAME]\n"                 \
	"Type requests, one per line: ping | status | {\"op\": \"apply\", \"config\": {...}}\n"

int cmd_agent_shell(int argc, char **argv)
{
	static const struct option opts[] = {{"timeout", required_argument, NULL, 't'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	double timeout = 10;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf(USAGE);
			return 0;
		}
		int ms;
		if (c != 't') {
			fprintf(stderr, USAGE);
			return 2;
		}
		if (cli_parse_seconds("agent-shell", "--timeout", optarg, 1, &ms))
			return 2;
		timeout = ms / 1000.0;
	}
	if (argc - optind < 1 || argc - optind > 2) {
		fprintf(stderr, USAGE);
		return 2;
	}
	const char *name = argc - optind == 2 ? argv[optind + 1] : HOST_DEFAULT_NAME;
	char sock[256], err[600];
	if (cli_agent_socket(argv[optind], name, sock, sizeof(sock), err, sizeof(err)) < 0) {
		fprintf(stderr, "xenchannel: agent-shell: %s\n", err);
		return 1;
	}
	static struct shell s; /* its line buffer is large */
	s = (struct shell){
	    .stdin_open = 1, .interactive = isatty(0), .timeout = timeout, .sock = sock};
	s.h = host_chan_new(sock, err, sizeof(err));
	if (!s.h) {
		fprintf(stderr, "xenchannel: agent-shell: %s\n", err);
		return 1;
	}
	if (s.interactive)
		fprintf(stderr, "connected to %s; waiting for the agent (HELLO)...\n", sock);
	s.fd = host_chan_fd(s.h);
	if (!(s.loop = loop_new()) || loop_watch(s.loop, s.fd, LOOP_WRITE, on_chan, &s) < 0) {
		fprintf(stderr, "xenchannel: agent-shell: event loop: %s\n", strerror(errno));
		loop_free(s.loop);
		host_chan_free(s.h);
		return 1;
	}
	s.handshake_timer = loop_timer(s.loop, (uint64_t)(timeout * 1000), no_agent, &s);
	watch_stdin(&s);
	after_event(&s);
	if (!s.done && loop_run(s.loop) < 0) {
		fprintf(stderr, "xenchannel: agent-shell: event loop: %s\n", strerror(errno));
		s.status = 1;
	}
	loop_free(s.loop);
	host_chan_free(s.h);
	return s.status;
}
