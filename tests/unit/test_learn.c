/* The observation table (scanwall/learn.h): what a relation records, the
 * bound (100,000 distinct relations into a table of the Kconfig size: the
 * table full, the rest evicted and counted; who is evicted is
 * test_learn_evict.c's), no allocation once it is made, and a save and
 * load that give the same table back.
 *
 *   lrn_relation/lrn_class/...  -->  struct lrn  --lrn_save-->  observed.json
 *                                        ^                          |
 *                                        +--------lrn_load----------+      */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/apply.h"
#include "control/control.h"
#include "control/obsnap.h"
#include "engine/observe.h"
#include "scanwall/catalog.h"
#include "scanwall/config.h"
#include "scanwall/engine.h"
#include "scanwall/learn.h"
#include "scanwall/policy.h"
#include "learn_util.h"
#include "pktgen.h"
#include "tmpdir.h"

static const uint8_t pacs[16] = { 10, 77, 1, 10 }, scanner[16] = { 10, 77, 1, 20 };

static const struct lrn_rel_key echo_key = {
	.af = 4, .initiator = pacs, .acceptor = scanner, .port = 104,
	.calling = "PACS", .called = "SCANNER",
};

/* One C-ECHO association and a refused one, as the engine records them. */
static void record_echo(struct lrn *t, uint64_t now)
{
	int64_t rel = lrn_relation(t, &echo_key, now);
	int cls;

	assert_true(rel >= 0);
	lrn_count(t, rel, LRN_ASSOC_REQUESTED, now);
	cls = lrn_class(t, rel, lrn_uid(t, "1.2.840.10008.1.1"), false);
	assert_true(cls >= 0);
	lrn_class_flags(t, rel, cls, LRN_PROPOSED);
	lrn_ts(t, rel, "1.2.840.10008.1.2", LRN_PROPOSED);
	lrn_count(t, rel, LRN_ASSOC_ACCEPTED, now);
	lrn_class_flags(t, rel, cls, LRN_ACCEPTED);
	lrn_ts(t, rel, "1.2.840.10008.1.2", LRN_ACCEPTED);
	lrn_command(t, rel, cls, 0, DIMSE_C_ECHO);
	lrn_command(t, rel, cls, 1, DIMSE_C_ECHO);
	lrn_bytes(t, rel, 0, 100);
	lrn_bytes(t, rel, 1, 50);
	lrn_flow(t, &(struct lrn_flow_key){ .kind = "assoc-reject", .af = 4, .proto = 6,
					     .src = pacs, .dst = scanner, .port = 104,
					     .rule_line = 8, .fault = "calling-ae",
					     .calling = "INTRUDER", .called = "SCANNER" }, now);
}

static struct lrn *table(unsigned relations, unsigned uids, unsigned flows)
{
	struct lrn_cfg cfg = { relations, uids, flows };
	struct lrn *t = lrn_new(&cfg);

	assert_non_null(t);
	return t;
}

static void test_record(void **state)
{
	struct lrn *t = table(16, 16, 16);
	char *json;

	record_echo(t, 1000);
	record_echo(t, 2000);	/* the same relation again: counted, not a second one */
	assert_int_equal(lrn_relation_count(t), 1);
	assert_int_equal(lrn_flow_count(t), 1);
	json = to_json(t);
	assert_non_null(strstr(json, "\"port\":104,\"initiator\":\"10.77.1.10\","
				     "\"acceptor\":\"10.77.1.20\",\"calling_ae\":\"PACS\","
				     "\"called_ae\":\"SCANNER\",\"requested\":2,\"accepted\":2,"
				     "\"bytes_sent\":200,\"bytes_received\":100,"
				     "\"first\":1000,\"last\":2000"));
	assert_non_null(strstr(json, "{\"uid\":\"1.2.840.10008.1.1\",\"proposed\":true,"
				     "\"accepted\":true,\"commands_sent\""));
	assert_non_null(strstr(json, "\"commands_sent\":[\"C-ECHO\"],"
				     "\"commands_received\":[\"C-ECHO\"]"));
	assert_non_null(strstr(json, "\"kind\":\"assoc-reject\",\"proto\":\"tcp\","
				     "\"src\":\"10.77.1.10\",\"dst\":\"10.77.1.20\",\"port\":104,"
				     "\"rule\":8,\"fault\":\"calling-ae\",\"calling_ae\":\"INTRUDER\","
				     "\"called_ae\":\"SCANNER\",\"count\":2"));
	/* another calling AE is another relation */
	assert_int_equal(lrn_relation(t, &(struct lrn_rel_key){ .af = 4, .initiator = pacs,
				.acceptor = scanner, .port = 104, .calling = "PACS2",
				.called = "SCANNER" }, 3000), 1);
	free(json);
	lrn_free(t);
}

/* 100,000 distinct relations (initiator addresses 10.0.0.0 up) into the
 * table as Kconfig sizes it: it holds CONFIG_OBSERVE_RELATIONS, every
 * other one was evicted and counted, and the memory in use does not move. */
static void test_bound(void **state)
{
	struct lrn_cfg cfg;
	struct lrn *t;
	size_t before;
	uint8_t ini[16] = { 10 };
	struct lrn_rel_key k = echo_key;

	lrn_cfg_default(&cfg);
	t = lrn_new(&cfg);
	assert_non_null(t);
	k.initiator = ini;
	before = heap_in_use();
	for (uint32_t i = 0; i < 100000; i++) {
		ini[1] = (uint8_t)(i >> 16);
		ini[2] = (uint8_t)(i >> 8);
		ini[3] = (uint8_t)i;
		int64_t rel = lrn_relation(t, &k, i + 1);

		assert_true(rel >= 0);
		lrn_count(t, rel, LRN_ASSOC_REQUESTED, i + 1);
		assert_true(lrn_class(t, rel, lrn_uid(t, "1.2.840.10008.1.1"), false) >= 0);
		lrn_flow(t, &(struct lrn_flow_key){ .kind = "block", .af = 4, .proto = 6,
						     .src = ini, .dst = scanner, .port = 3465 }, i);
	}
	assert_int_equal(heap_in_use(), before);
	assert_int_equal(lrn_relation_count(t), CONFIG_OBSERVE_RELATIONS);
	assert_int_equal(lrn_dropped(t)->evicted_relations, 100000 - CONFIG_OBSERVE_RELATIONS);
	assert_int_equal(lrn_dropped(t)->relations, 0);
	assert_int_equal(lrn_flow_count(t), CONFIG_OBSERVE_FLOWS);
	assert_int_equal(lrn_dropped(t)->evicted_flows, 100000 - CONFIG_OBSERVE_FLOWS);
	assert_int_equal(lrn_dropped(t)->flows, 0);
	/* one UID for every relation: interned once */
	assert_int_equal(lrn_dropped(t)->uids, 0);
	lrn_free(t);
}

/* Classes per relation and the UID store are bounded too; a class a
 * command was seen on takes the slot of one nothing was seen on, and a
 * UID no class names leaves its slot to the next one. */
static void test_bound_classes(void **state)
{
	struct lrn *t = table(16, 40, 16);
	int64_t rel = lrn_relation(t, &echo_key, 1);
	int c, kept = 0;
	char uid[32];

	for (int i = 0; i < 50; i++) {
		snprintf(uid, sizeof(uid), "1.2.3.%d", i);
		c = lrn_class(t, rel, lrn_uid(t, uid), false);
		kept += c >= 0;
	}
	assert_int_equal(kept, 32);	/* LRN_REL_CLASSES */
	assert_int_equal(lrn_dropped(t)->classes, 50 - 32);
	/* 40 UID slots for 50 UIDs: those of the classes not kept were reused */
	assert_int_equal(lrn_dropped(t)->uids, 0);
	assert_int_equal(lrn_uid(t, "1.2.03"), -EINVAL);	/* not a UID: never kept */
	/* the class of a C-STORE after 32 proposed ones nothing was sent on */
	c = lrn_class(t, rel, lrn_uid(t, "1.2.3.35"), true);
	assert_int_equal(c, 31);
	lrn_command(t, rel, c, 0, DIMSE_C_STORE);
	assert_int_equal(lrn_class(t, rel, lrn_uid(t, "1.2.3.35"), false), 31);
	/* slot 31 now carries a command: the next one takes slot 30 */
	assert_int_equal(lrn_class(t, rel, lrn_uid(t, "1.2.3.36"), true), 30);
	assert_int_equal(lrn_dropped(t)->classes, 50 - 32 + 2);
	lrn_free(t);
}

static void test_roundtrip(void **state)
{
	struct lrn *t = table(16, 16, 16), *u = table(16, 16, 16);
	char dir[64], path[96], *a, *b;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "test_learn"), 0);
	snprintf(path, sizeof(path), "%s/observed.json", dir);
	assert_int_equal(lrn_load(u, path), -ENOENT);
	record_echo(t, 1000);
	assert_int_equal(lrn_save(t, path), 0);
	assert_int_equal(lrn_load(u, path), 0);
	a = to_json(t);
	b = to_json(u);
	assert_string_equal(a, b);
	free(b);
	/* loading again adds: counts doubled, the same records */
	assert_int_equal(lrn_load(u, path), 0);
	assert_int_equal(lrn_relation_count(u), 1);
	record_echo(t, 1000);
	free(a);
	a = to_json(t);
	b = to_json(u);
	assert_string_equal(a, b);
	free(a);
	free(b);
	lrn_free(t);
	lrn_free(u);
	tmpdir_remove(dir);
}

/* A file that is not a table is refused whole, whatever is wrong in it. */
static void test_load_bad(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{\"version\":2,\"relations\":[],\"flows\":[]}",
		"{\"version\":1,\"relations\":[{\"port\":104}],\"flows\":[]}",
		"{\"version\":1,\"relations\":[],\"flows\":[{\"kind\":\"nonsense\",\"proto\":\"tcp\","
		"\"src\":\"1.2.3.4\",\"dst\":\"1.2.3.5\",\"port\":1,\"rule\":null,\"fault\":null,"
		"\"calling_ae\":null,\"called_ae\":null,\"count\":1,\"first\":1,\"last\":1}]}",
		"{\"version\":1,\"relations\":[{\"port\":70000,\"initiator\":\"10.0.0.1\","
		"\"acceptor\":\"10.0.0.2\",\"calling_ae\":\"A\",\"called_ae\":\"B\",\"requested\":1,"
		"\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,\"last\":1,"
		"\"classes\":[],\"transfer_syntaxes\":[]}],\"flows\":[]}",
		"{\"version\":1,\"relations\":[{\"port\":104,\"initiator\":\"10.0.0.1\","
		"\"acceptor\":\"fd00::2\",\"calling_ae\":\"A\",\"called_ae\":\"B\",\"requested\":1,"
		"\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,\"last\":1,"
		"\"classes\":[],\"transfer_syntaxes\":[]}],\"flows\":[]}",
		"{\"version\":1,\"relations\":[{\"port\":104,\"initiator\":\"10.0.0.1\","
		"\"acceptor\":\"10.0.0.2\",\"calling_ae\":\"AN_AE_TITLE_TOO_LONG\",\"called_ae\":\"B\","
		"\"requested\":1,\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,"
		"\"last\":1,\"classes\":[],\"transfer_syntaxes\":[]}],\"flows\":[]}",
		/* a title with a backslash, a class UID with a letter: not from the wire */
		"{\"version\":1,\"relations\":[{\"port\":104,\"initiator\":\"10.0.0.1\","
		"\"acceptor\":\"10.0.0.2\",\"calling_ae\":\"A\\\\\",\"called_ae\":\"B\","
		"\"requested\":1,\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,"
		"\"last\":1,\"classes\":[],\"transfer_syntaxes\":[]}],\"flows\":[]}",
		"{\"version\":1,\"relations\":[{\"port\":104,\"initiator\":\"10.0.0.1\","
		"\"acceptor\":\"10.0.0.2\",\"calling_ae\":\"A\",\"called_ae\":\"B\","
		"\"requested\":1,\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,"
		"\"last\":1,\"classes\":[{\"uid\":\"1.2.x\"}],\"transfer_syntaxes\":[]}],"
		"\"flows\":[]}",
	};
	char dir[64], path[96];
	FILE *fp;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "test_learn"), 0);
	snprintf(path, sizeof(path), "%s/observed.json", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lrn *t = table(16, 16, 16);

		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(bad[i], fp);
		fclose(fp);
		if (lrn_load(t, path) != -EBADMSG)
			fail_msg("case %zu loaded", i);
		lrn_free(t);
	}
	tmpdir_remove(dir);
}

/* The control thread's copy (obsnap.c), a slice at a time: one record a
 * step here. Recording between two steps loses nothing the table held when
 * the copy began, and a copy with none between is the table. */
static void test_copy_slices(void **state)
{
	struct lrn_cfg cfg = { .relations = 64, .uids = 64, .flows = 64 };
	struct lrn *t = lrn_new(&cfg), *cp = lrn_new(&cfg);
	struct lrn_copy c = { 0 };
	struct lrn_sizes n = { 64, 64, 64 };
	char *a, *b;
	int steps = 0;

	assert_non_null(t);
	assert_non_null(cp);
	record_echo(t, 1000);
	for (uint8_t i = 1; i <= 5; i++)
		lrn_flow(t, &(struct lrn_flow_key){ .kind = "block", .af = 4, .proto = 17,
						     .src = pacs, .dst = scanner, .port = i }, 1000);
	lrn_prefault(cp, &n);
	while (lrn_copy_step(cp, t, &c, 1))
		steps++;
	assert_int_equal(steps + 1, 1 + 6 + 2);	/* a relation, 6 flows, 2 UIDs */
	a = to_json(t);
	b = to_json(cp);
	assert_string_equal(a, b);
	free(b);

	/* again into the same copy, the table recorded into between steps */
	memset(&c, 0, sizeof(c));
	for (uint8_t i = 6; lrn_copy_step(cp, t, &c, 1); i++)
		lrn_flow(t, &(struct lrn_flow_key){ .kind = "block", .af = 4, .proto = 17,
						     .src = pacs, .dst = scanner, .port = i }, 1001);
	assert_true(lrn_flow_count(cp) >= 6);
	assert_true(lrn_flow_count(cp) <= lrn_flow_count(t));
	assert_int_equal(lrn_relation_count(cp), 1);
	b = to_json(cp);
	assert_non_null(strstr(b, "\"1.2.840.10008.1.1\""));	/* its class's UID came */
	free(b);
	free(a);
	lrn_free(cp);
	lrn_free(t);
}

/* The control thread's save (obsnap_tick): once CONFIG_OBSERVE_SAVE_S has
 * passed and only when the table changed, from its copy. */
static struct eng *engine(void);

static void test_periodic_save(void **state)
{
	const uint64_t period = (uint64_t)CONFIG_OBSERVE_SAVE_S * 1000000000u;
	uint64_t now = 10 * period;
	struct obsnap *obs;
	struct lrn *back;
	struct eng *e = engine();
	char dir[64], path[96];

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "test_learn"), 0);
	snprintf(path, sizeof(path), "%s/observed.json", dir);
	assert_int_equal(eng_observe(e, NULL), 0);
	obs = obsnap_new(&(struct obsnap_cfg){ .eng = e, .path = path });
	assert_non_null(obs);
	obsnap_tick(obs, now);
	assert_int_equal(access(path, F_OK), -1);	/* nothing recorded yet */
	lrn_flow(eng_observed(e), &(struct lrn_flow_key){ .kind = "allow", .af = 4, .proto = 17,
							  .src = scanner, .dst = pacs, .port = 123 }, 5);
	eng_obs_event(e, &(struct sw_event){ .kind = EV_ALLOW },
		      &(struct flow_key){ .af = 4, .proto = 17, .dport = 124 });
	obsnap_tick(obs, now + period / 2);
	assert_int_equal(access(path, F_OK), -1);	/* too soon */
	obsnap_tick(obs, now + period);
	back = lrn_new(lrn_config(eng_observed(e)));
	assert_non_null(back);
	assert_int_equal(lrn_load(back, path), 0);
	assert_int_equal(lrn_flow_count(back), 2);
	lrn_free(back);
	unlink(path);
	obsnap_tick(obs, now + 3 * period);
	assert_int_equal(access(path, F_OK), -1);	/* unchanged: not written again */
	obsnap_free(obs);
	eng_free(e);
	tmpdir_remove(dir);
}

#define REL_OK "{\"port\":104,\"initiator\":\"10.0.0.1\",\"acceptor\":\"10.0.0.2\"," \
	"\"calling_ae\":\"A\",\"called_ae\":\"B\",\"requested\":1,\"accepted\":1," \
	"\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,\"last\":1,\"classes\":[]," \
	"\"transfer_syntaxes\":[]}"

/* Nothing is repaired and nothing half-loaded: a title with a control
 * character (it would read as "A?"), an unknown command, a flag that is
 * not a boolean, a worth that is no whole number or beyond any a table
 * saves, each after a good relation, leave the table as it was,
 * and the error names the record and the field. */
static void test_load_whole(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "{\"version\":1,\"relations\":[" REL_OK ",{\"port\":104,\"initiator\":\"10.0.0.1\","
		  "\"acceptor\":\"10.0.0.2\",\"calling_ae\":\"A\\u0001\",\"called_ae\":\"B\","
		  "\"requested\":1,\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,"
		  "\"last\":1,\"classes\":[],\"transfer_syntaxes\":[]}],\"flows\":[]}",
		  "relations[1].calling_ae" },
		{ "{\"version\":1,\"relations\":[" REL_OK ",{\"port\":104,\"initiator\":\"10.0.0.1\","
		  "\"acceptor\":\"10.0.0.3\",\"calling_ae\":\"A\",\"called_ae\":\"B\","
		  "\"requested\":1,\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,"
		  "\"last\":1,\"classes\":[{\"uid\":\"1.2.840.10008.1.1\",\"commands_sent\":"
		  "[\"C-ECHO\",\"C-SHRED\"],\"commands_received\":[]}],\"transfer_syntaxes\":[]}],"
		  "\"flows\":[]}", "relations[1].commands_sent" },
		{ "{\"version\":1,\"relations\":[" REL_OK "],\"flows\":[{\"kind\":\"block\","
		  "\"proto\":\"udp\",\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"port\":123,"
		  "\"rule\":null,\"fault\":\"x\\u00e9\",\"calling_ae\":null,\"called_ae\":null,"
		  "\"count\":1,\"first\":1,\"last\":1}]}", "flows[0].fault" },
		{ "{\"version\":1,\"relations\":[" REL_OK "],\"flows\":[],\"evicted\":"
		  "{\"relations\":-1,\"flows\":0}}", "evicted.relations" },
		{ "{\"version\":1,\"relations\":[" REL_OK ",{\"port\":104,\"initiator\":\"10.0.0.1\","
		  "\"acceptor\":\"10.0.0.4\",\"calling_ae\":\"A\",\"called_ae\":\"B\","
		  "\"requested\":1,\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,"
		  "\"last\":1,\"classes\":[],\"transfer_syntaxes\":[],\"worth\":-1e3}],"
		  "\"flows\":[]}", "relations[1].worth" },
		{ "{\"version\":1,\"relations\":[" REL_OK ",{\"port\":104,\"initiator\":\"10.0.0.1\","
		  "\"acceptor\":\"10.0.0.4\",\"calling_ae\":\"A\",\"called_ae\":\"B\","
		  "\"requested\":1,\"accepted\":1,\"bytes_sent\":0,\"bytes_received\":0,\"first\":1,"
		  "\"last\":1,\"classes\":[],\"transfer_syntaxes\":[],\"worth\":0,\"partner\":1}],"
		  "\"flows\":[]}", "relations[1].partner" },
		{ "{\"version\":1,\"relations\":[" REL_OK "],\"flows\":[{\"kind\":\"block\","
		  "\"proto\":\"udp\",\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"port\":123,"
		  "\"rule\":null,\"fault\":null,\"calling_ae\":null,\"called_ae\":null,"
		  "\"count\":1,\"first\":1,\"last\":1,\"worth\":99999999999999}]}", "flows[0].worth" },
		/* ICMP has no port: its type and code are never kept */
		{ "{\"version\":1,\"relations\":[" REL_OK "],\"flows\":[{\"kind\":\"block\","
		  "\"proto\":\"icmp\",\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"port\":2048,"
		  "\"rule\":null,\"fault\":null,\"calling_ae\":null,\"called_ae\":null,"
		  "\"count\":1,\"first\":1,\"last\":1}]}", "flows[0].port" },
	};
	struct lrn *t = table(16, 16, 16);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lrn_load_text(t, bad[i].text, strlen(bad[i].text)) != -EBADMSG)
			fail_msg("case %zu loaded", i);
		assert_int_equal(lrn_relation_count(t), 0);
		assert_int_equal(lrn_flow_count(t), 0);
		assert_string_equal(lrn_load_error(t), bad[i].why);
	}
	lrn_free(t);
}

/* Counts added from files stop at the top rather than wrap to nothing (a
 * record worth least, the first evicted), and so does the next one
 * recorded; a printable \\u escape reads as its character. */
static void test_load_saturates(void **state)
{
	static const char text[] =
		"{\"version\":1,\"relations\":[{\"port\":104,\"initiator\":\"10.0.0.1\","
		"\"acceptor\":\"10.0.0.2\",\"calling_ae\":\"A\\u0042\",\"called_ae\":\"B\","
		"\"requested\":18446744073709551614,\"accepted\":1,\"bytes_sent\":0,"
		"\"bytes_received\":18446744073709551615,\"first\":1,\"last\":1,\"classes\":[],"
		"\"transfer_syntaxes\":[]}],\"flows\":[{\"kind\":\"block\",\"proto\":\"udp\","
		"\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"port\":123,\"rule\":null,"
		"\"fault\":null,\"calling_ae\":null,\"called_ae\":null,"
		"\"count\":18446744073709551615,\"first\":1,\"last\":1}],"
		"\"evicted\":{\"relations\":18446744073709551615,\"flows\":0}}";
	struct lrn *t = table(16, 16, 16);
	char *json;

	assert_int_equal(lrn_load_text(t, text, strlen(text)), 0);
	assert_int_equal(lrn_load_text(t, text, strlen(text)), 0);
	lrn_flow(t, &(struct lrn_flow_key){ .kind = "block", .af = 4, .proto = 17,
					     .src = (const uint8_t[16]){ 10, 0, 0, 1 },
					     .dst = (const uint8_t[16]){ 10, 0, 0, 2 }, .port = 123 }, 2);
	json = to_json(t);
	assert_non_null(strstr(json, "\"calling_ae\":\"AB\",\"called_ae\":\"B\","
				     "\"requested\":18446744073709551615,\"accepted\":2,"
				     "\"bytes_sent\":0,\"bytes_received\":18446744073709551615"));
	assert_non_null(strstr(json, "\"count\":18446744073709551615"));
	assert_non_null(strstr(json, "\"evicted\":{\"relations\":18446744073709551615,"));
	free(json);
	lrn_free(t);
}

/* An ICMP refusal's key carries its type and code as the port: echo
 * requests and unreachables between two ends are one record, port 0. */
static void test_icmp_one_record(void **state)
{
	struct lrn *t = table(16, 16, 16);
	char *json;

	for (uint16_t type = 0x0800; type <= 0x0803; type++)
		lrn_flow(t, &(struct lrn_flow_key){ .kind = "block", .af = 4, .proto = 1,
						     .src = pacs, .dst = scanner, .port = type }, 5);
	assert_int_equal(lrn_flow_count(t), 1);
	json = to_json(t);
	assert_non_null(strstr(json, "\"proto\":\"icmp\",\"src\":\"10.77.1.10\","
				     "\"dst\":\"10.77.1.20\",\"port\":0,"));
	free(json);
	lrn_free(t);
}

static char *ctl_exec(struct control *ctl, const char *line, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	*ret = control_exec(ctl, line, out);
	fclose(out);
	return buf;
}

/* An engine without a policy yet, its ops empty. */
static struct eng *engine(void)
{
	static const struct eng_ops ops = { 0 };
	struct eng_cfg cfg;
	struct eng *e;

	eng_cfg_default(&cfg);
	cfg.flows = 1024;
	cfg.assocs = 16;
	cfg.rq_bufs = 4;
	e = eng_new(&cfg, &ops, NULL);
	assert_non_null(e);
	return e;
}

/* `observed` on the control socket: the engine's table, or an error when
 * the engine does not observe. */
static void test_control_observed(void **state)
{
	static const char policy[] = "device scanner 10.77.1.20 ae SCANNER\n"
				     "peer pacs 10.77.1.10 ae PACS\n";
	struct eng *e = engine();
	struct ruleset_cfg base;
	struct apply ap;
	struct obsnap *obs;
	struct control *ctl;
	char dir[64], sock[96], *s;
	int ret;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "test_learn"), 0);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	ruleset_cfg_default(&base);
	apply_init(&ap, e, &base, NULL, NULL);
	obs = obsnap_new(&(struct obsnap_cfg){ .eng = e });
	assert_non_null(obs);
	ctl = control_open(sock, &(struct control_env){ .eng = e, .apply = &ap, .obs = obs,
							.extra_uid = (uid_t)-1 });
	assert_non_null(ctl);
	s = ctl_exec(ctl, "observed", &ret);
	assert_int_equal(ret, -ENOENT);
	assert_string_equal(s, "{\"error\":\"not observing\"}\n");
	free(s);
	assert_int_equal(eng_observe(e, NULL), 0);
	lrn_flow(eng_observed(e), &(struct lrn_flow_key){ .kind = "allow", .af = 4, .proto = 17,
							  .src = scanner, .dst = pacs, .port = 123 }, 5);
	s = ctl_exec(ctl, "observed", &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(s, "{\"version\":1,\"relations\":[],\"flows\":[{\"kind\":\"allow\","
				  "\"proto\":\"udp\",\"src\":\"10.77.1.20\""));
	free(s);
	/* the proposal from it, the policy in force its template */
	assert_int_equal(policy_apply(&ap, "p", policy, strlen(policy), stderr), 0);
	s = ctl_exec(ctl, "proposal", &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(s, "{\"text\":\"# Proposed by scanwalld --propose from 0 relation(s) "
				  "and 1 flow(s) observed, with a template\\u000adevice scanner 10.77.1.20 "
				  "ae SCANNER\\u000apeer pacs 10.77.1.10 ae PACS\\u000a"));
	assert_non_null(strstr(s, "\\u000aallow udp from scanner to pacs port 123\\u000a"));
	free(s);
	control_close(ctl);
	obsnap_free(obs);
	apply_fini(&ap);
	eng_free(e);
	tmpdir_remove(dir);
}

/* The engine observes refusals by rule, but not the stray packets of no
 * flow; it tells those by the reason's address, so a rule whose reason
 * reads the same is observed like any other. */
static void test_observe_refusals(void **state)
{
	static const char policy[] = "device scanner 10.77.1.20 ae SCANNER\n"
				     "block tcp from any to scanner port 80 "
				     "reason \"not part of a known flow\"\n"
				     "default block\n";
	struct tpkt syn = { "10.77.1.10", "10.77.1.20", IPPROTO_TCP, 40000, 80, 1, 0, 0x02 };
	struct tpkt stray = { "10.77.1.10", "10.77.1.20", IPPROTO_TCP, 40001, 104, 1, 1, 0x10 };
	uint8_t b[256];
	struct eng_pkt pk = { .l3 = b, .ts_ns = 1000000000000ull };
	enum eng_verdict v;
	struct eng *e = engine();

	assert_int_equal(eng_set_policy(e, pol_parse("p", policy, strlen(policy), stderr)), 0);
	assert_int_equal(eng_observe(e, NULL), 0);
	pk.len = tpkt_build(b, &stray);
	eng_packet(e, &pk, &v);
	assert_int_equal(lrn_flow_count(eng_observed(e)), 0);
	pk.len = tpkt_build(b, &syn);
	eng_packet(e, &pk, &v);
	assert_int_equal(v, ENG_DROP);
	assert_int_equal(lrn_flow_count(eng_observed(e)), 1);
	eng_free(e);
}

/* The engine reckons worth by its own clock, not the wall clock: a
 * refusal seen while the wall clock read ten years ahead (a step NTP
 * corrected a second later) is worth what it was on the engine's clock,
 * 9 s before the last of nine refusals after it, however late its "last". */
static void test_observe_wall_step(void **state)
{
	static const char policy[] = "device scanner 10.77.1.20 ae SCANNER\n"
				     "default block\n";
	char src[16];
	struct tpkt syn = { src, "10.77.1.20", IPPROTO_TCP, 40000, 80, 1, 0, 0x02 };
	uint8_t b[256];
	struct eng_pkt pk = { .l3 = b };
	enum eng_verdict v;
	struct eng *e = engine();
	char *json;

	assert_int_equal(eng_set_policy(e, pol_parse("p", policy, strlen(policy), stderr)), 0);
	assert_int_equal(eng_observe(e, NULL), 0);
	for (unsigned i = 0; i < 10; i++) {
		snprintf(src, sizeof(src), "10.77.1.%u", 100 + i);
		pk.ts_ns = (1000ull + i) * 1000000000u;
		pk.wall_ns = (i ? 1800000000ull : 2100000000ull) * 1000000000u;
		pk.len = tpkt_build(b, &syn);
		eng_packet(e, &pk, &v);
	}
	assert_int_equal(lrn_now(eng_observed(e)), 9);
	json = to_json(eng_observed(e));
	assert_non_null(strstr(json, "\"src\":\"10.77.1.100\""));
	assert_non_null(strstr(json, "\"first\":2100000000,\"last\":2100000000,\"worth\":-9}"));
	free(json);
	eng_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_bound_classes),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_load_bad),
		cmocka_unit_test(test_copy_slices),
		cmocka_unit_test(test_periodic_save),
		cmocka_unit_test(test_load_whole),
		cmocka_unit_test(test_load_saturates),
		cmocka_unit_test(test_icmp_one_record),
		cmocka_unit_test(test_control_observed),
		cmocka_unit_test(test_observe_refusals),
		cmocka_unit_test(test_observe_wall_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
