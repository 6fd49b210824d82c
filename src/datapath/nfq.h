/* NFQUEUE over libmnl: packets from one kernel queue into the engine,
 * verdicts back in batches. Only libnetfilter_queue's nfq_nlmsg_* helpers
 * are used (not its deprecated handle API). One receive buffer and one
 * send buffer are allocated by nfqueue_open(); nothing per packet. */
#ifndef SW_ENGINE_NFQ_H
#define SW_ENGINE_NFQ_H

#include <stdint.h>

#include "scanwall/engine.h"

struct nfqueue_counters {
	uint64_t packets;	/* packet messages received */
	uint64_t enobufs;	/* the socket overflowed: the kernel dropped packets */
	uint64_t verdicts;	/* verdict messages sent */
	uint64_t send_errors;	/* failed sends (those packets stay queued, then drop) */
	uint64_t malformed;	/* messages without id or payload */
	uint64_t truncated;	/* packets larger than the copy range: dropped */
	uint64_t engine_errors;	/* eng_packet() failed: dropped */
	uint64_t revoked;	/* conntrack marks changed (ops.revoke) */
};

struct nfqueue;

/* Binds queue `num` in copy-packet mode with GSO and without fail-open
 * (a full queue drops). NULL and errno (EBUSY: another process holds the
 * queue). */
struct nfqueue *nfqueue_open(uint16_t num);
void nfqueue_close(struct nfqueue *q);

/* The queue carries only a new connection's first SYN (ruleset_cfg's
 * syn_queue): anything else on it is dropped before the engine sees it
 * (counted in malformed), so nothing from it is ever held, and every
 * release goes through the main queue, where held packets come from. */
void nfqueue_syn_only(struct nfqueue *q);

int nfqueue_fd(const struct nfqueue *q);
/* Packets are handed to e from now on. */
void nfqueue_attach(struct nfqueue *q, struct eng *e);

/* Receives what is ready (up to a batch), runs each packet through the
 * engine and sends the verdicts in one message. Never blocks; ENOBUFS is
 * counted, not returned. now_ns: CLOCK_MONOTONIC as the caller read it
 * for this batch, the engine's clock for every packet of it (no clock is
 * read per packet). Returns 0 or -errno on a socket failure. */
int nfqueue_receive(struct nfqueue *q, uint64_t now_ns);

/* Verdicts are sent by nfqueue_flush(), or when the buffer fills. */
int nfqueue_flush(struct nfqueue *q);
/* ops.release: a held packet's verdict. While a packet is being judged
 * the releases it causes wait and are sent right after its own verdict. */
void nfqueue_release(struct nfqueue *q, uint32_t id, enum eng_verdict v);

/* ops.revoke: a flow the kernel passes by itself (ct mark ALLOW or
 * OPEN) must no longer be. Its conntrack entry gets mark (under
 * SW_MARK_MASK; same netlink socket, same batch): DENY, and the ruleset
 * drops the rest of it; 0, and all of it is queued again. An entry
 * already gone is counted in send_errors. */
struct flow_key;
void nfqueue_ct_mark(struct nfqueue *q, const struct flow_key *k, uint32_t mark);

const struct nfqueue_counters *nfqueue_counters(const struct nfqueue *q);

#endif
