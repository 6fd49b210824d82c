/* TCP sequence tracking for inspected flows, one struct per direction.
 *
 * The rule it enforces: no byte reaches the receiver that the inspector did
 * not see in that very position. In-order bytes are inspected; a segment
 * beyond a gap is classified STREAM_DROP here, and the caller (dflow.c)
 * parks it until the gap fills, passes it ahead when it is all data set
 * bytes (stream_ahead_add), or drops it. A retransmission of bytes already inspected passes when the
 * receiver has acknowledged them (it will discard them), or when every
 * structural byte it carries (a header, a command, an association PDU:
 * what the inspector parsed) is the same as before, checked against a
 * digest kept for the last STREAM_RING segments. Data set bytes are never
 * parsed, so their contents cannot change what the device's parser sees;
 * they are not hashed, and a retransmission cut differently from the
 * original passes as long as it carries no structural byte it cannot
 * verify whole. */
#ifndef SW_ENGINE_STREAM_H
#define SW_ENGINE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define STREAM_RING 16
#define STREAM_AHEAD 4	/* data ranges passed ahead of a gap, per direction */

struct stream_seg {
	uint32_t start, end;		/* sequence range inspected */
	uint32_t s_lo, s_hi;		/* its structural bytes; s_lo == s_hi: none */
	uint64_t sum;			/* digest of the structural bytes */
};

struct stream {
	uint32_t next;		/* next sequence number to inspect */
	uint32_t acked;		/* highest ACK the receiver sent */
	uint32_t ts_max;	/* newest TCP timestamp passed, if ts_seen */
	uint8_t init, acked_init, fin, ring_pos, ring_used, nahead, ts_seen;
	struct stream_seg ring[STREAM_RING];
	struct {
		uint32_t start, end;
	} ahead[STREAM_AHEAD];		/* passed ahead of a gap, not yet reached */
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
/* payload[skip..] was inspected and passes; of those bytes, [lo, hi)
 * (relative to payload + skip) were structural, hi == 0 none. */
void stream_advance(struct stream *s, const struct pkt *p, size_t skip, size_t lo, size_t hi);

/* p passed toward the receiver: its timestamp is one the receiver may
 * hold older segments against (PAWS, RFC 7323). */
void stream_passed(struct stream *s, const struct pkt *p);
/* 1 when a segment stamped tsval is older than one already passed: the
 * receiver may discard it unseen, so it must not be inspected as if it
 * arrived (its retransmission must find the bytes still uninspected). */
int stream_stale(const struct stream *s, uint32_t tsval);

/* A segment beyond a gap whose bytes are all data set bytes (the caller
 * checked) passes now: remember its range. 0, or -ENOSPC when too many
 * ranges are pending (the segment is then dropped and retransmitted). */
int stream_ahead_add(struct stream *s, const struct pkt *p);
/* When in-order inspection has reached a range passed ahead: returns its
 * length from `next` (the caller skips that many bytes in the inspector)
 * and moves next past it; 0 when none starts at next. */
size_t stream_ahead_take(struct stream *s);

#endif
