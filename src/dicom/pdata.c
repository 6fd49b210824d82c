/* P-DATA-TF bodies as a stream of PDV items (PS3.8 §9.3.5, Annex E).
 *
 * A PDV is a 4-byte length, a presentation context id and a message
 * control header, then its fragment. Headers are accumulated across
 * segments; command fragments go through the streaming command parser,
 * data set fragments are skipped without being copied. */
#include <errno.h>
#include <stdio.h>

#include "scanwall/catalog.h"
#include "internal.h"

#define DSET_NONE 0x0101	/* Command Data Set Type: no data set follows */

static enum dcm_fault check_context(struct dcm_assoc *a, uint8_t ctx)
{
	uint8_t flags = a->ctx_flags[DCM_CTX_SLOT(ctx | 1)];

	if (!(ctx & 1) || !(flags & DCM_CTX_ACCEPTED))
		return DCM_F_PDV_CONTEXT;
	if (flags & DCM_CTX_ALLOWED)
		return DCM_OK;
	snprintf(a->detail, sizeof(a->detail), "presentation-context-%u", ctx);
	return DCM_R_CONTEXT;
}

/* A message is one command, then its data set if it has one, all on one
 * context (PS3.8 Annex E.2). */
static enum dcm_fault frag_begin(struct dcm_assoc *a, struct dcm_stream *s)
{
	enum dcm_fault f;

	if (s->ctl & PDV_RESERVED)
		return DCM_F_PDV_CONTROL;
	f = check_context(a, s->ctx);
	if (f)
		return f;
	if (s->msg != DCM_MSG_IDLE && s->ctx != s->msg_ctx)
		return DCM_F_PDV_ORDER;
	if (!(s->ctl & PDV_COMMAND))
		return s->msg == DCM_MSG_DATA ? DCM_OK : DCM_F_PDV_ORDER;
	if (s->msg == DCM_MSG_DATA)
		return DCM_F_PDV_ORDER;
	if (s->msg == DCM_MSG_IDLE) {
		dcm_cmd_reset(&s->cmd);
		s->msg = DCM_MSG_CMD;
		s->msg_ctx = s->ctx;
	}
	return DCM_OK;
}

static void command_detail(struct dcm_assoc *a, uint16_t field)
{
	const char *name = dimse_bit_of(field) ? dimse_name(field) : NULL;

	if (name)
		snprintf(a->detail, sizeof(a->detail), "%s", name);
	else
		snprintf(a->detail, sizeof(a->detail), "0x%04x", field);
}

/* The element a command-set fault is about, as its detail. */
static enum dcm_fault cmd_fault(struct dcm_assoc *a, const struct dcm_cmd *m, enum dcm_fault f)
{
	if (f == DCM_F_TAG_ORDER || f == DCM_F_CMD_UID || f == DCM_F_CMD_MISSING)
		snprintf(a->detail, sizeof(a->detail), "(0000,%04x)", m->elem);
	return f;
}

/* A request naming another class than its context's would have the
 * receiver act on a class nobody negotiated: refused. A response only
 * reports on a request already judged; its class is conformance, not
 * protection (a dcmjs-dimse worklist SCP answers with Study Root FIND),
 * so it passes as an anomaly unless the rule is `strict`. */
static enum dcm_fault sop_mismatch(struct dcm_assoc *a, const struct dcm_cmd *m)
{
	if (!(m->field & DCM_RSP_BIT)) {
		snprintf(a->detail, sizeof(a->detail), "%s", m->uid);
		return DCM_F_SOP_MISMATCH;
	}
	if (a->rule->strict) {
		snprintf(a->detail, sizeof(a->detail), "%s", m->uid);
		return DCM_A_RSP_SOP;
	}
	dcm_anomaly(a, DCM_A_RSP_SOP, m->uid);
	return DCM_OK;
}

/* The whole command set has passed: judge it against the context. */
static enum dcm_fault command_end(struct dcm_assoc *a, struct dcm_stream *s)
{
	struct dcm_cmd *m = &s->cmd;
	unsigned slot = DCM_CTX_SLOT(s->msg_ctx);
	enum dcm_fault f = cmd_fault(a, m, dcm_cmd_end(m));
	uint16_t sop;
	uint32_t dimse;

	if (f)
		return f;
	if (!(dimse_bit_of(m->field) & a->ctx_dimse[slot])) {
		command_detail(a, m->field);
		return DCM_R_COMMAND;
	}
	if ((m->seen & DCM_SEEN_UID) &&
	    (pol_sop_lookup(a->rule, m->uid, m->uid_len, &sop, &dimse) || sop != a->ctx_sop[slot])) {
		f = sop_mismatch(a, m);
		if (f)
			return f;
	}
	dcm_obs_command(a, (enum dcm_dir)(s - a->dir), s->msg_ctx, m->field);
	s->msg = m->dset == DSET_NONE ? DCM_MSG_IDLE : DCM_MSG_DATA;
	if (s->msg == DCM_MSG_IDLE)
		a->answer_next = 1;
	return DCM_OK;
}

static enum dcm_fault frag_end(struct dcm_assoc *a, struct dcm_stream *s)
{
	s->in_frag = 0;
	if (s->left == 0)
		s->phase = DCM_PH_HDR;
	if (!(s->ctl & PDV_LAST))
		return DCM_OK;
	if (s->ctl & PDV_COMMAND)
		return command_end(a, s);
	s->msg = DCM_MSG_IDLE;
	a->answer_next = 1;
	return DCM_OK;
}

static enum dcm_fault pdv_header_step(struct dcm_assoc *a, struct dcm_stream *s, struct cur *c)
{
	size_t n = DCM_PDU_HDR - s->pdv_have;
	uint32_t len;
	struct cur h;
	enum dcm_fault f;

	if (s->pdv_have == 0 && s->left < DCM_PDU_HDR)
		return DCM_F_PDV_LENGTH;
	if (n > cur_left(c))
		n = cur_left(c);
	if (cur_copy(c, s->pdv + s->pdv_have, n))
		return DCM_F_PDV_LENGTH;
	s->pdv_have += (uint8_t)n;
	s->left -= (uint32_t)n;
	if (s->pdv_have < DCM_PDU_HDR)
		return DCM_OK;
	s->pdv_have = 0;
	cur_init(&h, s->pdv, sizeof(s->pdv));
	if (cur_be32(&h, &len) || cur_u8(&h, &s->ctx) || cur_u8(&h, &s->ctl))
		return DCM_F_PDV_LENGTH;
	/* the length counts the context id and control header, already read */
	if (len < 2 || len - 2 > s->left)
		return DCM_F_PDV_LENGTH;
	s->frag_left = len - 2;
	s->in_frag = 1;
	f = frag_begin(a, s);
	if (!f && s->frag_left == 0)
		f = frag_end(a, s);
	return f;
}

static enum dcm_fault pdv_body_step(struct dcm_assoc *a, struct dcm_stream *s, struct cur *c)
{
	size_t n = cur_left(c) < s->frag_left ? cur_left(c) : s->frag_left;
	enum dcm_fault f = DCM_OK;
	struct cur frag;

	if (cur_sub(c, n, &frag))
		return DCM_F_PDV_LENGTH;
	if (s->ctl & PDV_COMMAND)
		f = cmd_fault(a, &s->cmd, dcm_cmd_feed(&s->cmd, &frag));
	if (f)
		return f;
	s->frag_left -= (uint32_t)n;
	s->left -= (uint32_t)n;
	return s->frag_left ? DCM_OK : frag_end(a, s);
}

size_t dcm_data_ahead(const struct dcm_assoc *a, enum dcm_dir dir)
{
	const struct dcm_stream *s = &a->dir[dir];

	if (a->state == DCM_ST_DEAD || s->phase != DCM_PH_PDATA || !s->in_frag ||
	    (s->ctl & PDV_COMMAND))
		return 0;
	return s->frag_left;
}

int dcm_skip_data(struct dcm_assoc *a, enum dcm_dir dir, size_t n)
{
	struct dcm_stream *s = &a->dir[dir];

	if (!n || n > dcm_data_ahead(a, dir))
		return -EINVAL;
	s->frag_left -= (uint32_t)n;
	s->left -= (uint32_t)n;
	/* A data fragment's end judges nothing that needs its bytes. */
	return s->frag_left || frag_end(a, s) == DCM_OK ? 0 : -EINVAL;
}

enum dcm_fault dcm_pdata_step(struct dcm_assoc *a, enum dcm_dir d, struct cur *c)
{
	struct dcm_stream *s = &a->dir[d];

	return s->in_frag ? pdv_body_step(a, s, c) : pdv_header_step(a, s, c);
}
