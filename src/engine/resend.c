/* Released RQ/AC bytes sent again in the sender's name.
 *
 * The segments of an incomplete A-ASSOCIATE-RQ/AC are held and
 * acknowledged in the receiver's name (dflow.c says why). Once released,
 * the sender takes them as delivered and never retransmits them: one lost
 * on the receiver's link would stall the association until ARTIM. So the
 * inspector keeps the judged PDU (dcm_sent_keep), and until a packet from
 * the receiver acknowledges everything we acknowledged for it, the tick
 * sends those bytes again, exactly as inspected, from the sender's
 * addresses and sequence numbers, out of the receiver's bridge port.
 * The receiver's bare ACKs pass in the kernel: what stops the resends is
 * its next data (the AC answering the RQ, the first P-DATA after the AC),
 * or the tries running out. A copy the receiver already has costs it a
 * duplicate ACK. */
#include <string.h>

#include "engine_int.h"

#define RESEND_FIRST_NS 200000000ull	/* a LAN's RTO floor, as Linux's */
#define RESEND_TRIES 6			/* 0.2 + 0.4 + ... + 6.4 s: ARTIM ends it */
/* Payload per segment: a crafted packet fits REPLY_MAX with any IP header
 * and the timestamp option, so below every Ethernet MSS. */
#define RESEND_SEG (REPLY_MAX - 40 - 32)

void resend_arm(struct eng *e, struct eng_assoc *a, int dir, uint32_t from, uint32_t to,
		uint32_t ack)
{
	resend_stop(e, a);
	/* Only a PDU kept whole (from is its first byte: an RQ or AC is the
	 * first PDU of its direction), to a receiver whose port we know:
	 * anything else is not ours to send. */
	if (!a->port[!dir].ifindex || dcm_sent_len(a->dcm, (enum dcm_dir)dir) < to - from) {
		dcm_sent_forget(a->dcm);
		return;
	}
	a->rs_dir = (uint8_t)dir;
	a->rs_seq = from;
	a->rs_end = to;
	a->rs_ack = ack;
	a->rs_tries = 0;
	a->rs_due_ns = e->now_ns + RESEND_FIRST_NS;
	a->rs_armed = 1;
	e->resends++;
}

void resend_acked(struct eng *e, struct eng_assoc *a)
{
	const struct stream *st = &a->st[a->rs_dir];

	if (a->rs_armed && st->acked_init && !seq_before(st->acked, a->rs_end))
		resend_stop(e, a);
}

void resend_stop(struct eng *e, struct eng_assoc *a)
{
	if (!a->rs_armed)
		return;
	a->rs_armed = 0;
	e->resends--;
	dcm_sent_forget(a->dcm);
}

/* One try: every byte from the receiver's last known ACK to rs_end. */
static void resend_send(struct eng *e, const struct flow *f, struct eng_assoc *a)
{
	const struct stream *st = &a->st[a->rs_dir];
	uint32_t seq = a->rs_seq;
	uint8_t data[RESEND_SEG];
	struct flow_key k;
	/* The sender's newest timestamp passes the receiver's PAWS test; the
	 * echo is only the receiver's RTT sample. */
	struct reply_tcp r = { .key = &k, .ack = a->rs_ack, .win = a->win[a->rs_dir],
			       .data = data, .has_ts = st->ts_seen, .tsval = st->ts_max,
			       .tsecr = a->st[!a->rs_dir].ts_max };

	if (st->acked_init && seq_before(seq, st->acked))
		seq = st->acked;
	dir_key(f, a->rs_dir, &k);
	while (seq_before(seq, a->rs_end)) {
		size_t n = a->rs_end - seq < RESEND_SEG ? a->rs_end - seq : RESEND_SEG;

		r.dlen = dcm_sent_copy(a->dcm, (enum dcm_dir)a->rs_dir, seq - a->rs_seq, data, n);
		if (!r.dlen)
			break;
		r.seq = seq;
		r.flags = TCP_ACK | (seq + (uint32_t)r.dlen == a->rs_end ? TCP_PSH : 0);
		eng_inject(e, reply_tcp(e->out, sizeof(e->out), &r), &a->port[!a->rs_dir]);
		e->c.tcp_resent++;
		seq += (uint32_t)r.dlen;
	}
}

/* Walks the association slots ever used, not the flow table: a slot
 * armed for a resend is always an open flow's (dflow_end stops it). */
void eng_resend(struct eng *e, uint64_t now_ns)
{
	unsigned i;

	if (!e->resends)
		return;
	e->now_ns = now_ns;
	for (i = 0; i < dcm_pool_span(e->dcm) && e->resends; i++) {
		struct eng_assoc *a = &e->assocs[i];

		if (!a->rs_armed || now_ns < a->rs_due_ns)
			continue;
		if (a->rs_tries == RESEND_TRIES) {
			resend_stop(e, a);
			continue;
		}
		resend_send(e, flow_at(e->flows, a->flow), a);
		a->rs_due_ns = now_ns + (RESEND_FIRST_NS << ++a->rs_tries);
	}
}
