/* apply-hostname.c - host name: kernel (sethostname), /etc/hostname, /etc/hosts. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOSTS_ADDR "127.0.1.1"

/* /etc/hosts with our 127.0.1.1 line replaced (or added after the first
 * 127.0.0.1 line); every other line kept as it was. */
static char *new_hosts(const char *old, const char *line)
{
	size_t cap = (old ? strlen(old) : 0) + strlen(line) + 128;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = 0;
	if (!old || !*old) {
		snprintf(out, cap,
		         "127.0.0.1\tlocalhost\n%s::1\tlocalhost ip6-localhost ip6-loopback\n",
		         line);
		return out;
	}
	int placed = 0;
	const char *p = old;
	while (*p) {
		const char *e = strchrnul(p, '\n');
		size_t l = (size_t)(e - p);
		const char *f = p;
		while (f < e && (*f == ' ' || *f == '\t'))
			f++;
		int ours = (size_t)(e - f) > strlen(HOSTS_ADDR) &&
		           strncmp(f, HOSTS_ADDR, strlen(HOSTS_ADDR)) == 0 &&
		           (f[strlen(HOSTS_ADDR)] == ' ' || f[strlen(HOSTS_ADDR)] == '\t');
		if (ours) {
			if (!placed)
				strcat(out, line);
			placed = 1;
		} else {
			strncat(out, p, l);
			strcat(out, "\n");
			if (!placed && strncmp(f, "127.0.0.1", 9) == 0) {
				strcat(out, line);
				placed = 1;
			}
		}
		p = *e ? e + 1 : e;
	}
	if (!placed)
		strcat(out, line);
	return out;
}

void apply_hostname(struct agent *a, const struct proto_config *cfg, json_t *items)
{
	const char *host = cfg->hostname, *fqdn = cfg->fqdn;
	if (!host)
		return;
	if (!a->policy.allow[POLICY_HOSTNAME]) {
		item_result(a, items, "hostname", PROTO_RES_REFUSED,
		            "policy does not allow hostname");
		return;
	}
	int changed = 0, c;
	if (a->kernel) {
		char cur[256] = "";
		gethostname(cur, sizeof(cur) - 1);
		if (strcmp(cur, host) != 0) {
			if (sethostname(host, strlen(host)) < 0) {
				item_result(a, items, "hostname", PROTO_RES_FAILED,
				            "sethostname: %s", strerror(errno));
				return;
			}
			changed = 1;
		}
	}
	char content[300];
	snprintf(content, sizeof(content), "%s\n", host);
	if (fs_mkdirs(a, "/etc", 0755, (uid_t)-1, (gid_t)-1) < 0 ||
	    fs_write(a, "/etc/hostname", content, strlen(content), 0644, 0, 0, &c) < 0) {
		item_result(a, items, "hostname", PROTO_RES_FAILED, "/etc/hostname: %s",
		            strerror(errno));
		return;
	}
	changed |= c;
	char line[600];
	if (fqdn && strcmp(fqdn, host) != 0)
		snprintf(line, sizeof(line), HOSTS_ADDR "\t%s %s\n", fqdn, host);
	else
		snprintf(line, sizeof(line), HOSTS_ADDR "\t%s\n", host);
	char *old = NULL;
	size_t len;
	if (fs_read(a, "/etc/hosts", &old, &len) < 0 && errno != ENOENT) {
		item_result(a, items, "hostname", PROTO_RES_FAILED, "/etc/hosts: %s",
		            strerror(errno));
		return;
	}
	char *hosts = new_hosts(old, line);
	free(old);
	if (!hosts || fs_write(a, "/etc/hosts", hosts, strlen(hosts), 0644, 0, 0, &c) < 0) {
		item_result(a, items, "hostname", PROTO_RES_FAILED, "/etc/hosts: %s",
		            strerror(errno));
		free(hosts);
		return;
	}
	free(hosts);
	changed |= c;
	item_result(a, items, "hostname", changed ? PROTO_RES_APPLIED : PROTO_RES_UNCHANGED, NULL);
}
