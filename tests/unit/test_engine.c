/* The engine between policy and wire:
 *
 *   pacs 10.0.0.1 ──SYN, RQ in pieces──▶ [engine] ──▶ symbia 10.0.0.2:104
 *                 ◀──RJ (crafted)───────          ──RST (crafted)──▶
 *
 * Packets are built here, verdicts and injected answers recorded by
 * test ops, and the answers parsed back to check what a stack would see. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "scanwall/config.h"
#include "scanwall/engine.h"
#include "engine/pkt.h"
#include "engine/reply.h"
#include "pktgen.h"
#include "test_dicom_pdu.h"

static const char policy[] =
	"device symbia 10.0.0.2 ae SYMBIA\n"
	"peer pacs 10.0.0.1 ae PACS\n"
	"allow dicom from pacs to symbia port 104 services verification\n"
	"allow dicom from pacs to symbia port 105 services verification inspect association\n"
	"allow udp from symbia to pacs port 123\n"
	"reject tcp from any to symbia port 80 reason \"IIS\"\n"
	"reject udp from pacs to 239.0.0.0/8\n"
	"reject icmpv6 from any to any\n"
	"default block\n";

struct rec {
	uint32_t released[64];
	enum eng_verdict rv[64];
	unsigned nreleased;
	uint8_t inj[8][REPLY_MAX];
	size_t injlen[8];
	uint32_t injport[8];	/* the bridge port each went out of */
	unsigned ninj;
	unsigned revoked, revoked_deny;
	enum ev_kind ev[16];
	char fault[16][32];
	int line[16];
	unsigned nev;
};

static void r_release(void *ctx, uint32_t id, enum eng_verdict v)
{
	struct rec *r = ctx;

	r->rv[r->nreleased] = v;
	r->released[r->nreleased++] = id;
}

static void r_inject(void *ctx, const uint8_t *l3, size_t len, const struct eng_port *to)
{
	struct rec *r = ctx;

	if (r->ninj < 8) {
		memcpy(r->inj[r->ninj], l3, len);
		r->injport[r->ninj] = to->ifindex;
		r->injlen[r->ninj++] = len;
	}
}

static void r_event(void *ctx, const struct sw_event *ev)
{
	struct rec *r = ctx;

	r->line[r->nev] = ev->rule_line;
	snprintf(r->fault[r->nev], sizeof(r->fault[0]), "%s", ev->fault ? ev->fault : "");
	r->ev[r->nev++] = ev->kind;
}

static void r_revoke(void *ctx, const struct flow_key *k, bool deny)
{
	struct rec *r = ctx;

	(void)k;
	r->revoked++;
	r->revoked_deny += deny;
}

static const struct eng_ops ops = { r_release, r_inject, r_event, r_revoke };

struct fx {
	struct eng *e;
	struct rec r;
	uint32_t id;
	uint64_t later_ns;	/* added to every packet's time */
};

/* An engine with room for 16 associations and park_max parked segments. */
static int setup_park(void **state, unsigned park_max)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct eng_cfg cfg;
	struct pol *pol = pol_parse("test", policy, sizeof(policy) - 1, stderr);

	assert_non_null(pol);
	eng_cfg_default(&cfg);
	cfg.flows = 1024;
	cfg.assocs = 16;
	cfg.rq_bufs = 4;
	cfg.park_max = park_max;
	fx->e = eng_new(&cfg, &ops, &fx->r);
	assert_non_null(fx->e);
	assert_int_equal(eng_set_policy(fx->e, pol), 0);
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return setup_park(state, 64);
}

static int setup_small_park(void **state)
{
	return setup_park(state, 1);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	eng_free(fx->e);
	free(fx);
	return 0;
}

/* A packet that entered the bridge at port `from`. */
static enum eng_verdict feed_at(struct fx *fx, const struct tpkt *t, const struct eng_port *from)
{
	uint8_t b[4096];	/* up to a 3000-byte segment (the GSO test) */
	struct eng_pkt pk = { .l3 = b, .ts_ns = 1000000000000ull + fx->later_ns, .id = ++fx->id,
			      .from = *from };
	enum eng_verdict v;

	pk.len = tpkt_build(b, t);
	eng_packet(fx->e, &pk, &v);
	return v;
}

/* As the replay gives them: a port without a MAC address, never learnt. */
static enum eng_verdict feed(struct fx *fx, const struct tpkt *t)
{
	return feed_at(fx, t, &(struct eng_port){ .ifindex = 1 });
}

/* An A-ASSOCIATE-RQ for Verification, as echoscu sends it. */
static size_t build_rq(uint8_t *b, const char *calling, const char *called)
{
	static const char app[] = "1.2.840.10008.3.1.1.1", as[] = "1.2.840.10008.1.1",
			  ts[] = "1.2.840.10008.1.2";
	size_t n = 0, pc, ui;

#define PUT8(v) (b[n++] = (uint8_t)(v))
#define PUT16(v) (PUT8((v) >> 8), PUT8(v))
#define PUTS(s) (memcpy(b + n, s, strlen(s)), n += strlen(s))
	PUT8(1); PUT8(0); n += 4;
	PUT16(1); PUT16(0);
	memset(b + n, ' ', 32);
	memcpy(b + n, called, strlen(called));
	memcpy(b + n + 16, calling, strlen(calling));
	n += 32;
	memset(b + n, 0, 32);
	n += 32;
	PUT8(0x10); PUT8(0); PUT16(strlen(app)); PUTS(app);
	pc = n;
	PUT8(0x20); PUT8(0); n += 2; PUT8(1); PUT8(0); PUT8(0); PUT8(0);
	PUT8(0x30); PUT8(0); PUT16(strlen(as)); PUTS(as);
	PUT8(0x40); PUT8(0); PUT16(strlen(ts)); PUTS(ts);
	b[pc + 2] = (uint8_t)((n - pc - 4) >> 8), b[pc + 3] = (uint8_t)(n - pc - 4);
	ui = n;
	PUT8(0x50); PUT8(0); PUT16(8);
	PUT8(0x51); PUT8(0); PUT16(4); PUT16(0); PUT16(16384);
	(void)ui;
	b[2] = (uint8_t)((n - 6) >> 24), b[3] = (uint8_t)((n - 6) >> 16);
	b[4] = (uint8_t)((n - 6) >> 8), b[5] = (uint8_t)(n - 6);
	return n;
}

#define PACS "10.0.0.1"
#define SYMBIA "10.0.0.2"

static void handshake(struct fx *fx, uint16_t dport)
{
	struct tpkt syn = { PACS, SYMBIA, IPPROTO_TCP, 40000, dport, 100, 0, TCP_SYN };
	struct tpkt synack = { SYMBIA, PACS, IPPROTO_TCP, dport, 40000, 900, 101, TCP_SYN | TCP_ACK };
	struct tpkt ack = { PACS, SYMBIA, IPPROTO_TCP, 40000, dport, 101, 901, TCP_ACK };

	assert_int_equal(feed(fx, &syn), ENG_OPEN);
	assert_int_equal(feed(fx, &synack), ENG_ACCEPT);
	assert_int_equal(feed(fx, &ack), ENG_ACCEPT);
}

/* The AC to build_rq()'s request: type 2, the context accepted (0x21,
 * result 0), one transfer syntax. */
static size_t build_ac(uint8_t *ac)
{
	size_t m = build_rq(ac, "PACS", "SYMBIA"), pc = 74 + 4 + 21, as = pc + 8, aslen = 4 + 17;

	ac[0] = 2;
	ac[pc] = 0x21;
	ac[pc + 6] = 0;		/* result: acceptance */
	/* drop the abstract syntax sub-item: an AC context carries none */
	memmove(ac + as, ac + as + aslen, m - as - aslen);
	m -= aslen;
	ac[pc + 3] = (uint8_t)(ac[pc + 3] - aslen);
	ac[5] = (uint8_t)(m - 6);
	return m;
}

/* handshake, RQ, AC on dport; returns the initiator's next sequence number */
static uint32_t associate(struct fx *fx, uint16_t dport, enum eng_verdict ac_verdict)
{
	uint8_t rq[512], ac[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt r = { PACS, SYMBIA, IPPROTO_TCP, 40000, dport, 101, 901, TCP_ACK, rq, n };
	struct tpkt a = { SYMBIA, PACS, IPPROTO_TCP, dport, 40000, 901, 101 + (uint32_t)n, TCP_ACK,
			  ac, build_ac(ac) };

	handshake(fx, dport);
	assert_int_equal(feed(fx, &r), ENG_ACCEPT);
	assert_int_equal(feed(fx, &a), ac_verdict);
	assert_int_equal(fx->r.ev[0], EV_ASSOC_ACCEPT);
	return 101 + (uint32_t)n;
}

static void rq_in_pieces_is_held_then_released(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA"), off = 0, cut[] = { 3, 40, 90, n };
	unsigned i;

	handshake(fx, 104);
	for (i = 0; i < 4; i++) {
		struct tpkt seg = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101 + (uint32_t)off, 901,
				    TCP_ACK | TCP_PSH, rq + off, cut[i] - off };
		enum eng_verdict v = feed(fx, &seg);

		if (i < 3) {
			assert_int_equal(v, ENG_HOLD);	/* nothing of it reaches the device yet */
			assert_int_equal(fx->r.nreleased, 0);
		} else {
			assert_int_equal(v, ENG_ACCEPT);
		}
		off = cut[i];
	}
	assert_int_equal(fx->r.nreleased, 3);
	for (i = 0; i < 3; i++) {
		struct pkt ack;

		assert_int_equal(fx->r.released[i], 4 + i);	/* in order, all accepted */
		assert_int_equal(fx->r.rv[i], ENG_ACCEPT);
		/* each held piece was acknowledged in the device's name, so
		 * the sender's timer never fires while we wait for the rest */
		assert_int_equal(pkt_parse(fx->r.inj[i], fx->r.injlen[i], &ack), 0);
		assert_int_equal(ack.key.sport, 104);
		assert_int_equal(ack.flags, TCP_ACK);
		assert_int_equal(ack.seq, 901);
		assert_int_equal(ack.ack, 101 + cut[i]);
		assert_int_equal(ack.plen, 0);
	}
	assert_int_equal(fx->r.ninj, 3);
}

static void retransmitted_held_piece_stays_held(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt a = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_ACK, rq, 50 };
	struct tpkt b = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 151, 901, TCP_ACK, rq + 50, n - 50 };

	handshake(fx, 104);
	assert_int_equal(feed(fx, &a), ENG_HOLD);
	assert_int_equal(feed(fx, &a), ENG_DROP);	/* the sender's RTO copy */
	assert_int_equal(fx->r.nreleased, 0);
	assert_int_equal(fx->r.ninj, 2);		/* acknowledged again */
	assert_int_equal(feed(fx, &b), ENG_ACCEPT);
	assert_int_equal(fx->r.nreleased, 1);
	assert_int_equal(feed(fx, &a), ENG_ACCEPT);	/* judged now: a copy may pass */
}

/* The n-th packet injected is an ACK of `want`. */
static void expect_injected_ack(struct fx *fx, unsigned n, uint32_t want)
{
	struct pkt ack;

	assert_int_equal(fx->r.ninj, n);
	assert_int_equal(pkt_parse(fx->r.inj[n - 1], fx->r.injlen[n - 1], &ack), 0);
	assert_int_equal(ack.ack, want);
}

/* The C-ECHO-RQ from seq, cut at `cut`: the head is held until the rest
 * arrives and releases it. rto: the head is sent twice. */
static void echo_cut(struct fx *fx, const struct pb *echo, uint32_t seq, size_t cut, bool rto)
{
	unsigned released = fx->r.nreleased;
	struct tpkt head = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq, 901, TCP_ACK, echo->b, cut };
	struct tpkt rest = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + (uint32_t)cut, 901,
			     TCP_ACK, echo->b + cut, echo->n - cut };

	assert_int_equal(feed(fx, &head), ENG_HOLD);
	if (rto) {
		assert_int_equal(fx->r.ninj, 1);	/* no ACK yet */
		assert_int_equal(feed(fx, &head), ENG_DROP);
	}
	expect_injected_ack(fx, rto ? 2 : 1, seq + (uint32_t)cut);
	assert_int_equal(feed(fx, &rest), ENG_ACCEPT);
	assert_int_equal(fx->r.nreleased, released + 1);
	assert_int_equal(fx->r.rv[released], ENG_ACCEPT);
}

/* A P-DATA cut inside its headers is held until they are whole, and the
 * ACK the engine sends in the receiver's name never covers passed bytes
 * the receiver may not have:
 *
 *   C-ECHO 1: |3 bytes| rest |    held; ACK now (symbia acked all before)
 *   C-ECHO 2: |9 bytes| rest |    held; no ACK (C-ECHO 1 not acked by
 *                                 symbia); the RTO copy from the held
 *                                 bytes gets one; the rest releases it
 */
static void partial_header_held_mid_pdata(void **state)
{
	struct fx *fx = *state;
	uint32_t seq = associate(fx, 104, ENG_ACCEPT);
	struct pb echo = { .n = 0 };

	pb_echo_cmd(&echo, 0x0030);
	echo_cut(fx, &echo, seq, 3, false);			/* inside the PDU header */
	echo_cut(fx, &echo, seq + (uint32_t)echo.n, 9, true);	/* inside the PDV header */
}

/* A stream that ends inside a PDU header: the held bytes can never be
 * whole. Refused at the FIN (not held until the idle timeout): the
 * device gets a reset at the first held byte, the sender an A-ABORT.
 *
 *   |04 00 00| (held)   |00 00 FIN|  -> invalid pdu-length, both answered */
static void stream_cut_inside_a_header_is_refused(void **state)
{
	struct fx *fx = *state;
	uint32_t seq = associate(fx, 104, ENG_ACCEPT);
	static const uint8_t hdr[5] = { 0x04, 0, 0, 0, 0 };
	struct tpkt head = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq, 901, TCP_ACK, hdr, 3 };
	struct tpkt fin = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + 3, 901, TCP_ACK | TCP_FIN,
			    hdr + 3, 2 };
	struct pkt rst;

	assert_int_equal(feed(fx, &head), ENG_HOLD);
	assert_int_equal(feed(fx, &fin), ENG_DROP);
	assert_int_equal(fx->r.nreleased, 1);
	assert_int_equal(fx->r.rv[0], ENG_DROP);
	assert_int_equal(fx->r.ev[fx->r.nev - 1], EV_INVALID);
	assert_string_equal(fx->r.fault[fx->r.nev - 1], "pdu-length");
	assert_int_equal(pkt_parse(fx->r.inj[fx->r.ninj - 1], fx->r.injlen[fx->r.ninj - 1], &rst), 0);
	assert_true(rst.flags & TCP_RST);
	assert_int_equal(rst.seq, seq);
}

/* Bridge ports: pacs on 1, symbia on 2, each with its MAC address. */
static const struct eng_port at_pacs = { .ifindex = 1, .mac = { 2, 0, 0, 0, 0, 1 }, .has_mac = 1 };
static const struct eng_port at_symbia = { .ifindex = 2, .mac = { 2, 0, 0, 0, 0, 2 }, .has_mac = 1 };

/* A first SYN to symbia:dport from pacs:40000, whose SYN-ACK teaches the
 * engine symbia's port; then the SYN of pacs:40001, whose SYN-ACK the
 * kernel will pass unseen. */
static void second_syn(struct fx *fx, uint16_t dport)
{
	struct tpkt syn1 = { PACS, SYMBIA, IPPROTO_TCP, 40000, dport, 100, 0, TCP_SYN };
	struct tpkt synack1 = { SYMBIA, PACS, IPPROTO_TCP, dport, 40000, 900, 101, TCP_SYN | TCP_ACK };
	struct tpkt syn2 = { PACS, SYMBIA, IPPROTO_TCP, 40001, dport, 300, 0, TCP_SYN };

	assert_int_equal(feed_at(fx, &syn1, &at_pacs), ENG_OPEN);
	assert_int_equal(feed_at(fx, &synack1, &at_symbia), ENG_ACCEPT);
	assert_int_equal(feed_at(fx, &syn2, &at_pacs), ENG_OPEN_SYNACK);
}

/* A released piece lost on symbia's link: pacs never sends it again (we
 * acknowledged it), so the engine does, until symbia acknowledges it.
 *
 *   pacs ──RQ[0,50)──▶ held, ACKed in symbia's name
 *        ──RQ[50,n)──▶ accept, RQ[0,50) released ──✗ (lost)
 *   tick +0.25 s:            RQ[0,50) as pacs ──▶ symbia (port 2)
 *   tick +0.70 s:            again (backed off)
 *   symbia's ACK of 20 bytes, tick +1.6 s: RQ[20,50) only
 *   symbia's AC, ack 101+n:  no more */
static void released_rq_sent_again_until_acknowledged(void **state)
{
	struct fx *fx = *state;
	const uint64_t t = 1000000000000ull;	/* feed_at()'s clock */
	uint8_t rq[512], ac[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt syn = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 100, 0, TCP_SYN };
	struct tpkt synack = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 900, 101, TCP_SYN | TCP_ACK };
	struct tpkt a = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_ACK, rq, 50,
			  .has_ts = 1, .tsval = 7000 };
	struct tpkt b = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 151, 901, TCP_ACK, rq + 50, n - 50,
			  .has_ts = 1, .tsval = 7001 };
	struct tpkt acp = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 901, 101 + (uint32_t)n, TCP_ACK,
			    ac, build_ac(ac) };
	struct tpkt part = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 901, 121, TCP_ACK };
	struct pkt seg;
	unsigned i;

	assert_int_equal(feed_at(fx, &syn, &at_pacs), ENG_OPEN);
	assert_int_equal(feed_at(fx, &synack, &at_symbia), ENG_ACCEPT);
	assert_int_equal(feed_at(fx, &a, &at_pacs), ENG_HOLD);
	assert_int_equal(feed_at(fx, &b, &at_pacs), ENG_ACCEPT);
	assert_int_equal(fx->r.nreleased, 1);
	assert_int_equal(fx->r.ninj, 1);		/* our ACK of the held piece */

	eng_expire(fx->e, t + 100000000ull);
	assert_int_equal(fx->r.ninj, 1);		/* not yet due */
	eng_expire(fx->e, t + 250000000ull);
	eng_expire(fx->e, t + 500000000ull);		/* backed off: not due */
	eng_expire(fx->e, t + 700000000ull);
	assert_int_equal(fx->r.ninj, 3);
	for (i = 1; i < 3; i++) {
		assert_int_equal(pkt_parse(fx->r.inj[i], fx->r.injlen[i], &seg), 0);
		assert_int_equal(fx->r.injport[i], 2);	/* out where symbia sits */
		assert_int_equal(seg.key.sport, 40000);	/* in pacs's name */
		assert_int_equal(seg.key.dport, 104);
		assert_int_equal(seg.seq, 101);
		assert_int_equal(seg.ack, 901);
		assert_int_equal(seg.plen, 50);		/* only what we acknowledged */
		assert_true(seg.has_ts);		/* pacs's newest: PAWS lets it in */
		assert_int_equal(seg.tsval, 7001);
		assert_memory_equal(seg.payload, rq, 50);
	}
	assert_int_equal(eng_counters(fx->e)->tcp_resent, 2);

	assert_int_equal(feed_at(fx, &part, &at_symbia), ENG_ACCEPT);
	eng_expire(fx->e, t + 1600000000ull);
	assert_int_equal(fx->r.ninj, 4);
	assert_int_equal(pkt_parse(fx->r.inj[3], fx->r.injlen[3], &seg), 0);
	assert_int_equal(seg.seq, 121);			/* from symbia's ACK on */
	assert_int_equal(seg.plen, 30);
	assert_memory_equal(seg.payload, rq + 20, 30);

	assert_int_equal(feed_at(fx, &acp, &at_symbia), ENG_ACCEPT);
	eng_expire(fx->e, t + 9000000000ull);
	assert_int_equal(fx->r.ninj, 4);		/* symbia has it all */
	assert_int_equal(eng_counters(fx->e)->tcp_resent, 3);
}

/*   1st association:  SYN ─▶ OPEN          SYN-ACK ◀─ (queued: symbia's port learnt)
 *   2nd association:  SYN ─▶ OPEN_SYNACK   SYN-ACK passes in the kernel, unseen;
 *                     RQ (ack = symbia's ISN + 1) ─▶ accept,  AC ◀─ in order: settled */
static void synack_skipped_once_the_acceptor_is_known(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512], ac[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA"), m = build_ac(ac);
	struct tpkt rq2 = { PACS, SYMBIA, IPPROTO_TCP, 40001, 105, 301, 5001, TCP_ACK, rq, n };
	struct tpkt ac2 = { SYMBIA, PACS, IPPROTO_TCP, 105, 40001, 5001, 301 + (uint32_t)n, TCP_ACK,
			    ac, m };

	second_syn(fx, 105);
	assert_int_equal(feed_at(fx, &rq2, &at_pacs), ENG_ACCEPT);
	/* symbia's stream starts where the initiator's ACK said it does */
	assert_int_equal(feed_at(fx, &ac2, &at_symbia), ENG_SETTLE);
	assert_int_equal(fx->r.ev[0], EV_ASSOC_ACCEPT);
}

/* Without a MAC address (a replayed capture) nothing is learnt: every SYN
 * asks for its SYN-ACK. */
static void synack_queued_while_the_acceptor_is_unknown(void **state)
{
	struct fx *fx = *state;
	struct tpkt syn2 = { PACS, SYMBIA, IPPROTO_TCP, 40001, 104, 300, 0, TCP_SYN };

	handshake(fx, 104);
	assert_int_equal(feed(fx, &syn2), ENG_OPEN);
}

/* The initiator can forge its peer's SYN-ACK (it knows every number in
 * it) and send it from its own port: it is dropped and nothing is learnt
 * from it, or the resets meant for symbia would go to the initiator, and
 * its ISN would prove a handshake the initiator never had. */
static void acceptor_not_learnt_at_the_initiators_port(void **state)
{
	struct fx *fx = *state;
	struct tpkt syn1 = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 100, 0, TCP_SYN };
	struct tpkt forged = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 900, 101, TCP_SYN | TCP_ACK };
	struct tpkt syn2 = { PACS, SYMBIA, IPPROTO_TCP, 40001, 104, 300, 0, TCP_SYN };

	assert_int_equal(feed_at(fx, &syn1, &at_pacs), ENG_OPEN);
	assert_int_equal(feed_at(fx, &forged, &at_pacs), ENG_DROP);
	assert_int_equal(feed_at(fx, &syn2, &at_pacs), ENG_OPEN);	/* still asks for its SYN-ACK */
}

/* A refused RQ of an association whose SYN-ACK the engine never saw: the
 * initiator gets its RJ at port 1, and symbia still gets its reset, out of
 * its remembered port 2, at the sequence number the initiator's ACK named. */
static void refusal_resets_the_acceptor_at_its_remembered_port(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "INTRUDER", "SYMBIA");
	struct tpkt rq2 = { PACS, SYMBIA, IPPROTO_TCP, 40001, 104, 301, 7001, TCP_ACK, rq, n };
	struct pkt rj, rst;

	second_syn(fx, 104);
	assert_int_equal(feed_at(fx, &rq2, &at_pacs), ENG_DROP);
	assert_int_equal(fx->r.ninj, 2);
	assert_int_equal(pkt_parse(fx->r.inj[0], fx->r.injlen[0], &rj), 0);
	assert_int_equal(fx->r.injport[0], 1);
	assert_int_equal(rj.seq, 7001);		/* from symbia's ISN + 1 */
	assert_int_equal(rj.ack, 301 + n);
	assert_int_equal(rj.payload[0], 3);	/* A-ASSOCIATE-RJ */
	assert_int_equal(pkt_parse(fx->r.inj[1], fx->r.injlen[1], &rst), 0);
	assert_int_equal(fx->r.injport[1], 2);
	assert_true(rst.flags & TCP_RST);
	assert_int_equal(rst.key.dport, 104);
	assert_int_equal(rst.seq, 301);		/* symbia's rcv_nxt */
	assert_int_equal(rst.ack, 7001);
}

/* The RQ held in pieces with symbia's SYN-ACK unseen: the ACKs sent in its
 * name must not close the initiator's window. */
static void held_rq_acked_with_an_open_window_before_any_acceptor_packet(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	struct tpkt a = { PACS, SYMBIA, IPPROTO_TCP, 40001, 104, 301, 7001, TCP_ACK, rq, 50 };
	struct pkt ack;

	build_rq(rq, "PACS", "SYMBIA");
	second_syn(fx, 104);
	assert_int_equal(feed_at(fx, &a, &at_pacs), ENG_HOLD);
	assert_int_equal(fx->r.ninj, 1);
	assert_int_equal(pkt_parse(fx->r.inj[0], fx->r.injlen[0], &ack), 0);
	assert_int_equal(fx->r.injport[0], 1);
	assert_int_equal(ack.seq, 7001);
	assert_int_equal(ack.ack, 351);
	assert_true(ack.win > 0);
}

/* Nothing riding on a SYN is inspected, so nothing may: a SYN with data
 * (TCP Fast Open) starts no association and is an event. */
static void data_on_a_syn_is_dropped(void **state)
{
	struct fx *fx = *state;
	static const uint8_t d[] = { 1, 0, 0, 0, 0, 4 };
	struct tpkt syn = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 100, 0, TCP_SYN, d, sizeof(d) };
	struct tpkt plain = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 100, 0, TCP_SYN };

	assert_int_equal(feed(fx, &syn), ENG_DROP);
	assert_int_equal(fx->r.nev, 1);
	assert_int_equal(fx->r.ev[0], EV_INVALID);
	assert_int_equal(feed(fx, &plain), ENG_OPEN);	/* the retry without data */
}

/* The RQ in four pieces [0,3) [3,40) [40,90) [90,n), piece i. */
static struct tpkt rq_piece(const uint8_t *rq, size_t n, unsigned i, uint32_t tsval)
{
	const size_t cut[] = { 0, 3, 40, 90, n };
	struct tpkt t = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101 + (uint32_t)cut[i], 901,
			  TCP_ACK, rq + cut[i], cut[i + 1] - cut[i] };

	t.has_ts = tsval != 0;
	t.tsval = tsval;
	return t;
}

/*   arrival:  p0  p3  p2  p1
 *   verdict:  H   P   P   H   (H: the RQ is held, P: parked beyond a gap)
 *   p1 fills the gap: p2 and p3 are judged from their copies, in order,
 *   the RQ is whole, and all four are released, accepted, in order. */
static void parked_segments_are_judged_from_their_copies(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt p[4];
	const uint32_t order[] = { 4, 7, 6, 5 };
	unsigned i;

	for (i = 0; i < 4; i++)
		p[i] = rq_piece(rq, n, i, 0);
	handshake(fx, 104);
	assert_int_equal(feed(fx, &p[0]), ENG_HOLD);	/* id 4: the RQ is held */
	assert_int_equal(feed(fx, &p[3]), ENG_HOLD);	/* id 5: beyond a gap, parked */
	assert_int_equal(feed(fx, &p[2]), ENG_HOLD);	/* id 6: parked */
	assert_int_equal(fx->r.nreleased, 0);
	assert_int_equal(feed(fx, &p[1]), ENG_HOLD);	/* id 7: fills the gap */
	assert_int_equal(fx->r.nreleased, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(fx->r.released[i], order[i]);
		assert_int_equal(fx->r.rv[i], ENG_ACCEPT);
	}
	assert_int_equal(fx->r.nev, 0);		/* no refusal: the RQ was judged whole */
	assert_int_equal(eng_counters(fx->e)->tcp_parked, 2);
	assert_int_equal(eng_counters(fx->e)->tcp_out_of_window, 0);
}

/* A parked segment too large to copy (a GSO segment) goes through the
 * hook again once the gap before it fills, and is judged when it is back.
 * The gap is two bytes of a PDU header: held until the header is whole.
 *
 *   P-DATA: |04 00|00 00 0b b8 ...3000 bytes...|
 *            gap   parked, not copied: REPEAT when the gap fills
 *            (held: a PDU header cut short) */
static void large_parked_segment_goes_through_the_hook_again(void **state)
{
	struct fx *fx = *state;
	static uint8_t pdata[3002] = { 0x04, 0x00, 0x00, 0x00, 0x0b, 0xb8 };
	uint32_t seq = associate(fx, 104, ENG_ACCEPT);
	struct tpkt head = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq, 901, TCP_ACK, pdata, 2 };
	struct tpkt rest = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + 2, 901, TCP_ACK,
			     pdata + 2, sizeof(pdata) - 2 };

	assert_int_equal(feed(fx, &rest), ENG_HOLD);	/* parked */
	assert_int_equal(fx->r.nreleased, 0);
	assert_int_equal(feed(fx, &head), ENG_HOLD);	/* a partial PDU header */
	assert_int_equal(fx->r.nreleased, 1);
	assert_int_equal(fx->r.released[0], fx->id - 1);
	assert_int_equal(fx->r.rv[0], ENG_REPEAT);
}

/* A parked segment older than the one that filled its gap (here: the gap
 * was filled by a retransmission, stamped later) would be discarded by the
 * receiver (PAWS) after we inspected it: it is dropped, and its own
 * retransmission is then inspected as new bytes. */
static void stale_parked_segment_is_dropped(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt p0 = rq_piece(rq, n, 0, 10), p2 = rq_piece(rq, n, 2, 10);
	struct tpkt p1 = rq_piece(rq, n, 1, 20), p3 = rq_piece(rq, n, 3, 20);

	handshake(fx, 104);
	assert_int_equal(feed(fx, &p0), ENG_HOLD);
	assert_int_equal(feed(fx, &p2), ENG_HOLD);	/* id 5: parked, stamped 10 */
	assert_int_equal(feed(fx, &p1), ENG_HOLD);	/* stamped 20 */
	assert_int_equal(fx->r.nreleased, 1);
	assert_int_equal(fx->r.released[0], 5);
	assert_int_equal(fx->r.rv[0], ENG_DROP);
	p2.tsval = 21;					/* the sender sends it again */
	assert_int_equal(feed(fx, &p2), ENG_HOLD);	/* new bytes: inspected */
	assert_int_equal(feed(fx, &p3), ENG_ACCEPT);
}

/* A copy of a parked segment is dropped (the first comes back); the end of
 * the flow drops what is parked. */
static void parked_copy_and_flow_end(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt p0 = rq_piece(rq, n, 0, 0), p2 = rq_piece(rq, n, 2, 0);
	struct tpkt rst = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_RST };	/* exact */

	handshake(fx, 104);
	assert_int_equal(feed(fx, &p0), ENG_HOLD);	/* id 4 */
	assert_int_equal(feed(fx, &p2), ENG_HOLD);	/* id 5: parked */
	assert_int_equal(feed(fx, &p2), ENG_DROP);	/* its copy */
	assert_int_equal(eng_counters(fx->e)->tcp_parked, 1);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	assert_int_equal(feed(fx, &rst), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
	assert_int_equal(fx->r.nreleased, 2);
	assert_int_equal(fx->r.released[0], 4);
	assert_int_equal(fx->r.rv[0], ENG_DROP);
	assert_int_equal(fx->r.released[1], 5);
	assert_int_equal(fx->r.rv[1], ENG_DROP);
}

/* Past the park's size a segment beyond a gap is dropped, and counted. */
static void full_park_drops(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt p0 = rq_piece(rq, n, 0, 0), p2 = rq_piece(rq, n, 2, 0);
	struct tpkt p3 = rq_piece(rq, n, 3, 0);

	handshake(fx, 104);
	assert_int_equal(feed(fx, &p0), ENG_HOLD);
	assert_int_equal(feed(fx, &p2), ENG_HOLD);
	assert_int_equal(feed(fx, &p3), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->tcp_park_full, 1);
	assert_int_equal(eng_counters(fx->e)->tcp_out_of_window, 1);
}

static void no_icmp_answer_to_multicast(void **state)
{
	struct fx *fx = *state;
	struct tpkt mld = { "fd00::1", "ff02::16", IPPROTO_ICMPV6, .icmp_type = 143 };
	struct tpkt mc = { PACS, "239.1.1.1", IPPROTO_UDP, 5000, 5000 };

	assert_int_equal(feed(fx, &mld), ENG_DROP);
	assert_int_equal(feed(fx, &mc), ENG_DROP);
	assert_int_equal(fx->r.nev, 2);		/* still events */
	assert_int_equal(fx->r.ninj, 0);	/* but never an answer */
}

static void wrong_calling_ae_gets_rj_and_device_a_reset(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "INTRUDER", "SYMBIA");
	struct tpkt a = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_ACK, rq, 20 };
	struct tpkt b = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 121, 901, TCP_ACK, rq + 20, n - 20 };
	struct tpkt fin = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101 + (uint32_t)n, 911,
			    TCP_ACK | TCP_FIN };
	struct pkt rj, rst;

	handshake(fx, 104);
	assert_int_equal(feed(fx, &a), ENG_HOLD);
	assert_int_equal(feed(fx, &b), ENG_DROP);
	assert_int_equal(fx->r.nreleased, 1);
	assert_int_equal(fx->r.rv[0], ENG_DROP);	/* the held piece never goes */
	assert_int_equal(fx->r.nev, 1);
	assert_int_equal(fx->r.ev[0], EV_ASSOC_REJECT);
	assert_int_equal(fx->r.line[0], 3);
	assert_string_equal(fx->r.fault[0], "calling-ae");
	/* To the initiator: RJ (result 1, source 1, reason 3) from the device's
	 * address, acknowledging the whole request. */
	assert_int_equal(fx->r.ninj, 3);	/* the ACK of the held piece, then the answers */
	assert_int_equal(pkt_parse(fx->r.inj[1], fx->r.injlen[1], &rj), 0);
	assert_int_equal(rj.key.sport, 104);
	assert_int_equal(rj.seq, 901);
	assert_int_equal(rj.ack, 101 + n);
	assert_int_equal(rj.plen, 10);
	assert_memory_equal(rj.payload, "\x03\x00\x00\x00\x00\x04\x00\x01\x01\x03", 10);
	/* To the device: a reset exactly at its rcv_nxt, the first held byte. */
	assert_int_equal(pkt_parse(fx->r.inj[2], fx->r.injlen[2], &rst), 0);
	assert_int_equal(rst.key.dport, 104);
	assert_true(rst.flags & TCP_RST);
	assert_int_equal(rst.seq, 101);
	/* Its ct mark is cleared, not set to DENY: the initiator's packets,
	 * bare ACKs too, come to the engine again... */
	assert_int_equal(fx->r.revoked, 1);
	assert_int_equal(fx->r.revoked_deny, 0);
	/* ...and its FIN after the RJ is answered with a reset. */
	assert_int_equal(feed(fx, &fin), ENG_DROP);
	assert_int_equal(fx->r.ninj, 4);
}

static void inspect_association_settles_after_ac(void **state)
{
	associate(*state, 105, ENG_SETTLE);
}

/* Orthanc's shape on the `inspect association` port (Verification only):
 * Verification (1) and CT (3) proposed, the RQ passes. The device's AC
 * decides: CT rejected, settled; CT accepted, the association stays
 * inspected in full, with an anomaly event, and a message on CT aborts it.
 * Returns the AC's verdict; *seq, *ack: the initiator's next numbers. */
static enum eng_verdict associate_ct_too(struct fx *fx, uint8_t ct_result, uint32_t *seq,
					 uint32_t *ack)
{
	struct pb rq = { .n = 0 }, ac = { .n = 0 };
	size_t at = pb_assoc_begin(&rq, 0x01, 1, "SYMBIA", "PACS");

	pb_item_str(&rq, 0x10, UID_APP_CONTEXT);
	pb_rq_context(&rq, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
	pb_rq_context(&rq, 3, UID_CT, UID_IMPLICIT_LE);
	pb_user_info(&rq, 16384);
	pb_pdu_end(&rq, at);
	at = pb_assoc_begin(&ac, 0x02, 1, "SYMBIA", "PACS");
	pb_item_str(&ac, 0x10, UID_APP_CONTEXT);
	pb_ac_context(&ac, 1, 0, UID_IMPLICIT_LE);
	pb_ac_context(&ac, 3, ct_result, UID_IMPLICIT_LE);
	pb_user_info(&ac, 16384);
	pb_pdu_end(&ac, at);

	struct tpkt r = { PACS, SYMBIA, IPPROTO_TCP, 40000, 105, 101, 901, TCP_ACK, rq.b, rq.n };
	struct tpkt a = { SYMBIA, PACS, IPPROTO_TCP, 105, 40000, 901, 101 + (uint32_t)rq.n,
			  TCP_ACK, ac.b, ac.n };

	handshake(fx, 105);
	assert_int_equal(feed(fx, &r), ENG_ACCEPT);
	*seq = 101 + (uint32_t)rq.n;
	*ack = 901 + (uint32_t)ac.n;
	return feed(fx, &a);
}

static void settles_when_the_device_rejects_the_outside_context(void **state)
{
	struct fx *fx = *state;
	uint32_t seq, ack;

	assert_int_equal(associate_ct_too(fx, 3, &seq, &ack), ENG_SETTLE);
	assert_int_equal(fx->r.nev, 1);
	assert_int_equal(fx->r.ev[0], EV_ASSOC_ACCEPT);
}

static void inspected_in_full_when_the_device_accepts_it(void **state)
{
	struct fx *fx = *state;
	struct pb echo = { .n = 0 }, store = { .n = 0 }, cmd = { .n = 0 };
	uint32_t seq, ack;

	assert_int_equal(associate_ct_too(fx, 0, &seq, &ack), ENG_ACCEPT);
	assert_int_equal(fx->r.nev, 2);
	assert_int_equal(fx->r.ev[0], EV_ASSOC_ACCEPT);
	assert_int_equal(fx->r.ev[1], EV_ANOMALY);
	assert_string_equal(fx->r.fault[1], "accepted-outside-rule");
	pb_echo_cmd(&echo, 0x0030);
	pb_command(&cmd, UID_CT, 0x0001, 0x0000);
	pb_pdata(&store, 3, 0x03, cmd.b, cmd.n);

	struct tpkt e = { PACS, SYMBIA, IPPROTO_TCP, 40000, 105, seq, ack, TCP_ACK, echo.b, echo.n };
	struct tpkt s = { PACS, SYMBIA, IPPROTO_TCP, 40000, 105, seq + (uint32_t)echo.n, ack,
			  TCP_ACK, store.b, store.n };

	assert_int_equal(feed(fx, &e), ENG_ACCEPT);	/* Verification: within the rule */
	assert_int_equal(feed(fx, &s), ENG_DROP);	/* CT: outside it */
	assert_int_equal(fx->r.ev[2], EV_ASSOC_ABORT);
	assert_string_equal(fx->r.fault[2], "context-refused");
}

/* The hint that keeps the inline loop awake (eng_take_answer_due): set by a
 * packet whose answer the engine judges next, and by nothing else.
 *
 *   udp, settled         no
 *   SYN (dicom)          yes: the RQ follows the handshake
 *   SYN-ACK              no
 *   RQ                   yes: the AC
 *   AC, inspect full     yes: the first request
 *   a command fragment   no: the message goes on
 *   AC, inspect assoc    no: the kernel forwards the rest
 */
static void answer_due_only_while_an_answer_is_judged(void **state)
{
	struct fx *fx = *state;
	struct tpkt ntp = { SYMBIA, PACS, IPPROTO_UDP, 5000, 123 };
	/* P-DATA-TF, one PDV: context 1, a command fragment that is not the
	 * last, holding the first element's tag and length only */
	uint8_t part[] = { 0x04, 0, 0, 0, 0, 14, 0, 0, 0, 10, 1, 0x01, 0, 0, 0, 0, 4, 0, 0, 0 };
	uint8_t rq[512], ac[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA"), m = build_ac(ac);
	uint16_t port;

	assert_int_equal(feed(fx, &ntp), ENG_SETTLE);
	assert_false(eng_take_answer_due(fx->e));
	for (port = 104; port <= 105; port++) {
		struct tpkt syn = { PACS, SYMBIA, IPPROTO_TCP, 40000, port, 100, 0, TCP_SYN };
		struct tpkt synack = { SYMBIA, PACS, IPPROTO_TCP, port, 40000, 900, 101,
				       TCP_SYN | TCP_ACK };
		struct tpkt r = { PACS, SYMBIA, IPPROTO_TCP, 40000, port, 101, 901, TCP_ACK, rq, n };
		struct tpkt a = { SYMBIA, PACS, IPPROTO_TCP, port, 40000, 901, 101 + (uint32_t)n,
				  TCP_ACK, ac, m };

		assert_int_equal(feed(fx, &syn), ENG_OPEN);
		assert_true(eng_take_answer_due(fx->e));
		assert_false(eng_take_answer_due(fx->e));	/* read once */
		feed(fx, &synack);
		assert_false(eng_take_answer_due(fx->e));
		assert_int_equal(feed(fx, &r), ENG_ACCEPT);
		assert_true(eng_take_answer_due(fx->e));
		assert_int_equal(feed(fx, &a), port == 104 ? ENG_ACCEPT : ENG_SETTLE);
		assert_int_equal(eng_take_answer_due(fx->e), port == 104);
		if (port == 104) {
			struct tpkt c = { PACS, SYMBIA, IPPROTO_TCP, 40000, port,
					  101 + (uint32_t)n, 901 + (uint32_t)m, TCP_ACK,
					  part, sizeof(part) };

			assert_int_equal(feed(fx, &c), ENG_ACCEPT);
			assert_false(eng_take_answer_due(fx->e));
		}
	}
}

/* pacs:40000 -> symbia:105 settles after the AC; the same tuple used again
 * (a reused port) is a new association and is inspected again; the device
 * connecting back on the reversed tuple is judged as its own flow. */
static void reused_tuple_is_judged_again(void **state)
{
	struct fx *fx = *state;
	uint8_t bad[512];
	size_t n = build_rq(bad, "INTRUDER", "SYMBIA");
	struct tpkt syn2 = { PACS, SYMBIA, IPPROTO_TCP, 40000, 105, 7000, 0, TCP_SYN };
	struct tpkt synack2 = { SYMBIA, PACS, IPPROTO_TCP, 105, 40000, 8000, 7001, TCP_SYN | TCP_ACK };
	struct tpkt rq2 = { PACS, SYMBIA, IPPROTO_TCP, 40000, 105, 7001, 8001, TCP_ACK, bad, n };
	struct tpkt back = { SYMBIA, PACS, IPPROTO_TCP, 105, 40000, 9000, 0, TCP_SYN };

	inspect_association_settles_after_ac(state);
	assert_int_equal(feed(fx, &syn2), ENG_OPEN);		/* a new flow, not "settled" */
	assert_int_equal(feed(fx, &synack2), ENG_ACCEPT);
	assert_int_equal(feed(fx, &rq2), ENG_DROP);		/* inspected, and refused */
	assert_int_equal(fx->r.ev[fx->r.nev - 1], EV_ASSOC_REJECT);
	assert_int_equal(feed(fx, &back), ENG_DROP);		/* symbia may not call pacs */
	assert_int_equal(fx->r.ev[fx->r.nev - 1], EV_BLOCK);
}

static void syn_retransmission_keeps_the_flow(void **state)
{
	struct fx *fx = *state;
	struct tpkt syn = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 100, 0, TCP_SYN };

	struct tpkt synack = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 900, 101, TCP_SYN | TCP_ACK };

	assert_int_equal(feed(fx, &syn), ENG_OPEN);	/* its ct mark: bare ACKs in the kernel */
	assert_int_equal(feed(fx, &syn), ENG_ACCEPT);	/* the same ISN again: still one flow */
	assert_int_equal(feed(fx, &synack), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_new, 1);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
}

static void plain_flows(void **state)
{
	struct fx *fx = *state;
	struct tpkt ntp = { SYMBIA, PACS, IPPROTO_UDP, 5000, 123 };
	struct tpkt back = { PACS, SYMBIA, IPPROTO_UDP, 123, 5000 };
	struct tpkt web = { PACS, SYMBIA, IPPROTO_TCP, 40001, 80, 5, 0, TCP_SYN };
	struct tpkt other = { PACS, SYMBIA, IPPROTO_TCP, 40002, 3465, 5, 0, TCP_SYN };
	struct tpkt stray = { PACS, SYMBIA, IPPROTO_TCP, 40003, 104, 5, 9, TCP_ACK };
	struct pkt rst;

	assert_int_equal(feed(fx, &ntp), ENG_SETTLE);
	assert_int_equal(feed(fx, &back), ENG_ACCEPT);	/* replies of a settled flow */
	assert_int_equal(feed(fx, &web), ENG_DROP);
	assert_int_equal(fx->r.ev[1], EV_REJECT);
	assert_int_equal(fx->r.line[1], 6);
	assert_int_equal(pkt_parse(fx->r.inj[0], fx->r.injlen[0], &rst), 0);
	assert_int_equal(rst.flags, TCP_RST | TCP_ACK);
	assert_int_equal(rst.ack, 6);
	assert_int_equal(feed(fx, &other), ENG_DROP);
	assert_int_equal(fx->r.ev[2], EV_BLOCK);
	assert_int_equal(fx->r.line[2], 0);		/* the default */
	assert_int_equal(feed(fx, &stray), ENG_DROP);	/* no SYN, no flow */
	assert_int_equal(fx->r.ninj, 1);
}

static void changed_retransmission_ends_flow(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512], evil[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt a = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_ACK, rq, n };
	struct tpkt b = a;

	memcpy(evil, rq, n);
	evil[10] = 'X';			/* another called AE in the same place */
	b.data = evil;
	handshake(fx, 104);
	assert_int_equal(feed(fx, &a), ENG_ACCEPT);
	assert_int_equal(feed(fx, &a), ENG_ACCEPT);	/* true retransmission */
	assert_int_equal(feed(fx, &b), ENG_DROP);
	assert_int_equal(fx->r.ev[fx->r.nev - 1], EV_INVALID);
	assert_string_equal(fx->r.fault[fx->r.nev - 1], "tcp-overlap");
}

/* Three C-ECHO-RQs in one segment, then the sender retransmits them cut
 * otherwise (a smaller MSS, a partial ACK):
 *
 *   |PDU+PDV hdr|command|PDU+PDV hdr|command|PDU+PDV hdr|command|
 *   copies:  [0,5) [5,40) [40,n) [7,n-3) [n-1,n) all pass;
 *            one with a PDV header byte changed ends the flow */
static void recut_retransmission_passes(void **state)
{
	struct fx *fx = *state;
	struct pb m = { .n = 0 };
	uint32_t seq;
	const size_t cut[][2] = { { 0, 5 }, { 5, 40 }, { 40, 0 }, { 7, 3 }, { 1, 0 } };
	uint8_t evil[sizeof(m.b)];
	unsigned i;

	for (i = 0; i < 3; i++)
		pb_echo_cmd(&m, 0x0030);
	seq = associate(fx, 104, ENG_ACCEPT);
	{
		struct tpkt t = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq, 901, TCP_ACK, m.b, m.n };

		assert_int_equal(feed(fx, &t), ENG_ACCEPT);
	}
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		size_t from = cut[i][0] == 1 ? m.n - 1 : cut[i][0];
		size_t to = cut[i][1] == 0 ? m.n : cut[i][1] < 5 ? m.n - cut[i][1] : cut[i][1];
		struct tpkt t = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + (uint32_t)from, 901,
				  TCP_ACK, m.b + from, to - from };

		assert_int_equal(feed(fx, &t), ENG_ACCEPT);
	}
	assert_int_equal(fx->r.nev, 1);			/* the accept, nothing since */
	assert_int_equal(eng_counters(fx->e)->tcp_retransmitted, 5);
	memcpy(evil, m.b, m.n);
	evil[m.n / 3 + 9] ^= 1;				/* the second PDV's length */
	{
		struct tpkt t = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + 20, 901, TCP_ACK,
				  evil + 20, m.n / 3 };

		assert_int_equal(feed(fx, &t), ENG_DROP);
	}
	assert_int_equal(fx->r.ev[fx->r.nev - 1], EV_INVALID);
	assert_string_equal(fx->r.fault[fx->r.nev - 1], "tcp-overlap");
}

/* More structural bytes unacknowledged than the keep holds: a copy of the
 * first C-ECHO-RQ cannot be verified. It is dropped and counted. A burst
 * of them (a stranger's guesses) ends nothing; when they keep coming for
 * ten seconds while nothing moves, as a stuck sender's do, the flow ends
 * with an event instead of hanging. */
static void unverifiable_retransmissions_end_the_flow(void **state)
{
	struct fx *fx = *state;
	struct pb m = { .n = 0 };
	uint32_t seq = associate(fx, 104, ENG_ACCEPT), first = seq;
	unsigned i;

	pb_echo_cmd(&m, 0x0030);
	for (i = 0; i * m.n < 2 * CONFIG_TCP_VERIFY_KEEP; i++, seq += (uint32_t)m.n) {
		struct tpkt t = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq, 901, TCP_ACK, m.b, m.n };

		assert_int_equal(feed(fx, &t), ENG_ACCEPT);
	}
	for (i = 0; i < 13; i++) {
		struct tpkt t = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, first, 901, TCP_ACK, m.b, m.n };

		fx->later_ns = i < 8 ? 0 : (i - 7) * 2000000000ull;	/* 8 at once, then 2 s apart */
		assert_int_equal(feed(fx, &t), ENG_DROP);
		assert_int_equal(eng_counters(fx->e)->tcp_unverifiable, i + 1);
		assert_int_equal(fx->r.nev, i < 12 ? 1 : 2);
	}
	assert_int_equal(fx->r.ev[1], EV_INVALID);
	assert_string_equal(fx->r.fault[1], "tcp-unverifiable");
}

/* The acceptor's next sequence number once associate() is done. */
static uint32_t symbia_next(void)
{
	uint8_t ac[512];

	return 901 + (uint32_t)build_ac(ac);
}

/*   pacs ──RST seq=next──▶ ends the flow, passes
 *        ──RST seq=next+1000 (inside the window)──▶ passes, the flow lives
 *        ──RST seq=next+2^31──▶ dropped, the flow lives
 * and the same from symbia's side. */
static void reset_only_at_the_exact_sequence(void **state)
{
	struct fx *fx = *state;
	uint32_t seq = associate(fx, 104, ENG_ACCEPT), sseq = symbia_next();
	struct tpkt out = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + 0x80000000u, 901, TCP_RST };
	struct tpkt in = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + 1000, 901, TCP_RST };
	struct tpkt sout = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, sseq - 2000, seq, TCP_RST };
	struct tpkt sin = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, sseq + 7, seq, TCP_RST | TCP_ACK };
	struct tpkt exact = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq, 901, TCP_RST };

	assert_int_equal(feed(fx, &out), ENG_DROP);
	assert_int_equal(feed(fx, &sout), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->tcp_out_of_window, 2);
	assert_int_equal(feed(fx, &in), ENG_ACCEPT);
	assert_int_equal(feed(fx, &sin), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	assert_int_equal(feed(fx, &exact), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
}

/* A blind stranger's ACK passes (symbia's stack judges it) but is not
 * believed: with its sequence number outside symbia's window, its ACK of
 * bytes symbia never acknowledged frees no kept copy, and its zero
 * window narrows no reset window.
 *
 *   pacs ──3 C-ECHO-RQs──▶ symbia
 *   ??   ──ACK seq=symbia+2^31 ack=all win=0 (as symbia)──▶ pacs: passes
 *   ??   ──the same as a SYN-ACK──▶ pacs: passes
 *   pacs ──the second PDV again, its length changed──▶ dropped, tcp-overlap
 *   pacs ──RST seq=next+1000 (in the real window)──▶ passes, the flow lives */
static struct pb echo_rqs(unsigned n)
{
	struct pb m = { .n = 0 };

	while (n--)
		pb_echo_cmd(&m, 0x0030);
	return m;
}

static void blind_ack_moves_nothing(void **state)
{
	struct fx *fx = *state;
	struct pb m = echo_rqs(3);
	uint32_t seq = associate(fx, 104, ENG_ACCEPT), sseq = symbia_next();
	uint8_t evil[sizeof(m.b)];
	struct tpkt data = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq, sseq, TCP_ACK, m.b, m.n };
	struct tpkt blind = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, sseq + 0x80000000u,
			      seq + (uint32_t)m.n, TCP_ACK, .has_win = 1, .win = 0 };
	struct tpkt blind_synack = blind;
	struct tpkt changed = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + 20, sseq, TCP_ACK,
				evil + 20, m.n / 3 };
	struct tpkt rst = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + (uint32_t)m.n + 1000, 0,
			    TCP_RST };

	memcpy(evil, m.b, m.n);
	evil[m.n / 3 + 9] ^= 1;				/* the second PDV's length */
	assert_int_equal(feed(fx, &data), ENG_ACCEPT);
	blind_synack.flags = TCP_SYN | TCP_ACK;
	assert_int_equal(feed(fx, &blind), ENG_ACCEPT);
	assert_int_equal(feed(fx, &blind_synack), ENG_ACCEPT);
	assert_int_equal(feed(fx, &rst), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	assert_int_equal(feed(fx, &changed), ENG_DROP);
	assert_int_equal(fx->r.ev[fx->r.nev - 1], EV_INVALID);
	assert_string_equal(fx->r.fault[fx->r.nev - 1], "tcp-overlap");
}

/* The SYN queue parses its packet once, to check it is a bare SYN, and
 * the engine judges it from that parse: the same verdict and counts as
 * eng_packet(), the flow made, and the RQ after it judged as usual. */
static void packet_parsed_by_the_caller(void **state)
{
	struct fx *fx = *state;
	struct tpkt syn = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 100, 0, TCP_SYN };
	struct tpkt synack = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 900, 101, TCP_SYN | TCP_ACK };
	uint8_t b[256], rq[512];
	struct tpkt r = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_ACK, rq,
			  build_rq(rq, "PACS", "SYMBIA") };
	struct eng_pkt pk = { .l3 = b, .ts_ns = 1000000000000ull, .id = 1,
			      .from = { .ifindex = 1 } };
	enum eng_verdict v;
	struct pkt p;

	pk.len = tpkt_build(b, &syn);
	assert_int_equal(pkt_parse(b, pk.len, &p), 0);
	assert_int_equal(eng_packet_parsed(fx->e, &pk, &p, &v), 0);
	assert_int_equal(v, ENG_OPEN);
	assert_int_equal(eng_counters(fx->e)->packets, 1);
	assert_int_equal(eng_counters(fx->e)->accepted, 1);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	fx->id = 1;
	assert_int_equal(feed(fx, &synack), ENG_ACCEPT);
	assert_int_equal(feed(fx, &r), ENG_ACCEPT);
}

/* associate() on port 104 with window scale options in the SYN and the
 * SYN-ACK (-1: none; acc -2: the SYN-ACK passed in the kernel, unseen). */
static uint32_t associate_ws(struct fx *fx, int ini, int acc)
{
	uint8_t rq[512], ac[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt syn = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 100, 0, TCP_SYN };
	struct tpkt synack = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 900, 101, TCP_SYN | TCP_ACK };
	struct tpkt r = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_ACK, rq, n };
	struct tpkt a = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 901, 101 + (uint32_t)n, TCP_ACK,
			  ac, build_ac(ac) };

	syn.has_ws = ini >= 0, syn.ws = (uint8_t)ini;
	synack.has_ws = acc >= 0, synack.ws = (uint8_t)acc;
	assert_int_equal(feed(fx, &syn), ENG_OPEN);
	if (acc != -2)
		assert_int_equal(feed(fx, &synack), ENG_ACCEPT);
	assert_int_equal(feed(fx, &r), ENG_ACCEPT);
	assert_int_equal(feed(fx, &a), ENG_ACCEPT);
	return 101 + (uint32_t)n;
}

/* A reset inside its receiver's window passes and ends nothing, one a byte
 * past it is dropped; each window (8192 on the wire here) is scaled as its
 * end's SYN said, when both SYNs carried the option (RFC 7323):
 *
 *   SYN      SYN-ACK   symbia's window   pacs's window
 *   -        -         8192              8192
 *   ws 2     ws 7      8192 << 7         8192 << 2
 *   ws 2     -         8192              8192
 *   ws 2     unseen    8192 << 14        8192 << 2     (the most it can be) */
static void reset_window_scaled_as_negotiated(void **state)
{
	static const struct {
		int ini, acc;
		unsigned to_symbia, to_pacs;
	} c[] = { { -1, -1, 0, 0 }, { 2, 7, 7, 2 }, { 2, -1, 0, 0 }, { 2, -2, 14, 2 } };
	struct fx *fx = *state;

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t seq = associate_ws(fx, c[i].ini, c[i].acc), sseq = symbia_next();
		uint32_t ws = 0x2000u << c[i].to_symbia, wp = 0x2000u << c[i].to_pacs;
		struct tpkt past = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + ws + 1, 0, TCP_RST };
		struct tpkt edge = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + ws, 0, TCP_RST };
		struct tpkt spast = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, sseq + wp + 1, 0, TCP_RST };
		struct tpkt sedge = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, sseq + wp, 0, TCP_RST };
		struct tpkt exact = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq, 0, TCP_RST };

		assert_int_equal(feed(fx, &past), ENG_DROP);
		assert_int_equal(feed(fx, &spast), ENG_DROP);
		assert_int_equal(feed(fx, &edge), ENG_ACCEPT);
		assert_int_equal(feed(fx, &sedge), ENG_ACCEPT);
		assert_int_equal(eng_counters(fx->e)->tcp_out_of_window, 2 * (i + 1));
		assert_int_equal(feed(fx, &exact), ENG_ACCEPT);
		assert_int_equal(eng_counters(fx->e)->flows_live, 0);
	}
}

static void reset_from_the_acceptor(void **state)
{
	struct fx *fx = *state;
	uint32_t seq = associate(fx, 104, ENG_ACCEPT);
	struct tpkt exact = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, symbia_next(), seq, TCP_RST };

	assert_int_equal(feed(fx, &exact), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
}

/* The acceptor refuses the connection: its RST|ACK answers the SYN, whose
 * sequence numbers it never told us. Taken when it acknowledges the SYN
 * exactly, as the initiator in SYN-SENT takes it. */
static void reset_answering_the_syn(void **state)
{
	struct fx *fx = *state;
	struct tpkt syn = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 100, 0, TCP_SYN };
	struct tpkt wrong = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 0, 5000, TCP_RST | TCP_ACK };
	struct tpkt rst = { SYMBIA, PACS, IPPROTO_TCP, 104, 40000, 0, 101, TCP_RST | TCP_ACK };

	assert_int_equal(feed(fx, &syn), ENG_OPEN);
	assert_int_equal(feed(fx, &wrong), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	assert_int_equal(feed(fx, &rst), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
}

/* A held RQ piece was acknowledged in symbia's name; pacs's reset at its
 * own next byte lies past what symbia has: dropped, and symbia gets one
 * at its rcv_nxt (the first held byte). */
static void reset_while_the_rq_is_held(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	struct tpkt a = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_ACK, rq, 50 };
	struct tpkt rst = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 151, 901, TCP_RST };
	struct pkt r;

	build_rq(rq, "PACS", "SYMBIA");
	handshake(fx, 104);
	assert_int_equal(feed(fx, &a), ENG_HOLD);
	assert_int_equal(feed(fx, &rst), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
	assert_int_equal(fx->r.rv[0], ENG_DROP);		/* the held piece */
	assert_int_equal(fx->r.ninj, 2);			/* the ACK, then the reset */
	assert_int_equal(pkt_parse(fx->r.inj[1], fx->r.injlen[1], &r), 0);
	assert_int_equal(r.flags, TCP_RST | TCP_ACK);
	assert_int_equal(r.key.dport, 104);
	assert_int_equal(r.seq, 101);
}

/* URG at the next byte to inspect ends the flow (the receiver would take
 * the urgent byte out of the stream); elsewhere it is dropped. */
static void urgent_data_ends_the_flow(void **state)
{
	struct fx *fx = *state;
	struct pb m = { .n = 0 };
	uint32_t seq = associate(fx, 104, ENG_ACCEPT);
	struct tpkt blind = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq + 100, 901,
			      TCP_ACK | TCP_URG, "x", 1 };
	struct tpkt urg = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, seq, 901, TCP_ACK | TCP_URG };
	struct pkt r;

	pb_echo_cmd(&m, 0x0030);
	assert_int_equal(feed(fx, &blind), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	urg.data = m.b;
	urg.dlen = m.n;
	assert_int_equal(feed(fx, &urg), ENG_DROP);
	assert_int_equal(fx->r.ev[fx->r.nev - 1], EV_INVALID);
	assert_string_equal(fx->r.fault[fx->r.nev - 1], "tcp-urgent");
	/* symbia never got the segment: its reset is at its next byte */
	assert_int_equal(fx->r.ninj, 2);
	assert_int_equal(pkt_parse(fx->r.inj[1], fx->r.injlen[1], &r), 0);
	assert_int_equal(r.key.dport, 104);
	assert_int_equal(r.flags & TCP_RST, TCP_RST);
	assert_int_equal(r.seq, seq);
}

static void policy_swap_keeps_association(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "PACS", "SYMBIA");
	struct tpkt a = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_ACK, rq, 30 };
	struct tpkt b = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 131, 901, TCP_ACK, rq + 30, n - 30 };
	static const char p2[] = "device symbia 10.0.0.2 ae SYMBIA\ndefault block\n";

	handshake(fx, 104);
	assert_int_equal(feed(fx, &a), ENG_HOLD);
	assert_int_equal(eng_set_policy(fx->e, pol_parse("p2", p2, sizeof(p2) - 1, NULL)), 0);
	/* judged by the policy it started under */
	assert_int_equal(feed(fx, &b), ENG_ACCEPT);
	assert_int_equal(fx->r.nreleased, 1);
	assert_int_equal(fx->r.rv[0], ENG_ACCEPT);
}

/* A settled association (inspect association, port 105) goes on through a
 * policy change that still allows DICOM on its tuple; one the new policy
 * no longer allows is revoked in the kernel and dropped here. */
static void settled_association_across_policy_changes(void **state)
{
	struct fx *fx = *state;
	static const char same[] =
		"device symbia 10.0.0.2 ae SYMBIA\npeer pacs 10.0.0.1 ae PACS\n"
		"allow dicom from pacs to symbia port 105 services verification inspect association\n"
		"default block\n";
	static const char none[] = "device symbia 10.0.0.2 ae SYMBIA\ndefault block\n";
	uint32_t seq = associate(fx, 105, ENG_SETTLE);
	struct tpkt data = { PACS, SYMBIA, IPPROTO_TCP, 40000, 105, seq, 901, TCP_ACK, "xx", 2 };

	assert_int_equal(eng_set_policy(fx->e, pol_parse("same", same, sizeof(same) - 1, NULL)), 0);
	assert_int_equal(fx->r.revoked, 0);
	assert_int_equal(feed(fx, &data), ENG_ACCEPT);
	assert_int_equal(eng_set_policy(fx->e, pol_parse("none", none, sizeof(none) - 1, NULL)), 0);
	assert_int_equal(fx->r.revoked, 1);
	assert_int_equal(fx->r.revoked_deny, 1);
	assert_int_equal(feed(fx, &data), ENG_DROP);
}

/* A refused association stays refused through a policy change: its
 * initiator is still answered with a reset. */
static void refused_flow_across_policy_change(void **state)
{
	struct fx *fx = *state;
	uint8_t rq[512];
	size_t n = build_rq(rq, "INTRUDER", "SYMBIA");
	struct tpkt r = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101, 901, TCP_ACK, rq, n };
	struct tpkt fin = { PACS, SYMBIA, IPPROTO_TCP, 40000, 104, 101 + (uint32_t)n, 911,
			    TCP_ACK | TCP_FIN };
	static const char p2[] = "device symbia 10.0.0.2 ae SYMBIA\ndefault block\n";
	unsigned inj;

	handshake(fx, 104);
	assert_int_equal(feed(fx, &r), ENG_DROP);
	assert_int_equal(eng_set_policy(fx->e, pol_parse("p2", p2, sizeof(p2) - 1, NULL)), 0);
	inj = fx->r.ninj;
	assert_int_equal(feed(fx, &fin), ENG_DROP);
	assert_int_equal(fx->r.ninj, inj + 1);	/* the reset */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rq_in_pieces_is_held_then_released, setup, teardown),
		cmocka_unit_test_setup_teardown(answer_due_only_while_an_answer_is_judged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(synack_skipped_once_the_acceptor_is_known, setup, teardown),
		cmocka_unit_test_setup_teardown(synack_queued_while_the_acceptor_is_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(acceptor_not_learnt_at_the_initiators_port, setup, teardown),
		cmocka_unit_test_setup_teardown(refusal_resets_the_acceptor_at_its_remembered_port, setup,
						teardown),
		cmocka_unit_test_setup_teardown(held_rq_acked_with_an_open_window_before_any_acceptor_packet,
						setup, teardown),
		cmocka_unit_test_setup_teardown(data_on_a_syn_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(retransmitted_held_piece_stays_held, setup, teardown),
		cmocka_unit_test_setup_teardown(released_rq_sent_again_until_acknowledged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(partial_header_held_mid_pdata, setup, teardown),
		cmocka_unit_test_setup_teardown(stream_cut_inside_a_header_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(parked_segments_are_judged_from_their_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(large_parked_segment_goes_through_the_hook_again, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_parked_segment_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(parked_copy_and_flow_end, setup, teardown),
		cmocka_unit_test_setup_teardown(full_park_drops, setup_small_park, teardown),
		cmocka_unit_test_setup_teardown(no_icmp_answer_to_multicast, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_calling_ae_gets_rj_and_device_a_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(inspect_association_settles_after_ac, setup, teardown),
		cmocka_unit_test_setup_teardown(settles_when_the_device_rejects_the_outside_context,
						setup, teardown),
		cmocka_unit_test_setup_teardown(inspected_in_full_when_the_device_accepts_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(plain_flows, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_tuple_is_judged_again, setup, teardown),
		cmocka_unit_test_setup_teardown(syn_retransmission_keeps_the_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(changed_retransmission_ends_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(recut_retransmission_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(unverifiable_retransmissions_end_the_flow, setup,
						teardown),
		cmocka_unit_test_setup_teardown(reset_only_at_the_exact_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(blind_ack_moves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_from_the_acceptor, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_window_scaled_as_negotiated, setup, teardown),
		cmocka_unit_test_setup_teardown(packet_parsed_by_the_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_answering_the_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_while_the_rq_is_held, setup, teardown),
		cmocka_unit_test_setup_teardown(urgent_data_ends_the_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(policy_swap_keeps_association, setup, teardown),
		cmocka_unit_test_setup_teardown(settled_association_across_policy_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_flow_across_policy_change, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
