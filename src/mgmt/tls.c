/* The mbedtls configurations of mgmtd: its server and its syslog client.
 *
 * mbedtls 2.28 (Debian 12) speaks TLS up to 1.2; where a 3.x library
 * offers TLS 1.3 the default maximum lets it be negotiated. The suite
 * list is ECDHE with AEAD only: no CBC, no static RSA, so every session
 * has forward secrecy and no padding oracle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/version.h>

#include "mgmt/mgmt.h"

static const int mgmt_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0
};

/* The server picks the first of these the client offers: P-256 costs a
 * fraction of secp521r1, which mbedtls' default order would pick. All
 * stay allowed, for the keys of client certificates. */
static const mbedtls_ecp_group_id mgmt_curves[] = {
	MBEDTLS_ECP_DP_SECP256R1,
	MBEDTLS_ECP_DP_CURVE25519,
	MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_SECP521R1,
	MBEDTLS_ECP_DP_NONE
};

#define MGMT_TICKET_S 3600

const char *mgmt_tls_strerror(int err, char *buf, size_t size)
{
	mbedtls_strerror(err, buf, size);
	return buf;
}

static int mgmt_tls_fail(const char *what, const char *path, int ret)
{
	char msg[128];

	mgmt_log("tls: %s %s: %s", what, path ? path : "", mgmt_tls_strerror(ret, msg, sizeof(msg)));
	return -EINVAL;
}

static int mgmt_tls_keys(struct mgmt_tls *t, const char *cert, const char *key)
{
	int ret = mbedtls_x509_crt_parse_file(&t->cert, cert);

	if (ret)
		return mgmt_tls_fail("certificate", cert, ret);
#if MBEDTLS_VERSION_MAJOR >= 3
	ret = mbedtls_pk_parse_keyfile(&t->key, key, NULL, mbedtls_ctr_drbg_random, &t->drbg);
#else
	ret = mbedtls_pk_parse_keyfile(&t->key, key, NULL);
#endif
	if (ret)
		return mgmt_tls_fail("key", key, ret);
	ret = mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key);
	return ret ? mgmt_tls_fail("certificate and key", cert, ret) : 0;
}

/* mbedtls passes the same context to both ticket callbacks: ours, so that
 * the parse can count the sessions it resumed, for /metrics. */
static int mgmt_ticket_write(void *ctx, const mbedtls_ssl_session *session,
			     unsigned char *start, const unsigned char *end, size_t *tlen,
			     uint32_t *lifetime)
{
	struct mgmt_tls *t = ctx;

	return mbedtls_ssl_ticket_write(&t->ticket, session, start, end, tlen, lifetime);
}

static int mgmt_ticket_parse(void *ctx, mbedtls_ssl_session *session, unsigned char *buf,
			     size_t len)
{
	struct mgmt_tls *t = ctx;
	int ret = mbedtls_ssl_ticket_parse(&t->ticket, session, buf, len);

	t->resumed += ret == 0;
	return ret;
}

/* Session tickets (RFC 5077): a poller that comes back within the hour
 * resumes without the ECDHE and signature work of a full handshake. The
 * client certificate is in the ticket, sealed with a key of ours that
 * mbedtls renews every MGMT_TICKET_S. */
static int mgmt_tls_tickets(struct mgmt_tls *t)
{
	int ret = mbedtls_ssl_ticket_setup(&t->ticket, mbedtls_ctr_drbg_random, &t->drbg,
					   MBEDTLS_CIPHER_AES_256_GCM, MGMT_TICKET_S);

	if (ret)
		return mgmt_tls_fail("session tickets", NULL, ret);
	mbedtls_ssl_conf_session_tickets_cb(&t->conf, mgmt_ticket_write, mgmt_ticket_parse, t);
	return 0;
}

/* A CRL past its next update still lists what it revoked: those stay
 * refused, and the staleness is logged and shown (/status, the page)
 * rather than locking every client out until someone brings a new one. */
static int mgmt_tls_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	*flags &= ~(uint32_t)(MBEDTLS_X509_BADCRL_EXPIRED | MBEDTLS_X509_BADCRL_FUTURE);
	return 0;
}

static void mgmt_tls_crl_free(struct mgmt_tls *t)
{
	if (!t->crl)
		return;
	mbedtls_x509_crl_free(t->crl);
	free(t->crl);
	t->crl = NULL;
}

void mgmt_tls_crl_set(struct mgmt_tls *t, mbedtls_x509_crl *crl)
{
	/* Handshakes verify within one call: none holds the old list now. */
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, crl);
	mgmt_tls_crl_free(t);
	t->crl = crl;
}

static int mgmt_tls_setup(struct mgmt_tls *t, int endpoint, const char *cert, const char *key,
			  const char *ca)
{
	static const char pers[] = "scanwall-mgmtd";
	int ret;

	ret = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
				    (const unsigned char *)pers, sizeof(pers) - 1);
	if (ret)
		return mgmt_tls_fail("drbg", NULL, ret);
	ret = mbedtls_x509_crt_parse_file(&t->ca, ca);
	if (ret)
		return mgmt_tls_fail("CA", ca, ret);
	ret = mbedtls_ssl_config_defaults(&t->conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret)
		return mgmt_tls_fail("config", NULL, ret);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(&t->conf, mgmt_suites);
	mbedtls_ssl_conf_renegotiation(&t->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
	mbedtls_ssl_conf_curves(&t->conf, mgmt_curves);
	mbedtls_ssl_conf_verify(&t->conf, mgmt_tls_verify, NULL);
	if (!cert)
		return 0;
	ret = mgmt_tls_keys(t, cert, key);
	return ret ? ret : mgmt_tls_tickets(t);
}

struct mgmt_tls *mgmt_tls_new(int endpoint, const char *cert, const char *key, const char *ca)
{
	struct mgmt_tls *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return NULL;
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	mbedtls_x509_crt_init(&t->cert);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_pk_init(&t->key);
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_ssl_ticket_init(&t->ticket);
	err = mgmt_tls_setup(t, endpoint, cert, key, ca);
	if (err) {
		mgmt_tls_free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

void mgmt_tls_free(struct mgmt_tls *t)
{
	if (!t)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_ssl_ticket_free(&t->ticket);
	mgmt_tls_crl_free(t);
	mbedtls_pk_free(&t->key);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_x509_crt_free(&t->cert);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	free(t);
}
