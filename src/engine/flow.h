/* The flow table: preallocated, fixed size, keyed by the initiator's 5-tuple.
 *
 * One entry is 64 bytes, so the default 65,536 flows take 4 MiB when all
 * are in use (and nothing while they are not: untouched pages). Everything
 * DICOM-specific lives in a separate, smaller pool that only inspected
 * flows use (struct eng_assoc, engine_int.h). */
#ifndef SW_ENGINE_FLOW_H
#define SW_ENGINE_FLOW_H

#include <stdint.h>

#include "scanwall/flowkey.h"

enum flow_state {
	FLOW_FREE,
	FLOW_OPEN,	/* allowed, the engine still sees its packets */
	FLOW_SETTLED,	/* allowed and handed to the kernel */
	FLOW_REFUSED,	/* a refused association: the initiator's packets get resets */
	FLOW_CLOSING,		/* both ends sent FIN: only empty segments may pass */
	FLOW_SETTLED_ASSOC,	/* an association checked at negotiation, then the kernel's */
	FLOW_EMBRYO,		/* a DICOM flow before the initiator's first data:
				 * no association state yet (admit.c) */
	FLOW_HANDSHAKE,		/* a plain TCP flow before the initiator's ACK of
				 * the acceptor's SYN-ACK: not yet the kernel's */
};

struct flow {
	struct flow_key key;	/* as the initiator sent it */
	uint32_t next;		/* hash chain: index + 1, 0 ends it */
	uint32_t assoc;		/* DICOM side state: index + 1, 0 none */
	uint32_t first_s, last_s;	/* engine clock, seconds */
	uint32_t packets;		/* seen by the engine (not once settled) */
	uint16_t rule;		/* rule index + 1, 0 the default */
	uint8_t state;
	uint8_t gen;		/* policy generation slot the flow was judged by */
};

struct flow_table;

struct flow_table *flow_table_new(unsigned size);
void flow_table_free(struct flow_table *t);

/* Finds the flow of k in either direction (one hash, one chain: both
 * directions hash alike); *reply says which. */
struct flow *flow_lookup(struct flow_table *t, const struct flow_key *k, int *reply);
/* A new entry for k (must not exist). NULL when the table is full. */
struct flow *flow_insert(struct flow_table *t, const struct flow_key *k);
void flow_remove(struct flow_table *t, struct flow *f);
unsigned flow_count(const struct flow_table *t);
/* Entry i (0 <= i < flow_span()), free or not, for sweeps. Entries past
 * the span were never used: a sweep need not touch them. */
struct flow *flow_at(struct flow_table *t, unsigned i);
unsigned flow_span(const struct flow_table *t);
/* f's index in the table, for arrays kept beside it. */
uint32_t flow_index(const struct flow_table *t, const struct flow *f);
/* A keyed hash of one address, reduced to `bits` bits: a source's bucket
 * for per-source counts (the same secret seed as the table's chains). An
 * IPv6 address counts by its /64, which one host can fill alone. */
uint32_t flow_src_bucket(const struct flow_table *t, uint8_t af, const uint8_t *addr,
			 unsigned bits);

#endif
