/* Socket endpoint path rules: what is refused, what is replaced, what is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tmpdir.h"
#include "xenchanneld.h"

struct fx {
	char dir[256];
	char path[300];
	char err[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(ut_tmpdir(f->dir, sizeof(f->dir), "xcd-eps"));
	chmod(f->dir, 0755);
	snprintf(f->path, sizeof(f->path), "%s/ch.sock", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	assert_int_equal(ut_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static int try_listen(struct fx *f, const char *path)
{
	dev_t dev;
	ino_t ino;
	f->err[0] = '\0';
	return eps_listen(path, 0600, 1, &dev, &ino, f->err, sizeof(f->err));
}

static void creates_socket_with_mode_0600(void **state)
{
	struct fx *f = *state;
	int fd = try_listen(f, f->path);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	close(fd);
}

static void refuses_relative_and_dotdot_paths(void **state)
{
	struct fx *f = *state;
	assert_int_equal(try_listen(f, "run/x.sock"), -1);
	assert_non_null(strstr(f->err, "not absolute"));
	char p[400];
	snprintf(p, sizeof(p), "%s/../x.sock", f->dir);
	assert_int_equal(try_listen(f, p), -1);
	assert_non_null(strstr(f->err, "'..'"));
}

static void refuses_missing_parent(void **state)
{
	struct fx *f = *state;
	char p[400];
	snprintf(p, sizeof(p), "%s/nope/x.sock", f->dir);
	assert_int_equal(try_listen(f, p), -1);
	assert_non_null(strstr(f->err, "No such file"));
}

static void refuses_world_writable_parent(void **state)
{
	struct fx *f = *state;
	chmod(f->dir, 01777);
	assert_int_equal(try_listen(f, f->path), -1);
	assert_non_null(strstr(f->err, "world-writable"));
	struct stat st;
	assert_int_equal(lstat(f->path, &st), -1);
}

static void refuses_parent_owned_by_someone_else(void **state)
{
	struct fx *f = *state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(f->dir, 4242, 4242), 0);
	assert_int_equal(try_listen(f, f->path), -1);
	assert_non_null(strstr(f->err, "owned by uid 4242"));
}

static void refuses_symlinked_parent(void **state)
{
	struct fx *f = *state;
	char real[400], link[400], p[500];
	snprintf(real, sizeof(real), "%s/real", f->dir);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	snprintf(p, sizeof(p), "%s/x.sock", link);
	assert_int_equal(try_listen(f, p), -1);
	assert_non_null(strstr(f->err, "symlink"));
	snprintf(p, sizeof(p), "%s/x.sock", real);
	struct stat st;
	assert_int_equal(lstat(p, &st), -1);
}

static void refuses_symlink_at_path_and_keeps_target(void **state)
{
	struct fx *f = *state;
	char target[400];
	snprintf(target, sizeof(target), "%s/precious", f->dir);
	FILE *t = fopen(target, "w");
	fputs("keep me", t);
	fclose(t);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(try_listen(f, f->path), -1);
	assert_non_null(strstr(f->err, "symlink"));
	struct stat st;
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(target, &st), 0);
	assert_int_equal(st.st_size, 7);
}

static void refuses_regular_file_and_keeps_it(void **state)
{
	struct fx *f = *state;
	FILE *t = fopen(f->path, "w");
	fputs("data", t);
	fclose(t);
	assert_int_equal(try_listen(f, f->path), -1);
	assert_non_null(strstr(f->err, "regular file"));
	struct stat st;
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
}

static void replaces_stale_socket_refuses_live_one(void **state)
{
	struct fx *f = *state;
	int fd = try_listen(f, f->path);
	assert_true(fd >= 0);
	/* live: somebody listens */
	assert_int_equal(try_listen(f, f->path), -1);
	assert_non_null(strstr(f->err, "in use"));
	close(fd);
	/* stale: file left behind by a dead listener */
	struct stat st;
	assert_int_equal(lstat(f->path, &st), 0);
	int fd2 = try_listen(f, f->path);
	assert_true(fd2 >= 0);
	/* and it really is a new, working listener */
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(strlen(f->path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(c);
	close(fd2);
}

static void unlink_removes_only_our_file(void **state)
{
	struct fx *f = *state;
	dev_t dev;
	ino_t ino;
	int fd = eps_listen(f->path, 0600, 1, &dev, &ino, f->err, sizeof(f->err));
	assert_true(fd >= 0);
	close(fd);
	/* someone replaced it with a regular file: leave that alone */
	unlink(f->path);
	FILE *t = fopen(f->path, "w");
	fclose(t);
	eps_unlink(f->path, dev, ino);
	struct stat st;
	assert_int_equal(lstat(f->path, &st), 0);
	unlink(f->path);
	fd = eps_listen(f->path, 0600, 1, &dev, &ino, f->err, sizeof(f->err));
	assert_true(fd >= 0);
	eps_unlink(f->path, dev, ino);
	assert_int_equal(lstat(f->path, &st), -1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(creates_socket_with_mode_0600, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_relative_and_dotdot_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_missing_parent, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_world_writable_parent, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_parent_owned_by_someone_else, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_symlinked_parent, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_symlink_at_path_and_keeps_target, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(refuses_regular_file_and_keeps_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(replaces_stale_socket_refuses_live_one, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(unlink_removes_only_our_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
