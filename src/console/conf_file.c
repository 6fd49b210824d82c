/* The console's files in STATE/console, and how they change.
 *
 * Power can go at any moment on a box in a cable run, so every file is
 * replaced whole by sw_write_atomic (scanwall/fileio.h): written to
 * NAME.tmp, fsync'd, renamed over the old one, and the directory fsync'd
 * so the rename itself is durable.
 * A commit keeps the running configuration readable at every instant:
 * the rollbacks shift up by renames, the old running file is hard-linked
 * as rollback 1, and only then is the new one renamed into place. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console/cons.h"
#include "scanwall/bootclock.h"
#include "scanwall/fileio.h"

#define CONF_FILE "config"
#define CONFIRM_FILE "confirm-deadline"
#define CONF_FILE_MAX 8192

int cons_store_init(struct cons_store *s, const char *state_dir)
{
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s/console", state_dir) >= sizeof(s->dir))
		return -ENAMETOOLONG;
	if (mkdir(state_dir, 0700) && errno != EEXIST)
		return -errno;
	if (mkdir(s->dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int cons_store_path(const struct cons_store *s, const char *name, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", s->dir, name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int cons_store_write(const struct cons_store *s, const char *name, const void *buf, size_t len)
{
	char path[600];
	int err = cons_store_path(s, name, path, sizeof(path));

	return err ? err : sw_write_atomic(AT_FDCWD, path, buf, len, 0600, 0);
}

int cons_store_read(const struct cons_store *s, const char *name, size_t max, char **buf,
		    size_t *len)
{
	char path[600];
	int err = cons_store_path(s, name, path, sizeof(path));

	return err ? err : sw_read_file(path, max, buf, len);
}

int cons_store_remove(const struct cons_store *s, const char *name)
{
	char path[600];
	int err = cons_store_path(s, name, path, sizeof(path));

	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return sw_sync_dir(AT_FDCWD, path);
}

static void conf_name(unsigned n, char *buf, size_t size)
{
	if (n)
		snprintf(buf, size, CONF_FILE ".%u", n);
	else
		snprintf(buf, size, CONF_FILE);
}

int conf_load(const struct cons_store *s, unsigned n, struct conf *c)
{
	char name[32], *text;
	size_t len;
	int err;

	if (n > CONS_ROLLBACKS)
		return -ERANGE;
	conf_name(n, name, sizeof(name));
	err = cons_store_read(s, name, CONF_FILE_MAX, &text, &len);
	if (err == -ENOENT && n == 0) {
		memset(c, 0, sizeof(*c));
		return 0;
	}
	if (err)
		return err;
	err = conf_parse(c, text, len);
	free(text);
	return err;
}

/* config.8 -> config.9, ..., config.1 -> config.2, then config.1 is a
 * second name of the running file. */
static int conf_rotate(const struct cons_store *s)
{
	char from[600], to[600], name[32];

	for (unsigned i = CONS_ROLLBACKS; i > 1; i--) {
		conf_name(i - 1, name, sizeof(name));
		cons_store_path(s, name, from, sizeof(from));
		conf_name(i, name, sizeof(name));
		cons_store_path(s, name, to, sizeof(to));
		if (rename(from, to) && errno != ENOENT)
			return -errno;
	}
	cons_store_path(s, CONF_FILE, from, sizeof(from));
	cons_store_path(s, CONF_FILE ".1", to, sizeof(to));
	if (unlink(to) && errno != ENOENT)
		return -errno;
	if (link(from, to) && errno != ENOENT)
		return -errno;
	return 0;
}

int conf_commit(const struct cons_store *s, const struct conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int err;

	if (!mem)
		return -errno;
	conf_print(c, mem);
	if (fclose(mem)) {
		free(text);
		return -ENOMEM;
	}
	err = conf_rotate(s);
	if (!err)
		err = cons_store_write(s, CONF_FILE, text, len);
	free(text);
	return err;
}

int conf_confirm_arm(const struct cons_store *s, time_t deadline)
{
	char buf[48];
	int n = snprintf(buf, sizeof(buf), "%lld %llu\n", (long long)deadline,
			 (unsigned long long)sw_boot_id());

	return cons_store_write(s, CONFIRM_FILE, buf, (size_t)n);
}

int conf_confirm_clear(const struct cons_store *s)
{
	return cons_store_remove(s, CONFIRM_FILE);
}

time_t conf_confirm_deadline(const struct cons_store *s)
{
	char *text, *end;
	size_t len;
	long long v;

	if (cons_store_read(s, CONFIRM_FILE, 64, &text, &len))
		return 0;
	v = strtoll(text, &end, 10);
	/* a damaged file still means "a commit awaits confirmation", and one
	 * of another boot (or none named) has had its time: revert */
	if (end == text || v <= 0 || strtoull(end, NULL, 10) != sw_boot_id())
		v = 1;
	free(text);
	return (time_t)v;
}

int conf_confirm_expire(const struct cons_store *s, time_t now)
{
	time_t deadline = conf_confirm_deadline(s);
	struct conf prev;
	int err;

	if (!deadline || now < deadline)
		return 0;
	err = conf_load(s, 1, &prev);
	if (err == -ENOENT)
		memset(&prev, 0, sizeof(prev));
	else if (err)
		return err;
	err = conf_commit(s, &prev);
	if (!err)
		err = conf_confirm_clear(s);
	return err ? err : 1;
}
