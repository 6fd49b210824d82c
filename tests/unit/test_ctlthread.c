/* The control thread's one door into the verdict loop:
 *
 *   control thread (tick, SIGHUP) ── ctlthread_call(fn) ──▶ loop (this test's
 *                                                           main thread) runs fn
 *
 * fn runs on the loop's thread and only when the loop serves it; a call the
 * loop never serves fails with -ESHUTDOWN once the loop stops; SIGHUP is
 * read by the control thread.
 *
 *   loop ── work_fd (eventfd) ──▶ control thread runs work()
 *
 * and the thread never spins: an fd that is not open leaves its poll set,
 * and poll() failing backs off. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/ctlthread.h"

struct fx {
	struct ctlthread *ct;
	pthread_t ran_on;		/* where fn ran */
	atomic_int ran, calls, hups, ret, ready, work, nice;
	atomic_int started, release;	/* the start's work: ran, may end */
	bool hold_start;		/* start() returns with it still running */
	pthread_t started_on;
	int work_fd, ctl_fd;
};

static void record(void *arg)
{
	struct fx *f = arg;

	f->ran_on = pthread_self();
	f->ran++;
}

/* The control thread's tick: one call into the loop, the first time. */
static void tick(void *ctx)
{
	struct fx *f = ctx;

	if (f->calls++ == 0)
		f->ret = ctlthread_call(f->ct, record, f);
}

static void hup(void *ctx)
{
	struct fx *f = ctx;

	errno = 0;
	f->nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	f->hups++;
}

static void ready(void *ctx)
{
	struct fx *f = ctx;

	f->ready++;
}

static void work(void *ctx)
{
	struct fx *f = ctx;
	uint64_t n;

	if (read(f->work_fd, &n, sizeof(n)) == sizeof(n))
		f->work += (int)n;
}

/* The control thread's first work (the start's conntrack sweep): held
 * until the test releases it. */
static void first(void *ctx)
{
	struct fx *f = ctx;

	f->started_on = pthread_self();
	f->started++;
	while (!f->release)
		usleep(1000);
}

/* f->ctl_fd and f->work_fd: 0 means none (-1). */
static struct ctlthread *start(struct fx *f)
{
	struct ctlthread_cfg cfg = {
		.start = first,
		.ctl_fd = f->ctl_fd ?: -1, .ctl_ready = ready, .tick = tick, .hup = hup,
		.work_fd = f->work_fd ?: -1, .work = work, .ctx = f,
	};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	f->ret = 1;
	f->release = !f->hold_start;
	assert_int_equal(ctlthread_start(&cfg, &f->ct), 0);
	assert_non_null(f->ct);
	return f->ct;
}

/* Serves calls for up to ms, until cond holds. */
static void serve_until(struct fx *f, atomic_int *cond, int ms)
{
	for (int t = 0; t < ms && !*cond; t += 10) {
		struct pollfd p = { .fd = ctlthread_call_fd(f->ct), .events = POLLIN };

		if (poll(&p, 1, 10) > 0)
			ctlthread_serve(f->ct);
	}
}

static void test_call_runs_on_the_loop(void **state)
{
	struct fx f = { 0 };

	start(&f);
	serve_until(&f, &f.ran, 5000);
	while (f.ret == 1)	/* the caller has its answer a moment later */
		usleep(1000);
	assert_int_equal(f.ran, 1);
	assert_true(pthread_equal(f.ran_on, pthread_self()));
	assert_int_equal(f.ret, 0);
	/* on the loop's own thread a call runs at once */
	assert_int_equal(ctlthread_call(f.ct, record, &f), 0);
	assert_int_equal(f.ran, 2);
	ctlthread_stop(f.ct);
}

/* The start's work runs once, on the control thread, and the loop's
 * thread does not wait for it: start() has returned while it still runs,
 * and calls are served meanwhile. */
static void test_start_work_off_the_loop(void **state)
{
	struct fx f = { .hold_start = true };

	start(&f);
	for (int i = 0; i < 5000 && !f.started; i++)
		usleep(1000);
	assert_int_equal(f.started, 1);
	assert_int_equal(f.calls, 0);	/* the thread's own loop waits for it */
	f.release = 1;
	serve_until(&f, &f.ran, 5000);
	assert_int_equal(f.started, 1);
	assert_false(pthread_equal(f.started_on, pthread_self()));
	assert_int_equal(f.ran, 1);
	ctlthread_stop(f.ct);
}

static void test_unserved_call_fails_at_stop(void **state)
{
	struct fx f = { 0 };

	start(&f);
	while (f.calls == 0)	/* the tick has made its call; nobody serves it */
		usleep(10000);
	usleep(50000);
	ctlthread_stop(f.ct);	/* joins: the call must have returned */
	assert_int_equal(f.ret, -ESHUTDOWN);
	assert_int_equal(f.ran, 0);
}

static void test_sighup_is_the_control_threads(void **state)
{
	struct fx f = { 0 };

	start(&f);
	assert_int_equal(kill(getpid(), SIGHUP), 0);
	serve_until(&f, &f.hups, 5000);
	assert_int_equal(f.hups, 1);
	/* below the loop (this thread), whose CPU it must not take */
	assert_int_equal(f.nice, getpriority(PRIO_PROCESS, 0) + 10);
	ctlthread_stop(f.ct);
}

static void test_work_fd(void **state)
{
	struct fx f = { .work_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	uint64_t three = 3;

	assert_true(f.work_fd > 0);
	start(&f);
	assert_int_equal(write(f.work_fd, &three, sizeof(three)), sizeof(three));
	serve_until(&f, &f.work, 5000);
	assert_int_equal(f.work, 3);
	ctlthread_stop(f.ct);
	close(f.work_fd);
}

/* A closed fd is POLLNVAL at once, every time: it must not call its
 * callback in a loop. */
static void test_closed_fd_not_spun(void **state)
{
	struct fx f = { .ctl_fd = 999 };

	assert_true(fcntl(f.ctl_fd, F_GETFD) < 0);	/* not open */
	start(&f);
	usleep(200000);
	ctlthread_stop(f.ct);
	assert_int_equal(f.ready, 0);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* poll() failing (here EINVAL: more fds than RLIMIT_NOFILE) backs off:
 * the process stays about idle while this thread sleeps. */
static void test_poll_error_backs_off(void **state)
{
	struct fx f = { 0 };
	struct rlimit was, low = { .rlim_cur = 2 };
	uint64_t t0;

	start(&f);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	low.rlim_max = was.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	/* wakes it from the poll() it is in: the next one fails */
	assert_int_equal(kill(getpid(), SIGHUP), 0);
	t0 = cpu_ns();
	usleep(300000);
	t0 = cpu_ns() - t0;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
	ctlthread_stop(f.ct);
	assert_true(t0 < 100000000u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_runs_on_the_loop),
		cmocka_unit_test(test_start_work_off_the_loop),
		cmocka_unit_test(test_unserved_call_fails_at_stop),
		cmocka_unit_test(test_sighup_is_the_control_threads),
		cmocka_unit_test(test_work_fd),
		cmocka_unit_test(test_closed_fd_not_spun),
		cmocka_unit_test(test_poll_error_backs_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
