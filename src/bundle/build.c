/* Writing bundles (host tool): the exact inverse of container.c and
 * manifest.c, so what the tool writes is what the device reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/internal.h"

static void put_be(FILE *f, uint64_t v, unsigned bytes)
{
	while (bytes--)
		fputc((int)(v >> (8 * bytes) & 0xff), f);
}

static void put_field(FILE *f, uint8_t tag, uint8_t flags, const void *val, size_t len)
{
	fputc(tag, f);
	fputc(flags, f);
	put_be(f, len, 2);
	fwrite(val, 1, len, f);
}

static void put_u64(FILE *f, uint8_t tag, uint8_t flags, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	put_field(f, tag, flags, b, sizeof(b));
}

static void put_payload(FILE *f, const struct bundle_payload *p)
{
	size_t n = strlen(p->name);
	uint8_t sum[32];

	sw_sha256(p->data, p->size, sum);
	fputc(BT_PAYLOAD, f);
	fputc(BF_CRITICAL, f);
	put_be(f, 1 + n + 4 + 32, 2);
	fputc((int)n, f);
	fwrite(p->name, 1, n, f);
	put_be(f, p->size, 4);
	fwrite(sum, 1, sizeof(sum), f);
}

int bundle_build_manifest(const struct bundle_manifest *m, uint8_t **out, size_t *len)
{
	uint8_t fmt[2] = { 0, BUNDLE_MANIFEST_FORMAT };
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return -errno;
	put_field(f, BT_FORMAT, BF_CRITICAL, fmt, sizeof(fmt));
	put_field(f, BT_KIND, BF_CRITICAL, &m->kind, 1);
	put_u64(f, BT_VERSION, BF_CRITICAL, m->version);
	put_field(f, BT_COMPATIBLE, BF_CRITICAL, m->compatible, strlen(m->compatible));
	put_u64(f, BT_CREATED, 0, m->created);
	if (m->expires)
		put_u64(f, BT_EXPIRES, BF_CRITICAL, m->expires);
	if (m->kind == BUNDLE_KIND_KEYRING)
		put_field(f, BT_THRESHOLD, BF_CRITICAL, &m->threshold, 1);
	if (m->comment[0])
		put_field(f, BT_COMMENT, 0, m->comment, strlen(m->comment));
	for (unsigned i = 0; i < m->npayloads; i++)
		put_payload(f, &m->payload[i]);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*out = (uint8_t *)buf;
	return 0;
}

int bundle_write(FILE *f, const struct bundle_view *v)
{
	fwrite(BUNDLE_MAGIC, 1, BUNDLE_MAGIC_LEN, f);
	put_be(f, BUNDLE_CONTAINER_FORMAT, 2);
	put_be(f, v->manifest_len, 4);
	fwrite(v->manifest, 1, v->manifest_len, f);
	put_be(f, v->blob_len, 4);
	if (v->blob_len)
		fwrite(v->blob, 1, v->blob_len, f);
	fputc((int)v->nsigs, f);
	for (unsigned i = 0; i < v->nsigs; i++) {
		fwrite(v->sig[i].keyid, 1, BUNDLE_KEYID_LEN, f);
		put_be(f, v->sig[i].der_len, 2);
		fwrite(v->sig[i].der, 1, v->sig[i].der_len, f);
	}
	return ferror(f) ? -EIO : 0;
}
