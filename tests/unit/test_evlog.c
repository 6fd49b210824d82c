/* evlog: rate limit with a fake clock, the suppressed-count event, the
 * ring and its sequence numbers, rotation, all against real files; and the
 * hand-over:
 *
 *   writer (the verdict loop) ── evlog_write ──▶ ring + queue ──▶ evlog_drain
 *                                                (the control thread) ──▶ file
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scanwall/evlog.h"
#include "tmpdir.h"

#define MS 1000000ull
#define S 1000000000ull

struct fixture {
	char dir[64];
	char path[96];
	char path_old[100];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(tmpdir_make(f->dir, sizeof(f->dir), "test_evlog"), 0);
	snprintf(f->path, sizeof(f->path), "%s/events.json", f->dir);
	snprintf(f->path_old, sizeof(f->path_old), "%s.1", f->path);
	*state = f;
	return 0;
}

static struct rlimit fsize_at_start;	/* a failed test must not leave its limit */

static int teardown(void **state)
{
	struct fixture *f = *state;

	setrlimit(RLIMIT_FSIZE, &fsize_at_start);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void ev_fill(struct sw_event *ev, const char *reason)
{
	static const uint8_t a[16] = { 10, 77, 1, 10 }, b[16] = { 10, 77, 1, 15 };

	*ev = (struct sw_event){
		.ts_ns = 1700000000ull * S,
		.kind = EV_BLOCK,
		.af = 4,
		.proto = 6,
		.sport = 40000,
		.dport = 3465,
		.src = a,
		.dst = b,
		.rule_line = 7,
		.reason = reason,
	};
}

/* Counts lines in a file and whether any contains needle. */
static unsigned file_lines(const char *path, const char *needle, unsigned *hits)
{
	char buf[2048];
	unsigned n = 0;
	FILE *fp = fopen(path, "r");

	*hits = 0;
	if (!fp)
		return 0;
	while (fgets(buf, sizeof(buf), fp)) {
		n++;
		if (needle && strstr(buf, needle))
			(*hits)++;
	}
	fclose(fp);
	return n;
}

static void test_writes_lines(void **state)
{
	struct fixture *f = *state;
	struct sw_event ev;
	struct evlog *log;
	unsigned hits;

	log = evlog_open(f->path, NULL);
	assert_non_null(log);
	ev_fill(&ev, "HP Client Automation");
	for (int i = 0; i < 5; i++)
		assert_int_equal(evlog_write(log, &ev, (uint64_t)i * MS), 0);
	evlog_close(log);
	assert_int_equal(file_lines(f->path, "\"reason\":\"HP Client Automation\"", &hits), 5);
	assert_int_equal(hits, 5);

	/* A second open appends, it does not truncate. */
	log = evlog_open(f->path, NULL);
	assert_non_null(log);
	assert_int_equal(evlog_write(log, &ev, 0), 0);
	evlog_close(log);
	assert_int_equal(file_lines(f->path, NULL, &hits), 6);
}

/* A write cut short by a full disk (here RLIMIT_FSIZE: a short write, then
 * EFBIG) leaves a torn line; the next event starts on a line of its own. */
static void test_torn_line_ended(void **state)
{
	struct fixture *f = *state;
	struct rlimit lim;
	struct sw_event ev;
	struct evlog *log;
	struct stat st;
	char buf[4096], *second;
	FILE *fp;
	size_t n;

	signal(SIGXFSZ, SIG_IGN);
	log = evlog_open(f->path, NULL);
	assert_non_null(log);
	ev_fill(&ev, "first");
	assert_int_equal(evlog_write(log, &ev, 0), 0);
	assert_int_equal(stat(f->path, &st), 0);
	lim = fsize_at_start;
	lim.rlim_cur = (rlim_t)st.st_size + 20;	/* 20 bytes of the next line */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ev_fill(&ev, "torn");
	assert_int_equal(evlog_write(log, &ev, 1 * MS), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &fsize_at_start), 0);
	ev_fill(&ev, "after");
	assert_int_equal(evlog_write(log, &ev, 2 * MS), 0);
	evlog_close(log);

	fp = fopen(f->path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	/* line 1 whole, line 2 the 20 torn bytes, line 3 the next event whole */
	second = strchr(buf, '\n') + 1;
	assert_int_equal(strchr(second, '\n') - second, 20);
	assert_memory_equal(strchr(second, '\n') + 1, "{\"ts\":", 6);
	assert_non_null(strstr(strchr(second, '\n') + 1, "\"reason\":\"after\"}\n"));
	assert_int_equal(buf[n - 1], '\n');
}

static void test_rate_limit_and_summary(void **state)
{
	struct fixture *f = *state;
	struct evlog_cfg cfg;
	struct sw_event ev;
	struct evlog *log;
	unsigned hits, passed = 0;
	uint64_t now = 5 * S;

	evlog_cfg_default(&cfg);
	cfg.rate = 10;
	cfg.burst = 20;
	log = evlog_open(f->path, &cfg);
	assert_non_null(log);
	ev_fill(&ev, "flood");

	/* 100 events at one instant: only the burst passes. */
	for (int i = 0; i < 100; i++)
		passed += evlog_write(log, &ev, now) == 0;
	assert_int_equal(passed, 20);
	assert_int_equal(evlog_counters(log).suppressed, 80);
	assert_int_equal(evlog_write(log, &ev, now + 50 * MS), -EAGAIN);

	/* 100 ms later one token is back: the summary, then the event. */
	assert_int_equal(evlog_write(log, &ev, now + 100 * MS), 0);
	assert_int_equal(file_lines(f->path, "\"reason\":\"suppressed 81 events\"", &hits), 22);
	assert_int_equal(hits, 1);
	assert_int_equal(file_lines(f->path, "\"event\":\"system\"", &hits), 22);
	assert_int_equal(hits, 1);

	/* No new suppression, no new summary. */
	assert_int_equal(evlog_write(log, &ev, now + 300 * MS), 0);
	assert_int_equal(file_lines(f->path, "suppressed", &hits), 23);
	assert_int_equal(hits, 1);
	assert_int_equal(evlog_counters(log).suppressed, 81);
	evlog_close(log);
}

static void test_bucket_caps_at_burst(void **state)
{
	struct fixture *f = *state;
	struct evlog_cfg cfg;
	struct sw_event ev;
	struct evlog *log;
	unsigned passed = 0;

	evlog_cfg_default(&cfg);
	cfg.rate = 100;
	cfg.burst = 5;
	log = evlog_open(f->path, &cfg);
	assert_non_null(log);
	ev_fill(&ev, "quiet");
	/* An hour of silence still allows only the burst at once. */
	for (int i = 0; i < 50; i++)
		passed += evlog_write(log, &ev, 3600 * S) == 0;
	assert_int_equal(passed, 5);
	/* A clock going backwards refills nothing. */
	assert_int_equal(evlog_write(log, &ev, 1 * S), -EAGAIN);
	evlog_close(log);
}

struct collect {
	uint64_t first, last;
	unsigned n;
	int bad;
};

static int collect_cb(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct collect *c = ctx;

	if (!c->n)
		c->first = seq;
	else if (seq != c->last + 1)
		c->bad = 1;
	if (len < 2 || line[0] != '{' || line[len - 1] != '\n')
		c->bad = 1;
	c->last = seq;
	c->n++;
	return 0;
}

static int stop_cb(void *ctx, uint64_t seq, const char *line, size_t len)
{
	(*(unsigned *)ctx)++;
	return 42;
}

static void test_ring_since(void **state)
{
	struct evlog_cfg cfg;
	struct sw_event ev;
	struct collect c = { 0 };
	struct evlog *log;
	unsigned calls = 0;

	evlog_cfg_default(&cfg);
	cfg.rate = 0;
	cfg.ring = 8;
	log = evlog_open(NULL, &cfg);
	assert_non_null(log);
	ev_fill(&ev, "ring");
	assert_int_equal(evlog_last_seq(log), 0);
	assert_int_equal(evlog_since(log, 0, collect_cb, &c), 0);
	assert_int_equal(c.n, 0);

	for (int i = 0; i < 20; i++)
		assert_int_equal(evlog_write(log, &ev, 0), 0);
	assert_int_equal(evlog_last_seq(log), 20);

	assert_int_equal(evlog_since(log, 0, collect_cb, &c), 0);
	assert_int_equal(c.n, 8);
	assert_int_equal(c.first, 13);
	assert_int_equal(c.last, 20);
	assert_false(c.bad);

	memset(&c, 0, sizeof(c));
	assert_int_equal(evlog_since(log, 17, collect_cb, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.first, 18);

	memset(&c, 0, sizeof(c));
	assert_int_equal(evlog_since(log, 20, collect_cb, &c), 0);
	assert_int_equal(evlog_since(log, UINT64_MAX, collect_cb, &c), 0);
	assert_int_equal(c.n, 0);

	assert_int_equal(evlog_since(log, 0, stop_cb, &calls), 42);
	assert_int_equal(calls, 1);
	evlog_close(log);
}

static void test_too_long(void **state)
{
	struct evlog_cfg cfg;
	struct sw_event ev;
	struct evlog *log;
	char reason[200];

	evlog_cfg_default(&cfg);
	cfg.line_max = 64;
	log = evlog_open(NULL, &cfg);
	assert_non_null(log);
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = 0;
	ev_fill(&ev, reason);
	assert_int_equal(evlog_write(log, &ev, 0), -ENOSPC);
	assert_int_equal(evlog_counters(log).too_long, 1);
	assert_int_equal(evlog_last_seq(log), 0);
	evlog_close(log);
}

static void test_rotation(void **state)
{
	struct fixture *f = *state;
	struct evlog_cfg cfg;
	struct sw_event ev;
	struct evlog *log;
	struct stat st;
	unsigned hits, cur, old;

	evlog_cfg_default(&cfg);
	cfg.rate = 0;
	cfg.max_bytes = 4096;
	log = evlog_open(f->path, &cfg);
	assert_non_null(log);
	ev_fill(&ev, "rotate me");
	for (int i = 0; i < 200; i++)
		assert_int_equal(evlog_write(log, &ev, 0), 0);
	assert_true(evlog_counters(log).rotations >= 1);
	evlog_close(log);

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size <= 4096);
	assert_int_equal(stat(f->path_old, &st), 0);
	assert_true(st.st_size <= 4096);
	cur = file_lines(f->path, "rotate me", &hits);
	assert_int_equal(cur, hits);
	old = file_lines(f->path_old, "rotate me", &hits);
	assert_int_equal(old, hits);
	assert_true(cur > 0 && old > 0);
}

static void test_bad_cfg(void **state)
{
	struct evlog_cfg cfg;

	evlog_cfg_default(&cfg);
	cfg.ring = 0;
	errno = 0;
	assert_null(evlog_open(NULL, &cfg));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(evlog_open("/nonexistent-dir/x/events.json", NULL));
	assert_int_equal(errno, ENOENT);
}

static struct evlog *open_handover(const char *path, unsigned lines)
{
	struct evlog_cfg cfg;

	evlog_cfg_default(&cfg);
	cfg.rate = 0;
	cfg.handover = lines;
	return evlog_open(path, &cfg);
}

/* With a hand-over the writer never touches the file: lines wait for
 * evlog_drain(); a full queue drops them from the file only, and the file
 * says how many once there is room. */
static void test_handover(void **state)
{
	struct fixture *f = *state;
	struct evlog *log = open_handover(f->path, 4);
	struct pollfd p;
	struct sw_event ev;
	unsigned hits;

	assert_non_null(log);
	p = (struct pollfd){ .fd = evlog_handover_fd(log), .events = POLLIN };
	assert_true(p.fd >= 0);
	assert_int_equal(poll(&p, 1, 0), 0);
	ev_fill(&ev, "queued");
	for (int i = 0; i < 6; i++)
		assert_int_equal(evlog_write(log, &ev, 0), i < 4 ? 0 : -ENOBUFS);
	assert_int_equal(file_lines(f->path, NULL, &hits), 0);
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(evlog_last_seq(log), 6);	/* the ring has all six */
	assert_int_equal(evlog_counters(log).file_dropped, 2);
	evlog_drain(log);
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(file_lines(f->path, "queued", &hits), 4);
	assert_int_equal(hits, 4);
	assert_int_equal(evlog_write(log, &ev, 0), 0);
	evlog_close(log);	/* writes what waits */
	assert_int_equal(file_lines(f->path, "queued", &hits), 6);
	assert_int_equal(hits, 5);
	assert_int_equal(file_lines(f->path, "2 events not written to this file", &hits), 6);
	assert_int_equal(hits, 1);
}

struct drainer {
	struct evlog *log;
	atomic_int done;
};

static void *drain_main(void *arg)
{
	struct drainer *d = arg;
	struct pollfd p = { .fd = evlog_handover_fd(d->log), .events = POLLIN };

	while (!d->done) {
		if (poll(&p, 1, 10) > 0)
			evlog_drain(d->log);
	}
	return NULL;
}

/* Two threads, as in scanwalld (and under `make tsan-test`'s sanitizer):
 * every line the queue took reaches the file, whole and in order. */
static void test_handover_threads(void **state)
{
	struct fixture *f = *state;
	struct drainer d = { .log = open_handover(f->path, 64) };
	char reason[32], buf[2048];
	struct sw_event ev;
	pthread_t tid;
	unsigned lines = 0, summaries = 0, last = 0, n;
	FILE *fp;

	assert_non_null(d.log);
	assert_int_equal(pthread_create(&tid, NULL, drain_main, &d), 0);
	for (unsigned i = 1; i <= 5000; i++) {
		snprintf(reason, sizeof(reason), "n %u", i);
		ev_fill(&ev, reason);
		evlog_write(d.log, &ev, 0);
		if (i % 500 == 0)
			usleep(1000);
	}
	d.done = 1;
	pthread_join(tid, NULL);
	n = 5000 - (unsigned)evlog_counters(d.log).file_dropped;
	evlog_close(d.log);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	while (fgets(buf, sizeof(buf), fp)) {
		const char *r = strstr(buf, "\"reason\":\"n ");
		unsigned v;

		assert_true(strchr(buf, '\n') != NULL);
		if (!r) {
			summaries += strstr(buf, "not written to this file") != NULL;
			continue;
		}
		assert_int_equal(sscanf(r, "\"reason\":\"n %u", &v), 1);
		assert_true(v > last);
		last = v;
		lines++;
	}
	fclose(fp);
	assert_int_equal(lines, n);
	assert_true(n == 5000 || summaries > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writes_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_line_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_and_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_caps_at_burst, setup, teardown),
		cmocka_unit_test(test_ring_since),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test(test_bad_cfg),
		cmocka_unit_test_setup_teardown(test_handover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handover_threads, setup, teardown),
	};

	getrlimit(RLIMIT_FSIZE, &fsize_at_start);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
