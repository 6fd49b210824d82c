/* The variable items of a complete A-ASSOCIATE-RQ or -AC (PS3.8 §9.3.2,
 * §9.3.3). The body is our own copy, but its contents are the peer's:
 * every item and sub-item is carved with cur_sub(), so no length can reach
 * past its parent (DCMTK's CVE-2015-8979 was a presentation-context
 * sub-item longer than its item), and every item read consumes at least
 * its 4-byte header, so no loop can stand still (Wireshark's
 * CVE-2017-9349 and CVE-2018-7322). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char app_context_uid[] = "1.2.840.10008.3.1.1.1";

struct parse {
	struct dcm_assoc *a;
	int ac;
	unsigned app, pctx, user;	/* how many of each item */
};

/* Item header: type, reserved, 16-bit big-endian length. */
static enum dcm_fault item_next(struct cur *parent, uint8_t *type, struct cur *body)
{
	uint16_t len;

	if (cur_u8(parent, type) || cur_skip(parent, 1) || cur_be16(parent, &len) ||
	    cur_sub(parent, len, body))
		return DCM_F_ITEM_LENGTH;
	return DCM_OK;
}

static enum dcm_fault app_context(struct parse *ps, struct cur *body)
{
	const uint8_t *uid;
	size_t len;
	enum dcm_fault f;

	if (ps->app++)
		return DCM_F_ITEM_DUPLICATE;
	f = dcm_uid_check(body, &uid, &len);
	if (f)
		return f;
	if (len != strlen(app_context_uid) || memcmp(uid, app_context_uid, len))
		return DCM_F_APP_CONTEXT;
	return DCM_OK;
}

/* Remembers the abstract syntax's verdict in the context's slot; the first
 * refused UID becomes the refusal's detail should the policy need one. */
static void judge_abstract(struct parse *ps, unsigned slot, const uint8_t *uid, size_t len)
{
	struct dcm_assoc *a = ps->a;
	uint16_t sop;
	uint32_t dimse;

	if (pol_sop_lookup(a->rule, (const char *)uid, len, &sop, &dimse) == 0) {
		a->ctx_flags[slot] |= DCM_CTX_ALLOWED;
		a->ctx_sop[slot] = sop;
		a->ctx_dimse[slot] = (uint16_t)dimse;
		return;
	}
	if (!a->detail[0]) {
		memcpy(a->detail, uid, len);
		a->detail[len] = '\0';
	}
}

/* The sub-items of a 0x20 or 0x21 item; counts the 0x30 and 0x40. */
static enum dcm_fault context_subitems(struct cur *body, const uint8_t **abs, size_t *abs_len,
				       unsigned *nabs, unsigned *nts)
{
	while (cur_left(body)) {
		const uint8_t *uid;
		size_t len;
		uint8_t type;
		struct cur sub;
		enum dcm_fault f = item_next(body, &type, &sub);

		if (f)
			return f;
		if (type != 0x30 && type != 0x40)
			return DCM_F_ITEM_TYPE;
		f = dcm_uid_check(&sub, &uid, &len);
		if (f)
			return f;
		if (type == 0x40) {
			++*nts;
			continue;
		}
		if (++*nabs == 1) {
			*abs = uid;
			*abs_len = len;
		}
	}
	return DCM_OK;
}

static enum dcm_fault context_rq(struct parse *ps, struct cur *body)
{
	const uint8_t *abs = NULL;
	size_t abs_len = 0;
	unsigned nabs = 0, nts = 0, slot;
	uint8_t id;
	enum dcm_fault f;

	if (cur_u8(body, &id) || cur_skip(body, 3))
		return DCM_F_ITEM_LENGTH;
	if (!(id & 1))
		return DCM_F_CONTEXT_ID;
	slot = DCM_CTX_SLOT(id);
	if (ps->a->ctx_flags[slot] & DCM_CTX_PROPOSED)
		return DCM_F_CONTEXT_ID;
	ps->a->ctx_flags[slot] = DCM_CTX_PROPOSED;
	f = context_subitems(body, &abs, &abs_len, &nabs, &nts);
	if (f)
		return f;
	if (nabs != 1)
		return DCM_F_ABSTRACT_SYNTAX;
	if (nts == 0)
		return DCM_F_TRANSFER_SYNTAX;
	ps->pctx++;
	judge_abstract(ps, slot, abs, abs_len);
	return DCM_OK;
}

/* In the AC a context answers one the RQ proposed, once; with result 0
 * (acceptance) it names the one transfer syntax chosen. A result outside
 * 0..4 is counted as a bad context item header. */
static enum dcm_fault context_ac(struct parse *ps, struct cur *body)
{
	const uint8_t *abs = NULL;
	size_t abs_len = 0;
	unsigned nabs = 0, nts = 0, slot;
	uint8_t id, result, *flags;
	enum dcm_fault f;

	if (cur_u8(body, &id) || cur_skip(body, 1) || cur_u8(body, &result) || cur_skip(body, 1))
		return DCM_F_ITEM_LENGTH;
	if (!(id & 1))		/* before the slot: id 0 has none */
		return DCM_F_CONTEXT_ID;
	slot = DCM_CTX_SLOT(id);
	flags = &ps->a->ctx_flags[slot];
	if (!(*flags & DCM_CTX_PROPOSED) || (*flags & DCM_CTX_ANSWERED) || result > 4)
		return DCM_F_CONTEXT_ID;
	f = context_subitems(body, &abs, &abs_len, &nabs, &nts);
	if (f)
		return f;
	if (nabs)
		return DCM_F_ITEM_TYPE;
	if (result == 0 && nts != 1)
		return DCM_F_TRANSFER_SYNTAX;
	*flags |= DCM_CTX_ANSWERED | (result == 0 ? DCM_CTX_ACCEPTED : 0);
	ps->pctx++;
	return DCM_OK;
}

/* Length bounds of the user-information sub-items we know (PS3.7 Annex D,
 * PS3.8 Annex D); they are checked and skipped. Unknown ones are ignored,
 * as PS3.8 asks of acceptors. */
struct user_sub {
	uint16_t min, max;
};

static const struct user_sub user_subs[] = {
	[0x52] = { 1, DCM_UID_MAX + 1 },	/* implementation class UID */
	[0x53] = { 4, 4 },			/* asynchronous operations window */
	[0x54] = { 5, 2 + DCM_UID_MAX + 1 + 2 },	/* SCP/SCU role selection */
	[0x55] = { 1, 16 },			/* implementation version name */
	[0x56] = { 3, UINT16_MAX },		/* SOP class extended negotiation */
	[0x57] = { 7, UINT16_MAX },		/* SOP class common extended negotiation */
	[0x58] = { 6, UINT16_MAX },		/* user identity RQ */
	[0x59] = { 2, UINT16_MAX },		/* user identity AC */
};

static enum dcm_fault max_length(struct parse *ps, struct cur *sub, int *seen)
{
	uint32_t max;

	if ((*seen)++)
		return DCM_F_ITEM_DUPLICATE;
	if (cur_left(sub) != 4 || cur_be32(sub, &max))
		return DCM_F_MAX_LENGTH;
	ps->a->max_len[ps->ac ? DCM_FROM_ACCEPTOR : DCM_FROM_INITIATOR] = max;
	return DCM_OK;
}

static enum dcm_fault user_info(struct parse *ps, struct cur *body)
{
	int seen_max = 0;

	if (ps->user++)
		return DCM_F_ITEM_DUPLICATE;
	while (cur_left(body)) {
		uint8_t type;
		struct cur sub;
		enum dcm_fault f = item_next(body, &type, &sub);

		if (f)
			return f;
		if (type == 0x51)
			f = max_length(ps, &sub, &seen_max);
		else if (type < sizeof(user_subs) / sizeof(user_subs[0]) && user_subs[type].min &&
			 (cur_left(&sub) < user_subs[type].min ||
			  cur_left(&sub) > user_subs[type].max))
			f = DCM_F_ITEM_LENGTH;
		if (f)
			return f;
	}
	return seen_max ? DCM_OK : DCM_F_ITEM_MISSING;
}

static enum dcm_fault item(struct parse *ps, uint8_t type, struct cur *body)
{
	if (type == 0x10)
		return app_context(ps, body);
	if (type == (ps->ac ? 0x21 : 0x20))
		return ps->ac ? context_ac(ps, body) : context_rq(ps, body);
	if (type == 0x50)
		return user_info(ps, body);
	return DCM_F_ITEM_TYPE;
}

/* Fixed part: protocol version, reserved, called AE, calling AE, 32
 * reserved. The AC's AE fields echo the RQ and PS3.8 says they "shall not
 * be tested", so only the RQ's are read. */
static enum dcm_fault fixed_part(struct parse *ps, struct cur *c)
{
	uint16_t version;
	enum dcm_fault f;

	if (cur_be16(c, &version) || cur_skip(c, 2))
		return DCM_F_PDU_LENGTH;
	if (!(version & 1))
		return DCM_F_PROTOCOL_VERSION;
	if (ps->ac)
		return cur_skip(c, 32 + 32) ? DCM_F_PDU_LENGTH : DCM_OK;
	f = dcm_ae_parse(c, ps->a->called);
	if (!f)
		f = dcm_ae_parse(c, ps->a->calling);
	if (!f && cur_skip(c, 32))
		f = DCM_F_PDU_LENGTH;
	return f;
}

enum dcm_fault dcm_items_parse(struct dcm_assoc *a, int ac, const uint8_t *body, size_t len)
{
	struct parse ps = { .a = a, .ac = ac };
	struct cur c;
	enum dcm_fault f;

	cur_init(&c, body, len);
	f = fixed_part(&ps, &c);
	while (!f && cur_left(&c)) {
		uint8_t type;
		struct cur sub;

		f = item_next(&c, &type, &sub);
		if (!f)
			f = item(&ps, type, &sub);
	}
	if (!f && (!ps.app || !ps.pctx || !ps.user))
		f = DCM_F_ITEM_MISSING;
	return f;
}
