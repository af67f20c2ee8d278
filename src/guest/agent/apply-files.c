/* apply-files.c - write_files: path, content, permissions, owner. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void one_file(struct agent *a, const struct proto_file *f, json_t *items)
{
	char item[PATH_MAX + 16];
	snprintf(item, sizeof(item), "write_files.%s", f->path);
	if (!policy_file_allowed(a, f->path)) {
		item_result(a, items, item, PROTO_RES_REFUSED, "policy does not allow writing %s",
		            f->path);
		return;
	}
	uid_t uid = 0;
	gid_t gid = 0;
	char err[200];
	if (users_owner(a, f->owner, &uid, &gid, err, sizeof(err)) < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s", err);
		return;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", f->path);
	*strrchr(dir, '/') = 0;
	int changed;
	if ((dir[0] && fs_mkdirs(a, dir, 0755, 0, 0) < 0) ||
	    fs_write(a, f->path, f->data, f->len, (mode_t)f->mode, uid, gid, &changed) < 0) {
		item_result(a, items, item, PROTO_RES_FAILED, "%s: %s", f->path, strerror(errno));
		return;
	}
	item_result(a, items, item, changed ? PROTO_RES_APPLIED : PROTO_RES_UNCHANGED, NULL);
}

void apply_files(struct agent *a, const struct proto_config *c, json_t *items)
{
	for (size_t i = 0; i < c->nfiles; i++)
		one_file(a, &c->files[i], items);
}
