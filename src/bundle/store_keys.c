/* Key rotation: a keyring bundle, signed by a threshold of the keys in
 * force, replaces them (TUF's root rotation). The new keys are written to
 * keys-N/ beside the old, loaded back to prove they are usable and meet
 * their own threshold, and only then does the `keyring` symlink move: a
 * bad rotation can not leave the box without keys that can sign. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/store.h"

static bool is_pub(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, ".pub");
}

static int write_keys(int fd, const struct bundle_view *v)
{
	char buf[8];
	int err = 0;

	for (unsigned i = 0; !err && i < v->m.npayloads; i++) {
		const struct bundle_payload *p = &v->m.payload[i];

		err = is_pub(p->name) ? sw_write_atomic(fd, p->name, p->data, p->size, 0600, 0) : -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%u\n", v->m.threshold);
	return err ? err : sw_write_atomic(fd, "threshold", buf, strlen(buf), 0600, 0);
}

/* Usable: every key parses, and enough of them count in this build. */
static int check_keys(struct bundle_store *s, const char *dir, unsigned threshold)
{
	struct bundle_keyring *kr = bundle_keyring_load(dir, threshold, NULL);
	unsigned usable;

	if (!kr)
		return -errno;
	usable = bundle_keyring_usable(kr, s->release);
	bundle_keyring_free(kr);
	return usable >= threshold ? 0 : -ERANGE;
}

static int stage(struct bundle_store *s, const struct bundle_view *v, const char *name)
{
	char tmp[80], path[4096];
	int fd, err;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if (mkdirat(s->dirfd, tmp, 0700) && errno != EEXIST)
		return -errno;
	fd = openat(s->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = write_keys(fd, v);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s", s->dir, tmp);
	if (!err)
		err = check_keys(s, path, v->m.threshold);
	if (!err && renameat(s->dirfd, tmp, s->dirfd, name))
		err = -errno;
	return err ? err : bundle_fsync_dir(s->dirfd);
}

int store_install_keyring(struct bundle_store *s, struct bundle_view *v, struct bundle_result *res)
{
	char name[64];
	int err;

	snprintf(name, sizeof(name), "keys-%" PRIu64, v->m.version);
	err = stage(s, v, name);
	if (err)
		return bundle_fail(res, BUNDLE_E_MALFORMED, err, "new keyring unusable: %s",
				   strerror(-err));
	store_crash_point(3);
	err = bundle_link_atomic(s->dirfd, ST_KEYRING, name);
	store_crash_point(6);
	if (!err)
		err = store_write_u64s(s, ST_VERSION, &v->m.version, 1);
	if (!err)
		err = store_reload_keyring(s);
	if (err)
		return bundle_fail(res, BUNDLE_E_IO, err, "keyring: %s", strerror(-err));
	s->floor = v->m.version;
	store_cleanup(s);
	res->event = BUNDLE_EV_KEYRING;
	res->reason = BUNDLE_OK;
	snprintf(res->detail, sizeof(res->detail), "%u keys, threshold %u",
		 bundle_keyring_count(s->kr), bundle_keyring_threshold(s->kr));
	return 0;
}
