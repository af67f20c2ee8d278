/* apply-ssh.c - users[].ssh_authorized_keys -> ~user/.ssh/authorized_keys. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void one_user(struct agent *a, const struct proto_user *u, json_t *items)
{
	const char *name = u->name;
	char item[96];
	snprintf(item, sizeof(item), "users.%s", name);
	if (!a->policy.allow[POLICY_USERS]) {
		item_result(a, items, item, PROTO_RES_REFUSED, "policy does not allow users");
		return;
	}
	if (!u->has_keys) {
		item_result(a, items, item, PROTO_RES_UNCHANGED, "no ssh_authorized_keys given");
		return;
	}
	struct account acc;
	if (users_lookup(a, name, &acc) < 0) {
		item_result(a, items, item, PROTO_RES_FAILED,
		            "no user %s in /etc/passwd (the agent does not create accounts)", name);
		return;
	}
	size_t total = 1;
	for (size_t i = 0; i < u->nkeys; i++)
		total += strlen(u->keys[i]) + 1;
	char *content = malloc(total);
	if (!content) {
		item_result(a, items, item, PROTO_RES_FAILED, "out of memory");
		return;
	}
	content[0] = 0;
	size_t off = 0;
	for (size_t i = 0; i < u->nkeys; i++) {
		size_t len = strlen(u->keys[i]);
		memcpy(content + off, u->keys[i], len);
		off += len;
		content[off++] = '\n';
	}
	char dir[PATH_MAX + 8], file[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/.ssh", strcmp(acc.home, "/") ? acc.home : "");
	snprintf(file, sizeof(file), "%s/authorized_keys", dir);
	int changed = 0, c = 0;
	if (fs_mkdirs(a, acc.home, 0755, (uid_t)-1, (gid_t)-1) < 0 ||
	    fs_mkdirs(a, dir, 0700, acc.uid, acc.gid) < 0 ||
	    fs_fix_dir(a, dir, 0700, acc.uid, acc.gid, &changed) < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s: %s", dir, strerror(errno));
		free(content);
		return;
	}
	if (fs_write(a, file, content, off, 0600, acc.uid, acc.gid, &c) < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s: %s", file, strerror(errno));
		free(content);
		return;
	}
	free(content);
	changed |= c;
	item_result(a, items, item, changed ? PROTO_RES_APPLIED : PROTO_RES_UNCHANGED, NULL);
}

void apply_ssh(struct agent *a, const struct proto_config *c, json_t *items)
{
	for (size_t i = 0; i < c->nusers; i++)
		one_user(a, &c->users[i], items);
}
