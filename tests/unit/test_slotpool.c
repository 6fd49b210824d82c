/* The slot pool under the flow table, the association slots, parked
 * segments and the DICOM pool:
 *
 *   init ──> take 1, 2, 3 (never used, in order)
 *            give 2, give 1 ──> take 1, take 2 (the last given back first)
 *            all taken ──> 0, nothing grows
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scanwall/slotpool.h"

struct item {
	uint64_t payload;
	uint32_t next;
};

static void fresh_slots_in_order_then_given_back_first(void **state)
{
	struct item items[3];
	struct slot_pool p;

	memset(items, 0xaa, sizeof(items));
	SLOT_POOL_INIT(&p, items, 3, next);
	assert_int_equal(slot_span(&p), 0);
	assert_int_equal(slot_take(&p), 1);
	assert_int_equal(slot_take(&p), 2);
	assert_int_equal(slot_span(&p), 2);
	/* slot 3 was never taken: nothing wrote to it */
	assert_int_equal(items[2].next, 0xaaaaaaaau);
	slot_give(&p, 2);
	slot_give(&p, 1);
	slot_give(&p, 0);		/* "none": ignored */
	assert_int_equal(p.used, 0);
	assert_int_equal(slot_take(&p), 1);
	assert_int_equal(slot_take(&p), 2);
	assert_int_equal(slot_take(&p), 3);
	assert_int_equal(slot_span(&p), 3);
	assert_int_equal(slot_take(&p), 0);	/* full */
	assert_int_equal(p.used, 3);
	/* the payload of a taken slot is the caller's: the pool left it */
	assert_int_equal(items[0].payload, 0xaaaaaaaaaaaaaaaaull);
}

/* Raw buffers of an odd size: the link sits unaligned in the first bytes
 * of a free one (UBSan would say so if it were read as a uint32_t). */
static void raw_buffers_of_odd_size(void **state)
{
	uint8_t mem[4 * 7];
	struct slot_pool p;

	slot_pool_init(&p, mem, 7, 0, 4);
	for (uint32_t i = 1; i <= 4; i++)
		assert_int_equal(slot_take(&p), i);
	slot_give(&p, 3);
	slot_give(&p, 2);
	assert_int_equal(slot_take(&p), 2);
	assert_int_equal(slot_take(&p), 3);
	assert_int_equal(slot_take(&p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_slots_in_order_then_given_back_first),
		cmocka_unit_test(raw_buffers_of_odd_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
