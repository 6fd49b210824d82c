/* policy_apply() between a real engine and a fake kernel side:
 *
 *   text ─▶ prepare (compile, room, devices, ruleset check)
 *             └─▶ commit: install ruleset ─▶ engine swap (revokes) ─▶ flush
 *
 * Each fake step writes its name to a log, so a test states the order the
 * steps ran in, and can make any of them fail. A refused apply must leave
 * the engine's policy, the ruleset in force and the hash as they were. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/apply.h"
#include "scanwall/engine.h"
#include "scanwall/policy.h"
#include "pktgen.h"

static const char policy_a[] =
	"device symbia 10.0.0.2 ae SYMBIA\n"
	"peer pacs 10.0.0.1 ae PACS\n"
	"allow udp from symbia to pacs port 123\n"
	"default block\n";

/* Two device addresses, and NTP no longer allowed. */
static const char policy_b[] =
	"device symbia 10.0.0.2, 10.0.0.3 ae SYMBIA\n"
	"default block\n";

struct fx {
	struct eng *eng;
	struct apply ap;
	char log[256];
	int check_err, install_err;
	const struct pol *at_flush;	/* the engine's policy when flush ran */
};

static void step(struct fx *f, const char *name)
{
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, "%s%s", n ? " " : "", name);
}

static void noop_release(void *ctx, uint32_t id, enum eng_verdict v) {}
static void noop_inject(void *ctx, const uint8_t *l3, size_t len, const struct eng_port *to) {}
static void noop_event(void *ctx, const struct sw_event *ev) {}

static void f_revoke(void *ctx, const struct flow_key *k, bool deny)
{
	step(ctx, deny ? "revoke-deny" : "revoke");
}

static const struct eng_ops ops = {
	.release = noop_release, .inject = noop_inject, .event = noop_event, .revoke = f_revoke,
};

static int f_check(void *ctx, const struct ruleset_cfg *rs)
{
	struct fx *f = ctx;

	step(f, "check");
	return f->check_err;
}

static int f_install(void *ctx, const struct ruleset_cfg *rs)
{
	struct fx *f = ctx;

	step(f, "install");
	return f->install_err;
}

static void f_flush(void *ctx)
{
	struct fx *f = ctx;

	step(f, "flush");
	f->at_flush = eng_policy(f->eng);
}

static const struct apply_datapath dp = { .check = f_check, .install = f_install, .flush = f_flush };

/* A settled NTP flow from the device: the kind a policy change revokes. */
static void settle_ntp(struct fx *f)
{
	struct tpkt t = { "10.0.0.2", "10.0.0.1", IPPROTO_UDP, 40000, 123 };
	uint8_t b[256];
	struct eng_pkt pk = { .l3 = b, .ts_ns = 1000000000000ull, .id = 1,
			      .from = { .ifindex = 1 } };
	enum eng_verdict v;

	pk.len = tpkt_build(b, &t);
	eng_packet(f->eng, &pk, &v);
	assert_int_equal(v, ENG_SETTLE);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ruleset_cfg base;
	struct eng_cfg cfg;

	assert_non_null(f);
	eng_cfg_default(&cfg);
	cfg.flows = 64;
	cfg.assocs = 4;
	cfg.rq_bufs = 2;
	f->eng = eng_new(&cfg, &ops, f);
	assert_non_null(f->eng);
	ruleset_cfg_default(&base);
	base.queue = 7;
	apply_init(&f->ap, f->eng, &base, &dp, f);
	assert_int_equal(policy_apply(&f->ap, "a", policy_a, strlen(policy_a), NULL), 0);
	/* before the queue is bound: checked, not installed */
	assert_string_equal(f->log, "check");
	assert_int_equal(apply_up(&f->ap), 0);
	assert_true(f->ap.up);
	settle_ntp(f);
	f->log[0] = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	apply_fini(&f->ap);
	eng_free(f->eng);
	free(f);
	return 0;
}

/* Applies text; returns the error and leaves the diag text in msg. */
static int apply(struct fx *f, const char *text, char *msg, size_t n)
{
	FILE *diag = fmemopen(msg, n, "w");
	int err;

	assert_non_null(diag);
	err = policy_apply(&f->ap, "p", text, strlen(text), diag);
	fclose(diag);
	return err;
}

/* Nothing changed: the policy object, its hash and the ruleset's devices. */
static void assert_unchanged(struct fx *f, const struct pol *pol, const char *sha)
{
	assert_ptr_equal(eng_policy(f->eng), pol);
	assert_string_equal(f->ap.sha256, sha);
	assert_int_equal(f->ap.rs.n_devices, 1);
	assert_int_equal(f->ap.rs.queue, 7);
}

static void test_commit_order(void **state)
{
	struct fx *f = *state;
	const struct pol *old = eng_policy(f->eng);
	char msg[256] = "", sha[65];

	memcpy(sha, f->ap.sha256, sizeof(sha));
	assert_int_equal(apply(f, policy_b, msg, sizeof(msg)), 0);
	/* the kernel takes the ruleset before the engine swaps; the
	 * revocations the swap makes go out before apply returns */
	assert_string_equal(f->log, "check install revoke-deny flush");
	assert_ptr_not_equal(eng_policy(f->eng), old);
	assert_ptr_equal(f->at_flush, eng_policy(f->eng));
	assert_int_equal(f->ap.rs.n_devices, 2);
	assert_int_equal(f->ap.rs.queue, 7);
	assert_string_not_equal(f->ap.sha256, sha);
	assert_string_equal(msg, "");
}

static void test_install_fails(void **state)
{
	struct fx *f = *state;
	const struct pol *old = eng_policy(f->eng);
	char msg[256] = "", sha[65];

	memcpy(sha, f->ap.sha256, sizeof(sha));
	f->install_err = -EIO;
	assert_int_equal(apply(f, policy_b, msg, sizeof(msg)), -EIO);
	assert_string_equal(f->log, "check install");	/* no revocation */
	assert_unchanged(f, old, sha);
	assert_non_null(strstr(msg, "ruleset: install failed"));
}

static void test_check_fails(void **state)
{
	struct fx *f = *state;
	const struct pol *old = eng_policy(f->eng);
	char msg[256] = "", sha[65];

	memcpy(sha, f->ap.sha256, sizeof(sha));
	f->check_err = -EINVAL;
	assert_int_equal(apply(f, policy_b, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(f->log, "check");
	assert_unchanged(f, old, sha);
	assert_non_null(strstr(msg, "ruleset: the kernel refused it"));
}

/* 65 device addresses: the compiler says where, nothing runs. */
static void test_device_limit(void **state)
{
	struct fx *f = *state;
	const struct pol *old = eng_policy(f->eng);
	char text[2048], msg[256] = "", sha[65];
	size_t n = 0;

	memcpy(sha, f->ap.sha256, sizeof(sha));
	n += (size_t)snprintf(text + n, sizeof(text) - n, "device ct 10.1.0.1");
	for (int i = 2; i <= 65; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ", 10.1.0.%d", i);
	snprintf(text + n, sizeof(text) - n, " ae CT\ndefault block\n");
	assert_int_equal(apply(f, text, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(f->log, "");
	assert_unchanged(f, old, sha);
	assert_non_null(strstr(msg, "p:1:8: more than 64 device addresses"));
}

static void test_parse_error(void **state)
{
	struct fx *f = *state;
	const struct pol *old = eng_policy(f->eng);
	char msg[256] = "", sha[65];

	memcpy(sha, f->ap.sha256, sizeof(sha));
	assert_int_equal(apply(f, "device x 10.0.0.2\nallow frob\n", msg, sizeof(msg)), -EINVAL);
	assert_string_equal(f->log, "");
	assert_unchanged(f, old, sha);
	assert_non_null(strstr(msg, "p:2:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
