/* The command set of a DIMSE message (PS3.7 §6.3, Annex E), parsed as it
 * streams past in command fragments: Implicit VR Little Endian elements of
 * group 0000, a 4-byte tag and a 4-byte length each. Only three values
 * are kept (Command Field, Affected/Requested SOP Class UID, Command Data
 * Set Type); every other value is skipped by its length, so a command set
 * of any size costs the same few bytes of state. */
#include <string.h>

#include "internal.h"

enum cmd_target { TGT_SKIP, TGT_FIELD, TGT_UID, TGT_DSET };

struct cmd_elem {
	uint16_t element;
	uint8_t target;
	uint8_t seen;
	uint8_t min, max;	/* value length bounds */
};

static const struct cmd_elem kept[] = {
	{ 0x0002, TGT_UID, DCM_SEEN_UID, 1, DCM_UID_MAX + 1 },	/* Affected SOP Class */
	{ 0x0003, TGT_UID, DCM_SEEN_UID, 1, DCM_UID_MAX + 1 },	/* Requested SOP Class */
	{ 0x0100, TGT_FIELD, DCM_SEEN_FIELD, 2, 2 },		/* Command Field */
	{ 0x0800, TGT_DSET, DCM_SEEN_DSET, 2, 2 },		/* Command Data Set Type */
};

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
	m->hdr_have = 0;
	m->in_val = len != 0;
	m->val_left = len;
	m->val_have = 0;
	m->target = TGT_SKIP;
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (kept[i].element != element)
			continue;
		if ((m->seen & kept[i].seen) || len < kept[i].min || len > kept[i].max)
			return DCM_F_COMMAND;
		m->target = kept[i].target;
		m->seen |= kept[i].seen;
	}
	return DCM_OK;
}

/* A UID value may carry one trailing NUL or space pad (PS3.5 §9.1). */
static void elem_end(struct dcm_cmd *m)
{
	struct cur v;
	uint16_t x = 0;

	m->in_val = 0;
	if (m->target == TGT_UID) {
		m->uid_len = m->val_have;
		if (m->uid[m->uid_len - 1] == '\0' || m->uid[m->uid_len - 1] == ' ')
			m->uid_len--;
		m->uid[m->uid_len] = '\0';
		return;
	}
	cur_init(&v, m->small, sizeof(m->small));
	if (m->target == TGT_SKIP || cur_le16(&v, &x))
		return;
	if (m->target == TGT_FIELD)
		m->field = x;
	else
		m->dset = x;
}

static enum dcm_fault value_step(struct dcm_cmd *m, struct cur *c)
{
	size_t n = cur_left(c) < m->val_left ? cur_left(c) : m->val_left;
	uint8_t *dst = m->target == TGT_UID ? (uint8_t *)m->uid : m->small;
	int err = m->target == TGT_SKIP ? cur_skip(c, n) : cur_copy(c, dst + m->val_have, n);

	if (err)
		return DCM_F_COMMAND;
	if (m->target != TGT_SKIP)
		m->val_have += (uint8_t)n;
	m->val_left -= (uint32_t)n;
	if (!m->val_left)
		elem_end(m);
	return DCM_OK;
}

enum dcm_fault dcm_cmd_feed(struct dcm_cmd *m, struct cur *c)
{
	enum dcm_fault f = DCM_OK;

	while (!f && cur_left(c)) {
		size_t n = sizeof(m->hdr) - m->hdr_have;

		if (m->in_val) {
			f = value_step(m, c);
			continue;
		}
		if (n > cur_left(c))
			n = cur_left(c);
		if (cur_copy(c, m->hdr + m->hdr_have, n))
			return DCM_F_COMMAND;
		m->hdr_have += (uint8_t)n;
		if (m->hdr_have == sizeof(m->hdr))
			f = elem_begin(m);
	}
	return f;
}

/* At the last command fragment: no element may be cut off, and the two
 * elements every command carries must have been there. */
enum dcm_fault dcm_cmd_end(const struct dcm_cmd *m)
{
	unsigned need = DCM_SEEN_FIELD | DCM_SEEN_DSET;

	if (m->in_val || m->hdr_have || (m->seen & need) != need)
		return DCM_F_COMMAND;
	return DCM_OK;
}
