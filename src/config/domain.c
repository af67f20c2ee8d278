/*
 * domain.c - what xenchannel takes from a whole xl.cfg: the domain name and
 * its channels, checked together (unique names and paths, channel count).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel/config.h"
#include "xenchannel/proto.h"

void cfg_domain_clear(struct cfg_domain *dom)
{
	for (size_t i = 0; i < dom->nchannels; i++)
		cfg_channel_clear(&dom->channels[i]);
	free(dom->channels);
	free(dom->name);
	memset(dom, 0, sizeof(*dom));
}

static const char *kind(const struct cfg_value *v)
{
	return v->type == CFG_LIST ? "a list" : "a single value";
}

/* A declaration's devids: the given ones unique, the others index + 1 when
 * free, else the lowest free one, so the same file always gives the same
 * devids. */
static void declared_devids(const char *src, struct cfg_domain *out, struct cfg_diag *d)
{
	unsigned char used[CFG_MAX_DEVID + 1] = {1}; /* 0: the primary console */
	for (size_t i = 0; i < out->nchannels; i++) {
		const struct cfg_channel *c = &out->channels[i];
		if (!c->devid_set)
			continue;
		if (used[c->devid]) {
			size_t j = 0;
			while (j < i && out->channels[j].devid != c->devid)
				j++;
			cfg_diag_add(d, CFG_ERROR,
			             "%s:%u:%u: channel[%u]: devid %u is already used by "
			             "channel[%u]",
			             src, c->loc.line, c->loc.col, c->index, c->devid,
			             out->channels[j].index);
		}
		used[c->devid] = 1;
	}
	for (size_t i = 0; i < out->nchannels; i++) {
		struct cfg_channel *c = &out->channels[i];
		if (c->devid_set)
			continue;
		unsigned id =
		    c->index + 1 <= CFG_MAX_DEVID && !used[c->index + 1] ? c->index + 1 : 1;
		while (id <= CFG_MAX_DEVID && used[id])
			id++;
		c->devid = id; /* at most CFG_MAX_CHANNELS channels: one is free */
		used[id] = 1;
	}
}

int cfg_domain_from_file(const struct cfg_file *f, const struct cfg_registry *reg,
                         struct cfg_domain *out, struct cfg_diag *d)
{
	return cfg_domain_from_file_ex(f, reg, 0, out, d);
}

int cfg_domain_from_file_ex(const struct cfg_file *f, const struct cfg_registry *reg,
                            unsigned flags, struct cfg_domain *out, struct cfg_diag *d)
{
	memset(out, 0, sizeof(*out));
	size_t errs = d->nerrors;
	const char *src = f->source;
	cfg_check_keys(f, d);

	const struct cfg_setting *s = cfg_get(f, "name");
	if (!s && (flags & CFG_DECLARED)) {
		/* a declaration is named by its file */
	} else if (!s) {
		cfg_diag_add(d, CFG_ERROR,
		             "%s: no name= setting (xl: Domain name must be specified)", src);
	} else if (s->value->type != CFG_STRING) {
		cfg_diag_add(d, CFG_ERROR, "%s:%u:%u: name must be a string, not %s", src,
		             s->value->loc.line, s->value->loc.col, kind(s->value));
	} else if (!s->value->len) {
		cfg_diag_add(d, CFG_ERROR, "%s:%u:%u: name is empty", src, s->value->loc.line,
		             s->value->loc.col);
	} else if (!(out->name = strdup(s->value->str))) {
		goto oom;
	}

	s = cfg_get(f, "channel");
	if (s && s->value->type != CFG_LIST) {
		cfg_diag_add(
		    d, CFG_ERROR,
		    "%s:%u:%u: channel must be a list, e.g. channel = [ \"...\" ] (xl ignores "
		    "a single value)",
		    src, s->value->loc.line, s->value->loc.col);
	} else if (s && s->value->nitems) {
		const struct cfg_value *list = s->value;
		out->channels = calloc(list->nitems, sizeof(*out->channels));
		if (!out->channels)
			goto oom;
		for (size_t i = 0; i < list->nitems; i++) {
			const struct cfg_value *it = list->items[i];
			if (it->type != CFG_STRING) {
				cfg_diag_add(
				    d, CFG_ERROR,
				    "%s:%u:%u: channel[%zu]: must be a string, not a list (xl "
				    "would silently ignore it and every channel after it)",
				    src, it->loc.line, it->loc.col, i);
				continue;
			}
			if (i >= CFG_MAX_CHANNELS) {
				cfg_diag_add(
				    d, CFG_ERROR,
				    "%s:%u:%u: channel[%zu]: too many channels: Linux guests "
				    "expose only hvc0-hvc7 and hvc0 is the primary console, so at "
				    "most %d channels are usable",
				    src, it->loc.line, it->loc.col, i, CFG_MAX_CHANNELS);
				continue;
			}
			struct cfg_channel ch;
			/* cols[0] is the first byte after the quote; report the quote for
			 * whole-spec errors through loc below. */
			if (cfg_channel_parse_ex(it->str, src, it->loc.line, it->cols, (unsigned)i,
			                         flags, &ch, d))
				continue;
			ch.loc = it->loc;
			/* each clash reported once, against the first channel it meets */
			int name_seen = 0, path_seen = 0;
			for (size_t j = 0; j < out->nchannels; j++) {
				const struct cfg_channel *o = &out->channels[j];
				if (!name_seen && !strcmp(o->name, ch.name)) {
					name_seen = 1;
					cfg_diag_add(
					    d, CFG_ERROR,
					    "%s:%u:%u: channel[%zu]: name `%s' is already used by "
					    "channel[%u] (names are unique in a domain)",
					    src, it->loc.line, it->loc.col, i, ch.name, o->index);
				}
				if (!path_seen && o->path && ch.path && !strcmp(o->path, ch.path)) {
					path_seen = 1;
					cfg_diag_add(
					    d, CFG_ERROR,
					    "%s:%u:%u: channel[%zu]: path `%s' is already used by "
					    "channel[%u]",
					    src, it->loc.line, it->loc.col, i, ch.path, o->index);
				}
			}
			const struct cfg_registry_entry *clash = cfg_registry_clash(reg, ch.name);
			if (clash)
				cfg_diag_add(
				    d, CFG_ERROR,
				    "%s:%u:%u: channel[%zu]: name `%s' differs only in case from "
				    "the registered name `%s'",
				    src, it->loc.line, it->loc.col, i, ch.name, clash->name);
			out->channels[out->nchannels++] = ch;
		}
	}
	if (flags & CFG_DECLARED)
		declared_devids(src, out, d);
	if (d->nerrors > errs) {
		cfg_domain_clear(out);
		return -1;
	}
	return 0;
oom:
	cfg_diag_add(d, CFG_ERROR, "%s: out of memory", src);
	cfg_domain_clear(out);
	return -1;
}

/* A JSON string of s (NULL: null); text that is not UTF-8 is escaped. */
static json_t *jstr(const char *s)
{
	return s ? proto_json_text(s) : json_null();
}

json_t *cfg_domain_json(const struct cfg_domain *dom, const struct cfg_registry *reg)
{
	json_t *root = json_object();
	json_t *chans = json_array();
	if (!root || !chans) {
		json_decref(root);
		json_decref(chans);
		return NULL;
	}
	json_object_set_new(root, "name", jstr(dom->name));
	for (size_t i = 0; i < dom->nchannels; i++) {
		const struct cfg_channel *c = &dom->channels[i];
		json_t *o = json_object();
		if (!o)
			break;
		json_object_set_new(o, "index", json_integer(c->index));
		json_object_set_new(o, "devid", json_integer(c->devid));
		json_object_set_new(o, "name", jstr(c->name));
		json_object_set_new(o, "connection",
		                    json_string(cfg_connection_name(c->connection)));
		json_object_set_new(o, "path", jstr(c->path));
		json_object_set_new(o, "backend", jstr(c->backend));
		if (reg)
			json_object_set_new(o, "registered",
			                    json_boolean(cfg_registry_find(reg, c->name) != NULL));
		json_object_set_new(o, "line", json_integer(c->loc.line));
		json_array_append_new(chans, o);
	}
	json_object_set_new(root, "channels", chans);
	return root;
}

char *cfg_domain_to_json(const struct cfg_domain *dom, const struct cfg_registry *reg)
{
	json_t *root = cfg_domain_json(dom, reg);
	char *s = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	return s;
}
