/* The tools the engine starts are bounded in time: a tool that hangs (an
 * iptables waiting on the xtables lock, a wedged nft) is ended and the
 * install fails with -ETIMEDOUT, and all the tools of one operation share
 * SW_TOOLS_OP_S, so a reload can never wedge the control thread for longer
 * than its clients wait (deadlines.h). They are started through one
 * function (rs_spawn, posix_spawn), with their stdin, stdout, an empty
 * signal mask and every signal at its default. ruleset.c is included to
 * reach its static runner, with pidfd_open() in the test's hand. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <cmocka.h>

#define pidfd_open test_pidfd_open
#include "datapath/ruleset.c"
#undef pidfd_open

static int pidfd_fails;	/* errno pidfd_open() fails with; 0: the real one */

int test_pidfd_open(pid_t pid, unsigned int flags)
{
	if (pidfd_fails) {
		errno = pidfd_fails;
		return -1;
	}
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_tool_ends(void **state)
{
	static const char *const ok[] = { "true", NULL };
	static const char *const no[] = { "false", NULL };
	static const char *const cat[] = { "cat", NULL };

	assert_int_equal(rs_run(ok, NULL, RS_QUIET), 0);
	assert_int_equal(rs_run(no, NULL, RS_QUIET), -EIO);
	assert_int_equal(rs_run(cat, "fed on stdin\n", RS_QUIET), 0);
	assert_int_equal(rs_run((const char *const[]){ "no-such-tool-here", NULL }, NULL, 0),
			 -ENOENT);
}

/* A tool that neither reads its stdin nor writes its stdout holds the
 * runner no longer than its time: the feed and the read wait within it. */
static void test_tool_stalls_pipe(void **state)
{
	static const char *const hang[] = { "sleep", "30", NULL };
	static char text[256 << 10];
	char buf[64];
	double t0 = now_s();

	memset(text, 'x', sizeof(text) - 1);
	rs_tool_timeout_s = 1;
	assert_int_equal(rs_run(hang, text, RS_QUIET), -ETIMEDOUT);
	assert_int_equal(rs_capture(hang, buf, sizeof(buf)), -ETIMEDOUT);
	assert_true(now_s() - t0 < 20);
	rs_tool_timeout_s = 10;
}

/* The capability probe's scratch namespace: the tool sees only lo; the
 * runner's thread stays where it was. */
static void test_tool_scratch_netns(void **state)
{
	static const char *const only_lo[] = {
		"sh", "-c", "test \"$(grep -c : /proc/self/net/dev)\" = 1", NULL
	};
	struct stat before, after;

	if (geteuid() != 0)
		skip();
	assert_int_equal(stat("/proc/thread-self/ns/net", &before), 0);
	assert_int_equal(rs_run(only_lo, NULL, RS_QUIET | RS_SCRATCH_NETNS), 0);
	assert_int_equal(stat("/proc/thread-self/ns/net", &after), 0);
	assert_true(before.st_ino == after.st_ino);
}

/* A tool found but not executable is reported as such, not as "no such
 * tool" (each directory's "." is a directory: EACCES). */
static void test_tool_exec_error_kept(void **state)
{
	assert_int_equal(rs_run((const char *const[]){ ".", NULL }, NULL, RS_QUIET), -EACCES);
}

/* What a tool that overruns its time started dies with it: the tool is
 * the leader of a process group of its own, and the group is ended. */
static void test_tool_group_ended(void **state)
{
	char path[] = "/tmp/sw-rstool-XXXXXX", buf[32] = "";
	const char *const spawner[] = {
		"sh", "-c", "sleep 30 & echo $! >\"$0\"; wait", path, NULL
	};
	pid_t child;
	int fd = mkstemp(path), gone = 0;

	assert_true(fd >= 0);
	rs_tool_timeout_s = 1;
	assert_int_equal(rs_run(spawner, NULL, RS_QUIET), -ETIMEDOUT);
	rs_tool_timeout_s = 10;
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	unlink(path);
	child = (pid_t)atoi(buf);
	assert_true(child > 0);
	/* SIGKILL is sent; its end (and its reaping by init) follows */
	for (int i = 0; i < 500 && !gone; i++) {
		char st[64], line[256] = "";
		FILE *f;

		snprintf(st, sizeof(st), "/proc/%d/stat", (int)child);
		f = fopen(st, "r");
		gone = !f || !fgets(line, sizeof(line), f) || strstr(line, ") Z ");
		if (f)
			fclose(f);
		if (!gone)
			usleep(10000);
	}
	if (!gone)
		kill(child, SIGKILL);
	assert_true(gone);
}

/* Without a pidfd the runner still waits within the tool's time. */
static void test_tool_no_pidfd(void **state)
{
	static const char *const ok[] = { "true", NULL };
	static const char *const no[] = { "false", NULL };
	static const char *const hang[] = { "sleep", "30", NULL };
	double t0;

	pidfd_fails = ENOSYS;
	assert_int_equal(rs_run(ok, NULL, RS_QUIET), 0);
	assert_int_equal(rs_run(no, NULL, RS_QUIET), -EIO);
	t0 = now_s();
	rs_tool_timeout_s = 1;
	assert_int_equal(rs_run(hang, NULL, RS_QUIET), -ETIMEDOUT);
	assert_true(now_s() - t0 < 20);
}

static int pidfd_restore(void **state)
{
	pidfd_fails = 0;
	rs_tool_timeout_s = 10;
	return 0;
}

static void test_tool_hangs(void **state)
{
	static const char *const hang[] = { "sleep", "30", NULL };
	double t0 = now_s();

	rs_tool_timeout_s = 1;
	assert_int_equal(rs_run(hang, NULL, RS_QUIET), -ETIMEDOUT);
	/* a generous bound: ended, not waited out */
	assert_true(now_s() - t0 < 20);
	rs_tool_timeout_s = 10;
}

static void test_tool_output_and_mask(void **state)
{
	static const char *const echo[] = { "echo", "hi", NULL };
	static const char *const status[] = { "cat", "/proc/self/status", NULL };
	char buf[4096];
	sigset_t set, was;
	const char *ign;

	assert_int_equal(rs_capture(echo, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "hi\n");
	/* the engine blocks signals for its signalfds and ignores SIGPIPE;
	 * the tool must inherit neither */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, &was), 0);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(rs_capture(status, buf, sizeof(buf)), 0);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &was, NULL);
	assert_non_null(strstr(buf, "SigBlk:\t0000000000000000\n"));
	/* signals 1 to 31 (glibc's posix_spawn leaves its own two, 32 and
	 * 33, ignored) */
	assert_non_null(ign = strstr(buf, "SigIgn:\t"));
	assert_int_equal(strtoull(ign + 8, NULL, 16) & 0x7fffffffu, 0);
}

/* One operation's tools share its time: the first hangs and is ended when
 * the operation's time is up; the next is not even started. */
static void test_operation_deadline(void **state)
{
	static const char *const hang[] = { "sleep", "30", NULL };
	static const char *const ok[] = { "true", NULL };
	double t0 = now_s();

	rs_op_begin();
	rs_op_end_ns = rs_now_ns() + 1000000000u;
	assert_int_equal(rs_run(hang, NULL, RS_QUIET), -ETIMEDOUT);
	assert_true(now_s() - t0 < 20);
	while (rs_now_ns() < rs_op_end_ns)
		usleep(10000);
	assert_int_equal(rs_run(ok, NULL, RS_QUIET), -ETIMEDOUT);
	rs_op_begin();
	assert_int_equal(rs_run(ok, NULL, RS_QUIET), 0);
	rs_op_end_ns = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tool_ends),
		cmocka_unit_test(test_tool_hangs),
		cmocka_unit_test(test_tool_exec_error_kept),
		cmocka_unit_test(test_tool_group_ended),
		cmocka_unit_test_teardown(test_tool_no_pidfd, pidfd_restore),
		cmocka_unit_test(test_tool_stalls_pipe),
		cmocka_unit_test(test_tool_scratch_netns),
		cmocka_unit_test(test_tool_output_and_mask),
		cmocka_unit_test(test_operation_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
