/* The device store with real keys and a real policy compile as its apply
 * step: installs, refusals that leave the policy in force alone, the
 * confirm timer, the persisted anti-rollback floor, and power loss
 * (process death) after every install step. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "scanwall/bundle.h"
#include "scanwall/policy.h"

static char root[64], keys[128];
static const char *const pol_v[] = {
	"device mr 192.168.7.2 ae MR1\n",
	"device mr 192.168.7.2 ae MR1\npeer pacs 10.0.0.1 ae PACS\n",
	"device mr 192.168.7.2 ae MR1\npeer pacs 10.0.0.2 ae PACS\n",
	"device mr 192.168.7.2 ae MR1\npeer pacs 10.0.0.3 ae PACS\n",
};

struct env {
	uint64_t now;		/* the wall clock: signature expiry */
	uint64_t up, boot;	/* the boot clock (0: as now) and the boot's id */
	unsigned events[8];
	enum bundle_reason last;
};

static int apply(void *ctx, const char *text, size_t len, char *err, size_t errlen)
{
	struct pol *p = pol_parse("policy", text, len, NULL);

	if (!p) {
		snprintf(err, errlen, "does not parse");
		return -EINVAL;
	}
	pol_free(p);
	return 0;
}

static void on_event(void *ctx, const struct bundle_result *r)
{
	struct env *e = ctx;

	e->events[r->event]++;
	e->last = r->reason;
}

static uint64_t clock_now(void *ctx)
{
	return ((struct env *)ctx)->now;
}

static uint64_t clock_up(void *ctx)
{
	struct env *e = ctx;

	return e->up ? e->up : e->now;
}

static uint64_t boot_id(void *ctx)
{
	struct env *e = ctx;

	return e->boot ? e->boot : 1;
}

/* A policy bundle signed by keys k1..kN (names in the keys dir). */
static void make_bundle(const char *out, uint64_t version, const char *compat, const char *text,
			unsigned nkeys)
{
	struct bundle_manifest m = { .kind = BUNDLE_KIND_POLICY, .version = version,
				     .created = 1, .npayloads = 1 };
	struct bundle_view v = { 0 };
	uint8_t sig[3][BUNDLE_SIG_MAX], *man;
	char key[256];
	size_t len, siglen;
	FILE *f;

	snprintf(m.compatible, sizeof(m.compatible), "%s", compat);
	strcpy(m.payload[0].name, "policy");
	m.payload[0].data = (const uint8_t *)text;
	m.payload[0].size = (uint32_t)strlen(text);
	assert_int_equal(bundle_build_manifest(&m, &man, &len), 0);
	v.manifest = man;
	v.manifest_len = (uint32_t)len;
	v.blob = (const uint8_t *)text;
	v.blob_len = (uint32_t)strlen(text);
	for (unsigned i = 0; i < nkeys; i++) {
		snprintf(key, sizeof(key), "%s/k%u.key", root, i + 1);
		assert_int_equal(bundle_sign_data(key, man, len, sig[i], &siglen, v.sig[i].keyid), 0);
		v.sig[i].der = sig[i];
		v.sig[i].der_len = (uint16_t)siglen;
	}
	v.nsigs = nkeys;
	f = fopen(out, "w");
	assert_non_null(f);
	assert_int_equal(bundle_write(f, &v), 0);
	fclose(f);
	free(man);
}

static struct bundle_store *open_store(const char *dir, struct env *e)
{
	struct bundle_trust t = { .keyring_dir = keys, .threshold = 2, .compatible = "scan1" };
	struct bundle_hooks h = { .apply = apply, .event = on_event, .now = clock_now, .ctx = e,
				  .boot_now = clock_up, .boot_id = boot_id };
	struct bundle_store *s = bundle_store_open(dir, &t, &h);

	assert_non_null(s);
	return s;
}

static void assert_in_force(struct bundle_store *s, const char *text)
{
	const uint8_t *p;
	size_t len;

	assert_int_equal(bundle_current_payload(s, "policy", &p, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(p, text, len);
}

static int setup(void **state)
{
	char base[128], pub[512];

	strcpy(root, "/tmp/swbstore.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(keys, sizeof(keys), "%s/keys", root);
	mkdir(keys, 0700);
	for (int i = 1; i <= 3; i++) {
		snprintf(base, sizeof(base), "%s/k%d", root, i);
		if (bundle_keygen(base))
			return -1;
		snprintf(pub, sizeof(pub), "cp %s.pub %s/", base, keys);
		if (system(pub))
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) ? -1 : 0;
}

static void fresh(const char *name, char *dir, size_t size)
{
	char cmd[300];

	snprintf(dir, size, "%s/%s", root, name);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void install_and_refuse(void **state)
{
	struct env e = { .now = 1000 };
	struct bundle_result res;
	struct bundle_store *s;
	char dir[200], b[256];

	fresh("st1", dir, sizeof(dir));
	s = open_store(dir, &e);
	assert_int_equal(bundle_store_load(s, &res), -ENOENT);
	snprintf(b, sizeof(b), "%s/b1", root);
	make_bundle(b, 1, "scan1", pol_v[0], 2);
	assert_int_equal(bundle_install(s, b, 0, &res), 0);
	assert_int_equal(res.event, BUNDLE_EV_INSTALLED);
	assert_in_force(s, pol_v[0]);

	static const struct { uint64_t v; const char *compat, *text; unsigned keys;
			      enum bundle_reason want; } bad[] = {
		{ 1, "scan1", "device mr 192.168.7.2 ae MR1\n#x\n", 2, BUNDLE_E_ROLLBACK },
		{ 2, "scan1", "device mr 192.168.7.2 ae MR1\n", 1, BUNDLE_E_THRESHOLD },
		{ 2, "scan1", "device mr 192.168.7.2 ae MR1\n", 0, BUNDLE_E_NO_SIGNATURE },
		{ 2, "other", "device mr 192.168.7.2 ae MR1\n", 2, BUNDLE_E_INCOMPATIBLE },
		{ 2, "scan1", "allow nonsense\n", 2, BUNDLE_E_POLICY },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_bundle(b, bad[i].v, bad[i].compat, bad[i].text, bad[i].keys);
		assert_int_not_equal(bundle_install(s, b, 0, &res), 0);
		assert_int_equal(res.reason, bad[i].want);
		assert_int_equal(e.last, bad[i].want);
		assert_in_force(s, pol_v[0]);
	}
	assert_int_equal(e.events[BUNDLE_EV_REFUSED], 5);
	assert_int_equal(e.events[BUNDLE_EV_INSTALLED], 1);
	bundle_store_close(s);
}

static void confirm_timer_and_floor(void **state)
{
	struct env e = { .now = 1000 };
	struct bundle_result res;
	struct bundle_store *s;
	char dir[200], b[256];

	fresh("st2", dir, sizeof(dir));
	s = open_store(dir, &e);
	snprintf(b, sizeof(b), "%s/c1", root);
	make_bundle(b, 1, "scan1", pol_v[0], 2);
	assert_int_equal(bundle_install(s, b, 0, &res), 0);
	make_bundle(b, 2, "scan1", pol_v[1], 3);
	assert_int_equal(bundle_install(s, b, 10, &res), 0);
	assert_in_force(s, pol_v[1]);
	assert_int_equal(bundle_tick(s, 1009), 0);
	assert_in_force(s, pol_v[1]);
	/* the timer survives a restart */
	bundle_store_close(s);
	s = open_store(dir, &e);
	assert_in_force(s, pol_v[1]);
	assert_int_equal(bundle_tick(s, 1010), 1);
	assert_int_equal(e.events[BUNDLE_EV_REVERTED], 1);
	assert_in_force(s, pol_v[0]);
	bundle_store_close(s);
	/* the floor persisted: version 2 was installed once, never again */
	s = open_store(dir, &e);
	assert_in_force(s, pol_v[0]);
	assert_int_equal(bundle_install(s, b, 0, &res), -EPERM);
	assert_int_equal(res.reason, BUNDLE_E_ROLLBACK);
	make_bundle(b, 3, "scan1", pol_v[2], 2);
	assert_int_equal(bundle_install(s, b, 10, &res), 0);
	assert_int_equal(bundle_confirm(s, &res), 0);
	assert_int_equal(bundle_tick(s, 5000), 0);
	assert_in_force(s, pol_v[2]);
	assert_int_equal(bundle_rollback(s, &res), 0);
	assert_in_force(s, pol_v[0]);
	assert_int_equal(bundle_rollback(s, &res), -ENOENT);
	bundle_store_close(s);
}

/* The confirm deadline runs on the boot clock: wall-clock steps neither
 * fire nor postpone it; a store opened in another boot reverts at once. */
static void confirm_deadline_on_the_boot_clock(void **state)
{
	struct env e = { .now = 1000, .up = 50 };
	struct bundle_result res;
	struct bundle_store *s;
	char dir[200], b[256];

	fresh("st5", dir, sizeof(dir));
	s = open_store(dir, &e);
	snprintf(b, sizeof(b), "%s/c5", root);
	make_bundle(b, 1, "scan1", pol_v[0], 2);
	assert_int_equal(bundle_install(s, b, 0, &res), 0);
	make_bundle(b, 2, "scan1", pol_v[1], 3);
	assert_int_equal(bundle_install(s, b, 10, &res), 0);
	e.now += 3600;		/* NTP steps the wall clock an hour on */
	e.up = 55;
	assert_int_equal(bundle_tick(s, bundle_boot_now(s)), 0);
	assert_in_force(s, pol_v[1]);
	e.now -= 7200;		/* and back */
	e.up = 60;
	assert_int_equal(bundle_tick(s, bundle_boot_now(s)), 1);
	assert_in_force(s, pol_v[0]);
	/* again, and the box reboots before the confirm */
	make_bundle(b, 3, "scan1", pol_v[2], 2);
	assert_int_equal(bundle_install(s, b, 600, &res), 0);
	bundle_store_close(s);
	e.boot = 2;
	e.up = 20;
	s = open_store(dir, &e);
	assert_in_force(s, pol_v[2]);	/* nothing applied before the first tick */
	assert_int_equal(bundle_tick(s, bundle_boot_now(s)), 1);
	assert_in_force(s, pol_v[0]);
	bundle_store_close(s);
}

/* The child dies right after install step k; whatever it left on disk
 * must open as exactly the old or exactly the new policy. */
static void power_loss_at_every_step(void **state)
{
	char dir[200], b1[256], b2[256];
	struct bundle_result res;
	struct env e = { .now = 1000 };

	snprintf(b1, sizeof(b1), "%s/p1", root);
	snprintf(b2, sizeof(b2), "%s/p2", root);
	make_bundle(b1, 1, "scan1", pol_v[0], 2);
	make_bundle(b2, 2, "scan1", pol_v[3], 2);
	for (int k = 1; k <= 8; k++) {
		struct bundle_store *s;
		int status;
		pid_t pid;

		fresh("crash", dir, sizeof(dir));
		s = open_store(dir, &e);
		assert_int_equal(bundle_install(s, b1, 0, &res), 0);
		bundle_store_close(s);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char at[8];

			snprintf(at, sizeof(at), "%d", k);
			setenv("SCANWALL_BUNDLE_CRASH_AT", at, 1);
			s = open_store(dir, &e);
			bundle_install(s, b2, 30, &res);
			_exit(0);	/* reaching here means the crash point was missed */
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
		s = open_store(dir, &e);
		assert_int_equal(bundle_store_load(s, &res), 0);
		assert_in_force(s, k < 6 ? pol_v[0] : pol_v[3]);
		bundle_store_close(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(install_and_refuse),
		cmocka_unit_test(confirm_timer_and_floor),
		cmocka_unit_test(confirm_deadline_on_the_boot_clock),
		cmocka_unit_test(power_loss_at_every_step),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
