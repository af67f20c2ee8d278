/* policy.c - which parts of a document this guest lets the host change. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[POLICY_NACTIONS] = {
    [POLICY_HOSTNAME] = "hostname",
    [POLICY_NETWORK] = "network",
    [POLICY_USERS] = "users",
    [POLICY_WRITE_FILES] = "write_files",
};

const char *policy_action_name(enum policy_action act)
{
	return action_names[act];
}

/*
 * Policy file (JSON, inside the root):
 *   {"allow": ["hostname", "network", "users", "write_files"],
 *    "write_files_paths": ["/etc/motd", "/srv/"]}
 * Without the file everything is allowed. A path entry ending in '/'
 * allows everything below it; otherwise it must match exactly.
 */
int policy_load(struct agent *a, char *err, size_t errlen)
{
	struct policy *p = &a->policy;
	for (int i = 0; i < POLICY_NACTIONS; i++)
		p->allow[i] = 1;
	char *text;
	size_t len;
	if (fs_read(a, a->policy_path, &text, &len) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "policy %s: %s", a->policy_path, strerror(errno));
		return -1;
	}
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!o || !json_is_object(o)) {
		snprintf(err, errlen, "policy %s:%d: %s", a->policy_path, o ? 1 : je.line,
		         o ? "not a JSON object" : je.text);
		json_decref(o);
		return -1;
	}
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (strcmp(k, "allow") && strcmp(k, "write_files_paths")) {
			snprintf(err, errlen, "policy %s: unknown key %s", a->policy_path, k);
			json_decref(o);
			return -1;
		}
	}
	json_t *allow = json_object_get(o, "allow");
	if (allow) {
		if (!json_is_array(allow)) {
			snprintf(err, errlen, "policy %s: allow: not a list", a->policy_path);
			json_decref(o);
			return -1;
		}
		for (int i = 0; i < POLICY_NACTIONS; i++)
			p->allow[i] = 0;
		size_t i;
		json_array_foreach(allow, i, v)
		{
			int found = 0;
			for (int j = 0; j < POLICY_NACTIONS; j++)
				if (json_is_string(v) &&
				    strcmp(json_string_value(v), action_names[j]) == 0)
					p->allow[j] = found = 1;
			if (!found) {
				snprintf(err, errlen,
				         "policy %s: allow[%zu]: want hostname, network, users or "
				         "write_files",
				         a->policy_path, i);
				json_decref(o);
				return -1;
			}
		}
	}
	json_t *paths = json_object_get(o, "write_files_paths");
	if (paths) {
		if (!json_is_array(paths)) {
			snprintf(err, errlen, "policy %s: write_files_paths: not a list",
			         a->policy_path);
			json_decref(o);
			return -1;
		}
		p->file_prefixes = calloc(json_array_size(paths) + 1, sizeof(char *));
		size_t i;
		json_array_foreach(paths, i, v)
		{
			if (!json_is_string(v) || json_string_value(v)[0] != '/') {
				snprintf(err, errlen,
				         "policy %s: write_files_paths[%zu]: not an absolute path",
				         a->policy_path, i);
				json_decref(o);
				return -1;
			}
			p->file_prefixes[p->nprefixes++] = strdup(json_string_value(v));
		}
	}
	json_decref(o);
	return 0;
}

int policy_file_allowed(const struct agent *a, const char *path)
{
	const struct policy *p = &a->policy;
	if (!p->allow[POLICY_WRITE_FILES])
		return 0;
	if (!p->file_prefixes)
		return 1;
	for (size_t i = 0; i < p->nprefixes; i++) {
		const char *pre = p->file_prefixes[i];
		size_t n = strlen(pre);
		if (pre[n - 1] == '/' ? strncmp(path, pre, n) == 0 : strcmp(path, pre) == 0)
			return 1;
	}
	return 0;
}

json_t *policy_describe(const struct agent *a)
{
	json_t *allow = json_array();
	for (int i = 0; i < POLICY_NACTIONS; i++)
		if (a->policy.allow[i])
			json_array_append_new(allow, json_string(action_names[i]));
	json_t *o = json_pack("{s:o, s:b}", "allow", allow, "hmac_required", a->key != NULL);
	if (a->policy.file_prefixes) {
		json_t *ps = json_array();
		for (size_t i = 0; i < a->policy.nprefixes; i++)
			json_array_append_new(ps, json_string(a->policy.file_prefixes[i]));
		json_object_set_new(o, "write_files_paths", ps);
	}
	return o;
}
