/* The engine's answers to refused packets, rate limited per source and in
 * all (answerlim.c): a flood of FINs at a rejected port, which conntrack
 * queues whole, gets a burst of resets and then silence.
 *
 *   flooder 10.0.0.x ──FIN──▶ [engine: reject tcp port 80] ──RST──▶ (at most the limit)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scanwall/config.h"
#include "scanwall/engine.h"
#include "pktgen.h"

static const char policy[] =
	"device web 10.0.0.2 ae WEB\n"
	"reject tcp from any to web port 80 reason \"IIS\"\n"
	"default block\n";

static unsigned injected, events;

static void r_release(void *ctx, uint32_t id, enum eng_verdict v)
{
	(void)ctx, (void)id, (void)v;
}

static void r_inject(void *ctx, const uint8_t *l3, size_t len, const struct eng_port *to)
{
	(void)ctx, (void)l3, (void)len, (void)to;
	injected++;
}

static void r_event(void *ctx, const struct sw_event *ev)
{
	(void)ctx;
	events += ev->kind == EV_REJECT;
}

static const struct eng_ops ops = { .release = r_release, .inject = r_inject, .event = r_event };

static struct eng *engine(void)
{
	struct pol *pol = pol_parse("t", policy, sizeof(policy) - 1, stderr);
	struct eng_cfg cfg;
	struct eng *e;

	assert_non_null(pol);
	eng_cfg_default(&cfg);
	cfg.flows = 1024;
	cfg.assocs = 16;
	e = eng_new(&cfg, &ops, NULL);
	assert_non_null(e);
	assert_int_equal(eng_set_policy(e, pol), 0);
	injected = events = 0;
	return e;
}

/* n FINs at port 80 from src, all at time t (seconds). */
static void fins(struct eng *e, const char *src, unsigned n, uint64_t t)
{
	struct tpkt fin = { .src = src, .dst = "10.0.0.2", .proto = IPPROTO_TCP, .sport = 4000,
			    .dport = 80, .seq = 1, .flags = 0x11 };
	uint8_t b[256];
	struct eng_pkt pk = { .l3 = b, .ts_ns = t * 1000000000ull, .from = { .ifindex = 1 } };
	enum eng_verdict v;

	pk.len = tpkt_build(b, &fin);
	for (unsigned i = 0; i < n; i++) {
		pk.id = i + 1;
		eng_packet(e, &pk, &v);
		assert_int_equal(v, ENG_DROP);
	}
}

/* One source: a second's worth at once, then nothing until time passes;
 * every packet is still an event. */
static void test_per_source(void **state)
{
	struct eng *e = engine();
	unsigned rate = CONFIG_RULESET_ANSWER_SOURCE_RATE;

	fins(e, "10.0.0.7", 3 * rate, 1000);
	assert_int_equal(injected, rate);
	assert_int_equal(events, 3 * rate);
	assert_int_equal(eng_counters(e)->answers_limited, 2 * rate);
	fins(e, "10.0.0.8", 1, 1000);	/* another source has its own */
	assert_int_equal(injected, rate + 1);
	fins(e, "10.0.0.7", 3 * rate, 1001);
	assert_int_equal(injected, 2 * rate + 1);
	/* a clock stepped back by an hour does not silence the source */
	fins(e, "10.0.0.7", 1, 1001 - 3600);
	assert_int_equal(injected, 2 * rate + 2);
	eng_free(e);
}

/* Many sources (spoofed): the total is capped too. */
static void test_all_sources(void **state)
{
	struct eng *e = engine();
	char src[32];

	for (unsigned i = 0; i < 2 * CONFIG_RULESET_ANSWER_RATE; i++) {
		snprintf(src, sizeof(src), "10.1.%u.%u", i / 250, i % 250 + 1);
		fins(e, src, 1, 2000);
	}
	assert_int_equal(injected, CONFIG_RULESET_ANSWER_RATE);
	assert_int_equal(events, 2 * CONFIG_RULESET_ANSWER_RATE);
	eng_free(e);
}

/* The slot FNV-1a would give src (no key): a hash anyone can compute,
 * as answerlim.c used, so a stranger could pick addresses that share it. */
static unsigned fnv_slot(const char *src)
{
	uint8_t a[16] = { 0 };
	uint32_t h = 2166136261u ^ 4;

	assert_int_equal(inet_pton(AF_INET, src, a), 1);
	for (unsigned i = 0; i < sizeof(a); i++)
		h = (h ^ a[i]) * 16777619u;
	return h % 1024;
}

/* A stranger spends its budget; sources it picked to share its slot of a
 * computable hash are still answered: the slots are the flow table's
 * keyed hash. (Two of three: a keyed slot may still be shared, 1/1024.) */
static void victims_slot_cannot_be_aimed_at(void **state)
{
	struct eng *e = engine();
	char victim[3][32], cand[32];
	unsigned found = 0, before;

	for (unsigned i = 0; found < 3 && i < 65536; i++) {
		snprintf(cand, sizeof(cand), "10.2.%u.%u", i / 256, i % 256);
		if (fnv_slot(cand) == fnv_slot("10.0.0.7"))
			memcpy(victim[found++], cand, sizeof(cand));
	}
	assert_int_equal(found, 3);
	fins(e, "10.0.0.7", 2 * CONFIG_RULESET_ANSWER_SOURCE_RATE, 1000);
	before = injected;
	for (unsigned i = 0; i < 3; i++)
		fins(e, victim[i], 1, 1000);
	assert_true(injected - before >= 2);
	eng_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_source),
		cmocka_unit_test(test_all_sources),
		cmocka_unit_test(victims_slot_cannot_be_aimed_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
