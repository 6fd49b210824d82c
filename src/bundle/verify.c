/* The one verification pipeline, shared by `scanwall-bundle verify` and
 * the device. Order matters: the framing is read, the signatures are
 * checked over the exact manifest bytes, and only a manifest that enough
 * trusted keys signed is parsed; the payloads are hashed last and never
 * interpreted here. */
#include <errno.h>
#include <string.h>

#include "bundle/internal.h"

struct tally {
	unsigned good, unknown, dev;
};

static bool seen_before(const struct bundle_view *v, unsigned i)
{
	for (unsigned j = 0; j < i; j++)
		if (!memcmp(v->sig[j].keyid, v->sig[i].keyid, BUNDLE_KEYID_LEN))
			return true;
	return false;
}

static int count_sig(const struct bundle_view *v, unsigned i, const uint8_t hash[32],
		     const struct bundle_check *chk, struct tally *t, struct bundle_result *res)
{
	const struct bundle_key *k = bundle_keyring_find(chk->keyring, v->sig[i].keyid);
	char hex[2 * BUNDLE_KEYID_LEN + 1];

	/* The same key twice is one signature: a threshold counts keys. */
	if (seen_before(v, i))
		return 0;
	if (!k) {
		t->unknown++;
		return 0;
	}
	if (bundle_key_verify(k, hash, v->sig[i].der, v->sig[i].der_len)) {
		sw_hex(v->sig[i].keyid, 8, hex);
		return bundle_fail(res, BUNDLE_E_BAD_SIGNATURE, -EPERM, "by key %s...", hex);
	}
	if (bundle_key_is_dev(k) && chk->release)
		t->dev++;
	else
		t->good++;
	return 0;
}

static int check_sigs(const struct bundle_view *v, const struct bundle_check *chk,
		      struct bundle_result *res)
{
	unsigned need = chk->threshold;
	struct tally t = { 0 };
	uint8_t hash[32];
	int err = 0;

	if (!need)
		need = chk->keyring ? bundle_keyring_threshold(chk->keyring) : 1;
	if (v->nsigs == 0)
		return bundle_fail(res, BUNDLE_E_NO_SIGNATURE, -EPERM, "unsigned bundle");
	sw_sha256(v->manifest, v->manifest_len, hash);
	for (unsigned i = 0; !err && i < v->nsigs; i++)
		err = count_sig(v, i, hash, chk, &t, res);
	if (err || t.good >= need)
		return err;
	if (t.dev)
		return bundle_fail(res, BUNDLE_E_DEV_KEY, -EPERM,
				   "%u development signature(s) do not count in a release build", t.dev);
	if (t.unknown)
		return bundle_fail(res, BUNDLE_E_UNKNOWN_KEY, -EPERM,
				   "%u signature(s) by keys not in the keyring, %u of %u trusted",
				   t.unknown, t.good, need);
	return bundle_fail(res, BUNDLE_E_THRESHOLD, -EPERM, "%u of %u trusted signatures",
			   t.good, need);
}

static int check_claims(const struct bundle_manifest *m, const struct bundle_check *chk,
			struct bundle_result *res)
{
	if (chk->compatible && strcmp(chk->compatible, m->compatible))
		return bundle_fail(res, BUNDLE_E_INCOMPATIBLE, -EPERM, "bundle for %s, this is %s",
				   m->compatible, chk->compatible);
	if (chk->have_installed && m->version <= chk->installed_version)
		return bundle_fail(res, BUNDLE_E_ROLLBACK, -EPERM,
				   "version %llu is not above %llu",
				   (unsigned long long)m->version,
				   (unsigned long long)chk->installed_version);
	if (m->expires && chk->now >= m->expires)
		return bundle_fail(res, BUNDLE_E_EXPIRED, -EPERM, "expired at %llu, now %llu",
				   (unsigned long long)m->expires, (unsigned long long)chk->now);
	return 0;
}

int bundle_verify(const uint8_t *buf, size_t len, const struct bundle_check *chk,
		  struct bundle_view *v, struct bundle_result *res)
{
	int err;

	memset(res, 0, sizeof(*res));
	err = bundle_parse_container(buf, len, v, res);
	if (!err)
		err = check_sigs(v, chk, res);
	if (!err)
		err = bundle_parse_manifest(v->manifest, v->manifest_len, &v->m, res);
	if (!err)
		res->version = v->m.version;
	if (!err)
		err = check_claims(&v->m, chk, res);
	if (!err)
		err = bundle_check_payloads(v, res);
	if (err)
		res->event = BUNDLE_EV_REFUSED;
	return err;
}
