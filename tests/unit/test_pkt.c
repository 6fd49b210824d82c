#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/pkt.h"
#include "pktgen.h"

static void tcp_v4_fields(void **state)
{
	uint8_t b[256];
	struct tpkt t = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 40000, 104, 1000, 7, 0x18,
			  "DICM", 4 };
	size_t n = tpkt_build(b, &t);
	struct pkt p;

	assert_int_equal(pkt_parse(b, n, &p), 0);
	assert_int_equal(p.key.af, SW_AF_INET);
	assert_int_equal(p.key.proto, IPPROTO_TCP);
	assert_int_equal(p.key.sport, 40000);
	assert_int_equal(p.key.dport, 104);
	assert_int_equal(p.seq, 1000);
	assert_int_equal(p.ack, 7);
	assert_int_equal(p.flags, 0x18);
	assert_int_equal(p.plen, 4);
	assert_memory_equal(p.payload, "DICM", 4);
	assert_memory_equal(p.key.src, "\x0a\x00\x00\x01\x00\x00", 6);
}

/* A SYN's options: timestamps, then the window scale after them (the walk
 * goes on past the timestamp), a shift above 14 read as 14 (RFC 7323). */
static void tcp_options(void **state)
{
	uint8_t b[256];
	struct tpkt t = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 40000, 104, 1000, 0, 0x02 };
	struct pkt p;

	assert_int_equal(pkt_parse(b, tpkt_build(b, &t), &p), 0);
	assert_int_equal(p.has_ts, 0);
	assert_int_equal(p.wscale, PKT_WSCALE_NONE);
	t.has_ts = 1, t.tsval = 77, t.has_ws = 1, t.ws = 7;
	assert_int_equal(pkt_parse(b, tpkt_build(b, &t), &p), 0);
	assert_int_equal(p.has_ts, 1);
	assert_int_equal(p.tsval, 77);
	assert_int_equal(p.wscale, 7);
	t.ws = 20;
	assert_int_equal(pkt_parse(b, tpkt_build(b, &t), &p), 0);
	assert_int_equal(p.wscale, 14);
}

static void ethernet_padding_is_not_payload(void **state)
{
	uint8_t b[256];
	struct tpkt t = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2, 0, 0, 0x10 };
	size_t n = tpkt_build(b, &t);
	struct pkt p;

	memset(b + n, 0xee, 6);
	assert_int_equal(pkt_parse(b, n + 6, &p), 0);
	assert_int_equal(p.plen, 0);
}

static void udp_and_icmp_v6(void **state)
{
	uint8_t b[256];
	struct tpkt u = { "fd00::1", "fd00::2", IPPROTO_UDP, 5000, 123, .data = "x", .dlen = 1 };
	struct tpkt i = { "fd00::1", "fd00::2", IPPROTO_ICMPV6, 77, .icmp_type = 128 };
	struct pkt p;

	assert_int_equal(pkt_parse(b, tpkt_build(b, &u), &p), 0);
	assert_int_equal(p.key.af, SW_AF_INET6);
	assert_int_equal(p.key.dport, 123);
	assert_int_equal(p.plen, 1);
	assert_int_equal(pkt_parse(b, tpkt_build(b, &i), &p), 0);
	assert_int_equal(p.echo, 1);
	assert_int_equal(p.key.sport, 77);
	assert_int_equal(p.key.dport, 77);
}

static void malformed_headers(void **state)
{
	uint8_t b[256];
	struct tpkt t = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2, 0, 0, 0x02 };
	size_t n = tpkt_build(b, &t);
	struct pkt p;
	size_t cut;

	for (cut = 0; cut < n; cut++)	/* every truncation fails cleanly */
		assert_int_equal(pkt_parse(b, cut, &p), -EBADMSG);
	b[20 + 12] = 4 << 4;		/* TCP data offset below 5 */
	assert_int_equal(pkt_parse(b, n, &p), -EBADMSG);
	b[20 + 12] = 15 << 4;		/* options past the end */
	assert_int_equal(pkt_parse(b, n, &p), -EBADMSG);
	b[0] = 0x55;			/* version 5 */
	assert_int_equal(pkt_parse(b, n, &p), -EBADMSG);
}

static void fragments_are_not_passed(void **state)
{
	uint8_t b[256];
	struct tpkt t = { "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2 };
	size_t n = tpkt_build(b, &t);
	struct pkt p;

	b[6] = 0x20;			/* more fragments */
	assert_int_equal(pkt_parse(b, n, &p), -EPROTONOSUPPORT);
}

static void reverse_key(void **state)
{
	uint8_t b[256];
	struct tpkt t = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2 };
	struct flow_key r, rr;
	struct pkt p;

	pkt_parse(b, tpkt_build(b, &t), &p);
	pkt_key_reverse(&p.key, &r);
	assert_int_equal(r.sport, 2);
	assert_memory_equal(r.src, p.key.dst, 16);
	pkt_key_reverse(&r, &rr);
	assert_memory_equal(&rr, &p.key, sizeof(rr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_v4_fields),
		cmocka_unit_test(tcp_options),
		cmocka_unit_test(ethernet_padding_is_not_payload),
		cmocka_unit_test(udp_and_icmp_v6),
		cmocka_unit_test(malformed_headers),
		cmocka_unit_test(fragments_are_not_passed),
		cmocka_unit_test(reverse_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
