/* Engine lifecycle: allocation, policy generations, expiry, counters.
 *
 * A policy change must not tear down associations in flight: an open DICOM
 * flow keeps the policy it was judged by (its "generation") until it ends,
 * and that policy is freed when its last flow goes. Flows the engine does
 * not inspect are judged again under the new policy at once. */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/config.h"
#include "engine_int.h"

void eng_cfg_default(struct eng_cfg *cfg)
{
	cfg->flows = CONFIG_FLOW_TABLE_SIZE;
	cfg->assocs = CONFIG_DICOM_ASSOC_MAX;
	cfg->rq_bufs = CONFIG_DICOM_RQ_BUFS;
	cfg->rq_max = CONFIG_DICOM_RQ_MAX;
	cfg->park_max = CONFIG_TCP_PARK_MAX;
	cfg->idle_tcp_s = CONFIG_FLOW_IDLE_TCP;
	cfg->idle_other_s = CONFIG_FLOW_IDLE_OTHER;
	cfg->artim_s = CONFIG_DICOM_ARTIM_S;
	cfg->dgram_pct = CONFIG_FLOW_DGRAM_PCT;
	cfg->syn_per_src = CONFIG_FLOW_SYN_PER_SRC;
	cfg->negotiating_per_src = CONFIG_DICOM_NEGOTIATING_PER_SRC;
	cfg->named_reserve_pct = CONFIG_DICOM_NAMED_RESERVE_PCT;
}

struct eng *eng_new(const struct eng_cfg *cfg, const struct eng_ops *ops, void *ctx)
{
	struct eng *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->ops = ops;
	e->ctx = ctx;
	e->flows = flow_table_new(cfg->flows);
	e->dcm = dcm_pool_new(cfg->assocs, cfg->rq_bufs, cfg->rq_max);
	e->assocs = calloc(cfg->assocs, sizeof(*e->assocs));
	e->emb = calloc(cfg->flows, sizeof(*e->emb));
	e->keep = calloc(2 * (size_t)cfg->assocs, sizeof(*e->keep));
	e->park = calloc(cfg->park_max + 1, sizeof(*e->park));
	e->park_data = calloc(cfg->park_max + 1, sizeof(*e->park_data));
	if (!e->flows || !e->dcm || !e->assocs || !e->emb || !e->keep || !e->park ||
	    !e->park_data)
		goto out_free;
	SLOT_POOL_INIT(&e->park_slots, e->park + 1, cfg->park_max, next);	/* 0 is "none" */
	return e;

out_free:
	eng_free(e);
	errno = ENOMEM;
	return NULL;
}

void eng_free(struct eng *e)
{
	unsigned i;

	if (!e)
		return;
	for (i = 0; e->flows && i < flow_span(e->flows); i++)
		if (flow_at(e->flows, i)->state != FLOW_FREE)
			eng_flow_end(e, flow_at(e->flows, i));
	for (i = 0; i < ENG_GENS; i++)
		pol_free(e->gen[i].pol);
	flow_table_free(e->flows);
	dcm_pool_free(e->dcm);
	free(e->assocs);
	free(e->emb);
	free(e->keep);
	free(e->park);
	free(e->park_data);
	free(e->rule_hits);
	eng_obs_free(e->obs);
	free(e);
}

void eng_gen_put(struct eng *e, uint8_t g)
{
	if (e->gen[g].refs)
		e->gen[g].refs--;
	if (!e->gen[g].refs && g != e->cur) {
		pol_free(e->gen[g].pol);
		e->gen[g].pol = NULL;
	}
}

void eng_flow_end(struct eng *e, struct flow *f)
{
	if (f->state == FLOW_SETTLED || f->state == FLOW_SETTLED_ASSOC)
		e->c.settled_forgotten++;	/* the kernel may go on forwarding it */
	if (f->state == FLOW_EMBRYO || f->state == FLOW_HANDSHAKE)
		admit_syn_end(e, f);
	else if (f->key.proto != IPPROTO_TCP)
		admit_dgram_end(e, f);
	if (f->assoc) {
		dflow_end(e, f);
		eng_gen_put(e, f->gen);
	}
	flow_remove(e->flows, f);
}

/* A flow not under inspection is judged again as if it were new; one that
 * the new policy refuses ends here, and the kernel forgets it too. A
 * settled association goes on while the new policy still allows DICOM on
 * its tuple, as an association under inspection keeps the policy it was
 * judged by: a reload must not tear down a transfer. So does an
 * unestablished DICOM flow, which has nothing inspected yet and takes the
 * new policy's rule; a plain TCP flow in its handshake likewise, if still
 * allowed plain. A plain flow that the new policy wants inspected ends
 * (its bytes were never seen). A refused or closing flow carries nothing
 * more and ends by its timeout. */
static void eng_rejudge(struct eng *e, struct flow *f)
{
	const struct pol_rule *r;
	bool assoc = f->state == FLOW_SETTLED_ASSOC || f->state == FLOW_EMBRYO;

	if (f->assoc || f->state == FLOW_FREE || f->state == FLOW_REFUSED ||
	    f->state == FLOW_CLOSING)
		return;
	r = pol_match(e->gen[e->cur].pol, &f->key);
	f->gen = e->cur;
	if (r && r->action == POL_ALLOW && (r->proto == POL_DICOM) == assoc) {
		f->rule = (uint16_t)(r->index + 1);
		return;
	}
	if (e->ops->revoke)	/* the kernel forwards them, or their bare ACKs */
		e->ops->revoke(e->ctx, &f->key, true);
	eng_flow_end(e, f);
}

/* Every policy slot is held by associations in flight: the oldest
 * policy's associations end (A-ABORT, reset, an event each), so that a
 * reload, which may be what stops an attack, is never refused. */
static unsigned eng_retire_oldest(struct eng *e)
{
	unsigned g, old = ENG_GENS, i;

	for (g = 0; g < ENG_GENS; g++)
		if (g != e->cur && (old == ENG_GENS || e->gen[g].seq < e->gen[old].seq))
			old = g;
	for (i = 0; i < flow_span(e->flows); i++) {
		struct flow *f = flow_at(e->flows, i);

		if (f->assoc && f->gen == old) {
			dflow_abort(e, f, "policy retired by a reload", "policy-retired");
			e->c.assoc_retired++;
		}
	}
	return old;
}

int eng_set_policy(struct eng *e, struct pol *pol)
{
	uint64_t *hits = calloc(pol_rule_count(pol) + 1, sizeof(*hits));
	unsigned i, g;

	if (!hits)
		return -ENOMEM;
	for (g = 0; g < ENG_GENS && (e->gen[g].pol || e->gen[g].refs); g++)
		;
	if (g == ENG_GENS)
		g = eng_retire_oldest(e);
	e->gen[g].pol = pol;
	e->gen[g].seq = ++e->gen_seq;
	i = e->cur;
	e->cur = (uint8_t)g;
	if (i != g && e->gen[i].pol && !e->gen[i].refs) {
		pol_free(e->gen[i].pol);
		e->gen[i].pol = NULL;
	}
	free(e->rule_hits);
	e->rule_hits = hits;
	e->default_hits = 0;
	for (i = 0; i < flow_span(e->flows); i++)
		eng_rejudge(e, flow_at(e->flows, i));
	return 0;
}

const struct pol *eng_policy(const struct eng *e)
{
	return e->gen[e->cur].pol;
}

static unsigned flow_idle_limit(const struct eng *e, const struct flow *f)
{
	if (f->key.proto == IPPROTO_TCP && f->state != FLOW_REFUSED && f->state != FLOW_CLOSING &&
	    f->state != FLOW_EMBRYO && f->state != FLOW_HANDSHAKE)
		return e->cfg.idle_tcp_s;
	return e->cfg.idle_other_s;
}

/* An association still negotiating after the ARTIM time: whoever stalls
 * (an RQ or AC begun and never finished) holds nothing any longer. */
static bool artim_due(const struct eng *e, const struct flow *f, uint32_t now)
{
	const struct eng_assoc *a = f->assoc ? &e->assocs[f->assoc - 1] : NULL;

	return a && a->negotiating && now - a->artim_s > e->cfg.artim_s;
}

void eng_expire(struct eng *e, uint64_t now_ns)
{
	uint32_t now = (uint32_t)(now_ns / 1000000000u);
	unsigned i;

	e->now_ns = now_ns;	/* the time of the events below */
	eng_resend(e, now_ns);
	e->now_s = now;
	for (i = 0; i < flow_span(e->flows); i++) {
		struct flow *f = flow_at(e->flows, i);

		if (artim_due(e, f, now)) {
			dflow_abort(e, f, "association not negotiated in time (ARTIM)",
				    "artim-expired");
			e->c.assoc_artim++;
			continue;
		}
		if (f->state == FLOW_FREE || now - f->last_s <= flow_idle_limit(e, f))
			continue;
		eng_flow_end(e, f);
		e->c.flows_expired++;
	}
}

bool eng_take_answer_due(struct eng *e)
{
	bool due = e->answer_due;

	e->answer_due = false;
	return due;
}

/* flows_live is the table's own count, filled in here rather than kept
 * up to date on every packet. */
const struct eng_counters *eng_counters(struct eng *e)
{
	e->c.flows_live = flow_count(e->flows);
	return &e->c;
}

uint64_t eng_rule_hits(const struct eng *e, unsigned index)
{
	const struct pol *pol = eng_policy(e);

	return pol && index < pol_rule_count(pol) ? e->rule_hits[index] : 0;
}

uint64_t eng_default_hits(const struct eng *e)
{
	return e->default_hits;
}

static const char *const state_names[] = {
	[FLOW_FREE] = "free",
	[FLOW_OPEN] = "inspected",
	[FLOW_SETTLED] = "settled",
	[FLOW_SETTLED_ASSOC] = "settled",
	[FLOW_REFUSED] = "refused",
	[FLOW_CLOSING] = "closing",
	[FLOW_EMBRYO] = "syn",
	[FLOW_HANDSHAKE] = "syn",
};

int eng_foreach_flow_from(const struct eng *e, unsigned *slot,
			  int (*cb)(void *ctx, const struct eng_flow_info *f), void *ctx)
{
	unsigned i;
	int ret;

	for (i = *slot; i < flow_span(e->flows); i++) {
		struct flow *f = flow_at(e->flows, i);
		const struct pol_rule *r = eng_flow_rule(e, f);
		struct eng_flow_info fi = {
			.key = f->key, .state = state_names[f->state],
			.rule_line = r ? (int)r->line : 0,
			.first_ns = (uint64_t)f->first_s * 1000000000u + e->wall_off,
			.last_ns = (uint64_t)f->last_s * 1000000000u + e->wall_off,
			.packets = f->packets,
		};

		if (f->state == FLOW_FREE)
			continue;
		if (f->assoc) {
			fi.calling_ae = dcm_calling_ae(e->assocs[f->assoc - 1].dcm);
			fi.called_ae = dcm_called_ae(e->assocs[f->assoc - 1].dcm);
		}
		ret = cb(ctx, &fi);
		if (ret) {
			*slot = i;
			return ret;
		}
	}
	*slot = i;
	return 0;
}

/* A SYN that finds a flow is either the initiator retransmitting the SYN
 * that made it (same ISN, nothing sent yet), or a new connection reusing
 * the 5-tuple of one that ended: a client's port reused, or the other end
 * connecting back on the reversed tuple. The new one is judged afresh:
 * passing it as the old flow would hand a new association to the kernel
 * (or drop it) on the strength of the previous one's inspection. Not on
 * an unestablished flow, whose SYN anyone who knows the tuple could send:
 * admit.c judges it (admit_syn_again), and a handshake goes on. Nor on an
 * inspected one (dflow_syn_stranger). */
static int flow_reused(const struct flow *f, const struct pkt *p)
{
	return pkt_is_syn(p) && f->state != FLOW_EMBRYO && f->state != FLOW_HANDSHAKE &&
	       f->state != FLOW_OPEN;
}

/* The verdict of a parsed packet, counted. */
static int eng_judge(struct eng *e, const struct eng_pkt *pk, const struct pkt *p,
		     enum eng_verdict *v)
{
	struct flow *f;
	int reply, err = 0;

	f = flow_lookup(e->flows, &p->key, &reply);
	if (f && f->state == FLOW_OPEN && dflow_syn_stranger(e, f, reply, p, v))
		goto out;
	if (f && flow_reused(f, p)) {
		eng_flow_end(e, f);
		f = NULL;
	}
	if (!f) {
		err = eng_new_flow(e, pk, p, v);
		goto out;
	}
	/* Only a flow that carries traffic is refreshed by any packet. An
	 * inspected one by a packet it passes (below), not by a stranger's
	 * out-of-window junk. An unestablished one ages from its handshake's
	 * last step (admit.c); a refused one (it only answers) and a closing
	 * one (both FINs seen, its stream state gone) from the moment they
	 * got there, like conntrack's TIME_WAIT: a stranger's junk on their
	 * tuple keeps none of them alive. */
	if (f->state == FLOW_SETTLED || f->state == FLOW_SETTLED_ASSOC)
		f->last_s = e->now_s;
	f->packets++;
	switch (f->state) {
	case FLOW_SETTLED:
	case FLOW_SETTLED_ASSOC:
		*v = ENG_ACCEPT;
		break;
	case FLOW_OPEN:
		err = dflow_packet(e, f, reply, pk, p, v);
		/* Still open, only a packet it passed of its own conversation
		 * refreshes it (a passed copy of verified bytes counts: only
		 * the real sender has them); one that ended it starts its
		 * closing or refused state's timer. */
		if (f->state != FLOW_FREE &&
		    (f->state != FLOW_OPEN || (*v != ENG_DROP && dflow_live(e, f, reply, p))))
			f->last_s = e->now_s;
		break;
	case FLOW_EMBRYO:
		err = dflow_embryo(e, f, reply, pk, p, v);
		break;
	case FLOW_HANDSHAKE:
		admit_handshake(e, f, reply, pk, p, v);
		break;
	case FLOW_CLOSING:
		if (!p->plen)
			*v = ENG_ACCEPT;
		break;
	case FLOW_REFUSED:
		/* The initiator was told no; whatever it sends now (its ACK of
		 * the RJ, its FIN) is answered with a reset so it lets go, as
		 * far as the answer limit lets it (a flood of them is queued
		 * whole: conntrack forwards nothing of a flow without a mark). */
		if (!reply && p->key.proto == IPPROTO_TCP && !(p->flags & TCP_RST) &&
		    eng_answer_ok(e, &p->key))
			eng_inject(e, reply_tcp_reset(e->out, sizeof(e->out), p), &pk->from);
		break;
	default:
		break;
	}
out:
	if (*v == ENG_DROP)
		e->c.dropped++;
	else if (*v == ENG_HOLD)
		e->c.held++;
	else
		e->c.accepted += 1, e->c.settled += *v == ENG_SETTLE;
	return err;
}

/* Every packet starts here: counted, and the engine's clocks set from it.
 * -ENOENT without a policy. */
static int eng_begin(struct eng *e, const struct eng_pkt *pk, enum eng_verdict *v)
{
	*v = ENG_DROP;
	e->c.packets++;
	e->now_ns = pk->ts_ns;
	e->now_s = (uint32_t)(pk->ts_ns / 1000000000u);
	e->wall_off = pk->wall_ns ? pk->wall_ns - pk->ts_ns : 0;
	return e->gen[e->cur].pol ? 0 : -ENOENT;
}

int eng_packet(struct eng *e, const struct eng_pkt *pk, enum eng_verdict *v)
{
	struct pkt p;
	int err = eng_begin(e, pk, v);

	if (err)
		return err;
	err = pkt_parse(pk->l3, pk->len, &p);
	if (err) {
		struct sw_event ev = {
			.kind = err == -EBADMSG ? EV_INVALID : EV_BLOCK,
			.reason = err == -EBADMSG ? "malformed packet" : "protocol not passed",
		};

		e->c.parse_errors++;
		e->c.dropped++;
		eng_emit(e, &ev, NULL);
		return err;
	}
	return eng_judge(e, pk, &p, v);
}

int eng_packet_parsed(struct eng *e, const struct eng_pkt *pk, const struct pkt *p,
		      enum eng_verdict *v)
{
	int err = eng_begin(e, pk, v);

	return err ? err : eng_judge(e, pk, p, v);
}
