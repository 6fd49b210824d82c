/* The per-direction PDU framer and dcm_feed().
 *
 * TCP may cut the stream anywhere, down to one byte per segment, so every
 * piece of state that spans bytes (the 6-byte PDU header, an RQ/AC body,
 * the 4-byte bodies, and in pdata.c the PDV and element headers) is an
 * accumulator in struct dcm_stream, never a look-ahead into the segment.
 * Each step consumes at least one byte of the segment or fails. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static enum dcm_fault hdr_step(struct dcm_assoc *a, enum dcm_dir d, struct cur *c)
{
	struct dcm_stream *s = &a->dir[d];
	uint8_t type;
	uint32_t len;
	struct cur h;

	if (cur_u8(c, &s->hdr[s->hdr_have]))
		return DCM_F_PDU_LENGTH;
	/* judged on the first byte, so not one more byte passes */
	if (s->hdr_have++ == 0) {
		if (a->state == DCM_ST_CLOSED)
			return DCM_F_AFTER_CLOSE;
		if (s->hdr[0] < DCM_PDU_RQ || s->hdr[0] > DCM_PDU_ABORT)
			return DCM_F_PDU_TYPE;
	}
	if (s->hdr_have < DCM_PDU_HDR)
		return DCM_OK;
	s->hdr_have = 0;
	cur_init(&h, s->hdr, sizeof(s->hdr));
	if (cur_u8(&h, &type) || cur_skip(&h, 1) || cur_be32(&h, &len))
		return DCM_F_PDU_LENGTH;
	if (len == 0)	/* no type may be empty; saves a zero-length body step */
		return DCM_F_PDU_LENGTH;
	return dcm_pdu_begin(a, d, type, len);
}

/* Copies body bytes into dst (the pool buffer or the 4-byte one). */
static enum dcm_fault body_step(struct dcm_assoc *a, enum dcm_dir d, struct cur *c,
				uint8_t *dst, struct dcm_verdict *v)
{
	struct dcm_stream *s = &a->dir[d];
	size_t n = cur_left(c) < s->left ? cur_left(c) : s->left;

	if (cur_copy(c, dst + s->have, n))
		return DCM_F_PDU_LENGTH;
	s->have += (uint32_t)n;
	s->left -= (uint32_t)n;
	return s->left ? DCM_OK : dcm_pdu_end(a, d, v);
}

static enum dcm_fault step(struct dcm_assoc *a, enum dcm_dir d, struct cur *c,
			   struct dcm_verdict *v)
{
	struct dcm_stream *s = &a->dir[d];

	switch (s->phase) {
	case DCM_PH_ASSOC:
		return body_step(a, d, c, a->buf, v);
	case DCM_PH_SMALL:
		return body_step(a, d, c, s->small, v);
	case DCM_PH_PDATA:
		return dcm_pdata_step(a, d, c);
	default:
		return hdr_step(a, d, c);
	}
}

/* Bytes of an RQ or AC, even its first header byte, wait for the verdict
 * on the whole PDU. So do the bytes of a header cut short, whatever the
 * PDU: a 6-byte PDU header, the 4-byte body of a release or abort (the
 * whole 10-byte PDU), a 6-byte PDV header. Their first bytes must not
 * reach the receiver before the rest shows them malformed; at most 11
 * such bytes wait, until the next segment. */
static int holding(const struct dcm_assoc *a, enum dcm_dir d)
{
	const struct dcm_stream *s = &a->dir[d];

	switch (s->phase) {
	case DCM_PH_ASSOC:
	case DCM_PH_SMALL:
		return 1;
	case DCM_PH_PDATA:
		return !s->in_frag && s->pdv_have;
	default:
		return s->hdr_have != 0;
	}
}

/* The next step skips data set bytes (a data fragment's body). */
static int is_data(const struct dcm_stream *s)
{
	return s->phase == DCM_PH_PDATA && s->in_frag && !(s->ctl & PDV_COMMAND);
}

static void mark_structural(struct dcm_verdict *v, size_t from, size_t to)
{
	struct dcm_range *last = &v->structs[v->nstruct ? v->nstruct - 1 : 0];

	if (v->nstruct && (last->hi == from || v->nstruct == DCM_RANGES))
		last->hi = (uint32_t)to;
	else
		v->structs[v->nstruct++] = (struct dcm_range){ (uint32_t)from, (uint32_t)to };
	if (!v->struct_hi || from < v->struct_lo)
		v->struct_lo = from;
	if (to > v->struct_hi)
		v->struct_hi = to;
}

void dcm_anomaly(struct dcm_assoc *a, enum dcm_fault f, const char *detail)
{
	unsigned bit = 1u << (f - DCM_A_RSP_SOP);

	if (a->anomalies++)
		return;
	a->anomaly = (uint8_t)f;
	a->anomaly_new = !(a->anomaly_told & bit);
	a->anomaly_told |= (uint8_t)bit;
	snprintf(a->anomaly_detail, sizeof(a->anomaly_detail), "%s", detail);
}

static void refuse(struct dcm_assoc *a, enum dcm_dir d, enum dcm_fault f, struct dcm_verdict *v)
{
	int rq_stage = a->state == DCM_ST_AWAIT_RQ && d == DCM_FROM_INITIATOR;

	dcm_pool_buf_put(a->pool, a->buf);
	a->buf = NULL;
	a->state = DCM_ST_DEAD;
	a->fault = (uint8_t)f;
	v->step = DCM_REFUSE;
	v->event = DCM_EV_NONE;
	v->fault = f;
	dcm_fault_answer(f, rq_stage, v);
	v->detail = a->detail[0] ? a->detail : NULL;
}

int dcm_feed(struct dcm_assoc *a, enum dcm_dir dir, const uint8_t *p, size_t n,
	     struct dcm_verdict *v)
{
	enum dcm_fault f = DCM_OK;
	struct cur c;

	memset(v, 0, sizeof(*v));
	v->step = DCM_PASS;
	if (a->state == DCM_ST_DEAD) {
		/* already answered once: refuse quietly */
		v->step = DCM_REFUSE;
		v->fault = (enum dcm_fault)a->fault;
		return n ? 0 : -EINVAL;
	}
	if (!n || !p || (dir != DCM_FROM_INITIATOR && dir != DCM_FROM_ACCEPTOR))
		return -EINVAL;
	a->detail[0] = '\0';
	a->answer_next = 0;
	a->anomalies = 0;
	cur_init(&c, p, n);
	while (!f && cur_left(&c)) {
		size_t before = c.off;
		int data = is_data(&a->dir[dir]);

		f = step(a, dir, &c, v);
		if (!f && c.off == before)	/* cannot happen; never spin */
			f = DCM_F_PDU_LENGTH;
		if (!data)
			mark_structural(v, before, c.off);
	}
	if (f) {
		refuse(a, dir, f, v);
		return 0;
	}
	if (a->anomalies) {
		v->anomalies = a->anomalies;
		v->anomaly = (enum dcm_fault)a->anomaly;
		v->anomaly_detail = a->anomaly_new ? a->anomaly_detail : NULL;
	}
	if (holding(a, dir))
		v->step = DCM_HOLD;
	else
		v->answer_next = a->answer_next && a->state != DCM_ST_CLOSED;
	return 0;
}
