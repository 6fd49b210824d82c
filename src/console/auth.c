/* Console login: one password per unit, set by the technician at first
 * boot, kept as a yescrypt hash (libxcrypt: salted, deliberately slow,
 * the scheme Debian itself uses for /etc/shadow).
 *
 * Failures are counted in a file, not in memory: the console is respawned
 * by init after every session and a technician can power-cycle the box,
 * and neither may reset the count (lockout.c). */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanwall/bootclock.h"
#include "console/cons.h"

#define AUTH_PASSWD "passwd"
#define AUTH_TRIES_FIRST 3

/* A comparison that takes as long for a near miss as for a far one. */
static bool auth_same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int auth_hash(const char *pw, const char *setting, char *out, size_t size)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;
	int err = 0;

	if (!cd)
		return -ENOMEM;
	h = crypt_r(pw, setting, cd);
	if (!h || h[0] != '$' || strlen(h) >= size)
		err = -EINVAL;
	else
		strcpy(out, h);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return err;
}

static int auth_set(const struct cons_store *s, const char *pw)
{
	char hash[CRYPT_OUTPUT_SIZE + 1];
	char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	int err;

	if (!salt)
		return -errno;
	err = auth_hash(pw, salt, hash, sizeof(hash) - 1);
	free(salt);
	if (err)
		return err;
	strcat(hash, "\n");
	return cons_store_write(s, AUTH_PASSWD, hash, strlen(hash));
}

/* 1 when pw is the password, 0 when not, -errno when there is none. */
static int auth_check(const struct cons_store *s, const char *pw)
{
	char hash[CRYPT_OUTPUT_SIZE], *stored;
	size_t len;
	int err = cons_store_read(s, AUTH_PASSWD, CRYPT_OUTPUT_SIZE, &stored, &len);

	if (err)
		return err;
	stored[strcspn(stored, "\n")] = 0;
	err = auth_hash(pw, stored, hash, sizeof(hash));
	err = err ? 0 : auth_same(hash, stored);
	free(stored);
	return err;
}

static int auth_first_boot(struct cons *c, const struct cons_io *io)
{
	char a[CONS_LINE_MAX + 1], b[CONS_LINE_MAX + 1];
	int err = -EACCES;

	io->say(io->ctx, "First start: set the console password of this unit "
			 "(at least 10 characters).");
	for (int i = 0; i < AUTH_TRIES_FIRST; i++) {
		err = io->secret(io->ctx, "New password: ", a, sizeof(a));
		if (!err && strlen(a) < CONS_PASSWORD_MIN) {
			io->say(io->ctx, "Too short: at least 10 characters.");
			continue;
		}
		if (!err)
			err = io->secret(io->ctx, "Retype new password: ", b, sizeof(b));
		if (err)
			break;
		if (strcmp(a, b)) {
			io->say(io->ctx, "The passwords differ.");
			err = -EACCES;
			continue;
		}
		err = auth_set(&c->store, a);
		break;
	}
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	if (!err) {
		io->say(io->ctx, "Password set.");
		cons_event(&c->store, "console: password set at first start");
	}
	return err;
}

static void auth_failed(struct cons *c, const struct cons_io *io)
{
	unsigned failures = cons_lockout_fail(&c->store, sw_boot_now(), c->o.max_failures,
					      c->o.lockout_s);

	cons_event(&c->store, "console: login failed (%u of %u)",
		   failures ? failures : c->o.max_failures, c->o.max_failures);
	if (!failures)
		cons_event(&c->store, "console: locked for %u s after %u failed logins",
			   c->o.lockout_s, c->o.max_failures);
	io->say(io->ctx, "Login incorrect.");
	/* slows a guesser on the line down further than the hash does */
	io->pause(io->ctx, 1);
}

/* Waits out a lockout; the technician sees how long. */
static void auth_wait_lock(struct cons *c, const struct cons_io *io)
{
	unsigned left;
	char msg[96];

	while (!cons_lockout_left(&c->store, sw_boot_now(), c->o.lockout_s, &left) && left) {
		snprintf(msg, sizeof(msg), "Console locked after failed logins: %u s left.", left);
		io->say(io->ctx, msg);
		io->pause(io->ctx, left < 30 ? left : 30);
	}
}

static int auth_try(struct cons *c, const struct cons_io *io)
{
	char pw[CONS_LINE_MAX + 1];
	int err, ok;

	auth_wait_lock(c, io);
	err = io->secret(io->ctx, "Password: ", pw, sizeof(pw));
	if (err)
		return err;
	ok = auth_check(&c->store, pw);
	explicit_bzero(pw, sizeof(pw));
	if (ok < 0)
		return ok;
	if (!ok) {
		auth_failed(c, io);
		return -EAGAIN;
	}
	cons_lockout_clear(&c->store);
	cons_event(&c->store, "console: login");
	return 0;
}

int cons_login(struct cons *c, const struct cons_io *io)
{
	char path[600];
	int err;

	cons_store_path(&c->store, AUTH_PASSWD, path, sizeof(path));
	if (access(path, F_OK) && errno == ENOENT) {
		err = auth_first_boot(c, io);
		if (!err)
			cons_event(&c->store, "console: login");
		return err;
	}
	do
		err = auth_try(c, io);
	while (err == -EAGAIN);
	return err;
}
