/*
 * fuzz-config.c - libFuzzer target for both xl grammars (and the registry
 * format). The first byte picks the grammar; the rest is the input.
 * Beyond "no crash, no leak" it checks the contract: a parse either
 * succeeds with no error recorded or fails with at least one message and
 * nothing handed out; accepted channels satisfy every rule.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel/config.h"

static void check_diag(const struct cfg_diag *d, int failed)
{
	if (failed && d->nerrors == 0)
		abort();
	if (!failed && d->nerrors != 0)
		abort();
	for (size_t i = 0; i < d->n; i++)
		if (!d->msgs[i].text || !d->msgs[i].text[0])
			abort();
}

static void check_channel(const struct cfg_channel *c)
{
	if (!c->name || cfg_name_check(c->name))
		abort();
	if (c->connection == CFG_CONN_SOCKET &&
	    (!c->path || c->path[0] != '/' || strlen(c->path) > CFG_PATH_MAX))
		abort();
	if (c->connection == CFG_CONN_PTY && c->path)
		abort();
	if (c->connection == CFG_CONN_UNKNOWN)
		abort();
	if (c->devid != c->index + 1)
		abort();
}

static void fuzz_file(const char *data, size_t len)
{
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_file *f = NULL;
	int rc = cfg_parse("fuzz.cfg", data, len, &f, &d);
	check_diag(&d, rc != 0);
	if (rc) {
		if (f)
			abort();
		cfg_diag_free(&d);
		return;
	}
	struct cfg_domain dom;
	rc = cfg_domain_from_file(f, NULL, &dom, &d);
	check_diag(&d, rc != 0);
	if (rc == 0) {
		if (dom.nchannels > CFG_MAX_CHANNELS)
			abort();
		for (size_t i = 0; i < dom.nchannels; i++) {
			check_channel(&dom.channels[i]);
			for (size_t j = 0; j < i; j++)
				if (!strcmp(dom.channels[i].name, dom.channels[j].name))
					abort();
		}
		char *json = cfg_domain_to_json(&dom, NULL);
		free(json);
		cfg_domain_clear(&dom);
	} else if (dom.channels || dom.name) {
		abort();
	}
	cfg_file_free(f);
	cfg_diag_free(&d);
}

static void fuzz_spec(const char *data, size_t len)
{
	char *s = strndup(data, len); /* a spec is a C string, as xl sees it */
	if (!s)
		return;
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_channel c;
	int rc = cfg_channel_parse(s, len & 1 ? "spec" : NULL, 1, NULL, 0, &c, &d);
	check_diag(&d, rc != 0);
	if (rc == 0)
		check_channel(&c);
	else if (c.name || c.path || c.backend)
		abort();
	cfg_channel_clear(&c);
	cfg_diag_free(&d);
	free(s);
}

static void fuzz_registry(const char *data, size_t len)
{
	struct cfg_diag d;
	cfg_diag_init(&d);
	struct cfg_registry *r = NULL;
	int rc = cfg_registry_parse("reg", data, len, &r, &d);
	check_diag(&d, rc != 0);
	if (rc == 0)
		for (size_t i = 0; i < r->n; i++)
			if (cfg_name_check(r->entries[i].name) ||
			    cfg_registry_find(r, r->entries[i].name) != &r->entries[i])
				abort();
	cfg_registry_free(r);
	cfg_diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *in = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0:
		fuzz_file(in, len);
		break;
	case 1:
		fuzz_spec(in, len);
		break;
	default:
		fuzz_registry(in, len);
		break;
	}
	return 0;
}
