/* The device keyring: a directory of PEM public keys.
 *
 * A key's id is the SHA-256 of its DER SubjectPublicKeyInfo, so it can be
 * computed by anyone from the public key alone (`openssl pkey -pubin
 * -outform DER | sha256sum`) and signatures name their key without a
 * registry. Only P-256 keys are accepted: one algorithm, no negotiation. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "bundle/internal.h"

struct bundle_key {
	uint8_t id[BUNDLE_KEYID_LEN];
	bool dev;
	mbedtls_pk_context pk;
};

struct bundle_keyring {
	unsigned n, threshold;
	struct bundle_key key[BUNDLE_MAX_KEYS];
};

static int keyid_of(mbedtls_pk_context *pk, uint8_t id[BUNDLE_KEYID_LEN])
{
	uint8_t der[256];
	int n = mbedtls_pk_write_pubkey_der(pk, der, sizeof(der));

	if (n <= 0)
		return -EINVAL;
	/* mbedtls writes DER at the end of the buffer. */
	sw_sha256(der + sizeof(der) - n, (size_t)n, id);
	return 0;
}

static bool is_p256(mbedtls_pk_context *pk)
{
	return mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY &&
	       mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

/* Public key first; a private key file also yields its key id. */
static int parse_pem(mbedtls_pk_context *pk, const char *path)
{
	char *pem;
	size_t len;
	const uint8_t *z;
	int err = sw_read_file(path, 16384, &pem, &len);

	if (err)
		return err;
	/* mbedtls wants PEM NUL-terminated, as sw_read_file leaves it */
	z = (const uint8_t *)pem;
	if (mbedtls_pk_parse_public_key(pk, z, len + 1) &&
	    mbedtls_pk_parse_key(pk, z, len + 1, NULL, 0))
		err = -EINVAL;
	if (!err && !is_p256(pk))
		err = -EPROTONOSUPPORT;
	free(pem);
	return err;
}

int bundle_keyid_pem(const char *path, uint8_t id[BUNDLE_KEYID_LEN])
{
	mbedtls_pk_context pk;
	int err;

	mbedtls_pk_init(&pk);
	err = parse_pem(&pk, path);
	if (!err)
		err = keyid_of(&pk, id);
	mbedtls_pk_free(&pk);
	return err;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && !strcmp(s + a - b, suffix);
}

static int add_key(struct bundle_keyring *kr, const char *dir, const char *name, FILE *diag)
{
	struct bundle_key *k = &kr->key[kr->n];
	char path[4096];
	int err;

	if (kr->n >= BUNDLE_MAX_KEYS)
		return -E2BIG;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mbedtls_pk_init(&k->pk);
	err = parse_pem(&k->pk, path);
	if (!err)
		err = keyid_of(&k->pk, k->id);
	if (!err && bundle_keyring_find(kr, k->id))
		err = -EEXIST;
	if (err) {
		if (diag)
			fprintf(diag, "%s: not a usable P-256 public key (%s)\n", path, strerror(-err));
		mbedtls_pk_free(&k->pk);
		return err;
	}
	k->dev = !strncmp(name, "dev-", 4);
	kr->n++;
	return 0;
}

static void read_threshold(struct bundle_keyring *kr, const char *dir)
{
	char path[4096];
	unsigned v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/threshold", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fscanf(f, "%u", &v) == 1 && v >= 1 && v <= BUNDLE_MAX_KEYS)
		kr->threshold = v;
	fclose(f);
}

struct bundle_keyring *bundle_keyring_load(const char *dir, unsigned default_threshold, FILE *diag)
{
	struct bundle_keyring *kr = calloc(1, sizeof(*kr));
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (!kr)
		return NULL;
	kr->threshold = default_threshold ? default_threshold : 1;
	d = opendir(dir);
	if (!d) {
		err = -errno;
		goto out_free;
	}
	while (!err && (de = readdir(d)))
		if (de->d_name[0] != '.' && ends_with(de->d_name, ".pub"))
			err = add_key(kr, dir, de->d_name, diag);
	closedir(d);
	if (err)
		goto out_free;
	read_threshold(kr, dir);
	return kr;
out_free:
	bundle_keyring_free(kr);
	errno = -err;
	return NULL;
}

void bundle_keyring_free(struct bundle_keyring *kr)
{
	if (!kr)
		return;
	for (unsigned i = 0; i < kr->n; i++)
		mbedtls_pk_free(&kr->key[i].pk);
	free(kr);
}

unsigned bundle_keyring_threshold(const struct bundle_keyring *kr)
{
	return kr->threshold;
}

unsigned bundle_keyring_count(const struct bundle_keyring *kr)
{
	return kr->n;
}

const struct bundle_key *bundle_keyring_find(const struct bundle_keyring *kr,
					     const uint8_t id[BUNDLE_KEYID_LEN])
{
	for (unsigned i = 0; kr && i < kr->n; i++)
		if (!memcmp(kr->key[i].id, id, BUNDLE_KEYID_LEN))
			return &kr->key[i];
	return NULL;
}

unsigned bundle_keyring_usable(const struct bundle_keyring *kr, bool release)
{
	unsigned n = 0;

	for (unsigned i = 0; i < kr->n; i++)
		n += !(release && kr->key[i].dev);
	return n;
}

bool bundle_key_is_dev(const struct bundle_key *k)
{
	return k->dev;
}

int bundle_key_verify(const struct bundle_key *k, const uint8_t hash[32],
		      const uint8_t *sig, size_t len)
{
	/* mbedtls_pk_verify takes a non-const context; it does not modify it. */
	mbedtls_pk_context *pk = (mbedtls_pk_context *)&k->pk;

	return mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, hash, 32, sig, len) ? -EBADMSG : 0;
}
