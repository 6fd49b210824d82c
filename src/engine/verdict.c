/* The first packet of a flow meets the policy here. Plain allowed flows are
 * settled at once (the kernel forwards the rest), TCP ones once their
 * handshake is complete (admit.c); DICOM flows go to
 * dflow.c for inspection; refused ones leave no state behind, so a flood
 * of refused packets cannot fill the flow table. */
#include <errno.h>
#include <netinet/in.h>

#include "engine_int.h"

const char eng_reason_no_flow[] = "not part of a known flow";

const struct pol_rule *eng_flow_rule(const struct eng *e, const struct flow *f)
{
	const struct pol *pol = eng_pol(e, f);

	return pol && f->rule ? pol_rule_at(pol, f->rule - 1u) : NULL;
}

void eng_emit(struct eng *e, struct sw_event *ev, const struct flow_key *k)
{
	ev->ts_ns = e->now_ns + e->wall_off;
	if (k) {
		ev->af = k->af;
		ev->proto = k->proto;
		ev->src = k->src;
		ev->dst = k->dst;
		ev->sport = k->sport;
		ev->dport = k->dport;
	}
	e->c.assoc[ev->kind]++;
	eng_obs_event(e, ev, k);
	if (e->ops->event)
		e->ops->event(e->ctx, ev);
}

void eng_inject(struct eng *e, int len, const struct eng_port *to)
{
	if (len <= 0)
		return;
	e->c.injected++;
	if (e->ops->inject)
		e->ops->inject(e->ctx, e->out, (size_t)len, to);
}

/* What a new flow may start with: a SYN for TCP, a request for ICMP echo.
 * Anything else without a flow is a leftover or a probe. */
static int flow_can_start(const struct pkt *p)
{
	if (p->key.proto == IPPROTO_TCP)
		return pkt_is_syn(p);
	if (flowkey_proto_icmp(p->key.proto))
		return p->echo != 2;
	return 1;
}

/* RFC 1122 3.2.2 and RFC 4443 2.4(e): no ICMP error about an ICMP error,
 * nor about a packet sent to a multicast or broadcast address. */
static int answer_allowed(const struct pkt *p)
{
	const uint8_t *d = p->key.dst;

	if (flowkey_proto_icmp(p->key.proto) && !p->echo)
		return 0;
	if (p->key.af == SW_AF_INET6)
		return d[0] != 0xff;
	return (d[0] & 0xf0) != 0xe0 && !(d[0] == 255 && d[1] == 255 && d[2] == 255 && d[3] == 255);
}

static const char *eng_answer(struct eng *e, const struct eng_pkt *pk, const struct pkt *p)
{
	int admin = p->key.proto != IPPROTO_UDP;
	int tcp = p->key.proto == IPPROTO_TCP;

	if (!answer_allowed(p) || (tcp && (p->flags & TCP_RST)) || !eng_answer_ok(e, &p->key))
		return NULL;
	if (tcp) {
		eng_inject(e, reply_tcp_reset(e->out, sizeof(e->out), p), &pk->from);
		return "tcp-reset";
	}
	eng_inject(e, reply_icmp_unreach(e->out, sizeof(e->out), p, admin), &pk->from);
	return admin ? "icmp-prohibited" : "icmp-unreachable";
}

static void eng_refuse(struct eng *e, const struct eng_pkt *pk, const struct pkt *p,
		       const struct pol_rule *r, enum pol_action act, const char *why)
{
	struct sw_event ev = {
		.kind = act == POL_REJECT ? EV_REJECT : EV_BLOCK,
		.rule_line = r ? (int)r->line : 0,
		.reason = r ? r->reason : why,
	};

	if (act == POL_REJECT)
		ev.answer = eng_answer(e, pk, p);
	eng_emit(e, &ev, &p->key);
}

int eng_new_flow(struct eng *e, const struct eng_pkt *pk, const struct pkt *p,
		 enum eng_verdict *v)
{
	const struct pol *pol = e->gen[e->cur].pol;
	const struct pol_rule *r = pol_match(pol, &p->key);
	enum pol_action act = r ? r->action : pol_default_action(pol);
	int start = flow_can_start(p), tcp = p->key.proto == IPPROTO_TCP, src = 0;
	struct flow *f;

	*v = ENG_DROP;
	if (r)
		e->rule_hits[r->index]++;
	else
		e->default_hits++;
	if (act == POL_ALLOW && !start)
		act = POL_BLOCK, r = NULL;
	if (act != POL_ALLOW) {
		eng_refuse(e, pk, p, r, act, act == POL_REJECT ? "default reject" :
			   start ? "default block" : eng_reason_no_flow);
		return 0;
	}
	/* A SYN refused anyway (its source at its cap) takes nothing, nor
	 * ends another's handshake below. */
	if (tcp) {
		src = admit_syn_check(e, r, p);
		if (src < 0)
			return src == -EDQUOT ? 0 : src;
	} else {
		admit_dgram_room(e);
	}
	f = flow_insert(e->flows, &p->key);
	if (!f && tcp && admit_oldest_syn(e)) {
		/* Full: the oldest unestablished flow makes room for a new
		 * SYN, as in conntrack's early drop; a SYN flood then only ages
		 * itself. Not for UDP or ICMP: their first packet is all they
		 * ever show (settled at once), proves nothing about its source
		 * and has no per-source cap, so a stranger's datagrams must not
		 * end a PACS's handshake; they make room among themselves
		 * (admit_dgram_room). */
		eng_flow_end(e, admit_oldest_syn(e));
		e->c.syn_early_drop++;
		f = flow_insert(e->flows, &p->key);
	}
	if (!f) {
		e->c.flows_table_full++;
		eng_refuse(e, pk, p, NULL, POL_BLOCK, "flow table full");
		return -ENOSPC;
	}
	e->c.flows_new++;
	f->first_s = f->last_s = e->now_s;
	f->packets = 1;
	f->rule = (uint16_t)(r->index + 1);
	f->gen = e->cur;
	if (r->proto == POL_DICOM) {
		dflow_start(e, f, pk, p, (uint32_t)src, v);
		return 0;
	}
	if (tcp) {
		admit_plain_syn(e, f, pk, p, (uint32_t)src, v);
	} else {
		admit_dgram(e, f);
		f->state = FLOW_SETTLED;
		*v = ENG_SETTLE;
	}
	eng_emit(e, &(struct sw_event){ .kind = EV_ALLOW, .rule_line = (int)r->line,
					.reason = r->reason }, &p->key);
	return 0;
}

void eng_add_hits(struct eng *e, unsigned index, uint64_t n)
{
	const struct pol *pol = e->gen[e->cur].pol;

	if (pol && index < pol_rule_count(pol))
		e->rule_hits[index] += n;
	else if (pol && index == pol_rule_count(pol))
		e->default_hits += n;
}
