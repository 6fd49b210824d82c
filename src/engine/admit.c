/* Admission of TCP flows: what a stranger on the clinical LAN can make
 * the engine hold, and for how long.
 *
 * A SYN costs one flow table entry and nothing else (FLOW_EMBRYO, or
 * FLOW_HANDSHAKE for a plain port): the association slot and, later, an
 * RQ/AC buffer are taken only at the initiator's first data, and a plain
 * flow is handed to the kernel only at the end of its handshake, which a
 * spoofed source never reaches. The unestablished flows are kept oldest
 * first, so a full table drops the oldest of them for a new flow, as
 * conntrack's early drop does. Each
 * source matched by a range or `any` may hold a few unestablished flows
 * and a few negotiations at once; and those sources together only what
 * is left of the association slots and negotiations after the share kept
 * for peers the policy names by host address, so a range full of
 * strangers cannot lock out the PACS. Per-source counts live in buckets
 * of a keyed hash (flow_src_bucket): nobody can aim at another's count.
 * UDP and ICMP flows, the kernel's from their first packet, hold at most
 * their own share of the table, the oldest forgotten first. */
#include <errno.h>

#include "engine_int.h"

static bool admit_is_named(const struct eng *e, const struct flow *f)
{
	const struct pol_rule *r = eng_flow_rule(e, f);

	return r && pol_src_named(eng_pol(e, f), r, &f->key);
}

static uint32_t admit_bucket(const struct eng *e, const struct flow_key *k)
{
	return flow_src_bucket(e->flows, k->af, k->src, ADMIT_SRC_BITS);
}

struct eng_embryo *admit_embryo(struct eng *e, const struct flow *f)
{
	return &e->emb[flow_index(e->flows, f)];
}

/* Half the slots or negotiations in use: new SYNs' SYN-ACKs come here,
 * so that their first data can be checked against the acceptor's ISN. */
static bool admit_pressure(const struct eng *e)
{
	return 2 * (e->assocs_used[ADMIT_RANGE] + e->assocs_used[ADMIT_NAMED]) >= e->cfg.assocs ||
	       2 * (e->negotiating[ADMIT_RANGE] + e->negotiating[ADMIT_NAMED]) >= e->cfg.rq_bufs;
}

int admit_syn_check(struct eng *e, const struct pol_rule *r, const struct pkt *p)
{
	const struct pol *pol = e->gen[e->cur].pol;
	uint32_t b = admit_bucket(e, &p->key);

	if (r->proto == POL_DICOM && p->plen) {
		/* Data on a SYN (TCP Fast Open) would reach the acceptor before
		 * any of it is inspected; no DICOM peer sends it. Dropped: the
		 * initiator tries again without. */
		eng_emit(e, &(struct sw_event){ .kind = EV_INVALID, .rule_line = (int)r->line,
						.reason = "data on a SYN" }, &p->key);
		return -EPROTO;
	}
	/* Plain and DICOM SYNs count alike: both hold a table entry until
	 * their handshake proves the source (docs/engine.md). */
	if (e->syn_src[b] >= e->cfg.syn_per_src && !pol_src_named(pol, r, &p->key)) {
		e->c.syn_capped++;
		return -EDQUOT;
	}
	return (int)b;
}

/* f at the newest end of the list [*head, *tail], oldest first. */
static void admit_link(struct eng *e, uint32_t *head, uint32_t *tail, const struct flow *f)
{
	uint32_t i = flow_index(e->flows, f) + 1;

	e->emb[i - 1].prev = *tail;
	e->emb[i - 1].next = 0;
	if (*tail)
		e->emb[*tail - 1].next = i;
	else
		*head = i;
	*tail = i;
}

static void admit_unlink(struct eng *e, uint32_t *head, uint32_t *tail, const struct flow *f)
{
	struct eng_embryo *m = admit_embryo(e, f);

	if (m->prev)
		e->emb[m->prev - 1].next = m->next;
	else
		*head = m->next;
	if (m->next)
		e->emb[m->next - 1].prev = m->prev;
	else
		*tail = m->prev;
}

void admit_syn(struct eng *e, struct flow *f, const struct eng_pkt *pk, const struct pkt *p,
	       uint32_t src)
{
	e->syn_src[src]++;
	*admit_embryo(e, f) = (struct eng_embryo){ .isn = p->seq, .ws_ini = p->wscale,
						   .syn_len = (uint16_t)p->plen,
						   .src = (uint16_t)src,
						   .ifindex = pk->from.ifindex,
						   .proof = admit_pressure(e) };
	admit_link(e, &e->emb_head, &e->emb_tail, f);
	f->state = FLOW_EMBRYO;
}

void admit_syn_end(struct eng *e, struct flow *f)
{
	admit_unlink(e, &e->emb_head, &e->emb_tail, f);
	e->syn_src[admit_embryo(e, f)->src]--;
}

/* flow_reused leaves every SYN on an unestablished flow here. A blind
 * stranger who knows the tuple can send one with any ISN, or from the
 * other end: neither ends the handshake. A real client that reuses its
 * port while the entry lives (a connection closed before its first data)
 * has its new SYN dropped until the entry's short timeout. */
enum eng_verdict admit_syn_again(struct eng *e, const struct flow *f, const struct pkt *p)
{
	const struct eng_embryo *m = admit_embryo(e, f);

	/* retransmitted: TCP Fast Open sends its SYN again without the data */
	if (p->seq == m->isn && (!p->plen || p->plen == m->syn_len))
		return ENG_ACCEPT;
	e->c.handshake_mismatch++;
	return ENG_DROP;
}

/* A UDP or ICMP flow is the kernel's from its first packet, which anyone
 * in an allowed range can spoof, with no handshake to prove it and no
 * per-source cap. Its entry only lists it and lets a reload revoke it,
 * and the conntrack sweep revokes the flows the engine forgot: so past
 * its share the oldest is forgotten, never a TCP flow's room taken, and
 * a datagram flood only ages itself. */
void admit_dgram_room(struct eng *e)
{
	unsigned share = e->cfg.flows * e->cfg.dgram_pct / 100;

	if (!e->dgram_head ||
	    (e->dgrams < (share ? share : 1) && flow_count(e->flows) < e->cfg.flows))
		return;
	eng_flow_end(e, flow_at(e->flows, e->dgram_head - 1));
	e->c.dgram_forgotten++;
}

void admit_dgram(struct eng *e, struct flow *f)
{
	admit_link(e, &e->dgram_head, &e->dgram_tail, f);
	e->dgrams++;
}

void admit_dgram_end(struct eng *e, struct flow *f)
{
	admit_unlink(e, &e->dgram_head, &e->dgram_tail, f);
	e->dgrams--;
}

/* A plain TCP flow is handed to the kernel only once its handshake is
 * complete: its SYN passes unmarked, so the SYN-ACK and the initiator's
 * ACK come here too. Until then it is unestablished like a DICOM flow's
 * SYN (short timeout, the source's cap, dropped first when the table is
 * full): spoofed SYNs to an allowed plain port pin nothing, and a flow
 * the kernel carries is one the engine can still revoke. */
void admit_plain_syn(struct eng *e, struct flow *f, const struct eng_pkt *pk,
		     const struct pkt *p, uint32_t src, enum eng_verdict *v)
{
	admit_syn(e, f, pk, p, src);
	f->state = FLOW_HANDSHAKE;
	*v = ENG_ACCEPT;
}

bool admit_reset(struct eng *e, struct flow *f, int dir, const struct pkt *p,
		 enum eng_verdict *v)
{
	const struct eng_embryo *m = admit_embryo(e, f);

	if (!(p->flags & TCP_RST))
		return false;
	/* The initiator's ISN is the only number known here: a reset that
	 * names it ends the flow, a blind one is dropped. */
	if (dir ? (p->flags & TCP_ACK) && p->ack == m->isn + 1 : p->seq == m->isn + 1) {
		*v = ENG_ACCEPT;
		eng_flow_end(e, f);
	}
	return true;
}

/* What the acceptor may send before the handshake ends, from its ISN on
 * (a keepalive probe's number): the initiator's SYN window, which is never
 * scaled, then its FIN, then its ACK after the FIN. */
#define ADMIT_ACC_WINDOW (0xffffu + 2)

/* Whether the acceptor's p acknowledges what the initiator can have sent.
 * A SYN-ACK acknowledges the SYN exactly, with its data (TCP Fast Open)
 * or without (the acceptor refused them; they come again): a blind forger
 * has one number in 2^32 to guess, or two. A later segment anything up to
 * the initiator's FIN after that (data ends the unestablished stage). */
static bool admit_acks_ini(const struct eng_embryo *m, const struct pkt *p)
{
	uint32_t n = p->ack - (m->isn + 1);

	if (!(p->flags & TCP_ACK))
		return false;
	return p->flags & TCP_SYN ? n == 0 || n == m->syn_len : n <= m->syn_len + 1u;
}

int admit_acceptor(struct eng *e, struct flow *f, const struct eng_pkt *pk, const struct pkt *p)
{
	struct eng_embryo *m = admit_embryo(e, f);

	/* A forger at the initiator's port (a port without a MAC address is
	 * the replay's, which names no real port). */
	if (pk->from.has_mac && pk->from.ifindex == m->ifindex)
		goto out_mismatch;
	if (!(p->flags & TCP_SYN)) {
		/* A DICOM flow's SYN-ACK may have passed in the kernel: its
		 * empty segments have nothing to be checked against. */
		if (!m->synack && f->state == FLOW_EMBRYO && !p->plen)
			return 0;
		/* After it, what any TCP would take: the acceptor closing
		 * first, its FIN and the ACK after it, passes. */
		if (m->synack && admit_acks_ini(m, p) && p->seq - m->isn_acc <= ADMIT_ACC_WINDOW)
			return 0;
		goto out_mismatch;
	}
	if (!admit_acks_ini(m, p))
		goto out_mismatch;
	if (m->synack && p->seq == m->isn_acc)
		return 0;	/* that SYN-ACK again */
	/* Another one that acknowledges the SYN exactly (which a blind
	 * forger cannot) replaces it until the initiator has acknowledged
	 * one: the acceptor's answer to a retransmitted SYN (a SYN cookie of
	 * a later minute), or the first one lost past the box. */
	if (m->acked)
		goto out_mismatch;
	m->isn_acc = p->seq;
	m->ws_acc = p->wscale;
	m->synack = 1;
	f->last_s = e->now_s;	/* the handshake advanced */
	return 1;

out_mismatch:
	e->c.handshake_mismatch++;
	return -EPERM;
}

/* The initiator's ACK counts only when it names the acceptor's ISN, which
 * a blind spoofer cannot. */
void admit_handshake(struct eng *e, struct flow *f, int dir, const struct eng_pkt *pk,
		     const struct pkt *p, enum eng_verdict *v)
{
	struct eng_embryo *m = admit_embryo(e, f);

	*v = ENG_DROP;
	if (admit_reset(e, f, dir, p, v))
		return;
	if (dir) {
		if (admit_acceptor(e, f, pk, p) >= 0)
			*v = ENG_ACCEPT;	/* the acceptor's answers reach the initiator */
		return;
	}
	if (p->flags & TCP_SYN) {
		*v = admit_syn_again(e, f, p);
		return;
	}
	if (m->synack && (p->flags & TCP_ACK) && p->ack == m->isn_acc + 1) {
		admit_syn_end(e, f);
		f->state = FLOW_SETTLED;
		f->last_s = e->now_s;
		*v = ENG_SETTLE;
	}
}

struct flow *admit_oldest_syn(struct eng *e)
{
	return e->emb_head ? flow_at(e->flows, e->emb_head - 1) : NULL;
}

/* What the ranges may use of n: all but the named peers' share. */
static unsigned admit_range_share(const struct eng *e, unsigned n)
{
	return n - n * e->cfg.named_reserve_pct / 100;
}

int admit_assoc(struct eng *e, const struct flow *f, uint8_t *named)
{
	unsigned used = e->assocs_used[ADMIT_RANGE] + e->assocs_used[ADMIT_NAMED];
	unsigned neg = e->negotiating[ADMIT_RANGE] + e->negotiating[ADMIT_NAMED];
	uint32_t b = admit_bucket(e, &f->key);

	*named = admit_is_named(e, f);
	if (used >= e->cfg.assocs || neg >= e->cfg.rq_bufs)
		return -EBUSY;
	if (!*named) {
		if (e->assocs_used[ADMIT_RANGE] >= admit_range_share(e, e->cfg.assocs) ||
		    e->negotiating[ADMIT_RANGE] >= admit_range_share(e, e->cfg.rq_bufs) ||
		    e->neg_src[b] >= e->cfg.negotiating_per_src)
			return -EBUSY;
		e->neg_src[b]++;
	}
	e->assocs_used[*named]++;
	e->negotiating[*named]++;
	return 0;
}

static void admit_negotiation_end(struct eng *e, const struct flow *f, uint8_t named)
{
	e->negotiating[named]--;
	if (!named)
		e->neg_src[admit_bucket(e, &f->key)]--;
}

void admit_negotiated(struct eng *e, const struct flow *f, struct eng_assoc *a)
{
	if (!a->negotiating)
		return;
	a->negotiating = 0;
	admit_negotiation_end(e, f, a->named);
}

void admit_assoc_undo(struct eng *e, const struct flow *f, uint8_t named)
{
	admit_negotiation_end(e, f, named);
	e->assocs_used[named]--;
}

void admit_assoc_end(struct eng *e, const struct flow *f, struct eng_assoc *a)
{
	admit_negotiated(e, f, a);
	e->assocs_used[a->named]--;
}
