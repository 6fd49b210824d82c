#include <errno.h>
#include <string.h>

#include "stream.h"

/* A 64-bit digest of structural bytes, to recognise a true retransmission.
 * It need not resist a chosen collision by itself: a forgery must also hit
 * the same sequence range, and only bytes the sender itself sent before. */
static uint64_t stream_sum(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

void stream_syn(struct stream *s, uint32_t isn)
{
	memset(s, 0, sizeof(*s));
	s->next = isn + 1;
	s->init = 1;
}

void stream_ack(struct stream *s, uint32_t ack)
{
	if (!s->acked_init || seq_before(s->acked, ack)) {
		s->acked = ack;
		s->acked_init = 1;
	}
}

static int stream_acked(const struct stream *s, uint32_t end)
{
	return s->acked_init && !seq_before(s->acked, end);
}

/* Where the remembered segments begin: older bytes cannot be verified. */
static uint32_t ring_start(const struct stream *s)
{
	unsigned oldest = s->ring_used < STREAM_RING ? 0 : s->ring_pos;

	return s->ring_used ? s->ring[oldest].start : s->next;
}

/* One remembered segment against the retransmission [S, E). */
static enum stream_class seg_check(const struct stream_seg *g, const struct pkt *p)
{
	uint32_t S = p->seq, E = p->seq + (uint32_t)p->plen;

	if (g->s_lo == g->s_hi || !seq_before(g->s_lo, E) || !seq_before(S, g->s_hi))
		return STREAM_OLD;	/* no structural byte of it in the copy */
	if (seq_before(g->s_lo, S) || seq_before(E, g->s_hi))
		return STREAM_DROP;	/* part of them only: cannot verify */
	if (stream_sum(p->payload + (g->s_lo - S), g->s_hi - g->s_lo) != g->sum)
		return STREAM_EVIL;
	return STREAM_OLD;
}

static enum stream_class stream_old(const struct stream *s, const struct pkt *p)
{
	enum stream_class c, worst = STREAM_OLD;
	unsigned i;

	if (stream_acked(s, p->seq + (uint32_t)p->plen))
		return STREAM_OLD;
	if (seq_before(p->seq, ring_start(s)))
		return STREAM_DROP;
	for (i = 0; i < s->ring_used; i++) {
		c = seg_check(&s->ring[i], p);
		if (c == STREAM_EVIL)
			return c;
		if (c == STREAM_DROP)
			worst = c;
	}
	return worst;
}

enum stream_class stream_classify(const struct stream *s, const struct pkt *p, size_t *skip)
{
	uint32_t end = p->seq + (uint32_t)p->plen;

	*skip = 0;
	if (!s->init)
		return STREAM_DROP;
	if (p->seq == s->next)
		return STREAM_NEW;
	if (seq_before(s->next, p->seq))
		return STREAM_DROP;		/* beyond a gap */
	if (!seq_before(s->next, end))
		return stream_old(s, p);	/* entirely inspected already */
	/* Starts in old bytes, ends in new ones: the old part must pass the
	 * same test as a retransmission before the rest is inspected. */
	if (!stream_acked(s, s->next)) {
		struct pkt old = *p;

		old.plen = s->next - p->seq;
		if (stream_old(s, &old) != STREAM_OLD)
			return STREAM_DROP;
	}
	*skip = s->next - p->seq;
	return STREAM_NEW;
}

/* Remembers n as inspected, and moves next past it. Data bytes that
 * continue the newest entry extend it, so that in a bulk transfer the ring
 * spans its last PDUs rather than its last segments: a retransmission of
 * data the receiver discarded (a full buffer, PAWS) still finds its range. */
static void ring_push(struct stream *s, const struct stream_seg *n)
{
	struct stream_seg *last = &s->ring[(s->ring_pos + STREAM_RING - 1) % STREAM_RING];

	s->next = n->end;
	if (n->s_lo == n->s_hi && s->ring_used && last->end == n->start) {
		last->end = n->end;
		return;
	}
	s->ring[s->ring_pos] = *n;
	s->ring_pos = (uint8_t)((s->ring_pos + 1) % STREAM_RING);
	s->ring_used += s->ring_used < STREAM_RING;
}

void stream_advance(struct stream *s, const struct pkt *p, size_t skip, size_t lo, size_t hi)
{
	uint32_t start = p->seq + (uint32_t)skip;

	if (p->plen > skip) {
		struct stream_seg g = { .start = start, .end = p->seq + (uint32_t)p->plen };

		if (hi > lo) {
			g.s_lo = start + (uint32_t)lo;
			g.s_hi = start + (uint32_t)hi;
			g.sum = stream_sum(p->payload + skip + lo, hi - lo);
		}
		ring_push(s, &g);
	}
	if (p->flags & TCP_FIN) {
		s->next++;
		s->fin = 1;
	}
}

void stream_passed(struct stream *s, const struct pkt *p)
{
	if (!p->has_ts || (s->ts_seen && !seq_before(s->ts_max, p->tsval)))
		return;
	s->ts_max = p->tsval;
	s->ts_seen = 1;
}

int stream_stale(const struct stream *s, uint32_t tsval)
{
	return s->ts_seen && seq_before(tsval, s->ts_max);
}

/* The retransmission of a range passed ahead is as good as the range. */
static int ahead_covers(const struct stream *s, uint32_t start, uint32_t end)
{
	for (unsigned i = 0; i < s->nahead; i++)
		if (!seq_before(start, s->ahead[i].start) && !seq_before(s->ahead[i].end, end))
			return 1;
	return 0;
}

int stream_ahead_add(struct stream *s, const struct pkt *p)
{
	uint32_t end = p->seq + (uint32_t)p->plen;

	if (ahead_covers(s, p->seq, end))
		return 0;
	if (s->nahead == STREAM_AHEAD)
		return -ENOSPC;
	s->ahead[s->nahead].start = p->seq;
	s->ahead[s->nahead].end = end;
	s->nahead++;
	return 0;
}

/* Records [start, end) as inspected data, no structural byte in it. */
static void stream_note_data(struct stream *s, uint32_t start, uint32_t end)
{
	ring_push(s, &(struct stream_seg){ .start = start, .end = end });
}

size_t stream_ahead_take(struct stream *s)
{
	unsigned i = 0;

	while (i < s->nahead) {
		uint32_t a = s->ahead[i].start, b = s->ahead[i].end;

		if (!seq_before(s->next, b)) {		/* inspected in order since */
			s->ahead[i] = s->ahead[--s->nahead];
			continue;
		}
		if (!seq_before(s->next, a)) {		/* reached: the rest is skipped */
			size_t n = b - s->next;

			s->ahead[i] = s->ahead[--s->nahead];
			stream_note_data(s, s->next, b);
			return n;
		}
		i++;
	}
	return 0;
}
