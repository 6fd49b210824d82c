/* Private to the device store (store*.c): its state and the steps shared
 * by install, revert and open. */
#ifndef SCANWALL_BUNDLE_STORE_H
#define SCANWALL_BUNDLE_STORE_H

#include "bundle/internal.h"

/* Names inside the state directory (docs/bundle.md, "On the device"). */
#define ST_CURRENT "current"		/* symlink -> slot-N.swb, the bundle in force */
#define ST_PREVIOUS "previous"		/* symlink -> slot-N.swb, the last known good */
#define ST_KEYRING "keyring"		/* symlink -> keys-N, after a rotation */
#define ST_VERSION "installed-version"	/* anti-rollback floor, decimal */
#define ST_PENDING "pending"		/* "VERSION DEADLINE BOOT": awaiting confirm */
#define ST_INCOMING "incoming"		/* the private copy of an upload */

/* A bundle read back from a slot: owns its buffer. */
struct slot {
	char name[64];
	uint8_t *buf;
	size_t len;
	struct bundle_view v;
};

struct bundle_store {
	int dirfd;
	char *dir, *keyring_dir, *compatible;
	unsigned threshold;
	bool release;
	struct bundle_hooks hooks;
	struct bundle_keyring *kr;
	uint64_t floor;			/* highest version ever installed */
	struct slot cur;		/* cur.buf NULL: no bundle installed */
	bool pending;
	uint64_t pending_version;
	uint64_t deadline;		/* boot clock (bundle_boot_now) seconds */
};

int store_slot_read(struct bundle_store *s, const char *name, struct slot *out);
void store_slot_free(struct slot *sl);
int store_apply(struct bundle_store *s, const struct slot *sl, struct bundle_result *res);
/* n (1 to 3) numbers on one line */
int store_write_u64s(struct bundle_store *s, const char *name, const uint64_t *v, unsigned n);
int store_reload_keyring(struct bundle_store *s);
uint64_t store_now(const struct bundle_store *s);
uint64_t store_boot_id(const struct bundle_store *s);
void store_cleanup(struct bundle_store *s);
/* Reports res through the event hook and hands err back. */
int store_done(struct bundle_store *s, struct bundle_result *res, int err);
/* Power-loss test hook: _exit(1) after step k when
 * SCANWALL_BUNDLE_CRASH_AT=k (not in release builds). */
void store_crash_point(int k);
int store_install_keyring(struct bundle_store *s, struct bundle_view *v, struct bundle_result *res);

#endif
