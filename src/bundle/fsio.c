/* Durable renames. A power cut must leave either the old or the new file
 * under a name, never a half-written one: write a temporary, fsync it,
 * rename it over the name, fsync the directory so the rename itself is on
 * disk before the caller reports success. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bundle/internal.h"

int bundle_fsync_dir(int dirfd)
{
	return fsync(dirfd) ? -errno : 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int bundle_write_atomic(int dirfd, const char *name, const void *data, size_t len)
{
	char tmp[256];
	int fd, err;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, data, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, name))
		err = -errno;
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err ? err : bundle_fsync_dir(dirfd);
}

/* A symlink is the store's pointer: replacing it by rename is atomic,
 * and readlink gives the slot name without opening anything. */
int bundle_link_atomic(int dirfd, const char *name, const char *target)
{
	char tmp[256];
	int err = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	unlinkat(dirfd, tmp, 0);
	if (symlinkat(target, dirfd, tmp) || renameat(dirfd, tmp, dirfd, name))
		err = -errno;
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err ? err : bundle_fsync_dir(dirfd);
}

int bundle_readlink(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(dirfd, name, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}
