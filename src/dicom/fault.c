/* Fault names for events and metrics, and what each refusal answers.
 *
 * The names are a stable interface (dashboards count them): append, never
 * rename. The answer is chosen by the fault, not by the code that found it,
 * so every path that refuses for one reason answers the same way. */
#include "internal.h"

/* A-ASSOCIATE-RJ result/source/reason, only while the initiator still
 * awaits its AC (PS3.8 §9.3.4); otherwise an A-ABORT (§9.3.8), normally
 * from the service provider (source 2) with the reason given here. */
struct fault_info {
	const char *name;
	uint8_t rj_result, rj_source, rj_reason;	/* rj_result 0: no RJ */
	uint8_t abort_reason;
	uint8_t no_answer;
};

enum {
	AB_NONE = 0,		/* reason-not-specified */
	AB_UNRECOGNIZED = 1,	/* unrecognized PDU */
	AB_UNEXPECTED = 2,	/* unexpected PDU */
	AB_INVALID = 6,		/* invalid PDU parameter value */
};

static const struct fault_info faults[DCM_FAULT__COUNT] = {
	[DCM_OK] = { "ok", 0, 0, 0, AB_NONE, 1 },
	[DCM_F_PDU_TYPE] = { "pdu-type", 0, 0, 0, AB_UNRECOGNIZED, 0 },
	[DCM_F_PDU_LENGTH] = { "pdu-length", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_PDU_TOO_LONG] = { "pdu-too-long", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_PDU_UNEXPECTED] = { "pdu-unexpected", 0, 0, 0, AB_UNEXPECTED, 0 },
	/* the association is over: nobody is left to answer */
	[DCM_F_AFTER_CLOSE] = { "after-close", 0, 0, 0, AB_UNEXPECTED, 1 },
	[DCM_F_PROTOCOL_VERSION] = { "protocol-version", 1, 2, 2, AB_INVALID, 0 },
	[DCM_F_ITEM_LENGTH] = { "item-length", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_ITEM_TYPE] = { "item-type", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_ITEM_MISSING] = { "item-missing", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_ITEM_DUPLICATE] = { "item-duplicate", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_AE_TITLE] = { "ae-title", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_UID] = { "uid", 0, 0, 0, AB_INVALID, 0 },
	/* a well-formed request for another application context is the one
	 * case the standard answers with "application context not supported" */
	[DCM_F_APP_CONTEXT] = { "app-context", 1, 1, 2, AB_INVALID, 0 },
	[DCM_F_CONTEXT_ID] = { "context-id", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_ABSTRACT_SYNTAX] = { "abstract-syntax", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_TRANSFER_SYNTAX] = { "transfer-syntax", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_MAX_LENGTH] = { "max-length", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_RJ_FIELDS] = { "rj-fields", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_PDV_LENGTH] = { "pdv-length", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_PDV_CONTEXT] = { "pdv-context", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_PDV_CONTROL] = { "pdv-control", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_PDV_ORDER] = { "pdv-order", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_COMMAND] = { "command", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_SOP_MISMATCH] = { "sop-mismatch", 0, 0, 0, AB_INVALID, 0 },
	[DCM_R_CALLING_AE] = { "calling-ae", 1, 1, 3, AB_NONE, 0 },
	[DCM_R_CALLED_AE] = { "called-ae", 1, 1, 7, AB_NONE, 0 },
	[DCM_R_ABSTRACT_SYNTAX] = { "abstract-syntax-refused", 1, 1, 1, AB_NONE, 0 },
	[DCM_R_CONTEXT] = { "context-refused", 0, 0, 0, AB_NONE, 0 },
	[DCM_R_COMMAND] = { "command-refused", 0, 0, 0, AB_NONE, 0 },
	[DCM_R_NO_CONTEXT] = { "no-context", 1, 1, 1, AB_NONE, 0 },
	/* transient, presentation provider, local limit exceeded */
	[DCM_R_BUSY] = { "busy", 2, 3, 2, AB_NONE, 0 },
	[DCM_F_GROUP_LENGTH] = { "group-length", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_TAG_ORDER] = { "tag-order", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_CMD_MISSING] = { "command-element-missing", 0, 0, 0, AB_INVALID, 0 },
	[DCM_F_CMD_UID] = { "command-uid", 0, 0, 0, AB_INVALID, 0 },
	/* refuses only under `strict` */
	[DCM_A_RSP_SOP] = { "response-sop-class", 0, 0, 0, AB_INVALID, 0 },
	/* never refuses: the association stays under full inspection */
	[DCM_A_CONTEXT_OUTSIDE] = { "accepted-outside-rule", 0, 0, 0, AB_NONE, 0 },
};

const char *dcm_fault_name(enum dcm_fault f)
{
	if ((unsigned)f >= DCM_FAULT__COUNT || !faults[f].name)
		return "unknown";
	return faults[f].name;
}

void dcm_fault_answer(enum dcm_fault f, int rq_stage, struct dcm_verdict *v)
{
	const struct fault_info *fi = &faults[(unsigned)f < DCM_FAULT__COUNT ? f : DCM_OK];

	v->answer = DCM_ANS_NONE;
	v->result = v->source = v->reason = 0;
	if (fi->no_answer)
		return;
	if (rq_stage && fi->rj_result) {
		v->answer = DCM_ANS_RJ;
		v->result = fi->rj_result;
		v->source = fi->rj_source;
		v->reason = fi->rj_reason;
		return;
	}
	v->answer = DCM_ANS_ABORT;
	v->source = 2;
	v->reason = fi->abort_reason;
}
