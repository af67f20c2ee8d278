/* policy.c - which parts of a document this guest lets the host change. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[POLICY_NACTIONS] = {
    [POLICY_HOSTNAME] = "hostname",       [POLICY_NETWORK] = "network", [POLICY_USERS] = "users",
    [POLICY_WRITE_FILES] = "write_files", [POLICY_NOCLOUD] = "nocloud",
};

const char *policy_action_name(enum policy_action act)
{
	return action_names[act];
}

static int policy_parse(struct agent *a, struct policy *p, char *err, size_t errlen);

/*
 * Policy file (JSON, inside the root):
 *   {"allow": ["hostname", "network", "users", "write_files", "nocloud"],
 *    "write_files_paths": ["/etc/motd", "/srv/"]}
 * Without the file everything is allowed. A path entry ending in '/'
 * allows everything below it; otherwise it must match exactly.
 */
void policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->nprefixes; i++)
		free(p->file_prefixes[i]);
	free(p->file_prefixes);
	p->file_prefixes = NULL;
	p->nprefixes = 0;
}

/* Parse into a fresh *p; on failure *p holds nothing (the caller's current
 * policy is a different struct, so a bad file never half-replaces it). */
int policy_load(struct agent *a, struct policy *p, char *err, size_t errlen)
{
	*p = (struct policy){0};
	int rc = policy_parse(a, p, err, errlen);
	if (rc < 0)
		policy_free(p);
	return rc;
}

static int policy_parse(struct agent *a, struct policy *p, char *err, size_t errlen)
{
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
	p->present = 1;
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
				         "policy %s: allow[%zu]: want hostname, network, users, "
				         "write_files or nocloud",
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

/* One line for the log: "allow hostname users; write_files_paths /srv/". */
void policy_summary(const struct policy *p, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	if (!f) {
		snprintf(buf, len, "?");
		return;
	}
	int any = 0;
	fputs("allow", f);
	for (int i = 0; i < POLICY_NACTIONS; i++)
		if (p->allow[i])
			any = fprintf(f, " %s", action_names[i]);
	if (!any)
		fputs(" nothing", f);
	if (p->file_prefixes) {
		fputs("; write_files_paths", f);
		for (size_t i = 0; i < p->nprefixes; i++)
			fprintf(f, " %s", p->file_prefixes[i]);
	}
	fclose(f);
	buf[len - 1] = '\0';
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
