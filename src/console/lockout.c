/* The console's failed-login count and lockout, in a file rather than in
 * memory: the console is respawned by init after every session and a
 * technician can power-cycle the box, and neither may reset the count.
 * After max_failures the console is locked for lockout_s seconds of the
 * boot clock (bootclock.h: no step of the wall clock shortens it). A lock
 * that had not run out when the box went down runs again in full after
 * the reboot: a power cycle is no way round it, and how long the box was
 * off is unknown. */
#include <stdio.h>
#include <stdlib.h>

#include "console/cons.h"
#include "scanwall/bootclock.h"

#define LOCKOUT_FILE "lockout"

struct lockout {
	unsigned failures;
	long long until;		/* boot clock seconds, 0: not locked */
	unsigned long long boot;	/* the boot until counts in */
};

static void lockout_read(const struct cons_store *s, struct lockout *l)
{
	char *text;
	size_t len;

	*l = (struct lockout){ 0 };
	if (cons_store_read(s, LOCKOUT_FILE, 64, &text, &len))
		return;
	if (sscanf(text, "%u %lld %llu", &l->failures, &l->until, &l->boot) < 2)
		*l = (struct lockout){ .failures = 0, .until = 0 };
	free(text);
}

static int lockout_write(const struct cons_store *s, const struct lockout *l)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%u %lld %llu\n", l->failures, l->until, l->boot);

	return cons_store_write(s, LOCKOUT_FILE, buf, (size_t)n);
}

unsigned cons_lockout_fail(const struct cons_store *s, uint64_t now, unsigned max_failures,
			   unsigned lockout_s)
{
	struct lockout l;

	lockout_read(s, &l);
	if (++l.failures >= max_failures)
		l = (struct lockout){ .until = (long long)(now + lockout_s), .boot = sw_boot_id() };
	lockout_write(s, &l);
	return l.failures;
}

int cons_lockout_clear(const struct cons_store *s)
{
	return lockout_write(s, &(struct lockout){ 0 });
}

int cons_lockout_left(const struct cons_store *s, uint64_t now, unsigned lockout_s,
		      unsigned *left)
{
	struct lockout l;
	int err = 0;

	lockout_read(s, &l);
	if (l.until && l.boot != sw_boot_id()) {
		l.until = (long long)(now + lockout_s);	/* of another boot: again in full */
		l.boot = sw_boot_id();
		err = lockout_write(s, &l);
	} else if (l.until && l.until <= (long long)now) {
		l.until = 0;	/* run out: a reboot must not bring it back */
		err = lockout_write(s, &l);
	}
	*left = l.until > (long long)now ? (unsigned)(l.until - (long long)now) : 0;
	return err;
}
