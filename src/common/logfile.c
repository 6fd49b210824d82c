/* A capped log file of whole lines (see scanwall/logfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanwall/logfile.h"

static void logfile_count(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static int logfile_open_fd(struct sw_logfile *f)
{
	struct stat st;

	f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (f->fd < 0)
		return -errno;
	atomic_store_explicit(&f->bytes, fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0,
			      memory_order_relaxed);
	return 0;
}

int sw_logfile_open(struct sw_logfile *f, const char *path)
{
	*f = (struct sw_logfile){ .fd = -1 };
	if (!path)
		return 0;
	f->path = strdup(path);
	if (!f->path || asprintf(&f->path_old, "%s.1", path) < 0) {
		f->path_old = NULL;
		return -ENOMEM;
	}
	return logfile_open_fd(f);
}

void sw_logfile_close(struct sw_logfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->path_old);
	*f = (struct sw_logfile){ .fd = -1 };
}

/* Keeps one rotated file: the oldest history goes, the file grows past
 * the cap only by a lone line longer than it (written to an empty file),
 * and a reader of FILE.1 sees complete lines. Once renamed,
 * the open descriptor is FILE.1's: it is closed, never truncated. */
static int logfile_rotate(struct sw_logfile *f)
{
	f->torn = false;	/* the next line starts a file, or an emptied one */
	if (rename(f->path, f->path_old) < 0 && errno != ENOENT) {
		if (f->fd < 0 || ftruncate(f->fd, 0) < 0)
			return -errno;
		atomic_store_explicit(&f->bytes, 0, memory_order_relaxed);
		logfile_count(&f->rotations, 1);
		return 0;
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	/* FILE is gone: if it cannot be opened anew, the next line opens it
	 * rather than rotate (and count a rotation) again. */
	atomic_store_explicit(&f->bytes, 0, memory_order_relaxed);
	logfile_count(&f->rotations, 1);
	return logfile_open_fd(f);
}

/* Writes all of p, going on after a short write; counts what reached the
 * file. 0 or -errno. */
static int logfile_write_all(struct sw_logfile *f, const char *p, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t w = write(f->fd, p + *done, len - *done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		*done += (size_t)w;
		logfile_count(&f->bytes, (uint64_t)w);
	}
	return 0;
}

int sw_logfile_append(struct sw_logfile *f, uint64_t max_bytes, const char *line, size_t len)
{
	uint64_t bytes = atomic_load_explicit(&f->bytes, memory_order_relaxed);
	size_t done;
	int err;

	if (!f->path)
		return 0;
	if (max_bytes && bytes > 0 && bytes + len > max_bytes) {
		err = logfile_rotate(f);
		if (err)
			goto out_error;
	}
	if (f->fd < 0 && (err = logfile_open_fd(f)) < 0)
		goto out_error;
	if (f->torn) {
		err = logfile_write_all(f, "\n", 1, &done);
		if (err)
			goto out_error;
		f->torn = false;
	}
	err = logfile_write_all(f, line, len, &done);
	if (err) {
		f->torn = done > 0;
		goto out_error;
	}
	return 0;

out_error:
	logfile_count(&f->write_errors, 1);
	return err;
}
