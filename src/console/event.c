/* The console's own events: logins, failures, lockouts, commits. Each goes
 * to the engine's event log through the control socket (`event TEXT`), so
 * the management plane and syslog see it, and to
 * STATE/console/events.json, one ev_json() line each (EV_SYSTEM), which
 * keeps them when the engine is down.
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
#include "scanwall/ctlclient.h"

static const char *event_control;

void cons_event_forward(const char *control)
{
	event_control = control;
}

static void cons_event_send(const char *reason)
{
	char cmd[256];
	FILE *sink;

	if (!event_control || (size_t)snprintf(cmd, sizeof(cmd), "event %s", reason) >= sizeof(cmd))
		return;
	sink = fopen("/dev/null", "w");
	if (sink) {
		ctl_request(event_control, cmd, sink);
		fclose(sink);
	}
}

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
	cons_event_send(reason);
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
