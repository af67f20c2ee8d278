/* users.c - accounts and groups read from the guest's own /etc files. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Find the line of file whose first field is name; fields split on ':'. */
static int find_entry(struct agent *a, const char *file, const char *name, char **fields,
                      int nfields, char **buf)
{
	size_t len;
	if (fs_read(a, file, buf, &len) < 0)
		return -1;
	char *save = NULL;
	for (char *line = strtok_r(*buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int n = 0;
		char *p = line;
		while (n < nfields) {
			fields[n++] = p;
			char *c = strchr(p, ':');
			if (!c)
				break;
			*c = 0;
			p = c + 1;
		}
		if (n == nfields && strcmp(fields[0], name) == 0)
			return 0;
	}
	free(*buf);
	*buf = NULL;
	errno = ENOENT;
	return -1;
}

static int number(const char *s, unsigned long *v)
{
	char *end;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return (*s && !*end && !errno && *v < 0xffffffffUL) ? 0 : -1;
}

int users_lookup(struct agent *a, const char *name, struct account *acc)
{
	char *f[7], *buf = NULL;
	unsigned long uid, gid;
	if (find_entry(a, "/etc/passwd", name, f, 7, &buf) < 0) {
		if (strcmp(name, "root") == 0) { /* a root without /etc/passwd */
			acc->uid = 0;
			acc->gid = 0;
			strcpy(acc->home, "/root");
			return 0;
		}
		return -1;
	}
	int rc = -1;
	if (number(f[2], &uid) == 0 && number(f[3], &gid) == 0 && f[5][0] == '/' &&
	    strlen(f[5]) < sizeof(acc->home)) {
		acc->uid = (uid_t)uid;
		acc->gid = (gid_t)gid;
		strcpy(acc->home, f[5]);
		rc = 0;
	} else {
		errno = EINVAL;
	}
	free(buf);
	return rc;
}

int users_group(struct agent *a, const char *name, gid_t *gid)
{
	char *f[3], *buf = NULL;
	unsigned long g;
	if (find_entry(a, "/etc/group", name, f, 3, &buf) < 0) {
		if (strcmp(name, "root") == 0) {
			*gid = 0;
			return 0;
		}
		return -1;
	}
	int rc = number(f[2], &g);
	if (rc == 0)
		*gid = (gid_t)g;
	free(buf);
	return rc;
}

int users_owner(struct agent *a, const char *owner, uid_t *uid, gid_t *gid, char *err,
                size_t errlen)
{
	char u[80];
	snprintf(u, sizeof(u), "%s", owner);
	char *g = strchr(u, ':');
	if (g)
		*g++ = 0;
	struct account acc;
	if (users_lookup(a, u, &acc) < 0) {
		snprintf(err, errlen, "owner %s: no such user in /etc/passwd", u);
		return -1;
	}
	*uid = acc.uid;
	*gid = acc.gid;
	if (g && users_group(a, g, gid) < 0) {
		snprintf(err, errlen, "owner %s: no such group %s in /etc/group", owner, g);
		return -1;
	}
	return 0;
}
