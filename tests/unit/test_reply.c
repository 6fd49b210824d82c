/* Crafted answers must be packets a real stack accepts: parse them back
 * and verify their checksums the way a receiver does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>

#include "engine/reply.h"
#include "pktgen.h"

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A receiver's check: the one's complement sum over pseudo-header and
 * segment is all ones. */
static void assert_l4_ok(const uint8_t *b, size_t n)
{
	int v6 = b[0] >> 4 == 6;
	size_t ip = v6 ? 40 : 20, al = v6 ? 16 : 4;
	uint8_t proto = v6 ? b[6] : b[9];
	uint32_t s = 0;

	if (!v6)
		assert_int_equal(fold(sum16(b, 20, 0)), 0xffff);
	if (proto != IPPROTO_ICMP) {
		s = sum16(b + (v6 ? 8 : 12), 2 * al, 0);
		s += proto + (uint32_t)(n - ip);
	}
	assert_int_equal(fold(sum16(b + ip, n - ip, s)), 0xffff);
}

static void reset_answers_a_syn(void **state)
{
	uint8_t in[256], out[REPLY_MAX];
	struct tpkt t = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 40000, 80, 5000, 0, TCP_SYN };
	struct pkt p, r;
	int n;

	pkt_parse(in, tpkt_build(in, &t), &p);
	n = reply_tcp_reset(out, sizeof(out), &p);
	assert_true(n > 0);
	assert_int_equal(pkt_parse(out, (size_t)n, &r), 0);
	assert_int_equal(r.key.sport, 80);
	assert_int_equal(r.key.dport, 40000);
	assert_memory_equal(r.key.src, p.key.dst, 16);
	assert_int_equal(r.flags, TCP_RST | TCP_ACK);
	assert_int_equal(r.ack, 5001);
	assert_l4_ok(out, (size_t)n);
}

static void rj_segment_v6(void **state)
{
	uint8_t out[REPLY_MAX];
	const uint8_t rj[10] = { 3, 0, 0, 0, 0, 4, 0, 1, 1, 3 };
	struct flow_key k = { .af = SW_AF_INET6, .proto = 6, .sport = 104, .dport = 40000 };
	struct reply_tcp r = { .key = &k, .seq = 77, .ack = 99, .flags = TCP_ACK | TCP_PSH,
			       .data = rj, .dlen = 10 };
	struct pkt p;
	int n;

	k.src[0] = 0xfd, k.src[15] = 2;
	k.dst[0] = 0xfd, k.dst[15] = 1;
	n = reply_tcp(out, sizeof(out), &r);
	assert_int_equal(n, 40 + 20 + 10);
	assert_int_equal(pkt_parse(out, (size_t)n, &p), 0);
	assert_int_equal(p.plen, 10);
	assert_memory_equal(p.payload, rj, 10);
	assert_int_equal(p.seq, 77);
	assert_l4_ok(out, (size_t)n);
}

static void icmp_unreachable_quotes_header(void **state)
{
	uint8_t in[256], out[REPLY_MAX];
	struct tpkt t = { "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 5000, 161, .data = "abcdefgh",
			  .dlen = 8 };
	struct pkt p, r;
	int n;

	pkt_parse(in, tpkt_build(in, &t), &p);
	n = reply_icmp_unreach(out, sizeof(out), &p, 0);
	assert_int_equal(n, 20 + 8 + 28);
	assert_int_equal(pkt_parse(out, (size_t)n, &r), 0);
	assert_int_equal(r.icmp_type, 3);
	assert_int_equal(r.icmp_code, 3);
	assert_memory_equal(out + 28, in, 28);
	assert_l4_ok(out, (size_t)n);
}

static void too_small_buffer(void **state)
{
	uint8_t in[256], out[30];
	struct tpkt t = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2, 0, 0, TCP_SYN };
	struct pkt p;

	pkt_parse(in, tpkt_build(in, &t), &p);
	assert_int_equal(reply_tcp_reset(out, sizeof(out), &p), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reset_answers_a_syn),
		cmocka_unit_test(rj_segment_v6),
		cmocka_unit_test(icmp_unreachable_quotes_header),
		cmocka_unit_test(too_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
