/* Private to src/bundle: the wire constants and helpers shared by the
 * parser, the writer and the store. docs/bundle.md is the reference. */
#ifndef SCANWALL_BUNDLE_INTERNAL_H
#define SCANWALL_BUNDLE_INTERNAL_H

#include <stdarg.h>

#include "scanwall/bundle.h"
#include "scanwall/digest.h"
#include "scanwall/fileio.h"

#define BUNDLE_MAGIC "SWBUNDLE"
#define BUNDLE_MAGIC_LEN 8
#define BUNDLE_CONTAINER_FORMAT 1
#define BUNDLE_MANIFEST_FORMAT 1

/* Manifest field tags. */
enum {
	BT_FORMAT = 1,
	BT_KIND = 2,
	BT_VERSION = 3,
	BT_COMPATIBLE = 4,
	BT_CREATED = 5,
	BT_EXPIRES = 6,
	BT_PAYLOAD = 7,
	BT_THRESHOLD = 8,
	BT_COMMENT = 9,
};
#define BF_CRITICAL 0x01

/* Fills res and returns err: the one way every check reports. */
int bundle_fail(struct bundle_result *res, enum bundle_reason r, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

bool bundle_name_ok(const char *s, size_t len);

/* Key lookup and one signature check, for bundle_verify(). */
struct bundle_key;
const struct bundle_key *bundle_keyring_find(const struct bundle_keyring *kr,
					     const uint8_t id[BUNDLE_KEYID_LEN]);
bool bundle_key_is_dev(const struct bundle_key *k);
/* Keys whose signatures count: all, or all but dev- keys in release. */
unsigned bundle_keyring_usable(const struct bundle_keyring *kr, bool release);
int bundle_key_verify(const struct bundle_key *k, const uint8_t hash[32],
		      const uint8_t *sig, size_t len);

/* Durable names relative to a directory fd (whole files: sw_write_atomic
 * in scanwall/fileio.h): the name reaches the disk before we report success. */
int bundle_fsync_dir(int dirfd);
int bundle_link_atomic(int dirfd, const char *name, const char *target);
int bundle_readlink(int dirfd, const char *name, char *buf, size_t size);

#endif
