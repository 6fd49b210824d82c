/* --make-cert: the first server key and certificate of a box.
 *
 * A box leaves the factory without a management certificate: the image
 * cannot know its name or address, and a key baked into the image would be
 * every box's key. With --make-cert, mgmtd makes its own at first start,
 * as root and before it drops privileges: an ECDSA P-256 key and a
 * self-signed certificate for 10 years. Clients trust it by pinning it:
 * mgmtd logs its SHA-256 fingerprint at every start, and /status and the
 * status page show it.
 *
 * The key is written before the certificate, each by sw_write_atomic to
 * a temporary file that is synced, linked into place and the directory
 * synced: a crash leaves nothing, a key alone, or both, never a
 * certificate without its key. Linked (SW_FILE_NOREPLACE) rather than
 * renamed: a file that appeared meanwhile is never replaced. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include "mgmt/mgmt.h"
#include "mgmt/selfcert.h"
#include "scanwall/digest.h"
#include "mgmt/server.h"
#include "scanwall/fileio.h"

#define SC_YEARS 10
#define SC_BACKDATE_S 3600	/* a client clock up to an hour behind still accepts it */
/* A clock before this was never set (a board without a battery-backed RTC
 * starts in 1970): the certificate is dated from here instead, so it is
 * not already expired for every client whose clock is right. */
#define SC_CLOCK_FLOOR 1767225600	/* 2026-01-01T00:00:00Z */
#define SC_PEM_MAX 4096
#define SC_NAME_MAX 64		/* the upper bound of a CN (RFC 5280) */

/* extendedKeyUsage serverAuth: 2.28 has no setter for it (3.x has), so
 * the extension's value is written whole:
 * SEQUENCE { OBJECT IDENTIFIER 1.3.6.1.5.5.7.3.1 }. */
static const unsigned char sc_eku_server[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01,
};

struct sc {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	mbedtls_x509write_cert wr;
	mbedtls_x509_crt crt;		/* what was written, read back */
	unsigned char key_pem[SC_PEM_MAX], crt_pem[SC_PEM_MAX];
};

static int sc_fail(const char *what, int ret)
{
	char msg[128];

	mgmt_log("--make-cert: %s: %s", what, mgmt_tls_strerror(ret, msg, sizeof(msg)));
	return -EIO;
}

/* Letters, digits, '-' and '.': a DNS name, and also safe inside the
 * "CN=..." string mbedtls parses into the subject. */
static bool sc_dns_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SC_NAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

static void sc_hostname(char *buf, size_t size)
{
	if (gethostname(buf, size) < 0 || !memchr(buf, 0, size) || !sc_dns_name(buf)) {
		mgmt_log("--make-cert: the host name is not a DNS name; the certificate is for \"scanwall\"");
		snprintf(buf, size, "scanwall");
	}
}

/* One GeneralName: [tag] IMPLICIT, primitive. Returns its length or an
 * mbedtls error. */
static int sc_general_name(unsigned char **p, unsigned char *start, int tag, const void *v,
			   size_t n)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start, v, n));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, n));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start,
							  MBEDTLS_ASN1_CONTEXT_SPECIFIC | tag));
	return (int)len;
}

/* subjectAltName, which clients check instead of the CN: the host name,
 * and the address mgmtd listens on when it names one (0.0.0.0 and ::
 * name none), or the listen host name when it is not ours. mbedtls
 * writes DER backwards, so the entries are added last to first. */
static int sc_san(mbedtls_x509write_cert *wr, const char *host, const char *listen)
{
	unsigned char buf[256], *p = buf + sizeof(buf), ip[16];
	static const unsigned char zero[16];
	char lhost[64];
	const char *port;
	size_t len = 0, iplen = 0;
	int ret;

	if (mgmt_hostport(listen, lhost, sizeof(lhost), &port) == 0) {
		if (inet_pton(AF_INET, lhost, ip) == 1)
			iplen = 4;
		else if (inet_pton(AF_INET6, lhost, ip) == 1)
			iplen = 16;
		if (iplen && memcmp(ip, zero, iplen) != 0)
			MBEDTLS_ASN1_CHK_ADD(len, sc_general_name(&p, buf, 7, ip, iplen));
		else if (!iplen && strcasecmp(lhost, host) != 0 && sc_dns_name(lhost))
			MBEDTLS_ASN1_CHK_ADD(len, sc_general_name(&p, buf, 2, lhost, strlen(lhost)));
	}
	MBEDTLS_ASN1_CHK_ADD(len, sc_general_name(&p, buf, 2, host, strlen(host)));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED |
							   MBEDTLS_ASN1_SEQUENCE));
	return mbedtls_x509write_crt_set_extension(wr, MBEDTLS_OID_SUBJECT_ALT_NAME,
						   MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
						   0, p, len);
}

static bool sc_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	return gmtime_r(&t, &tm) && strftime(buf, size, "%Y%m%d%H%M%S", &tm) == 14;
}

/* From now (less an hour) to the same moment 10 years on (29 February
 * becomes 1 March). */
static int sc_validity(mbedtls_x509write_cert *wr)
{
	char from[16], until[16];
	time_t now = time(NULL);
	struct tm tm;

	if (now < SC_CLOCK_FLOOR) {
		mgmt_log("--make-cert: the clock is not set (%lld s): the certificate is dated from 2026-01-01",
			 (long long)now);
		now = SC_CLOCK_FLOOR;
	}
	if (!gmtime_r(&now, &tm))
		return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
	tm.tm_year += SC_YEARS;
	if (!sc_time(now - SC_BACKDATE_S, from, sizeof(from)) ||
	    !sc_time(timegm(&tm), until, sizeof(until)))
		return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
	return mbedtls_x509write_crt_set_validity(wr, from, until);
}

/* 16 random bytes, positive, the first never zero (RFC 5280: at most
 * 20 octets, positive; CA/B: at least 64 random bits). */
static int sc_serial(struct sc *sc)
{
	unsigned char b[16];
	int ret = mbedtls_ctr_drbg_random(&sc->drbg, b, sizeof(b));

	if (ret)
		return ret;
	b[0] = (unsigned char)((b[0] & 0x7f) | 0x40);
#if MBEDTLS_VERSION_NUMBER >= 0x03040000
	return mbedtls_x509write_crt_set_serial_raw(&sc->wr, b, sizeof(b));
#else
	{
		mbedtls_mpi serial;

		mbedtls_mpi_init(&serial);
		ret = mbedtls_mpi_read_binary(&serial, b, sizeof(b));
		if (!ret)
			ret = mbedtls_x509write_crt_set_serial(&sc->wr, &serial);
		mbedtls_mpi_free(&serial);
		return ret;
	}
#endif
}

static int sc_make_cert(struct sc *sc, const char *host, const char *listen)
{
	char name[300];		/* "CN=" and a host name (< SC_NAME_MAX) */
	int ret;

	snprintf(name, sizeof(name), "CN=%s", host);
	mbedtls_x509write_crt_set_version(&sc->wr, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&sc->wr, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&sc->wr, &sc->key);
	mbedtls_x509write_crt_set_issuer_key(&sc->wr, &sc->key);
	ret = sc_serial(sc);
	if (!ret)
		ret = mbedtls_x509write_crt_set_subject_name(&sc->wr, name);
	if (!ret)
		ret = mbedtls_x509write_crt_set_issuer_name(&sc->wr, name);
	if (!ret)
		ret = sc_validity(&sc->wr);
	if (!ret)
		ret = mbedtls_x509write_crt_set_basic_constraints(&sc->wr, 0, -1);
	if (!ret)
		ret = mbedtls_x509write_crt_set_key_usage(&sc->wr, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
	if (!ret)
		ret = mbedtls_x509write_crt_set_extension(&sc->wr, MBEDTLS_OID_EXTENDED_KEY_USAGE,
							  MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
							  0, sc_eku_server, sizeof(sc_eku_server));
	if (!ret)
		ret = sc_san(&sc->wr, host, listen);
	if (!ret)
		ret = mbedtls_x509write_crt_set_subject_key_identifier(&sc->wr);
	if (!ret)
		ret = mbedtls_x509write_crt_set_authority_key_identifier(&sc->wr);
	if (!ret)
		ret = mbedtls_x509write_crt_pem(&sc->wr, sc->crt_pem, sizeof(sc->crt_pem),
						mbedtls_ctr_drbg_random, &sc->drbg);
	return ret;
}

/* Key and certificate in memory, the certificate read back: what mbedtls
 * cannot load is never written. */
static int sc_make(struct sc *sc, const char *host, const char *listen)
{
	static const char pers[] = "scanwall-mgmtd make-cert";
	int ret;

	ret = mbedtls_ctr_drbg_seed(&sc->drbg, mbedtls_entropy_func, &sc->entropy,
				    (const unsigned char *)pers, sizeof(pers) - 1);
	if (ret)
		return sc_fail("random generator", ret);
	ret = mbedtls_pk_setup(&sc->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (!ret)
		ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(sc->key),
					  mbedtls_ctr_drbg_random, &sc->drbg);
	if (!ret)
		ret = mbedtls_pk_write_key_pem(&sc->key, sc->key_pem, sizeof(sc->key_pem));
	if (ret)
		return sc_fail("key", ret);
	ret = sc_make_cert(sc, host, listen);
	if (!ret)
		ret = mbedtls_x509_crt_parse(&sc->crt, sc->crt_pem, strlen((char *)sc->crt_pem) + 1);
	if (!ret)
		ret = mbedtls_pk_check_pair(&sc->crt.pk, &sc->key);
	return ret ? sc_fail("certificate", ret) : 0;
}

/* The key first: a certificate on disk always has its key. */
static int sc_write_pair(struct sc *sc, const char *cert, const char *key)
{
	int err = sw_write_atomic(AT_FDCWD, key, sc->key_pem, strlen((char *)sc->key_pem),
				  0600, SW_FILE_NOREPLACE);

	if (err) {
		mgmt_log("--make-cert: writing %s: %s", key, strerror(-err));
		return err;
	}
	err = sw_write_atomic(AT_FDCWD, cert, sc->crt_pem, strlen((char *)sc->crt_pem), 0644,
			      SW_FILE_NOREPLACE);
	if (err) {
		mgmt_log("--make-cert: writing %s: %s", cert, strerror(-err));
		/* The key is the one made just now: take it back, or the next
		 * start finds a key alone and refuses. */
		unlink(key);
		sw_sync_dir(AT_FDCWD, key);
	}
	return err;
}

static int sc_exists(const char *path, bool *there)
{
	struct stat st;

	*there = lstat(path, &st) == 0;
	if (*there || errno == ENOENT)
		return 0;
	mgmt_log("--make-cert: %s: %s", path, strerror(errno));
	return -errno;
}

int mgmt_selfcert(const char *cert, const char *key, const char *listen)
{
	struct mgmt_cert info;
	bool have_cert, have_key;
	char host[256];
	struct sc *sc;
	int err;

	if ((err = sc_exists(cert, &have_cert)) || (err = sc_exists(key, &have_key)))
		return err;
	if (have_cert && have_key)
		return 0;
	if (have_key) {
		mgmt_log("--make-cert: refused: the key %s exists but its certificate %s does not; "
			 "a key is never replaced: install its certificate, or remove the key "
			 "for a new pair", key, cert);
		return -EEXIST;
	}
	if (have_cert) {
		mgmt_log("--make-cert: refused: the certificate %s exists but its key %s does not; "
			 "install the key, or remove the certificate for a new pair", cert, key);
		return -EEXIST;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	mbedtls_entropy_init(&sc->entropy);
	mbedtls_ctr_drbg_init(&sc->drbg);
	mbedtls_pk_init(&sc->key);
	mbedtls_x509write_crt_init(&sc->wr);
	mbedtls_x509_crt_init(&sc->crt);
	sc_hostname(host, sizeof(host));
	err = sc_make(sc, host, listen);
	if (!err)
		err = sc_write_pair(sc, cert, key);
	if (!err) {
		mgmt_cert_describe(&sc->crt, &info);
		mgmt_log("--make-cert: made %s (ECDSA P-256) and the self-signed %s: %s, "
			 "valid until %s, SHA256 Fingerprint=%s", key, cert, info.subject,
			 info.not_after, info.sha256);
	}
	mbedtls_x509_crt_free(&sc->crt);
	mbedtls_x509write_crt_free(&sc->wr);
	mbedtls_pk_free(&sc->key);
	mbedtls_ctr_drbg_free(&sc->drbg);
	mbedtls_entropy_free(&sc->entropy);
	mbedtls_platform_zeroize(sc->key_pem, sizeof(sc->key_pem));
	free(sc);
	return err;
}

void mgmt_cert_fingerprint(const mbedtls_x509_crt *crt, char *buf, size_t size)
{
	unsigned char h[32];
	size_t off = 0;

	if (size < MGMT_FP_SIZE) {
		if (size)
			buf[0] = 0;
		return;
	}
	sw_sha256(crt->raw.p, crt->raw.len, h);
	/* as `openssl x509 -fingerprint -sha256` prints it */
	for (size_t i = 0; i < sizeof(h); i++)
		off += (size_t)snprintf(buf + off, size - off, i ? ":%02X" : "%02X", h[i]);
}

void mgmt_x509_time_str(const mbedtls_x509_time *t, char *buf, size_t size)
{
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year, t->mon, t->day, t->hour,
		 t->min, t->sec);
}

void mgmt_cert_describe(const mbedtls_x509_crt *crt, struct mgmt_cert *out)
{
	mgmt_cert_fingerprint(crt, out->sha256, sizeof(out->sha256));
	if (mbedtls_x509_dn_gets(out->subject, sizeof(out->subject), &crt->subject) < 0)
		snprintf(out->subject, sizeof(out->subject), "?");
	mgmt_x509_time_str(&crt->valid_from, out->not_before, sizeof(out->not_before));
	mgmt_x509_time_str(&crt->valid_to, out->not_after, sizeof(out->not_after));
}
