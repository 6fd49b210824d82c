/* The events file: one ev_json() line per decision, appended.
 *
 * A flood of refused packets must not fill the disk or drown the events
 * that matter, so a token bucket limits the rate; what it holds back is
 * counted, and the next event it lets through is preceded by one EV_SYSTEM
 * event "suppressed N events". The file is rotated once (file -> file.1)
 * when it would pass its size cap (scanwall/logfile.h). The last lines are also kept in a
 * preallocated ring, numbered, so the control socket and the management
 * plane can serve "events since N" without reading the file back.
 * Nothing is allocated per event.
 *
 * One thread writes events (the engine's, the verdict loop in scanwalld).
 * With a hand-over queue (evlog_cfg.handover) that thread never touches
 * the file: each line goes into the queue, and another thread writes
 * what waits there (evlog_drain(), scanwalld's control thread), rotation
 * included. A full queue drops the line from the file only (counted, and
 * said in the file by a line of its own once there is room), never from
 * the ring. Without one, evlog_write() appends to the file itself. */
#ifndef SCANWALL_EVLOG_H
#define SCANWALL_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "scanwall/event.h"

struct evlog_cfg {
	unsigned rate;		/* events per second sustained; 0: no limit */
	unsigned burst;		/* events let through at once after a quiet time */
	uint64_t max_bytes;	/* rotate before the file passes this; 0: never */
	unsigned ring;		/* lines kept in memory (at least 1) */
	size_t line_max;	/* bytes per line, newline included */
	unsigned handover;	/* lines that may wait for evlog_drain(); 0: none */
};

struct evlog_counters {
	uint64_t written;	/* lines that reached the ring (and the file) */
	uint64_t suppressed;	/* held back by the rate limit, ever */
	uint64_t write_errors;	/* write(2) or rotation failures */
	uint64_t too_long;	/* events larger than line_max, dropped */
	uint64_t rotations;
	uint64_t file_bytes;	/* size of the current file */
	uint64_t file_dropped;	/* lines the hand-over queue had no room for */
};

struct evlog;

/* 200 events/s, burst 1000, 16 MiB, 1024 lines of 1 KiB, no hand-over. */
void evlog_cfg_default(struct evlog_cfg *cfg);

/* Opens (creates, mode 0640) path for appending. path may be NULL: then
 * events only go to the ring. cfg NULL means the defaults. NULL and errno
 * (EINVAL for a ring of 0 lines or lines under 64 bytes). */
struct evlog *evlog_open(const char *path, const struct evlog_cfg *cfg);
void evlog_close(struct evlog *log);

/* Formats and appends ev. now_ns is a monotonic clock for the rate limit
 * only (the event carries its own timestamp). Returns 0, -EAGAIN when the
 * rate limit suppressed it, -ENOSPC when it is longer than line_max, or
 * the -errno of a failed write (the line is still in the ring then). */
int evlog_write(struct evlog *log, const struct sw_event *ev, uint64_t now_ns);

/* Calls cb for every line still in the ring with a sequence number above
 * seq, oldest first, until cb returns non-zero (returned). line ends with
 * '\n' and is not NUL-terminated. Sequence numbers start at 1, so seq 0
 * means "everything kept". */
typedef int (*evlog_cb)(void *ctx, uint64_t seq, const char *line, size_t len);
int evlog_since(const struct evlog *log, uint64_t seq, evlog_cb cb, void *ctx);

/* The sequence number of the newest line, 0 when none yet. */
uint64_t evlog_last_seq(const struct evlog *log);
/* A copy: the file's counters move on the thread that drains. */
struct evlog_counters evlog_counters(const struct evlog *log);

/* The hand-over (cfg.handover): readable when lines wait for the file;
 * -1 without one. evlog_drain() writes them, on a thread of its own (one
 * at a time); evlog_close() writes what is left. */
int evlog_handover_fd(const struct evlog *log);
void evlog_drain(struct evlog *log);

#endif
