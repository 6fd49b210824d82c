#include <string.h>

#include "stream.h"

/* A keyed-free 64-bit digest of a segment, to recognise a true
 * retransmission. It need not resist a chosen collision by itself: a
 * different segment must also hit the same sequence number and length. */
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

static enum stream_class stream_old(const struct stream *s, const struct pkt *p)
{
	uint64_t sum;
	unsigned i;

	if (stream_acked(s, p->seq + (uint32_t)p->plen))
		return STREAM_OLD;
	sum = stream_sum(p->payload, p->plen);
	for (i = 0; i < STREAM_RING; i++) {
		if (s->ring[i].seq != p->seq || s->ring[i].len != p->plen)
			continue;
		return s->ring[i].sum == sum ? STREAM_OLD : STREAM_EVIL;
	}
	return STREAM_DROP;
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
	/* Starts in old bytes, ends in new ones: only when the old part is
	 * acknowledged can the rest be inspected on its own. */
	if (!stream_acked(s, s->next))
		return STREAM_DROP;
	*skip = s->next - p->seq;
	return STREAM_NEW;
}

void stream_advance(struct stream *s, const struct pkt *p, size_t skip)
{
	if (p->plen > skip) {
		if (!skip) {
			s->ring[s->ring_pos].seq = p->seq;
			s->ring[s->ring_pos].len = (uint32_t)p->plen;
			s->ring[s->ring_pos].sum = stream_sum(p->payload, p->plen);
			s->ring_pos = (uint8_t)((s->ring_pos + 1) % STREAM_RING);
		}
		s->next = p->seq + (uint32_t)p->plen;
	}
	if (p->flags & TCP_FIN) {
		s->next++;
		s->fin = 1;
	}
}
