/* The bundle manifest and container parsers: what the writer makes reads
 * back the same, and every malformation is refused with its reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scanwall/bundle.h"

static const char policy[] = "device mr 192.168.7.2 ae MR1\n";
static const char extra[] = "1.2.3.4\n";

static void sample(struct bundle_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = BUNDLE_KIND_POLICY;
	m->version = 42;
	m->created = 1700000000;
	m->expires = 1900000000;
	strcpy(m->compatible, "scan1");
	strcpy(m->comment, "room 2");
	m->npayloads = 2;
	strcpy(m->payload[0].name, "policy");
	m->payload[0].data = (const uint8_t *)policy;
	m->payload[0].size = sizeof(policy) - 1;
	strcpy(m->payload[1].name, "sop.list");
	m->payload[1].data = (const uint8_t *)extra;
	m->payload[1].size = sizeof(extra) - 1;
}

static uint8_t *build(size_t *len)
{
	struct bundle_manifest m;
	uint8_t *out;

	sample(&m);
	assert_int_equal(bundle_build_manifest(&m, &out, len), 0);
	return out;
}

static enum bundle_reason parse(const uint8_t *p, size_t len)
{
	struct bundle_manifest m;
	struct bundle_result res = { 0 };

	return bundle_parse_manifest(p, len, &m, &res) ? res.reason : BUNDLE_OK;
}

static void round_trip(void **state)
{
	struct bundle_manifest m;
	struct bundle_result res = { 0 };
	size_t len;
	uint8_t *p = build(&len);

	assert_int_equal(bundle_parse_manifest(p, len, &m, &res), 0);
	assert_int_equal(m.format, 1);
	assert_int_equal(m.kind, BUNDLE_KIND_POLICY);
	assert_int_equal(m.version, 42);
	assert_int_equal(m.created, 1700000000);
	assert_int_equal(m.expires, 1900000000);
	assert_string_equal(m.compatible, "scan1");
	assert_string_equal(m.comment, "room 2");
	assert_int_equal(m.npayloads, 2);
	assert_string_equal(m.payload[1].name, "sop.list");
	assert_int_equal(m.payload[1].size, sizeof(extra) - 1);
	free(p);
}

/* Every prefix of a good manifest is refused, and none is read past its
 * end (ASan), except the one cut exactly before the last payload field:
 * that is a whole manifest in its own right, which is why the signature
 * covers the manifest's exact bytes and length. */
static void every_truncation_refused(void **state)
{
	size_t len;
	uint8_t *p = build(&len);

	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, p, n);
		if (n == len - (4 + 1 + strlen("sop.list") + 4 + 32))
			assert_int_equal(parse(copy, n), BUNDLE_OK);
		else
			assert_int_not_equal(parse(copy, n), BUNDLE_OK);
		free(copy);
	}
	free(p);
}

/* The manifest p[0..len) with the field f appended, parsed. */
static enum bundle_reason parse_with(const uint8_t *p, size_t len, const uint8_t *f, size_t flen)
{
	uint8_t *q = malloc(len + flen);
	enum bundle_reason r;

	assert_non_null(q);
	memcpy(q, p, len);
	memcpy(q + len, f, flen);
	r = parse(q, len + flen);
	free(q);
	return r;
}

static void unknown_fields(void **state)
{
	static const uint8_t crit[] = { 200, 1, 0, 2, 'h', 'i' };
	static const uint8_t noncrit[] = { 200, 0, 0, 2, 'h', 'i' };
	static const uint8_t badflags[] = { 200, 2, 0, 0 };
	size_t len;
	uint8_t *p = build(&len);

	assert_int_equal(parse_with(p, len, crit, sizeof(crit)), BUNDLE_E_CRITICAL);
	assert_int_equal(parse_with(p, len, noncrit, sizeof(noncrit)), BUNDLE_OK);
	assert_int_equal(parse_with(p, len, badflags, sizeof(badflags)), BUNDLE_E_MALFORMED);
	free(p);
}

static void duplicates_and_order(void **state)
{
	static const uint8_t version[] = { 3, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 99 };
	static const uint8_t created_critical[] = { 5, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1 };
	size_t len;
	uint8_t *p = build(&len);

	assert_int_equal(parse_with(p, len, version, sizeof(version)), BUNDLE_E_MALFORMED);
	/* a known field must carry its defined criticality */
	assert_int_equal(parse_with(p, len, created_critical, sizeof(created_critical)),
			 BUNDLE_E_MALFORMED);
	/* the format field must come first */
	assert_int_equal(parse(p + 6, len - 6), BUNDLE_E_MALFORMED);
	free(p);
}

/* The sample manifest with payload i renamed, written and read back. */
static enum bundle_reason parse_renamed(unsigned i, const char *name)
{
	struct bundle_manifest m;
	enum bundle_reason r;
	size_t len;
	uint8_t *p;

	sample(&m);
	strcpy(m.payload[i].name, name);
	assert_int_equal(bundle_build_manifest(&m, &p, &len), 0);
	r = parse(p, len);
	free(p);
	return r;
}

static void bad_payload_names(void **state)
{
	static const char *const bad[] = { "../etc", ".hidden", "a/b", "sp ace" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_renamed(1, bad[i]), BUNDLE_E_MALFORMED);
	/* the same name twice */
	assert_int_equal(parse_renamed(1, "policy"), BUNDLE_E_MALFORMED);
	/* a policy bundle without its policy */
	assert_int_equal(parse_renamed(0, "rules"), BUNDLE_E_MALFORMED);
}

static uint8_t *container(size_t *len, unsigned extra_bytes)
{
	uint8_t blob[64], der[8] = { 0x30, 6, 2, 1, 1, 2, 1, 1 };
	struct bundle_view v = { 0 };
	size_t mlen;
	uint8_t *m = build(&mlen), *buf = NULL;
	FILE *f = open_memstream((char **)&buf, len);

	memcpy(blob, policy, sizeof(policy) - 1);
	memcpy(blob + sizeof(policy) - 1, extra, sizeof(extra) - 1);
	v.manifest = m;
	v.manifest_len = (uint32_t)mlen;
	v.blob = blob;
	v.blob_len = sizeof(policy) - 1 + sizeof(extra) - 1;
	v.nsigs = 1;
	v.sig[0].der = der;
	v.sig[0].der_len = sizeof(der);
	assert_int_equal(bundle_write(f, &v), 0);
	while (extra_bytes--)
		fputc(0, f);
	fclose(f);
	free(m);
	return buf;
}

static void container_framing(void **state)
{
	struct bundle_result res = { 0 };
	struct bundle_view v;
	size_t len;
	uint8_t *buf = container(&len, 0);

	assert_int_equal(bundle_parse_container(buf, len, &v, &res), 0);
	assert_int_equal(v.nsigs, 1);
	assert_int_equal(bundle_parse_manifest(v.manifest, v.manifest_len, &v.m, &res), 0);
	assert_int_equal(bundle_check_payloads(&v, &res), 0);
	assert_memory_equal(bundle_payload_find(&v, "sop.list")->data, extra, sizeof(extra) - 1);
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(bundle_parse_container(buf, n, &v, &res), 0);
	free(buf);
	buf = container(&len, 1);
	assert_int_equal(bundle_parse_container(buf, len, &v, &res), -EBADMSG);
	assert_int_equal(res.reason, BUNDLE_E_TRAILING);
	free(buf);
}

static void payload_hashes(void **state)
{
	struct bundle_result res = { 0 };
	struct bundle_view v;
	size_t len;
	uint8_t *buf = container(&len, 0);

	assert_int_equal(bundle_parse_container(buf, len, &v, &res), 0);
	assert_int_equal(bundle_parse_manifest(v.manifest, v.manifest_len, &v.m, &res), 0);
	/* flip one payload byte in place: the blob is inside buf */
	buf[len - 1 - (8 + 2 + 32 + 1) - 1] ^= 1;
	assert_int_equal(bundle_check_payloads(&v, &res), -EBADMSG);
	assert_int_equal(res.reason, BUNDLE_E_HASH);
	free(buf);
}

static void unsigned_refused_before_manifest(void **state)
{
	struct bundle_check chk = { .now = 1 };
	struct bundle_result res;
	struct bundle_view v;
	size_t len;
	uint8_t *buf = container(&len, 0);

	/* one signature by a key no keyring holds */
	assert_int_equal(bundle_verify(buf, len, &chk, &v, &res), -EPERM);
	assert_int_equal(res.reason, BUNDLE_E_UNKNOWN_KEY);
	free(buf);
}

/* A CRL for mgmtd rides as the payload `crl`, capped below the bundle's
 * own size limit: one byte over is refused before any hashing. */
static void crl_payload_capped(void **state)
{
	uint8_t *crl = calloc(1, BUNDLE_CRL_MAX + 1);
	struct bundle_manifest m;
	uint8_t *p;
	size_t len;

	assert_non_null(crl);
	sample(&m);
	strcpy(m.payload[1].name, BUNDLE_CRL_NAME);
	m.payload[1].data = crl;
	m.payload[1].size = BUNDLE_CRL_MAX;
	assert_int_equal(bundle_build_manifest(&m, &p, &len), 0);
	assert_int_equal(parse(p, len), BUNDLE_OK);
	free(p);
	m.payload[1].size = BUNDLE_CRL_MAX + 1;
	assert_int_equal(bundle_build_manifest(&m, &p, &len), 0);
	assert_int_equal(parse(p, len), BUNDLE_E_TOO_LARGE);
	free(p);
	free(crl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(every_truncation_refused),
		cmocka_unit_test(unknown_fields),
		cmocka_unit_test(duplicates_and_order),
		cmocka_unit_test(bad_payload_names),
		cmocka_unit_test(container_framing),
		cmocka_unit_test(payload_hashes),
		cmocka_unit_test(crl_payload_capped),
		cmocka_unit_test(unsigned_refused_before_manifest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
