/* Byte-exact DICOM Upper Layer PDUs for the dicom unit tests and the fuzz
 * seeds: an A-ASSOCIATE-RQ as dcmtk's echoscu 3.6.7 sends it, the matching
 * AC, C-ECHO in P-DATA, release and abort, and the pieces to build broken
 * variants of each. Header-only so each test binary stays standalone. */
#ifndef TESTS_TEST_DICOM_PDU_H
#define TESTS_TEST_DICOM_PDU_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define UID_VERIFICATION "1.2.840.10008.1.1"
#define UID_CT "1.2.840.10008.5.1.4.1.1.2"
#define UID_IMPLICIT_LE "1.2.840.10008.1.2"
#define UID_APP_CONTEXT "1.2.840.10008.3.1.1.1"
#define UID_DCMTK_IMPL "1.2.276.0.7230010.3.0.3.6.7"

struct pb {
	uint8_t b[17000];
	size_t n;
};

static inline void pb_u8(struct pb *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static inline void pb_be16(struct pb *p, uint16_t v)
{
	pb_u8(p, (uint8_t)(v >> 8));
	pb_u8(p, (uint8_t)v);
}

static inline void pb_be32(struct pb *p, uint32_t v)
{
	pb_be16(p, (uint16_t)(v >> 16));
	pb_be16(p, (uint16_t)v);
}

static inline void pb_le16(struct pb *p, uint16_t v)
{
	pb_u8(p, (uint8_t)v);
	pb_u8(p, (uint8_t)(v >> 8));
}

static inline void pb_le32(struct pb *p, uint32_t v)
{
	pb_le16(p, (uint16_t)v);
	pb_le16(p, (uint16_t)(v >> 16));
}

static inline void pb_raw(struct pb *p, const void *s, size_t n)
{
	memcpy(p->b + p->n, s, n);
	p->n += n;
}

static inline void pb_str(struct pb *p, const char *s)
{
	pb_raw(p, s, strlen(s));
}

/* A PDU header with its length patched by pb_pdu_end. */
static inline size_t pb_pdu_begin(struct pb *p, uint8_t type)
{
	size_t at = p->n;

	pb_u8(p, type);
	pb_u8(p, 0);
	pb_be32(p, 0);
	return at;
}

static inline void pb_pdu_end(struct pb *p, size_t at)
{
	uint32_t len = (uint32_t)(p->n - at - 6);

	p->b[at + 2] = (uint8_t)(len >> 24);
	p->b[at + 3] = (uint8_t)(len >> 16);
	p->b[at + 4] = (uint8_t)(len >> 8);
	p->b[at + 5] = (uint8_t)len;
}

/* An item header (type, reserved, 16-bit length) patched by pb_item_end. */
static inline size_t pb_item_begin(struct pb *p, uint8_t type)
{
	size_t at = p->n;

	pb_u8(p, type);
	pb_u8(p, 0);
	pb_be16(p, 0);
	return at;
}

static inline void pb_item_end(struct pb *p, size_t at)
{
	uint16_t len = (uint16_t)(p->n - at - 4);

	p->b[at + 2] = (uint8_t)(len >> 8);
	p->b[at + 3] = (uint8_t)len;
}

static inline void pb_item_str(struct pb *p, uint8_t type, const char *s)
{
	size_t at = pb_item_begin(p, type);

	pb_str(p, s);
	pb_item_end(p, at);
}

/* 16 bytes, space padded */
static inline void pb_ae(struct pb *p, const char *ae)
{
	char f[16];
	size_t n = strlen(ae);

	memset(f, ' ', sizeof(f));
	memcpy(f, ae, n > 16 ? 16 : n);
	pb_raw(p, f, sizeof(f));
}

/* RQ/AC header and fixed part; returns the PDU start for pb_pdu_end. */
static inline size_t pb_assoc_begin(struct pb *p, uint8_t type, uint16_t version,
				    const char *called, const char *calling)
{
	size_t at = pb_pdu_begin(p, type);
	uint8_t zero[32] = { 0 };

	pb_be16(p, version);
	pb_be16(p, 0);
	pb_ae(p, called);
	pb_ae(p, calling);
	pb_raw(p, zero, sizeof(zero));
	return at;
}

static inline void pb_rq_context(struct pb *p, uint8_t id, const char *abs, const char *ts)
{
	size_t at = pb_item_begin(p, 0x20);

	pb_u8(p, id);
	pb_u8(p, 0);
	pb_u8(p, 0);
	pb_u8(p, 0);
	pb_item_str(p, 0x30, abs);
	pb_item_str(p, 0x40, ts);
	pb_item_end(p, at);
}

static inline void pb_ac_context(struct pb *p, uint8_t id, uint8_t result, const char *ts)
{
	size_t at = pb_item_begin(p, 0x21);

	pb_u8(p, id);
	pb_u8(p, 0);
	pb_u8(p, result);
	pb_u8(p, 0);
	pb_item_str(p, 0x40, ts);
	pb_item_end(p, at);
}

static inline void pb_user_info(struct pb *p, uint32_t max_len)
{
	size_t at = pb_item_begin(p, 0x50), sub = pb_item_begin(p, 0x51);

	pb_be32(p, max_len);
	pb_item_end(p, sub);
	pb_item_str(p, 0x52, UID_DCMTK_IMPL);
	pb_item_str(p, 0x55, "OFFIS_DCMTK_367");
	pb_item_end(p, at);
}

/* echoscu -aet ECHOSCU -aec ANY-SCP: Verification, Implicit VR LE, 16384. */
static inline void pb_echo_rq(struct pb *p)
{
	size_t at = pb_assoc_begin(p, 0x01, 1, "ANY-SCP", "ECHOSCU");

	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_rq_context(p, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
	pb_pdu_end(p, at);
}

static inline void pb_echo_ac(struct pb *p)
{
	size_t at = pb_assoc_begin(p, 0x02, 1, "ANY-SCP", "ECHOSCU");

	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_ac_context(p, 1, 0, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
	pb_pdu_end(p, at);
}

static inline void pb_elem_us(struct pb *p, uint16_t element, uint16_t v)
{
	pb_le16(p, 0);
	pb_le16(p, element);
	pb_le32(p, 2);
	pb_le16(p, v);
}

/* A raw value (no padding added). */
static inline void pb_elem_raw(struct pb *p, uint16_t element, const char *v, size_t n)
{
	pb_le16(p, 0);
	pb_le16(p, element);
	pb_le32(p, (uint32_t)n);
	pb_raw(p, v, n);
}

/* A UID value padded to even length with a NUL, as in a data set. */
static inline void pb_elem_ui(struct pb *p, uint16_t element, const char *uid)
{
	size_t n = strlen(uid);

	pb_le16(p, 0);
	pb_le16(p, element);
	pb_le32(p, (uint32_t)(n + (n & 1)));
	pb_str(p, uid);
	if (n & 1)
		pb_u8(p, 0);
}

/* A command set with its group length (0000,0000), as PS3.7 asks: the
 * SOP class, command field, message id (or the one responded to), move
 * destination, priority, data set type (0x0101: none), status, instance
 * UID, each where its request or response needs it. */
static inline void pb_command_body(struct pb *p, const struct pb *body)
{
	pb_le16(p, 0);
	pb_le16(p, 0x0000);
	pb_le32(p, 4);
	pb_le32(p, (uint32_t)body->n);
	pb_raw(p, body->b, body->n);
}

static inline void pb_command(struct pb *p, const char *sop, uint16_t field, uint16_t dset)
{
	struct pb body = { .n = 0 };
	uint16_t rq = field & 0x7fff;
	int c_rq = !(field & 0x8000) && (rq == 0x0001 || rq == 0x0010 || rq == 0x0020 ||
					 rq == 0x0021);

	pb_elem_ui(&body, 0x0002, sop);
	pb_elem_us(&body, 0x0100, field);
	pb_elem_us(&body, field & 0x8000 ? 0x0120 : 0x0110, 1);
	if (field == 0x0021) {
		pb_le16(&body, 0);
		pb_le16(&body, 0x0600);
		pb_le32(&body, 8);
		pb_str(&body, "ANY-SCP ");
	}
	if (c_rq)
		pb_elem_us(&body, 0x0700, 0);
	pb_elem_us(&body, 0x0800, dset);
	if (field & 0x8000)
		pb_elem_us(&body, 0x0900, 0);
	if (field == 0x0001)
		pb_elem_ui(&body, 0x1000, "1.2.826.0.1.3680043.2.1125.1");
	pb_command_body(p, &body);
}

/* One P-DATA-TF with one PDV carrying s[0..n). */
static inline void pb_pdata(struct pb *p, uint8_t ctx, uint8_t ctl, const void *s, size_t n)
{
	size_t at = pb_pdu_begin(p, 0x04);

	pb_be32(p, (uint32_t)n + 2);
	pb_u8(p, ctx);
	pb_u8(p, ctl);
	pb_raw(p, s, n);
	pb_pdu_end(p, at);
}

static inline void pb_echo_cmd(struct pb *p, uint16_t field)
{
	struct pb cmd = { .n = 0 };

	pb_command(&cmd, UID_VERIFICATION, field, 0x0101);
	pb_pdata(p, 1, 0x03, cmd.b, cmd.n);
}

static inline void pb_small(struct pb *p, uint8_t type, uint8_t b1, uint8_t b2, uint8_t b3)
{
	size_t at = pb_pdu_begin(p, type);

	pb_u8(p, 0);
	pb_u8(p, b1);
	pb_u8(p, b2);
	pb_u8(p, b3);
	pb_pdu_end(p, at);
}

#endif
