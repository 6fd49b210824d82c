/* Keys and signatures on the host: P-256 key generation and ECDSA over
 * SHA-256 with mbedtls, byte-compatible with
 * `openssl dgst -sha256 -sign key.pem` (both emit DER ECDSA-Sig-Value). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>

#include "bundle/internal.h"

struct rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

static int rng_init(struct rng *r)
{
	static const char pers[] = "scanwall-bundle";

	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
				     (const uint8_t *)pers, sizeof(pers) - 1) ? -EIO : 0;
}

static void rng_free(struct rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
}

/* A key that exists is never overwritten (-EEXIST), and a crash leaves
 * no half-written one under the name. */
static int write_pem(const char *path, const char *pem, mode_t mode)
{
	return sw_write_atomic(AT_FDCWD, path, pem, strlen(pem), mode, SW_FILE_NOREPLACE);
}

int bundle_keygen(const char *base)
{
	char path[4096], pem[2048];
	mbedtls_pk_context pk;
	struct rng r;
	int err;

	mbedtls_pk_init(&pk);
	err = rng_init(&r);
	if (!err && (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
		     mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk),
					 mbedtls_ctr_drbg_random, &r.drbg)))
		err = -EIO;
	if (!err && mbedtls_pk_write_key_pem(&pk, (uint8_t *)pem, sizeof(pem)))
		err = -EIO;
	snprintf(path, sizeof(path), "%s.key", base);
	if (!err)
		err = write_pem(path, pem, 0600);
	if (!err && mbedtls_pk_write_pubkey_pem(&pk, (uint8_t *)pem, sizeof(pem)))
		err = -EIO;
	snprintf(path, sizeof(path), "%s.pub", base);
	if (!err)
		err = write_pem(path, pem, 0644);
	mbedtls_platform_zeroize(pem, sizeof(pem));
	mbedtls_pk_free(&pk);
	rng_free(&r);
	return err;
}

int bundle_sign_data(const char *keyfile, const uint8_t *data, size_t len,
		     uint8_t sig[BUNDLE_SIG_MAX], size_t *siglen, uint8_t keyid[BUNDLE_KEYID_LEN])
{
	uint8_t hash[32], buf[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	mbedtls_pk_context pk;
	struct rng r;
	int err;

	mbedtls_pk_init(&pk);
	err = rng_init(&r);
	if (!err && mbedtls_pk_parse_keyfile(&pk, keyfile, NULL))
		err = -EINVAL;
	if (!err && (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY ||
		     mbedtls_pk_ec(pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1))
		err = -EPROTONOSUPPORT;
	sw_sha256(data, len, hash);
	if (!err && mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, buf, siglen,
				    mbedtls_ctr_drbg_random, &r.drbg))
		err = -EIO;
	if (!err && *siglen > BUNDLE_SIG_MAX)
		err = -EOVERFLOW;
	if (!err) {
		memcpy(sig, buf, *siglen);
		err = bundle_keyid_pem(keyfile, keyid);
	}
	mbedtls_pk_free(&pk);
	rng_free(&r);
	return err;
}
