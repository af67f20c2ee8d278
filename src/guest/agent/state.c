/* state.c - the last applied generation and its results, kept on disk so a
 * restarted agent knows what it already did. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void state_path(const struct agent *a, char *p, size_t n)
{
	snprintf(p, n, "%s/state.json", a->state_dir);
}

int state_load(struct agent *a, char *err, size_t errlen)
{
	struct state *s = &a->state;
	char path[PATH_MAX];
	state_path(a, path, sizeof(path));
	s->generation = 0;
	s->interrupted = 0;
	s->digest[0] = 0;
	json_decref(s->results);
	s->results = json_array();
	char *text;
	size_t len;
	if (fs_read(a, path, &text, &len) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "state %s: %s", path, strerror(errno));
		return -1;
	}
	json_error_t je;
	json_t *o = json_loadb(text, len, 0, &je);
	free(text);
	json_int_t g = 0, pend = 0;
	const char *dg = "";
	json_t *res = NULL;
	if (!o ||
	    json_unpack_ex(o, &je, 0, "{s?I, s?s, s?o, s?I}", "generation", &g, "digest", &dg,
	                   "results", &res, "pending", &pend) < 0 ||
	    strlen(dg) > 64 || g < 0) {
		snprintf(err, errlen, "state %s: unreadable (%s); starting from generation 0", path,
		         je.text);
		json_decref(o);
		return -1;
	}
	s->generation = g;
	snprintf(s->digest, sizeof(s->digest), "%s", dg);
	if (json_is_array(res)) {
		json_decref(s->results);
		s->results = json_incref(res);
	}
	s->interrupted = pend > g ? pend : 0;
	json_decref(o);
	return 0;
}

static int write_state(struct agent *a, json_t *o)
{
	char path[PATH_MAX];
	state_path(a, path, sizeof(path));
	char *text = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return -1;
	int changed;
	int rc = fs_mkdirs(a, a->state_dir, 0700, (uid_t)-1, (gid_t)-1);
	if (rc == 0)
		rc = fs_write(a, path, text, strlen(text), 0600, (uid_t)-1, (gid_t)-1, &changed);
	int e = errno;
	free(text);
	if (rc < 0)
		log_err("state %s: cannot write: %s", path, strerror(e));
	return rc;
}

int state_mark_pending(struct agent *a, json_int_t generation)
{
	struct state *s = &a->state;
	json_t *o = json_pack("{s:I, s:s, s:O, s:I}", "generation", s->generation, "digest",
	                      s->digest, "results", s->results, "pending", generation);
	int rc = write_state(a, o);
	json_decref(o);
	return rc;
}

int state_save(struct agent *a, json_int_t generation, const char *digest, json_t *results)
{
	struct state *s = &a->state;
	s->generation = generation;
	snprintf(s->digest, sizeof(s->digest), "%s", digest);
	json_decref(s->results);
	s->results = json_incref(results);
	s->interrupted = 0;
	json_t *o = json_pack("{s:I, s:s, s:O}", "generation", generation, "digest", digest,
	                      "results", results);
	int rc = write_state(a, o);
	json_decref(o);
	return rc;
}

json_t *state_describe(const struct agent *a)
{
	const struct state *s = &a->state;
	json_t *o = json_pack("{s:I, s:s, s:O}", "generation", s->generation, "digest", s->digest,
	                      "results", s->results);
	if (s->interrupted)
		json_object_set_new(o, "interrupted", json_integer(s->interrupted));
	return o;
}
