/*
 * cmd-console.c - `xenchannel console DOMAIN NAME|DEVID`: a terminal on a
 * channel, as `xl console` gives one on a domain's console.
 *
 * On a terminal, stdin goes raw (every key reaches the guest, Ctrl-C
 * included) and Ctrl-] leaves; the terminal is restored on every way out.
 * Otherwise stdin is copied to the channel and the channel to stdout until
 * the channel ends, stdin ends (without --timeout), or --timeout passes.
 * Socket channels are reached through the unix socket in the backend's
 * directory, pty channels through the pty named in the backend's `tty` (the
 * dom0-owned copy: the frontend's is the guest's to write).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <xenstore.h>

#include "commands.h"
#include "xenchannel/loop.h"
#include "xenchannel/toolstack.h"
#include "xenchannel/xstore.h"

#define USAGE "usage: xenchannel console [--timeout SECONDS] DOMAIN NAME|DEVID\n"
#define ESCAPE_KEY 0x1d /* Ctrl-], as xl console and telnet */
#define BUF_SIZE 4096

/* One direction: bytes read from `from` wait here until `to` takes them. */
struct pipe_buf {
	char data[BUF_SIZE];
	size_t len, off;
};

struct console {
	struct loop *loop;
	int chan;       /* the socket, or the pty */
	int tty;        /* stdin is a terminal: raw mode and the escape key */
	int in_polled;  /* stdin or stdout cannot be watched (a regular file): */
	int out_polled; /* read or written at every turn instead */
	int in_eof, quit;
	int has_timeout; /* stdin's end does not end the session */
	int done, status;
	int sigfd;
	struct pipe_buf up, down; /* stdin -> channel, channel -> stdout */
};

/* Saved terminal settings, restored at every exit (atexit included). */
static struct termios saved_stdin, saved_chan;
static int stdin_saved, chan_saved = -1;

static void restore_terminals(void)
{
	if (stdin_saved) {
		tcsetattr(0, TCSADRAIN, &saved_stdin);
		stdin_saved = 0;
	}
	if (chan_saved >= 0) {
		tcsetattr(chan_saved, TCSANOW, &saved_chan);
		chan_saved = -1;
	}
}

static int make_raw(int fd, struct termios *saved)
{
	struct termios t;
	if (tcgetattr(fd, saved) < 0)
		return -1;
	t = *saved;
	cfmakeraw(&t);
	return tcsetattr(fd, TCSANOW, &t);
}

static void finish(struct console *c, int status)
{
	c->done = 1;
	c->status = status;
	loop_stop(c->loop);
}

/* ---- finding the channel ---- */

/* The channel `which` (a name or a devid) of the domain. */
static int find_channel(const char *domain, const char *which, struct ts_channel_info *out,
                        char *err, size_t errlen)
{
	struct ts *ts;
	struct ts_error e;
	uint32_t domid;
	struct ts_channel_info *v = NULL;
	size_t n = 0;
	if (ts_open(&ts, &e)) {
		snprintf(err, errlen, "%s", e.msg);
		return -1;
	}
	if (ts_domain_lookup(ts, domain, &domid, &e) || ts_list(ts, domid, &v, &n, &e)) {
		snprintf(err, errlen, "%s", e.msg);
		ts_close(ts);
		return -1;
	}
	ts_close(ts);
	uint32_t devid;
	int by_devid = xstore_parse_uint(which, 0xffff, &devid) == 0;
	char names[256] = "";
	for (size_t i = 0; i < n; i++) {
		if ((by_devid && v[i].devid == devid) || (!by_devid && !strcmp(v[i].name, which))) {
			*out = v[i];
			memset(&v[i], 0, sizeof(v[i])); /* its strings are out's now */
			ts_list_free(v, n);
			return 0;
		}
		size_t l = strlen(names);
		snprintf(names + l, sizeof(names) - l, "%s%u %s", l ? ", " : "", v[i].devid,
		         v[i].name ? v[i].name : "?");
	}
	char esc[160];
	snprintf(err, errlen, "domain %s: no channel %s (%s)", domain,
	         cli_escaped(esc, sizeof(esc), which), n ? names : "the domain has no channels");
	ts_list_free(v, n);
	return -1;
}

static void info_clear(struct ts_channel_info *c)
{
	free(c->domain);
	free(c->name);
	free(c->connection);
	free(c->path);
	free(c->tty);
	free(c->type);
	free(c->backend);
}

static int connect_socket(const struct ts_channel_info *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!c->path || !*c->path || strlen(c->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "channel %s: no usable socket path in xenstore", c->name);
		return -1;
	}
	strcpy(sa.sun_path, c->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		snprintf(err, errlen, "channel %s: socket %s refused the connection: %s%s", c->name,
		         c->path, strerror(e),
		         e == ENOENT || e == ECONNREFUSED ? " (is xenchanneld serving it?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* The backend's `tty`: a dom0-owned key, and it must name a pty. */
static int open_pty(const struct ts_channel_info *c, char *err, size_t errlen)
{
	struct xs_handle *xs = xs_open(0);
	char key[300], *tty = NULL;
	snprintf(key, sizeof(key), "%s/tty", c->backend);
	if (xs) {
		tty = xstore_read(xs, XBT_NULL, key);
		xs_close(xs);
	}
	if (!tty || !*tty) {
		snprintf(err, errlen, "channel %s: backend not connected: no pty in %s", c->name,
		         key);
		free(tty);
		return -1;
	}
	const char *num = tty + strlen("/dev/pts/");
	if (strncmp(tty, "/dev/pts/", strlen("/dev/pts/")) || !*num ||
	    strspn(num, "0123456789") != strlen(num)) {
		char esc[80];
		snprintf(err, errlen, "channel %s: %s names `%s', not a /dev/pts/N pty", c->name,
		         key, cli_escaped(esc, sizeof(esc), tty));
		free(tty);
		return -1;
	}
	int fd = open(tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || !isatty(fd)) {
		snprintf(err, errlen, "channel %s: cannot open its pty %s: %s", c->name, tty,
		         fd < 0 ? strerror(errno) : "not a terminal");
		if (fd >= 0)
			close(fd);
		free(tty);
		return -1;
	}
	free(tty);
	/* bytes pass unchanged, whatever the pty's settings were */
	if (make_raw(fd, &saved_chan) == 0)
		chan_saved = fd;
	return fd;
}

static int open_channel(const char *domain, const char *which, char *err, size_t errlen)
{
	struct ts_channel_info c;
	if (find_channel(domain, which, &c, err, errlen))
		return -1;
	int fd = -1;
	if (c.be_state != 4) {
		snprintf(err, errlen,
		         "channel %s of domain %s: backend not connected (state %s): is "
		         "xenchanneld running, and the guest's frontend up? See `xenchannel list'",
		         c.name, domain, ts_state_name(c.be_state));
	} else if (!strcmp(c.connection, "socket")) {
		fd = connect_socket(&c, err, errlen);
	} else if (!strcmp(c.connection, "pty")) {
		fd = open_pty(&c, err, errlen);
	} else {
		snprintf(err, errlen, "channel %s: unknown connection `%s'", c.name, c.connection);
	}
	info_clear(&c);
	return fd;
}

/* ---- moving bytes ---- */

static void update(struct console *c);

/* Read what fits into b from fd; returns bytes read, 0 at the end, -1 when
 * nothing is there now. */
static ssize_t fill(struct pipe_buf *b, int fd)
{
	ssize_t n = read(fd, b->data + b->len, sizeof(b->data) - b->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (n < 0)
		return 0; /* an error ends that side, as EOF does; EIO: the pty's master closed */
	b->len += (size_t)n;
	return n;
}

/* Write what b holds to fd; -1 when fd is gone. */
static int drain(struct pipe_buf *b, int fd)
{
	while (b->off < b->len) {
		ssize_t n = write(fd, b->data + b->off, b->len - b->off);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		b->off += (size_t)n;
	}
	b->off = b->len = 0;
	return 0;
}

static void read_stdin(struct console *c)
{
	size_t before = c->up.len;
	ssize_t n = fill(&c->up, 0);
	if (n == 0) {
		c->in_eof = 1;
		if (!c->in_polled)
			loop_unwatch(c->loop, 0);
	} else if (n > 0 && c->tty) {
		char *esc = memchr(c->up.data + before, ESCAPE_KEY, (size_t)n);
		if (esc) {
			c->up.len = (size_t)(esc - c->up.data); /* the key itself is not sent */
			c->quit = 1;
		}
	}
}

static void step(struct console *c)
{
	if (drain(&c->up, c->chan) < 0) {
		fprintf(stderr, "\r\nxenchannel: console: the channel went away: %s\r\n",
		        strerror(errno));
		finish(c, 1);
		return;
	}
	if (drain(&c->down, 1) < 0) {
		finish(c, errno == EPIPE ? 0 : 1); /* nobody reads stdout any more */
		return;
	}
	/* stdin in the loop's way: read it here once there is room */
	if (c->in_polled && !c->in_eof && !c->quit && c->up.len == 0)
		read_stdin(c);
	if (c->up.len == 0 && (c->quit || (c->in_eof && !c->has_timeout))) {
		finish(c, 0);
		return;
	}
	update(c);
}

static void on_chan(struct loop *l, int fd, unsigned events, void *arg)
{
	struct console *c = arg;
	if ((events & LOOP_READ) && c->down.len == 0 && fill(&c->down, fd) == 0) {
		if (c->tty)
			fprintf(stderr, "\r\n");
		fprintf(stderr, "xenchannel: console: the channel was closed by its backend%s\n",
		        c->tty ? "\r" : "");
		drain(&c->down, 1);
		finish(c, 0);
		return;
	}
	step(c);
}

static void on_stdin(struct loop *l, int fd, unsigned events, void *arg)
{
	struct console *c = arg;
	if (c->up.len == 0)
		read_stdin(c);
	step(c);
}

static void on_stdout(struct loop *l, int fd, unsigned events, void *arg)
{
	step(arg);
}

static void polled(struct loop *l, void *arg)
{
	step(arg);
}

/* Watch each side only for what it can do now: back-pressure both ways. */
static void update(struct console *c)
{
	if (c->done)
		return;
	unsigned ch = (c->down.len == 0 ? LOOP_READ : 0) | (c->up.len ? LOOP_WRITE : 0);
	loop_modify(c->loop, c->chan, ch);
	if (!c->in_polled && !c->in_eof)
		loop_modify(c->loop, 0, c->up.len == 0 && !c->quit ? LOOP_READ : 0);
	if (!c->out_polled)
		loop_modify(c->loop, 1, c->down.len ? LOOP_WRITE : 0);
	if ((c->in_polled && !c->in_eof && c->up.len == 0) || (c->out_polled && c->down.len))
		loop_soon(c->loop, polled, c);
}

static void on_timeout(struct loop *l, void *arg)
{
	finish(arg, 0);
}

static void on_signal(struct loop *l, int fd, unsigned events, void *arg)
{
	struct console *c = arg;
	int sig = loop_signal_next(fd);
	if (sig) {
		fprintf(stderr, "%sxenchannel: console: %s%s\n", c->tty ? "\r\n" : "",
		        strsignal(sig), c->tty ? "\r" : "");
		finish(c, 1);
	}
}

/* Register fd with the loop; a regular file, which epoll refuses, is
 * served at every turn instead (*polled). */
static int watch(struct console *c, int fd, unsigned ev, loop_fd_cb cb, int *polled)
{
	if (loop_watch(c->loop, fd, ev, cb, c) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	*polled = 1;
	return 0;
}

static int run(struct console *c, double timeout)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0};
	if (!(c->loop = loop_new()) || loop_watch(c->loop, c->chan, LOOP_READ, on_chan, c) < 0 ||
	    watch(c, 0, LOOP_READ, on_stdin, &c->in_polled) < 0 ||
	    watch(c, 1, 0, on_stdout, &c->out_polled) < 0 ||
	    (c->sigfd = loop_signals(c->loop, sigs, on_signal, c)) < 0 ||
	    (timeout > 0 && !loop_timer(c->loop, (uint64_t)(timeout * 1000), on_timeout, c))) {
		fprintf(stderr, "xenchannel: console: event loop: %s\n", strerror(errno));
		return 1;
	}
	if (c->out_polled)
		fcntl(1, F_SETFL, fcntl(1, F_GETFL) & ~O_NONBLOCK);
	update(c);
	if (loop_run(c->loop) < 0) {
		fprintf(stderr, "xenchannel: console: event loop: %s\n", strerror(errno));
		return 1;
	}
	return c->status;
}

int cmd_console(int argc, char **argv)
{
	static const struct option opts[] = {{"timeout", required_argument, NULL, 't'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	double timeout = 0;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf(USAGE "On a terminal, Ctrl-] leaves.\n");
			return 0;
		}
		int ms;
		if (c != 't') {
			fprintf(stderr, USAGE);
			return 2;
		}
		if (cli_parse_seconds("console", "--timeout", optarg, 1, &ms))
			return 2;
		timeout = ms / 1000.0;
	}
	if (optind + 2 != argc) {
		fprintf(stderr, USAGE);
		return 2;
	}
	char err[1100];
	static struct console con; /* its buffers are large */
	con = (struct console){.tty = isatty(0), .has_timeout = timeout > 0, .sigfd = -1};
	atexit(restore_terminals);
	con.chan = open_channel(argv[optind], argv[optind + 1], err, sizeof(err));
	if (con.chan < 0) {
		fprintf(stderr, "xenchannel: console: %s\n", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (con.tty) {
		fprintf(stderr, "Connected to channel %s of domain %s. Escape character is '^]'.\n",
		        argv[optind + 1], argv[optind]);
		if (make_raw(0, &saved_stdin) == 0)
			stdin_saved = 1;
	}
	int rc = run(&con, timeout);
	restore_terminals();
	if (con.tty)
		fprintf(stderr, "\n");
	if (con.sigfd >= 0)
		close(con.sigfd);
	loop_free(con.loop);
	close(con.chan);
	return rc;
}
