/* Signed rule bundles (docs/bundle.md): format, verification, device store.
 *
 * A bundle is one signed manifest that names and hashes every payload, the
 * payload bytes, and ECDSA P-256 signatures over the exact manifest bytes.
 * The host tool and the device run the same bundle_verify(), so a bundle
 * the tool accepts is a bundle the box accepts.
 *
 * The device store keeps the bundle in force and the last known good one
 * in a private state directory and swaps between them atomically; it never
 * touches the engine itself but calls the hooks the daemon provides. */
#ifndef SCANWALL_BUNDLE_H
#define SCANWALL_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BUNDLE_MAX_SIZE (1u << 20)	/* a whole bundle file */
#define BUNDLE_MAX_MANIFEST 65535u
#define BUNDLE_MAX_PAYLOADS 8
#define BUNDLE_MAX_SIGS 8
#define BUNDLE_MAX_KEYS 16
#define BUNDLE_NAME_MAX 63
#define BUNDLE_COMPAT_MAX 64
#define BUNDLE_KEYID_LEN 32		/* SHA-256 of the DER SubjectPublicKeyInfo */
#define BUNDLE_SIG_MAX 72		/* DER ECDSA P-256 */
#define BUNDLE_POLICY_NAME "policy"	/* the payload a policy bundle must carry */
#define BUNDLE_CRL_NAME "crl"		/* optional: the client CA's CRL for mgmtd */
#define BUNDLE_CRL_MAX (256u << 10)	/* its size cap, bytes */

enum bundle_kind { BUNDLE_KIND_POLICY = 1, BUNDLE_KIND_KEYRING = 2 };

/* Why a bundle was refused (or what went wrong around it). */
enum bundle_reason {
	BUNDLE_OK,
	BUNDLE_E_MALFORMED,
	BUNDLE_E_TOO_LARGE,
	BUNDLE_E_TRAILING,
	BUNDLE_E_NO_SIGNATURE,
	BUNDLE_E_BAD_SIGNATURE,
	BUNDLE_E_THRESHOLD,
	BUNDLE_E_UNKNOWN_KEY,
	BUNDLE_E_DEV_KEY,
	BUNDLE_E_ROLLBACK,
	BUNDLE_E_INCOMPATIBLE,
	BUNDLE_E_EXPIRED,
	BUNDLE_E_HASH,
	BUNDLE_E_CRITICAL,
	BUNDLE_E_POLICY,
	BUNDLE_E_PENDING,
	BUNDLE_E_NOTHING,
	BUNDLE_E_IO,
	BUNDLE_E__COUNT
};

/* What happened, for the EV_SYSTEM event the caller writes. */
enum bundle_event {
	BUNDLE_EV_INSTALLED,
	BUNDLE_EV_REFUSED,
	BUNDLE_EV_CONFIRMED,
	BUNDLE_EV_REVERTED,	/* the confirm timer ran out */
	BUNDLE_EV_ROLLED_BACK,	/* `bundle rollback` */
	BUNDLE_EV_KEYRING,	/* a keyring update was installed */
	BUNDLE_EV_LOADED,	/* the bundle in force was applied at start */
};

struct bundle_result {
	enum bundle_event event;
	enum bundle_reason reason;
	uint64_t version;	/* of the bundle concerned, 0 when unknown */
	char detail[160];	/* human text: "rollback: version 3 is not above 5" */
};

const char *bundle_reason_name(enum bundle_reason r);	/* "rollback", "expired", ... */
const char *bundle_event_name(enum bundle_event e);	/* "bundle-installed", ... */
/* One line for an event's reason: "bundle-refused v3: rollback: ...". */
int bundle_result_text(const struct bundle_result *r, char *buf, size_t size);

/* --- parsed view ----------------------------------------------------- */

struct bundle_payload {
	char name[BUNDLE_NAME_MAX + 1];
	uint32_t size;
	uint8_t sha256[32];
	const uint8_t *data;	/* into the bundle buffer; set once the hashes are checked */
};

struct bundle_manifest {
	uint16_t format;
	uint8_t kind;
	uint8_t threshold;	/* keyring bundles: the new M of M-of-N */
	uint64_t version;
	uint64_t created;
	uint64_t expires;	/* 0: never */
	char compatible[BUNDLE_COMPAT_MAX + 1];
	char comment[256];
	unsigned npayloads;
	struct bundle_payload payload[BUNDLE_MAX_PAYLOADS];
};

struct bundle_sig {
	uint8_t keyid[BUNDLE_KEYID_LEN];
	const uint8_t *der;
	uint16_t der_len;
};

/* Borrows the buffer it was parsed from. */
struct bundle_view {
	const uint8_t *manifest;
	uint32_t manifest_len;
	const uint8_t *blob;		/* every payload, in manifest order */
	uint32_t blob_len;
	unsigned nsigs;
	struct bundle_sig sig[BUNDLE_MAX_SIGS];
	struct bundle_manifest m;
};

/* The container's framing only: no signature checked, manifest unread.
 * Returns 0 or -EBADMSG with res->reason set. */
int bundle_parse_container(const uint8_t *buf, size_t len, struct bundle_view *v,
			   struct bundle_result *res);
/* The manifest TLV, strictly: 0 or -EBADMSG with res->reason set. */
int bundle_parse_manifest(const uint8_t *buf, size_t len, struct bundle_manifest *m,
			  struct bundle_result *res);
/* Sizes and SHA-256 of every payload against the manifest; sets data. */
int bundle_check_payloads(struct bundle_view *v, struct bundle_result *res);
const struct bundle_payload *bundle_payload_find(const struct bundle_view *v, const char *name);

/* --- keys ------------------------------------------------------------ */

struct bundle_keyring;

/* Every *.pub (PEM SubjectPublicKeyInfo, P-256) in dir; a name starting
 * with "dev-" marks a development key. A `threshold` file, written by a
 * keyring update, overrides default_threshold. NULL with errno set (and a
 * line on diag, which may be NULL) on any bad key file. */
struct bundle_keyring *bundle_keyring_load(const char *dir, unsigned default_threshold, FILE *diag);
void bundle_keyring_free(struct bundle_keyring *kr);
unsigned bundle_keyring_threshold(const struct bundle_keyring *kr);
unsigned bundle_keyring_count(const struct bundle_keyring *kr);
/* Key id of a PEM public or private key: 0 or -errno. */
int bundle_keyid_pem(const char *path, uint8_t id[BUNDLE_KEYID_LEN]);
int bundle_unhex(const char *s, uint8_t *out, size_t n);

/* --- verification (host tool and device) ----------------------------- */

struct bundle_check {
	const struct bundle_keyring *keyring;
	unsigned threshold;		/* 0: the keyring's */
	bool release;			/* refuse development keys */
	bool have_installed;
	uint64_t installed_version;	/* must be strictly exceeded */
	const char *compatible;		/* NULL: not checked (host tool only) */
	uint64_t now;			/* unix seconds, for expiry */
};

/* The whole pipeline: framing, size cap, signatures over the manifest
 * bytes against the keyring and threshold, then the manifest, version,
 * compatible, expiry, and every payload hash. The payloads themselves are
 * not interpreted. 0, or -EPERM/-EBADMSG with res filled. */
int bundle_verify(const uint8_t *buf, size_t len, const struct bundle_check *chk,
		  struct bundle_view *v, struct bundle_result *res);

/* --- building (host tool) -------------------------------------------- */

/* Serializes m (payload sizes and hashes taken from data) into a new
 * malloc'ed manifest. 0 or -errno. */
int bundle_build_manifest(const struct bundle_manifest *m, uint8_t **out, size_t *len);
/* Writes a container; blob is the payloads concatenated. 0 or -errno. */
int bundle_write(FILE *f, const struct bundle_view *v);
int bundle_keygen(const char *base);	/* BASE.key, BASE.pub */
/* ECDSA P-256/SHA-256 over data with a PEM private key; DER out. */
int bundle_sign_data(const char *keyfile, const uint8_t *data, size_t len,
		     uint8_t sig[BUNDLE_SIG_MAX], size_t *siglen, uint8_t keyid[BUNDLE_KEYID_LEN]);
/* Reads a whole file (at most max bytes) into a new buffer. 0 or -errno;
 * -EFBIG when longer. */
int bundle_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/* --- device store ---------------------------------------------------- */

struct bundle_trust {
	const char *keyring_dir;	/* factory keys; a rotation lives in the state dir */
	unsigned threshold;		/* M of M-of-N, until a keyring update says otherwise */
	const char *compatible;		/* this box's device class */
	bool release;			/* IS_ENABLED(CONFIG_BUNDLE_RELEASE) */
};

struct bundle_hooks {
	/* Compile policy text and swap it in; 0, or -errno with err filled.
	 * It must leave the policy in force untouched when it fails. */
	int (*apply)(void *ctx, const char *text, size_t len, char *err, size_t errlen);
	/* Every install, refusal, confirm, revert: the caller's EV_SYSTEM. */
	void (*event)(void *ctx, const struct bundle_result *r);
	uint64_t (*now)(void *ctx);	/* NULL: time(NULL); expiry dates only */
	void *ctx;
	/* The confirm deadline's clock and which boot it counts in (the
	 * host tool simulates one boot on its --now clock). NULL:
	 * sw_boot_now(), sw_boot_id() (bootclock.h). */
	uint64_t (*boot_now)(void *ctx);
	uint64_t (*boot_id)(void *ctx);
};

struct bundle_store;

/* Opens (creating) state_dir, finishes or undoes an install that power
 * loss interrupted, and reads the anti-rollback floor. Nothing is applied
 * yet: call bundle_store_load(). NULL with errno set. */
struct bundle_store *bundle_store_open(const char *state_dir, const struct bundle_trust *t,
				       const struct bundle_hooks *h);
void bundle_store_close(struct bundle_store *s);
/* Applies the bundle in force (at start). -ENOENT when none is installed:
 * the daemon then uses its --policy file. */
int bundle_store_load(struct bundle_store *s, struct bundle_result *res);
/* Copies path into the state dir (size-capped), verifies, applies, then
 * commits. confirm_s > 0: reverts by itself unless bundle_confirm() is
 * called within confirm_s seconds. 0 or -errno; res says why always. */
int bundle_install(struct bundle_store *s, const char *path, unsigned confirm_s,
		   struct bundle_result *res);
/* The same from an open file (a control client passed it; name is for
 * messages). Reads fd from where it is; does not close it. */
int bundle_install_fd(struct bundle_store *s, int fd, const char *name, unsigned confirm_s,
		      struct bundle_result *res);
int bundle_confirm(struct bundle_store *s, struct bundle_result *res);
/* Back to the last known good bundle. */
int bundle_rollback(struct bundle_store *s, struct bundle_result *res);
/* Call about once a second: reverts when the confirm timer has run out.
 * Returns 1 when it reverted, 0 when nothing was due, -errno. */
int bundle_tick(struct bundle_store *s, uint64_t now_s);
/* now_s for bundle_tick: the hooks' boot_now. */
uint64_t bundle_boot_now(const struct bundle_store *s);
int bundle_status(const struct bundle_store *s, FILE *json_out);
/* The policy text in force (borrowed until the next install/rollback), or
 * -ENOENT. Any other payload of it by name. */
int bundle_current_payload(const struct bundle_store *s, const char *name,
			   const uint8_t **data, size_t *len);

#endif
