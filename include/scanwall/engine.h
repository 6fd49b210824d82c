/* The verdict engine: packets in, verdicts and events out.
 *
 * The same code decides in `scanwalld --replay` (packets from a pcap) and
 * inline (packets from NFQUEUE): only struct eng_ops differs. The engine
 * owns the flow table, TCP stream tracking, policy matching and the DICOM
 * associations; it allocates everything in eng_new() and nothing per
 * packet. Single-threaded: one engine per queue. */
#ifndef SCANWALL_ENGINE_H
#define SCANWALL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwall/dicom.h"
#include "scanwall/event.h"
#include "scanwall/policy.h"

/* Where a host was last seen on the bridge, for crafted replies. */
struct eng_port {
	uint32_t ifindex;	/* bridge port (NFQA_IFINDEX_PHYSINDEV), 0 if unknown */
	uint8_t mac[6];
	uint8_t has_mac;
};

struct eng_pkt {
	const uint8_t *l3;	/* IPv4 or IPv6 header first */
	size_t len;
	uint64_t ts_ns;		/* the engine's clock, for every timeout: monotonic
				 * inline, the capture time in a replay */
	uint64_t wall_ns;	/* the wall clock, for event timestamps only; 0:
				 * ts_ns is the wall clock too (a replay) */
	uint32_t id;		/* NFQUEUE packet id, or pcap frame number */
	struct eng_port from;	/* where it entered the bridge */
};

enum eng_verdict {
	ENG_ACCEPT,	/* this packet passes */
	ENG_DROP,
	ENG_HOLD,	/* no verdict now: ops->release() gives it later */
	ENG_SETTLE,	/* passes, and so does the rest of its flow in the kernel */
	ENG_OPEN,	/* passes, and the kernel passes the bare ACKs of its flow
			 * (an inspected flow's first packet) */
	ENG_OPEN_SYNACK, /* ENG_OPEN, and the acceptor's SYN-ACK passes in the
			 * kernel too: its bridge port is known already */
	ENG_REPEAT,	/* only through ops->release(): a held packet goes through the
			 * hook again, unchanged, and comes back to eng_packet() as a
			 * new packet (a segment parked beyond a gap, now in order) */
};

struct eng_ops {
	/* The verdict of a packet that was given ENG_HOLD. */
	void (*release)(void *ctx, uint32_t id, enum eng_verdict v);
	/* Send a crafted IPv4/IPv6 packet (TCP reset, ICMP unreachable, a
	 * segment carrying A-ASSOCIATE-RJ) toward a host seen at `to`. */
	void (*inject)(void *ctx, const uint8_t *l3, size_t len, const struct eng_port *to);
	void (*event)(void *ctx, const struct sw_event *ev);
	/* Optional (may be NULL): the kernel must stop passing packets of a
	 * flow by itself. deny: a settled flow a policy change refuses, the
	 * kernel drops the rest of it; else an inspected flow the engine
	 * refused, whose bare ACKs (ENG_OPEN) now come to the engine again. */
	void (*revoke)(void *ctx, const struct flow_key *k, bool deny);
};

struct eng_cfg {
	unsigned flows;			/* flow table entries */
	unsigned assocs;		/* concurrent inspected associations */
	unsigned rq_bufs;		/* RQ/AC buffers */
	size_t rq_max;			/* bytes each */
	unsigned park_max;		/* segments parked beyond a gap, all flows */
	unsigned idle_tcp_s, idle_other_s;
	unsigned artim_s;		/* negotiation deadline (ARTIM) */
	unsigned dgram_pct;		/* of flows, UDP and ICMP flows at most */
	unsigned syn_per_src;		/* unestablished TCP flows per source */
	unsigned negotiating_per_src;	/* associations in negotiation per source */
	unsigned named_reserve_pct;	/* of assocs and rq_bufs, for named peers */
};

/* Counters for status and metrics; monotonic except flows_live. */
struct eng_counters {
	uint64_t packets, accepted, dropped, held, settled, injected;
	uint64_t flows_live, flows_new, flows_expired, flows_table_full;
	uint64_t parse_errors;		/* packets that are not valid IP/TCP/UDP/ICMP */
	uint64_t tcp_out_of_window;	/* segments dropped by stream tracking */
	uint64_t tcp_parked;		/* segments held beyond a gap until it filled */
	uint64_t tcp_park_full;		/* ... dropped instead: the park was full */
	uint64_t tcp_unverifiable;	/* retransmissions older than the bytes kept */
	uint64_t tcp_retransmitted;	/* copies of inspected bytes verified, passed */
	uint64_t tcp_resent;		/* segments of a released RQ/AC the engine sent again */
	uint64_t syn_capped;		/* SYNs over their source's syn_per_src */
	uint64_t syn_early_drop;	/* unestablished flows ended for a new one */
	uint64_t dgram_forgotten;	/* UDP/ICMP flows left to the kernel alone for a new one */
	uint64_t settled_forgotten;	/* flows the kernel forwards (settled) that left the
					 * table: the next apply's conntrack sweep judges them */
	uint64_t handshake_mismatch;	/* packets on a handshake that do not fit it (a
					 * SYN-ACK not acknowledging the SYN exactly, the
					 * acceptor outside its window, another SYN): dropped;
					 * and SYNs on an open association (bare: passed) */
	uint64_t assoc_artim;		/* negotiations ended by the ARTIM deadline */
	uint64_t assoc_retired;		/* associations ended to free a policy generation */
	uint64_t assoc_unproven;	/* first data not acknowledging the acceptor's SYN-ACK */
	uint64_t answers_limited;	/* refusals not answered: over the rate limit */
	uint64_t assoc[EV__COUNT];	/* events by kind */
	uint64_t fault[DCM_FAULT__COUNT];
};

struct eng;

/* The cfg defaults come from Kconfig (eng_cfg_default). NULL and errno. */
struct eng *eng_new(const struct eng_cfg *cfg, const struct eng_ops *ops, void *ctx);
void eng_free(struct eng *e);
void eng_cfg_default(struct eng_cfg *cfg);

/* Put a policy in force. The engine takes ownership; the previous policy
 * is freed once no flow refers to it. Live flows are judged again under
 * the new policy (docs/engine.md says how). Never refused for lack of a
 * generation: the oldest one's associations are ended instead. Returns 0
 * or -ENOMEM. */
int eng_set_policy(struct eng *e, struct pol *pol);
const struct pol *eng_policy(const struct eng *e);

/* Decide one packet. *v is always set; ENG_HOLD means the verdict comes
 * through ops->release(). Returns 0 or -errno (the packet is then dropped). */
int eng_packet(struct eng *e, const struct eng_pkt *pkt, enum eng_verdict *v);
/* The same for a packet the caller parsed already: pkt_parse()
 * (src/engine/pkt.h) of pkt->l3 returned 0 into p. The SYN queue checks
 * what it got and the engine judges it from one parse. */
struct pkt;
int eng_packet_parsed(struct eng *e, const struct eng_pkt *pkt, const struct pkt *p,
		      enum eng_verdict *v);

/* Whether a packet judged since the last call passed something whose
 * answer the engine judges next: a DICOM flow's SYN, then what
 * dcm_verdict.answer_next names, while the flow is inspected. The
 * inline loop polls without sleeping for that answer. Clears the hint. */
bool eng_take_answer_due(struct eng *e);

/* Ends flows idle past their timeout, and negotiations past their ARTIM
 * deadline, at time now_ns of the engine's clock (eng_pkt.ts_ns; held
 * packets are dropped). Call about once a second. */
void eng_expire(struct eng *e, uint64_t now_ns);
/* Sends again the released RQ/AC bytes a receiver has not acknowledged in
 * time (resend.c). eng_expire() calls it too; the inline engine calls it
 * every ENG_RESEND_TICK_MS between. */
#define ENG_RESEND_TICK_MS 100
void eng_resend(struct eng *e, uint64_t now_ns);

/* The counters, flows_live read from the flow table as of now. */
const struct eng_counters *eng_counters(struct eng *e);
/* Hits per rule index (pol_rule_at), and of the default action. */
uint64_t eng_rule_hits(const struct eng *e, unsigned index);
uint64_t eng_default_hits(const struct eng *e);
/* Hits counted elsewhere (the kernel's fixed verdicts) for rule index of
 * the policy in force, or its default when index == pol_rule_count(). */
void eng_add_hits(struct eng *e, unsigned index, uint64_t n);

struct eng_flow_info {
	struct flow_key key;	/* as the initiator sent it */
	const char *state;	/* "syn", "inspected", "settled", "refused", "closing" */
	int rule_line;
	uint64_t first_ns, last_ns;
	uint64_t packets;	/* the engine saw; a settled flow's go by in the kernel */
	const char *calling_ae, *called_ae;	/* DICOM, else NULL */
};
/* Calls cb for each live flow from table slot *slot on (0: the first),
 * until it returns non-zero (returned); *slot becomes the slot of the flow
 * cb stopped at (it was not taken: resume there), or the table's end. For
 * a walk in pieces, each piece bounded. */
int eng_foreach_flow_from(const struct eng *e, unsigned *slot,
			  int (*cb)(void *ctx, const struct eng_flow_info *f), void *ctx);

#endif
