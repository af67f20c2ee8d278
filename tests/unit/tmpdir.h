/*
 * tmpdir.h - one private scratch directory per test, and its removal.
 *
 * $TMPDIR (default /tmp)/<tag>.XXXXXX, made with mkdtemp; removed without a
 * shell and without following links.
 */
#ifndef XC_UNIT_TMPDIR_H
#define XC_UNIT_TMPDIR_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Make the directory into buf; returns buf, or NULL with errno. */
static inline char *ut_tmpdir(char *buf, size_t size, const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(buf, size, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return mkdtemp(buf);
}

static inline int ut_rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Remove dir (or a file or link) and everything below it, like rm -rf:
 * 0 also when it is not there; -1 with errno. */
static inline int ut_rmtree(const char *dir)
{
	return nftw(dir, ut_rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT ? -1 : 0;
}

#endif
