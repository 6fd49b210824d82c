/* Small whole files, read with a cap and replaced so that a power cut
 * leaves the old or the new content under the name, never a mix: the one
 * implementation the bundle store, the console and mgmtd share. */
#ifndef SCANWALL_FILEIO_H
#define SCANWALL_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* link() the temporary rather than rename() it: a name that exists, or
 * appears meanwhile, is never replaced (-EEXIST). */
#define SW_FILE_NOREPLACE 0x1

/* Writes len bytes as path (relative to dirfd, or AT_FDCWD): to a
 * temporary beside it (PATH.tmp; PATH.new with SW_FILE_NOREPLACE, whose
 * leftovers mgmtd's suite looks for), fchmod'ed to mode whatever the
 * umask, fsync'ed, renamed or linked into place, and the directory
 * fsync'ed so the name is on disk before we report success. A leftover
 * temporary from a crash is removed first: one writer per file. */
int sw_write_atomic(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
		    unsigned flags);

/* fsyncs the directory that holds path (relative to dirfd): after an
 * unlink or rename, so that the change survives a power cut. */
int sw_sync_dir(int dirfd, const char *path);

/* Reads path whole into a malloc'd buffer with a NUL after the last byte
 * (text parses in place; *len does not count it). -EFBIG past max bytes,
 * noticed by reading, not by trusting st_size (a FIFO has none). */
int sw_read_file(const char *path, size_t max, char **buf, size_t *len);
/* The same from an open fd, for a caller that checks what it opened. */
int sw_read_fd(int fd, size_t max, char **buf, size_t *len);

#endif
