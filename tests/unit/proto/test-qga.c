/* test-qga.c - the qemu-ga client (qga.h) against a scripted agent on a unix
 * socket: noise, stale replies and echoes before and after the handshake,
 * replies split anywhere, a lost command, oversized replies, commands that
 * answer nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tmpdir.h"
#include "xenchannel/host.h"
#include "xenchannel/qga.h"

enum mode {
	M_NORMAL,
	M_LOSE_FIRST,
	M_OVERSIZE,
	M_CLOSE,
	M_ERROR,
	M_NO_SYNC,
	M_MANY_VALUES,
	M_ERROR_NO_CLASS
};

struct peer {
	int lfd;
	char dir[64], path[80];
	enum mode mode;
	int commands; /* commands (not syncs) the agent read */
};

static void put(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Byte by byte: the client must reassemble replies from any split. */
static void put_slowly(int fd, const char *s)
{
	for (; *s; s++)
		assert_int_equal(write(fd, s, 1), 1);
}

static void reply(struct peer *p, int fd, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "execute"));
	json_int_t id = json_integer_value(json_object_get(req, "id"));
	char buf[512];
	if (!strcmp(cmd, "guest-sync-delimited") && p->mode == M_NO_SYNC) {
		snprintf(buf, sizeof(buf),
		         "{\"id\": %lld, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		         "\"Command guest-sync-delimited has been disabled\"}}\n",
		         (long long)id);
		put(fd, buf);
		return;
	}
	if (!strcmp(cmd, "guest-sync-delimited")) {
		json_int_t sid =
		    json_integer_value(json_object_get(json_object_get(req, "arguments"), "id"));
		/* noise, a brace in a string, a stale sync reply, then ours */
		snprintf(buf, sizeof(buf),
		         "junk{\"a\": \"}{\"}\n\xff{\"return\": 7}\n\xff{\"return\": %lld, \"id\": "
		         "%lld}\n",
		         (long long)sid, (long long)id);
		put_slowly(fd, buf);
		return;
	}
	p->commands++;
	if (p->mode == M_LOSE_FIRST && p->commands == 1)
		return; /* the agent "restarted": this command is gone */
	if (p->mode == M_CLOSE) {
		shutdown(fd, SHUT_RDWR);
		return;
	}
	if (p->mode == M_OVERSIZE) {
		put(fd, "{\"return\": \"");
		char *big = malloc(1 << 20);
		memset(big, 'a', 1 << 20);
		for (int i = 0; i < 17; i++)
			assert_int_equal(write(fd, big, 1 << 20), 1 << 20);
		free(big);
		put(fd, "\"}\n");
		return;
	}
	if (p->mode == M_MANY_VALUES) { /* 600 KB, but 300001 values */
		put(fd, "{\"return\": [0");
		char *zeros = malloc(600000);
		for (int i = 0; i < 600000; i += 2)
			memcpy(zeros + i, ",0", 2);
		assert_int_equal(write(fd, zeros, 600000), 600000);
		free(zeros);
		snprintf(buf, sizeof(buf), "], \"id\": %lld}\n", (long long)id);
		put(fd, buf);
		return;
	}
	if (p->mode == M_ERROR_NO_CLASS) {
		snprintf(buf, sizeof(buf), "{\"error\": \"nope\", \"id\": %lld}\n", (long long)id);
		put(fd, buf);
		return;
	}
	/* an echo of the request, a stale reply to another id, then ours */
	snprintf(buf, sizeof(buf), "{\"execute\": \"%s\", \"id\": %lld}\n", cmd, (long long)id);
	put(fd, buf);
	put(fd, "{\"return\": {\"host-name\": \"stale\"}, \"id\": 1}\n");
	if (p->mode == M_ERROR)
		snprintf(buf, sizeof(buf),
		         "{\"id\": %lld, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		         "\"Command %s has been disabled\"}}\n",
		         (long long)id, cmd);
	else
		snprintf(buf, sizeof(buf),
		         "{\"return\": {\"host-name\": \"a}\\\"b{\"}, \"id\": %lld}\n",
		         (long long)id);
	put_slowly(fd, buf);
}

/* Reads requests (0xFF resets, as in qemu-ga) and answers per mode. */
static void *agent(void *arg)
{
	struct peer *p = arg;
	int fd = accept(p->lfd, NULL, NULL);
	char *in = NULL;
	size_t len = 0;
	for (;;) {
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		in = realloc(in, len + (size_t)n + 1);
		memcpy(in + len, buf, (size_t)n);
		len += (size_t)n;
		for (;;) {
			char *ff = memchr(in, 0xff, len);
			if (ff) {
				len -= (size_t)(ff + 1 - in);
				memmove(in, ff + 1, len);
				continue;
			}
			json_error_t je;
			json_t *o = json_loadb(in, len, JSON_DISABLE_EOF_CHECK, &je);
			if (!o)
				break;
			len -= je.position;
			memmove(in, in + je.position, len);
			reply(p, fd, o);
			json_decref(o);
		}
	}
	free(in);
	close(fd);
	return NULL;
}

static void start(struct peer *p, enum mode m, pthread_t *th)
{
	assert_non_null(ut_tmpdir(p->dir, sizeof(p->dir), "test-qga"));
	snprintf(p->path, sizeof(p->path), "%s/s", p->dir);
	p->mode = m;
	p->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->path);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->lfd, 4), 0);
	assert_int_equal(pthread_create(th, NULL, agent, p), 0);
}

static void stop(struct peer *p, pthread_t th)
{
	pthread_join(th, NULL);
	close(p->lfd);
	ut_rmtree(p->dir);
}

static int call(struct peer *p, const char *cmd, json_t **v, char *err)
{
	return qga_call(p->path, cmd, NULL, 20000, v, err, 600);
}

static void test_reply_among_noise(void **state)
{
	struct peer p = {0};
	pthread_t th;
	start(&p, M_NORMAL, &th);
	json_t *v;
	char err[600];
	assert_int_equal(call(&p, "guest-get-host-name", &v, err), QGA_OK);
	assert_string_equal(json_string_value(json_object_get(v, "host-name")), "a}\"b{");
	json_decref(v);
	stop(&p, th);
}

static void test_guest_error(void **state)
{
	struct peer p = {0};
	pthread_t th;
	start(&p, M_ERROR, &th);
	json_t *v;
	char err[600];
	assert_int_equal(call(&p, "guest-fsfreeze-freeze", &v, err), QGA_GUEST_ERROR);
	assert_string_equal(json_string_value(json_object_get(v, "class")), "CommandNotFound");
	assert_non_null(strstr(err, "guest-fsfreeze-freeze: CommandNotFound: Command"));
	json_decref(v);
	stop(&p, th);
}

/* A probe answered before the command: read-only ones are sent again. */
static void test_lost_read_only_is_retried(void **state)
{
	struct peer p = {0};
	pthread_t th;
	start(&p, M_LOSE_FIRST, &th);
	json_t *v;
	char err[600];
	assert_int_equal(call(&p, "guest-get-host-name", &v, err), QGA_OK);
	assert_int_equal(p.commands, 2);
	json_decref(v);
	stop(&p, th);
}

static void test_lost_other_is_reported(void **state)
{
	struct peer p = {0};
	pthread_t th;
	start(&p, M_LOSE_FIRST, &th);
	json_t *v;
	char err[600];
	assert_int_equal(call(&p, "guest-fsfreeze-thaw", &v, err), QGA_NO_ANSWER);
	assert_null(v);
	assert_non_null(strstr(err, "lost guest-fsfreeze-thaw"));
	assert_int_equal(p.commands, 1);
	stop(&p, th);
}

static void test_oversize_reply(void **state)
{
	struct peer p = {0};
	pthread_t th;
	start(&p, M_OVERSIZE, &th);
	json_t *v;
	char err[600];
	assert_int_equal(call(&p, "guest-get-osinfo", &v, err), QGA_NO_ANSWER);
	assert_non_null(strstr(err, "reply is over"));
	stop(&p, th);
}

/* A reply of a few hundred KB can still parse into a tree of hundreds of
 * MB: the number of values is bounded too. */
static void test_too_many_values(void **state)
{
	struct peer p = {0};
	pthread_t th;
	start(&p, M_MANY_VALUES, &th);
	json_t *v;
	char err[600];
	assert_int_equal(call(&p, "guest-get-vcpus", &v, err), QGA_NO_ANSWER);
	assert_non_null(
	    strstr(err, "guest-get-vcpus: the agent's reply has over 262144 JSON values"));
	stop(&p, th);
}

/* QGA_GUEST_ERROR always has a class: an "error" without one is not an
 * answer. */
static void test_error_without_class(void **state)
{
	struct peer p = {0};
	pthread_t th;
	start(&p, M_ERROR_NO_CLASS, &th);
	json_t *v;
	char err[600];
	assert_int_equal(call(&p, "guest-ping", &v, err), QGA_NO_ANSWER);
	assert_null(v);
	assert_non_null(strstr(err, "guest-ping: the agent's error reply has no \"class\" string"));
	stop(&p, th);
}

static uint64_t fixed_clock(void)
{
	return 1000;
}

/* The handshake answered, then the channel gone before guest-shutdown
 * could be written: that is not the guest going away as asked. On a
 * socketpair with qga_chan_adopt: ids from seed 0 start at 1. */
static void test_closed_before_command_sent(void **state)
{
	int sv[2];
	char err[600];
	const json_t *v;
	const char *msg;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct qga_chan *c = qga_chan_adopt(sv[0], 0, fixed_clock, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(qga_chan_command(c, "guest-shutdown", NULL, err, sizeof(err)), 0);
	assert_int_equal(qga_chan_io(c, HOST_WRITE), 0);
	char req[200];
	ssize_t n = read(sv[1], req, sizeof(req) - 1);
	assert_true(n > 0);
	req[n] = 0;
	assert_non_null(strstr(req, "\"id\":1"));
	put(sv[1], "\xff{\"return\": 1, \"id\": 1}\n");
	close(sv[1]);
	assert_int_equal(qga_chan_io(c, HOST_READ | HOST_WRITE), 1);
	assert_int_equal(qga_chan_result(c, &v, &msg), QGA_NO_ANSWER);
	assert_null(v);
	assert_non_null(strstr(msg, "before guest-shutdown was sent"));
	qga_chan_free(c);
}

/* Ids are predictable: a "reply" that came before the command was written
 * (here, with the handshake's answer) cannot answer it. */
static void test_reply_before_command_written(void **state)
{
	int sv[2];
	char err[600], req[200];
	const json_t *v;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct qga_chan *c = qga_chan_adopt(sv[0], 0, fixed_clock, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(qga_chan_command(c, "guest-ping", NULL, err, sizeof(err)), 0);
	assert_int_equal(qga_chan_io(c, HOST_WRITE), 0);
	assert_true(read(sv[1], req, sizeof(req)) > 0);
	put(sv[1], "\xff{\"return\": 1}\n{\"return\": \"early\", \"id\": 2}\n");
	assert_int_equal(qga_chan_io(c, HOST_READ | HOST_WRITE), 0);
	ssize_t n = read(sv[1], req, sizeof(req) - 1);
	assert_true(n > 0);
	req[n] = 0;
	assert_non_null(strstr(req, "\"execute\":\"guest-ping\",\"id\":2"));
	put(sv[1], "{\"return\": {}, \"id\": 2}\n");
	assert_int_equal(qga_chan_io(c, HOST_READ), 1);
	assert_int_equal(qga_chan_result(c, &v, NULL), QGA_OK);
	assert_true(json_is_object(v) && json_object_size(v) == 0);
	assert_int_equal(qga_chan_stats(c)->stale_dropped, 1);
	qga_chan_free(c);
	close(sv[1]);
}

/* guest-shutdown answers nothing: the channel closing is success; any other
 * command gets no answer. */
static void test_close(void **state)
{
	struct peer p = {0};
	pthread_t th;
	start(&p, M_CLOSE, &th);
	json_t *v;
	char err[600];
	assert_int_equal(call(&p, "guest-shutdown", &v, err), QGA_OK);
	json_decref(v);
	stop(&p, th);
	start(&p, M_CLOSE, &th);
	assert_int_equal(call(&p, "guest-ping", &v, err), QGA_NO_ANSWER);
	assert_non_null(strstr(err, "channel closed"));
	stop(&p, th);
}

/* An agent that refuses the handshake says so at once. */
static void test_sync_refused(void **state)
{
	struct peer p = {0};
	pthread_t th;
	start(&p, M_NO_SYNC, &th);
	json_t *v;
	char err[600];
	assert_int_equal(call(&p, "guest-ping", &v, err), QGA_NO_ANSWER);
	assert_non_null(strstr(err, "refused guest-sync-delimited: CommandNotFound"));
	assert_int_equal(p.commands, 0);
	stop(&p, th);
}

static void test_bad_command(void **state)
{
	json_t *v, *arr = json_array();
	char err[600];
	assert_int_equal(qga_call("/nonexistent", "guest ping", NULL, 100, &v, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "want a qemu-ga command name"));
	assert_int_equal(qga_call("/nonexistent", "guest-ping", arr, 100, &v, err, sizeof(err)),
	                 -1);
	assert_int_equal(qga_call("/nonexistent", "guest-ping", NULL, 100, &v, err, sizeof(err)),
	                 QGA_NO_ANSWER);
	assert_non_null(strstr(err, "connect /nonexistent"));
	json_decref(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reply_among_noise),
	    cmocka_unit_test(test_guest_error),
	    cmocka_unit_test(test_lost_read_only_is_retried),
	    cmocka_unit_test(test_lost_other_is_reported),
	    cmocka_unit_test(test_oversize_reply),
	    cmocka_unit_test(test_too_many_values),
	    cmocka_unit_test(test_error_without_class),
	    cmocka_unit_test(test_closed_before_command_sent),
	    cmocka_unit_test(test_reply_before_command_written),
	    cmocka_unit_test(test_close),
	    cmocka_unit_test(test_sync_refused),
	    cmocka_unit_test(test_bad_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
