/* Engine internals shared by engine.c (lifecycle, policy generations,
 * expiry), verdict.c (new flows, plain protocols), dflow.c (inspected
 * DICOM flows) and the pieces beside them: admit.c, resend.c,
 * answerlim.c, hostport.c, observe.c. Nothing here leaves src/engine. */
#ifndef SW_ENGINE_INT_H
#define SW_ENGINE_INT_H

#include "scanwall/engine.h"
#include "scanwall/slotpool.h"
#include "flow.h"
#include "observe.h"
#include "pkt.h"
#include "reply.h"
#include "stream.h"

#define ENG_HOLD_MAX 48		/* segments of one RQ/AC held at most */
#define ENG_GENS 4		/* policies alive at once (in force + draining) */

/* What an inspected TCP flow needs beyond struct flow: both directions'
 * stream state, where each end sits on the bridge, and the packets held
 * while an A-ASSOCIATE-RQ/AC is incomplete. Index 0 is the initiator. */
struct eng_assoc {
	struct dcm_assoc *dcm;
	struct stream st[2];
	struct eng_port port[2];
	uint32_t held[2][ENG_HOLD_MAX];
	uint32_t hold_seq[2];	/* first held byte: the receiver's rcv_nxt */
	uint16_t win[2];	/* last window each end advertised, as on the wire */
	uint8_t wscale[2];	/* each end's SYN's window scale (PKT_WSCALE_NONE), or: */
#define ENG_WSCALE_UNSEEN 0xfe	/* its SYN-ACK passed in the kernel */
	uint8_t nheld[2];
	uint32_t park_head[2], park_tail[2];	/* parked segments, in eng.park */
	uint32_t flow;		/* its flow's index in the table (resend.c) */
	uint32_t artim_s;	/* when its negotiation began, engine seconds */
	uint8_t negotiating;	/* until the AC or RJ passed (admit.c) */
	uint8_t named;		/* its initiator is named by host address */
	/* A released RQ/AC the engine acknowledged in the receiver's name,
	 * sent again until the receiver acknowledges it (resend.c). */
	uint64_t rs_due_ns;	/* next try */
	uint32_t rs_seq, rs_end;	/* the PDU's first byte; acknowledged by us to here */
	uint32_t rs_ack;	/* the sender's ACK */
	uint8_t rs_dir, rs_tries, rs_armed;
};

/* An unestablished TCP flow: a DICOM one between its SYN and the
 * initiator's first data (FLOW_EMBRYO), a plain one until its handshake
 * is complete (FLOW_HANDSHAKE, which uses neither proof nor the window
 * scales). One per flow table entry, beside the table, touched only
 * when used. The unestablished flows are kept oldest first, so that a full
 * table drops the oldest of them for a new flow (admit.c); the UDP and
 * ICMP flows are kept oldest first through the same links (a flow is in
 * one list at most), so that a new one past their share ends the oldest
 * of them. */
struct eng_embryo {
	uint32_t prev, next;	/* flow index + 1, 0 ends */
	uint32_t isn;		/* the initiator's */
	uint32_t ifindex;	/* where the initiator sits */
	uint32_t isn_acc;	/* the acceptor's, once its SYN-ACK came here */
	uint16_t syn_len;	/* the SYN's data (TCP Fast Open: plain flows) */
	uint16_t src;		/* the source's bucket of the per-source counts */
	uint8_t ws_ini, ws_acc;	/* each SYN's window scale (ws_acc once synack) */
	uint8_t proof : 1;	/* the first data must acknowledge isn_acc */
	uint8_t synack : 1;	/* isn_acc is known */
	uint8_t acked : 1;	/* the initiator acknowledged isn_acc: it stands */
};

#define ADMIT_SRC_BITS 12	/* per-source counts: 4096 keyed-hash buckets */

enum { ADMIT_RANGE, ADMIT_NAMED };	/* who an association is for */

/* A segment that arrived beyond a gap, held in the kernel until the gap
 * fills (dflow.c). One pool for the engine (eng_cfg.park_max): reordering
 * comes in bursts on one flow at a time. Each direction of a flow keeps
 * its own in sequence order, linked by index (0 ends a list). */
#define ENG_PARK_DATA 2048	/* a parked segment up to this is copied */

struct eng_parked {
	uint32_t id, seq, end;
	uint32_t tsval;
	uint32_t next;
	uint16_t dlen;		/* payload bytes copied to eng.park_data, if copied */
	uint8_t flags;		/* its TCP flags */
	uint8_t has_ts, copied;
};

/* An acceptor's place on the bridge (hostport.c). */
#define ENG_HOSTS 64

struct eng_host {
	uint8_t af;
	uint8_t addr[16];
	struct eng_port port;
};

/* Answers to refused packets, rate limited per source (answerlim.c):
 * 1024 slots of the keyed source hash. */
#define ENG_ANSWER_BITS 10
#define ENG_ANSWER_SLOTS (1u << ENG_ANSWER_BITS)

struct pol_gen {
	struct pol *pol;
	unsigned refs;		/* open DICOM flows judged by it */
	uint64_t seq;		/* put in force as the seq'th policy */
};

struct eng {
	struct eng_cfg cfg;
	const struct eng_ops *ops;
	void *ctx;
	struct flow_table *flows;
	struct dcm_pool *dcm;		/* its association slots are assocs' and keep's */
	struct eng_assoc *assocs;
	struct stream_keep *keep;	/* 2 per association slot */
	struct eng_parked *park;	/* park_max + 1 entries, 0 unused */
	uint8_t (*park_data)[ENG_PARK_DATA];	/* their copies, touched when used */
	struct slot_pool park_slots;	/* of park[1..park_max] */
	struct eng_embryo *emb;		/* cfg.flows entries (admit.c) */
	uint32_t emb_head, emb_tail;	/* oldest and newest unestablished: index + 1 */
	uint32_t dgram_head, dgram_tail;	/* the same, UDP and ICMP flows */
	unsigned dgrams;		/* UDP and ICMP flows in the table */
	unsigned assocs_used[2];	/* by ADMIT_RANGE / ADMIT_NAMED */
	unsigned negotiating[2];
	unsigned resends;		/* associations with rs_armed */
	uint32_t syn_src[1u << ADMIT_SRC_BITS];	/* unestablished, by source bucket */
	uint32_t neg_src[1u << ADMIT_SRC_BITS];	/* negotiating, ranges only */
	struct pol_gen gen[ENG_GENS];
	uint8_t cur;
	uint64_t gen_seq;
	uint64_t *rule_hits;
	uint64_t default_hits;
	struct eng_counters c;
	struct eng_host hosts[ENG_HOSTS];
	uint32_t now_s;
	uint64_t now_ns;		/* the engine's clock: timeouts */
	uint64_t wall_off;		/* wall clock minus it, as of the last packet:
					 * event timestamps only */
	bool answer_due;		/* eng_take_answer_due() */
	uint64_t answer_tat[ENG_ANSWER_SLOTS + 1];	/* per source slot, then all */
	uint8_t out[REPLY_MAX];
	struct eng_obs *obs;		/* observe.c; NULL: not observing */
};

/* The wall clock's second now, for what a person reads (first and last
 * seen in the observation table); never for a timeout. */
static inline uint32_t eng_wall_s(const struct eng *e)
{
	return (uint32_t)((e->now_ns + e->wall_off) / 1000000000u);
}

static inline const struct pol *eng_pol(const struct eng *e, const struct flow *f)
{
	return e->gen[f->gen].pol;
}

/* verdict.c */
int eng_new_flow(struct eng *e, const struct eng_pkt *pk, const struct pkt *p,
		 enum eng_verdict *v);
void eng_emit(struct eng *e, struct sw_event *ev, const struct flow_key *k);
void eng_inject(struct eng *e, int len, const struct eng_port *to);
const struct pol_rule *eng_flow_rule(const struct eng *e, const struct flow *f);

/* answerlim.c: whether a refused packet from k's source may be answered;
 * every crafted answer to a refusal asks first (one ask per refusal) */
bool eng_answer_ok(struct eng *e, const struct flow_key *k);

/* dflow.c */
/* *v: ENG_OPEN, or ENG_OPEN_SYNACK when the acceptor's port is known. */
void dflow_start(struct eng *e, struct flow *f, const struct eng_pkt *pk, const struct pkt *p,
		 uint32_t src, enum eng_verdict *v);
int dflow_packet(struct eng *e, struct flow *f, int reply, const struct eng_pkt *pk,
		 const struct pkt *p, enum eng_verdict *v);
void dflow_end(struct eng *e, struct flow *f);
/* p passed on the open flow f and is its conversation's (not a stranger's
 * stray ACK): it refreshes the flow. */
int dflow_live(struct eng *e, const struct flow *f, int dir, const struct pkt *p);
/* A SYN without ACK from either end that is not the initiator's SYN
 * again: 1 and *v when it is one (counted), 0 when p is for dflow_packet
 * (a SYN-ACK too). */
int dflow_syn_stranger(struct eng *e, const struct flow *f, int reply, const struct pkt *p,
		       enum eng_verdict *v);

/* The key of a packet travelling in direction dir of f. */
void dir_key(const struct flow *f, int dir, struct flow_key *k);

/* resend.c: after the held segments of direction dir, [from, to) of the
 * PDU dcm kept, were released; a packet from the receiver acknowledged
 * ack; the association ends. */
void resend_arm(struct eng *e, struct eng_assoc *a, int dir, uint32_t from, uint32_t to,
		uint32_t ack);
void resend_acked(struct eng *e, struct eng_assoc *a);
void resend_stop(struct eng *e, struct eng_assoc *a);

/* hostport.c: NULL when the host's port is not known */
const struct eng_port *eng_host_port(struct eng *e, uint8_t af, const uint8_t *addr);
void eng_host_learn(struct eng *e, uint8_t af, const uint8_t *addr, const struct eng_port *port);

/* dflow.c, beyond the packets */
/* The initiator's first data on an unestablished flow: an association
 * slot, or a refusal (busy). *v as for dflow_packet when it returns 0. */
int dflow_embryo(struct eng *e, struct flow *f, int reply, const struct eng_pkt *pk,
		 const struct pkt *p, enum eng_verdict *v);
/* Ends an inspected flow from the timer or a reload: the initiator gets an
 * A-ABORT, the acceptor a reset, with an event naming `fault`. */
void dflow_abort(struct eng *e, struct flow *f, const char *reason, const char *fault);

/* admit.c: what a stranger may hold. Before a new TCP flow takes an
 * entry (or ends another's for it): its source's bucket (>= 0, for
 * admit_syn), or -EDQUOT over its source's cap (named peers have none),
 * -EPROTO for data on a DICOM SYN (an event). */
int admit_syn_check(struct eng *e, const struct pol_rule *r, const struct pkt *p);
void admit_syn(struct eng *e, struct flow *f, const struct eng_pkt *pk, const struct pkt *p,
	       uint32_t src);
/* The initiator's SYN on its unestablished flow: ENG_ACCEPT for that SYN
 * again, else ENG_DROP, counted (handshake_mismatch). */
enum eng_verdict admit_syn_again(struct eng *e, const struct flow *f, const struct pkt *p);
void admit_syn_end(struct eng *e, struct flow *f);
struct eng_embryo *admit_embryo(struct eng *e, const struct flow *f);
/* A plain TCP flow's SYN (*v: ENG_ACCEPT), and its packets until the
 * initiator acknowledges the acceptor's SYN-ACK (ENG_SETTLE, and the flow
 * is FLOW_SETTLED). */
void admit_plain_syn(struct eng *e, struct flow *f, const struct eng_pkt *pk,
		     const struct pkt *p, uint32_t src, enum eng_verdict *v);
void admit_handshake(struct eng *e, struct flow *f, int dir, const struct eng_pkt *pk,
		     const struct pkt *p, enum eng_verdict *v);
/* An RST on an unestablished flow (true): *v ENG_ACCEPT and f ended when
 * it names the initiator's ISN, else left as it was (ENG_DROP). */
bool admit_reset(struct eng *e, struct flow *f, int dir, const struct pkt *p,
		 enum eng_verdict *v);
/* A packet from the acceptor on an unestablished flow, not a reset. A
 * SYN-ACK that acknowledges the SYN exactly and came in elsewhere than
 * the initiator gives the acceptor's ISN (1: the handshake advanced),
 * until the initiator has acknowledged one; a copy of it, or a segment
 * in the acceptor's window after it, 0. Any other: -EPERM, counted
 * (handshake_mismatch), to be dropped. Before any SYN-ACK, only an empty
 * segment of a DICOM flow is 0 (its SYN-ACK may have passed in the
 * kernel). */
int admit_acceptor(struct eng *e, struct flow *f, const struct eng_pkt *pk, const struct pkt *p);
/* The oldest unestablished flow, NULL when there is none. */
struct flow *admit_oldest_syn(struct eng *e);
/* A UDP or ICMP flow, settled at its first packet: before it takes an
 * entry, the oldest of them ends when their share (cfg.dgram_pct) is used
 * up or the table is full; it is linked in; it ends. */
void admit_dgram_room(struct eng *e);
void admit_dgram(struct eng *e, struct flow *f);
void admit_dgram_end(struct eng *e, struct flow *f);
/* Counts an association for f (its class in *named): 0, or -EBUSY past
 * the class's share or the source's cap. */
int admit_assoc(struct eng *e, const struct flow *f, uint8_t *named);
/* The association's negotiation is over (AC or RJ passed, or it ended). */
void admit_negotiated(struct eng *e, const struct flow *f, struct eng_assoc *a);
void admit_assoc_end(struct eng *e, const struct flow *f, struct eng_assoc *a);
/* What admit_assoc counted, given back: no association was made. */
void admit_assoc_undo(struct eng *e, const struct flow *f, uint8_t named);

/* engine.c */
void eng_flow_end(struct eng *e, struct flow *f);
/* An open DICOM flow of generation g ended: free that policy if it was
 * the last one and is no longer in force. */
void eng_gen_put(struct eng *e, uint8_t g);

#endif
