/* fileio: whole-file replacement (modes, no-replace, leftovers of a crash,
 * no temporaries left) and capped reads, against real files in /tmp. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scanwall/fileio.h"
#include "tmpdir.h"

struct fixture {
	char dir[64];
	char path[96];
	char tmp[100];
	char new[100];
	char other[100];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(tmpdir_make(f->dir, sizeof(f->dir), "test_fileio"), 0);
	snprintf(f->path, sizeof(f->path), "%s/file", f->dir);
	snprintf(f->tmp, sizeof(f->tmp), "%s.tmp", f->path);
	snprintf(f->new, sizeof(f->new), "%s.new", f->path);
	snprintf(f->other, sizeof(f->other), "%s/other", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void assert_content(const char *path, const char *want)
{
	char *buf;
	size_t len;

	assert_int_equal(sw_read_file(path, 1024, &buf, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(buf, want);	/* NUL-terminated */
	free(buf);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_replace(void **state)
{
	struct fixture *f = *state;
	mode_t old = umask(077);

	assert_int_equal(sw_write_atomic(AT_FDCWD, f->path, "one\n", 4, 0644, 0), 0);
	umask(old);
	assert_content(f->path, "one\n");
	assert_int_equal(mode_of(f->path), 0644);	/* whatever the umask */
	assert_int_equal(sw_write_atomic(AT_FDCWD, f->path, "two", 3, 0600, 0), 0);
	assert_content(f->path, "two");
	assert_int_equal(mode_of(f->path), 0600);
	assert_int_equal(access(f->tmp, F_OK), -1);
	assert_int_equal(sw_write_atomic(AT_FDCWD, f->path, "", 0, 0600, 0), 0);
	assert_content(f->path, "");
}

static void test_noreplace(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sw_write_atomic(AT_FDCWD, f->path, "key", 3, 0600, SW_FILE_NOREPLACE), 0);
	assert_content(f->path, "key");
	assert_int_equal(mode_of(f->path), 0600);
	assert_int_equal(access(f->new, F_OK), -1);
	/* an existing file is kept, and the temporary goes */
	assert_int_equal(sw_write_atomic(AT_FDCWD, f->path, "other", 5, 0600, SW_FILE_NOREPLACE),
			 -EEXIST);
	assert_content(f->path, "key");
	assert_int_equal(access(f->new, F_OK), -1);
}

/* A temporary left by a crash, even a symlink to another file, is
 * replaced, never written through. */
static void test_leftover(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sw_write_atomic(AT_FDCWD, f->other, "victim", 6, 0600, 0), 0);
	assert_int_equal(symlink(f->other, f->tmp), 0);
	assert_int_equal(symlink(f->other, f->new), 0);
	assert_int_equal(sw_write_atomic(AT_FDCWD, f->path, "a", 1, 0600, 0), 0);
	assert_content(f->path, "a");
	assert_content(f->other, "victim");
	unlink(f->path);
	assert_int_equal(sw_write_atomic(AT_FDCWD, f->path, "b", 1, 0600, SW_FILE_NOREPLACE), 0);
	assert_content(f->path, "b");
	assert_content(f->other, "victim");
	assert_int_equal(access(f->tmp, F_OK), -1);
	assert_int_equal(access(f->new, F_OK), -1);
}

static void test_dirfd(void **state)
{
	struct fixture *f = *state;
	int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(dfd >= 0);
	assert_int_equal(sw_write_atomic(dfd, "file", "rel", 3, 0600, 0), 0);
	assert_content(f->path, "rel");
	assert_int_equal(sw_sync_dir(dfd, "file"), 0);
	close(dfd);
	assert_int_equal(sw_sync_dir(AT_FDCWD, f->path), 0);
	assert_int_equal(sw_sync_dir(AT_FDCWD, "/"), 0);
	assert_int_equal(sw_sync_dir(AT_FDCWD, "/tmp/test_fileio.none/x"), -ENOENT);
	assert_int_equal(sw_write_atomic(AT_FDCWD, "/tmp/test_fileio.none/x", "x", 1, 0600, 0),
			 -ENOENT);
}

static void test_read_cap(void **state)
{
	struct fixture *f = *state;
	size_t big = 10000, len;
	char *data = malloc(big), *buf;
	int fd;

	assert_non_null(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	assert_int_equal(sw_write_atomic(AT_FDCWD, f->path, data, big, 0600, 0), 0);
	/* exactly max bytes is fine, past the growth steps of the buffer */
	assert_int_equal(sw_read_file(f->path, big, &buf, &len), 0);
	assert_int_equal(len, big);
	assert_memory_equal(buf, data, big);
	assert_int_equal(buf[big], 0);
	free(buf);
	assert_int_equal(sw_read_file(f->path, big - 1, &buf, &len), -EFBIG);
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sw_read_fd(fd, big - 1, &buf, &len), -EFBIG);
	close(fd);
	/* a 4095-byte file fills the first buffer to its NUL byte */
	assert_int_equal(sw_write_atomic(AT_FDCWD, f->path, data, 4095, 0600, 0), 0);
	assert_int_equal(sw_read_file(f->path, 4095, &buf, &len), 0);
	assert_int_equal(len, 4095);
	assert_int_equal(buf[4095], 0);
	free(buf);
	assert_int_equal(sw_read_file(f->other, 10, &buf, &len), -ENOENT);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noreplace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_cap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
