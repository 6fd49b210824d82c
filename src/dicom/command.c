/* The command set of a DIMSE message (PS3.7 §6.3, §9.3, §10.3, Annex E),
 * parsed as it streams past in command fragments: Implicit VR Little
 * Endian elements of group 0000, a 4-byte tag and a 4-byte length each.
 *
 * What the device's command parser may rely on is checked here: the
 * group length (0000,0000) first and exactly the byte count of the rest,
 * tags strictly ascending, the known elements of their sizes, every UID
 * by PS3.5 §9.1 (one trailing NUL pads an odd length; a space is no
 * padding here), and each request carrying the elements its table in
 * PS3.7 marks required. Only the values we judge are kept (Command Field,
 * the SOP Class UID, Data Set Type; an instance UID while it is checked);
 * every other value is skipped by its length, so a command set of any
 * size costs the same few bytes of state. */
#include <string.h>

#include "internal.h"

enum cmd_target { TGT_SKIP, TGT_GLEN, TGT_FIELD, TGT_UID, TGT_IUID, TGT_DSET };

/* The elements we know: value length bounds and where the value goes. */
struct cmd_elem {
	uint16_t element;
	uint8_t target;
	uint16_t seen;
	uint8_t min, max;
};

static const struct cmd_elem known[] = {
	{ 0x0000, TGT_GLEN, DCM_SEEN_GLEN, 4, 4 },		/* Command Group Length */
	/* empty: refused in a request, an anomaly in a response (dcm_cmd_end) */
	{ 0x0002, TGT_UID, DCM_SEEN_CLASS, 0, DCM_UID_MAX + 1 },	/* Affected SOP Class */
	{ 0x0003, TGT_UID, DCM_SEEN_REQ_CLASS, 0, DCM_UID_MAX + 1 },	/* Requested SOP Class */
	{ 0x0100, TGT_FIELD, DCM_SEEN_FIELD, 2, 2 },		/* Command Field */
	{ 0x0110, TGT_SKIP, DCM_SEEN_MSG_ID, 2, 2 },		/* Message ID */
	{ 0x0120, TGT_SKIP, DCM_SEEN_RSP_ID, 2, 2 },		/* ... Being Responded To */
	{ 0x0600, TGT_SKIP, DCM_SEEN_MOVE_DEST, 1, DCM_AE_MAX },	/* Move Destination */
	{ 0x0700, TGT_SKIP, DCM_SEEN_PRIORITY, 2, 2 },		/* Priority */
	{ 0x0800, TGT_DSET, DCM_SEEN_DSET, 2, 2 },		/* Command Data Set Type */
	{ 0x1000, TGT_IUID, DCM_SEEN_INSTANCE, 1, DCM_UID_MAX + 1 },	/* Affected SOP Instance */
	{ 0x1001, TGT_IUID, DCM_SEEN_REQ_INSTANCE, 1, DCM_UID_MAX + 1 },	/* Requested ... */
	{ 0x1002, TGT_SKIP, DCM_SEEN_EVENT, 2, 2 },		/* Event Type ID */
	{ 0x1008, TGT_SKIP, DCM_SEEN_ACTION, 2, 2 },		/* Action Type ID */
};

#define M_C (DCM_SEEN_CLASS | DCM_SEEN_MSG_ID)
#define M_N (DCM_SEEN_REQ_CLASS | DCM_SEEN_MSG_ID | DCM_SEEN_REQ_INSTANCE)

/* The required (M) elements of each request, PS3.7 §9.3 (C-) and §10.3
 * (N-) tables, beyond the group length, Command Field and Data Set Type of
 * every command. Responses are not held to theirs: a response answers a
 * request already judged (docs/dicom.md). */
static const struct {
	uint16_t field;
	uint16_t need;
} required[] = {
	{ 0x0001, M_C | DCM_SEEN_PRIORITY | DCM_SEEN_INSTANCE },	/* C-STORE-RQ */
	{ 0x0010, M_C | DCM_SEEN_PRIORITY },				/* C-GET-RQ */
	{ 0x0020, M_C | DCM_SEEN_PRIORITY },				/* C-FIND-RQ */
	{ 0x0021, M_C | DCM_SEEN_PRIORITY | DCM_SEEN_MOVE_DEST },	/* C-MOVE-RQ */
	{ 0x0030, M_C },						/* C-ECHO-RQ */
	{ 0x0100, M_C | DCM_SEEN_INSTANCE | DCM_SEEN_EVENT },		/* N-EVENT-REPORT-RQ */
	{ 0x0110, M_N },						/* N-GET-RQ */
	{ 0x0120, M_N },						/* N-SET-RQ */
	{ 0x0130, M_N | DCM_SEEN_ACTION },				/* N-ACTION-RQ */
	{ 0x0140, M_C },						/* N-CREATE-RQ */
	{ 0x0150, M_N },						/* N-DELETE-RQ */
	{ 0x0fff, DCM_SEEN_RSP_ID },					/* C-CANCEL-RQ */
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

void dcm_cmd_reset(struct dcm_cmd *m)
{
	memset(m, 0, sizeof(*m));
}

static enum dcm_fault elem_begin(struct dcm_cmd *m)
{
	uint16_t group, element;
	uint32_t len;
	struct cur h;
	size_t i;

	cur_init(&h, m->hdr, sizeof(m->hdr));
	if (cur_le16(&h, &group) || cur_le16(&h, &element) || cur_le32(&h, &len) || group)
		return DCM_F_COMMAND;
	m->elem = element;
	/* past what the group length announced: no need to wait for the end */
	if (m->glen_done && m->rest + len > m->glen)
		return DCM_F_GROUP_LENGTH;
	/* ascending, so the group length can only come first */
	if (!m->any && element != 0x0000)
		return DCM_F_GROUP_LENGTH;
	if (m->any && element <= m->last)
		return DCM_F_TAG_ORDER;
	m->any = 1;
	m->last = element;
	m->hdr_have = 0;
	m->in_val = len != 0;
	m->val_left = len;
	m->val_have = 0;
	m->target = TGT_SKIP;
	for (i = 0; i < N(known) && known[i].element != element; i++)
		;
	if (i == N(known))
		return DCM_OK;
	if (len < known[i].min || len > known[i].max)
		return known[i].target == TGT_GLEN ? DCM_F_GROUP_LENGTH : DCM_F_COMMAND;
	/* one SOP Class, Affected or Requested, is what the context is judged by */
	if ((known[i].seen & DCM_SEEN_UID) && (m->seen & DCM_SEEN_UID))
		return DCM_F_COMMAND;
	m->target = known[i].target;
	m->seen |= known[i].seen;
	return DCM_OK;
}

/* A UID value may end in one NUL that pads it to even length (PS3.5
 * §9.1); anything else outside the UID syntax, a space included, is a
 * fault: the receiver's parser compares or copies UIDs as they are. */
static enum dcm_fault uid_end(char *uid, uint8_t n, uint8_t *len)
{
	if (uid[n - 1] == '\0')
		n--;
	uid[n] = '\0';
	*len = n;
	return dcm_uid_problem(uid, n) ? DCM_F_CMD_UID : DCM_OK;
}

static enum dcm_fault elem_end(struct dcm_cmd *m)
{
	struct cur v;
	uint16_t x = 0;
	uint8_t n;

	m->in_val = 0;
	if (m->target == TGT_UID)
		return uid_end(m->uid, m->val_have, &m->uid_len);
	if (m->target == TGT_IUID)
		return uid_end(m->iuid, m->val_have, &n);
	cur_init(&v, m->small, m->val_have);
	if (m->target == TGT_GLEN) {
		m->glen_done = 1;
		return cur_le32(&v, &m->glen) ? DCM_F_GROUP_LENGTH : DCM_OK;
	}
	if (m->target == TGT_SKIP || cur_le16(&v, &x))
		return DCM_OK;
	if (m->target == TGT_FIELD)
		m->field = x;
	else
		m->dset = x;
	return DCM_OK;
}

static uint8_t *value_dst(struct dcm_cmd *m)
{
	switch (m->target) {
	case TGT_UID:
		return (uint8_t *)m->uid;
	case TGT_IUID:
		return (uint8_t *)m->iuid;
	default:
		return m->small;
	}
}

static enum dcm_fault value_step(struct dcm_cmd *m, struct cur *c)
{
	size_t n = cur_left(c) < m->val_left ? cur_left(c) : m->val_left;
	int err = m->target == TGT_SKIP ? cur_skip(c, n) : cur_copy(c, value_dst(m) + m->val_have, n);

	if (err)
		return DCM_F_COMMAND;
	if (m->target != TGT_SKIP)
		m->val_have += (uint8_t)n;
	if (m->glen_done)
		m->rest += n;
	m->val_left -= (uint32_t)n;
	return m->val_left ? DCM_OK : elem_end(m);
}

static enum dcm_fault hdr_step(struct dcm_cmd *m, struct cur *c)
{
	size_t n = sizeof(m->hdr) - m->hdr_have;

	if (n > cur_left(c))
		n = cur_left(c);
	if (cur_copy(c, m->hdr + m->hdr_have, n))
		return DCM_F_COMMAND;
	m->hdr_have += (uint8_t)n;
	if (m->glen_done)
		m->rest += n;
	return m->hdr_have == sizeof(m->hdr) ? elem_begin(m) : DCM_OK;
}

enum dcm_fault dcm_cmd_feed(struct dcm_cmd *m, struct cur *c)
{
	enum dcm_fault f = DCM_OK;

	while (!f && cur_left(c))
		f = m->in_val ? value_step(m, c) : hdr_step(m, c);
	return f;
}

enum dcm_fault dcm_cmd_end(struct dcm_cmd *m)
{
	unsigned need = DCM_SEEN_FIELD | DCM_SEEN_DSET;
	size_t i, j;

	if (m->in_val || m->hdr_have || (m->seen & need) != need)
		return DCM_F_COMMAND;
	m->elem = 0x0000;
	if (!m->glen_done || m->rest != m->glen)
		return DCM_F_GROUP_LENGTH;
	if (!(m->field & DCM_RSP_BIT) && (m->seen & DCM_SEEN_UID) && !m->uid_len) {
		m->elem = m->seen & DCM_SEEN_CLASS ? 0x0002 : 0x0003;
		return DCM_F_CMD_UID;
	}
	for (i = 0; i < N(required) && required[i].field != m->field; i++)
		;
	if (i == N(required) || (m->seen & required[i].need) == required[i].need)
		return DCM_OK;
	for (j = 0; j < N(known) - 1; j++)	/* the first missing one */
		if (required[i].need & ~m->seen & known[j].seen)
			break;
	m->elem = known[j].element;
	return DCM_F_CMD_MISSING;
}
