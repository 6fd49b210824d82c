/* Strangers cannot fill the observation table for good (evict.c). A full
 * table evicts the least valued record of the right tier:
 *
 *   relations:  partners (accepted)     | strangers (never accepted)
 *   flows:      partners (allowed flow) | strangers (refusals)
 *               <= 75 % (reserve 25 %)  | evict only each other
 *
 * 100,000 distinct stranger refusals (an association refused for its
 * calling AE, and its refusal record) after the scanner's real partners,
 * then a real relation seen for the first time: all the real ones kept,
 * the evictions counted, the heap untouched, and a restart (save, load)
 * gives the same table back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanwall/catalog.h"
#include "scanwall/config.h"
#include "scanwall/flowkey.h"
#include "scanwall/learn.h"
#include "learn_util.h"
#include "tmpdir.h"

static const uint8_t pacs[16] = { 10, 77, 1, 10 }, scanner[16] = { 10, 77, 1, 20 },
		     ris[16] = { 10, 77, 1, 11 };

/* The table's clock (what worth is reckoned by) moved on to now: the
 * tests' times are both the wall clock's and the table's. */
static void tick(struct lrn *t, uint64_t now)
{
	if (now > lrn_now(t))
		lrn_elapse(t, now - lrn_now(t));
}

/* An association: requested, and accepted or refused for its calling AE
 * (then with its refusal record, as the engine's events give it). */
static int64_t assoc_af(struct lrn *t, uint8_t af, const uint8_t *ini, const uint8_t *acc,
			const char *calling, bool accepted, uint64_t now)
{
	struct lrn_rel_key k = { .af = af, .initiator = ini, .acceptor = acc, .port = 104,
				 .calling = calling, .called = "SCANNER" };
	int64_t rel;
	int c;

	tick(t, now);
	rel = lrn_relation(t, &k, now);
	assert_true(rel >= 0);
	lrn_count(t, rel, LRN_ASSOC_REQUESTED, now);
	c = lrn_class(t, rel, lrn_uid(t, "1.2.840.10008.1.1"), false);
	assert_true(c >= 0);
	lrn_class_flags(t, rel, c, LRN_PROPOSED);
	if (accepted) {
		lrn_count(t, rel, LRN_ASSOC_ACCEPTED, now);
		lrn_command(t, rel, c, 0, DIMSE_C_ECHO);
	} else {
		lrn_flow(t, &(struct lrn_flow_key){ .kind = "assoc-reject", .af = af, .proto = 6,
						     .src = ini, .dst = acc, .port = 104,
						     .rule_line = 8, .fault = "calling-ae",
						     .calling = calling, .called = "SCANNER" }, now);
	}
	return rel;
}

static int64_t assoc(struct lrn *t, const uint8_t *ini, const uint8_t *acc, const char *calling,
		     bool accepted, uint64_t now)
{
	return assoc_af(t, SW_AF_INET, ini, acc, calling, accepted, now);
}

static void plain(struct lrn *t, const char *kind, uint8_t proto, const uint8_t *src,
		  const uint8_t *dst, uint16_t port, uint64_t now)
{
	tick(t, now);
	lrn_flow(t, &(struct lrn_flow_key){ .kind = kind, .af = 4, .proto = proto, .src = src,
					     .dst = dst, .port = port }, now);
}

static void stranger_addr(uint8_t a[16], uint32_t i)
{
	memset(a, 0, 16);
	a[0] = 172;
	a[1] = (uint8_t)(16 + (i >> 16));
	a[2] = (uint8_t)(i >> 8);
	a[3] = (uint8_t)i;
}

static void assert_real_ones(const char *json)
{
	/* the archive's echoes, its time server and the new worklist relation */
	assert_non_null(strstr(json, "\"initiator\":\"10.77.1.10\",\"acceptor\":\"10.77.1.20\","
				     "\"calling_ae\":\"PACS\",\"called_ae\":\"SCANNER\","
				     "\"requested\":3,\"accepted\":3"));
	assert_non_null(strstr(json, "\"initiator\":\"10.77.1.20\",\"acceptor\":\"10.77.1.11\","
				     "\"calling_ae\":\"SCANNER_AE\",\"called_ae\":\"SCANNER\","
				     "\"requested\":1,\"accepted\":1"));
	assert_non_null(strstr(json, "{\"kind\":\"allow\",\"proto\":\"udp\",\"src\":\"10.77.1.20\","
				     "\"dst\":\"10.77.1.10\",\"port\":123"));
	assert_non_null(strstr(json, "{\"kind\":\"allow\",\"proto\":\"icmp\",\"src\":\"10.77.1.10\","
				     "\"dst\":\"10.77.1.20\",\"port\":0"));
}

/* Whether the relation whose JSON holds what is there, and a partner. */
static bool is_partner(const char *json, const char *what)
{
	const char *r = strstr(json, what), *tier = r ? strstr(r, "\"partner\":") : NULL;

	return tier && !strncmp(tier, "\"partner\":true", 14);
}

/* `policy observed` tells how much was evicted. */
static void assert_summary_says(const struct lrn *t, const char *what)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	assert_non_null(mem);
	lrn_summary(t, mem);
	fclose(mem);
	assert_non_null(strstr(text, what));
	free(text);
}

static void test_stranger_flood(void **state)
{
	struct lrn_cfg cfg;
	struct lrn *t, *u;
	uint8_t a[16];
	char dir[64], path[96], *before_json, *after_json;
	size_t heap;

	lrn_cfg_default(&cfg);
	t = lrn_new(&cfg);
	assert_non_null(t);
	heap = heap_in_use();
	for (uint64_t s = 1; s <= 3; s++)
		assoc(t, pacs, scanner, "PACS", true, s);
	plain(t, "allow", 17, scanner, pacs, 123, 4);
	for (uint32_t i = 0; i < 100000; i++) {
		stranger_addr(a, i);
		assoc(t, a, scanner, "INTRUDER", false, 10 + i);
	}
	assoc(t, scanner, ris, "SCANNER_AE", true, 200000);
	plain(t, "allow", 1, pacs, scanner, 0, 200001);
	assert_int_equal(heap_in_use(), heap);

	assert_int_equal(lrn_relation_count(t), CONFIG_OBSERVE_RELATIONS);
	assert_int_equal(lrn_flow_count(t), CONFIG_OBSERVE_FLOWS);
	/* 1 + 100,000 + 1 relations, 1 + 100,000 + 1 flows went through */
	assert_int_equal(lrn_dropped(t)->evicted_relations, 100002 - CONFIG_OBSERVE_RELATIONS);
	assert_int_equal(lrn_dropped(t)->evicted_flows, 100002 - CONFIG_OBSERVE_FLOWS);
	assert_int_equal(lrn_dropped(t)->relations, 0);
	assert_int_equal(lrn_dropped(t)->flows, 0);
	before_json = to_json(t);
	assert_real_ones(before_json);
	assert_non_null(strstr(before_json, "\"evicted\":{\"relations\":98978,\"flows\":95906}"));
	assert_summary_says(t, "evicted (table full, least seen first): 98978 relation(s), "
			       "95906 flow(s) and refusal(s)\n");

	/* a restart keeps the table, evictions counted included */
	assert_int_equal(tmpdir_make(dir, sizeof(dir), "test_learn_evict"), 0);
	snprintf(path, sizeof(path), "%s/observed.json", dir);
	assert_int_equal(lrn_save(t, path), 0);
	u = lrn_new(&cfg);
	assert_non_null(u);
	assert_int_equal(lrn_load(u, path), 0);
	after_json = to_json(u);
	assert_string_equal(before_json, after_json);
	free(before_json);
	free(after_json);
	tmpdir_remove(dir);
	lrn_free(u);
	lrn_free(t);
}

/* One stranger refused n times, at 1, 2, ... n, then a stranger each
 * refused once, at from, from + 1, ... */
static void strangers(struct lrn *t, const char *ae, uint64_t n, uint32_t once, uint64_t from)
{
	uint8_t a[16];

	stranger_addr(a, 99999);
	for (uint64_t s = 1; s <= n; s++)
		assoc(t, a, scanner, ae, false, s);
	for (uint32_t i = 0; i < once; i++) {
		stranger_addr(a, i);
		assoc(t, a, scanner, "ONCE", false, from + i);
	}
}

/* The least valued goes: a stranger seen five times outlives strangers
 * seen once, and among those seen once the oldest goes first. */
static void test_least_valued(void **state)
{
	struct lrn_cfg cfg = { .relations = 8, .uids = 16, .flows = 8, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	char *json;

	assert_non_null(t);
	strangers(t, "PERSISTENT", 5, 100, 100);
	json = to_json(t);
	assert_non_null(strstr(json, "\"calling_ae\":\"PERSISTENT\",\"called_ae\":\"SCANNER\","
				     "\"requested\":5"));
	/* the 7 other records are the 7 newest strangers */
	assert_null(strstr(json, "\"initiator\":\"172.16.0.92\""));
	for (uint32_t i = 93; i < 100; i++) {
		char want[64];

		snprintf(want, sizeof(want), "\"initiator\":\"172.16.0.%u\"", i);
		assert_non_null(strstr(json, want));
	}
	free(json);
	lrn_free(t);
}

/* Worth ages: a stranger refused a thousand times a month ago gives its
 * records (relation and refusal) to new strangers seen once; a partner
 * seen once a month ago is still given to no stranger. */
static void test_worth_ages(void **state)
{
	struct lrn_cfg cfg = { .relations = 8, .uids = 16, .flows = 8, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	char *json;

	assert_non_null(t);
	assoc(t, ris, scanner, "RIS", true, 1000);
	strangers(t, "BUSY", 1000, 20, 30 * 86400);	/* a month later */
	json = to_json(t);
	assert_null(strstr(json, "\"calling_ae\":\"BUSY\""));
	assert_non_null(strstr(json, "\"calling_ae\":\"RIS\",\"called_ae\":\"SCANNER\","
				     "\"requested\":1,\"accepted\":1"));
	free(json);
	lrn_free(t);
}

/* A stranger cannot hold its records by trickling: refused a thousand
 * times, then once every 9 hours for a week, it is worth what a stranger
 * refused once as lately is, and 20 new strangers seen once after it
 * evict it. */
static void test_no_trickle(void **state)
{
	struct lrn_cfg cfg = { .relations = 8, .uids = 16, .flows = 8, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	uint8_t a[16];
	uint64_t now = 1000;
	char *json;

	assert_non_null(t);
	strangers(t, "BUSY", 1000, 0, 0);
	stranger_addr(a, 99999);
	for (int i = 0; i < 19; i++)
		assoc(t, a, scanner, "BUSY", false, now += 9 * 3600);
	for (uint32_t i = 0; i < 20; i++) {
		stranger_addr(a, i);
		assoc(t, a, scanner, "ONCE", false, now + 3600 + i);
	}
	json = to_json(t);
	assert_null(strstr(json, "\"calling_ae\":\"BUSY\""));
	free(json);
	lrn_free(t);
}

/* The wall clock says when, not what a record is worth: a stranger seen
 * while the wall clock was ten years ahead (a step NTP corrected), and
 * one seen while it still read 1970 and seen twice since, go before
 * strangers seen once after them on the table's own clock. */
static void test_wall_step(void **state)
{
	struct lrn_cfg cfg = { .relations = 8, .uids = 16, .flows = 8, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	struct lrn_rel_key k = { .af = 4, .initiator = pacs, .acceptor = scanner, .port = 104,
				 .calling = "AHEAD", .called = "SCANNER" };
	uint8_t a[16];
	int64_t rel;
	char *json;

	assert_non_null(t);
	lrn_elapse(t, 100);
	rel = lrn_relation(t, &k, 2100000000);
	lrn_count(t, rel, LRN_ASSOC_REQUESTED, 2100000000);
	for (uint32_t i = 0; i < 20; i++) {
		lrn_elapse(t, 1);
		k.calling = "NEW";
		stranger_addr(a, i);
		k.initiator = a;
		lrn_count(t, lrn_relation(t, &k, 1800000000), LRN_ASSOC_REQUESTED, 1800000000);
	}
	json = to_json(t);
	assert_null(strstr(json, "\"calling_ae\":\"AHEAD\""));
	assert_non_null(strstr(json, "\"calling_ae\":\"NEW\""));
	free(json);
	lrn_free(t);
}

/* Partners beyond their share (8 - 2 reserved) evict the least partner,
 * never the strangers' reserve, and a real partner seen often stays (each
 * new partner with an address and an AE title of its own, so no peer's
 * bound holds it back). */
static void test_partner_share(void **state)
{
	struct lrn_cfg cfg = { .relations = 8, .uids = 16, .flows = 8, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	uint8_t a[16];
	char *json;

	assert_non_null(t);
	for (uint64_t s = 1; s <= 3; s++)
		assoc(t, pacs, scanner, "PACS", true, s);
	stranger_addr(a, 500);
	assoc(t, a, scanner, "INTRUDER", false, 4);
	for (uint32_t i = 0; i < 1000; i++) {
		char ae[8];

		stranger_addr(a, i);
		snprintf(ae, sizeof(ae), "ANY%u", i);
		assoc(t, a, scanner, ae, true, 10 + i);
	}
	json = to_json(t);
	assert_non_null(strstr(json, "\"calling_ae\":\"PACS\",\"called_ae\":\"SCANNER\","
				     "\"requested\":3,\"accepted\":3"));
	assert_non_null(strstr(json, "\"calling_ae\":\"INTRUDER\""));
	free(json);
	assert_true(lrn_relation_count(t) <= 8);
	assert_int_equal(lrn_dropped(t)->relations, 0);
	lrn_free(t);
}

/* One peer the device accepts, trying 1,000 AE titles from one address,
 * then one AE title from 1,000 addresses, a day after the scanner's 10
 * real partners were last seen: it holds OBSERVE_PEER_PARTNERS partners
 * each way, the rest of its relations are strangers, and every real
 * partner stays. */
static void test_partner_per_peer(void **state)
{
	struct lrn_cfg cfg = { .relations = 64, .uids = 16, .flows = 64, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	const uint8_t rogue[16] = { 10, 77, 1, 99 };
	uint8_t a[16] = { 10, 77, 2 };
	char ae[17], want[96], *json;

	assert_non_null(t);
	for (uint8_t i = 0; i < 10; i++) {
		a[3] = i;
		snprintf(ae, sizeof(ae), "PARTNER%u", i);
		assoc(t, a, scanner, ae, true, 1);
		assoc(t, a, scanner, ae, true, 2);
	}
	for (uint32_t i = 0; i < 1000; i++) {
		snprintf(ae, sizeof(ae), "TITLE%u", i);
		assoc(t, rogue, scanner, ae, true, 86400 + i);
		stranger_addr(a, i);
		assoc(t, a, scanner, "ROGUE", true, 86400 + i);
	}
	json = to_json(t);
	for (uint8_t i = 0; i < 10; i++) {
		snprintf(want, sizeof(want), "\"calling_ae\":\"PARTNER%u\",\"called_ae\":\"SCANNER\","
			 "\"requested\":2,\"accepted\":2", i);
		assert_non_null(strstr(json, want));
	}
	/* the rogue's newest ones are its partners, each pushing out its
	 * least; those pushed out were evicted among strangers */
	assert_true(is_partner(json, "\"calling_ae\":\"TITLE999\","));
	assert_true(is_partner(json, "\"initiator\":\"172.16.3.231\","));
	assert_null(strstr(json, "\"calling_ae\":\"TITLE0\","));
	free(json);
	assert_int_equal(lrn_relation_count(t), 64);
	lrn_free(t);
}

/* One IPv6 peer the device accepts, a new address of its /64 and a new
 * AE title for each of 1,000 associations, a day after the scanner's 10
 * real partners (of a /64 each) were last seen: its /64 holds
 * OBSERVE_PEER_PARTNERS partners, the rest are strangers, and every real
 * partner stays a partner. */
static void test_partner_per_v6_prefix(void **state)
{
	struct lrn_cfg cfg = { .relations = 64, .uids = 16, .flows = 64, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 }, dev[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff };
	char ae[17], want[96], *json;

	assert_non_null(t);
	dev[15] = 1;
	for (uint8_t i = 0; i < 10; i++) {
		a[5] = i;
		a[15] = 1;
		snprintf(ae, sizeof(ae), "PARTNER%u", i);
		assoc_af(t, SW_AF_INET6, a, dev, ae, true, 1);
		assoc_af(t, SW_AF_INET6, a, dev, ae, true, 2);
	}
	a[5] = 0x99;
	for (uint32_t i = 0; i < 1000; i++) {
		a[8] = (uint8_t)(i * 37);	/* a privacy address each time */
		a[14] = (uint8_t)(i >> 8);
		a[15] = (uint8_t)i;
		snprintf(ae, sizeof(ae), "ROTATE%u", i);
		assoc_af(t, SW_AF_INET6, a, dev, ae, true, 86400 + i);
	}
	json = to_json(t);
	for (uint8_t i = 0; i < 10; i++) {
		snprintf(want, sizeof(want), "\"calling_ae\":\"PARTNER%u\",\"called_ae\"", i);
		assert_true(is_partner(json, want));
	}
	/* its newest are its partners, the one before them is not */
	assert_true(is_partner(json, "\"calling_ae\":\"ROTATE999\","));
	snprintf(want, sizeof(want), "\"calling_ae\":\"ROTATE%u\",",
		 1000 - CONFIG_OBSERVE_PEER_PARTNERS - 1);
	assert_false(is_partner(json, want));
	free(json);
	lrn_free(t);
}

/* A stranger the device accepts forging the archive's AE title from 16
 * addresses fills that title's bound first; the real archive, seen more,
 * pushes out the forger's least and is a partner, so a day of new
 * strangers after does not evict it. */
static void test_forged_ae(void **state)
{
	struct lrn_cfg cfg = { .relations = 64, .uids = 16, .flows = 64, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	uint8_t a[16];
	char *json;

	assert_non_null(t);
	for (uint32_t i = 0; i < CONFIG_OBSERVE_PEER_PARTNERS; i++) {
		stranger_addr(a, 500 + i);
		assoc(t, a, scanner, "PACS", true, 1 + i);
	}
	for (uint64_t s = 100; s < 103; s++)
		assoc(t, pacs, scanner, "PACS", true, s);
	for (uint32_t i = 0; i < 100; i++) {
		stranger_addr(a, i);
		assoc(t, a, scanner, "STRANGER", false, 86400 + i);
	}
	json = to_json(t);
	assert_true(is_partner(json, "\"initiator\":\"10.77.1.10\",\"acceptor\":\"10.77.1.20\","
				     "\"calling_ae\":\"PACS\""));
	free(json);
	lrn_free(t);
}

/* A restart gives the same partners back: the file says each relation's
 * tier. Here the first of 17 accepted relations of one AE title is worth
 * the most but is a stranger (its title's bound was full of partners worth
 * more when it was last seen; those were evicted since, and the 16 after
 * it came when there was room); loaded in file order without the tiers,
 * it would be a partner and the last one a stranger. A file without tiers
 * still loads. */
#define REL_JSON(ADDR, WORTH, TIER) \
	"{\"port\":104,\"initiator\":\"" ADDR "\",\"acceptor\":\"10.77.1.20\"," \
	"\"calling_ae\":\"ROGUE\",\"called_ae\":\"SCANNER\",\"requested\":1," \
	"\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,\"last\":1," \
	"\"classes\":[],\"transfer_syntaxes\":[]" WORTH TIER "}"
#define REL_16(WORTH, TIER) \
	REL_JSON("10.0.0.1", WORTH, TIER) "," REL_JSON("10.0.0.2", WORTH, TIER) "," \
	REL_JSON("10.0.0.3", WORTH, TIER) "," REL_JSON("10.0.0.4", WORTH, TIER) "," \
	REL_JSON("10.0.0.5", WORTH, TIER) "," REL_JSON("10.0.0.6", WORTH, TIER) "," \
	REL_JSON("10.0.0.7", WORTH, TIER) "," REL_JSON("10.0.0.8", WORTH, TIER) "," \
	REL_JSON("10.0.0.9", WORTH, TIER) "," REL_JSON("10.0.0.10", WORTH, TIER) "," \
	REL_JSON("10.0.0.11", WORTH, TIER) "," REL_JSON("10.0.0.12", WORTH, TIER) "," \
	REL_JSON("10.0.0.13", WORTH, TIER) "," REL_JSON("10.0.0.14", WORTH, TIER) "," \
	REL_JSON("10.0.0.15", WORTH, TIER) "," REL_JSON("10.0.0.16", WORTH, TIER)

static void test_restart_tiers(void **state)
{
	static const char saved[] =
		"{\"version\":1,\"relations\":[" REL_JSON("10.0.0.99", ",\"worth\":-10",
							 ",\"partner\":false") ","
		REL_16(",\"worth\":-20", ",\"partner\":true") "],\"flows\":[]}";
	static const char old[] = "{\"version\":1,\"relations\":[" REL_JSON("10.0.0.99", "", "")
				  "," REL_16("", "") "],\"flows\":[]}";
	struct lrn_cfg cfg = { .relations = 64, .uids = 16, .flows = 64, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	char *json;

	assert_non_null(t);
	assert_int_equal(lrn_load_text(t, saved, sizeof(saved) - 1), 0);
	json = to_json(t);
	assert_false(is_partner(json, "\"initiator\":\"10.0.0.99\""));
	assert_true(is_partner(json, "\"initiator\":\"10.0.0.16\""));
	assert_true(is_partner(json, "\"initiator\":\"10.0.0.1\""));
	free(json);
	lrn_free(t);

	t = lrn_new(&cfg);
	assert_non_null(t);
	assert_int_equal(lrn_load_text(t, old, sizeof(old) - 1), 0);
	assert_int_equal(lrn_relation_count(t), 17);
	lrn_free(t);
}

/* A peer's partners evicted no longer count against it: a peer that held
 * its 16 partners, all evicted since by 48 newer partners, makes a new
 * one a partner again (it outlives 100 strangers after it). */
static void test_partner_per_peer_leaves(void **state)
{
	struct lrn_cfg cfg = { .relations = 64, .uids = 16, .flows = 64, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	const uint8_t rogue[16] = { 10, 77, 1, 99 };
	uint8_t a[16];
	char ae[17], *json;

	assert_non_null(t);
	for (uint32_t i = 0; i < CONFIG_OBSERVE_PEER_PARTNERS; i++) {
		snprintf(ae, sizeof(ae), "TITLE%u", i);
		assoc(t, rogue, scanner, ae, true, 1 + i);
	}
	for (uint32_t i = 0; i < 48; i++) {
		stranger_addr(a, i);
		snprintf(ae, sizeof(ae), "NEW%u", i);
		assoc(t, a, scanner, ae, true, 86400 + i);
	}
	json = to_json(t);
	assert_null(strstr(json, "\"calling_ae\":\"TITLE"));
	free(json);
	assoc(t, rogue, scanner, "AGAIN", true, 2 * 86400);
	for (uint32_t i = 0; i < 100; i++) {
		stranger_addr(a, 1000 + i);
		assoc(t, a, scanner, "STRANGER", false, 2 * 86400 + 1 + i);
	}
	json = to_json(t);
	assert_non_null(strstr(json, "\"calling_ae\":\"AGAIN\""));
	free(json);
	lrn_free(t);
}

/* An association in flight whose relation was evicted writes nothing
 * into the record's next tenant. */
static void test_stale_handle(void **state)
{
	struct lrn_cfg cfg = { .relations = 2, .uids = 16, .flows = 4, .reserve_pct = 50 };
	struct lrn *t = lrn_new(&cfg);
	uint8_t a[16];
	int64_t old;
	int c;
	char *json;

	assert_non_null(t);
	old = assoc(t, pacs, scanner, "OLD", false, 1);
	stranger_addr(a, 1);
	assoc(t, a, scanner, "NEW1", false, 2);
	stranger_addr(a, 2);
	assoc(t, a, scanner, "NEW2", false, 3);	/* OLD's record goes */
	assert_int_equal(lrn_class(t, old, lrn_uid(t, "1.2.840.10008.1.1"), true), -ESTALE);
	lrn_count(t, old, LRN_ASSOC_ACCEPTED, 4);
	lrn_bytes(t, old, 0, 1000);
	c = 0;
	lrn_command(t, old, c, 0, DIMSE_C_STORE);
	json = to_json(t);
	assert_null(strstr(json, "\"calling_ae\":\"OLD\",\"called_ae\":\"SCANNER\",\"requested\""));
	assert_null(strstr(json, "C-STORE"));
	assert_null(strstr(json, "\"bytes_sent\":1000"));
	assert_null(strstr(json, "\"accepted\":1"));
	free(json);
	lrn_free(t);
}

/* A handle stays stale however often its record is reused: with two
 * records, 600 new strangers pass through the stale one's record (300
 * tenants each, past any small generation counter's wrap), then a
 * partner; the old association's writes never reach any of them. */
static void test_stale_after_reuse(void **state)
{
	struct lrn_cfg cfg = { .relations = 2, .uids = 16, .flows = 4, .reserve_pct = 50 };
	struct lrn *t = lrn_new(&cfg);
	uint8_t a[16];
	int64_t old;
	char *json;

	assert_non_null(t);
	old = assoc(t, pacs, scanner, "OLD", false, 1);
	for (uint32_t i = 0; i < 600; i++) {
		stranger_addr(a, i);
		assoc(t, a, scanner, "STRANGER", false, 2 + i);
		if (i)	/* OLD went at the second */
			assert_int_equal(lrn_class(t, old, lrn_uid(t, "1.2.840.10008.1.1"), true),
					 -ESTALE);
	}
	assoc(t, ris, scanner, "RIS", true, 1000);
	lrn_count(t, old, LRN_ASSOC_ACCEPTED, 1001);
	lrn_bytes(t, old, 0, 1000);
	lrn_command(t, old, 0, 0, DIMSE_C_STORE);
	assert_int_equal(lrn_class(t, old, lrn_uid(t, "1.2.840.10008.1.1"), true), -ESTALE);
	json = to_json(t);
	assert_non_null(strstr(json, "\"calling_ae\":\"RIS\",\"called_ae\":\"SCANNER\","
				     "\"requested\":1,\"accepted\":1,\"bytes_sent\":0"));
	assert_null(strstr(json, "C-STORE"));
	assert_null(strstr(json, "\"bytes_sent\":1000"));
	free(json);
	lrn_free(t);
}

/* Strangers proposing made-up private classes fill the UID store; the
 * scanner's partners' classes stay, and a new class of a partner still
 * finds a UID (strangers evicted for it), never the other way round. */
static void test_uid_flood(void **state)
{
	struct lrn_cfg cfg = { .relations = 64, .uids = 64, .flows = 64, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	struct lrn_rel_key k = { .af = 4, .acceptor = scanner, .port = 104, .calling = "X",
				 .called = "SCANNER" };
	uint8_t a[16];
	char uid[40], *json;
	int64_t rel;
	int c;

	assert_non_null(t);
	assoc(t, pacs, scanner, "PACS", true, 1);	/* Verification, a partner's */
	k.initiator = a;
	for (uint32_t i = 0; i < 10000; i++) {
		stranger_addr(a, i);
		rel = lrn_relation(t, &k, 10 + i);
		lrn_count(t, rel, LRN_ASSOC_REQUESTED, 10 + i);
		for (unsigned j = 0; j < 4; j++) {
			snprintf(uid, sizeof(uid), "1.2.3.999.%u.%u", i, j);
			c = lrn_class(t, rel, lrn_uid(t, uid), false);
			lrn_class_flags(t, rel, c, LRN_PROPOSED);
		}
	}
	/* the partner sends a CT image for the first time */
	rel = assoc(t, pacs, scanner, "PACS", true, 20000);
	c = lrn_class(t, rel, lrn_uid(t, "1.2.840.10008.5.1.4.1.1.2"), true);
	assert_true(c >= 0);
	lrn_command(t, rel, c, 0, DIMSE_C_STORE);
	json = to_json(t);
	assert_non_null(strstr(json, "\"calling_ae\":\"PACS\",\"called_ae\":\"SCANNER\","
				     "\"requested\":2,\"accepted\":2"));
	assert_non_null(strstr(json, "{\"uid\":\"1.2.840.10008.1.1\""));
	assert_non_null(strstr(json, "{\"uid\":\"1.2.840.10008.5.1.4.1.1.2\","
				     "\"commands_sent\":[\"C-STORE\"]"));
	free(json);
	assert_int_equal(lrn_dropped(t)->uids, 0);
	lrn_free(t);
}

/* A UID handle an association still holds after its slot went to another
 * UID is stale: it never names the other one, however many came since. */
static void test_stale_uid(void **state)
{
	struct lrn_cfg cfg = { .relations = 4, .uids = 2, .flows = 4, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	int64_t rel, held;
	char uid[24];

	assert_non_null(t);
	rel = assoc(t, pacs, scanner, "PACS", true, 1);	/* names 1.2.840.10008.1.1 */
	held = lrn_uid(t, "1.2.3.1");	/* proposed; its class not kept */
	assert_true(held >= 0);
	assert_true(lrn_uid(t, "1.2.3.2") >= 0);	/* takes 1.2.3.1's slot */
	assert_int_equal(lrn_class(t, rel, held, true), -ESTALE);
	/* and stays stale while 300 more UIDs take that slot in turn */
	for (unsigned i = 3; i < 303; i++) {
		snprintf(uid, sizeof(uid), "1.2.3.%u", i);
		assert_true(lrn_uid(t, uid) >= 0);
		assert_int_equal(lrn_class(t, rel, held, true), -ESTALE);
	}
	lrn_free(t);
}

/* No key twice in the table: a record the hash lost would come back as a
 * second one. */
static void assert_distinct(const struct lrn *t, unsigned keys)
{
	char *json = to_json(t), want[48];
	const char *p;

	for (unsigned x = 0; x < keys; x++) {
		snprintf(want, sizeof(want), "\"initiator\":\"172.16.0.%u\"", x);
		p = strstr(json, want);
		assert_true(!p || !strstr(p + 1, want));
	}
	free(json);
}

/* Eviction takes records out of the middle of the hash's probe chains:
 * every record left must still be found (no new record, no eviction). */
static void test_hash_after_evictions(void **state)
{
	struct lrn_cfg cfg = { .relations = 16, .uids = 16, .flows = 16, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	uint8_t a[16];
	uint64_t ev;

	assert_non_null(t);
	for (uint32_t i = 0; i < 5000; i++) {
		stranger_addr(a, (i * 7919u) % 61u);
		assoc(t, a, scanner, "X", i % 3 == 0, i + 1);
		ev = lrn_dropped(t)->evicted_relations;
		/* what was just recorded is there: found, not made again */
		assoc(t, a, scanner, "X", false, i + 1);
		assert_int_equal(lrn_dropped(t)->evicted_relations, ev);
		assert_true(lrn_relation_count(t) <= 16);
		if (i % 50 == 0)
			assert_distinct(t, 61);
	}
	lrn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stranger_flood),
		cmocka_unit_test(test_least_valued),
		cmocka_unit_test(test_worth_ages),
		cmocka_unit_test(test_no_trickle),
		cmocka_unit_test(test_wall_step),
		cmocka_unit_test(test_partner_share),
		cmocka_unit_test(test_forged_ae),
		cmocka_unit_test(test_restart_tiers),
		cmocka_unit_test(test_partner_per_peer),
		cmocka_unit_test(test_partner_per_peer_leaves),
		cmocka_unit_test(test_partner_per_v6_prefix),
		cmocka_unit_test(test_stale_handle),
		cmocka_unit_test(test_stale_after_reuse),
		cmocka_unit_test(test_hash_after_evictions),
		cmocka_unit_test(test_uid_flood),
		cmocka_unit_test(test_stale_uid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
