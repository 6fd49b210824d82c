/* Going back, as Junos `commit confirmed` does: an install with a confirm
 * time is reverted to the last known good bundle unless confirmed, so a
 * policy that cuts the operators off undoes itself. Reverting never lowers
 * the anti-rollback floor: the reverted bundle cannot be installed again,
 * its fix must come with a new version. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "bundle/store.h"
#include "scanwall/jsonw.h"

static int go_back(struct bundle_store *s, enum bundle_event ev, struct bundle_result *res)
{
	char target[64];
	struct slot prev;
	int err;

	memset(res, 0, sizeof(*res));
	res->version = s->cur.buf ? s->cur.v.m.version : 0;
	if (bundle_readlink(s->dirfd, ST_PREVIOUS, target, sizeof(target)) ||
	    !s->cur.buf || !strcmp(target, s->cur.name))
		return bundle_fail(res, BUNDLE_E_NOTHING, -ENOENT, "no earlier bundle kept");
	err = store_slot_read(s, target, &prev);
	if (err)
		return bundle_fail(res, BUNDLE_E_IO, err, "%s unreadable", target);
	err = store_apply(s, &prev, res);
	if (!err)
		err = bundle_link_atomic(s->dirfd, ST_CURRENT, prev.name);
	if (!err && unlinkat(s->dirfd, ST_PENDING, 0) && errno != ENOENT)
		err = -errno;
	if (!err)
		err = bundle_fsync_dir(s->dirfd);
	if (err) {
		store_slot_free(&prev);
		return res->reason ? err : bundle_fail(res, BUNDLE_E_IO, err, "%s", strerror(-err));
	}
	snprintf(res->detail, sizeof(res->detail), "back to version %" PRIu64 " from %" PRIu64,
		 prev.v.m.version, res->version);
	res->event = ev;
	res->version = prev.v.m.version;
	store_slot_free(&s->cur);
	s->cur = prev;
	s->pending = false;
	store_cleanup(s);
	return 0;
}

int bundle_rollback(struct bundle_store *s, struct bundle_result *res)
{
	return store_done(s, res, go_back(s, BUNDLE_EV_ROLLED_BACK, res));
}

int bundle_tick(struct bundle_store *s, uint64_t now_s)
{
	struct bundle_result res;
	int err;

	if (!s->pending || now_s < s->deadline)
		return 0;
	err = go_back(s, BUNDLE_EV_REVERTED, &res);
	if (err == -ENOENT) {
		/* The first bundle ever has nothing to go back to: there is no
		 * known good to restore, so it stays, and says so. */
		unlinkat(s->dirfd, ST_PENDING, 0);
		s->pending = false;
		res.event = BUNDLE_EV_REVERTED;
	}
	store_done(s, &res, err);
	return err ? err : 1;
}

int bundle_confirm(struct bundle_store *s, struct bundle_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!s->pending)
		return bundle_fail(res, BUNDLE_E_NOTHING, -ENOENT, "no install awaits confirm");
	res->version = s->pending_version;
	if (unlinkat(s->dirfd, ST_PENDING, 0) || bundle_fsync_dir(s->dirfd))
		return store_done(s, res, bundle_fail(res, BUNDLE_E_IO, -errno, "%s", strerror(errno)));
	s->pending = false;
	res->event = BUNDLE_EV_CONFIRMED;
	snprintf(res->detail, sizeof(res->detail), "confirmed");
	return store_done(s, res, 0);
}

static void slot_json(struct sbuf *w, const char *key, const struct slot *sl)
{
	const struct bundle_payload *p;
	char hex[65];

	sb_put(w, "\"%s\":", key);
	if (!sl || !sl->buf) {
		sb_put(w, "null");
		return;
	}
	p = bundle_payload_find(&sl->v, BUNDLE_POLICY_NAME);
	sw_hex(p->sha256, 32, hex);
	jw_ku64(w, "{", "version", sl->v.m.version);
	jw_kstr(w, ",", "compatible", sl->v.m.compatible);
	jw_ku64(w, ",", "created", sl->v.m.created);
	jw_kstr(w, ",", "policy_sha256", hex);
	sb_put(w, "}");
}

int bundle_status(const struct bundle_store *s, FILE *out)
{
	struct bundle_store *st = (struct bundle_store *)s;	/* store_slot_read only reads */
	struct sbuf w = { .f = out };
	struct slot prev = { 0 };
	char target[64];
	uint64_t now;

	if (!bundle_readlink(s->dirfd, ST_PREVIOUS, target, sizeof(target)) &&
	    (!s->cur.buf || strcmp(target, s->cur.name)))
		store_slot_read(st, target, &prev);
	jw_ku64(&w, "{", "installed_version", s->floor);
	sb_put(&w, ",");
	slot_json(&w, "current", &s->cur);
	sb_put(&w, ",");
	slot_json(&w, "previous", &prev);
	sb_put(&w, ",\"pending\":");
	if (s->pending) {
		now = bundle_boot_now(s);
		jw_ku64(&w, "{", "version", s->pending_version);
		jw_ku64(&w, ",", "left_s", s->deadline > now ? s->deadline - now : 0);
		sb_put(&w, "}");
	} else {
		sb_put(&w, "null");
	}
	sb_put(&w, ",\"keyring\":{\"keys\":%u,\"threshold\":%u}}\n",
	       bundle_keyring_count(s->kr), bundle_keyring_threshold(s->kr));
	store_slot_free(&prev);
	return w.err || ferror(out) ? -EIO : 0;
}
