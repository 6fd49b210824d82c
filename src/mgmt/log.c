/* scanwall-mgmtd's own log: one line per connection, refusal and event.
 *
 * A stranger must not be able to write it without limit: the lines go
 * through the token bucket the engine's events file uses (at most
 * MGMT_LOG_RATE a second, MGMT_LOG_BURST at once); what it holds back is
 * counted and the next line let through is preceded by "suppressed N
 * lines". With --log FILE the file is also capped: past --log-max bytes
 * it becomes FILE.1 (the one before is lost) and a new FILE is started,
 * or, where mgmtd's user cannot rename there, FILE is emptied. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanwall/bootclock.h"
#include "scanwall/bucket.h"
#include "mgmt/mgmt.h"

#define MGMT_LOG_RATE 20
#define MGMT_LOG_BURST 200

static struct {
	struct sw_bucket bucket;
	bool ready;
	uint64_t suppressed, pending;
	const char *path;		/* NULL: stderr only */
	char *path_old;
	uint64_t max, bytes;
	int fd;
} mlog = { .fd = -1 };

/* Opens path afresh; the file open until now stays in use if it cannot. */
static int mgmt_log_reopen(void)
{
	struct stat st;
	int fd = open(mlog.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	if (mlog.fd >= 0)
		close(mlog.fd);
	mlog.fd = fd;
	mlog.bytes = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

int mgmt_log_open(const char *path, uint64_t max)
{
	mlog.path = path;
	mlog.max = max;
	if (asprintf(&mlog.path_old, "%s.1", path) < 0) {
		mlog.path_old = NULL;
		return -ENOMEM;
	}
	return mgmt_log_reopen();
}

static void mgmt_log_write(const char *line, size_t len)
{
	if (mlog.fd < 0) {
		fwrite(line, 1, len, stderr);
		return;
	}
	/* Past the cap: FILE becomes FILE.1. After dropping root mgmtd may
	 * have no right to rename in the log's directory: then the file is
	 * started again, the cap holding either way. Once renamed, the open
	 * descriptor is FILE.1's: if FILE cannot be opened anew the line goes
	 * to stderr, never truncating what was just kept. */
	if (mlog.max && mlog.bytes && mlog.bytes + len > mlog.max) {
		if (rename(mlog.path, mlog.path_old) == 0 || errno == ENOENT) {
			if (mgmt_log_reopen() < 0) {
				fwrite(line, 1, len, stderr);
				return;
			}
		} else if (ftruncate(mlog.fd, 0) == 0) {
			mlog.bytes = 0;
		}
	}
	if (write(mlog.fd, line, len) > 0)
		mlog.bytes += len;
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
