/* The tools the engine starts are bounded in time: a tool that hangs (an
 * iptables waiting on the xtables lock, a wedged nft) is ended and the
 * install fails with -ETIMEDOUT, so a reload can never wedge the loop that
 * issues verdicts. ruleset.c is included to reach its static runner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "datapath/ruleset.c"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tool_ends),
		cmocka_unit_test(test_tool_hangs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
