/* The association state machine (PS3.8 §9.2, reduced to what a firewall in
 * the middle must know): which PDU each side may send now, and what a
 * complete A-ASSOCIATE-RQ, -AC, -RJ, release or abort changes.
 *
 *   AWAIT_RQ --RQ judged--> AWAIT_AC --AC--> ESTABLISHED --RELEASE-RQ-->
 *   RELEASING --RELEASE-RP--> CLOSED;  RJ and A-ABORT go to CLOSED at once.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define T(type) (1u << (type))

/* PDU types each side may start in each settled state. A-ABORT is always
 * allowed from the initiator (it may give up while we hold its request),
 * from the acceptor once it has seen the request. */
static const uint8_t admit_table[DCM_ST_DEAD + 1][2] = {
	[DCM_ST_AWAIT_RQ] = { T(DCM_PDU_RQ) | T(DCM_PDU_ABORT), 0 },
	[DCM_ST_AWAIT_AC] = { T(DCM_PDU_ABORT),
			      T(DCM_PDU_AC) | T(DCM_PDU_RJ) | T(DCM_PDU_ABORT) },
	[DCM_ST_ESTABLISHED] = { T(DCM_PDU_DATA) | T(DCM_PDU_RELEASE_RQ) | T(DCM_PDU_ABORT),
				 T(DCM_PDU_DATA) | T(DCM_PDU_RELEASE_RQ) | T(DCM_PDU_ABORT) },
};

/* While releasing, a side that asked for release sends nothing but its
 * answer to a colliding request; the other side may still send P-DATA
 * until it answers (PS3.8 Sta7/Sta8). */
static unsigned admitted(const struct dcm_assoc *a, enum dcm_dir d)
{
	const struct dcm_stream *me = &a->dir[d], *peer = &a->dir[!d];
	unsigned m = T(DCM_PDU_ABORT);

	if (a->state != DCM_ST_RELEASING)
		return admit_table[a->state][d];
	if (!me->rel_rq && !me->rel_rp)
		m |= T(DCM_PDU_DATA) | T(DCM_PDU_RELEASE_RQ);
	if (peer->rel_rq && !me->rel_rp)
		m |= T(DCM_PDU_RELEASE_RP);
	return m;
}

static enum dcm_fault begin_assoc(struct dcm_assoc *a, uint32_t len)
{
	if (len < DCM_ASSOC_FIXED)
		return DCM_F_PDU_LENGTH;
	if (len > dcm_pool_bufsize(a->pool))
		return DCM_F_PDU_TOO_LONG;
	dcm_sent_forget(a);	/* the one before was answered: this is the answer */
	a->buf = dcm_pool_buf_get(a->pool);
	return a->buf ? DCM_OK : DCM_R_BUSY;
}

/* The receiver's maximum (its 0x51, 0 = no limit) bounds the PDU's
 * variable field, which is what the length counts (PS3.8 Annex D.1). */
static enum dcm_fault begin_pdata(const struct dcm_assoc *a, enum dcm_dir d, uint32_t len)
{
	uint32_t max = a->max_len[!d];

	if (max && len > max)
		return DCM_F_PDU_TOO_LONG;
	return len < DCM_PDU_HDR ? DCM_F_PDU_LENGTH : DCM_OK;
}

enum dcm_fault dcm_pdu_begin(struct dcm_assoc *a, enum dcm_dir d, uint8_t type, uint32_t len)
{
	struct dcm_stream *s = &a->dir[d];
	enum dcm_fault f;

	if (!(admitted(a, d) & T(type)))
		return DCM_F_PDU_UNEXPECTED;
	s->type = type;
	s->left = len;
	s->have = 0;
	if (type == DCM_PDU_RQ || type == DCM_PDU_AC) {
		s->phase = DCM_PH_ASSOC;
		f = begin_assoc(a, len);
	} else if (type == DCM_PDU_DATA) {
		s->phase = DCM_PH_PDATA;
		s->pdv_have = 0;
		s->in_frag = 0;
		f = begin_pdata(a, d, len);
	} else {
		s->phase = DCM_PH_SMALL;
		f = len == 4 ? DCM_OK : DCM_F_PDU_LENGTH;
	}
	return f;
}

/* DICOM negotiates each presentation context on its own (PS3.8 §9.3.2.2):
 * a proposed class outside the rule is harmless until the acceptor
 * accepts it, so the RQ is refused only for its AE titles or when not one
 * proposed context is within the rule. What the acceptor accepted is
 * judged at the AC (judge_ac). */
static enum dcm_fault judge_rq(struct dcm_assoc *a)
{
	const struct pol_rule *r = a->rule;
	unsigned i, any = 0;

	if (!pol_ae_allowed(r, POL_CALLING, a->calling)) {
		snprintf(a->detail, sizeof(a->detail), "%s", a->calling);
		return DCM_R_CALLING_AE;
	}
	if (!pol_ae_allowed(r, POL_CALLED, a->called)) {
		snprintf(a->detail, sizeof(a->detail), "%s", a->called);
		return DCM_R_CALLED_AE;
	}
	/* a->detail holds the first proposed class outside the services */
	for (i = 0; i < DCM_NCTX; i++)
		any |= a->ctx_flags[i] & DCM_CTX_ALLOWED;
	return any ? DCM_OK : DCM_R_NO_CONTEXT;
}

/* An accepted context outside the rule: the association stays under full
 * inspection (a message on that context is refused, pdata.c), whatever
 * the rule's mode, and says so once. */
static void judge_ac(struct dcm_assoc *a)
{
	char ctx[32];
	unsigned i;

	for (i = 0; i < DCM_NCTX; i++) {
		if ((a->ctx_flags[i] & (DCM_CTX_ACCEPTED | DCM_CTX_ALLOWED)) != DCM_CTX_ACCEPTED)
			continue;
		a->outside = 1;
		if (a->rule->inspect == POL_INSPECT_ASSOCIATION) {
			snprintf(ctx, sizeof(ctx), "presentation-context-%u", 2 * i + 1);
			dcm_anomaly(a, DCM_A_CONTEXT_OUTSIDE, ctx);
		}
		return;
	}
}

/* The RQ or AC is complete in the pool buffer: parse, judge, give the
 * buffer back whatever the outcome (or keep it, allowed, for sent.c). */
static enum dcm_fault end_assoc(struct dcm_assoc *a, enum dcm_dir d, struct dcm_verdict *v)
{
	int ac = a->dir[d].type == DCM_PDU_AC;
	enum dcm_fault f = dcm_items_parse(a, ac, a->buf, a->dir[d].have);

	if (!f && !ac)
		f = judge_rq(a);
	if (!f && ac)
		judge_ac(a);
	if (!f)
		dcm_obs_pdu(a, ac, a->buf, a->dir[d].have);
	if (f || !dcm_sent_take(a, d))
		dcm_pool_buf_put(a->pool, a->buf);
	a->buf = NULL;
	a->keep_next[d] = 0;
	if (f)
		return f;
	a->detail[0] = '\0';
	a->state = ac ? DCM_ST_ESTABLISHED : DCM_ST_AWAIT_AC;
	v->event = ac ? DCM_EV_ACCEPTED : DCM_EV_REQUESTED;
	a->answer_next = 1;
	return DCM_OK;
}

/* RJ: reserved, result, source, reason. Valid reasons per source (PS3.8
 * §9.3.4): user 1, 2, 3, 7; ACSE provider 1, 2; presentation provider 1, 2. */
static enum dcm_fault end_rj(struct dcm_assoc *a, const uint8_t b[4], struct dcm_verdict *v)
{
	static const uint8_t reasons[4] = { 0, 0x8e, 0x06, 0x06 };	/* bit n: reason n */
	uint8_t result = b[1], source = b[2], reason = b[3];

	if (result < 1 || result > 2 || source < 1 || source > 3 || reason > 7 ||
	    !(reasons[source] & (1u << reason)))
		return DCM_F_RJ_FIELDS;
	a->state = DCM_ST_CLOSED;
	v->event = DCM_EV_REJECTED;
	return DCM_OK;
}

/* A-ABORT: reserved, reserved, source (0 user, 2 provider), reason (only
 * significant from the provider: 0..6). */
static enum dcm_fault end_abort(struct dcm_assoc *a, const uint8_t b[4], struct dcm_verdict *v)
{
	if ((b[2] != 0 && b[2] != 2) || (b[2] == 2 && b[3] > 6))
		return DCM_F_RJ_FIELDS;
	a->state = DCM_ST_CLOSED;
	v->event = DCM_EV_ABORTED;
	return DCM_OK;
}

/* Closed once every release request has its reply (both, on collision). */
static enum dcm_fault end_release(struct dcm_assoc *a, enum dcm_dir d, struct dcm_verdict *v)
{
	struct dcm_stream *me = &a->dir[d], *peer = &a->dir[!d];

	if (me->type == DCM_PDU_RELEASE_RQ) {
		me->rel_rq = 1;
		a->state = DCM_ST_RELEASING;
		a->answer_next = 1;
		return DCM_OK;
	}
	me->rel_rp = 1;
	if ((!me->rel_rq || peer->rel_rp) && (!peer->rel_rq || me->rel_rp)) {
		a->state = DCM_ST_CLOSED;
		v->event = DCM_EV_RELEASED;
	}
	return DCM_OK;
}

enum dcm_fault dcm_pdu_end(struct dcm_assoc *a, enum dcm_dir d, struct dcm_verdict *v)
{
	struct dcm_stream *s = &a->dir[d];

	s->phase = DCM_PH_HDR;
	switch (s->type) {
	case DCM_PDU_RQ:
	case DCM_PDU_AC:
		return end_assoc(a, d, v);
	case DCM_PDU_RJ:
		return end_rj(a, s->small, v);
	case DCM_PDU_ABORT:
		return end_abort(a, s->small, v);
	default:
		return end_release(a, d, v);
	}
}

int dcm_settled(const struct dcm_assoc *a)
{
	return a->rule->inspect == POL_INSPECT_ASSOCIATION && !a->outside &&
	       (a->state == DCM_ST_ESTABLISHED || a->state == DCM_ST_RELEASING);
}

const char *dcm_calling_ae(const struct dcm_assoc *a)
{
	return a->calling;
}

const char *dcm_called_ae(const struct dcm_assoc *a)
{
	return a->called;
}
