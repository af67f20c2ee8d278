/* cmd-list.c - `xensim list`, and looking a domain up by id or name. */
#include "xensim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Calls fn for each domain the hypervisor reports; 0 or -1 (printed). */
static int each_domain(const struct xensim *x, int (*fn)(const struct xensim_dom *d, void *arg),
                       void *arg)
{
	struct ctl c;
	if (ctl_open(&c, x) < 0)
		return -1;
	struct simw_msg req = {.type = SIMW_DOM_LIST}, rep;
	char *buf = malloc(SIMW_PAYLOAD_MAX + 1);
	if (!buf) {
		ctl_close(&c);
		return -1;
	}
	ssize_t n = ctl_call(&c, &req, NULL, &rep, buf, SIMW_PAYLOAD_MAX + 1);
	ctl_close(&c);
	if (n < 0) {
		xensim_err("list: %s", strerror(errno));
		free(buf);
		return -1;
	}
	int rc = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct xensim_dom d;
		if (sscanf(line, "%u %79s %15s %39s %d", &d.domid, d.name, d.state, d.uuid,
		           &d.guest_pid) != 5)
			continue;
		if ((rc = fn(&d, arg)) != 0)
			break;
	}
	free(buf);
	return rc < 0 ? -1 : 0;
}

struct find {
	const char *arg;
	unsigned long id;
	int by_id;
	struct xensim_dom *out;
	int found;
};

static int match(const struct xensim_dom *d, void *arg)
{
	struct find *f = arg;
	if ((f->by_id && d->domid == f->id) || (!f->by_id && !strcmp(d->name, f->arg))) {
		*f->out = *d;
		f->found = 1;
		return 1;
	}
	return 0;
}

int xensim_find_domain(const struct xensim *x, const char *arg, struct xensim_dom *out)
{
	struct find f = {.arg = arg, .out = out};
	char *end;
	errno = 0;
	f.id = strtoul(arg, &end, 10);
	f.by_id = *arg >= '0' && *arg <= '9' && !*end && !errno;
	if (each_domain(x, match, &f) < 0)
		return -1;
	if (!f.found) {
		xensim_err("no domain '%s'", arg);
		return -1;
	}
	return 0;
}

static int print(const struct xensim_dom *d, void *arg)
{
	(void)arg;
	if (d->guest_pid > 0)
		printf("%-32s %5u  %-8s %-36s %d\n", d->name, d->domid, d->state, d->uuid,
		       d->guest_pid);
	else
		printf("%-32s %5u  %-8s %-36s -\n", d->name, d->domid, d->state, d->uuid);
	return 0;
}

int cmd_list(struct xensim *x, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		return xensim_usage_error("list", "takes no arguments");
	}
	printf("%-32s %5s  %-8s %-36s %s\n", "Name", "ID", "State", "UUID", "Guest");
	return each_domain(x, print, NULL) < 0 ? 1 : 0;
}
