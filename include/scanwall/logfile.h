/* An append-only log file of whole lines, capped by one rotation: the
 * events file (evlog.c) and scanwall-mgmtd's log (src/mgmt/log.c).
 *
 * Before a line would take the file past its cap, FILE becomes FILE.1 (the
 * one before is lost) and a new FILE starts; where the rename is refused
 * (a daemon that dropped root may not rename in the log's directory), FILE
 * is emptied instead: the cap holds either way. A write cut short goes on
 * until the line is whole; one that fails half way (a full disk) leaves a
 * torn line, which the next line ends with a newline first rather than be
 * appended to it. One thread writes; the counters may be read from others. */
#ifndef SCANWALL_LOGFILE_H
#define SCANWALL_LOGFILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_logfile {
	char *path, *path_old;		/* NULL: no file */
	int fd;				/* -1: to be opened at the next line */
	bool torn;			/* the file ends inside a line */
	_Atomic uint64_t write_errors, rotations, bytes;	/* bytes: of the current file */
};

/* Opens (creates, mode 0640) path for appending; path NULL: no file, every
 * append does nothing. 0 or -errno (the paths are kept: a file that cannot
 * be opened now is tried again at the next line). */
int sw_logfile_open(struct sw_logfile *f, const char *path);
void sw_logfile_close(struct sw_logfile *f);
/* Appends line (len bytes, ending in '\n'), rotating first when it would
 * take the file past max_bytes (0: never). 0 or -errno (counted). */
int sw_logfile_append(struct sw_logfile *f, uint64_t max_bytes, const char *line, size_t len);

#endif
