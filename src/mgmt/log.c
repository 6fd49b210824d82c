/* scanwall-mgmtd's own log: one line per connection, refusal and event.
 *
 * A stranger must not be able to write it without limit: the lines go
 * through the token bucket the engine's events file uses (at most
 * MGMT_LOG_RATE a second, MGMT_LOG_BURST at once); what it holds back is
 * counted and the next line let through is preceded by "suppressed N
 * lines". With --log FILE the file is capped as the events file is
 * (scanwall/logfile.h: FILE.1, or FILE emptied where mgmtd's user cannot
 * rename there; whole lines). */
#include <stdarg.h>
#include <stdio.h>

#include "scanwall/bootclock.h"
#include "scanwall/bucket.h"
#include "scanwall/logfile.h"
#include "mgmt/mgmt.h"

#define MGMT_LOG_RATE 20
#define MGMT_LOG_BURST 200

static struct {
	struct sw_bucket bucket;
	bool ready;
	uint64_t suppressed, pending;
	struct sw_logfile file;		/* no path: stderr only */
	uint64_t max;
} mlog = { .file = { .fd = -1 } };

int mgmt_log_open(const char *path, uint64_t max)
{
	sw_logfile_close(&mlog.file);
	mlog.max = max;
	return sw_logfile_open(&mlog.file, path);
}

/* A line the file cannot take (FILE could not be opened anew after its
 * rotation, a full disk) goes to stderr rather than be lost. */
static void mgmt_log_write(const char *line, size_t len)
{
	if (!mlog.file.path || sw_logfile_append(&mlog.file, mlog.max, line, len) < 0)
		fwrite(line, 1, len, stderr);
}

static void mgmt_log_line(const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "scanwall-mgmtd: ");

	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	mgmt_log_write(line, (size_t)n);
}

static void mgmt_log_fmt(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mgmt_log_line(fmt, ap);
	va_end(ap);
}

void mgmt_log(const char *fmt, ...)
{
	va_list ap;

	if (!mlog.ready) {
		sw_bucket_init(&mlog.bucket, MGMT_LOG_RATE, MGMT_LOG_BURST);
		mlog.ready = true;
	}
	if (!sw_bucket_take(&mlog.bucket, sw_clock_ns(CLOCK_MONOTONIC))) {
		mlog.suppressed++;
		mlog.pending++;
		return;
	}
	/* The summary takes a token of its own: under a flood the log grows
	 * by the bucket's rate, summaries included. */
	if (mlog.pending) {
		mgmt_log_fmt("suppressed %llu lines (log rate limit)",
			     (unsigned long long)mlog.pending);
		mlog.pending = 0;
		if (!sw_bucket_take(&mlog.bucket, sw_clock_ns(CLOCK_MONOTONIC))) {
			mlog.suppressed++;
			mlog.pending++;
			return;
		}
	}
	va_start(ap, fmt);
	mgmt_log_line(fmt, ap);
	va_end(ap);
}

uint64_t mgmt_log_suppressed(void)
{
	return mlog.suppressed;
}
