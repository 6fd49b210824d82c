/* What a stranger can make the engine hold (admit.c), its deadlines, and
 * reloads that must never be refused:
 *
 *   pacs    10.0.0.1      (named by host address) ─┐
 *   viewers 10.0.1.0/24   (a range)               ─┼─ port 1 ─[engine]─ port 2 ── scp 10.0.0.2:104
 *                                                                     (and :8080 plain, udp :4000)
 *
 * SYNs cost a flow table entry only; the association slot and the RQ
 * buffer come with the first data, the ranges get what the named peers'
 * share leaves, and a negotiation has ARTIM seconds to finish. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scanwall/config.h"
#include "scanwall/dicom.h"
#include "scanwall/engine.h"
#include "engine/engine_int.h"
#include "engine/pkt.h"
#include "engine/reply.h"
#include "pktgen.h"
#include "test_dicom_pdu.h"

static const char policy[] =
	"device scp 10.0.0.2 ae ANY-SCP\n"
	"peer pacs 10.0.0.1 ae any\n"
	"peer viewers 10.0.1.0/24 ae any\n"
	"allow dicom from pacs to scp port 104 services verification\n"
	"allow dicom from viewers to scp port 104 services verification\n"
	"allow tcp from viewers to scp port 8080\n"
	"allow udp from viewers to scp port 4000\n"
	"default block\n";

#define PACS "10.0.0.1"
#define SCP "10.0.0.2"
#define ISN 1000u	/* every initiator's */
#define ISN_SCP 5000u	/* the acceptor's */
#define SEC 1000000000ull

struct rec {
	unsigned ninj, nrel, nev;
	uint8_t inj[4][REPLY_MAX];	/* the last four, by ninj % 4 */
	size_t injlen[4];
	uint32_t injport[4];
	enum eng_verdict rv[64];
	enum ev_kind ev[64];
	char fault[64][32];
	uint64_t ev_ts[64];
};

static void r_release(void *ctx, uint32_t id, enum eng_verdict v)
{
	struct rec *r = ctx;

	(void)id;
	r->rv[r->nrel++ % 64] = v;
}

static void r_inject(void *ctx, const uint8_t *l3, size_t len, const struct eng_port *to)
{
	struct rec *r = ctx;

	unsigned i = r->ninj++ % 4;

	memcpy(r->inj[i], l3, len);
	r->injlen[i] = len;
	r->injport[i] = to->ifindex;
}

static void r_event(void *ctx, const struct sw_event *ev)
{
	struct rec *r = ctx;
	unsigned i = r->nev++ % 64;

	r->ev[i] = ev->kind;
	r->ev_ts[i] = ev->ts_ns;
	snprintf(r->fault[i], sizeof(r->fault[0]), "%s", ev->fault ? ev->fault : "");
}

static const struct eng_ops ops = { .release = r_release, .inject = r_inject, .event = r_event };

struct fx {
	struct eng *e;
	struct rec r;
	uint32_t id;
	uint64_t now, wall;	/* the engine's clock; the wall clock, 0: the same */
	struct pb rq, ac;
};

static const struct eng_port at_lan = { .ifindex = 1, .mac = { 2, 0, 0, 0, 0, 1 }, .has_mac = 1 };
static const struct eng_port at_dev = { .ifindex = 2, .mac = { 2, 0, 0, 0, 0, 2 }, .has_mac = 1 };

/* Kconfig's limits, but 16 slots, 8 negotiations (a quarter of each kept
 * for named peers: 12 and 6 for the ranges), 8 SYNs a source, 2 seconds
 * ARTIM and a table of `flows` entries. */
static int setup_flows(void **state, unsigned flows)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct pol *pol = pol_parse("test", policy, sizeof(policy) - 1, stderr);
	struct eng_cfg cfg;

	assert_non_null(pol);
	eng_cfg_default(&cfg);
	cfg.flows = flows;
	cfg.assocs = 16;
	cfg.rq_bufs = 8;
	cfg.syn_per_src = 8;
	cfg.negotiating_per_src = 2;
	cfg.named_reserve_pct = 25;
	cfg.artim_s = 2;
	fx->e = eng_new(&cfg, &ops, &fx->r);
	assert_non_null(fx->e);
	assert_int_equal(eng_set_policy(fx->e, pol), 0);
	fx->now = 1000 * SEC;
	pb_echo_rq(&fx->rq);
	pb_echo_ac(&fx->ac);
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return setup_flows(state, 1024);
}

static int setup_tiny_table(void **state)
{
	return setup_flows(state, 8);
}

static int setup_table9(void **state)
{
	return setup_flows(state, 9);
}

static int setup_table64(void **state)
{
	return setup_flows(state, 64);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	eng_free(fx->e);
	free(fx);
	return 0;
}

static enum eng_verdict feed(struct fx *fx, const struct tpkt *t, const struct eng_port *from)
{
	uint8_t b[2048];
	struct eng_pkt pk = { .l3 = b, .ts_ns = fx->now, .wall_ns = fx->wall, .id = ++fx->id,
			      .from = *from };
	enum eng_verdict v;

	pk.len = tpkt_build(b, t);
	eng_packet(fx->e, &pk, &v);
	return v;
}

static enum eng_verdict syn(struct fx *fx, const char *src, uint16_t sport)
{
	struct tpkt t = { src, SCP, IPPROTO_TCP, sport, 104, ISN, 0, TCP_SYN };

	return feed(fx, &t, &at_lan);
}

static enum eng_verdict synack(struct fx *fx, const char *src, uint16_t sport)
{
	struct tpkt t = { SCP, src, IPPROTO_TCP, 104, sport, ISN_SCP, ISN + 1, TCP_SYN | TCP_ACK };

	return feed(fx, &t, &at_dev);
}

/* n bytes of the RQ from offset off, in order after the handshake */
static enum eng_verdict rq(struct fx *fx, const char *src, uint16_t sport, size_t off, size_t n)
{
	struct tpkt t = { src, SCP, IPPROTO_TCP, sport, 104, ISN + 1 + (uint32_t)off, ISN_SCP + 1,
			  TCP_ACK | TCP_PSH, fx->rq.b + off, n };

	return feed(fx, &t, &at_lan);
}

static enum eng_verdict ac(struct fx *fx, const char *src, uint16_t sport)
{
	struct tpkt t = { SCP, src, IPPROTO_TCP, 104, sport, ISN_SCP + 1,
			  ISN + 1 + (uint32_t)fx->rq.n, TCP_ACK | TCP_PSH, fx->ac.b, fx->ac.n };

	return feed(fx, &t, &at_dev);
}

/* A handshake and the first 10 bytes of an RQ, then nothing: held. */
static void stall(struct fx *fx, const char *src, uint16_t sport)
{
	assert_int_not_equal(syn(fx, src, sport), ENG_DROP);
	assert_int_equal(synack(fx, src, sport), ENG_ACCEPT);
	assert_int_equal(rq(fx, src, sport, 0, 10), ENG_HOLD);
}

/* The whole association: SYN, SYN-ACK, RQ, AC. */
static void associate(struct fx *fx, const char *src, uint16_t sport)
{
	assert_int_not_equal(syn(fx, src, sport), ENG_DROP);
	assert_int_equal(synack(fx, src, sport), ENG_ACCEPT);
	assert_int_equal(rq(fx, src, sport, 0, fx->rq.n), ENG_ACCEPT);
	assert_int_equal(ac(fx, src, sport), ENG_ACCEPT);
}

static const char *viewer(unsigned i)
{
	static char s[8][16];
	char *b = s[i % 8];

	snprintf(b, sizeof(s[0]), "10.0.1.%u", i);
	return b;
}

/* The injected packet `back` before the last (0: the last one): its PDU
 * type, 0 for none; *port: where it went. */
static uint8_t injected(const struct fx *fx, unsigned back, uint32_t *port)
{
	unsigned i = (fx->r.ninj - 1 - back) % 4;
	struct pkt p;

	assert_int_equal(pkt_parse(fx->r.inj[i], fx->r.injlen[i], &p), 0);
	*port = fx->r.injport[i];
	return p.plen ? p.payload[0] : 0;
}

/* 200 SYNs from the range fill nothing: all 16 slots are still there. */
static void syn_takes_no_slot(void **state)
{
	struct fx *fx = *state;
	unsigned i;

	for (i = 1; i <= 200; i++)
		assert_int_not_equal(syn(fx, viewer(i), 40000), ENG_DROP);
	for (i = 0; i < 16; i++)
		associate(fx, PACS, (uint16_t)(41000 + i));
	assert_int_equal(eng_counters(fx->e)->fault[DCM_R_BUSY], 0);
}

/* The ranges get 12 of 16 slots and 6 of 8 negotiations; the next viewer
 * is refused as busy (an RJ, counted), the PACS still gets in. */
static void range_share_leaves_room_for_named_peers(void **state)
{
	struct fx *fx = *state;
	uint32_t port;
	unsigned i;

	for (i = 1; i <= 6; i++)
		stall(fx, viewer(i), 40000);
	assert_int_not_equal(syn(fx, viewer(7), 40000), ENG_DROP);
	assert_int_equal(synack(fx, viewer(7), 40000), ENG_ACCEPT);
	assert_int_equal(rq(fx, viewer(7), 40000, 0, 10), ENG_DROP);
	assert_int_equal(injected(fx, 1, &port), 0x03);	/* A-ASSOCIATE-RJ */
	assert_int_equal(port, at_lan.ifindex);
	assert_int_equal(injected(fx, 0, &port), 0);	/* scp's reset */
	assert_int_equal(port, at_dev.ifindex);
	assert_int_equal(eng_counters(fx->e)->fault[DCM_R_BUSY], 1);
	assert_string_equal(fx->r.fault[(fx->r.nev - 1) % 64], "busy");
	associate(fx, PACS, 41000);
	stall(fx, PACS, 41001);
}

/* Two negotiations a source address; a third waits for one to end. It
 * is refused before it takes a slot, not after: the pool's high-water
 * mark stays at the two held ones. */
static void negotiations_capped_per_source(void **state)
{
	struct fx *fx = *state;

	stall(fx, viewer(1), 40000);
	stall(fx, viewer(1), 40001);
	assert_int_not_equal(syn(fx, viewer(1), 40002), ENG_DROP);
	assert_int_equal(rq(fx, viewer(1), 40002, 0, 10), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->fault[DCM_R_BUSY], 1);
	assert_int_equal(dcm_pool_span(fx->e->dcm), 2);
	stall(fx, viewer(2), 40000);	/* another source is not */
}

/* A refused initiator's answers come out of its source's answer budget
 * (answerlim.c): a flood of packets at its refused flow gets a second's
 * worth of resets, then silence; a busy refusal over the budget is an
 * event without an RJ, and only scp, whose end it frees, gets its reset. */
static void refusals_answered_within_the_limit(void **state)
{
	struct fx *fx = *state;
	unsigned rate = CONFIG_RULESET_ANSWER_SOURCE_RATE, inj, i;
	uint32_t port;

	stall(fx, viewer(1), 40000);
	stall(fx, viewer(1), 40001);
	assert_int_not_equal(syn(fx, viewer(1), 40002), ENG_DROP);
	inj = fx->r.ninj;
	assert_int_equal(rq(fx, viewer(1), 40002, 0, 10), ENG_DROP);	/* busy */
	assert_int_equal(fx->r.ninj, inj + 2);				/* RJ, reset */
	for (i = 0; i < 3 * rate; i++)
		assert_int_equal(rq(fx, viewer(1), 40002, 10, 10), ENG_DROP);
	assert_int_equal(fx->r.ninj, inj + 2 + rate - 1);
	assert_int_equal(eng_counters(fx->e)->answers_limited, 2 * rate + 1);
	assert_int_not_equal(syn(fx, viewer(1), 40003), ENG_DROP);
	assert_int_equal(rq(fx, viewer(1), 40003, 0, 10), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->fault[DCM_R_BUSY], 2);
	assert_int_equal(fx->r.ninj, inj + 2 + rate);
	assert_int_equal(injected(fx, 0, &port), 0);
	assert_int_equal(port, at_dev.ifindex);
	fx->now += SEC;
	assert_int_equal(rq(fx, viewer(1), 40002, 10, 10), ENG_DROP);
	assert_int_equal(fx->r.ninj, inj + 3 + rate);
}

/* Eight unestablished flows a source address; the PACS has no cap. */
static void syns_capped_per_source(void **state)
{
	struct fx *fx = *state;
	unsigned i;

	for (i = 0; i < 8; i++)
		assert_int_equal(syn(fx, viewer(1), (uint16_t)(40000 + i)), ENG_OPEN);
	assert_int_equal(syn(fx, viewer(1), 40008), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->syn_capped, 1);
	for (i = 0; i < 20; i++)
		assert_int_not_equal(syn(fx, PACS, (uint16_t)(41000 + i)), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->syn_capped, 1);
}

/* An RQ begun and never finished: after ARTIM the initiator gets an
 * A-ABORT, scp a reset, the held piece is dropped, and the negotiation
 * is free for the next one. */
static void artim_expiry_answers_and_frees(void **state)
{
	struct fx *fx = *state;
	const struct eng_counters *c = eng_counters(fx->e);
	unsigned i, inj;
	uint32_t port;

	for (i = 1; i <= 6; i++)
		stall(fx, viewer(i), 40000);
	fx->now += 2 * SEC;
	eng_expire(fx->e, fx->now);
	assert_int_equal(c->assoc_artim, 0);	/* not yet */
	fx->now += 1 * SEC;
	inj = fx->r.ninj;
	eng_expire(fx->e, fx->now);
	assert_int_equal(c->assoc_artim, 6);
	assert_int_equal(fx->r.ninj, inj + 12);		/* an A-ABORT and a reset each */
	assert_int_equal(injected(fx, 1, &port), 0x07);
	assert_int_equal(port, at_lan.ifindex);
	assert_int_equal(injected(fx, 0, &port), 0);
	assert_int_equal(port, at_dev.ifindex);
	assert_int_equal(fx->r.nrel, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(fx->r.rv[i], ENG_DROP);
	assert_int_equal(fx->r.ev[(fx->r.nev - 1) % 64], EV_ASSOC_ABORT);
	assert_string_equal(fx->r.fault[(fx->r.nev - 1) % 64], "artim-expired");
	/* the refused initiator's next packet is answered with a reset */
	assert_int_equal(rq(fx, viewer(1), 40000, 10, 10), ENG_DROP);
	for (i = 7; i <= 12; i++)
		stall(fx, viewer(i), 40000);
	assert_int_equal(c->fault[DCM_R_BUSY], 0);
}

/* A negotiation that finishes in time is not touched by ARTIM. */
static void artim_spares_the_negotiated(void **state)
{
	struct fx *fx = *state;

	associate(fx, viewer(1), 40000);
	fx->now += 10 * SEC;
	eng_expire(fx->e, fx->now);
	assert_int_equal(eng_counters(fx->e)->assoc_artim, 0);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
}

/* A full table drops its oldest unestablished flow for a new one. */
static void full_table_drops_the_oldest_syn(void **state)
{
	struct fx *fx = *state;
	unsigned i;

	for (i = 1; i <= 8; i++) {
		assert_int_not_equal(syn(fx, viewer(i), 40000), ENG_DROP);
		fx->now += SEC;
	}
	assert_int_equal(eng_counters(fx->e)->syn_early_drop, 0);
	associate(fx, PACS, 41000);
	assert_int_equal(eng_counters(fx->e)->syn_early_drop, 1);
	/* viewer 1's flow went, viewer 2's is still there */
	assert_int_equal(rq(fx, viewer(1), 40000, 0, 10), ENG_DROP);
	assert_int_equal(synack(fx, viewer(2), 40000), ENG_ACCEPT);
	assert_int_equal(rq(fx, viewer(2), 40000, 0, 10), ENG_HOLD);
}

/* A plain TCP port the viewers may reach uninspected: a SYN passes
 * unmarked and the flow is unestablished until the initiator acknowledges
 * scp's SYN-ACK, so spoofed SYNs to it fill the table only with flows a
 * full table drops first. The PACS still gets its association. */
static enum eng_verdict plain(struct fx *fx, const char *src, uint16_t sport, uint8_t flags,
			      uint32_t seq, uint32_t ack, const struct eng_port *from)
{
	struct tpkt t = { src, SCP, IPPROTO_TCP, sport, 8080, seq, ack, flags };

	if (from == &at_dev)
		t = (struct tpkt){ SCP, src, IPPROTO_TCP, 8080, sport, seq, ack, flags };
	return feed(fx, &t, from);
}

/* scp's SYN-ACK to a plain SYN, and the initiator's ACK of it: settled. */
static void plain_answered(struct fx *fx, const char *src, uint16_t sport)
{
	assert_int_equal(plain(fx, src, sport, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 1, &at_dev),
			 ENG_ACCEPT);
	assert_int_equal(plain(fx, src, sport, TCP_ACK, ISN + 1, ISN_SCP + 1, &at_lan), ENG_SETTLE);
}

static void plain_syns_leave_room(void **state)
{
	struct fx *fx = *state;
	unsigned i;

	for (i = 1; i <= 8; i++) {
		assert_int_equal(plain(fx, viewer(i), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
		fx->now += SEC;
	}
	associate(fx, PACS, 41000);
	assert_int_equal(eng_counters(fx->e)->syn_early_drop, 1);
	assert_int_equal(eng_counters(fx->e)->flows_table_full, 0);
}

/* Evidence of a handshake settles a plain flow: scp's SYN-ACK (from its
 * own port, naming the initiator's ISN), then the initiator's ACK naming
 * scp's. Settled, it is established: never dropped for a new flow, and on
 * the hour's timeout. A SYN-ACK forged at the initiator's port, or an ACK
 * that names no SYN-ACK, settles nothing. */
static void plain_handshake_settles(void **state)
{
	struct fx *fx = *state;
	struct eng_cfg cfg;
	unsigned i;

	eng_cfg_default(&cfg);
	struct tpkt forged = { SCP, viewer(1), IPPROTO_TCP, 8080, 40000, 777, ISN + 1,
			       TCP_SYN | TCP_ACK };

	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	assert_int_equal(feed(fx, &forged, &at_lan), ENG_DROP);	/* not scp's port */
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, ISN + 1, 778, &at_lan), ENG_DROP);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 1, &at_dev),
			 ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, ISN + 1, ISN_SCP + 2, &at_lan),
			 ENG_DROP);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, ISN + 1, ISN_SCP + 1, &at_lan),
			 ENG_SETTLE);
	for (i = 2; i <= 9; i++)
		assert_int_equal(plain(fx, viewer(i), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->syn_early_drop, 1);	/* viewer 2's */
	fx->now += (cfg.idle_other_s + 1) * SEC;
	eng_expire(fx->e, fx->now);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, ISN + 1, ISN_SCP + 1, &at_lan),
			 ENG_ACCEPT);	/* the settled flow's, had it come here */
}

/* TCP Fast Open: the SYN carries data, the SYN-ACK acknowledges it too. */
static void plain_syn_with_data_settles(void **state)
{
	struct fx *fx = *state;
	struct tpkt tfo = { viewer(1), SCP, IPPROTO_TCP, 40000, 8080, ISN, 0, TCP_SYN, "GET", 3 };

	assert_int_equal(feed(fx, &tfo, &at_lan), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 4, &at_dev),
			 ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, ISN + 4, ISN_SCP + 1, &at_lan),
			 ENG_SETTLE);
}

/* A reload judges a handshake like any plain flow: still allowed, it goes
 * on to be settled; refused, it ends, and the rest of it is dropped as
 * not part of a known flow. */
static void plain_handshake_across_reloads(void **state)
{
	static const char no_plain[] =
		"device scp 10.0.0.2 ae ANY-SCP\npeer viewers 10.0.1.0/24 ae any\n"
		"allow dicom from viewers to scp port 104 services verification\ndefault block\n";
	struct fx *fx = *state;

	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 1, &at_dev),
			 ENG_ACCEPT);
	assert_int_equal(eng_set_policy(fx->e, pol_parse("p", policy, sizeof(policy) - 1, NULL)), 0);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_ACK, ISN + 1, ISN_SCP + 1, &at_lan),
			 ENG_SETTLE);
	assert_int_equal(eng_set_policy(fx->e, pol_parse("p", no_plain, sizeof(no_plain) - 1,
							 NULL)), 0);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 1, &at_dev),
			 ENG_DROP);
}

/* With half the negotiations in use, a new SYN's SYN-ACK comes to the
 * engine (ENG_OPEN although scp's port is known), and a slot goes only to
 * first data that acknowledges it: a blind spoofer's guess gets nothing. */
static void under_pressure_the_first_data_proves_the_handshake(void **state)
{
	struct fx *fx = *state;
	struct tpkt forged = { viewer(9), SCP, IPPROTO_TCP, 40000, 104, ISN + 1, 12345,
			       TCP_ACK | TCP_PSH, fx->rq.b, 10 };

	stall(fx, PACS, 41000);
	assert_int_equal(syn(fx, viewer(1), 40000), ENG_OPEN_SYNACK);	/* no pressure yet */
	stall(fx, PACS, 41001);
	stall(fx, PACS, 41002);
	stall(fx, PACS, 41003);		/* 4 of 8 negotiating */
	assert_int_equal(syn(fx, viewer(9), 40000), ENG_OPEN);
	assert_int_equal(rq(fx, viewer(9), 40000, 0, 10), ENG_DROP);	/* no SYN-ACK seen */
	assert_int_equal(synack(fx, viewer(9), 40000), ENG_ACCEPT);
	assert_int_equal(feed(fx, &forged, &at_lan), ENG_DROP);	/* a wrong ISN */
	assert_int_equal(eng_counters(fx->e)->assoc_unproven, 2);
	assert_int_equal(rq(fx, viewer(9), 40000, 0, 10), ENG_HOLD);
}

/* Before its first data a flow knows only the initiator's ISN: a reset
 * that names it ends the flow, a blind one is dropped. */
static void blind_reset_spares_an_unestablished_flow(void **state)
{
	struct fx *fx = *state;
	struct tpkt blind_in = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, 77777, 0, TCP_RST };
	struct tpkt blind_back = { SCP, viewer(1), IPPROTO_TCP, 104, 40000, 88888, 99, TCP_RST | TCP_ACK };
	struct tpkt real = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, ISN + 1, 0, TCP_RST };

	assert_int_not_equal(syn(fx, viewer(1), 40000), ENG_DROP);
	assert_int_equal(feed(fx, &blind_in, &at_lan), ENG_DROP);
	assert_int_equal(feed(fx, &blind_back, &at_dev), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	assert_int_equal(feed(fx, &real, &at_lan), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
}

/* Where scp sits is learnt only from a SYN-ACK that acknowledges the
 * initiator's SYN exactly (dflow.c): a blind one, sent from another
 * bridge port to have scp's resets and ACKs sent there, teaches nothing;
 * the next SYN's SYN-ACK still comes to the engine (ENG_OPEN). */
static void blind_synack_teaches_no_port(void **state)
{
	struct fx *fx = *state;
	const struct eng_port elsewhere = { .ifindex = 3, .mac = { 2, 0, 0, 0, 0, 3 },
					    .has_mac = 1 };
	struct tpkt blind = { SCP, PACS, IPPROTO_TCP, 104, 41000, ISN_SCP, ISN + 2,
			      TCP_SYN | TCP_ACK };

	assert_int_equal(syn(fx, PACS, 41000), ENG_OPEN);
	assert_int_equal(feed(fx, &blind, &elsewhere), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->handshake_mismatch, 1);
	assert_int_equal(syn(fx, PACS, 41001), ENG_OPEN);	/* nothing learnt */
	assert_int_equal(synack(fx, PACS, 41000), ENG_ACCEPT);
	assert_int_equal(syn(fx, PACS, 41002), ENG_OPEN_SYNACK);	/* learnt */
}

/* Unestablished flows live idle_other_s, not the hour of established TCP. */
static void syn_on_the_short_timeout(void **state)
{
	struct fx *fx = *state;
	struct eng_cfg cfg;

	eng_cfg_default(&cfg);
	assert_int_not_equal(syn(fx, viewer(1), 40000), ENG_DROP);
	associate(fx, PACS, 41000);
	fx->now += (cfg.idle_other_s + 1) * SEC;
	eng_expire(fx->e, fx->now);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);	/* the association */
	assert_int_equal(rq(fx, viewer(1), 40000, 0, 10), ENG_DROP);
}

/* The wall clock stepped back a second, then forward an hour: the
 * association goes on; events carry the wall clock. */
static void wall_clock_steps_change_no_timeout(void **state)
{
	struct fx *fx = *state;
	struct tpkt pd = { PACS, SCP, IPPROTO_TCP, 41000, 104, ISN + 1 + (uint32_t)fx->rq.n,
			   ISN_SCP + 1 + (uint32_t)fx->ac.n, TCP_ACK };	/* its bare ACK */

	fx->wall = fx->now;
	associate(fx, PACS, 41000);
	assert_true(fx->r.ev_ts[(fx->r.nev - 1) % 64] == fx->wall);
	fx->wall -= SEC;
	fx->now += SEC;
	assert_int_equal(feed(fx, &pd, &at_lan), ENG_ACCEPT);
	fx->wall += 3600 * SEC;
	fx->now += SEC;
	eng_expire(fx->e, fx->now);
	assert_int_equal(feed(fx, &pd, &at_lan), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	assert_int_equal(eng_counters(fx->e)->flows_expired, 0);
	/* an event now is dated by the stepped wall clock */
	assert_int_equal(syn(fx, "10.9.9.9", 1), ENG_DROP);
	assert_true(fx->r.ev_ts[(fx->r.nev - 1) % 64] == fx->wall);
}

/* Four policies each held by an association in flight: a fifth reload
 * succeeds, and the oldest policy's association ends with an event. */
static void reload_with_every_generation_held(void **state)
{
	struct fx *fx = *state;
	unsigned i;

	for (i = 0; i < 4; i++) {
		stall(fx, PACS, (uint16_t)(41000 + i));
		if (i < 3)
			assert_int_equal(eng_set_policy(fx->e, pol_parse("p", policy,
									  sizeof(policy) - 1,
									  NULL)), 0);
	}
	assert_int_equal(fx->r.nrel, 0);
	assert_int_equal(eng_set_policy(fx->e, pol_parse("p", policy, sizeof(policy) - 1, NULL)), 0);
	assert_int_equal(eng_counters(fx->e)->assoc_retired, 1);
	assert_string_equal(fx->r.fault[(fx->r.nev - 1) % 64], "policy-retired");
	assert_int_equal(fx->r.nrel, 1);	/* the first one's held piece, dropped */
	assert_int_equal(fx->r.rv[0], ENG_DROP);
	/* the others go on under the policies they started with */
	assert_int_equal(rq(fx, PACS, 41001, 10, fx->rq.n - 10), ENG_ACCEPT);
	assert_int_equal(rq(fx, PACS, 41003, 10, fx->rq.n - 10), ENG_ACCEPT);
	/* and again: the reload after is never refused either */
	assert_int_equal(eng_set_policy(fx->e, pol_parse("p", policy, sizeof(policy) - 1, NULL)), 0);
}

/* An unestablished flow ages from its handshake's last step: a blind
 * spoofer's junk on its tuple (an ACK naming no SYN-ACK, a SYN-ACK naming
 * no SYN, a blind reset) keeps nothing alive; scp's SYN-ACK does. */
static void junk_keeps_no_handshake_alive(void **state)
{
	struct fx *fx = *state;
	struct tpkt ack_dicom = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, ISN + 1, 4242, TCP_ACK };
	struct tpkt synack_dicom = { SCP, viewer(1), IPPROTO_TCP, 104, 40000, 77, ISN + 9,
				     TCP_SYN | TCP_ACK };
	struct tpkt rst_dicom = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, 99999, 0, TCP_RST };
	struct eng_cfg cfg;

	eng_cfg_default(&cfg);
	assert_int_not_equal(syn(fx, viewer(1), 40000), ENG_DROP);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(3), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	fx->now += (cfg.idle_other_s - 10) * SEC;
	assert_int_equal(feed(fx, &ack_dicom, &at_lan), ENG_ACCEPT);	/* empty: harmless */
	assert_int_equal(feed(fx, &synack_dicom, &at_dev), ENG_DROP);
	assert_int_equal(feed(fx, &rst_dicom, &at_lan), ENG_DROP);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_ACK, ISN + 1, 4242, &at_lan), ENG_DROP);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_ACK, 4242, ISN + 1, &at_dev), ENG_DROP);
	assert_int_equal(plain(fx, viewer(3), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 1, &at_dev),
			 ENG_ACCEPT);
	fx->now += 11 * SEC;
	eng_expire(fx->e, fx->now);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);	/* viewer 3's */
	assert_int_equal(plain(fx, viewer(3), 40000, TCP_ACK, ISN + 1, ISN_SCP + 1, &at_lan),
			 ENG_SETTLE);
}

/* A refused flow only answers, a closing one (both FINs seen) only winds
 * down: each ages from the moment it got there, and junk on its tuple (an
 * empty ACK that passes, a refused initiator's segment that is answered)
 * keeps neither alive past FLOW_IDLE_OTHER. */
static void junk_keeps_no_refused_or_closing_alive(void **state)
{
	struct fx *fx = *state;
	uint32_t ini = ISN + 1 + (uint32_t)fx->rq.n, acc = ISN_SCP + 1 + (uint32_t)fx->ac.n;
	struct tpkt fin_pacs = { PACS, SCP, IPPROTO_TCP, 41000, 104, ini, acc, TCP_FIN | TCP_ACK };
	struct tpkt fin_scp = { SCP, PACS, IPPROTO_TCP, 104, 41000, acc, ini + 1,
				TCP_FIN | TCP_ACK };
	struct tpkt junk = { PACS, SCP, IPPROTO_TCP, 41000, 104, 7, 7, TCP_ACK };
	struct eng_cfg cfg;

	eng_cfg_default(&cfg);
	associate(fx, PACS, 41000);
	assert_int_equal(feed(fx, &fin_pacs, &at_lan), ENG_ACCEPT);
	assert_int_equal(feed(fx, &fin_scp, &at_dev), ENG_ACCEPT);	/* closing */
	stall(fx, viewer(1), 40000);
	stall(fx, viewer(1), 40001);
	assert_int_not_equal(syn(fx, viewer(1), 40002), ENG_DROP);
	assert_int_equal(rq(fx, viewer(1), 40002, 0, 10), ENG_DROP);	/* refused: busy */
	fx->now += 3 * SEC;
	eng_expire(fx->e, fx->now);	/* the two stalled ones refused at ARTIM */
	assert_int_equal(eng_counters(fx->e)->flows_live, 4);
	fx->now += (cfg.idle_other_s - 10) * SEC;
	assert_int_equal(feed(fx, &junk, &at_lan), ENG_ACCEPT);	/* empty: passes */
	assert_int_equal(rq(fx, viewer(1), 40002, 10, 10), ENG_DROP);
	fx->now += 8 * SEC;	/* FLOW_IDLE_OTHER + 1 since closing and the busy refusal */
	eng_expire(fx->e, fx->now);
	assert_int_equal(eng_counters(fx->e)->flows_live, 2);	/* those refused at ARTIM */
	fx->now += 3 * SEC;
	eng_expire(fx->e, fx->now);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
}

/* A source at its SYN cap is refused before it can make room: the oldest
 * handshake of a full table (viewer 2's) is not ended for a SYN that is
 * dropped anyway. */
static void capped_source_ends_no_handshake(void **state)
{
	struct fx *fx = *state;
	unsigned i;

	assert_int_not_equal(syn(fx, viewer(2), 40000), ENG_DROP);
	for (i = 0; i < 8; i++)
		assert_int_not_equal(syn(fx, viewer(1), (uint16_t)(40000 + i)), ENG_DROP);
	assert_int_equal(syn(fx, viewer(1), 40008), ENG_DROP);	/* table full, over the cap */
	assert_int_equal(plain(fx, viewer(1), 40009, TCP_SYN, ISN, 0, &at_lan), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->syn_capped, 2);
	assert_int_equal(eng_counters(fx->e)->syn_early_drop, 0);
	assert_int_equal(synack(fx, viewer(2), 40000), ENG_ACCEPT);
	assert_int_equal(rq(fx, viewer(2), 40000, 0, 10), ENG_HOLD);
}

/* UDP has no handshake and no per-source cap: a stranger's datagrams to
 * an allowed port never end a handshake for room; in a full table a new
 * one takes the oldest datagram flow's entry (the kernel goes on with
 * it). The next SYN still makes room. */
static void datagrams_end_no_handshake(void **state)
{
	struct fx *fx = *state;
	struct tpkt udp = { viewer(9), SCP, IPPROTO_UDP, 5353, 4000 };
	unsigned i;

	assert_int_equal(feed(fx, &udp, &at_lan), ENG_SETTLE);	/* the rule allows it */
	for (i = 1; i <= 7; i++)
		assert_int_not_equal(syn(fx, viewer(i), 40000), ENG_DROP);
	udp.sport++;
	assert_int_equal(feed(fx, &udp, &at_lan), ENG_SETTLE);
	assert_int_equal(eng_counters(fx->e)->dgram_forgotten, 1);
	assert_int_equal(eng_counters(fx->e)->syn_early_drop, 0);
	assert_int_equal(eng_counters(fx->e)->flows_table_full, 0);
	associate(fx, PACS, 41000);
	assert_int_equal(eng_counters(fx->e)->syn_early_drop, 1);
}

/* 1,000 spoofed datagrams from the range to its UDP port, each a flow
 * the kernel carries: they hold at most their share (a quarter of 64),
 * the oldest forgotten first, so the PACS's association and a range's
 * handshakes find their entries, none ended for room. */
static void datagram_flood_leaves_tcp_room(void **state)
{
	struct fx *fx = *state;
	struct tpkt udp = { NULL, SCP, IPPROTO_UDP, 5353, 4000 };
	char src[16];
	unsigned i;

	for (i = 0; i < 1000; i++) {
		snprintf(src, sizeof(src), "10.0.1.%u", 1 + i % 250);
		udp.src = src;
		udp.sport = (uint16_t)(5000 + i);
		assert_int_equal(feed(fx, &udp, &at_lan), ENG_SETTLE);
	}
	assert_int_equal(eng_counters(fx->e)->flows_live, 16);
	assert_int_equal(eng_counters(fx->e)->dgram_forgotten, 1000 - 16);
	for (i = 1; i <= 5; i++)	/* 40 handshakes at their sources' caps */
		for (uint16_t port = 40000; port < 40008; port++)
			assert_int_not_equal(syn(fx, viewer(i), port), ENG_DROP);
	associate(fx, PACS, 41000);
	assert_int_equal(eng_counters(fx->e)->syn_early_drop, 0);
	assert_int_equal(eng_counters(fx->e)->flows_table_full, 0);
}

/* A SYN-ACK names scp's ISN; a copy passes (scp retransmits it); another
 * that acknowledges the SYN exactly replaces it (scp answered a
 * retransmitted SYN anew, or its first one was lost past the box) until
 * the initiator acknowledges one; scp's other segments pass in its window
 * after it. The initiator's ACK of the one that stands settles the flow. */
static void later_synack_replaces_until_acked(void **state)
{
	struct fx *fx = *state;
	const struct eng_counters *c = eng_counters(fx->e);
	struct tpkt ack = { viewer(2), SCP, IPPROTO_TCP, 40000, 104, ISN + 1, ISN_SCP + 1, TCP_ACK };
	struct tpkt late = { SCP, viewer(2), IPPROTO_TCP, 104, 40000, 9999, ISN + 1,
			     TCP_SYN | TCP_ACK };

	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, ISN_SCP + 1, ISN + 1, &at_dev),
			 ENG_DROP);	/* before any SYN-ACK */
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 1, &at_dev),
			 ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 1, &at_dev),
			 ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN | TCP_ACK, 9999, ISN + 1, &at_dev),
			 ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, 10000, ISN + 1, &at_dev), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, 10000 + 0x20000, ISN + 1, &at_dev),
			 ENG_DROP);	/* beyond its window */
	assert_int_equal(c->handshake_mismatch, 2);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, ISN + 1, ISN_SCP + 1, &at_lan),
			 ENG_DROP);	/* the one replaced */
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_ACK, ISN + 1, 10000, &at_lan), ENG_SETTLE);

	/* acknowledged, a DICOM flow's SYN-ACK stands */
	assert_int_not_equal(syn(fx, viewer(2), 40000), ENG_DROP);
	assert_int_equal(synack(fx, viewer(2), 40000), ENG_ACCEPT);
	assert_int_equal(feed(fx, &ack, &at_lan), ENG_ACCEPT);
	assert_int_equal(feed(fx, &late, &at_dev), ENG_DROP);
	assert_int_equal(c->handshake_mismatch, 3);
	assert_int_equal(rq(fx, viewer(2), 40000, 0, 10), ENG_HOLD);
}

/* A SYN-ACK must acknowledge the SYN exactly: a blind forger who knows
 * the tuple has one number in 2^32 to hit, not a window's worth. With
 * data on the SYN (TCP Fast Open, sent again as a bare SYN) both the
 * data's end and the SYN's (scp refused the data) count, nothing between. */
static void synack_acks_the_syn_exactly(void **state)
{
	struct fx *fx = *state;
	struct tpkt tfo = { viewer(2), SCP, IPPROTO_TCP, 40000, 8080, ISN, 0, TCP_SYN, "GET", 3 };

	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 2, &at_dev),
			 ENG_DROP);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 0x8000,
			       &at_dev), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->handshake_mismatch, 2);
	assert_int_equal(plain(fx, viewer(1), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 1, &at_dev),
			 ENG_ACCEPT);
	assert_int_equal(feed(fx, &tfo, &at_lan), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_SYN | TCP_ACK, ISN_SCP, ISN + 3, &at_dev),
			 ENG_DROP);
	plain_answered(fx, viewer(2), 40000);
}

/* scp closes first, before any request (an idle connection it ends):
 * its FIN, the initiator's FIN, and scp's last ACK, one byte past its
 * FIN, all pass. A segment far beyond scp's window is dropped. */
static void acceptor_closing_first_passes(void **state)
{
	struct fx *fx = *state;
	struct tpkt ack = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, ISN + 1, ISN_SCP + 1, TCP_ACK };
	struct tpkt fin = { SCP, viewer(1), IPPROTO_TCP, 104, 40000, ISN_SCP + 1, ISN + 1,
			    TCP_FIN | TCP_ACK };
	struct tpkt fin_back = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, ISN + 1, ISN_SCP + 2,
				 TCP_FIN | TCP_ACK };
	struct tpkt last = { SCP, viewer(1), IPPROTO_TCP, 104, 40000, ISN_SCP + 2, ISN + 2,
			     TCP_ACK };
	struct tpkt far = { SCP, viewer(1), IPPROTO_TCP, 104, 40000, ISN_SCP + 0x20000, ISN + 2,
			    TCP_ACK };

	assert_int_not_equal(syn(fx, viewer(1), 40000), ENG_DROP);
	assert_int_equal(synack(fx, viewer(1), 40000), ENG_ACCEPT);
	assert_int_equal(feed(fx, &ack, &at_lan), ENG_ACCEPT);
	assert_int_equal(feed(fx, &fin, &at_dev), ENG_ACCEPT);
	assert_int_equal(feed(fx, &fin_back, &at_lan), ENG_ACCEPT);
	assert_int_equal(feed(fx, &last, &at_dev), ENG_ACCEPT);
	assert_int_equal(feed(fx, &fin, &at_dev), ENG_ACCEPT);	/* again */
	assert_int_equal(eng_counters(fx->e)->handshake_mismatch, 0);
	assert_int_equal(feed(fx, &far, &at_dev), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->handshake_mismatch, 1);
}

/* The initiator's ACK of scp's SYN-ACK advances a handshake once: its
 * keepalives and FINs again after it keep nothing alive, and the flow
 * ends FLOW_IDLE_OTHER after the first. */
static void handshake_ack_counts_once(void **state)
{
	struct fx *fx = *state;
	struct tpkt ack = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, ISN + 1, ISN_SCP + 1, TCP_ACK };
	struct tpkt fin = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, ISN + 1, ISN_SCP + 1,
			    TCP_FIN | TCP_ACK };
	struct eng_cfg cfg;
	unsigned t;

	eng_cfg_default(&cfg);
	assert_int_not_equal(syn(fx, viewer(1), 40000), ENG_DROP);
	assert_int_equal(synack(fx, viewer(1), 40000), ENG_ACCEPT);
	assert_int_equal(feed(fx, &ack, &at_lan), ENG_ACCEPT);
	for (t = 10; t <= cfg.idle_other_s + 10; t += 10) {
		fx->now += 10 * SEC;
		assert_int_equal(feed(fx, t % 20 ? &ack : &fin, &at_lan), ENG_ACCEPT);
	}
	eng_expire(fx->e, fx->now);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
}

/* Anyone who knows a handshake's tuple can send a SYN on it with another
 * ISN, or a bare SYN from the other end: both are dropped and counted,
 * and the handshake goes on. The initiator's own SYN again passes. */
static void blind_syn_ends_no_handshake(void **state)
{
	struct fx *fx = *state;
	struct tpkt other = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, ISN + 777, 0, TCP_SYN };
	struct tpkt back = { SCP, viewer(1), IPPROTO_TCP, 104, 40000, 4242, 0, TCP_SYN };

	assert_int_not_equal(syn(fx, viewer(1), 40000), ENG_DROP);
	assert_int_equal(feed(fx, &other, &at_lan), ENG_DROP);
	assert_int_equal(feed(fx, &back, &at_dev), ENG_DROP);
	assert_int_not_equal(syn(fx, viewer(1), 40000), ENG_DROP);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_SYN, ISN, 0, &at_lan), ENG_ACCEPT);
	assert_int_equal(plain(fx, viewer(2), 40000, TCP_SYN, ISN + 777, 0, &at_lan), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->handshake_mismatch, 3);
	assert_int_equal(synack(fx, viewer(1), 40000), ENG_ACCEPT);
	assert_int_equal(rq(fx, viewer(1), 40000, 0, 10), ENG_HOLD);
	plain_answered(fx, viewer(2), 40000);
}

/* PACS:41000 associated with scp; *data: its next segment, a C-ECHO-RQ in
 * echo. Returns the flow. */
static struct flow *associated_echo(struct fx *fx, struct pb *echo, struct tpkt *data)
{
	uint8_t b[2048];
	struct flow *f;
	struct pkt p;
	int reply;

	pb_echo_cmd(echo, 0x0030);
	*data = (struct tpkt){ PACS, SCP, IPPROTO_TCP, 41000, 104, ISN + 1 + (uint32_t)fx->rq.n,
			       ISN_SCP + 1 + (uint32_t)fx->ac.n, TCP_ACK | TCP_PSH, echo->b, echo->n };
	associate(fx, PACS, 41000);
	assert_int_equal(pkt_parse(b, tpkt_build(b, data), &p), 0);
	assert_non_null(f = flow_lookup(fx->e->flows, &p.key, &reply));
	return f;
}

/* Anyone who knows an open association's tuple can send a SYN on it
 * with another ISN, or from scp's side: none ends it. A bare one outside
 * the receiver's window passes (an RFC 5961 receiver answers it with a
 * challenge ACK, an RFC 793 one with an ACK); one inside it (an RFC 793
 * receiver would reset) is dropped and answered in the receiver's name
 * with that ACK; other flags (SYN+FIN) or data are dropped, and
 * the flow keeps its state, timer and stream: the next data passes. A
 * client that really restarted answers the ACK with a reset at the exact
 * next byte, which ends the flow, and its next SYN starts a new one. */
static void blind_syn_ends_no_association(void **state)
{
	struct fx *fx = *state;
	struct pb echo = { .n = 0 };
	uint32_t far = 0x40000000u, next = ISN + 1 + (uint32_t)fx->rq.n;
	uint32_t back_next = ISN_SCP + 1 + (uint32_t)fx->ac.n;
	struct tpkt other = { PACS, SCP, IPPROTO_TCP, 41000, 104, next + far, 0, TCP_SYN };
	struct tpkt ecn = { PACS, SCP, IPPROTO_TCP, 41000, 104, next + far, 0,
			    TCP_SYN | TCP_ECE | TCP_CWR };
	struct tpkt inside = { PACS, SCP, IPPROTO_TCP, 41000, 104, next + 100, 0, TCP_SYN };
	struct tpkt synfin = { PACS, SCP, IPPROTO_TCP, 41000, 104, next + far, 0, TCP_SYN | TCP_FIN };
	struct tpkt loaded = { PACS, SCP, IPPROTO_TCP, 41000, 104, next + far, 0, TCP_SYN, "x", 1 };
	struct tpkt back = { SCP, PACS, IPPROTO_TCP, 104, 41000, back_next + far, 0, TCP_SYN };
	struct tpkt back_in = { SCP, PACS, IPPROTO_TCP, 104, 41000, back_next + 10, 0, TCP_SYN };
	struct tpkt data, rst;
	struct flow *f = associated_echo(fx, &echo, &data);
	uint64_t last = f->last_s;
	struct pkt p;

	rst = (struct tpkt){ PACS, SCP, IPPROTO_TCP, 41000, 104, data.seq + (uint32_t)echo.n, 0,
			     TCP_RST };
	fx->now += 10 * SEC;
	assert_int_equal(feed(fx, &other, &at_lan), ENG_ACCEPT);
	assert_int_equal(feed(fx, &ecn, &at_lan), ENG_ACCEPT);
	assert_int_equal(feed(fx, &inside, &at_lan), ENG_DROP);
	/* answered in scp's name: an ACK at what scp acknowledged */
	assert_int_equal(fx->r.ninj, 1);
	assert_int_equal(pkt_parse(fx->r.inj[0], fx->r.injlen[0], &p), 0);
	assert_int_equal(p.flags, TCP_ACK);
	assert_int_equal(p.ack, next);
	assert_int_equal(p.seq, back_next);
	assert_int_equal(fx->r.injport[0], at_lan.ifindex);
	assert_int_equal(feed(fx, &synfin, &at_lan), ENG_DROP);
	assert_int_equal(feed(fx, &loaded, &at_lan), ENG_DROP);
	assert_int_equal(feed(fx, &back, &at_dev), ENG_ACCEPT);
	assert_int_equal(feed(fx, &back_in, &at_dev), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->handshake_mismatch, 7);
	assert_int_equal(f->state, FLOW_OPEN);
	assert_int_equal(f->last_s, last);
	assert_int_equal(feed(fx, &data, &at_lan), ENG_ACCEPT);
	assert_int_equal(feed(fx, &rst, &at_lan), ENG_ACCEPT);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
	assert_in_range(feed(fx, &other, &at_lan), ENG_OPEN, ENG_OPEN_SYNACK);	/* a new flow */
	assert_int_equal(eng_counters(fx->e)->flows_new, 2);
}

/* An open association ages from the last packet of its own it passed: a
 * stranger's out-of-window ACK (passed: scp answers it with an ACK) does
 * not keep a dead one's slot; the real sender's next data does. */
static void stranger_keeps_no_association_alive(void **state)
{
	struct fx *fx = *state;
	struct pb echo = { .n = 0 };
	uint32_t next = ISN + 1 + (uint32_t)fx->rq.n, back_next = ISN_SCP + 1 + (uint32_t)fx->ac.n;
	struct tpkt junk = { PACS, SCP, IPPROTO_TCP, 41000, 104, next + 0x40000000u, back_next,
			     TCP_ACK };
	struct tpkt data;
	struct flow *f = associated_echo(fx, &echo, &data);
	uint64_t last = f->last_s;

	fx->now += 10 * SEC;
	assert_int_equal(feed(fx, &junk, &at_lan), ENG_ACCEPT);
	assert_int_equal(f->last_s, last);
	assert_int_equal(feed(fx, &data, &at_lan), ENG_ACCEPT);
	assert_int_equal(f->last_s, last + 10);
}

/* The inspector's pool has no association for the first data (here the
 * test holds every one): the flow is refused as busy, not a crash, and
 * the counts admit_assoc took are given back. */
static void no_inspector_is_busy(void **state)
{
	struct fx *fx = *state;
	const struct pol_rule *r = pol_rule_at(eng_policy(fx->e), 0);
	struct dcm_assoc *held[16];
	unsigned i;

	for (i = 0; i < 16; i++)
		assert_non_null(held[i] = dcm_assoc_new(fx->e->dcm, r));
	assert_int_not_equal(syn(fx, PACS, 41000), ENG_DROP);
	assert_int_equal(rq(fx, PACS, 41000, 0, 10), ENG_DROP);
	assert_int_equal(eng_counters(fx->e)->fault[DCM_R_BUSY], 1);
	assert_int_equal(fx->e->assocs_used[ADMIT_NAMED] + fx->e->negotiating[ADMIT_NAMED], 0);
	for (i = 0; i < 16; i++)
		dcm_assoc_free(fx->e->dcm, held[i]);
	associate(fx, PACS, 41001);
}

/* A connection closed before its first data (a port check): the FINs
 * pass, no slot is taken, and the flow stays unestablished. */
static void fin_before_data_takes_no_slot(void **state)
{
	struct fx *fx = *state;
	struct tpkt fin = { viewer(1), SCP, IPPROTO_TCP, 40000, 104, ISN + 1, ISN_SCP + 1,
			    TCP_FIN | TCP_ACK };
	struct tpkt fin_back = { SCP, viewer(1), IPPROTO_TCP, 104, 40000, ISN_SCP + 1, ISN + 2,
				 TCP_FIN | TCP_ACK };

	assert_int_not_equal(syn(fx, viewer(1), 40000), ENG_DROP);
	assert_int_equal(synack(fx, viewer(1), 40000), ENG_ACCEPT);
	assert_int_equal(feed(fx, &fin, &at_lan), ENG_ACCEPT);
	assert_int_equal(feed(fx, &fin_back, &at_dev), ENG_ACCEPT);
	assert_int_equal(dcm_pool_span(fx->e->dcm), 0);
	assert_int_equal(fx->e->emb_head, fx->e->emb_tail);	/* still the one unestablished */
	assert_int_not_equal(fx->e->emb_head, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(syn_takes_no_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(range_share_leaves_room_for_named_peers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(negotiations_capped_per_source, setup, teardown),
		cmocka_unit_test_setup_teardown(syns_capped_per_source, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals_answered_within_the_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(artim_expiry_answers_and_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(artim_spares_the_negotiated, setup, teardown),
		cmocka_unit_test_setup_teardown(full_table_drops_the_oldest_syn, setup_tiny_table,
						teardown),
		cmocka_unit_test_setup_teardown(plain_syns_leave_room, setup_tiny_table, teardown),
		cmocka_unit_test_setup_teardown(plain_handshake_settles, setup_tiny_table, teardown),
		cmocka_unit_test_setup_teardown(plain_handshake_across_reloads, setup, teardown),
		cmocka_unit_test_setup_teardown(plain_syn_with_data_settles, setup, teardown),
		cmocka_unit_test_setup_teardown(syn_on_the_short_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(blind_synack_teaches_no_port, setup, teardown),
		cmocka_unit_test_setup_teardown(under_pressure_the_first_data_proves_the_handshake,
						setup, teardown),
		cmocka_unit_test_setup_teardown(blind_reset_spares_an_unestablished_flow, setup,
						teardown),
		cmocka_unit_test_setup_teardown(wall_clock_steps_change_no_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_with_every_generation_held, setup, teardown),
		cmocka_unit_test_setup_teardown(junk_keeps_no_handshake_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(junk_keeps_no_refused_or_closing_alive, setup,
						teardown),
		cmocka_unit_test_setup_teardown(capped_source_ends_no_handshake, setup_table9,
						teardown),
		cmocka_unit_test_setup_teardown(datagrams_end_no_handshake, setup_tiny_table,
						teardown),
		cmocka_unit_test_setup_teardown(datagram_flood_leaves_tcp_room, setup_table64,
						teardown),
		cmocka_unit_test_setup_teardown(later_synack_replaces_until_acked, setup, teardown),
		cmocka_unit_test_setup_teardown(synack_acks_the_syn_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(acceptor_closing_first_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(handshake_ack_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(blind_syn_ends_no_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(blind_syn_ends_no_association, setup, teardown),
		cmocka_unit_test_setup_teardown(stranger_keeps_no_association_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(no_inspector_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(fin_before_data_takes_no_slot, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
