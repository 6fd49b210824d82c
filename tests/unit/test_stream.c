/* The stream rule: nothing passes that was not inspected in that place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "engine/stream.h"

#define seg(seq, data) segn(seq, data, sizeof(data) - 1)

static struct pkt segn(uint32_t seq, const char *data, size_t n)
{
	struct pkt p = { .seq = seq, .payload = (const uint8_t *)data, .plen = n,
			 .flags = TCP_ACK };

	return p;
}

static void in_order_then_gap(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "hello"), gap = seg(1010, "late"), b = seg(1006, "abcd");
	size_t skip;

	stream_syn(&s, 1000);
	assert_int_equal(stream_classify(&s, &a, &skip), STREAM_NEW);
	stream_advance(&s, &a, skip);
	assert_int_equal(stream_classify(&s, &gap, &skip), STREAM_DROP);
	assert_int_equal(stream_classify(&s, &b, &skip), STREAM_NEW);
	stream_advance(&s, &b, skip);
	assert_int_equal(stream_classify(&s, &gap, &skip), STREAM_NEW);
}

static void retransmission_same_or_other_bytes(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "\x04\x00\x00\x00\x00\x10"), same = a;
	struct pkt evil = seg(1001, "\x01\x00\x00\x00\x00\x10");
	struct pkt part = seg(1001, "\x04\x00\x00");
	size_t skip;

	stream_syn(&s, 1000);
	stream_classify(&s, &a, &skip);
	stream_advance(&s, &a, skip);
	assert_int_equal(stream_classify(&s, &same, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &evil, &skip), STREAM_EVIL);
	/* a differently cut retransmission cannot be verified: dropped */
	assert_int_equal(stream_classify(&s, &part, &skip), STREAM_DROP);
	/* once the receiver acknowledged it, it would discard it anyway */
	stream_ack(&s, 1007);
	assert_int_equal(stream_classify(&s, &evil, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &part, &skip), STREAM_OLD);
}

static void overlap_into_new_bytes(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "abcd"), over = seg(1003, "cdEF");
	size_t skip;

	stream_syn(&s, 1000);
	stream_classify(&s, &a, &skip);
	stream_advance(&s, &a, skip);
	assert_int_equal(stream_classify(&s, &over, &skip), STREAM_DROP);
	stream_ack(&s, 1005);
	assert_int_equal(stream_classify(&s, &over, &skip), STREAM_NEW);
	assert_int_equal(skip, 2);
}

static void sequence_wraps(void **state)
{
	struct stream s;
	struct pkt a = seg(0xfffffffe, "abcd"), b = seg(2, "ef");
	size_t skip;

	stream_syn(&s, 0xfffffffd);
	assert_int_equal(stream_classify(&s, &a, &skip), STREAM_NEW);
	stream_advance(&s, &a, skip);
	assert_int_equal(stream_classify(&s, &b, &skip), STREAM_NEW);
}

static void nothing_before_syn(void **state)
{
	struct stream s = { 0 };
	struct pkt a = seg(1, "x");
	size_t skip;

	assert_int_equal(stream_classify(&s, &a, &skip), STREAM_DROP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order_then_gap),
		cmocka_unit_test(retransmission_same_or_other_bytes),
		cmocka_unit_test(overlap_into_new_bytes),
		cmocka_unit_test(sequence_wraps),
		cmocka_unit_test(nothing_before_syn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
