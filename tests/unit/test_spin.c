/* The busy-poll spin's budget (src/datapath/spin.h):
 *
 *   window of 100 ms ── spins of 200 µs charged whole ──▶ at most 50 ms
 *   ── the 251st is refused ──▶ the loop sleeps ── next window ──▶ again
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "datapath/spin.h"

#define US 1000ull
#define MS 1000000ull

/* 5,000 allowed SYNs a second, each asking for a 200 µs spin: half of
 * every window at most, and the rest are refused */
static void test_half_a_window(void **state)
{
	struct spin_budget b = { 0 };
	uint64_t now = 0, spun = 0;
	unsigned i, granted = 0;

	(void)state;
	for (i = 0; i < 5000; i++, now += 200 * US)
		if (spin_charge(&b, now, 200 * US)) {
			granted++;
			spun += 200 * US;
		}
	/* one second: ten windows of 250 spins */
	assert_int_equal(granted, 2500);
	assert_true(spun <= 1000 * MS / SPIN_SHARE);
}

/* an idle box spins whenever an answer is due */
static void test_sparse_spins_all_granted(void **state)
{
	struct spin_budget b = { 0 };
	uint64_t now = 0;
	unsigned i;

	(void)state;
	for (i = 0; i < 100; i++, now += 10 * MS)
		assert_true(spin_charge(&b, now, 200 * US));
}

/* a spin longer than the budget never starts */
static void test_too_long_never(void **state)
{
	struct spin_budget b = { 0 };

	(void)state;
	assert_false(spin_charge(&b, 1, SPIN_WINDOW_NS / SPIN_SHARE + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_half_a_window),
		cmocka_unit_test(test_sparse_spins_all_granted),
		cmocka_unit_test(test_too_long_never),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
