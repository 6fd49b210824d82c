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

static struct stream_keep keep;

static void syn(struct stream *s, uint32_t isn)
{
	stream_init(s, &keep);
	stream_syn(s, isn);
}

/* Inspect p whole, the n ranges r structural, the rest data. */
static void inspect_r(struct stream *s, const struct pkt *p, const struct dcm_range *r, unsigned n)
{
	size_t skip;

	assert_int_equal(stream_classify(s, p, &skip), STREAM_NEW);
	stream_advance(s, p, skip, r, n);
}

/* Inspect p whole, its first `structural` bytes parsed, the rest data. */
static void inspect(struct stream *s, const struct pkt *p, size_t structural)
{
	struct dcm_range r = { 0, (uint32_t)structural };

	inspect_r(s, p, &r, structural ? 1 : 0);
}

static void in_order_then_gap(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "hello"), gap = seg(1010, "late"), b = seg(1006, "abcd");
	size_t skip;

	syn(&s, 1000);
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
	struct pkt part_evil = seg(1004, "\x00\x00\x11" "DATA");
	size_t skip;

	syn(&s, 1000);
	inspect(&s, &a, 6);
	assert_int_equal(stream_classify(&s, &same, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &evil, &skip), STREAM_EVIL);
	assert_int_equal(stream_classify(&s, &part, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &part_evil, &skip), STREAM_EVIL);
	/* once the receiver acknowledged it, it would discard it anyway */
	stream_ack(&s, 1019);
	assert_int_equal(stream_classify(&s, &evil, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &part_evil, &skip), STREAM_OLD);
}

static void data_bytes_may_come_back_cut_otherwise(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "\x04\x00\x00\x00\x00\x10" "DATADATADATA");
	struct pkt data = seg(1009, "xxxx");	/* other contents, data only */
	struct pkt hdr_and_data = seg(1001, "\x04\x00\x00\x00\x00\x10" "DAT");
	size_t skip;

	syn(&s, 1000);
	inspect(&s, &a, 6);
	assert_int_equal(stream_classify(&s, &data, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &hdr_and_data, &skip), STREAM_OLD);
}

/* One large segment held three PDV headers; the sender retransmits part of
 * it, cut anywhere (a smaller MSS, a partial ACK, TSO):
 *
 *   1001 |PDU+PDV 12|data 8|PDV 6|data 10|PDU+PDV 12|data 12| 1061
 *
 * every cut [from, to) passes; with one structural byte changed, every cut
 * that carries it ends the flow and no other does; a changed data byte
 * never matters. */
#define RECUT_LEN 60
static const struct dcm_range recut_hdrs[] = { { 0, 12 }, { 20, 26 }, { 36, 48 } };

static void recut_each(const struct stream *s, const char *orig, unsigned changed,
		       enum stream_class carrying)
{
	char copy[RECUT_LEN];
	size_t skip;

	memcpy(copy, orig, RECUT_LEN);
	copy[changed] ^= 0x5a;
	for (unsigned from = 0; from < RECUT_LEN; from++)
		for (unsigned to = from + 1; to <= RECUT_LEN; to++) {
			struct pkt p = segn(1001 + from, copy + from, to - from);
			enum stream_class want =
				from <= changed && changed < to ? carrying : STREAM_OLD;

			assert_int_equal(stream_classify(s, &p, &skip), want);
		}
}

static void retransmission_recut_anywhere(void **state)
{
	struct stream s;
	char orig[RECUT_LEN];
	struct pkt a = segn(1001, orig, RECUT_LEN);

	for (unsigned i = 0; i < RECUT_LEN; i++)
		orig[i] = (char)(i * 7 + 1);
	syn(&s, 1000);
	inspect_r(&s, &a, recut_hdrs, 3);
	recut_each(&s, orig, 0, STREAM_EVIL);		/* first header byte */
	recut_each(&s, orig, 11, STREAM_EVIL);		/* last of the first headers */
	recut_each(&s, orig, 23, STREAM_EVIL);		/* inside the middle PDV header */
	recut_each(&s, orig, 47, STREAM_EVIL);
	recut_each(&s, orig, 15, STREAM_OLD);		/* a data byte */
	recut_each(&s, orig, 59, STREAM_OLD);
}

/* Partly old, partly new: the old part is verified, the rest inspected. */
static void overlap_into_new_bytes(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "hdrsDATA");
	struct pkt over = seg(1003, "rsDATAnew"), changed = seg(1003, "XsDATAnew");
	struct pkt data_changed = seg(1006, "XYZnew");
	size_t skip;

	syn(&s, 1000);
	inspect(&s, &a, 4);
	assert_int_equal(stream_classify(&s, &over, &skip), STREAM_NEW);
	assert_int_equal(skip, 6);
	assert_int_equal(stream_classify(&s, &changed, &skip), STREAM_EVIL);
	assert_int_equal(stream_classify(&s, &data_changed, &skip), STREAM_NEW);
	assert_int_equal(skip, 3);
	stream_ack(&s, 1005);
	assert_int_equal(stream_classify(&s, &changed, &skip), STREAM_NEW);
}

/*   1001 |hdr 12| data ... |hdr 12| data ... | ... more than the keep holds
 * unacknowledged: the oldest headers fall out, and a copy reaching back to
 * them cannot be verified (STREAM_LOST). Acknowledged ones go first. */
static void keep_is_bounded(void **state)
{
	struct stream s;
	struct pkt first = seg(1001, "HDRHDRHDRHDRdata"), p, early = first;
	unsigned i, n = STREAM_KEEP / 12 + 2;
	size_t skip;

	syn(&s, 1000);
	for (i = 0; i < n; i++) {
		p = seg(1001 + 16 * i, "HDRHDRHDRHDRdata");
		inspect(&s, &p, 12);
	}
	assert_int_equal(stream_classify(&s, &early, &skip), STREAM_LOST);
	p = seg(1001 + 16 * (n - 1), "HDRHDRHDRHDRdata");	/* the newest is kept */
	assert_int_equal(stream_classify(&s, &p, &skip), STREAM_OLD);
	stream_ack(&s, 1017);			/* the receiver has the first */
	assert_int_equal(stream_classify(&s, &early, &skip), STREAM_OLD);
	early = seg(1017, "HDRHDRHDRHDRdata");
	assert_int_equal(stream_classify(&s, &early, &skip), STREAM_LOST);

	/* acknowledged as they go: nothing unacknowledged is ever lost */
	syn(&s, 1000);
	for (i = 0; i < 3 * n; i++) {
		p = seg(1001 + 16 * i, "HDRHDRHDRHDRdata");
		inspect(&s, &p, 12);
		if (i >= 2)
			stream_ack(&s, 1001 + 16 * (i - 2));
	}
	p = seg(1001 + 16 * (3 * n - 3), "HDRHDRHDRHDRdata");
	assert_int_equal(stream_classify(&s, &p, &skip), STREAM_OLD);
	p = seg(1001 + 16 * (3 * n - 3), "HDRHDRHDRHDRdatX");
	assert_int_equal(stream_classify(&s, &p, &skip), STREAM_OLD);
	p = seg(1001 + 16 * (3 * n - 3), "XDRHDRHDRHDRdata");
	assert_int_equal(stream_classify(&s, &p, &skip), STREAM_EVIL);
}

/* The keep's byte count runs modulo 2^32 and places bytes modulo
 * STREAM_KEEP (a power of two: stream.h asserts it), so bytes kept just
 * before the count wraps and just after it do not overwrite each other:
 *
 *   count  2^32 - K/2 ........ 2^32 | 0 ...... K/4
 *          |first: K/2 header bytes | second: K/4 |
 */
static void keep_across_its_count_wrap(void **state)
{
	static char first[STREAM_KEEP / 2], second[STREAM_KEEP / 4];
	struct stream s;
	struct pkt a = segn(1001, first, sizeof(first));
	struct pkt b = segn(1001 + sizeof(first), second, sizeof(second));
	size_t skip;

	memset(first, 'F', sizeof(first));
	memset(second, 'S', sizeof(second));
	syn(&s, 1000);
	s.total = 0u - (uint32_t)sizeof(first);
	inspect(&s, &a, sizeof(first));
	inspect(&s, &b, sizeof(second));
	assert_int_equal(stream_classify(&s, &a, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &b, &skip), STREAM_OLD);
}

/* An association PDU longer than the keep: its tail is kept. */
static void range_longer_than_the_keep(void **state)
{
	static char big[STREAM_KEEP + 100];
	struct stream s;
	struct pkt a = segn(1001, big, sizeof(big)), head = segn(1001, big, 10);
	struct pkt tail = segn(1001 + 200, big + 200, sizeof(big) - 200);
	size_t skip;

	memset(big, 'R', sizeof(big));
	syn(&s, 1000);
	inspect(&s, &a, sizeof(big));
	assert_int_equal(stream_classify(&s, &head, &skip), STREAM_LOST);
	assert_int_equal(stream_classify(&s, &tail, &skip), STREAM_OLD);
	big[sizeof(big) - 1] = 'X';
	assert_int_equal(stream_classify(&s, &tail, &skip), STREAM_EVIL);
}

/* Nobody acknowledges bytes that never passed: such an ACK would let a
 * changed copy through. A newer real one restarts the count of dropped
 * unverifiable copies. */
static void ack_beyond_next_ignored(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "HDR!"), evil = seg(1001, "XDR!");
	size_t skip;

	syn(&s, 1000);
	inspect(&s, &a, 4);
	stream_ack(&s, 5000);
	assert_int_equal(stream_classify(&s, &evil, &skip), STREAM_EVIL);
	s.lost = 3;
	stream_ack(&s, 1003);
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.acked, 1003);
}

/* Unverifiable copies end a flow only as a stuck sender sends them: eight
 * or more over ten seconds with no progress. A burst (a stranger who
 * guessed the tuple and an old sequence number) does not; new bytes from
 * the sender or a new ACK from the receiver start the count again. */
static void lost_copies_need_time_without_progress(void **state)
{
	struct stream s;
	struct pkt a = seg(1001, "HDR!"), b = seg(1005, "HDR?");
	unsigned i;

	syn(&s, 1000);
	for (i = 0; i < 100; i++)
		assert_int_equal(stream_lost(&s, 50), 0);		/* a burst */
	assert_int_equal(stream_lost(&s, 59), 0);
	inspect(&s, &a, 4);					/* new bytes */
	for (i = 0; i < 7; i++)
		assert_int_equal(stream_lost(&s, 60 + 2 * i), 0);	/* 60 .. 72 */
	stream_ack(&s, 1003);					/* a new ACK */
	for (i = 0; i < 7; i++)
		assert_int_equal(stream_lost(&s, 80 + i), 0);
	assert_int_equal(stream_lost(&s, 89), 0);		/* 8, over 9 s */
	assert_int_equal(stream_lost(&s, 90), 1);		/* 9, over 10 s */
	inspect(&s, &b, 4);
	assert_int_equal(stream_lost(&s, 200), 0);
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

	syn(&s, 1000);
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
	struct pkt evil = seg(0xffffffff, "bcdE");
	size_t skip;

	syn(&s, 0xfffffffd);
	inspect(&s, &a, 4);
	inspect(&s, &b, 2);
	assert_int_equal(stream_classify(&s, &again, &skip), STREAM_OLD);
	assert_int_equal(stream_classify(&s, &evil, &skip), STREAM_EVIL);
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
		cmocka_unit_test(retransmission_recut_anywhere),
		cmocka_unit_test(overlap_into_new_bytes),
		cmocka_unit_test(keep_is_bounded),
		cmocka_unit_test(range_longer_than_the_keep),
		cmocka_unit_test(ack_beyond_next_ignored),
		cmocka_unit_test(lost_copies_need_time_without_progress),
		cmocka_unit_test(ranges_passed_ahead),
		cmocka_unit_test(sequence_wraps),
		cmocka_unit_test(keep_across_its_count_wrap),
		cmocka_unit_test(nothing_before_syn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
