/* The events file and its in-memory ring (see scanwall/evlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanwall/bucket.h"
#include "scanwall/evlog.h"


struct evlog_slot {
	uint64_t seq;
	size_t len;
};

struct evlog {
	struct evlog_cfg cfg;
	char *path, *path_old;		/* NULL: ring only */
	int fd;
	bool torn;			/* the file ends inside a line */
	struct sw_bucket bucket;		/* the rate limit */
	uint64_t pending_suppressed;	/* since the last event let through */
	uint64_t seq;
	struct evlog_slot *slots;
	char *lines;			/* ring * line_max bytes */
	struct evlog_counters n;
};

void evlog_cfg_default(struct evlog_cfg *cfg)
{
	*cfg = (struct evlog_cfg){
		.rate = 200,
		.burst = 1000,
		.max_bytes = 16u << 20,
		.ring = 1024,
		.line_max = 1024,
	};
}

static int evlog_open_fd(struct evlog *log)
{
	struct stat st;

	log->fd = open(log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (log->fd < 0)
		return -errno;
	log->n.file_bytes = fstat(log->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

static int evlog_set_paths(struct evlog *log, const char *path)
{
	if (!path)
		return 0;
	log->path = strdup(path);
	if (!log->path || asprintf(&log->path_old, "%s.1", path) < 0) {
		log->path_old = NULL;
		return -ENOMEM;
	}
	return evlog_open_fd(log);
}

struct evlog *evlog_open(const char *path, const struct evlog_cfg *cfg)
{
	struct evlog *log;
	int err;

	log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	log->fd = -1;
	if (cfg)
		log->cfg = *cfg;
	else
		evlog_cfg_default(&log->cfg);
	err = -EINVAL;
	if (log->cfg.ring < 1 || log->cfg.line_max < 64)
		goto out_free;
	err = -ENOMEM;
	log->slots = calloc(log->cfg.ring, sizeof(*log->slots));
	log->lines = calloc(log->cfg.ring, log->cfg.line_max);
	if (!log->slots || !log->lines)
		goto out_free;
	err = evlog_set_paths(log, path);
	if (err)
		goto out_free;
	sw_bucket_init(&log->bucket, log->cfg.rate, log->cfg.burst);
	return log;

out_free:
	evlog_close(log);
	errno = -err;
	return NULL;
}

void evlog_close(struct evlog *log)
{
	if (!log)
		return;
	if (log->fd >= 0)
		close(log->fd);
	free(log->path);
	free(log->path_old);
	free(log->slots);
	free(log->lines);
	free(log);
}

/* Keeps one rotated file: the oldest history goes, the file never grows
 * past the cap, and a reader of file.1 sees complete lines. */
static int evlog_rotate(struct evlog *log)
{
	close(log->fd);
	log->fd = -1;
	log->torn = false;	/* the new file starts with a whole line */
	if (rename(log->path, log->path_old) < 0 && errno != ENOENT)
		return -errno;
	log->n.rotations++;
	return evlog_open_fd(log);
}

/* Writes all of p, going on after a short write; counts what reached the
 * file. 0 or -errno. */
static int evlog_write_all(struct evlog *log, const char *p, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t w = write(log->fd, p + *done, len - *done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		*done += (size_t)w;
		log->n.file_bytes += (uint64_t)w;
	}
	return 0;
}

/* Every event is a line of its own: a write that fails half way (a full
 * disk) leaves a torn line, and the next write ends it with a newline
 * first rather than append an event to it. */
static int evlog_append_file(struct evlog *log, const char *line, size_t len)
{
	size_t done;
	int err;

	if (!log->path)
		return 0;
	if (log->cfg.max_bytes && log->n.file_bytes > 0 &&
	    log->n.file_bytes + len > log->cfg.max_bytes) {
		err = evlog_rotate(log);
		if (err)
			goto out_error;
	}
	if (log->fd < 0 && (err = evlog_open_fd(log)) < 0)
		goto out_error;
	if (log->torn) {
		err = evlog_write_all(log, "\n", 1, &done);
		if (err)
			goto out_error;
		log->torn = false;
	}
	err = evlog_write_all(log, line, len, &done);
	if (err) {
		log->torn = done > 0;
		goto out_error;
	}
	return 0;

out_error:
	log->n.write_errors++;
	return err;
}

/* Formats straight into the next ring slot: the ring is the only buffer. */
static int evlog_put(struct evlog *log, const struct sw_event *ev)
{
	uint64_t seq = log->seq + 1;
	struct evlog_slot *slot = &log->slots[seq % log->cfg.ring];
	char *line = log->lines + (seq % log->cfg.ring) * log->cfg.line_max;
	int len;

	len = ev_json(ev, line, log->cfg.line_max);
	if (len < 0) {
		log->n.too_long++;
		return len;
	}
	log->seq = seq;
	slot->seq = seq;
	slot->len = (size_t)len;
	log->n.written++;
	return evlog_append_file(log, line, (size_t)len);
}

static int evlog_put_suppressed(struct evlog *log, uint64_t ts_ns)
{
	char reason[48];
	struct sw_event ev = {
		.ts_ns = ts_ns,
		.kind = EV_SYSTEM,
		.reason = reason,
	};

	snprintf(reason, sizeof(reason), "suppressed %llu events",
		 (unsigned long long)log->pending_suppressed);
	log->pending_suppressed = 0;
	return evlog_put(log, &ev);
}

int evlog_write(struct evlog *log, const struct sw_event *ev, uint64_t now_ns)
{
	if (!sw_bucket_take(&log->bucket, now_ns)) {
		log->pending_suppressed++;
		log->n.suppressed++;
		return -EAGAIN;
	}
	/* The summary rides on the token of the event that follows it, so
	 * a sustained flood yields at most one extra line per let-through. */
	if (log->pending_suppressed)
		evlog_put_suppressed(log, ev->ts_ns);
	return evlog_put(log, ev);
}

int evlog_since(const struct evlog *log, uint64_t seq, evlog_cb cb, void *ctx)
{
	uint64_t first = log->seq >= log->cfg.ring ? log->seq - log->cfg.ring + 1 : 1;
	uint64_t s;
	int ret;

	if (seq >= log->seq)
		return 0;
	if (seq + 1 > first)
		first = seq + 1;
	for (s = first; s <= log->seq; s++) {
		const struct evlog_slot *slot = &log->slots[s % log->cfg.ring];

		ret = cb(ctx, s, log->lines + (s % log->cfg.ring) * log->cfg.line_max,
			 slot->len);
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t evlog_last_seq(const struct evlog *log)
{
	return log->seq;
}

const struct evlog_counters *evlog_counters(const struct evlog *log)
{
	return &log->n;
}
