/* Small helpers of the bundle module: names, hex parsing, whole files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/internal.h"
#include "scanwall/fileio.h"

/* Payload names become file names on the device and in keyring dirs, so
 * no slash, no leading dot, nothing a shell or a path could misread. */
bool bundle_name_ok(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]) ||
		    s[i] == '\0')
			return false;
	return true;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bundle_unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* The bundle's byte-typed view of the shared reader. */
int bundle_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	char *p;
	int err = sw_read_file(path, max, &p, len);

	if (!err)
		*buf = (uint8_t *)p;
	return err;
}

const struct bundle_payload *bundle_payload_find(const struct bundle_view *v, const char *name)
{
	for (unsigned i = 0; i < v->m.npayloads; i++)
		if (!strcmp(v->m.payload[i].name, name))
			return &v->m.payload[i];
	return NULL;
}

/* The blob is cut into the manifest's payloads in order; a payload from
 * another signed bundle, a swapped order or a resized file all fail here
 * because names, sizes and hashes are all under the signature. */
int bundle_check_payloads(struct bundle_view *v, struct bundle_result *res)
{
	uint64_t off = 0;
	uint8_t sum[32];

	for (unsigned i = 0; i < v->m.npayloads; i++) {
		struct bundle_payload *p = &v->m.payload[i];

		if (p->size > v->blob_len - off)
			return bundle_fail(res, BUNDLE_E_HASH, -EBADMSG,
					   "payload %s runs past the data", p->name);
		sw_sha256(v->blob + off, p->size, sum);
		if (memcmp(sum, p->sha256, sizeof(sum)))
			return bundle_fail(res, BUNDLE_E_HASH, -EBADMSG, "payload %s", p->name);
		p->data = v->blob + off;
		off += p->size;
	}
	if (off != v->blob_len)
		return bundle_fail(res, BUNDLE_E_HASH, -EBADMSG,
				   "%llu payload bytes not in the manifest",
				   (unsigned long long)(v->blob_len - off));
	return 0;
}
