/* The manifest: a flat list of TLV fields, read strictly.
 *
 *   u8 tag | u8 flags | u16 length (BE) | value
 *
 * flags bit 0 marks a field critical: a reader that does not know a
 * critical field must refuse the bundle, an unknown non-critical one is
 * skipped (so a later tool can add a comment-like field without breaking
 * old boxes, and can add a field that changes meaning and be sure old
 * boxes refuse it). Known fields must carry exactly their defined flags,
 * appear once (payloads up to BUNDLE_MAX_PAYLOADS times), and their value
 * must be consumed exactly. The format field comes first so that a future
 * format can change everything after it. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "bundle/internal.h"
#include "scanwall/cursor.h"

struct field {
	uint8_t tag;
	uint8_t flags;
	uint16_t min, max;
	int (*read)(struct cur *c, struct bundle_manifest *m, struct bundle_result *res);
	const char *name;
};

static int bad(struct bundle_result *res, const char *what)
{
	return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "manifest %s", what);
}

static int rd_format(struct cur *c, struct bundle_manifest *m, struct bundle_result *res)
{
	if (cur_be16(c, &m->format))
		return bad(res, "format");
	if (m->format != BUNDLE_MANIFEST_FORMAT)
		return bundle_fail(res, BUNDLE_E_CRITICAL, -EBADMSG,
				   "manifest format %u unknown", m->format);
	return 0;
}

static int rd_kind(struct cur *c, struct bundle_manifest *m, struct bundle_result *res)
{
	if (cur_u8(c, &m->kind))
		return bad(res, "kind");
	if (m->kind != BUNDLE_KIND_POLICY && m->kind != BUNDLE_KIND_KEYRING)
		return bundle_fail(res, BUNDLE_E_CRITICAL, -EBADMSG, "bundle kind %u unknown", m->kind);
	return 0;
}

static int rd_version(struct cur *c, struct bundle_manifest *m, struct bundle_result *res)
{
	if (cur_be64(c, &m->version) || m->version == 0)
		return bad(res, "version");
	return 0;
}

static int rd_text(struct cur *c, char *dst, bool name, struct bundle_result *res)
{
	size_t n = cur_left(c);

	if (cur_copy(c, dst, n))
		return bad(res, "text");
	dst[n] = '\0';
	if (name && !bundle_name_ok(dst, n))
		return bad(res, "name characters");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] > 0x7e)
			return bad(res, "text characters");
	return 0;
}

static int rd_compatible(struct cur *c, struct bundle_manifest *m, struct bundle_result *res)
{
	return rd_text(c, m->compatible, true, res);
}

static int rd_comment(struct cur *c, struct bundle_manifest *m, struct bundle_result *res)
{
	return rd_text(c, m->comment, false, res);
}

static int rd_created(struct cur *c, struct bundle_manifest *m, struct bundle_result *res)
{
	return cur_be64(c, &m->created) ? bad(res, "created") : 0;
}

static int rd_expires(struct cur *c, struct bundle_manifest *m, struct bundle_result *res)
{
	if (cur_be64(c, &m->expires) || m->expires == 0)
		return bad(res, "expires");
	return 0;
}

static int rd_threshold(struct cur *c, struct bundle_manifest *m, struct bundle_result *res)
{
	if (cur_u8(c, &m->threshold) || m->threshold == 0 || m->threshold > BUNDLE_MAX_KEYS)
		return bad(res, "threshold");
	return 0;
}

/* u8 name length | name | u32 size | 32 bytes SHA-256 */
static int rd_payload(struct cur *c, struct bundle_manifest *m, struct bundle_result *res)
{
	struct bundle_payload *p;
	struct cur name;
	uint8_t n;

	if (m->npayloads >= BUNDLE_MAX_PAYLOADS)
		return bad(res, "has too many payloads");
	p = &m->payload[m->npayloads];
	if (cur_u8(c, &n) || n == 0 || n > BUNDLE_NAME_MAX || cur_sub(c, n, &name))
		return bad(res, "payload name");
	if (rd_text(&name, p->name, true, res))
		return -EBADMSG;
	if (cur_be32(c, &p->size) || cur_copy(c, p->sha256, sizeof(p->sha256)) || cur_left(c))
		return bad(res, "payload entry");
	for (unsigned i = 0; i < m->npayloads; i++)
		if (!strcmp(m->payload[i].name, p->name))
			return bad(res, "payload named twice");
	m->npayloads++;
	return 0;
}

static const struct field fields[] = {
	{ BT_FORMAT, BF_CRITICAL, 2, 2, rd_format, "format" },
	{ BT_KIND, BF_CRITICAL, 1, 1, rd_kind, "kind" },
	{ BT_VERSION, BF_CRITICAL, 8, 8, rd_version, "version" },
	{ BT_COMPATIBLE, BF_CRITICAL, 1, BUNDLE_COMPAT_MAX, rd_compatible, "compatible" },
	{ BT_CREATED, 0, 8, 8, rd_created, "created" },
	{ BT_EXPIRES, BF_CRITICAL, 8, 8, rd_expires, "expires" },
	{ BT_PAYLOAD, BF_CRITICAL, 38, 38 + BUNDLE_NAME_MAX, rd_payload, "payload" },
	{ BT_THRESHOLD, BF_CRITICAL, 1, 1, rd_threshold, "threshold" },
	{ BT_COMMENT, 0, 0, 255, rd_comment, "comment" },
};

static const struct field *field_find(uint8_t tag)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].tag == tag)
			return &fields[i];
	return NULL;
}

static int read_field(struct cur *c, struct bundle_manifest *m, uint32_t *seen,
		      struct bundle_result *res)
{
	const struct field *f;
	uint8_t tag, flags;
	uint16_t len;
	struct cur val;

	if (cur_u8(c, &tag) || cur_u8(c, &flags) || cur_be16(c, &len) || cur_sub(c, len, &val))
		return bad(res, "field truncated");
	if (flags & ~BF_CRITICAL)
		return bad(res, "field flags");
	f = field_find(tag);
	if (!f && (flags & BF_CRITICAL))
		return bundle_fail(res, BUNDLE_E_CRITICAL, -EBADMSG, "field %u", tag);
	if (!f)
		return 0;
	if (flags != f->flags || len < f->min || len > f->max)
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "manifest field %s", f->name);
	if ((*seen & 1u << tag) && tag != BT_PAYLOAD)
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "manifest %s twice", f->name);
	if (!*seen && tag != BT_FORMAT)
		return bad(res, "does not start with its format");
	*seen |= 1u << tag;
	return f->read(&val, m, res);
}

static int check_required(uint32_t seen, const struct bundle_manifest *m, struct bundle_result *res)
{
	static const uint8_t need[] = { BT_FORMAT, BT_KIND, BT_VERSION, BT_COMPATIBLE, BT_CREATED };

	for (size_t i = 0; i < sizeof(need); i++)
		if (!(seen & 1u << need[i]))
			return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG,
					   "manifest lacks %s", field_find(need[i])->name);
	if ((m->kind == BUNDLE_KIND_KEYRING) != !!(seen & 1u << BT_THRESHOLD))
		return bad(res, "threshold belongs to keyring bundles only");
	if (m->kind == BUNDLE_KIND_POLICY) {
		bool policy = false;

		for (unsigned i = 0; i < m->npayloads; i++) {
			const struct bundle_payload *p = &m->payload[i];

			policy |= !strcmp(p->name, BUNDLE_POLICY_NAME);
			/* mgmtd parses it: a bound of its own, well under the bundle's */
			if (!strcmp(p->name, BUNDLE_CRL_NAME) && p->size > BUNDLE_CRL_MAX)
				return bundle_fail(res, BUNDLE_E_TOO_LARGE, -EBADMSG,
						   "crl payload of %" PRIu32 " bytes (at most %u)",
						   p->size, BUNDLE_CRL_MAX);
		}
		return policy ? 0 : bad(res, "lacks the policy payload");
	}
	return m->npayloads < m->threshold ? bad(res, "has fewer keys than its threshold") : 0;
}

int bundle_parse_manifest(const uint8_t *buf, size_t len, struct bundle_manifest *m,
			  struct bundle_result *res)
{
	uint32_t seen = 0;
	struct cur c;
	int err = 0;

	memset(m, 0, sizeof(*m));
	cur_init(&c, buf, len);
	/* Each field consumes at least its 4-byte header, so this advances. */
	while (!err && cur_left(&c))
		err = read_field(&c, m, &seen, res);
	return err ? err : check_required(seen, m, res);
}
