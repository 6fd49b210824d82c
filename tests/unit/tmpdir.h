/* Test helper: a fresh directory under /tmp for a test's files, and its
 * removal with whatever files the test left in it, so a teardown need not
 * know every name a test (or the code under test) may have made. */
#ifndef SW_TEST_TMPDIR_H
#define SW_TEST_TMPDIR_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* dir becomes "/tmp/NAME.XXXXXX", made by mkdtemp. 0 or -errno. */
static inline int tmpdir_make(char *dir, size_t size, const char *name)
{
	if ((size_t)snprintf(dir, size, "/tmp/%s.XXXXXX", name) >= size)
		return -ENAMETOOLONG;
	return mkdtemp(dir) ? 0 : -errno;
}

/* Files and symlinks only: the tests make no subdirectories. */
static inline void tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dirfd(d), e->d_name, 0);
		}
		closedir(d);
	}
	rmdir(dir);
}

#endif
