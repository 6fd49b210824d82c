/* TCP sequence tracking for inspected flows, one struct per direction.
 *
 * The rule it enforces: no byte reaches the receiver that the inspector did
 * not see in that very position. In-order bytes are inspected; a segment
 * beyond a gap is dropped (the sender retransmits it once the gap is
 * filled); a retransmission of bytes already inspected passes only if the
 * receiver has acknowledged them already (it will discard them) or it is
 * the same segment with the same contents as one inspected before. */
#ifndef SW_ENGINE_STREAM_H
#define SW_ENGINE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define STREAM_RING 8

struct stream {
	uint32_t next;		/* next sequence number to inspect */
	uint32_t acked;		/* highest ACK the receiver sent */
	uint8_t init, acked_init, fin, ring_pos;
	struct {
		uint32_t seq, len;
		uint64_t sum;
	} ring[STREAM_RING];
};

enum stream_class {
	STREAM_NEW,	/* payload[skip..] are new in-order bytes: inspect them */
	STREAM_OLD,	/* a harmless retransmission: pass, inspect nothing */
	STREAM_DROP,	/* out of order or unverifiable: drop quietly */
	STREAM_EVIL,	/* inspected bytes sent again with other contents */
};

static inline int seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

void stream_syn(struct stream *s, uint32_t isn);
void stream_ack(struct stream *s, uint32_t ack);
enum stream_class stream_classify(const struct stream *s, const struct pkt *p, size_t *skip);
/* The payload from skip on was inspected and passes. */
void stream_advance(struct stream *s, const struct pkt *p, size_t skip);

#endif
