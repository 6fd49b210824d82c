/* The container: magic, manifest, payload blob, signatures, nothing else.
 * Only framing is read here; what the manifest says is trusted only after
 * its signatures are checked (bundle_verify). Every length is checked
 * against what is left of the file, and the file must end exactly after
 * the last signature. */
#include <errno.h>
#include <string.h>

#include "bundle/internal.h"
#include "scanwall/cursor.h"

static int read_sig(struct cur *c, struct bundle_sig *s, unsigned i, struct bundle_result *res)
{
	uint16_t n;

	if (cur_copy(c, s->keyid, sizeof(s->keyid)) || cur_be16(c, &n))
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "signature %u truncated", i);
	if (n == 0 || n > BUNDLE_SIG_MAX)
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG,
				   "signature %u length %u", i, n);
	if (cur_ptr(c, n, &s->der))
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "signature %u truncated", i);
	s->der_len = n;
	return 0;
}

static int read_sigs(struct cur *c, struct bundle_view *v, struct bundle_result *res)
{
	uint8_t n;
	int err;

	if (cur_u8(c, &n))
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "no signature count");
	if (n > BUNDLE_MAX_SIGS)
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "%u signatures", n);
	for (v->nsigs = 0; v->nsigs < n; v->nsigs++) {
		err = read_sig(c, &v->sig[v->nsigs], v->nsigs, res);
		if (err)
			return err;
	}
	return 0;
}

static int read_header(struct cur *c, struct bundle_result *res)
{
	const uint8_t *magic;
	uint16_t format;

	if (cur_ptr(c, BUNDLE_MAGIC_LEN, &magic) || memcmp(magic, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN))
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "not a scanwall bundle");
	if (cur_be16(c, &format))
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "truncated header");
	if (format != BUNDLE_CONTAINER_FORMAT)
		return bundle_fail(res, BUNDLE_E_CRITICAL, -EBADMSG,
				   "container format %u unknown", format);
	return 0;
}

static int read_part(struct cur *c, uint32_t max, const uint8_t **p, uint32_t *len,
		     const char *what, struct bundle_result *res)
{
	if (cur_be32(c, len) || *len > max || cur_ptr(c, *len, p))
		return bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "%s length", what);
	return 0;
}

int bundle_parse_container(const uint8_t *buf, size_t len, struct bundle_view *v,
			   struct bundle_result *res)
{
	struct cur c;
	int err;

	memset(v, 0, sizeof(*v));
	if (len > BUNDLE_MAX_SIZE)
		return bundle_fail(res, BUNDLE_E_TOO_LARGE, -EFBIG, "%zu bytes, cap %u",
				   len, BUNDLE_MAX_SIZE);
	cur_init(&c, buf, len);
	err = read_header(&c, res);
	if (!err)
		err = read_part(&c, BUNDLE_MAX_MANIFEST, &v->manifest, &v->manifest_len,
				"manifest", res);
	if (!err && v->manifest_len == 0)
		err = bundle_fail(res, BUNDLE_E_MALFORMED, -EBADMSG, "empty manifest");
	if (!err)
		err = read_part(&c, BUNDLE_MAX_SIZE, &v->blob, &v->blob_len, "payload", res);
	if (!err)
		err = read_sigs(&c, v, res);
	if (!err && cur_left(&c))
		err = bundle_fail(res, BUNDLE_E_TRAILING, -EBADMSG, "%zu bytes after the signatures",
				  cur_left(&c));
	return err;
}
