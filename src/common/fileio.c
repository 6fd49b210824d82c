/* Small whole files (see scanwall/fileio.h). The order is what makes a
 * replacement survive a power cut: the data reaches the disk (fsync of
 * the temporary) before the name points at it (rename or link), and the
 * name before we report success (fsync of the directory). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanwall/fileio.h"

int sw_sync_dir(int dirfd, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd, err = 0;

	if (!slash && dirfd != AT_FDCWD)
		return fsync(dirfd) ? -errno : 0;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int sw_write_atomic(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
		    unsigned flags)
{
	bool link_it = flags & SW_FILE_NOREPLACE;
	char tmp[PATH_MAX];
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s", path, link_it ? ".new" : ".tmp") >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	/* A leftover from a crash: nobody else writes this file. */
	if (unlinkat(dirfd, tmp, 0) && errno != ENOENT)
		return -errno;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	err = fchmod(fd, mode) ? -errno : 0;	/* whatever the umask */
	if (!err)
		err = write_all(fd, data, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && (link_it ? linkat(dirfd, tmp, dirfd, path, 0)
			     : renameat(dirfd, tmp, dirfd, path)))
		err = -errno;
	/* after a link the temporary is a second name: it goes too */
	if (err || link_it)
		unlinkat(dirfd, tmp, 0);
	return err ? err : sw_sync_dir(dirfd, path);
}

int sw_read_fd(int fd, size_t max, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *p = malloc(cap), *q;
	ssize_t r;
	int err = 0;

	if (!p)
		return -ENOMEM;
	/* One byte is always kept for the NUL; reading one past max is how
	 * an oversized file shows. */
	while ((r = read(fd, p + n, cap - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto out_free;
		}
		n += (size_t)r;
		if (n > max) {
			err = -EFBIG;
			goto out_free;
		}
		if (n == cap - 1) {
			q = realloc(p, cap * 2);
			if (!q) {
				err = -ENOMEM;
				goto out_free;
			}
			p = q;
			cap *= 2;
		}
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
out_free:
	free(p);
	return err;
}

int sw_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = sw_read_fd(fd, max, buf, len);
	close(fd);
	return err;
}
