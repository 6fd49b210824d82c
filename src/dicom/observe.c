/* The observer of an association (scanwall/dcm_observe.h): what was
 * proposed, accepted and carried, told as it is judged. The RQ and AC are
 * read a second time here, from the pool buffer, after assoc_items.c has
 * validated them whole: every length is already known to fit, but the
 * walk still goes through the cursor, so this file trusts nothing it did
 * not check itself. */
#include <string.h>

#include "scanwall/dcm_observe.h"
#include "internal.h"

void dcm_observe(struct dcm_assoc *a, const struct dcm_observer *ob)
{
	a->obs = ob;
}

static void obs_tell(struct dcm_assoc *a, struct dcm_obs_item *it)
{
	a->obs->item(a->obs->ctx, a, it);
}

/* A UID sub-item's value as a string: one pad byte dropped. */
static int obs_uid(struct cur *c, char out[DCM_UID_MAX + 1])
{
	const uint8_t *uid;
	size_t len;

	if (dcm_uid_check(c, &uid, &len) || len > DCM_UID_MAX)
		return -1;
	memcpy(out, uid, len);
	out[len] = '\0';
	return 0;
}

static int obs_item(struct cur *parent, uint8_t *type, struct cur *body)
{
	uint16_t len;

	return cur_u8(parent, type) || cur_skip(parent, 1) || cur_be16(parent, &len) ||
	       cur_sub(parent, len, body) ? -1 : 0;
}

/* 0x20 (RQ) or 0x21 (AC): id, reserved, result, reserved, sub-items. */
static void obs_context(struct dcm_assoc *a, int ac, struct cur *body)
{
	struct dcm_obs_item it = { .dir = ac ? DCM_FROM_ACCEPTOR : DCM_FROM_INITIATOR };
	char uid[DCM_UID_MAX + 1];
	struct cur sub;
	uint8_t type;

	if (cur_u8(body, &it.id) || cur_skip(body, 1) || cur_u8(body, &it.result) ||
	    cur_skip(body, 1))
		return;
	if (ac && it.result) {
		it.kind = DCM_OBS_REFUSED;
		obs_tell(a, &it);
		return;
	}
	while (cur_left(body) && !obs_item(body, &type, &sub)) {
		if (obs_uid(&sub, uid))
			continue;
		it.uid = uid;
		if (ac)
			it.kind = DCM_OBS_ACCEPTED;
		else
			it.kind = type == 0x30 ? DCM_OBS_PROPOSED : DCM_OBS_PROPOSED_TS;
		obs_tell(a, &it);
	}
}

/* 0x54: UID length, SOP class UID, SCU role, SCP role. */
static void obs_role(struct dcm_assoc *a, int ac, struct cur *sub)
{
	struct dcm_obs_item it = {
		.kind = ac ? DCM_OBS_ROLE_AC : DCM_OBS_ROLE_RQ,
		.dir = ac ? DCM_FROM_ACCEPTOR : DCM_FROM_INITIATOR,
	};
	char uid[DCM_UID_MAX + 1];
	uint16_t len;
	struct cur u;

	if (cur_be16(sub, &len) || cur_sub(sub, len, &u) || obs_uid(&u, uid) ||
	    cur_u8(sub, &it.scu) || cur_u8(sub, &it.scp))
		return;
	it.uid = uid;
	obs_tell(a, &it);
}

static void obs_user(struct dcm_assoc *a, int ac, struct cur *body)
{
	struct cur sub;
	uint8_t type;

	while (cur_left(body) && !obs_item(body, &type, &sub))
		if (type == 0x54)
			obs_role(a, ac, &sub);
}

void dcm_obs_pdu(struct dcm_assoc *a, int ac, const uint8_t *body, size_t len)
{
	struct cur c, sub;
	uint8_t type;

	if (!a->obs)
		return;
	cur_init(&c, body, len);
	if (cur_skip(&c, DCM_ASSOC_FIXED))
		return;
	while (cur_left(&c) && !obs_item(&c, &type, &sub)) {
		if (type == (ac ? 0x21 : 0x20))
			obs_context(a, ac, &sub);
		else if (type == 0x50)
			obs_user(a, ac, &sub);
	}
}

void dcm_obs_command(struct dcm_assoc *a, enum dcm_dir d, uint8_t ctx, uint16_t field)
{
	struct dcm_obs_item it = { .kind = DCM_OBS_COMMAND, .dir = d, .id = ctx, .field = field };

	if (a->obs)
		obs_tell(a, &it);
}
