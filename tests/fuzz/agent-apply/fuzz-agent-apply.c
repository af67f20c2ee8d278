/*
 * fuzz-agent-apply.c - the guest agent receiving a configuration document:
 * the input is the document text as the host sends it ({"op": "apply",
 * "document": <input>}), run through apply_request() exactly as the agent's
 * session does: validation, generation check, pending state, the appliers,
 * saved state. Each run starts a new agent (no state yet) on a sandbox root
 * that is put back to the same baseline after every run.
 *
 * Nothing acts on the machine: kernel changes are off (the agent's own
 * --kernel off: no sethostname, no rtnetlink; network items report failed),
 * and every file operation goes through the agent's RESOLVE_IN_ROOT layer.
 * The sandbox lives on /dev/shm when there is one, so fs_write's fsyncs
 * cost nothing. A crashing run leaves its sandbox there for inspection.
 *
 * The root is a small guest with traps: /escape is an absolute symlink to a
 * directory beside the root, /up a relative one to "..", /srv a chain of
 * both; users in /etc/passwd have homes through them (and one has a broken
 * entry). Odd generations get a policy file (no network, write_files only
 * under some paths); generations with bit 1 set a resolv.conf symlink.
 *
 * Invariants, checked with abort() so libFuzzer reports them:
 *   - the reply has the request's id; a document the validator refuses gets
 *     an "invalid" error and changes nothing; an accepted one gets a result
 *     for its generation with one item per section entry, in the appliers'
 *     order, each with a known result (failed and refused with a reason),
 *     and a summary that adds up; the agent's state holds the generation;
 *   - whatever an item reports applied or unchanged is there: the file's
 *     content and mode for write_files (base64 checked against OpenSSL's
 *     strict decoder), /etc/hostname, each user's authorized_keys; unless
 *     two items wrote the same file; no keys for a user /etc/passwd lacks;
 *   - applying the same document again changes nothing (every such item is
 *     unchanged), unless items fight over a file or the document rewrites
 *     what the appliers read (/etc/passwd, /etc/group, /etc/hosts);
 *   - afterwards nothing exists beside the root but the empty trap target,
 *     and the root holds only directories, regular files (one link each, no
 *     leftover temporary file) and the symlinks it started with;
 *   - no file descriptor and no memory is leaked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"

static char base[256], root[300], outside[300];

struct user {
	const char *name;
	const char *home; /* NULL: the entry is broken, lookups fail */
};
/* Homes through every trap; "hostile" names the real path of the trap
 * target, which inside the root is only a path like any other. */
static struct user users[] = {
    {"root", "/root"}, {"ops", "/home/ops"},    {"trap", "/escape/trap"}, {"climb", "/up/climb"},
    {"slash", "/"},    {"chain", "/srv/chain"}, {"hostile", outside},     {"broken", NULL},
};

/* The root the agent starts with, created once and reset after each run to
 * exactly this (much cheaper than building a new one). variant: the
 * generation bit that wants the entry, 0 for always. */
enum kind { KDIR, KFILE, KLINK };
struct entry {
	const char *rel; /* under the root, "" for the root itself */
	enum kind kind;
	const char *data; /* file content or link target */
	mode_t mode;
	int variant;
	int present, seen;
	ino_t ino;
};
static char passwd[2048];
static struct entry baseline[] = {
    {"", KDIR, NULL, 0755, 0, 0, 0, 0},
    {"/etc", KDIR, NULL, 0755, 0, 0, 0, 0},
    {"/etc/passwd", KFILE, passwd, 0644, 0, 0, 0, 0},
    {"/etc/group", KFILE, "root:x:0:\nops:x:1001:\nwheel:x:10:ops\nbad:x:nan:\n", 0644, 0, 0, 0, 0},
    {"/etc/hosts", KFILE, "127.0.0.1\tlocalhost\n127.0.1.1\told-name\n::1\tlocalhost\n", 0644, 0, 0,
     0, 0},
    {"/escape", KLINK, outside, 0777, 0, 0, 0, 0},
    {"/up", KLINK, "..", 0777, 0, 0, 0, 0},
    {"/srv", KLINK, "up/escape", 0777, 0, 0, 0, 0},
    {"/etc/xenchannel", KDIR, NULL, 0755, 1, 0, 0, 0},
    {AGENT_POLICY_FILE, KFILE,
     "{\"allow\": [\"hostname\", \"users\", \"write_files\"],"
     " \"write_files_paths\": [\"/srv/\", \"/etc/motd\", \"/escape/\"]}",
     0644, 1, 0, 0, 0},
    {"/etc/resolv.conf", KLINK, "../run/resolvconf/resolv.conf", 0777, 2, 0, 0, 0},
};
#define NBASE (sizeof(baseline) / sizeof(baseline[0]))

static void create(struct entry *e)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s", root, e->rel);
	if (e->kind == KDIR) {
		if (mkdir(p, e->mode) < 0)
			abort();
	} else if (e->kind == KLINK) {
		if (symlink(e->data, p) < 0)
			abort();
	} else {
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, e->mode);
		size_t n = strlen(e->data);
		if (fd < 0 || write(fd, e->data, n) != (ssize_t)n || close(fd) < 0)
			abort();
	}
	struct stat st;
	if (lstat(p, &st) < 0)
		abort();
	e->ino = st.st_ino;
	e->present = 1;
}

static void remove_tree(int dfd, const char *name);

static void remove_dir_contents(int fd)
{
	DIR *d = fdopendir(fd);
	if (!d)
		abort();
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			remove_tree(dirfd(d), de->d_name);
	closedir(d);
}

static void remove_tree(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0)
		return;
	if (errno != EISDIR)
		abort();
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		abort();
	remove_dir_contents(fd);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		abort();
}

/* Make the root the baseline of this generation's variant. */
static void prepare(json_int_t gen)
{
	for (size_t i = NBASE; i-- > 0;) {
		struct entry *e = &baseline[i];
		if (e->present && e->variant && !(gen & e->variant)) {
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s%s", root, e->rel);
			if (e->kind == KDIR ? rmdir(p) : unlink(p))
				abort();
			e->present = 0;
		}
	}
	for (size_t i = 0; i < NBASE; i++)
		if (!baseline[i].present && (!baseline[i].variant || (gen & baseline[i].variant)))
			create(&baseline[i]);
}

/* ---- after the run: nothing escaped, nothing odd left ---- */

static char pidtag[32];

static const json_t *cur_doc;
static unsigned long swept; /* entries the last sweep removed */

/* fs_write's temporary names are ".<leaf>.xc<pid>"; the document itself
 * may ask for such a name. */
static int is_temp_name(const char *name)
{
	size_t n = strlen(name), t = strlen(pidtag);
	if (name[0] != '.' || n <= t || strcmp(name + n - t, pidtag) != 0)
		return 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(cur_doc, "write_files"), i, v)
	{
		const char *leaf = strrchr(json_string_value(json_object_get(v, "path")), '/');
		if (leaf && strcmp(leaf + 1, name) == 0)
			return 0;
	}
	return 1;
}

static struct entry *find(const char *rel)
{
	for (size_t i = 0; i < NBASE; i++)
		if (baseline[i].present && strcmp(baseline[i].rel, rel) == 0)
			return &baseline[i];
	return NULL;
}

/* Check every entry under the directory fd (at rel); remove what is not
 * an untouched baseline entry (everything when keep is 0). */
static void sweep(int fd, const char *rel, int keep_here)
{
	DIR *d = fdopendir(fd);
	if (!d)
		abort();
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* Baseline entries are shallow: below them no path is kept (paths
		 * can be 2000 directories deep; the stack stays small). */
		char crel[96];
		int keep = keep_here && snprintf(crel, sizeof(crel), "%s/%s", rel, de->d_name) <
		                            (int)sizeof(crel);
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			abort();
		struct entry *e = keep ? find(crel) : NULL;
		enum kind k = S_ISDIR(st.st_mode) ? KDIR : S_ISLNK(st.st_mode) ? KLINK : KFILE;
		int same = e && e->kind == k && e->ino == st.st_ino;
		if (S_ISLNK(st.st_mode)) {
			if (!same)
				abort(); /* the agent made or replaced a symlink */
		} else if (S_ISREG(st.st_mode)) {
			if (st.st_nlink != 1)
				abort();
			if (is_temp_name(de->d_name))
				abort(); /* a temporary file of fs_write left behind */
			same = same && (st.st_mode & 07777) == e->mode &&
			       (size_t)st.st_size == strlen(e->data);
		} else if (S_ISDIR(st.st_mode)) {
			same = same && (st.st_mode & 07777) == e->mode;
			int cfd = openat(dirfd(d), de->d_name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				abort();
			sweep(cfd, keep ? crel : "", same);
		} else {
			abort(); /* no device, fifo or socket */
		}
		if (same) {
			e->seen = 1;
		} else if (swept++,
		           unlinkat(dirfd(d), de->d_name, k == KDIR ? AT_REMOVEDIR : 0) < 0) {
			abort();
		}
	}
	closedir(d);
}

/* Returns how many entries were not the baseline's. */
static unsigned long check_sandbox(void)
{
	swept = 0;
	for (size_t i = 0; i < NBASE; i++)
		baseline[i].seen = 0;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (st.st_mode & 07777) != 0755)
		abort();
	sweep(fd, "", 1);
	baseline[0].seen = 1;
	for (size_t i = 0; i < NBASE; i++)
		baseline[i].present = baseline[i].seen;
	/* The trap target stays empty (rmdir says so) ... */
	if (rmdir(outside) < 0 || mkdir(outside, 0755) < 0)
		abort();
	/* ... and nothing else appeared beside the root. */
	DIR *d = opendir(base);
	if (!d)
		abort();
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)))
		n++;
	closedir(d);
	if (n != 4) /* ".", "..", root, outside */
		abort();
	return swept;
}

/* ---- the agent ---- */

static void agent_open(struct agent *a)
{
	memset(a, 0, sizeof(*a));
	a->root = root;
	a->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	a->name = AGENT_DEFAULT_NAME;
	a->policy_path = AGENT_POLICY_FILE;
	a->key_path = AGENT_KEY_FILE;
	a->state_dir = AGENT_STATE_DIR;
	a->kernel = 0;
	a->ino_fd = -1;
	char err[512];
	if (a->rootfd < 0 || policy_load(a, &a->policy, err, sizeof(err)) < 0 ||
	    state_load(a, err, sizeof(err)) < 0)
		abort();
}

static void agent_close(struct agent *a)
{
	close(a->rootfd);
	json_decref(a->state.results);
	for (size_t i = 0; i < a->policy.nprefixes; i++)
		free(a->policy.file_prefixes[i]);
	free(a->policy.file_prefixes);
}

/* ---- what the reply must say ---- */

static void want_item(json_t *names, const char *fmt, const char *s)
{
	char b[PATH_MAX + 32];
	snprintf(b, sizeof(b), fmt, s);
	json_array_append_new(names, json_string(b));
}

/* The item names an accepted document must get, in the appliers' order. */
static json_t *expected_items(const json_t *doc, const struct agent *a)
{
	json_t *names = json_array();
	if (json_object_get(doc, "hostname"))
		want_item(names, "%s", "hostname");
	json_t *eths = json_object_get(json_object_get(doc, "network"), "ethernets");
	if (eths && !a->policy.allow[POLICY_NETWORK]) {
		want_item(names, "%s", "network");
	} else if (eths) {
		const char *id;
		json_t *e;
		int dns = 0;
		json_object_foreach(eths, id, e)
		{
			want_item(names, "network.ethernets.%s", id);
			json_t *ns = json_object_get(e, "nameservers");
			dns |= json_array_size(json_object_get(ns, "addresses")) > 0 ||
			       json_array_size(json_object_get(ns, "search")) > 0;
		}
		if (dns)
			want_item(names, "%s", "network.nameservers");
	}
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(doc, "users"), i, v)
	    want_item(names, "users.%s", json_string_value(json_object_get(v, "name")));
	json_array_foreach(json_object_get(doc, "write_files"), i, v)
	    want_item(names, "write_files.%s", json_string_value(json_object_get(v, "path")));
	return names;
}

static int result_index(const char *r)
{
	static const char *const names[4] = {PROTO_RES_APPLIED, PROTO_RES_UNCHANGED,
	                                     PROTO_RES_FAILED, PROTO_RES_REFUSED};
	for (int k = 0; k < 4; k++)
		if (r && strcmp(r, names[k]) == 0)
			return k;
	abort();
}

/* Checks the reply to an accepted document; returns its items. */
static json_t *check_reply(json_t *reply, const json_t *doc, const struct agent *a)
{
	if (!json_is_true(json_object_get(reply, "ok")))
		abort(); /* a fresh agent takes any valid generation */
	json_t *res = json_object_get(reply, "result");
	if (json_integer_value(json_object_get(res, "generation")) !=
	    json_integer_value(json_object_get(doc, "generation")))
		abort();
	json_t *items = json_object_get(res, "items");
	json_t *names = expected_items(doc, a);
	if (json_array_size(items) != json_array_size(names))
		abort(); /* an item without a result, or an extra one */
	int counts[4] = {0};
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		if (!json_equal(json_object_get(it, "item"), json_array_get(names, i)))
			abort();
		int k = result_index(json_string_value(json_object_get(it, "result")));
		counts[k]++;
		json_t *reason = json_object_get(it, "reason");
		if (k >= 2 && (!json_is_string(reason) || !json_string_length(reason)))
			abort(); /* failed and refused say why */
	}
	json_decref(names);
	static const char *const sums[4] = {"applied", "unchanged", "failed", "refused"};
	for (int k = 0; k < 4; k++)
		if (json_integer_value(json_object_get(json_object_get(res, "summary"), sums[k])) !=
		    counts[k])
			abort();
	return items;
}

/* ---- what must be on disk ---- */

/* Files that are not any item's: the agent's state, and the files the
 * appliers read (a document that rewrites them changes the next apply). */
#define OWNER_AGENT (-1)
#define OWNER_INPUT (-2)

struct expect {
	char path[PATH_MAX + 32];
	int owner;           /* index of the item that writes it, or OWNER_* */
	unsigned char *data; /* NULL: only its identity matters */
	size_t len;
	mode_t mode;
	dev_t dev;
	ino_t ino;
	int found;
};

struct expects {
	struct expect v[640];
	size_t n;
	int contested[640]; /* per item: shares a file with another item */
	int inputs_written;
};

static struct expect *expect_add(struct expects *x, const char *path, int owner)
{
	if (x->n == sizeof(x->v) / sizeof(x->v[0]))
		abort();
	struct expect *e = &x->v[x->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->owner = owner;
	return e;
}

static const char *home_of(const char *name)
{
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (strcmp(users[i].name, name) == 0)
			return users[i].home;
	return NULL;
}

/* Strict base64 (OpenSSL's decoder): malloc'd bytes, or NULL when invalid. */
static unsigned char *b64(const char *s, size_t n, size_t *len)
{
	unsigned char *out = malloc(n / 4 * 3 + 4);
	EVP_ENCODE_CTX *c = EVP_ENCODE_CTX_new();
	int l1 = 0, l2 = 0;
	EVP_DecodeInit(c);
	int ok = EVP_DecodeUpdate(c, out, &l1, (const unsigned char *)s, (int)n) >= 0 &&
	         EVP_DecodeFinal(c, out + l1, &l2) >= 0;
	EVP_ENCODE_CTX_free(c);
	if (!ok) {
		free(out);
		return NULL;
	}
	*len = (size_t)(l1 + l2);
	return out;
}

/* Index of an item in the reply, which check_reply() found complete. */
static int item_index(json_t *items, const char *item)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		if (strcmp(json_string_value(json_object_get(it, "item")), item) == 0)
			return (int)i;
	}
	abort();
}

static int done(json_t *items, int i)
{
	const char *r =
	    json_string_value(json_object_get(json_array_get(items, (size_t)i), "result"));
	return strcmp(r, PROTO_RES_APPLIED) == 0 || strcmp(r, PROTO_RES_UNCHANGED) == 0;
}

static void expect_files(struct expects *x, const json_t *doc, json_t *items)
{
	x->n = 0;
	x->inputs_written = 0;
	memset(x->contested, 0, sizeof(x->contested));
	expect_add(x, AGENT_STATE_DIR "/state.json", OWNER_AGENT);
	expect_add(x, "/etc/passwd", OWNER_INPUT);
	expect_add(x, "/etc/group", OWNER_INPUT);
	const char *host = json_string_value(json_object_get(doc, "hostname"));
	if (host) {
		int it = item_index(items, "hostname");
		expect_add(x, "/etc/hosts", it);
		struct expect *e = expect_add(x, "/etc/hostname", it);
		if (done(items, it)) {
			e->len = strlen(host) + 1;
			e->data = malloc(e->len);
			memcpy(e->data, host, e->len - 1);
			e->data[e->len - 1] = '\n';
			e->mode = 0644;
		}
	} else {
		expect_add(x, "/etc/hosts", OWNER_INPUT);
	}
	for (size_t i = 0; i < json_array_size(items); i++) {
		const char *name =
		    json_string_value(json_object_get(json_array_get(items, i), "item"));
		if (strcmp(name, "network.nameservers") == 0) {
			expect_add(x, "/etc/resolv.conf", (int)i);
			expect_add(x, "/etc/systemd/resolved.conf.d/xenchannel.conf", (int)i);
		}
	}
	size_t i, j;
	json_t *v, *k;
	json_array_foreach(json_object_get(doc, "users"), i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *home = home_of(name);
		char item[96], path[PATH_MAX];
		snprintf(item, sizeof(item), "users.%s", name);
		int it = item_index(items, item);
		json_t *keys = json_object_get(v, "ssh_authorized_keys");
		if (!home && keys && done(items, it) && strcmp(name, "root") != 0)
			abort(); /* keys installed for a user the guest does not have */
		if (!home || !keys)
			continue;
		snprintf(path, sizeof(path), "%s/.ssh/authorized_keys",
		         strcmp(home, "/") ? home : "");
		struct expect *e = expect_add(x, path, it);
		if (!done(items, it))
			continue;
		json_array_foreach(keys, j, k) e->len += json_string_length(k) + 1;
		e->data = malloc(e->len + 1);
		e->len = 0;
		json_array_foreach(keys, j, k)
		{
			memcpy(e->data + e->len, json_string_value(k), json_string_length(k));
			e->len += json_string_length(k);
			e->data[e->len++] = '\n';
		}
		e->mode = 0600;
	}
	json_array_foreach(json_object_get(doc, "write_files"), i, v)
	{
		const char *path = json_string_value(json_object_get(v, "path"));
		char item[PATH_MAX + 16];
		snprintf(item, sizeof(item), "write_files.%s", path);
		int it = item_index(items, item);
		struct expect *e = expect_add(x, path, it);
		if (!done(items, it))
			continue;
		json_t *c = json_object_get(v, "content");
		const char *enc = json_string_value(json_object_get(v, "encoding"));
		const char *perm = json_string_value(json_object_get(v, "permissions"));
		e->mode = perm ? (mode_t)strtoul(perm, NULL, 8) : 0644;
		if (enc && strcmp(enc, "text/plain") != 0) {
			e->data = b64(json_string_value(c), json_string_length(c), &e->len);
			if (!e->data)
				abort(); /* invalid base64 was written as something */
		} else {
			e->len = json_string_length(c);
			e->data = malloc(e->len + 1);
			memcpy(e->data, c ? json_string_value(c) : "", e->len);
		}
	}
}

static int open_in_root(int rootfd, const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
	                       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	while (*path == '/')
		path++;
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* Which files are one file (paths through symlinks), then the content and
 * mode of every file whose item alone wrote it. */
static void check_files(struct expects *x, int rootfd)
{
	for (size_t i = 0; i < x->n; i++) {
		struct expect *e = &x->v[i];
		int fd = open_in_root(rootfd, e->path);
		struct stat st;
		e->found = fd >= 0 && fstat(fd, &st) == 0;
		if (e->found) {
			e->dev = st.st_dev;
			e->ino = st.st_ino;
		}
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < x->n; i++)
		for (size_t j = 0; j < x->n; j++) {
			struct expect *e = &x->v[i], *f = &x->v[j];
			if (!e->found || !f->found || e->owner == f->owner || e->dev != f->dev ||
			    e->ino != f->ino || e->owner < 0)
				continue;
			if (e->owner >= (int)(sizeof(x->contested) / sizeof(x->contested[0])))
				abort();
			x->contested[e->owner] = 1;
			x->inputs_written |= f->owner == OWNER_INPUT;
		}
	for (size_t i = 0; i < x->n; i++) {
		struct expect *e = &x->v[i];
		if (!e->data || x->contested[e->owner])
			continue;
		int fd = open_in_root(rootfd, e->path);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			abort(); /* reported done, not there */
		if ((st.st_mode & 07777) != e->mode || (size_t)st.st_size != e->len)
			abort();
		unsigned char *buf = malloc(e->len + 1);
		if (read(fd, buf, e->len + 1) != (ssize_t)e->len || memcmp(buf, e->data, e->len))
			abort();
		free(buf);
		close(fd);
	}
}

static void expects_free(struct expects *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->v[i].data);
}

/* ---- one run ---- */

static void cleanup(void)
{
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		remove_dir_contents(fd);
	rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz-agent-apply");
	log_set_level(LOG_LVL_ERR);
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(base, sizeof(base), "%s/fuzz-agent-apply.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(base))
		abort();
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	if (mkdir(outside, 0755) < 0)
		abort();
	atexit(cleanup);
	snprintf(pidtag, sizeof(pidtag), ".xc%ld", (long)getpid());
	/* The sweep holds a descriptor per level of a tree up to 2048 deep. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 8192) {
		rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	size_t n = 0;
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		unsigned id = i ? 1000 + (unsigned)i : 0;
		if (users[i].home)
			n += (size_t)snprintf(passwd + n, sizeof(passwd) - n,
			                      "%s:x:%u:%u::%s:/bin/sh\n", users[i].name, id, id,
			                      users[i].home);
		else
			n += (size_t)snprintf(passwd + n, sizeof(passwd) - n,
			                      "%s:x:%u:oops::/:/bin/sh\n", users[i].name, id);
	}
	return 0;
}

static struct expects ex;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The host sends the document as a JSON string: UTF-8 only. */
	json_t *req = json_pack("{s:I, s:s, s:s%}", "id", (json_int_t)7, "op", "apply", "document",
	                        (const char *)data, size);
	if (!req)
		return 0;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	char verr[512];
	int valid = doc && proto_config_validate(doc, verr, sizeof(verr)) == 0;
	json_int_t gen = valid ? json_integer_value(json_object_get(doc, "generation")) : 0;

	int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(probe);
	prepare(gen);
	cur_doc = valid ? doc : NULL;
	struct agent a;
	agent_open(&a);
	json_t *reply = apply_request(&a, 7, req);
	if (json_integer_value(json_object_get(reply, "id")) != 7)
		abort();
	if (!valid) {
		json_t *e = json_object_get(reply, "error");
		if (json_is_true(json_object_get(reply, "ok")) ||
		    strcmp(json_string_value(json_object_get(e, "code")), PROTO_ERR_INVALID) != 0 ||
		    !json_string_length(json_object_get(e, "message")))
			abort();
	} else {
		json_t *items = check_reply(reply, doc, &a);
		if (a.state.generation != gen)
			abort();
		expect_files(&ex, doc, items);
		check_files(&ex, a.rootfd);
		/* Desired state: the same document again changes nothing (unless
		 * items fight over a file or it rewrites what the appliers read). */
		json_t *again = apply_request(&a, 7, req);
		json_t *items2 = check_reply(again, doc, &a);
		for (size_t i = 0; i < json_array_size(items) && !ex.inputs_written; i++) {
			const char *r2 =
			    json_string_value(json_object_get(json_array_get(items2, i), "result"));
			if (done(items, (int)i) && !ex.contested[i] &&
			    strcmp(r2, PROTO_RES_UNCHANGED) != 0)
				abort();
		}
		expects_free(&ex);
		json_decref(again);
	}
	agent_close(&a);
	if (check_sandbox() && !valid)
		abort(); /* a refused document changed something */
	int probe2 = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(probe2);
	if (probe2 != probe)
		abort(); /* a file descriptor leaked */
	json_decref(reply);
	json_decref(doc);
	json_decref(req);
	return 0;
}
