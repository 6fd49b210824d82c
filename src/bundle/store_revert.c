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

static void slot_json(FILE *f, const char *key, const struct slot *sl)
{
	const struct bundle_payload *p;
	char hex[65];

	if (!sl || !sl->buf) {
		fprintf(f, "\"%s\":null", key);
		return;
	}
	p = bundle_payload_find(&sl->v, BUNDLE_POLICY_NAME);
	sw_hex(p->sha256, 32, hex);
	fprintf(f, "\"%s\":{\"version\":%" PRIu64, key, sl->v.m.version);
	jw_kstr(SB_STREAM(f), ",", "compatible", sl->v.m.compatible);
	fprintf(f, ",\"created\":%" PRIu64 ",\"policy_sha256\":\"%s\"}", sl->v.m.created, hex);
}

int bundle_status(const struct bundle_store *s, FILE *out)
{
	struct bundle_store *w = (struct bundle_store *)s;	/* store_slot_read only reads */
	struct slot prev = { 0 };
	char target[64];

	if (!bundle_readlink(s->dirfd, ST_PREVIOUS, target, sizeof(target)) &&
	    (!s->cur.buf || strcmp(target, s->cur.name)))
		store_slot_read(w, target, &prev);
	fprintf(out, "{\"installed_version\":%" PRIu64 ",", s->floor);
	slot_json(out, "current", &s->cur);
	fputc(',', out);
	slot_json(out, "previous", &prev);
	if (s->pending)
		fprintf(out, ",\"pending\":{\"version\":%" PRIu64 ",\"left_s\":%" PRIu64 "}",
			s->pending_version,
			s->deadline > bundle_boot_now(s) ? s->deadline - bundle_boot_now(s) : 0);
	else
		fprintf(out, ",\"pending\":null");
	fprintf(out, ",\"keyring\":{\"keys\":%u,\"threshold\":%u}}\n",
		bundle_keyring_count(s->kr), bundle_keyring_threshold(s->kr));
	store_slot_free(&prev);
	return ferror(out) ? -EIO : 0;
}
