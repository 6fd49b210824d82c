/* The console's own events: logins, failures, lockouts, commits. The
 * control socket has no command that writes an event, so they go to
 * STATE/console/events.json, one ev_json() line each (EV_SYSTEM), the
 * same format as the engine's events file, so one reader serves both.
 * Appends are one write(2) of a whole line to an O_APPEND file: a line is
 * never interleaved with another console's, and a failed write loses that
 * event, never the session. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "scanwall/event.h"
#include "console/cons.h"

void cons_event(const struct cons_store *s, const char *fmt, ...)
{
	char reason[200], line[512], path[600];
	struct sw_event ev = { .kind = EV_SYSTEM, .reason = reason };
	struct timespec ts;
	va_list ap;
	int n, fd;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	ev.ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	n = ev_json(&ev, line, sizeof(line));
	if (n < 0 || cons_store_path(s, "events.json", path, sizeof(path)))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) != n)
		fprintf(stderr, "scanwall: events log: short write\n");
	fsync(fd);
	close(fd);
}
