/* The stream rule: nothing passes that was not inspected in that place.
 *
 *   seq  1001        1007                  1019
 *        |PDU hdr 6B |  data set bytes ... |
 *        structural    not parsed
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "engine/stream.h"

#define seg(seq, data) segn(seq, data, sizeof(data) - 1)

static struct pkt segn(uint32_t seq, const char *data, size_t n)
{
	struct pkt p = { .seq = seq, .payload = (const uint8_t *)data, .plen = n,
			 .flags = TCP_ACK };

	return p;
}

/* Inspect p whole, its first `structural` bytes parsed, the rest data. */
static void inspect(struct stream *s, const struct pkt *p, size_t structural)
{
	size_t skip;

	assert_int_equal(stream_classify(s, p, &skip), STREAM_NEW);
	stream_advance(s, p, skip, 0, structural);
}

static void in_order_then_gap(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "hello"), gap = seg(1010, "late"), b = seg(1006, "abcd");
	size_t skip;

	stream_syn(&s, 1000);
	inspect(&s, &a, 5);
	assert_int_equal(stream_classify(&s, &gap, &skip), STREAM_DROP);
	inspect(&s, &b, 4);
	assert_int_equal(stream_classify(&s, &gap, &skip), STREAM_NEW);
}

static void structural_bytes_must_come_back_the_same(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "\x04\x00\x00\x00\x00\x10" "DATADATADATA");
	struct pkt same = a;
	struct pkt evil = seg(1001, "\x01\x00\x00\x00\x00\x10" "DATADATADATA");
	struct pkt part = seg(1004, "\x00\x00\x10" "DATA");	/* half a header */
	size_t skip;

	stream_syn(&s, 1000);
	inspect(&s, &a, 6);
	assert_int_equal(stream_classify(&s, &same, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &evil, &skip), STREAM_EVIL);
	assert_int_equal(stream_classify(&s, &part, &skip), STREAM_DROP);
	/* once the receiver acknowledged it, it would discard it anyway */
	stream_ack(&s, 1019);
	assert_int_equal(stream_classify(&s, &evil, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &part, &skip), STREAM_OLD);
}

static void data_bytes_may_come_back_cut_otherwise(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "\x04\x00\x00\x00\x00\x10" "DATADATADATA");
	struct pkt data = seg(1009, "xxxx");	/* other contents, data only */
	struct pkt hdr_and_data = seg(1001, "\x04\x00\x00\x00\x00\x10" "DAT");
	size_t skip;

	stream_syn(&s, 1000);
	inspect(&s, &a, 6);
	assert_int_equal(stream_classify(&s, &data, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &hdr_and_data, &skip), STREAM_OLD);
}

static void nothing_older_than_the_ring(void **state)
{
	struct stream s;
	struct pkt first = seg(1001, "ab"), p;
	char buf[STREAM_RING][2];
	size_t skip;
	unsigned i;

	stream_syn(&s, 1000);
	inspect(&s, &first, 0);
	for (i = 0; i < STREAM_RING; i++) {
		memcpy(buf[i], "cd", 2);
		p = segn(1003 + 2 * i, buf[i], 2);
		inspect(&s, &p, 2);	/* each a header of its own */
	}
	/* the first segment fell out of the ring: it cannot be verified */
	assert_int_equal(stream_classify(&s, &first, &skip), STREAM_DROP);
}

/*   |hdr| data | data | data | ... 40 segments ... |
 *    one ring entry spans the whole data run, so a data segment far back
 *    may still come again (the receiver discarded it: a full buffer, PAWS) */
static void data_runs_share_one_ring_entry(void **state)
{
	struct stream s;
	struct pkt hdr = seg(1001, "HDRHDR"), p, early;
	size_t skip;
	unsigned i;

	stream_syn(&s, 1000);
	inspect(&s, &hdr, 6);
	for (i = 0; i < 4 * STREAM_RING; i++) {
		p = seg(1007 + 4 * i, "data");
		inspect(&s, &p, 0);
	}
	assert_int_equal(s.ring_used, 1);
	early = seg(1011, "data");
	assert_int_equal(stream_classify(&s, &early, &skip), STREAM_OLD);
	/* and the header is still verified: changed, it is caught */
	hdr = seg(1001, "HDRXXX");
	assert_int_equal(stream_classify(&s, &hdr, &skip), STREAM_EVIL);
}

static void overlap_into_new_bytes(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "abcd"), over = seg(1003, "cdEF"), changed = seg(1003, "XdEF");
	size_t skip;

	stream_syn(&s, 1000);
	inspect(&s, &a, 4);
	assert_int_equal(stream_classify(&s, &over, &skip), STREAM_DROP);	/* "cd" half of 4 */
	assert_int_equal(stream_classify(&s, &changed, &skip), STREAM_DROP);
	stream_ack(&s, 1005);
	assert_int_equal(stream_classify(&s, &over, &skip), STREAM_NEW);
	assert_int_equal(skip, 2);
}

/* Data passed ahead of a gap is remembered, then skipped when reached:
 *   next=1001 [gap 1001..1005) [ahead 1005..1009) [ahead 1009..1013)
 */
static void ranges_passed_ahead(void **state)
{
	struct stream s;
	struct pkt gap = seg(1001, "abcd"), a1 = seg(1005, "efgh"), a2 = seg(1009, "ijkl");
	struct pkt copy = seg(1006, "fg");
	unsigned i;

	stream_syn(&s, 1000);
	assert_int_equal(stream_ahead_add(&s, &a2), 0);
	assert_int_equal(stream_ahead_add(&s, &a1), 0);
	assert_int_equal(stream_ahead_add(&s, &copy), 0);	/* inside one: no new range */
	assert_int_equal(s.nahead, 2);
	assert_int_equal(stream_ahead_take(&s), 0);		/* not reached yet */
	inspect(&s, &gap, 4);
	assert_int_equal(stream_ahead_take(&s), 4);		/* 1005..1009 */
	assert_int_equal(s.next, 1009);
	assert_int_equal(stream_ahead_take(&s), 4);		/* 1009..1013 */
	assert_int_equal(s.next, 1013);
	assert_int_equal(stream_ahead_take(&s), 0);
	for (i = 0; i < STREAM_AHEAD; i++) {			/* bounded */
		struct pkt p = segn(2000 + 10 * i, "xy", 2);

		assert_int_equal(stream_ahead_add(&s, &p), 0);
	}
	{
		struct pkt more = seg(3000, "zz");

		assert_int_equal(stream_ahead_add(&s, &more), -ENOSPC);	/* then dropped */
	}
}

static void sequence_wraps(void **state)
{
	struct stream s;
	struct pkt a = seg(0xfffffffe, "abcd"), b = seg(2, "ef"), again = a;
	size_t skip;

	stream_syn(&s, 0xfffffffd);
	inspect(&s, &a, 4);
	inspect(&s, &b, 2);
	assert_int_equal(stream_classify(&s, &again, &skip), STREAM_OLD);
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
		cmocka_unit_test(structural_bytes_must_come_back_the_same),
		cmocka_unit_test(data_bytes_may_come_back_cut_otherwise),
		cmocka_unit_test(nothing_older_than_the_ring),
		cmocka_unit_test(data_runs_share_one_ring_entry),
		cmocka_unit_test(overlap_into_new_bytes),
		cmocka_unit_test(ranges_passed_ahead),
		cmocka_unit_test(sequence_wraps),
		cmocka_unit_test(nothing_before_syn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
