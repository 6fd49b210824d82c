/* TCP sequence tracking for inspected flows, one struct per direction.
 *
 * The rule it enforces: no byte reaches the receiver that the inspector did
 * not see in that very position. In-order bytes are inspected; a segment
 * beyond a gap is classified STREAM_DROP here, and the caller (dflow.c)
 * parks it until the gap fills, passes it ahead when it is all data set
 * bytes (stream_ahead_add), or drops it.
 *
 * A retransmission of bytes already inspected passes when every
 * structural byte it carries (a header, a command, an association PDU:
 * what the inspector parsed) is the same as before, compared byte for byte
 * with the copy kept in struct stream_keep, however the copy is cut. Data
 * set bytes are never parsed, so their contents cannot change what the
 * device's parser sees; they are not kept. Bytes the receiver acknowledged
 * need no check: it discards them. The keep is bounded (the newest
 * CONFIG_TCP_VERIFY_KEEP structural bytes not yet acknowledged); a copy
 * reaching back before it cannot be verified (STREAM_LOST). */
#ifndef SW_ENGINE_STREAM_H
#define SW_ENGINE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "scanwall/config.h"
#include "scanwall/dicom.h"
#include "pkt.h"

#define STREAM_AHEAD 4	/* data ranges passed ahead of a gap, per direction */
#define STREAM_KEEP CONFIG_TCP_VERIFY_KEEP
/* The keep's byte count (stream.total) runs modulo 2^32 and places bytes
 * modulo STREAM_KEEP: the two agree across the count's wrap only when
 * STREAM_KEEP divides 2^32. */
_Static_assert((STREAM_KEEP & (STREAM_KEEP - 1)) == 0,
	       "CONFIG_TCP_VERIFY_KEEP must be a power of two");
#define STREAM_KEEP_RANGES (STREAM_KEEP / 8)	/* a PDU + PDV header is 12 */
/* When unverifiable copies end a flow rather than let it hang (dflow.c):
 * at least STREAM_LOST_MAX of them, spread over STREAM_LOST_SPAN_S
 * seconds, with no progress in between (no new ACK from the receiver, no
 * new byte from the sender). A stuck sender's RTO copies do that (Linux's
 * 8th comes 25 s after its 1st); a blind burst of guesses does not. */
#define STREAM_LOST_MAX 8
#define STREAM_LOST_SPAN_S 10

/* The structural bytes inspected and not yet acknowledged, FIFO: range i
 * starts at sequence seq[i] and its bytes at byte position pos[i] (a
 * running count; bytes[pos % STREAM_KEEP]); it ends where the next one's
 * bytes begin, the newest at `total`. Preallocated with the engine, one
 * per direction of each association slot; touched when used. */
struct stream_keep {
	uint32_t seq[STREAM_KEEP_RANGES], pos[STREAM_KEEP_RANGES];
	uint8_t bytes[STREAM_KEEP];
};

struct stream {
	uint32_t next;		/* next sequence number to inspect */
	uint32_t acked;		/* highest ACK the receiver sent */
	uint32_t ts_max;	/* newest TCP timestamp passed, if ts_seen */
	uint32_t kept_from;	/* every structural byte from here on is kept */
	uint32_t total;		/* bytes ever put in the keep */
	uint32_t last_end;	/* sequence where the newest range ends */
	uint32_t head, used;	/* oldest range, ranges in use */
	uint8_t init, acked_init, fin, nahead, ts_seen;
	uint8_t lost;		/* unverifiable copies since the last progress */
	uint32_t lost_s;	/* the engine second the first of them came */
	struct stream_keep *keep;	/* not reset by stream_reset */
	struct {
		uint32_t start, end;
	} ahead[STREAM_AHEAD];		/* passed ahead of a gap, not yet reached */
};

enum stream_class {
	STREAM_NEW,	/* payload[skip..] are new in-order bytes: inspect them */
	STREAM_OLD,	/* a harmless retransmission: pass, inspect nothing */
	STREAM_DROP,	/* beyond a gap (or before the SYN): park or drop */
	STREAM_EVIL,	/* inspected structural bytes sent again with other contents */
	STREAM_LOST,	/* a retransmission older than the keep: cannot be verified */
};

static inline int seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* s uses keep (caller's storage, for the life of the association). */
void stream_init(struct stream *s, struct stream_keep *keep);
void stream_syn(struct stream *s, uint32_t isn);
/* An ACK from the receiver; one beyond the bytes inspected is ignored
 * (nobody acknowledges bytes that never reached it). A newer one resets
 * the count of unverifiable copies. */
void stream_ack(struct stream *s, uint32_t ack);
/* A copy classified STREAM_LOST was dropped at engine second now_s: 1
 * when the copies since the last progress are evidence that the real
 * sender is stuck (STREAM_LOST_MAX, STREAM_LOST_SPAN_S), 0 otherwise. */
int stream_lost(struct stream *s, uint32_t now_s);
enum stream_class stream_classify(const struct stream *s, const struct pkt *p, size_t *skip);
/* payload[skip..] was inspected and passes; of those bytes, the n ranges r
 * (relative to payload + skip, ascending) were structural: they are kept.
 * New bytes are progress: the count of unverifiable copies restarts. */
void stream_advance(struct stream *s, const struct pkt *p, size_t skip,
		    const struct dcm_range *r, unsigned n);

/* Where a reset's sequence number falls, RFC 5961 §3.2: exactly at the
 * receiver's next expected byte (as far as we know it: the next byte to
 * inspect), inside its window (from its last ACK to `next` plus the window
 * it advertised, win as on the wire shifted by its scale), or outside. */
enum stream_rst { STREAM_RST_EXACT, STREAM_RST_WINDOW, STREAM_RST_OUTSIDE };

enum stream_rst stream_rst(const struct stream *s, uint32_t seq, uint16_t win, unsigned wscale);

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
