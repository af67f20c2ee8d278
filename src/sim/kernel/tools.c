/*
 * tools.c - a simulated guest comes with xenchannel's guest package: the udev
 * rule in <root>/lib/udev/rules.d and xen-console-setup in <root>/lib/udev,
 * as `make install` puts them on a real guest. Files already there (or an
 * override of the same name in <root>/etc/udev/rules.d) are left alone, and
 * XENSIM_GUEST_BARE=1 leaves the root untouched.
 */
#include "guest.h"
#include "xenchannel/exepath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RULES_NAME "90-xen-channel.rules"
#define HELPER_NAME "xen-console-setup"

static int first_existing(const char *const *cands, size_t n, char *out, size_t len, int mode)
{
	for (size_t i = 0; i < n; i++) {
		if (cands[i] && access(cands[i], mode) == 0) {
			if (!realpath(cands[i], out))
				snprintf(out, len, "%s", cands[i]);
			return 0;
		}
	}
	return -1;
}

static int copy_file(const char *from, const char *to)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.new", to);
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	char buf[8192];
	ssize_t n;
	int rc = 0;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (n < 0)
		rc = -1;
	close(in);
	if (close(out) < 0)
		rc = -1;
	if (rc == 0)
		rc = rename(tmp, to);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

void tools_seed(const char *root)
{
	const char *bare = getenv("XENSIM_GUEST_BARE");
	if (bare && strcmp(bare, "1") == 0)
		return;
	char dir[PATH_MAX - 64];
	if (exepath_dir(dir, sizeof(dir)) < 0)
		return;
	char p1[PATH_MAX], inst[PATH_MAX], found[PATH_MAX], dest[PATH_MAX], alt[PATH_MAX];

	/* the build tree's copy, else the installed one (under our own root:
	 * staged in a DESTDIR too), else the system's */
	snprintf(dest, sizeof(dest), "%s/lib/udev/rules.d/" RULES_NAME, root);
	snprintf(alt, sizeof(alt), "%s/etc/udev/rules.d/" RULES_NAME, root);
	snprintf(p1, sizeof(p1), "%s/" RULES_NAME, dir);
	int installed = exepath_installed(inst, sizeof(inst), XENSIM_LIBEXECDIR,
	                                  XENSIM_UDEVDIR "/rules.d/" RULES_NAME) == 0;
	const char *rules[] = {p1, installed ? inst : NULL, "/usr/lib/udev/rules.d/" RULES_NAME,
	                       "/lib/udev/rules.d/" RULES_NAME};
	if (access(dest, F_OK) < 0 && access(alt, F_OK) < 0) {
		if (first_existing(rules, 4, found, sizeof(found), R_OK) < 0)
			log_warn("guest root: no " RULES_NAME " to install; channels get no "
			         "/dev/xen-channel links");
		else if (copy_file(found, dest) < 0)
			log_warn("guest root: installing %s: %s", dest, strerror(errno));
		else
			log_info("guest root: installed %s", dest);
	}

	snprintf(dest, sizeof(dest), "%s/lib/udev/" HELPER_NAME, root);
	snprintf(p1, sizeof(p1), "%s/../../guest/console-setup/" HELPER_NAME, dir);
	installed = exepath_installed(inst, sizeof(inst), XENSIM_LIBEXECDIR,
	                              XENSIM_UDEVDIR "/" HELPER_NAME) == 0;
	const char *helpers[] = {p1, installed ? inst : NULL, "/usr/lib/udev/" HELPER_NAME,
	                         "/lib/udev/" HELPER_NAME};
	if (access(dest, F_OK) < 0 && faccessat(AT_FDCWD, dest, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		if (first_existing(helpers, 4, found, sizeof(found), X_OK) < 0)
			log_warn("guest root: no " HELPER_NAME " binary found to install");
		else if (symlink(found, dest) < 0)
			log_warn("guest root: linking %s: %s", dest, strerror(errno));
		else
			log_info("guest root: installed %s -> %s", dest, found);
	}
}
