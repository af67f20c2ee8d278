/* test-host.c - the host end (host.h) against a scripted agent on a unix
 * socket: what the host must ignore (echo of its own frames, output of an
 * earlier session, READY with another nonce, noise) and what it must take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenchannel/host.h"
#include "xenchannel/proto.h"

struct peer {
	int lfd;
	char path[108];
	int mode; /* 0: well-behaved after noise; 1: never answers */
	uint32_t hellos;
};

static void put(int fd, uint8_t type, uint16_t flags, uint32_t epoch, json_t *o)
{
	uint8_t *buf;
	size_t n;
	assert_int_equal(proto_encode_json(type, flags, epoch, 1, o, &buf, &n), 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	free(buf);
	json_decref(o);
}

/* A scripted agent: before the real READY it sends everything a host must
 * drop; then it answers requests, with a stale reply first. */
static void *agent(void *arg)
{
	struct peer *p = arg;
	int fd = accept(p->lfd, NULL, NULL);
	struct proto_decoder *d = proto_decoder_new(0);
	int ready = 0;
	uint32_t epoch = 0;
	for (;;) {
		uint8_t buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		proto_decoder_feed(d, buf, (size_t)n);
		struct proto_frame f;
		while (proto_decoder_next(d, &f) == PROTO_EV_FRAME) {
			char err[100];
			json_t *o = proto_payload_parse(&f, err, sizeof(err));
			if (f.type == PROTO_HELLO) {
				__atomic_add_fetch(&p->hellos, 1, __ATOMIC_SEQ_CST);
				if (p->mode == 1 || ready) {
					json_decref(o);
					continue;
				}
				epoch = f.epoch;
				const char *nonce = json_string_value(json_object_get(o, "nonce"));
				/* noise, an echo of the HELLO, a stale READY, a wrong nonce */
				assert_int_equal(write(fd, "AT\r\n\xf1xc garbage", 16), 16);
				uint8_t echo[512];
				struct proto_frame e = f;
				long en = proto_encode(&e, echo, sizeof(echo));
				assert_int_equal(write(fd, echo, (size_t)en), en);
				put(fd, PROTO_READY, PROTO_F_AGENT, epoch ^ 1,
				    json_pack("{s:s, s:i}", "nonce", nonce, "version", 1));
				put(fd, PROTO_READY, PROTO_F_AGENT, epoch,
				    json_pack("{s:s, s:i}", "nonce", "someone-else", "version", 1));
				put(fd, PROTO_READY, PROTO_F_AGENT, epoch,
				    json_pack("{s:s, s:i, s:s}", "nonce", nonce, "version", 1,
				              "agent", "scripted"));
				ready = 1;
			} else if (f.type == PROTO_REQUEST) {
				json_int_t id = json_integer_value(json_object_get(o, "id"));
				put(fd, PROTO_REPLY, PROTO_F_AGENT, epoch ^ 7,
				    json_pack("{s:I, s:b, s:s}", "id", id, "ok", 1, "stale",
				              "yes"));
				put(fd, PROTO_REPLY, 0, epoch,
				    json_pack("{s:I, s:b, s:s}", "id", id, "ok", 1, "echo", "yes"));
				put(fd, PROTO_REPLY, PROTO_F_AGENT, epoch,
				    json_pack("{s:I, s:b, s:O}", "id", id, "ok", 1, "result",
				              json_object_get(o, "document")
				                  ? json_object_get(o, "hmac")
				                  : json_null()));
			}
			json_decref(o);
		}
	}
	proto_decoder_free(d);
	close(fd);
	return NULL;
}

static struct peer *listen_peer(int mode)
{
	struct peer *p = calloc(1, sizeof(*p));
	p->mode = mode;
	snprintf(p->path, sizeof(p->path), "/tmp/test-host.%d.%d.sock", (int)getpid(), mode);
	unlink(p->path);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, p->path);
	p->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->lfd, 1), 0);
	return p;
}

static void host_ignores_echo_stale_and_foreign_frames(void **state)
{
	struct peer *p = listen_peer(0);
	pthread_t th;
	pthread_create(&th, NULL, agent, p);
	char err[256];
	struct host_chan *h = host_chan_new(p->path, err, sizeof(err));
	assert_non_null(h);
	int64_t id = host_chan_apply(h, "{\"generation\":1}", 16, (const uint8_t *)"k", 1);
	assert_true(id > 0);
	json_t *r = host_chan_wait(h, id, 5000, err, sizeof(err));
	if (!r)
		fail_msg("no reply: %s", err);
	assert_true(host_chan_is_ready(h));
	assert_string_equal(json_string_value(json_object_get(host_chan_ready(h), "agent")),
	                    "scripted");
	/* the real reply, not the stale or echoed one */
	assert_null(json_object_get(r, "stale"));
	assert_null(json_object_get(r, "echo"));
	char mac[65];
	proto_hmac_hex((const uint8_t *)"k", 1, "{\"generation\":1}", 16, mac);
	assert_string_equal(json_string_value(json_object_get(r, "result")), mac);
	json_decref(r);
	const struct host_chan_stats *st = host_chan_stats(h);
	assert_true(st->echo_dropped >= 2);  /* HELLO and REPLY without the agent flag */
	assert_true(st->stale_dropped >= 2); /* READY and REPLY of other epochs */
	assert_true(st->garbage_bytes >= 16);
	assert_null(host_chan_take_reply(h)); /* nothing else queued */
	host_chan_free(h);
	pthread_join(th, NULL);
	close(p->lfd);
	unlink(p->path);
	free(p);
}

static void host_repeats_hello_and_times_out(void **state)
{
	struct peer *p = listen_peer(1);
	pthread_t th;
	pthread_create(&th, NULL, agent, p);
	char err[256];
	struct host_chan *h = host_chan_new(p->path, err, sizeof(err));
	json_t *req = json_pack("{s:s}", "op", "ping");
	int64_t id = host_chan_request(h, req);
	json_decref(req);
	/* No READY ever comes: the host keeps repeating HELLO (bounded wait for
	 * the peer to have seen three), and a wait for the reply times out. */
	for (int i = 0; i < 100 && __atomic_load_n(&p->hellos, __ATOMIC_SEQ_CST) < 3; i++) {
		assert_null(host_chan_wait(h, id, 100, err, sizeof(err)));
		assert_string_equal(err, "timed out");
	}
	assert_true(__atomic_load_n(&p->hellos, __ATOMIC_SEQ_CST) >= 3);
	assert_false(host_chan_is_ready(h));
	assert_true(host_chan_stats(h)->hellos_sent >= 3);
	host_chan_free(h);
	pthread_join(th, NULL);
	assert_true(p->hellos >= 3);
	close(p->lfd);
	unlink(p->path);
	free(p);
}

static void connect_errors_name_the_socket(void **state)
{
	char err[256];
	assert_null(host_chan_new("/nonexistent/dir/x.sock", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/dir/x.sock"));
}

/* Documents whose generation is the guest's: the same content is sent as
 * the guest's last generation (so it is all unchanged), other content as
 * the next; a seed is the nocloud section, its texts as given. */
static void documents_built_for_the_guest(void **state)
{
	const char *text[PROTO_SEED_NFILES] = {"instance-id: i\n", "#cloud-config\n", NULL, ""};
	size_t len[PROTO_SEED_NFILES] = {15, 14, 0, 0};
	json_t *doc = host_seed_doc(text, len);
	size_t n;
	char *t1 = host_doc_text(doc, 1, &n);
	assert_string_equal(t1, "{\"generation\":1,\"nocloud\":{\"meta-data\":\"instance-id: "
	                        "i\\n\",\"user-data\":\"#cloud-config\\n\",\"vendor-data\":\"\"}}");
	assert_int_equal(n, strlen(t1));
	/* a new guest: generation 1 */
	json_t *st = json_pack("{s:i, s:s}", "generation", 0, "digest", "");
	char *t = host_doc_for_guest(doc, st, &n);
	assert_string_equal(t, t1);
	free(t);
	json_decref(st);
	/* the guest has exactly this as generation 1: 1 again */
	char hex[65];
	proto_sha256_hex(t1, strlen(t1), hex);
	st = json_pack("{s:i, s:s}", "generation", 1, "digest", hex);
	t = host_doc_for_guest(doc, st, &n);
	assert_string_equal(t, t1);
	free(t);
	json_decref(st);
	/* the guest is at 7 with other content: 8 */
	st = json_pack("{s:i, s:s}", "generation", 7, "digest", hex);
	t = host_doc_for_guest(doc, st, &n);
	assert_non_null(strstr(t, "\"generation\":8,"));
	free(t);
	json_decref(st);
	free(t1);
	json_decref(doc);
	const char *bad[PROTO_SEED_NFILES] = {"\xff", "", NULL, NULL};
	assert_null(host_seed_doc(bad, (size_t[PROTO_SEED_NFILES]){1, 0, 0, 0}));
}

/* A full listen backlog: the connect is pending. Nothing is due at a
 * time until it completes (a past time made callers' loops spin). */
static void pending_connect_sets_no_timer(void **state)
{
	struct peer *p = listen_peer(0);
	assert_int_equal(listen(p->lfd, 0), 0); /* one pending connection at most */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, p->path);
	int filler[2];
	for (int i = 0; i < 2; i++) {
		filler[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(filler[i], (struct sockaddr *)&sa, sizeof(sa)); /* may already be refused */
	}
	char err[256];
	struct host_chan *h = host_chan_new(p->path, err, sizeof(err));
	assert_non_null(h);
	struct pollfd pf = {.fd = -1};
	poll(&pf, 0, 30); /* let a hello time pass, were one set */
	assert_int_equal(host_chan_next_ms(h), 0);
	assert_false(host_chan_is_ready(h));
	host_chan_free(h);
	for (int i = 0; i < 2; i++)
		close(filler[i]);
	close(p->lfd);
	unlink(p->path);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(documents_built_for_the_guest),
	    cmocka_unit_test(host_ignores_echo_stale_and_foreign_frames),
	    cmocka_unit_test(host_repeats_hello_and_times_out),
	    cmocka_unit_test(connect_errors_name_the_socket),
	    cmocka_unit_test(pending_connect_sets_no_timer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
