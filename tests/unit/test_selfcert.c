/* scanwall-mgmtd --make-cert (src/mgmt/selfcert.c): the key and the
 * self-signed certificate it writes, read back with mbedtls; the refusals;
 * the fingerprint against one openssl computed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "mgmt/mgmt.h"
#include "mgmt/selfcert.h"
#include "tmpdir.h"

struct t {
	char dir[64], cert[128], key[128];
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	if (tmpdir_make(t->dir, sizeof(t->dir), "sw-selfcert"))
		return -1;
	snprintf(t->cert, sizeof(t->cert), "%s/cert.pem", t->dir);
	snprintf(t->key, sizeof(t->key), "%s/key.pem", t->dir);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	tmpdir_remove(t->dir);
	free(t);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 8192);

	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 8191, f) > 0);
	fclose(f);
	return buf;
}

static void spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	assert_int_equal(fclose(f), 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* mgmt_selfcert on the fixture's pair, then what it wrote, malloc'd. */
static void make_read(const struct t *t, char **key, char **cert)
{
	assert_int_equal(mgmt_selfcert(t->cert, t->key, "127.0.0.1:8443"), 0);
	*key = slurp(t->key);
	*cert = slurp(t->cert);
}

/* The subjectAltName entry with this tag and value is in crt. */
static bool has_san(const mbedtls_x509_crt *crt, int tag, const void *v, size_t n)
{
	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | tag) && s->buf.len == n &&
		    memcmp(s->buf.p, v, n) == 0)
			return true;
	}
	return false;
}

static void test_make(void **state)
{
	static const unsigned char lo4[] = { 127, 0, 0, 1 };
	struct t *t = *state;
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	char host[256], cn[300], dn[300];
	uint32_t flags = 0;
	time_t now = time(NULL);
	struct tm tm;
	mode_t old;

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	old = umask(077);	/* the certificate is 0644 whatever the umask */
	assert_int_equal(mgmt_selfcert(t->cert, t->key, "127.0.0.1:8443"), 0);
	umask(old);
	assert_int_equal(mode_of(t->key), 0600);
	assert_int_equal(mode_of(t->cert), 0644);

	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);
	assert_int_equal(mbedtls_x509_crt_parse_file(&crt, t->cert), 0);
	assert_null(crt.next);
#if MBEDTLS_VERSION_MAJOR >= 3
	assert_int_equal(mbedtls_pk_parse_keyfile(&key, t->key, NULL, NULL, NULL), 0);
#else
	assert_int_equal(mbedtls_pk_parse_keyfile(&key, t->key, NULL), 0);
#endif
	assert_int_equal(mbedtls_pk_check_pair(&crt.pk, &key), 0);
	assert_int_equal(crt.version, 3);
	assert_int_equal(mbedtls_pk_get_type(&crt.pk), MBEDTLS_PK_ECKEY);
	assert_int_equal(mbedtls_pk_ec(crt.pk)->grp.id, MBEDTLS_ECP_DP_SECP256R1);
	assert_int_equal(crt.sig_md, MBEDTLS_MD_SHA256);
	/* self-signed, for this host */
	snprintf(cn, sizeof(cn), "CN=%s", host);
	assert_true(mbedtls_x509_dn_gets(dn, sizeof(dn), &crt.subject) > 0);
	assert_string_equal(dn, cn);
	assert_int_equal(crt.subject_raw.len, crt.issuer_raw.len);
	assert_memory_equal(crt.subject_raw.p, crt.issuer_raw.p, crt.issuer_raw.len);
	assert_int_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, host, &flags, NULL, NULL), 0);
	assert_int_equal(flags, 0);
	assert_int_not_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, "other.example", &flags,
						     NULL, NULL), 0);
	/* a server's certificate, nothing more */
	assert_int_equal(crt.ca_istrue, 0);
	assert_int_equal(mbedtls_x509_crt_check_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE), 0);
	assert_int_not_equal(mbedtls_x509_crt_check_key_usage(&crt, MBEDTLS_X509_KU_KEY_CERT_SIGN), 0);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&crt, MBEDTLS_OID_SERVER_AUTH,
			 MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)), 0);
	assert_int_not_equal(mbedtls_x509_crt_check_extended_key_usage(&crt, MBEDTLS_OID_CLIENT_AUTH,
			     MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)), 0);
	assert_true(has_san(&crt, 2, host, strlen(host)));
	assert_true(has_san(&crt, 7, lo4, sizeof(lo4)));
	/* 10 years from now (the serial: 16 random bytes, positive) */
	assert_non_null(gmtime_r(&now, &tm));
	assert_int_equal(crt.valid_to.year, tm.tm_year + 1900 + 10);
	assert_false(mbedtls_x509_time_is_future(&crt.valid_from));
	assert_false(mbedtls_x509_time_is_past(&crt.valid_to));
	assert_int_equal(crt.serial.len, 16);
	assert_true(crt.serial.p[0] & 0x40);
	assert_false(crt.serial.p[0] & 0x80);
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&crt);
}

/* Two runs, two keys: the generator is seeded, not fixed. */
static void test_random(void **state)
{
	struct t *t = *state;
	char *k1, *c1, *k2, *c2;

	make_read(t, &k1, &c1);
	assert_int_equal(unlink(t->cert), 0);
	assert_int_equal(unlink(t->key), 0);
	make_read(t, &k2, &c2);
	assert_string_not_equal(k1, k2);
	assert_string_not_equal(c1, c2);
	free(k1);
	free(c1);
	free(k2);
	free(c2);
}

static void test_reuse(void **state)
{
	struct t *t = *state;
	char *k1, *c1, *k2, *c2;

	make_read(t, &k1, &c1);
	make_read(t, &k2, &c2);
	assert_string_equal(k1, k2);
	assert_string_equal(c1, c2);
	free(k1);
	free(c1);
	free(k2);
	free(c2);
}

/* One of the pair there already (text in have): refused, the other not
 * made, the one there left as it was. */
static void check_alone(const struct t *t, const char *have, const char *other, const char *text)
{
	char *s;

	spit(have, text);
	assert_int_equal(mgmt_selfcert(t->cert, t->key, "127.0.0.1:8443"), -EEXIST);
	assert_int_equal(access(other, F_OK), -1);
	s = slurp(have);
	assert_string_equal(s, text);
	free(s);
}

static void test_key_alone(void **state)
{
	struct t *t = *state;

	check_alone(t, t->key, t->cert, "the technician's key\n");
}

static void test_cert_alone(void **state)
{
	struct t *t = *state;

	check_alone(t, t->cert, t->key, "a certificate\n");
}

/* No directory: nothing made, nothing left behind. */
static void test_no_dir(void **state)
{
	struct t *t = *state;
	char cert[160], key[160];

	snprintf(cert, sizeof(cert), "%s/none/cert.pem", t->dir);
	snprintf(key, sizeof(key), "%s/none/key.pem", t->dir);
	assert_int_equal(mgmt_selfcert(cert, key, "127.0.0.1:8443"), -ENOENT);
	assert_int_equal(access(key, F_OK), -1);
}

/* 0.0.0.0 names no address; [::1] is an IPv6 one; a host name is a DNS
 * name. */
static void test_listen_names(void **state)
{
	static const unsigned char lo6[16] = { [15] = 1 }, any4[4];
	struct t *t = *state;
	mbedtls_x509_crt crt;
	char host[256];
	int n;

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	for (int i = 0; i < 3; i++) {
		static const char *const listen[] = { "0.0.0.0:443", "[::1]:8443", "box.example:8443" };

		unlink(t->cert);
		unlink(t->key);
		assert_int_equal(mgmt_selfcert(t->cert, t->key, listen[i]), 0);
		mbedtls_x509_crt_init(&crt);
		assert_int_equal(mbedtls_x509_crt_parse_file(&crt, t->cert), 0);
		assert_true(has_san(&crt, 2, host, strlen(host)));
		n = 0;
		for (const mbedtls_x509_sequence *s = &crt.subject_alt_names; s && s->buf.p; s = s->next)
			n++;
		assert_int_equal(n, i == 0 ? 1 : 2);
		if (i == 0)
			assert_false(has_san(&crt, 7, any4, sizeof(any4)));
		if (i == 1)
			assert_true(has_san(&crt, 7, lo6, sizeof(lo6)));
		if (i == 2)
			assert_true(has_san(&crt, 2, "box.example", 11));
		mbedtls_x509_crt_free(&crt);
	}
}

/* openssl x509 -fingerprint -sha256 of this certificate said so. */
static void test_fingerprint(void **state)
{
	static const char pem[] =
		"-----BEGIN CERTIFICATE-----\n"
		"MIIBcDCCARegAwIBAgIUJX56BkFXisxJGbJ4WgyCORdTgqkwCgYIKoZIzj0EAwIw\n"
		"DjEMMAoGA1UEAwwDa2F0MB4XDTI2MTEyODA3MTkyN1oXDTI2MTEyOTA3MTkyN1ow\n"
		"DjEMMAoGA1UEAwwDa2F0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ6PAhikf\n"
		"Jn7/JoBio2VPOQa376WU84XlhWI212KAz0zKgQ5ZMhgEzx5UHTH65kZ59MiJoazy\n"
		"N62PnxedRAIh16NTMFEwHQYDVR0OBBYEFPQ9Jq8uWIB78JsZ0ru0LmjILS4KMB8G\n"
		"A1UdIwQYMBaAFPQ9Jq8uWIB78JsZ0ru0LmjILS4KMA8GA1UdEwEB/wQFMAMBAf8w\n"
		"CgYIKoZIzj0EAwIDRwAwRAIgRjDVlnj+4lXmPGWQ+cCtkr6hvbdaqfwPetApkapM\n"
		"cY8CIBS9hu5+upXzeIQuaUVhj+djmJmcVrZgzQqxz8T1ts1u\n"
		"-----END CERTIFICATE-----\n";
	mbedtls_x509_crt crt;
	struct mgmt_cert info;
	char small[MGMT_FP_SIZE - 1];

	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, sizeof(pem)), 0);
	mgmt_cert_describe(&crt, &info);
	assert_string_equal(info.sha256, "10:2F:2D:5B:B2:19:2F:CB:A2:8E:29:36:41:90:1F:19:"
					 "22:14:FA:28:0F:C5:A6:80:68:EA:20:F3:6E:6E:58:B8");
	assert_string_equal(info.subject, "CN=kat");
	assert_string_equal(info.not_before, "2026-11-28T07:19:27Z");
	assert_string_equal(info.not_after, "2026-11-29T07:19:27Z");
	memset(small, 'x', sizeof(small));
	mgmt_cert_fingerprint(&crt, small, sizeof(small));
	assert_int_equal(small[0], 0);
	mbedtls_x509_crt_free(&crt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_make, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_names, setup, teardown),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
