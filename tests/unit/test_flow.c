#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/flow.h"
#include "engine/pkt.h"

static struct flow_key key(uint8_t host, uint16_t sport)
{
	struct flow_key k = { .af = SW_AF_INET, .proto = 6, .sport = sport, .dport = 104 };

	k.src[0] = 10, k.src[3] = host;
	k.dst[0] = 10, k.dst[3] = 200;
	return k;
}

static void insert_then_find_both_directions(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow_key k = key(1, 40000), r;
	struct flow *f;
	int reply;

	f = flow_insert(t, &k);
	assert_non_null(f);
	assert_ptr_equal(flow_lookup(t, &k, &reply), f);
	assert_int_equal(reply, 0);
	pkt_key_reverse(&k, &r);
	assert_ptr_equal(flow_lookup(t, &r, &reply), f);
	assert_int_equal(reply, 1);
	k.sport++;
	assert_null(flow_lookup(t, &k, &reply));
	flow_table_free(t);
}

/* Both directions share a chain; a reversed key matches only when every
 * field does, ends swapped. */
static void reverse_match_needs_every_field(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow_key k = key(1, 40000), r;
	struct flow *f = flow_insert(t, &k), *g;
	int reply;

	assert_non_null(f);
	pkt_key_reverse(&k, &r);
	r.proto = 17;					/* UDP: another flow */
	assert_null(flow_lookup(t, &r, &reply));
	g = flow_insert(t, &r);
	assert_non_null(g);
	assert_ptr_equal(flow_lookup(t, &r, &reply), g);
	assert_int_equal(reply, 0);
	r.proto = 6;
	r.sport = 105;					/* not the port k went to */
	assert_null(flow_lookup(t, &r, &reply));
	r.sport = 104;
	r.dst[3] = 2;					/* nor the host that sent k */
	assert_null(flow_lookup(t, &r, &reply));
	r.dst[3] = 1;
	assert_ptr_equal(flow_lookup(t, &r, &reply), f);
	assert_int_equal(reply, 1);
	flow_table_free(t);
}

static void full_table_refuses_and_recovers(void **state)
{
	struct flow_table *t = flow_table_new(8);
	struct flow *first = NULL, *f;
	struct flow_key k;
	int i, reply;

	for (i = 0; i < 8; i++) {
		k = key((uint8_t)i, 1);
		f = flow_insert(t, &k);
		assert_non_null(f);
		f->state = FLOW_OPEN;
		first = first ? first : f;
	}
	k = key(99, 1);
	assert_null(flow_insert(t, &k));
	assert_int_equal(flow_count(t), 8);
	flow_remove(t, first);
	assert_non_null(flow_insert(t, &k));
	k = key(0, 1);
	assert_null(flow_lookup(t, &k, &reply));	/* the removed one is gone */
	for (i = 1; i < 8; i++) {			/* the others are all still found */
		k = key((uint8_t)i, 1);
		assert_non_null(flow_lookup(t, &k, &reply));
	}
	flow_table_free(t);
}

static void many_flows_one_chain_each_removal(void **state)
{
	struct flow_table *t = flow_table_new(4096);
	struct flow *fs[4096];
	struct flow_key k;
	int i, reply;

	for (i = 0; i < 4096; i++) {
		k = key((uint8_t)i, (uint16_t)(i >> 8));
		fs[i] = flow_insert(t, &k);
		assert_non_null(fs[i]);
	}
	for (i = 0; i < 4096; i += 2)
		flow_remove(t, fs[i]);
	for (i = 0; i < 4096; i++) {
		k = key((uint8_t)i, (uint16_t)(i >> 8));
		if (i % 2)
			assert_ptr_equal(flow_lookup(t, &k, &reply), fs[i]);
		else
			assert_null(flow_lookup(t, &k, &reply));
	}
	assert_int_equal(flow_count(t), 2048);
	flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(insert_then_find_both_directions),
		cmocka_unit_test(reverse_match_needs_every_field),
		cmocka_unit_test(full_table_refuses_and_recovers),
		cmocka_unit_test(many_flows_one_chain_each_removal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
