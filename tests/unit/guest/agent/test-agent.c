/* test-agent.c - the agent's session and appliers, end to end over a
 * socketpair: the agent's own loop runs in a thread, the test plays the host
 * with raw frames. Kernel changes are off; files land in a temporary root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "tmpdir.h"

struct fx {
	char root[256];
	struct agent a;
	pthread_t th;
	int stop[2];
	int host;
	struct proto_decoder *dec;
	uint32_t epoch, seq;
	int64_t next_id;
};

static void write_file(const char *root, const char *rel, const char *text, mode_t mode)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static char *read_file(const char *root, const char *rel, struct stat *st)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s", root, rel);
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	if (st)
		fstat(fileno(f), st);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void on_stop(struct loop *l, int fd, unsigned ev, void *arg)
{
	loop_stop(l);
}

static void *run(void *arg)
{
	struct fx *x = arg;
	loop_run(x->a.loop);
	return NULL;
}

static void start_agent(struct fx *x)
{
	struct agent *a = &x->a;
	memset(a, 0, sizeof(*a));
	a->root = x->root;
	a->rootfd = open(x->root, O_PATH | O_DIRECTORY);
	a->name = "test";
	snprintf(a->devpath, sizeof(a->devpath), "%s/dev/xen-channel/test", x->root);
	a->policy_path = AGENT_POLICY_FILE;
	a->key_path = AGENT_KEY_FILE;
	a->state_dir = AGENT_STATE_DIR;
	a->ino_fd = -1;
	char err[512];
	assert_int_equal(policy_load(a, &a->policy, err, sizeof(err)), 0);
	assert_int_equal(state_load(a, err, sizeof(err)), 0);
	a->loop = loop_new();
	session_init(a);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	session_attach(a, sv[0], 0);
	x->host = sv[1];
	assert_int_equal(pipe(x->stop), 0);
	loop_watch(a->loop, x->stop[0], LOOP_READ, on_stop, NULL);
	x->dec = proto_decoder_new(0);
	proto_decoder_reset(x->dec);
	pthread_create(&x->th, NULL, run, x);
}

static void stop_agent(struct fx *x)
{
	assert_int_equal(write(x->stop[1], "x", 1), 1);
	pthread_join(x->th, NULL);
	session_detach(&x->a, "test over");
	loop_free(x->a.loop);
	close(x->stop[0]);
	close(x->stop[1]);
	close(x->host);
	close(x->a.rootfd);
	proto_decoder_free(x->dec);
	json_decref(x->a.state.results);
	free(x->a.key);
	proto_decoder_free(x->a.s.dec);
	free(x->a.s.out.data);
	policy_free(&x->a.policy);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(ut_tmpdir(x->root, sizeof(x->root), "agent-test"));
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/etc", x->root);
	mkdir(p, 0755);
	write_file(x->root, "/etc/passwd",
	           "root:x:0:0:root:/root:/bin/sh\nops:x:1000:1000:Ops:/home/ops:/bin/sh\n", 0644);
	write_file(x->root, "/etc/group", "root:x:0:\nops:x:1000:\n", 0644);
	x->epoch = 0x1000;
	x->next_id = 1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	ut_rmtree(x->root);
	free(x);
	return 0;
}

static void send_raw(struct fx *x, const void *buf, size_t n)
{
	assert_int_equal(write(x->host, buf, n), (ssize_t)n);
}

static void send_json(struct fx *x, uint8_t type, uint16_t flags, uint32_t epoch, json_t *o)
{
	uint8_t *buf;
	size_t n;
	assert_int_equal(proto_encode_json(type, flags, epoch, ++x->seq, o, &buf, &n), 0);
	send_raw(x, buf, n);
	free(buf);
	json_decref(o);
}

/* Next frame from the agent within ms, or NULL; its type in *type. */
static json_t *recv_json(struct fx *x, int ms, uint8_t *type, uint32_t *epoch)
{
	for (;;) {
		struct proto_frame f;
		enum proto_event ev;
		while ((ev = proto_decoder_next(x->dec, &f)) != PROTO_EV_NONE) {
			if (ev != PROTO_EV_FRAME)
				continue;
			assert_true(f.flags & PROTO_F_AGENT);
			char err[200];
			json_t *o = proto_payload_parse(&f, err, sizeof(err));
			assert_non_null(o);
			if (type)
				*type = f.type;
			if (epoch)
				*epoch = f.epoch;
			return o;
		}
		struct pollfd p = {.fd = x->host, .events = POLLIN};
		if (poll(&p, 1, ms) <= 0)
			return NULL;
		uint8_t buf[65536];
		ssize_t n = read(x->host, buf, sizeof(buf));
		if (n <= 0)
			return NULL;
		proto_decoder_feed(x->dec, buf, (size_t)n);
	}
}

static json_t *hello(struct fx *x, uint32_t epoch)
{
	x->epoch = epoch;
	send_json(x, PROTO_HELLO, 0, epoch,
	          json_pack("{s:I, s:s, s:[i]}", "epoch", (json_int_t)epoch, "nonce", "n0nce",
	                    "versions", 1));
	uint8_t type;
	uint32_t ep;
	json_t *r = recv_json(x, 5000, &type, &ep);
	assert_non_null(r);
	assert_int_equal(type, PROTO_READY);
	assert_int_equal(ep, epoch);
	assert_string_equal(json_string_value(json_object_get(r, "nonce")), "n0nce");
	return r;
}

/* Send a request on the current epoch and return its reply. */
static json_t *call(struct fx *x, json_t *req)
{
	int64_t id = x->next_id++;
	json_object_set_new(req, "id", json_integer(id));
	send_json(x, PROTO_REQUEST, 0, x->epoch, req);
	uint8_t type;
	json_t *r = recv_json(x, 10000, &type, NULL);
	assert_non_null(r);
	assert_int_equal(type, PROTO_REPLY);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), id);
	return r;
}

static json_t *apply_text(struct fx *x, const char *doc, const uint8_t *key, size_t keylen)
{
	json_t *req = json_pack("{s:s, s:s}", "op", "apply", "document", doc);
	if (key) {
		char mac[65];
		proto_hmac_hex(key, keylen, doc, strlen(doc), mac);
		json_object_set_new(req, "hmac", json_string(mac));
	}
	return call(x, req);
}

static const char *error_code(json_t *r)
{
	return json_string_value(json_object_get(json_object_get(r, "error"), "code"));
}

/* item name -> result, from an apply reply */
static const char *item(json_t *r, const char *name)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(json_object_get(r, "result"), "items"), i, it)
	{
		if (strcmp(json_string_value(json_object_get(it, "item")), name) == 0)
			return json_string_value(json_object_get(it, "result"));
	}
	return "(missing)";
}

#define DOC(gen, motd)                                                                             \
	"{\"generation\": " #gen ", \"hostname\": \"web1\", \"fqdn\": \"web1.example.org\","       \
	" \"users\": [{\"name\": \"ops\", \"ssh_authorized_keys\": [\"ssh-ed25519 AAAAkey1 a@b\"," \
	" \"ssh-rsa AAAAkey2 c@d\"]}],"                                                            \
	" \"write_files\": [{\"path\": \"/etc/motd\", \"content\": \"" motd "\","                  \
	" \"permissions\": \"0640\", \"owner\": \"ops:root\"}]}"

static void apply_then_same_generation_is_unchanged(void **state)
{
	struct fx *x = *state;
	start_agent(x);
	json_t *ready = hello(x, 0x1111);
	assert_int_equal(json_integer_value(json_object_get(ready, "version")), 1);
	assert_int_equal(json_integer_value(json_object_get(ready, "generation")), 0);
	json_decref(ready);

	json_t *r = apply_text(x, DOC(3, "hello"), NULL, 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(item(r, "hostname"), "applied");
	assert_string_equal(item(r, "users.ops"), "applied");
	assert_string_equal(item(r, "write_files./etc/motd"), "applied");
	json_decref(r);

	struct stat st;
	assert_string_equal(read_file(x->root, "/etc/hostname", NULL), "web1\n");
	assert_non_null(
	    strstr(read_file(x->root, "/etc/hosts", NULL), "127.0.1.1\tweb1.example.org web1\n"));
	assert_string_equal(read_file(x->root, "/home/ops/.ssh/authorized_keys", &st),
	                    "ssh-ed25519 AAAAkey1 a@b\nssh-rsa AAAAkey2 c@d\n");
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/home/ops/.ssh", x->root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, 1000);
	assert_string_equal(read_file(x->root, "/etc/motd", &st), "hello");
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 0);

	/* Same generation, same document: nothing changes. */
	snprintf(p, sizeof(p), "%s/etc/motd", x->root);
	struct stat before;
	stat(p, &before);
	r = apply_text(x, DOC(3, "hello"), NULL, 0);
	assert_string_equal(item(r, "hostname"), "unchanged");
	assert_string_equal(item(r, "users.ops"), "unchanged");
	assert_string_equal(item(r, "write_files./etc/motd"), "unchanged");
	json_decref(r);
	stat(p, &st);
	assert_int_equal(st.st_ino, before.st_ino); /* not even rewritten */

	r = call(x, json_pack("{s:s}", "op", "status"));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(r, "result"), "generation")), 3);
	json_decref(r);
	stop_agent(x);

	/* A restarted agent remembers. */
	start_agent(x);
	json_decref(hello(x, 0x2222));
	r = call(x, json_pack("{s:s}", "op", "status"));
	json_t *res = json_object_get(r, "result");
	assert_int_equal(json_integer_value(json_object_get(res, "generation")), 3);
	assert_int_equal(json_array_size(json_object_get(res, "results")), 3);
	json_decref(r);
	stop_agent(x);
}

static void older_or_reused_generation_refused(void **state)
{
	struct fx *x = *state;
	start_agent(x);
	json_decref(hello(x, 7));
	json_t *r = apply_text(x, DOC(5, "five"), NULL, 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = apply_text(x, DOC(4, "four"), NULL, 0);
	assert_string_equal(error_code(r), "refused");
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
	           "older than the last applied (5)"));
	json_decref(r);
	r = apply_text(x, DOC(5, "other"), NULL, 0);
	assert_string_equal(error_code(r), "refused");
	json_decref(r);
	assert_string_equal(read_file(x->root, "/etc/motd", NULL), "five");
	r = apply_text(x, DOC(6, "six"), NULL, 0);
	assert_string_equal(item(r, "write_files./etc/motd"), "applied");
	assert_string_equal(item(r, "hostname"), "unchanged");
	json_decref(r);
	assert_string_equal(read_file(x->root, "/etc/motd", NULL), "six");
	stop_agent(x);
}

static void hmac_wrong_key_altered_replayed_refused(void **state)
{
	struct fx *x = *state;
	start_agent(x);
	static const uint8_t key[] = "per-vm secret key";
	x->a.key = malloc(sizeof(key) - 1);
	memcpy(x->a.key, key, sizeof(key) - 1);
	x->a.keylen = sizeof(key) - 1;
	json_t *ready = hello(x, 9);
	assert_true(
	    json_is_true(json_object_get(json_object_get(ready, "policy"), "hmac_required")));
	json_decref(ready);

	json_t *r = apply_text(x, DOC(2, "unsigned"), NULL, 0);
	assert_string_equal(error_code(r), "refused");
	json_decref(r);
	r = apply_text(x, DOC(2, "wrong key"), (const uint8_t *)"other key", 9);
	assert_string_equal(error_code(r), "refused");
	json_decref(r);
	/* altered: HMAC of one document sent with another */
	char mac[65];
	proto_hmac_hex(key, sizeof(key) - 1, DOC(2, "signed"), strlen(DOC(2, "signed")), mac);
	r = call(x, json_pack("{s:s, s:s, s:s}", "op", "apply", "document", DOC(2, "altered"),
	                      "hmac", mac));
	assert_string_equal(error_code(r), "refused");
	json_decref(r);
	assert_null(read_file(x->root, "/etc/motd", NULL)); /* nothing applied */
	assert_null(read_file(x->root, "/etc/hostname", NULL));

	r = apply_text(x, DOC(2, "signed"), key, sizeof(key) - 1);
	assert_string_equal(item(r, "write_files./etc/motd"), "applied");
	json_decref(r);
	r = apply_text(x, DOC(3, "newer"), key, sizeof(key) - 1);
	assert_string_equal(item(r, "write_files./etc/motd"), "applied");
	json_decref(r);
	/* replay of the older, validly signed generation 2 */
	r = apply_text(x, DOC(2, "signed"), key, sizeof(key) - 1);
	assert_string_equal(error_code(r), "refused");
	json_decref(r);
	assert_string_equal(read_file(x->root, "/etc/motd", NULL), "newer");
	stop_agent(x);
}

static void policy_refuses_items(void **state)
{
	struct fx *x = *state;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/etc/xenchannel", x->root);
	mkdir(p, 0755);
	write_file(
	    x->root, AGENT_POLICY_FILE,
	    "{\"allow\": [\"hostname\", \"write_files\"], \"write_files_paths\": [\"/srv/\"]}",
	    0644);
	start_agent(x);
	json_t *ready = hello(x, 3);
	json_t *allow = json_object_get(json_object_get(ready, "policy"), "allow");
	assert_int_equal(json_array_size(allow), 2);
	json_decref(ready);
	json_t *r = apply_text(x,
	                       "{\"generation\": 1, \"hostname\": \"h\", \"users\": [{\"name\": "
	                       "\"ops\", \"ssh_authorized_keys\": [\"k\"]}], \"write_files\": "
	                       "[{\"path\": \"/etc/shadow\", \"content\": \"x\"}, "
	                       "{\"path\": \"/srv/www/index.html\", \"content\": \"ok\"}]}",
	                       NULL, 0);
	assert_string_equal(item(r, "hostname"), "applied");
	assert_string_equal(item(r, "users.ops"), "refused");
	assert_string_equal(item(r, "write_files./etc/shadow"), "refused");
	assert_string_equal(item(r, "write_files./srv/www/index.html"), "applied");
	json_decref(r);
	assert_null(read_file(x->root, "/etc/shadow", NULL));
	assert_null(read_file(x->root, "/home/ops/.ssh/authorized_keys", NULL));
	assert_string_equal(read_file(x->root, "/srv/www/index.html", NULL), "ok");
	stop_agent(x);
}

static void stale_epoch_echo_and_garbage_ignored(void **state)
{
	struct fx *x = *state;
	start_agent(x);
	/* Before any HELLO: modem chatter, noise, half a frame, a request. */
	send_raw(x, "AT\r\nATZ\r\n\xF1xch\x01\x02garbage", 23);
	send_json(x, PROTO_REQUEST, 0, 5, json_pack("{s:i, s:s}", "id", 100, "op", "ping"));
	uint8_t half[64];
	struct proto_frame hf = {.version = 1,
	                         .type = PROTO_REQUEST,
	                         .epoch = 5,
	                         .seq = 1,
	                         .len = 20,
	                         .payload = (const uint8_t *)"{\"id\":1,\"op\":\"ping\"}"};
	long hn = proto_encode(&hf, half, sizeof(half));
	send_raw(x, half, (size_t)hn / 2);
	json_decref(hello(x, 0x33));
	/* An old epoch's request and our own echoed reply get no answer. */
	send_json(x, PROTO_REQUEST, 0, 0x32, json_pack("{s:i, s:s}", "id", 101, "op", "ping"));
	send_json(x, PROTO_REPLY, PROTO_F_AGENT, 0x33, json_pack("{s:i, s:b}", "id", 102, "ok", 1));
	send_json(x, PROTO_REQUEST, PROTO_F_AGENT, 0x33,
	          json_pack("{s:i, s:s}", "id", 103, "op", "ping"));
	json_t *r = call(x, json_pack("{s:s}", "op", "ping")); /* asserts it is the next reply */
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	/* A new HELLO starts a new epoch; the old one is dead. */
	json_decref(hello(x, 0x34));
	send_json(x, PROTO_REQUEST, 0, 0x33, json_pack("{s:i, s:s}", "id", 104, "op", "ping"));
	r = call(x, json_pack("{s:s}", "op", "ping"));
	json_decref(r);
	/* Repeated HELLO with the same epoch and nonce: READY again, same session. */
	json_decref(hello(x, 0x34));
	stop_agent(x);
}

static void errors_use_the_taxonomy(void **state)
{
	struct fx *x = *state;
	start_agent(x);
	/* No common version. */
	send_json(x, PROTO_HELLO, 0, 1, json_pack("{s:s, s:[i]}", "nonce", "v", "versions", 9));
	uint8_t type;
	json_t *r = recv_json(x, 5000, &type, NULL);
	assert_int_equal(type, PROTO_READY);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
	                    "unsupported");
	json_decref(r);
	json_decref(hello(x, 2));
	r = call(x, json_pack("{s:s}", "op", "reboot"));
	assert_string_equal(error_code(r), "unsupported");
	json_decref(r);
	r = call(x, json_pack("{s:s, s:s}", "op", "apply", "document",
	                      "{\"generation\": 1, \"hostname\": \"bad_name\"}"));
	assert_string_equal(error_code(r), "invalid");
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
	           "hostname"));
	json_decref(r);
	r = call(x, json_pack("{s:s, s:s}", "op", "apply", "document", "{not json"));
	assert_string_equal(error_code(r), "invalid");
	json_decref(r);
	/* An oversized frame: error reply, then the stream goes on. */
	uint8_t hdr[PROTO_HDR_SIZE + 2];
	struct proto_frame f = {.version = 1,
	                        .type = PROTO_REQUEST,
	                        .epoch = 2,
	                        .seq = 77,
	                        .len = 2,
	                        .payload = (const uint8_t *)"{}"};
	proto_encode(&f, hdr, sizeof(hdr));
	uint32_t big = PROTO_MAX_PAYLOAD + 1;
	memcpy(hdr + 16, &big, 4); /* little-endian host */
	uint32_t c = proto_crc32c(0, hdr, 24);
	memcpy(hdr + 24, &c, 4);
	send_raw(x, hdr, PROTO_HDR_SIZE);
	r = recv_json(x, 5000, &type, NULL);
	assert_non_null(r);
	assert_string_equal(error_code(r), "invalid");
	assert_int_equal(json_integer_value(json_object_get(r, "seq")), 77);
	json_decref(r);
	r = call(x, json_pack("{s:s}", "op", "ping"));
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	stop_agent(x);
}

static void writes_stay_inside_the_root(void **state)
{
	struct fx *x = *state;
	char outside[300], link[PATH_MAX + 8];
	snprintf(outside, sizeof(outside), "%s-outside", x->root);
	mkdir(outside, 0755);
	snprintf(link, sizeof(link), "%s/escape", x->root);
	assert_int_equal(symlink(outside, link), 0);
	snprintf(link, sizeof(link), "%s/up", x->root);
	assert_int_equal(symlink("../../../../../../..", link), 0);
	start_agent(x);
	json_decref(hello(x, 1));
	json_t *r = apply_text(
	    x,
	    "{\"generation\": 1, \"write_files\": [{\"path\": \"/escape/f\", "
	    "\"content\": \"x\"}, {\"path\": \"/up/tmp/g\", \"content\": \"y\"}, "
	    "{\"path\": \"/b64\", \"content\": \"aGkAdGhlcmU=\", \"encoding\": \"b64\"}]}",
	    NULL, 0);
	json_decref(r);
	char p[PATH_MAX + 8];
	snprintf(p, sizeof(p), "%s/f", outside);
	assert_int_equal(access(p, F_OK), -1);
	/* "/up" resolves to the root itself, so /up/tmp/g is <root>/tmp/g. */
	assert_string_equal(read_file(x->root, "/tmp/g", NULL), "y");
	struct stat st;
	assert_non_null(read_file(x->root, "/b64", &st));
	assert_int_equal(st.st_size, 8); /* "hi", NUL, "there" */
	stop_agent(x);
	rmdir(outside);
}

/* Found by tests/fuzz/agent-apply: chown after chmod dropped the setuid bit,
 * so the file never had the asked mode and every apply rewrote it. */
static void setuid_mode_survives_the_owner(void **state)
{
	struct fx *x = *state;
	start_agent(x);
	json_decref(hello(x, 1));
	static const char doc[] =
	    "{\"generation\": 1, \"write_files\": [{\"path\": \"/opt/tool\","
	    " \"content\": \"x\", \"permissions\": \"4750\", \"owner\": \"ops:ops\"}]}";
	json_t *r = apply_text(x, doc, NULL, 0);
	assert_string_equal(item(r, "write_files./opt/tool"), "applied");
	json_decref(r);
	struct stat st;
	assert_non_null(read_file(x->root, "/opt/tool", &st));
	assert_int_equal(st.st_mode & 07777, 04750);
	assert_int_equal(st.st_uid, 1000);
	r = apply_text(x, doc, NULL, 0);
	assert_string_equal(item(r, "write_files./opt/tool"), "unchanged");
	json_decref(r);
	stop_agent(x);
}

/* Found by tests/fuzz/agent-apply: a reason cut by its buffer inside a
 * character was not UTF-8, so the item lost its reason. */
static void long_reasons_stay_in_the_reply(void **state)
{
	struct fx *x = *state;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/etc/xenchannel", x->root);
	mkdir(p, 0755);
	write_file(x->root, AGENT_POLICY_FILE, "{\"write_files_paths\": [\"/srv/\"]}", 0644);
	start_agent(x);
	json_decref(hello(x, 1));
	char doc[1200], path[600] = "/etc/x";
	for (int i = 0; i < 250; i++)
		strcat(path, "\xc3\xa9");
	snprintf(doc, sizeof(doc),
	         "{\"generation\": 1, \"write_files\": [{\"path\": \"%s\", \"content\": \"x\"}]}",
	         path);
	json_t *r = apply_text(x, doc, NULL, 0);
	json_t *it = json_array_get(json_object_get(json_object_get(r, "result"), "items"), 0);
	assert_string_equal(json_string_value(json_object_get(it, "result")), "refused");
	assert_non_null(
	    strstr(json_string_value(json_object_get(it, "reason")), "policy does not allow"));
	json_decref(r);
	stop_agent(x);
}

/* Found by profiling tests/fuzz/agent-apply: fs_mkdirs resolved every
 * prefix from the root, O(depth^2) lookups per path: a 240 KB document of
 * deep paths kept the agent busy for half a minute. Now one step per level;
 * symlinks on the way are still resolved inside the root. */
static void deep_paths_are_created(void **state)
{
	struct fx *x = *state;
	start_agent(x);
	json_decref(hello(x, 1));
	json_t *files = json_array();
	for (int i = 0; i < 4; i++) {
		char path[4096];
		int n = snprintf(path, sizeof(path), "/deep%d", i);
		while (n < 3990)
			n += snprintf(path + n, sizeof(path) - (size_t)n, "/a");
		snprintf(path + n, sizeof(path) - (size_t)n, "/f");
		json_array_append_new(files, json_pack("{s:s, s:s}", "path", path, "content", "x"));
	}
	json_t *doc = json_pack("{s:i, s:o}", "generation", 1, "write_files", files);
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	for (int round = 0; round < 2; round++) {
		json_t *r = apply_text(x, text, NULL, 0);
		json_t *res = json_object_get(json_object_get(r, "result"), "summary");
		assert_int_equal(
		    json_integer_value(json_object_get(res, round ? "unchanged" : "applied")), 4);
		json_decref(r);
	}
	free(text);
	stop_agent(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(apply_then_same_generation_is_unchanged, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(older_or_reused_generation_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(hmac_wrong_key_altered_replayed_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(policy_refuses_items, setup, teardown),
	    cmocka_unit_test_setup_teardown(stale_epoch_echo_and_garbage_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(errors_use_the_taxonomy, setup, teardown),
	    cmocka_unit_test_setup_teardown(writes_stay_inside_the_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(setuid_mode_survives_the_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(long_reasons_stay_in_the_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(deep_paths_are_created, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
