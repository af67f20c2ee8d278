/* exepath.c - files installed with this executable (see exepath.h). */
#include "xenchannel/exepath.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int exepath_dir(char *buf, size_t len)
{
	if (len < 2)
		return -1;
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0 || (size_t)n >= len - 1)
		return -1;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

int exepath_installed(char *buf, size_t len, const char *self_dir, const char *path)
{
	char dir[4096];
	if (exepath_dir(dir, sizeof(dir)) < 0)
		return -1;
	size_t d = strlen(dir), s = strlen(self_dir);
	while (s > 1 && self_dir[s - 1] == '/')
		s--;
	/* dir must be <root><self_dir>, the root empty or ending at a '/' */
	if (s > d || strncmp(dir + d - s, self_dir, s) != 0)
		return -1;
	int n = snprintf(buf, len, "%.*s%s", (int)(d - s), dir, path);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
