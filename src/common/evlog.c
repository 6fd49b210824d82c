/* The events file and its in-memory ring (see scanwall/evlog.h). */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/linequeue.h"
#include "scanwall/bucket.h"
#include "scanwall/evlog.h"
#include "scanwall/logfile.h"

struct evlog_slot {
	uint64_t seq;
	size_t len;
};

struct evlog {
	struct evlog_cfg cfg;
	struct sw_logfile f;		/* the thread that drains owns it (the
					 * writer, without a hand-over) */
	struct lq q;			/* the hand-over; q.n 0: none */
	uint64_t q_dropped;		/* since the last line the queue took */
	struct sw_bucket bucket;		/* the rate limit */
	uint64_t pending_suppressed;	/* since the last event let through */
	uint64_t seq;
	struct evlog_slot *slots;
	char *lines;			/* ring * line_max bytes */
	struct evlog_counters n;	/* the writer's; the file's are in f */
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

struct evlog *evlog_open(const char *path, const struct evlog_cfg *cfg)
{
	struct evlog *log;
	int err;

	log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	log->f.fd = -1;
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
	err = sw_logfile_open(&log->f, path);
	if (!err && path && log->cfg.handover)
		err = lq_init(&log->q, log->cfg.handover, log->cfg.line_max);
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
	evlog_drain(log);
	lq_fini(&log->q);
	sw_logfile_close(&log->f);
	free(log->slots);
	free(log->lines);
	free(log);
}

static void evlog_drain_line(void *ctx, const char *line, size_t len)
{
	struct evlog *log = ctx;

	sw_logfile_append(&log->f, log->cfg.max_bytes, line, len);
}

void evlog_drain(struct evlog *log)
{
	if (log->q.n)
		lq_drain(&log->q, evlog_drain_line, log);
}

int evlog_handover_fd(const struct evlog *log)
{
	return log->q.n ? lq_fd(&log->q) : -1;
}

/* What the queue had no room for is said in the file, once there is room
 * for that line and the one that follows it. */
static void evlog_queue_dropped(struct evlog *log, uint64_t ts_ns)
{
	char reason[80], line[256];
	struct sw_event ev = { .ts_ns = ts_ns, .kind = EV_SYSTEM, .reason = reason };
	int len;

	snprintf(reason, sizeof(reason), "%llu events not written to this file (its writer "
		 "was busy)", (unsigned long long)log->q_dropped);
	len = ev_json(&ev, line, sizeof(line));
	if (len > 0 && lq_push(&log->q, line, (size_t)len) == 0)
		log->q_dropped = 0;
}

/* To the file now, or to the queue for the thread that drains. */
static int evlog_hand(struct evlog *log, const char *line, size_t len, uint64_t ts_ns)
{
	if (!log->q.n)
		return sw_logfile_append(&log->f, log->cfg.max_bytes, line, len);
	if (log->q_dropped && lq_space(&log->q) >= 2)
		evlog_queue_dropped(log, ts_ns);
	if (!log->q_dropped && lq_push(&log->q, line, len) == 0)
		return 0;
	log->q_dropped++;
	log->n.file_dropped++;
	return -ENOBUFS;
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
	return evlog_hand(log, line, (size_t)len, ev->ts_ns);
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

struct evlog_counters evlog_counters(const struct evlog *log)
{
	struct evlog_counters n = log->n;

	n.write_errors = atomic_load_explicit(&log->f.write_errors, memory_order_relaxed);
	n.rotations = atomic_load_explicit(&log->f.rotations, memory_order_relaxed);
	n.file_bytes = atomic_load_explicit(&log->f.bytes, memory_order_relaxed);
	return n;
}
