/* The store's durable names. A power cut must leave either the old or the
 * new target under a name, never none: whole files are written by
 * sw_write_atomic() (scanwall/fileio.h); here are the symlinks that point
 * at them, and the directory fsync that makes a rename itself durable. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "bundle/internal.h"

int bundle_fsync_dir(int dirfd)
{
	return fsync(dirfd) ? -errno : 0;
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
