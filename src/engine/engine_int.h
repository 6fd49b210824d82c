/* Engine internals shared by engine.c (lifecycle, policy generations,
 * expiry), verdict.c (new flows, plain protocols) and dflow.c (inspected
 * DICOM flows). Nothing here leaves src/engine. */
#ifndef SW_ENGINE_INT_H
#define SW_ENGINE_INT_H

#include "scanwall/engine.h"
#include "flow.h"
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
	uint8_t nheld[2];
	uint32_t park_head[2], park_tail[2];	/* parked segments, in eng.park */
	uint32_t next_free;	/* free list: index + 1 */
};

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

struct pol_gen {
	struct pol *pol;
	unsigned refs;		/* open DICOM flows judged by it */
};

struct eng {
	struct eng_cfg cfg;
	const struct eng_ops *ops;
	void *ctx;
	struct flow_table *flows;
	struct dcm_pool *dcm;
	struct eng_assoc *assocs;
	struct stream_keep *keep;	/* 2 per association slot */
	struct eng_parked *park;	/* park_max + 1 entries, 0 unused */
	uint8_t (*park_data)[ENG_PARK_DATA];	/* their copies, touched when used */
	uint32_t park_free;		/* free list */
	uint32_t assoc_free;		/* index + 1 of a slot given back */
	uint32_t assoc_fresh;		/* assocs[assoc_fresh..] never used */
	struct pol_gen gen[ENG_GENS];
	uint8_t cur;
	uint64_t *rule_hits;
	uint64_t default_hits;
	struct eng_counters c;
	struct eng_host hosts[ENG_HOSTS];
	uint32_t now_s;
	uint64_t now_ns;
	bool answer_due;		/* eng_take_answer_due() */
	uint8_t out[REPLY_MAX];
};

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

/* dflow.c */
/* *v: ENG_OPEN, or ENG_OPEN_SYNACK when the acceptor's port is known. */
int dflow_start(struct eng *e, struct flow *f, const struct eng_pkt *pk, const struct pkt *p,
		enum eng_verdict *v);
int dflow_packet(struct eng *e, struct flow *f, int reply, const struct eng_pkt *pk,
		 const struct pkt *p, enum eng_verdict *v);
void dflow_end(struct eng *e, struct flow *f);

/* hostport.c: NULL when the host's port is not known */
const struct eng_port *eng_host_port(struct eng *e, uint8_t af, const uint8_t *addr);
void eng_host_learn(struct eng *e, uint8_t af, const uint8_t *addr, const struct eng_port *port);

/* engine.c */
void eng_flow_end(struct eng *e, struct flow *f);
/* An open DICOM flow of generation g ended: free that policy if it was
 * the last one and is no longer in force. */
void eng_gen_put(struct eng *e, uint8_t g);

#endif
