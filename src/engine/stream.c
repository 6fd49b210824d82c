#include <errno.h>
#include <string.h>

#include "stream.h"

void stream_init(struct stream *s, struct stream_keep *keep)
{
	memset(s, 0, sizeof(*s));
	s->keep = keep;
}

/* Back to "no SYN seen", keeping s->keep. */
static void stream_reset(struct stream *s)
{
	stream_init(s, s->keep);
}

void stream_syn(struct stream *s, uint32_t isn)
{
	stream_reset(s);
	s->next = isn + 1;
	s->kept_from = s->next;
	s->last_end = s->next;
	s->init = 1;
}

void stream_ack(struct stream *s, uint32_t ack)
{
	if (s->init && seq_before(s->next, ack))
		return;
	if (!s->acked_init || seq_before(s->acked, ack)) {
		s->acked = ack;
		s->acked_init = 1;
		s->lost = 0;
	}
}

int stream_lost(struct stream *s, uint32_t now_s)
{
	if (!s->lost)
		s->lost_s = now_s;
	if (s->lost < UINT8_MAX)
		s->lost++;
	return s->lost >= STREAM_LOST_MAX && now_s - s->lost_s >= STREAM_LOST_SPAN_S;
}

/* Range i of the keep (0 the oldest): its slot, and where it ends. */
static unsigned keep_slot(const struct stream *s, unsigned i)
{
	return (s->head + i) % STREAM_KEEP_RANGES;
}

static uint32_t keep_len(const struct stream *s, unsigned i)
{
	const struct stream_keep *k = s->keep;
	uint32_t end = i + 1 < s->used ? k->pos[keep_slot(s, i + 1)] : s->total;

	return end - k->pos[keep_slot(s, i)];
}

/* The oldest range goes: nothing before its end can be verified now. */
static void keep_pop(struct stream *s)
{
	uint32_t end = s->keep->seq[s->head] + keep_len(s, 0);

	if (seq_before(s->kept_from, end))
		s->kept_from = end;
	s->head = (s->head + 1) % STREAM_KEEP_RANGES;
	s->used--;
}

/* Room for n more bytes and one more range: acknowledged ranges go first
 * (nobody needs them), then the oldest, the last one in part if that is
 * enough. */
static void keep_room(struct stream *s, uint32_t n)
{
	struct stream_keep *k = s->keep;

	while (s->used && s->acked_init && !seq_before(s->acked, k->seq[s->head] + keep_len(s, 0)))
		keep_pop(s);
	if (s->used == STREAM_KEEP_RANGES)
		keep_pop(s);
	while (s->used && s->total - k->pos[s->head] + n > STREAM_KEEP) {
		uint32_t over = s->total - k->pos[s->head] + n - STREAM_KEEP;

		if (keep_len(s, 0) <= over) {
			keep_pop(s);
			continue;
		}
		k->seq[s->head] += over;
		k->pos[s->head] += over;
		s->kept_from = k->seq[s->head];
	}
}

/* Keeps the structural bytes d[0..n) found at sequence seq. A range longer
 * than the whole keep leaves its tail there. */
static void keep_push(struct stream *s, uint32_t seq, const uint8_t *d, uint32_t n)
{
	struct stream_keep *k = s->keep;
	uint32_t off, first;

	if (n > STREAM_KEEP) {
		d += n - STREAM_KEEP;
		seq += n - STREAM_KEEP;
		n = STREAM_KEEP;
		s->used = 0;
		s->kept_from = seq;
	}
	keep_room(s, n);
	if (!s->used || seq != s->last_end) {	/* else it grows the newest */
		unsigned i = keep_slot(s, s->used++);

		k->seq[i] = seq;
		k->pos[i] = s->total;
	}
	off = s->total % STREAM_KEEP;
	first = n < STREAM_KEEP - off ? n : STREAM_KEEP - off;
	memcpy(k->bytes + off, d, first);
	memcpy(k->bytes, d + first, n - first);
	s->total += n;
	s->last_end = seq + n;
}

/* Whether the n kept bytes from position pos differ from d. */
static int keep_differs(const struct stream_keep *k, uint32_t pos, const uint8_t *d, uint32_t n)
{
	uint32_t off = pos % STREAM_KEEP, first = n < STREAM_KEEP - off ? n : STREAM_KEEP - off;

	return memcmp(k->bytes + off, d, first) || memcmp(k->bytes, d + first, n - first);
}

/* The copy p's bytes up to sequence `to`, all inspected before, against
 * every kept structural byte they overlap. */
static enum stream_class keep_verify(const struct stream *s, const struct pkt *p, uint32_t to)
{
	const struct stream_keep *k = s->keep;
	uint32_t from = p->seq;

	if (s->acked_init && seq_before(from, s->acked))
		from = s->acked;	/* the receiver discards those */
	if (!seq_before(from, to))
		return STREAM_OLD;
	if (seq_before(from, s->kept_from))
		return STREAM_LOST;
	for (unsigned i = 0; i < s->used; i++) {
		uint32_t rs = k->seq[keep_slot(s, i)], re = rs + keep_len(s, i);
		uint32_t lo = seq_before(from, rs) ? rs : from, hi = seq_before(to, re) ? to : re;

		if (seq_before(lo, hi) &&
		    keep_differs(k, k->pos[keep_slot(s, i)] + (lo - rs), p->payload + (lo - p->seq),
				 hi - lo))
			return STREAM_EVIL;
	}
	return STREAM_OLD;
}

enum stream_class stream_classify(const struct stream *s, const struct pkt *p, size_t *skip)
{
	uint32_t end = p->seq + (uint32_t)p->plen;
	enum stream_class c;

	*skip = 0;
	if (!s->init)
		return STREAM_DROP;
	if (p->seq == s->next)
		return STREAM_NEW;
	if (seq_before(s->next, p->seq))
		return STREAM_DROP;		/* beyond a gap */
	if (!seq_before(s->next, end))
		return keep_verify(s, p, end);	/* entirely inspected already */
	/* Starts in old bytes, ends in new ones: the old part must pass the
	 * same test as a retransmission before the rest is inspected. */
	c = keep_verify(s, p, s->next);
	if (c != STREAM_OLD)
		return c;
	*skip = s->next - p->seq;
	return STREAM_NEW;
}

void stream_advance(struct stream *s, const struct pkt *p, size_t skip,
		    const struct dcm_range *r, unsigned n)
{
	uint32_t start = p->seq + (uint32_t)skip;

	for (unsigned i = 0; i < n; i++)
		keep_push(s, start + r[i].lo, p->payload + skip + r[i].lo, r[i].hi - r[i].lo);
	if (p->plen > skip) {
		s->next = p->seq + (uint32_t)p->plen;
		s->lost = 0;
	}
	if (p->flags & TCP_FIN) {
		s->next++;
		s->fin = 1;
	}
}

enum stream_rst stream_rst(const struct stream *s, uint32_t seq, uint16_t win, unsigned wscale)
{
	uint32_t lo = s->acked_init ? s->acked : s->next;

	if (seq == s->next)
		return STREAM_RST_EXACT;
	if (!seq_before(seq, lo) && seq_before(seq, s->next + ((uint32_t)win << wscale) + 1))
		return STREAM_RST_WINDOW;
	return STREAM_RST_OUTSIDE;
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
			s->next = b;	/* data set bytes: nothing to keep */
			return n;
		}
		i++;
	}
	return 0;
}
