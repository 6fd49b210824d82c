/* The device store: the state directory, reopening it after power loss,
 * and what is in force. Installing is store_install.c, going back is
 * store_revert.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scanwall/bootclock.h"
#include "bundle/store.h"
#include "scanwall/config.h"

void store_crash_point(int k)
{
	const char *at;

	if (IS_ENABLED(CONFIG_BUNDLE_RELEASE))
		return;
	at = getenv("SCANWALL_BUNDLE_CRASH_AT");
	if (at && atoi(at) == k)
		_exit(1);
}

uint64_t store_now(const struct bundle_store *s)
{
	return s->hooks.now ? s->hooks.now(s->hooks.ctx) : (uint64_t)time(NULL);
}

uint64_t bundle_boot_now(const struct bundle_store *s)
{
	return s->hooks.boot_now ? s->hooks.boot_now(s->hooks.ctx) : sw_boot_now();
}

uint64_t store_boot_id(const struct bundle_store *s)
{
	return s->hooks.boot_id ? s->hooks.boot_id(s->hooks.ctx) : sw_boot_id();
}

int store_done(struct bundle_store *s, struct bundle_result *res, int err)
{
	if (s->hooks.event)
		s->hooks.event(s->hooks.ctx, res);
	return err;
}

/* A slot was verified (signatures included) when it was installed; here
 * only its integrity is re-checked, so a torn or rotted file is never
 * applied, and a key rotation does not orphan the bundle in force. */
int store_slot_read(struct bundle_store *s, const char *name, struct slot *out)
{
	struct bundle_result res;
	char path[4096];
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	err = bundle_read_file(path, BUNDLE_MAX_SIZE, &out->buf, &out->len);
	if (!err)
		err = bundle_parse_container(out->buf, out->len, &out->v, &res);
	if (!err)
		err = bundle_parse_manifest(out->v.manifest, out->v.manifest_len, &out->v.m, &res);
	if (!err)
		err = bundle_check_payloads(&out->v, &res);
	if (!err && out->v.m.kind != BUNDLE_KIND_POLICY)
		err = -EBADMSG;
	if (err)
		store_slot_free(out);
	return err;
}

void store_slot_free(struct slot *sl)
{
	free(sl->buf);
	sl->buf = NULL;
	sl->len = 0;
}

int store_apply(struct bundle_store *s, const struct slot *sl, struct bundle_result *res)
{
	const struct bundle_payload *p = bundle_payload_find(&sl->v, BUNDLE_POLICY_NAME);
	char err[128] = "";
	int rc;

	if (!s->hooks.apply)
		return 0;
	rc = s->hooks.apply(s->hooks.ctx, (const char *)p->data, p->size, err, sizeof(err));
	if (rc)
		return bundle_fail(res, BUNDLE_E_POLICY, rc < 0 ? rc : -EINVAL, "%s", err);
	return 0;
}

int store_write_u64s(struct bundle_store *s, const char *name, const uint64_t *v, unsigned n)
{
	char buf[72];
	size_t len = 0;
	unsigned i;

	for (i = 0; i < n && i < 3; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%" PRIu64, i ? " " : "",
					v[i]);
	buf[len++] = '\n';
	return sw_write_atomic(s->dirfd, name, buf, len, 0600, 0);
}

/* Up to three numbers; those missing are 0. */
static int read_u64s(struct bundle_store *s, const char *name, uint64_t v[3])
{
	char buf[64] = "";
	int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	v[0] = v[1] = v[2] = 0;
	if (n <= 0 || sscanf(buf, "%" SCNu64 " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2]) < 1)
		return -EBADMSG;
	return 0;
}

/* A rotated keyring in the state dir replaces the factory one. */
int store_reload_keyring(struct bundle_store *s)
{
	char target[64], path[4096];
	struct bundle_keyring *kr;

	if (bundle_readlink(s->dirfd, ST_KEYRING, target, sizeof(target)) == 0)
		snprintf(path, sizeof(path), "%s/%s", s->dir, target);
	else
		snprintf(path, sizeof(path), "%s", s->keyring_dir);
	kr = bundle_keyring_load(path, s->threshold, NULL);
	if (!kr)
		return -errno;
	bundle_keyring_free(s->kr);
	s->kr = kr;
	return 0;
}

/* The version a rotated keyring came with: "keys-N". */
static uint64_t keyring_version(struct bundle_store *s)
{
	char target[64];

	if (bundle_readlink(s->dirfd, ST_KEYRING, target, sizeof(target)) ||
	    strncmp(target, "keys-", 5))
		return 0;
	return strtoull(target + 5, NULL, 10);
}

static bool referenced(struct bundle_store *s, const char *name)
{
	static const char *const links[] = { ST_CURRENT, ST_PREVIOUS, ST_KEYRING };
	char target[64];

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (!bundle_readlink(s->dirfd, links[i], target, sizeof(target)) &&
		    !strcmp(target, name))
			return true;
	return false;
}

static void remove_tree(int dirfd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (!unlinkat(dirfd, name, 0) || errno != EISDIR)
		return;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (d = fdopendir(fd))) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(fd, de->d_name, 0);
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* NAME.tmp of sw_write_atomic, .NAME.tmp of a link or a key stage. */
static bool is_tmp(const char *n)
{
	size_t len = strlen(n);

	return len > 4 && !strcmp(n + len - 4, ".tmp");
}

/* Slots and keyrings nothing points at, and temporaries of an install
 * that power loss cut short. Best effort: leftovers cost only space. */
void store_cleanup(struct bundle_store *s)
{
	int fd = dup(s->dirfd);
	struct dirent *de;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		const char *n = de->d_name;

		if ((!strncmp(n, "slot-", 5) || !strncmp(n, "keys-", 5)) && !referenced(s, n))
			remove_tree(s->dirfd, n);
		else if (!strcmp(n, ST_INCOMING) || is_tmp(n))
			remove_tree(s->dirfd, n);
	}
	closedir(d);
	bundle_fsync_dir(s->dirfd);
}

/* current, else previous (a slot that fails its hashes is never used). */
static void load_current(struct bundle_store *s)
{
	char target[64];

	if (!bundle_readlink(s->dirfd, ST_CURRENT, target, sizeof(target)) &&
	    !store_slot_read(s, target, &s->cur))
		return;
	if (!bundle_readlink(s->dirfd, ST_PREVIOUS, target, sizeof(target)) &&
	    !store_slot_read(s, target, &s->cur))
		bundle_link_atomic(s->dirfd, ST_CURRENT, target);
}

static void recover(struct bundle_store *s)
{
	uint64_t v[3], a;

	if (!read_u64s(s, ST_VERSION, v))
		s->floor = v[0];
	load_current(s);
	if (s->cur.buf && s->cur.v.m.version > s->floor)
		s->floor = s->cur.v.m.version;
	a = keyring_version(s);
	if (a > s->floor)
		s->floor = a;
	/* A pending file guards the bundle it names; if power failed before
	 * that bundle became current, there is nothing to confirm. Its
	 * deadline counts on this boot's clock; one of another boot (or of
	 * a store from before boots were named) has passed: the box was
	 * restarted before the confirm, and an unconfirmed bundle is not
	 * known good. How long it was off nobody knows without a wall clock
	 * to trust, and a power cycle is what a cut-off operator has. */
	if (!read_u64s(s, ST_PENDING, v) && s->cur.buf && s->cur.v.m.version == v[0]) {
		s->pending = true;
		s->pending_version = v[0];
		s->deadline = v[2] == store_boot_id(s) ? v[1] : 0;
	} else {
		unlinkat(s->dirfd, ST_PENDING, 0);
	}
	store_cleanup(s);
}

static int store_init(struct bundle_store *s, const char *dir, const struct bundle_trust *t,
		      const struct bundle_hooks *h)
{
	s->dirfd = -1;
	s->dir = strdup(dir);
	s->keyring_dir = strdup(t->keyring_dir ? t->keyring_dir : "");
	s->compatible = strdup(t->compatible ? t->compatible : "");
	if (!s->dir || !s->keyring_dir || !s->compatible)
		return -ENOMEM;
	s->threshold = t->threshold;
	s->release = t->release;
	if (h)
		s->hooks = *h;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return s->dirfd < 0 ? -errno : 0;
}

struct bundle_store *bundle_store_open(const char *state_dir, const struct bundle_trust *t,
				       const struct bundle_hooks *h)
{
	struct bundle_store *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	err = store_init(s, state_dir, t, h);
	if (!err)
		err = store_reload_keyring(s);
	if (err)
		goto out_close;
	recover(s);
	return s;
out_close:
	bundle_store_close(s);
	errno = -err;
	return NULL;
}

void bundle_store_close(struct bundle_store *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	store_slot_free(&s->cur);
	bundle_keyring_free(s->kr);
	free(s->dir);
	free(s->keyring_dir);
	free(s->compatible);
	free(s);
}

int bundle_store_load(struct bundle_store *s, struct bundle_result *res)
{
	int err;

	memset(res, 0, sizeof(*res));
	if (!s->cur.buf)
		return -ENOENT;
	res->version = s->cur.v.m.version;
	err = store_apply(s, &s->cur, res);
	if (!err)
		res->event = BUNDLE_EV_LOADED;
	return store_done(s, res, err);
}

int bundle_current_payload(const struct bundle_store *s, const char *name,
			   const uint8_t **data, size_t *len)
{
	const struct bundle_payload *p;

	if (!s->cur.buf || !(p = bundle_payload_find(&s->cur.v, name)))
		return -ENOENT;
	*data = p->data;
	*len = p->size;
	return 0;
}
