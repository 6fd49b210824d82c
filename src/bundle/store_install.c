/* Installing a bundle on the device.
 *
 * The upload is copied into the state dir first (the caller's file may be
 * on removable or shared storage and change under us), verified from that
 * private copy, applied (compiled and swapped in by the engine), and only
 * then committed by moving two symlinks. Every step leaves the directory
 * in a state that bundle_store_open() reads as "old bundle in force" or
 * "new bundle in force"; the numbered crash points mark those steps and
 * the power-loss test kills the process at each. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/store.h"

static int copy_in(struct bundle_store *s, int fd, const char *name, uint8_t **buf,
		   size_t *len, struct bundle_result *res)
{
	char *p = NULL;
	int err = sw_read_fd(fd, BUNDLE_MAX_SIZE, &p, len);

	*buf = (uint8_t *)p;
	if (err == -EFBIG)
		return bundle_fail(res, BUNDLE_E_TOO_LARGE, err, "over %u bytes", BUNDLE_MAX_SIZE);
	if (err)
		return bundle_fail(res, BUNDLE_E_IO, err, "%s: %s", name, strerror(-err));
	err = sw_write_atomic(s->dirfd, ST_INCOMING, *buf, *len, 0600, 0);
	if (err) {
		free(*buf);
		return bundle_fail(res, BUNDLE_E_IO, err, "copy: %s", strerror(-err));
	}
	store_crash_point(1);
	return 0;
}

static int verify(struct bundle_store *s, const uint8_t *buf, size_t len,
		  struct bundle_view *v, struct bundle_result *res)
{
	struct bundle_check chk = {
		.keyring = s->kr, .release = s->release, .have_installed = true,
		.installed_version = s->floor, .compatible = s->compatible, .now = store_now(s),
	};

	return bundle_verify(buf, len, &chk, v, res);
}

/* Steps 3-8: make the applied bundle the one in force, durably. */
static int commit(struct bundle_store *s, struct slot *next, unsigned confirm_s)
{
	uint64_t deadline = bundle_boot_now(s) + confirm_s;
	uint64_t pending[3] = { next->v.m.version, deadline, store_boot_id(s) };
	int err;

	snprintf(next->name, sizeof(next->name), "slot-%" PRIu64 ".swb", next->v.m.version);
	if (renameat(s->dirfd, ST_INCOMING, s->dirfd, next->name))
		return -errno;
	err = bundle_fsync_dir(s->dirfd);
	store_crash_point(3);
	if (!err && confirm_s)
		err = store_write_u64s(s, ST_PENDING, pending, 3);
	store_crash_point(4);
	if (!err && s->cur.buf)
		err = bundle_link_atomic(s->dirfd, ST_PREVIOUS, s->cur.name);
	store_crash_point(5);
	if (!err)
		err = bundle_link_atomic(s->dirfd, ST_CURRENT, next->name);
	store_crash_point(6);
	if (!err)
		err = store_write_u64s(s, ST_VERSION, &next->v.m.version, 1);
	store_crash_point(7);
	if (!err) {
		s->floor = next->v.m.version;
		s->pending = confirm_s > 0;
		s->pending_version = next->v.m.version;
		s->deadline = deadline;
	}
	return err;
}

/* The engine already runs the new policy; put the old one back. */
static void unapply(struct bundle_store *s)
{
	struct bundle_result ignored;

	if (s->cur.buf)
		store_apply(s, &s->cur, &ignored);
}

static int install_policy(struct bundle_store *s, struct slot *next, unsigned confirm_s,
			  struct bundle_result *res)
{
	int err = store_apply(s, next, res);

	store_crash_point(2);
	if (err)
		return err;
	err = commit(s, next, confirm_s);
	if (err) {
		unapply(s);
		return bundle_fail(res, BUNDLE_E_IO, err, "commit: %s", strerror(-err));
	}
	store_slot_free(&s->cur);
	s->cur = *next;
	next->buf = NULL;
	store_cleanup(s);
	store_crash_point(8);
	res->event = BUNDLE_EV_INSTALLED;
	res->reason = BUNDLE_OK;
	snprintf(res->detail, sizeof(res->detail), "installed%s",
		 confirm_s ? ", awaiting confirm" : "");
	return 0;
}

int bundle_install_fd(struct bundle_store *s, int fd, const char *name, unsigned confirm_s,
		      struct bundle_result *res)
{
	struct slot next;
	int err;

	memset(res, 0, sizeof(*res));
	memset(&next, 0, sizeof(next));
	if (s->pending)
		return store_done(s, res, bundle_fail(res, BUNDLE_E_PENDING, -EBUSY,
			"version %" PRIu64 " is not confirmed yet", s->pending_version));
	err = copy_in(s, fd, name, &next.buf, &next.len, res);
	if (err)
		return store_done(s, res, err);
	err = verify(s, next.buf, next.len, &next.v, res);
	if (!err && next.v.m.kind == BUNDLE_KIND_KEYRING)
		err = store_install_keyring(s, &next.v, res);
	else if (!err)
		err = install_policy(s, &next, confirm_s, res);
	if (err)
		res->event = BUNDLE_EV_REFUSED;
	unlinkat(s->dirfd, ST_INCOMING, 0);
	store_slot_free(&next);
	return store_done(s, res, err);
}

int bundle_install(struct bundle_store *s, const char *path, unsigned confirm_s,
		   struct bundle_result *res)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), err;

	if (fd < 0) {
		memset(res, 0, sizeof(*res));
		err = bundle_fail(res, BUNDLE_E_IO, -errno, "%s: %s", path, strerror(errno));
		return store_done(s, res, err);
	}
	err = bundle_install_fd(s, fd, path, confirm_s, res);
	close(fd);
	return err;
}
