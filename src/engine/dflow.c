/* Inspected DICOM flows: TCP stream tracking in both directions feeding
 * the Upper Layer inspector, holding the segments of an A-ASSOCIATE-RQ/AC
 * until it is judged whole, and answering refusals so that nobody waits
 * for a timeout: the initiator gets an A-ASSOCIATE-RJ (or A-ABORT) in a
 * segment that looks like the acceptor's, the acceptor gets a reset. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "engine_int.h"

static struct eng_assoc *flow_assoc(struct eng *e, const struct flow *f)
{
	return &e->assocs[f->assoc - 1];
}

/* The acceptor's window, until it sends one we see: its SYN-ACK passed
 * in the kernel. Only the ACKs we send for a held A-ASSOCIATE-RQ carry
 * it, and the initiator has nothing more to send before the AC. */
#define DFLOW_WIN_UNSEEN 0xffff

/* The SYN of an allowed DICOM flow (admit_syn_check passed): an
 * unestablished flow (admit.c) and nothing else, until the initiator
 * sends data (dflow_embryo). */
void dflow_start(struct eng *e, struct flow *f, const struct eng_pkt *pk, const struct pkt *p,
		 uint32_t src, enum eng_verdict *v)
{
	const struct eng_port *acceptor = eng_host_port(e, p->key.af, p->key.dst);

	admit_syn(e, f, pk, p, src);
	e->answer_due = true;	/* the RQ follows the handshake */
	/* Where the acceptor sits is known: its SYN-ACK need not come here,
	 * unless the first data will have to prove the handshake. */
	*v = acceptor && !admit_embryo(e, f)->proof ? ENG_OPEN_SYNACK : ENG_OPEN;
}

/* No association slot for f's first data: the initiator gets an
 * A-ASSOCIATE-RJ (transient, local limit exceeded) acknowledging what it
 * sent, the acceptor, which saw only a handshake, a reset at the first
 * byte it expects. Both in the other's name, from the numbers the data
 * segment carries; the RJ only within the initiator's answer limit (the
 * reset frees the device's end and goes nowhere else: dflow_answer). */
static void dflow_busy(struct eng *e, struct flow *f, const struct eng_pkt *pk,
		       const struct pkt *p, uint32_t isn)
{
	const struct pol_rule *r = eng_flow_rule(e, f);
	const struct eng_port *acceptor = eng_host_port(e, f->key.af, f->key.dst);
	struct flow_key back;
	uint8_t pdu[10];
	struct reply_tcp rj = { .key = &back, .seq = p->ack, .ack = p->seq + (uint32_t)p->plen,
				.flags = TCP_ACK | TCP_PSH, .data = pdu,
				.dlen = dcm_build_rj(pdu, 2, 3, 2) };
	struct reply_tcp rst = { .key = &f->key, .seq = isn + 1, .ack = p->ack,
				 .flags = TCP_RST | TCP_ACK };
	bool answer = eng_answer_ok(e, &f->key);

	pkt_key_reverse(&f->key, &back);
	if (answer)
		eng_inject(e, reply_tcp(e->out, sizeof(e->out), &rj), &pk->from);
	if (acceptor)
		eng_inject(e, reply_tcp(e->out, sizeof(e->out), &rst), acceptor);
	eng_emit(e, &(struct sw_event){ .kind = EV_ASSOC_REJECT, .rule_line = r ? (int)r->line : 0,
					.reason = "no inspection slot free",
					.fault = dcm_fault_name(DCM_R_BUSY),
					.answer = answer ? "a-associate-rj" : NULL }, &f->key);
	e->c.fault[DCM_R_BUSY]++;
	f->state = FLOW_REFUSED;
	f->last_s = e->now_s;	/* its timeout runs from here, unrefreshed */
	/* Its bare ACKs passed in the kernel; now they come here, for resets. */
	if (e->ops->revoke)
		e->ops->revoke(e->ctx, &f->key, false);
}

/* The initiator's first data: the flow takes an association slot and its
 * negotiation begins (the ARTIM deadline runs from here), or it is
 * refused as busy. */
static int dflow_promote(struct eng *e, struct flow *f, const struct eng_pkt *pk,
			 const struct pkt *p)
{
	const struct eng_port *acceptor = eng_host_port(e, f->key.af, f->key.dst);
	const struct eng_embryo *m = admit_embryo(e, f);
	uint32_t isn = m->isn, i;
	struct dcm_assoc *d;
	struct eng_assoc *a;
	uint8_t named;

	admit_syn_end(e, f);
	if (admit_assoc(e, f, &named))
		goto out_busy;
	d = dcm_assoc_new(e->dcm, eng_flow_rule(e, f));
	if (!d) {	/* no rule, or the pool disagrees with the count */
		admit_assoc_undo(e, f, named);
		goto out_busy;
	}
	/* one slot: the engine's half sits at the inspector's index */
	i = dcm_assoc_slot(e->dcm, d);
	a = &e->assocs[i - 1];
	a->dcm = d;
	stream_init(&a->st[0], &e->keep[2 * (i - 1)]);
	stream_init(&a->st[1], &e->keep[2 * (i - 1) + 1]);
	a->nheld[0] = a->nheld[1] = 0;
	memset(a->park_head, 0, sizeof(a->park_head));
	memset(a->park_tail, 0, sizeof(a->park_tail));
	a->port[0] = pk->from;
	a->port[1] = acceptor ? *acceptor : (struct eng_port){ 0 };
	a->wscale[0] = m->ws_ini;
	a->wscale[1] = m->synack ? m->ws_acc : ENG_WSCALE_UNSEEN;
	a->flow = flow_index(e->flows, f);
	a->artim_s = e->now_s;
	a->negotiating = 1;
	a->named = named;
	stream_syn(&a->st[0], isn);
	f->assoc = i;
	f->state = FLOW_OPEN;
	f->last_s = e->now_s;	/* the handshake advanced */
	eng_obs_start(e, f);
	e->gen[f->gen].refs++;
	return 0;

out_busy:
	dflow_busy(e, f, pk, p, isn);
	return -EBUSY;
}

int dflow_embryo(struct eng *e, struct flow *f, int dir, const struct eng_pkt *pk,
		 const struct pkt *p, enum eng_verdict *v)
{
	struct eng_embryo *m = admit_embryo(e, f);
	bool acked = m->synack && (p->flags & TCP_ACK) && p->ack == m->isn_acc + 1;

	*v = ENG_DROP;
	if (admit_reset(e, f, dir, p, v))
		return 0;
	if (dir) {
		int ok;

		if (p->plen)
			return 0;	/* the acceptor speaking first */
		/* The acceptor's port is learnt only from a SYN-ACK that
		 * named the initiator's ISN: a blind one must not move the
		 * host table (dflow_acceptor_at says why). */
		ok = admit_acceptor(e, f, pk, p);
		if (ok == 1)
			eng_host_learn(e, p->key.af, p->key.src, &pk->from);
		if (ok >= 0)
			*v = ENG_ACCEPT;
		return 0;
	}
	if (p->flags & TCP_SYN) {
		*v = admit_syn_again(e, f, p);
		return 0;
	}
	if (!p->plen) {
		/* A bare ACK carries nothing to inspect, nor does a FIN that
		 * closes the connection before any data: neither takes a slot,
		 * and the flow stays unestablished, as conntrack's entry stays
		 * unassured in FIN_WAIT. Only the first ACK of the SYN-ACK
		 * advances: keepalives and FINs again keep nothing alive. */
		if (acked && !m->acked) {
			m->acked = 1;
			f->last_s = e->now_s;
		}
		*v = ENG_ACCEPT;
		return 0;
	}
	if (!(p->flags & TCP_ACK))
		return 0;	/* no handshake */
	if (m->proof && !acked) {
		/* Under pressure a slot goes only to an initiator that saw the
		 * acceptor's SYN-ACK: a blind spoofer cannot name its ISN. */
		e->c.assoc_unproven++;
		return 0;
	}
	if (dflow_promote(e, f, pk, p))
		return 0;
	return dflow_packet(e, f, dir, pk, p, v);
}

static bool port_same(const struct eng_port *a, const struct eng_port *b)
{
	return a->ifindex == b->ifindex && a->has_mac == b->has_mac &&
	       !memcmp(a->mac, b->mac, sizeof(a->mac));
}

/* The acceptor's packet p came in at `from`: that is where resets for it
 * go, in this association and (hostport.c) in later ones. Not when it
 * came in where the initiator sits: the initiator itself can forge its
 * peer's packets, sequence numbers and all, and would have the resets
 * meant for the acceptor sent to it instead. */
static void dflow_acceptor_at(struct eng *e, struct eng_assoc *a, const struct pkt *p,
			      const struct eng_port *from)
{
	if (from->ifindex && from->ifindex == a->port[0].ifindex)
		return;
	a->port[1] = *from;
	eng_host_learn(e, p->key.af, p->key.src, from);
}

static void dflow_release(struct eng *e, struct eng_assoc *a, int dir, enum eng_verdict v)
{
	unsigned i;

	for (i = 0; i < a->nheld[dir]; i++)
		if (e->ops->release)
			e->ops->release(e->ctx, a->held[dir][i], v);
	a->nheld[dir] = 0;
}

/* A segment beyond a gap waits for the gap to fill. The kernel holds the
 * packet; we keep a copy of its payload when it fits a slot, and judge it
 * from the copy as soon as the in-order stream reaches it (dflow_resume),
 * as if it had just arrived in order. A larger one (a GSO segment) goes
 * through the hook again then (ENG_REPEAT) and comes back in order. Not
 * dropped: a bulk transfer through veth's per-CPU backlogs arrives
 * reordered often, and every drop costs the sender a retransmission and
 * half its congestion window. Each direction's parked segments are kept in
 * sequence order; reordered segments mostly arrive in rising order, so
 * the tail is where they go. A copy of a segment already parked is
 * dropped: the first one is judged. */
static int dflow_park(struct eng *e, struct eng_assoc *a, int dir, const struct eng_pkt *pk,
		      const struct pkt *p)
{
	uint32_t end = p->seq + (uint32_t)p->plen, n, *link;
	struct eng_parked *q;

	if (!seq_before(a->st[dir].next, p->seq))
		return -EINVAL;		/* not beyond a gap: unverifiable instead */
	link = &a->park_head[dir];
	if (a->park_tail[dir] && seq_before(e->park[a->park_tail[dir]].seq, p->seq))
		link = &e->park[a->park_tail[dir]].next;
	for (; *link && !seq_before(p->seq, e->park[*link].seq); link = &e->park[*link].next)
		if (e->park[*link].seq == p->seq && e->park[*link].end == end)
			return -EEXIST;
	n = slot_take(&e->park_slots);
	if (!n) {
		e->c.tcp_park_full++;
		return -ENOSPC;
	}
	q = &e->park[n];
	*q = (struct eng_parked){ .id = pk->id, .seq = p->seq, .end = end, .tsval = p->tsval,
				  .has_ts = p->has_ts, .flags = p->flags, .next = *link };
	if (p->plen <= ENG_PARK_DATA) {
		memcpy(e->park_data[n], p->payload, p->plen);
		q->dlen = (uint16_t)p->plen;
		q->copied = 1;
	}
	if (!q->next)
		a->park_tail[dir] = n;
	*link = n;
	e->c.tcp_parked++;
	return 0;
}

/* Takes the first parked segment of dir off its list; the caller frees it
 * (park_free) once done with its copy. */
static uint32_t park_pop(struct eng *e, struct eng_assoc *a, int dir)
{
	uint32_t n = a->park_head[dir];

	a->park_head[dir] = e->park[n].next;
	if (!a->park_head[dir])
		a->park_tail[dir] = 0;
	return n;
}

static void park_free(struct eng *e, uint32_t n)
{
	slot_give(&e->park_slots, n);
}

/* A segment older (by its timestamp) than one already passed would be
 * discarded by the receiver (PAWS) after we inspected it, and the
 * retransmission that must then carry its bytes would find them inspected
 * but never delivered: it is dropped instead, and its retransmission is
 * inspected as new. */
static bool park_stale(const struct eng_assoc *a, int dir, const struct eng_parked *q)
{
	return q->has_ts && stream_stale(&a->st[dir], q->tsval);
}

/* Gives parked segments their verdict through the hook: all of them with
 * v, or (!all) those the in-order stream now reaches, in sequence order
 * and each extending the reach, so that a run of them comes back in one
 * go and in order. */
static void dflow_unpark(struct eng *e, struct eng_assoc *a, int dir, enum eng_verdict v,
			 bool all)
{
	uint32_t reach = a->st[dir].next, n;

	while ((n = a->park_head[dir])) {
		struct eng_parked *q = &e->park[n];
		enum eng_verdict qv = v;

		if (!all && seq_before(reach, q->seq))
			break;
		if (v == ENG_REPEAT && park_stale(a, dir, q))
			qv = ENG_DROP;
		else if (seq_before(reach, q->end))
			reach = q->end;
		park_pop(e, a, dir);
		park_free(e, n);
		if (e->ops->release)
			e->ops->release(e->ctx, q->id, qv);
	}
}

static int dflow_data(struct eng *e, struct flow *f, int dir, const struct eng_pkt *pk,
		      const struct pkt *p, enum eng_verdict *v);
/* The in-order stream has reached parked segments: each one copied is
 * judged now from its copy, exactly as if it arrived in order, and its
 * verdict released. No second trip through the queue, so the segments
 * behind it need not park in turn. One not copied, and all after it, go
 * through the hook again. */
static void dflow_resume(struct eng *e, struct flow *f, int dir)
{
	while (f->state == FLOW_OPEN && f->assoc) {
		struct eng_assoc *a = flow_assoc(e, f);
		uint32_t n = a->park_head[dir];
		const struct eng_parked *q = &e->park[n];
		enum eng_verdict v = ENG_DROP;
		struct eng_pkt pk;
		struct pkt p;
		uint32_t id = q->id;
		bool stale;

		if (!n || seq_before(a->st[dir].next, q->seq))
			return;
		stale = park_stale(a, dir, q);
		if (!q->copied && !stale) {
			dflow_unpark(e, a, dir, ENG_REPEAT, false);
			return;
		}
		park_pop(e, a, dir);
		if (!stale) {
			pk = (struct eng_pkt){ .id = id, .ts_ns = e->now_ns, .from = a->port[dir] };
			p = (struct pkt){ .payload = e->park_data[n], .plen = q->dlen, .seq = q->seq,
					  .flags = q->flags, .tsval = q->tsval, .has_ts = q->has_ts,
					  .ack = a->st[!dir].next, .win = a->win[dir] };
			dir_key(f, dir, &p.key);
			dflow_data(e, f, dir, &pk, &p, &v);
		}
		park_free(e, n);
		if (v != ENG_HOLD && e->ops->release)
			e->ops->release(e->ctx, id, v);
	}
}

void dflow_end(struct eng *e, struct flow *f)
{
	struct eng_assoc *a = flow_assoc(e, f);

	admit_assoc_end(e, f, a);
	resend_stop(e, a);
	dflow_release(e, a, 0, ENG_DROP);
	dflow_release(e, a, 1, ENG_DROP);
	dflow_unpark(e, a, 0, ENG_DROP, true);
	dflow_unpark(e, a, 1, ENG_DROP, true);
	dcm_assoc_free(e->dcm, a->dcm);	/* the slot of both halves */
	a->dcm = NULL;
	f->assoc = 0;
}

/* Inspection of f is over: its state goes back to the pools, its policy
 * generation loses a user, and the flow carries on as `state`. */
static void dflow_leave(struct eng *e, struct flow *f, enum flow_state state)
{
	dflow_end(e, f);
	eng_gen_put(e, f->gen);
	f->state = state;
	f->last_s = e->now_s;	/* a refused or closing flow ages from here, unrefreshed */
	/* The kernel passed the flow's bare ACKs (ENG_OPEN); a refused one's
	 * packets all come here again, to be answered with resets. */
	if (state == FLOW_REFUSED && e->ops->revoke)
		e->ops->revoke(e->ctx, &f->key, false);
}

void dir_key(const struct flow *f, int dir, struct flow_key *k)
{
	if (dir)
		pkt_key_reverse(&f->key, k);
	else
		*k = f->key;
}

static const char *const answer_names[] = {
	[DCM_ANS_NONE] = "tcp-reset", [DCM_ANS_RJ] = "a-associate-rj", [DCM_ANS_ABORT] = "a-abort",
};

/* One ask of the answer limit (answerlim.c) for a refusal that what dir
 * sent caused: the answer to that source (below) is charged to it. */
static bool dflow_may_answer(struct eng *e, const struct flow *f, int dir)
{
	struct flow_key k;

	dir_key(f, dir, &k);
	return eng_answer_ok(e, &k);
}

/* Sender of the refused bytes: the RJ or A-ABORT, acknowledging all it sent,
 * as if from its peer; without a PDU to send, a reset; only when `answer`
 * (dflow_may_answer): it goes to the address the packet claims. Its peer,
 * which never saw the refused bytes, gets a reset at exactly its rcv_nxt
 * whatever the limit: it frees that end (mostly the device's), goes only
 * to a host that took part in the handshake, once a flow. */
static void dflow_answer(struct eng *e, struct flow *f, int dir, const struct pkt *p,
			 const struct dcm_verdict *dv, size_t skip, bool answer)
{
	struct eng_assoc *a = flow_assoc(e, f);
	struct flow_key to_sender, to_peer;
	uint8_t pdu[10];
	struct reply_tcp r = { .key = &to_sender, .data = pdu, .flags = TCP_ACK | TCP_PSH };

	dir_key(f, !dir, &to_sender);
	dir_key(f, dir, &to_peer);
	r.seq = a->st[!dir].next;
	r.ack = p->seq + (uint32_t)p->plen;
	if (dv->answer == DCM_ANS_RJ)
		r.dlen = dcm_build_rj(pdu, dv->result, dv->source, dv->reason);
	else if (dv->answer == DCM_ANS_ABORT)
		r.dlen = dcm_build_abort(pdu, dv->source, dv->reason);
	else
		r.flags = TCP_RST | TCP_ACK;
	if (answer)
		eng_inject(e, reply_tcp(e->out, sizeof(e->out), &r), &a->port[dir]);
	if (!a->st[!dir].init)
		return;
	r = (struct reply_tcp){ .key = &to_peer, .flags = TCP_RST | TCP_ACK,
				.seq = a->nheld[dir] ? a->hold_seq[dir] : p->seq + (uint32_t)skip,
				.ack = a->st[!dir].next };
	eng_inject(e, reply_tcp(e->out, sizeof(e->out), &r), &a->port[!dir]);
}

static enum ev_kind refusal_kind(const struct dcm_verdict *dv)
{
	if (dv->fault >= DCM_R_CALLING_AE && dv->fault <= DCM_R_BUSY)	/* policy */
		return dv->answer == DCM_ANS_ABORT ? EV_ASSOC_ABORT : EV_ASSOC_REJECT;
	return EV_INVALID;
}

/* answered: the refusal's answer went out (not held back by the limit). */
static void dflow_event(struct eng *e, struct flow *f, enum ev_kind kind, const char *reason,
			const struct dcm_verdict *dv, const char *fault, bool answered)
{
	const struct pol_rule *r = eng_flow_rule(e, f);
	struct eng_assoc *a = flow_assoc(e, f);
	struct sw_event ev = {
		.kind = kind, .rule_line = r ? (int)r->line : 0, .reason = reason,
		.calling_ae = dcm_calling_ae(a->dcm), .called_ae = dcm_called_ae(a->dcm),
		.fault = fault,
	};

	if (dv && dv->step == DCM_REFUSE) {
		ev.refused = dv->detail;
		ev.fault = dcm_fault_name(dv->fault);
		ev.answer = answered ? answer_names[dv->answer] : NULL;
		ev.reason = r && r->reason ? r->reason : reason;
	}
	eng_emit(e, &ev, &f->key);
	if (dv && dv->step == DCM_REFUSE)
		e->c.fault[dv->fault]++;
}

/* Ends the flow's inspection and leaves it refused: its initiator's next
 * packets are answered with resets (engine.c) until it goes idle. */
static void dflow_refuse(struct eng *e, struct flow *f, int dir, const struct pkt *p,
			 const struct dcm_verdict *dv, size_t skip)
{
	bool answer = dflow_may_answer(e, f, dir);

	dflow_event(e, f, refusal_kind(dv), "association refused", dv, NULL, answer);
	dflow_answer(e, f, dir, p, dv, skip, answer);
	dflow_leave(e, f, FLOW_REFUSED);
}

/* The TCP stream itself was abused (changed bytes, a bad skip, urgent
 * data): the flow ends as invalid, both ends reset, the receiver at
 * rcv_nxt, the next byte it expects. */
static void dflow_invalid(struct eng *e, struct flow *f, int dir, const struct pkt *p,
			  uint32_t rcv_nxt, const char *reason, const char *fault)
{
	static const struct dcm_verdict reset = {
		.step = DCM_REFUSE, .fault = DCM_F_PDU_UNEXPECTED, .answer = DCM_ANS_NONE,
	};

	dflow_event(e, f, EV_INVALID, reason, NULL, fault, false);
	dflow_answer(e, f, dir, p, &reset, rcv_nxt - p->seq, dflow_may_answer(e, f, dir));
	dflow_leave(e, f, FLOW_REFUSED);
}

/* Where the receiver of direction dir stands: its rcv_nxt, before any
 * bytes still held. */
static uint32_t dflow_delivered(const struct eng_assoc *a, int dir)
{
	return a->nheld[dir] ? a->hold_seq[dir] : a->st[dir].next;
}

void dflow_abort(struct eng *e, struct flow *f, const char *reason, const char *fault)
{
	struct eng_assoc *a = flow_assoc(e, f);
	struct flow_key back;
	uint8_t pdu[10];
	struct reply_tcp ab = { .key = &back, .seq = dflow_delivered(a, 1), .ack = a->st[0].next,
				.flags = TCP_ACK | TCP_PSH, .data = pdu,
				.dlen = dcm_build_abort(pdu, 2, 0) };
	struct reply_tcp rst = { .key = &f->key, .seq = dflow_delivered(a, 0),
				 .ack = a->st[1].next, .flags = TCP_RST | TCP_ACK };

	dflow_event(e, f, EV_ASSOC_ABORT, reason, NULL, fault, false);
	pkt_key_reverse(&f->key, &back);
	/* Not through the answer limit: the timer's, not an answer to a
	 * packet, and bounded already by the negotiations a source may hold
	 * (admit.c); held back, it would leave the device's end open. */
	eng_inject(e, reply_tcp(e->out, sizeof(e->out), &ab), &a->port[0]);
	if (a->st[1].init)
		eng_inject(e, reply_tcp(e->out, sizeof(e->out), &rst), &a->port[1]);
	dflow_leave(e, f, FLOW_REFUSED);
}

static const struct {
	enum ev_kind kind;
	const char *reason;
} dcm_events[] = {
	[DCM_EV_ACCEPTED] = { EV_ASSOC_ACCEPT, "association accepted" },
	[DCM_EV_REJECTED] = { EV_ASSOC_REJECT, "rejected by the acceptor" },
	[DCM_EV_RELEASED] = { EV_ASSOC_RELEASE, "association released" },
	[DCM_EV_ABORTED] = { EV_ASSOC_ABORT, "aborted by a peer" },
};

/* Conformance anomalies let the message through (docs/dicom.md): one
 * event per kind and association, the fault counter counts them all. */
static void dflow_anomaly(struct eng *e, struct flow *f, const struct dcm_verdict *dv)
{
	const struct pol_rule *r;
	const struct eng_assoc *a;

	/* Every passed or held message comes here, nearly all conformant:
	 * nothing is looked up for them. */
	if (!dv->anomalies)
		return;
	if (dv->anomaly_detail) {
		r = eng_flow_rule(e, f);
		a = flow_assoc(e, f);
		eng_emit(e, &(struct sw_event){
				 .kind = EV_ANOMALY, .rule_line = r ? (int)r->line : 0,
				 .reason = dv->anomaly == DCM_A_CONTEXT_OUTSIDE ?
					 "accepted a context outside the rule: inspected in full" :
					 "not conformant, passed",
				 .calling_ae = dcm_calling_ae(a->dcm),
				 .called_ae = dcm_called_ae(a->dcm),
				 .refused = dv->anomaly_detail,
				 .fault = dcm_fault_name(dv->anomaly) }, &f->key);
	}
	e->c.fault[dv->anomaly] += dv->anomalies;
}

/* Held bytes are acknowledged in the receiver's name. Without it the
 * sender's retransmission timer fires while the request is incomplete,
 * its congestion window falls to one segment, and it never sends the rest
 * of the request that would let us judge it: a deadlock. The receiver
 * acknowledges the same bytes again once they are released, which the
 * sender takes as a duplicate ACK. */
static void dflow_ack_held(struct eng *e, struct flow *f, struct eng_assoc *a, int dir,
			   uint32_t end)
{
	struct flow_key k;
	struct reply_tcp r = { .key = &k, .seq = a->st[!dir].next, .ack = end,
			       .win = a->win[!dir], .flags = TCP_ACK };

	if (!a->st[!dir].init)
		return;
	dir_key(f, !dir, &k);
	eng_inject(e, reply_tcp(e->out, sizeof(e->out), &r), &a->port[dir]);
}

/* Whether an ACK of the held bytes in the receiver's name hides no loss.
 * It acknowledges everything before them too: were some passed bytes lost
 * between the box and the receiver, the sender would take them as
 * delivered and never send them again. Safe when the receiver is known to
 * have acknowledged every byte before the held ones (or nothing we saw:
 * an RQ, behind the handshake alone), or when the sender resends from the
 * held bytes (`from_hold`: its retransmission timer resends from its first
 * unacknowledged byte). A hold in the middle of P-DATA (a header cut
 * short) otherwise waits for the next segment unacknowledged; a sender
 * that waits for that ACK (Nagle) resends it, and then gets one. */
static bool dflow_ack_safe(const struct eng_assoc *a, int dir, bool from_hold)
{
	const struct stream *st = &a->st[dir];

	return from_hold || !st->acked_init || !seq_before(st->acked, a->hold_seq[dir]);
}

static int dflow_hold(struct eng *e, struct flow *f, struct eng_assoc *a, int dir,
		      const struct pkt *p, const struct eng_pkt *pk, size_t skip)
{
	if (a->nheld[dir] == ENG_HOLD_MAX)
		return -ENOSPC;
	if (!a->nheld[dir])
		a->hold_seq[dir] = p->seq + (uint32_t)skip;
	a->held[dir][a->nheld[dir]++] = pk->id;
	if (dflow_ack_safe(a, dir, false))
		dflow_ack_held(e, f, a, dir, a->st[dir].next);
	return 0;
}

static enum eng_verdict dflow_pass(struct eng *e, struct flow *f, int dir,
				   const struct dcm_verdict *dv)
{
	struct eng_assoc *a = flow_assoc(e, f);
	size_t n = sizeof(dcm_events) / sizeof(dcm_events[0]);

	dflow_release(e, a, dir, ENG_ACCEPT);
	if (dv->event > DCM_EV_REQUESTED)	/* AC, RJ, abort: negotiated */
		admit_negotiated(e, f, a);
	if ((size_t)dv->event < n && dcm_events[dv->event].reason)
		dflow_event(e, f, dcm_events[dv->event].kind, dcm_events[dv->event].reason,
			    NULL, NULL, false);
	dflow_anomaly(e, f, dv);
	if (dv->event != DCM_EV_ACCEPTED || !dcm_settled(a->dcm))
		return ENG_ACCEPT;
	/* `inspect association`: the rest is the kernel's, parked segments
	 * too (they come back to a settled flow). */
	dflow_unpark(e, a, 0, ENG_REPEAT, true);
	dflow_unpark(e, a, 1, ENG_REPEAT, true);
	dflow_leave(e, f, FLOW_SETTLED_ASSOC);
	return ENG_SETTLE;
}

static int dflow_overlaps_held(const struct eng_assoc *a, int dir, const struct pkt *p)
{
	return a->nheld[dir] && seq_before(a->hold_seq[dir], p->seq + (uint32_t)p->plen);
}

/* A segment beyond a gap passes when every byte of it lies inside the data
 * fragment being received: one lost segment upstream must not make us
 * drop every segment after it (a receiver would buffer them, SACK). */
static int dflow_ahead(struct eng_assoc *a, int dir, const struct pkt *p)
{
	struct stream *st = &a->st[dir];
	uint32_t end = p->seq + (uint32_t)p->plen;

	if (!p->plen || (p->flags & TCP_FIN) || !seq_before(st->next, p->seq))
		return 0;
	if ((size_t)(end - st->next) > dcm_data_ahead(a->dcm, (enum dcm_dir)dir))
		return 0;
	return stream_ahead_add(st, p) == 0;
}

/* In-order inspection caught up with ranges passed ahead: skip them. A
 * skip the inspector refuses would leave it out of step with the stream:
 * the caller ends the flow then. */
static int dflow_catch_up(struct eng_assoc *a, int dir)
{
	size_t n;

	while ((n = stream_ahead_take(&a->st[dir])))
		if (dcm_skip_data(a->dcm, (enum dcm_dir)dir, n))
			return -EPROTO;
	return 0;
}

static int dflow_data(struct eng *e, struct flow *f, int dir, const struct eng_pkt *pk,
		      const struct pkt *p, enum eng_verdict *v)
{
	struct eng_assoc *a = flow_assoc(e, f);
	struct dcm_verdict dv = { .step = DCM_PASS };
	uint32_t held_from, held_to;
	size_t skip;

	switch (stream_classify(&a->st[dir], p, &skip)) {
	case STREAM_OLD:
		/* A copy of bytes still held goes nowhere: the original is
		 * released when the PDU is judged, or dropped with it. */
		if (!dflow_overlaps_held(a, dir, p)) {
			*v = ENG_ACCEPT;
			e->c.tcp_retransmitted++;
			stream_passed(&a->st[dir], p);
		} else if (dflow_ack_safe(a, dir, p->seq == a->hold_seq[dir]))
			/* our ACK may have been lost, or never sent: say it now */
			dflow_ack_held(e, f, a, dir, a->st[dir].next);
		return 0;
	case STREAM_DROP:
		if (dflow_ahead(a, dir, p)) {
			*v = ENG_ACCEPT;
			stream_passed(&a->st[dir], p);
		} else if (!dflow_park(e, a, dir, pk, p))
			*v = ENG_HOLD;
		else
			e->c.tcp_out_of_window++;
		return 0;
	case STREAM_EVIL:
		dflow_invalid(e, f, dir, p, a->st[dir].next, "retransmission with other contents",
			      "tcp-overlap");
		return 0;
	case STREAM_LOST:
		/* Dropped: its bytes may be what the receiver still lacks, or a
		 * stranger's guess at an old sequence number. Only copies that
		 * keep coming with no progress for a while (stream_lost) show
		 * the real sender stuck: the flow then ends, with an event,
		 * rather than hang until the idle timeout. */
		e->c.tcp_unverifiable++;
		if (stream_lost(&a->st[dir], e->now_s))
			dflow_invalid(e, f, dir, p, a->st[dir].next,
				      "retransmissions older than the bytes kept", "tcp-unverifiable");
		return 0;
	case STREAM_NEW:
		e->c.tcp_retransmitted += skip > 0;
		break;
	}
	if (dir && pk->from.has_mac && !port_same(&a->port[1], &pk->from))
		/* In order, so from the acceptor: where it sits now, should
		 * its NIC or port have changed since it was learnt. */
		dflow_acceptor_at(e, a, p, &pk->from);
	/* What we acknowledged of a held RQ/AC: kept, should it pass now. */
	held_from = a->nheld[dir] ? a->hold_seq[dir] : 0;
	held_to = p->seq + (uint32_t)skip;
	if (a->nheld[dir])
		dcm_sent_keep(a->dcm, (enum dcm_dir)dir);
	if (p->plen > skip)
		dcm_feed(a->dcm, (enum dcm_dir)dir, p->payload + skip, p->plen - skip, &dv);
	eng_obs_bytes(e, f, dir, p->plen - skip);
	if (dv.step == DCM_REFUSE) {
		dflow_refuse(e, f, dir, p, &dv, skip);
		return 0;
	}
	stream_advance(&a->st[dir], p, skip, dv.structs, dv.nstruct);
	stream_passed(&a->st[dir], p);	/* now, or when the held PDU is */
	if (dflow_catch_up(a, dir)) {
		dflow_invalid(e, f, dir, p, p->seq + (uint32_t)skip,
			      "data passed ahead of a gap is not data", "tcp-ahead");
		return 0;
	}
	if (dv.step == DCM_HOLD) {
		/* A stream that ends inside a PDU or a header: what is held can
		 * never be whole. Refused rather than held until the idle timeout,
		 * so the receiver is reset now. */
		bool cut = p->flags & TCP_FIN;

		if (!cut && !dflow_hold(e, f, a, dir, p, pk, skip)) {
			dflow_anomaly(e, f, &dv);
			*v = ENG_HOLD;
			return 0;
		}
		dv = (struct dcm_verdict){ .step = DCM_REFUSE,
					   .fault = cut ? DCM_F_PDU_LENGTH : DCM_F_PDU_TOO_LONG,
					   .answer = DCM_ANS_ABORT, .source = 2, .reason = 6 };
		dflow_refuse(e, f, dir, p, &dv, skip);
		return 0;
	}
	if (a->nheld[dir])
		resend_arm(e, a, dir, held_from, held_to, p->ack);
	*v = dflow_pass(e, f, dir, &dv);
	if (dv.answer_next && f->state == FLOW_OPEN)
		e->answer_due = true;
	if (f->state == FLOW_OPEN && a->st[0].fin && a->st[1].fin) {
		/* Both sides are done: free the inspection state now rather
		 * than at the idle timeout, so closed associations cannot use
		 * up the pool. */
		dflow_leave(e, f, FLOW_CLOSING);
	}
	return 0;
}

/* The shift of the windows end `end` advertises (RFC 7323 §2.2): the one
 * its own SYN named, when both SYNs carried the option; none when either
 * did not. An acceptor whose SYN-ACK passed in the kernel may have named
 * any: 14, the most, is assumed for it (and its peer's own is taken). */
static unsigned dflow_wscale(const struct eng_assoc *a, int end)
{
	if (a->wscale[0] == PKT_WSCALE_NONE || a->wscale[1] == PKT_WSCALE_NONE)
		return 0;
	return a->wscale[end] == ENG_WSCALE_UNSEEN ? 14 : a->wscale[end];
}

/* A reset ends the flow only where its receiver would take it (RFC 5961
 * §3.2): exactly at the next byte it expects. One inside its window
 * passes without ending anything: the receiver answers with a challenge
 * ACK, and a real reset follows at the right place. Any other is dropped
 * (a blind guess: the receiver would drop it too). */
static enum eng_verdict dflow_reset(struct eng *e, struct flow *f, int dir, const struct pkt *p)
{
	struct eng_assoc *a = flow_assoc(e, f);
	const struct stream *st = &a->st[dir];
	enum eng_verdict v = ENG_ACCEPT;

	if (!st->init) {
		/* The acceptor's, before we know its sequence numbers: its
		 * initiator is in SYN-SENT and takes it only when it
		 * acknowledges exactly the SYN (RFC 9293 §3.10.7.3). */
		if (!(p->flags & TCP_ACK) || p->ack != a->st[!dir].next)
			goto out_drop;
		eng_flow_end(e, f);
		return ENG_ACCEPT;
	}
	if (a->nheld[dir] && p->seq == a->hold_seq[dir]) {
		eng_flow_end(e, f);	/* exact for the receiver: it lacks the held bytes */
		return ENG_ACCEPT;
	}
	switch (stream_rst(st, p->seq, a->win[!dir], dflow_wscale(a, !dir))) {
	case STREAM_RST_EXACT:
		if (a->nheld[dir]) {
			/* The sender gave up while we hold its request, which we
			 * acknowledged in its peer's name: its reset lies past
			 * what the receiver has. It gets one at its rcv_nxt. */
			struct flow_key k;
			struct reply_tcp r = { .key = &k, .seq = a->hold_seq[dir],
					       .ack = a->st[!dir].next, .flags = TCP_RST | TCP_ACK };

			dir_key(f, dir, &k);
			eng_inject(e, reply_tcp(e->out, sizeof(e->out), &r), &a->port[!dir]);
			v = ENG_DROP;
		}
		eng_flow_end(e, f);
		return v;
	case STREAM_RST_WINDOW:
		return ENG_ACCEPT;
	case STREAM_RST_OUTSIDE:
		break;
	}
out_drop:
	e->c.tcp_out_of_window++;
	return ENG_DROP;
}

/* p's sequence number lies in its receiver's window, or one byte before
 * it (a keepalive). */
static int dflow_in_window(const struct eng_assoc *a, int dir, const struct pkt *p)
{
	unsigned ws = dflow_wscale(a, !dir);

	return stream_rst(&a->st[dir], p->seq, a->win[!dir], ws) != STREAM_RST_OUTSIDE ||
	       stream_rst(&a->st[dir], p->seq + 1, a->win[!dir], ws) != STREAM_RST_OUTSIDE;
}

/* p's ACK and window may be believed: its sequence number is in the
 * receiver's window, and its ACK (if any) lies between what the other end
 * already had acknowledged and what it sent. A blind stranger's ACK
 * passes (the receiver judges it) but must not move the acknowledged
 * position, which frees the copies a retransmission is verified against,
 * nor the window that resets and SYNs are judged by. */
static int dflow_ack_plausible(const struct eng_assoc *a, int dir, const struct pkt *p)
{
	const struct stream *to = &a->st[!dir];

	if ((p->flags & TCP_ACK) && to->init &&
	    (seq_before(to->next, p->ack) || (to->acked_init && seq_before(p->ack, to->acked))))
		return 0;
	return !a->st[dir].init || dflow_in_window(a, dir, p);
}

/* What p tells: its ACK of the other direction's bytes and its sender's
 * receive window, taken only when p is plausible. */
static void dflow_heard(struct eng *e, struct eng_assoc *a, int dir, const struct pkt *p)
{
	if (!dflow_ack_plausible(a, dir, p))
		return;
	if (p->flags & TCP_ACK) {
		stream_ack(&a->st[!dir], p->ack);
		resend_acked(e, a);
	}
	a->win[dir] = p->win;
}

/* p, passed on an open flow, is the conversation's own, so it keeps the
 * flow alive: anything that was judged (data, FIN, RST, SYN), or a bare
 * ACK in the receiver's window (a keepalive one byte before it). Bare
 * ACKs pass wherever they lie (the receiver answers a stray one with an
 * ACK), but a stranger's out-of-window one must not hold a dead flow. */
int dflow_live(struct eng *e, const struct flow *f, int dir, const struct pkt *p)
{
	if (p->plen || (p->flags & (TCP_FIN | TCP_SYN | TCP_RST)))
		return 1;
	return dflow_in_window(flow_assoc(e, f), dir, p);
}

/* A bare SYN inside the receiver's window, dropped, is answered in the
 * receiver's name as an RFC 5961 stack would (§4): an ACK at its last
 * acknowledgement, nothing it has not acknowledged itself. A synchronized
 * sender takes it as a duplicate; one that really restarted answers it
 * with a reset at that byte, which ends the flow (dflow_reset). */
static void dflow_syn_challenge(struct eng *e, const struct flow *f, int dir,
				const struct pkt *p)
{
	const struct eng_assoc *a = flow_assoc(e, f);
	struct flow_key k;
	struct reply_tcp r = { .key = &k, .seq = a->st[!dir].next, .ack = a->st[dir].acked,
			       .win = a->win[!dir], .flags = TCP_ACK };

	if (!a->st[!dir].init || !a->st[dir].acked_init || !eng_answer_ok(e, &p->key))
		return;
	dir_key(f, !dir, &k);
	eng_inject(e, reply_tcp(e->out, sizeof(e->out), &r), &a->port[dir]);
}

/* A SYN on an inspected association that is not its initiator's SYN again
 * (another ISN, or from the acceptor's side) ends nothing: anyone who
 * knows the tuple could send it. An RFC 5961 receiver answers any with a
 * challenge ACK (§4); an RFC 793 one (old Windows) resets the connection
 * on one inside its window, and answers one outside with an ACK. So only
 * a bare SYN (ECN bits allowed) outside the receiver's window passes, as
 * conntrack passes it; a bare one inside it is answered here in the
 * receiver's name (dflow_syn_challenge), so that a peer that really
 * restarted (its ISN near its old sequence, RFC 6528) still gets the ACK
 * and sends the reset at the exact next byte that ends the flow. One
 * before we know the receiver's window, other flags or data (never
 * inspected) are dropped. */
int dflow_syn_stranger(struct eng *e, const struct flow *f, int reply, const struct pkt *p,
		       enum eng_verdict *v)
{
	const struct eng_assoc *a = flow_assoc(e, f);
	int bare = !p->plen && (p->flags & ~(TCP_ECE | TCP_CWR)) == TCP_SYN;

	if ((p->flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return 0;
	if (!reply && bare && a->st[0].next == p->seq + 1)
		return 0;
	e->c.handshake_mismatch++;
	*v = ENG_DROP;
	if (!bare || !a->st[reply].init)
		return 1;
	if (stream_rst(&a->st[reply], p->seq, a->win[!reply], dflow_wscale(a, !reply)) ==
	    STREAM_RST_OUTSIDE)
		*v = ENG_ACCEPT;
	else
		dflow_syn_challenge(e, f, reply, p);
	return 1;
}

/* Urgent data: the receiver takes the urgent byte out of band (Linux and
 * Windows alike), and its parser sees the stream one byte shorter than we
 * inspected it. DICOM never sends any: a segment at the next byte to
 * inspect carrying URG ends the flow. Elsewhere it is dropped as a blind
 * guess would be, rather than let anyone who can guess a window end an
 * association. */
static void dflow_urgent(struct eng *e, struct flow *f, int dir, const struct pkt *p)
{
	const struct stream *st = &flow_assoc(e, f)->st[dir];

	if (st->init && p->seq == st->next)
		dflow_invalid(e, f, dir, p, st->next, "urgent data", "tcp-urgent");
	else
		e->c.tcp_out_of_window++;
}

int dflow_packet(struct eng *e, struct flow *f, int dir, const struct eng_pkt *pk,
		 const struct pkt *p, enum eng_verdict *v)
{
	struct eng_assoc *a = flow_assoc(e, f);
	int err;

	*v = ENG_DROP;
	if (p->flags & TCP_RST) {
		*v = dflow_reset(e, f, dir, p);
		return 0;
	}
	if (p->flags & TCP_URG) {
		dflow_urgent(e, f, dir, p);
		return 0;
	}
	if (p->flags & TCP_SYN) {
		/* Nothing on a SYN is inspected, so nothing may ride on it. */
		if (p->plen)
			return 0;
		if (dir && (p->flags & TCP_ACK) && !a->st[1].init) {
			stream_syn(&a->st[1], p->seq);
			a->wscale[1] = p->wscale;
			dflow_acceptor_at(e, a, p, &pk->from);
		}
		dflow_heard(e, a, dir, p);
		*v = ENG_ACCEPT;
		return 0;
	}
	/* The SYN-ACK passed in the kernel (ENG_OPEN_SYNACK): the
	 * initiator's acknowledgement names the acceptor's ISN. */
	if (!dir && (p->flags & TCP_ACK) && !a->st[1].init) {
		stream_syn(&a->st[1], p->ack - 1);
		a->win[1] = DFLOW_WIN_UNSEEN;
	}
	if (dir && !a->st[1].init)
		return 0;	/* the acceptor speaking before the initiator: dropped */
	dflow_heard(e, a, dir, p);
	if (!p->plen && !(p->flags & TCP_FIN)) {
		*v = ENG_ACCEPT;	/* a bare ACK carries nothing to inspect */
		return 0;
	}
	err = dflow_data(e, f, dir, pk, p, v);
	dflow_resume(e, f, dir);
	return err;
}
