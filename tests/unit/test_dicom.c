/* DICOM Upper Layer inspection: good conversations and every fault,
 * each fed whole, one byte at a time and in pseudo-random splits. The
 * policy is a real one, parsed by pol_parse(). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanwall/dicom.h"
#include "scanwall/policy.h"
#include "test_dicom_pdu.h"

#define I DCM_FROM_INITIATOR
#define A DCM_FROM_ACCEPTOR

static const char pol_full[] =
	"device scp 10.0.0.2 ae ANY-SCP\n"
	"peer scu 10.0.0.1 ae ECHOSCU\n"
	"allow dicom from scu to scp port 104 services verification storage inspect full\n"
	"default block\n";
static const char pol_verif[] =
	"device scp 10.0.0.2 ae ANY-SCP\n"
	"peer scu 10.0.0.1 ae ECHOSCU\n"
	"allow dicom from scu to scp port 104 services verification inspect full\n"
	"default block\n";
static const char pol_full_strict[] =
	"device scp 10.0.0.2 ae ANY-SCP\n"
	"peer scu 10.0.0.1 ae ECHOSCU\n"
	"allow dicom from scu to scp port 104 services verification storage inspect full strict\n"
	"default block\n";
static const char pol_assoc[] =
	"device scp 10.0.0.2 ae ANY-SCP\n"
	"peer scu 10.0.0.1 ae ECHOSCU\n"
	"allow dicom from scu to scp port 104 services verification inspect association\n"
	"default block\n";

enum split { SPLIT_WHOLE, SPLIT_BYTE, SPLIT_RANDOM, SPLIT__COUNT };

struct msg {
	int dir;
	struct pb pb;
};

/* A conversation: messages in order, each one TCP stream chunk. */
struct conv {
	struct msg m[8];
	unsigned n;
};

struct outcome {
	struct dcm_verdict v;	/* the refusal, or the last verdict */
	char detail[80];
	unsigned events;	/* bit per enum dcm_event seen */
	int refused_msg;	/* index of the refusing message, or -1 */
	unsigned anomalies;	/* summed over every feed */
	unsigned told;		/* feeds whose anomaly had a detail (an event) */
	enum dcm_fault anomaly;	/* the first one */
	char anomaly_detail[80];
	int settled;		/* dcm_settled() after the last message */
};

static struct pb *conv_add(struct conv *c, int dir)
{
	struct msg *m = &c->m[c->n++];

	m->dir = dir;
	m->pb.n = 0;
	return &m->pb;
}

static struct pol *policy(const char *text)
{
	struct pol *p = pol_parse("test", text, strlen(text), stderr);

	assert_non_null(p);
	return p;
}

static unsigned lcg_next(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static size_t chunk_len(enum split sp, size_t left, unsigned *seed)
{
	size_t n = sp == SPLIT_WHOLE ? left : sp == SPLIT_BYTE ? 1 : 1 + lcg_next(seed) % 23;

	return n > left ? left : n;
}

static uint32_t be32_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Whether a chunk of m ending at off must be held: inside an RQ or AC
 * (until its last byte), inside a 6-byte PDU header, a release, abort or
 * RJ PDU, or a 6-byte PDV header. A model of the rule, written apart from
 * the code it checks. */
static int held_at(const struct pb *m, size_t off)
{
	size_t p = 0;

	while (p < m->n && p < off) {
		size_t end = p + 6 + be32_at(m->b + p + 2), q;

		if (off < p + 6 || (off < end && m->b[p] != 4))
			return 1;
		for (q = p + 6; m->b[p] == 4 && q < end; q += 4 + be32_at(m->b + q))
			if (off > q && off < q + 6)
				return 1;
		p = end;
	}
	return 0;
}

/* Feeds one message; every chunk is held or passes as held_at() says.
 * Returns 1 when refused. */
static int feed_msg(struct dcm_assoc *a, const struct msg *m, enum split sp, unsigned *seed,
		    struct outcome *o)
{
	size_t off = 0;

	while (off < m->pb.n) {
		size_t n = chunk_len(sp, m->pb.n - off, seed);

		assert_int_equal(dcm_feed(a, m->dir, m->pb.b + off, n, &o->v), 0);
		off += n;
		o->events |= 1u << o->v.event;
		o->told += o->v.anomaly_detail != NULL;
		if (o->v.anomalies && !o->anomalies) {
			o->anomaly = o->v.anomaly;
			snprintf(o->anomaly_detail, sizeof(o->anomaly_detail), "%s",
				 o->v.anomaly_detail);
		}
		o->anomalies += o->v.anomalies;
		if (o->v.step == DCM_REFUSE) {
			snprintf(o->detail, sizeof(o->detail), "%s", o->v.detail ? o->v.detail : "");
			return 1;
		}
		if (o->v.step != (held_at(&m->pb, off) ? DCM_HOLD : DCM_PASS))
			fail_msg("chunk ending at %zu of %zu: step %d", off, m->pb.n, o->v.step);
	}
	return 0;
}

static struct outcome run_pool(struct dcm_pool *pool, const char *poltext,
			       const struct conv *c, enum split sp)
{
	struct pol *pol = policy(poltext);
	struct dcm_assoc *a = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	struct outcome o = { .refused_msg = -1 };
	unsigned seed = 42, i;

	assert_non_null(a);
	for (i = 0; i < c->n; i++) {
		if (feed_msg(a, &c->m[i], sp, &seed, &o)) {
			o.refused_msg = (int)i;
			break;
		}
	}
	o.settled = dcm_settled(a);
	dcm_assoc_free(pool, a);
	pol_free(pol);
	return o;
}

static struct outcome run(const char *poltext, const struct conv *c, enum split sp)
{
	struct dcm_pool *pool = dcm_pool_new(4, 2, 65536);
	struct outcome o;

	assert_non_null(pool);
	o = run_pool(pool, poltext, c, sp);
	dcm_pool_free(pool);
	return o;
}

/* Every split of c must end the same: refused at message idx with the
 * fault, answer and detail given (detail NULL: none expected). */
static void expect_refusal(const char *poltext, const struct conv *c, int idx, enum dcm_fault f,
			   enum dcm_answer ans, uint8_t result, uint8_t source, uint8_t reason,
			   const char *detail)
{
	int sp;

	for (sp = 0; sp < SPLIT__COUNT; sp++) {
		struct outcome o = run(poltext, c, (enum split)sp);

		if (o.v.fault != f)
			fail_msg("split %d: fault %s, expected %s", sp, dcm_fault_name(o.v.fault),
				 dcm_fault_name(f));
		assert_int_equal(o.refused_msg, idx);
		assert_int_equal(o.v.step, DCM_REFUSE);
		assert_int_equal(o.v.answer, ans);
		assert_int_equal(o.v.result, result);
		assert_int_equal(o.v.source, source);
		assert_int_equal(o.v.reason, reason);
		if (detail)
			assert_string_equal(o.detail, detail);
	}
}

#define expect_abort(pol, c, idx, f, reason) \
	expect_refusal(pol, c, idx, f, DCM_ANS_ABORT, 0, 2, reason, NULL)

/* Every split passes; with detail, with exactly one anomaly f (and its
 * detail), else with none. */
static void expect_pass_with(const char *poltext, const struct conv *c, unsigned events,
			     enum dcm_fault f, const char *detail)
{
	int sp;

	for (sp = 0; sp < SPLIT__COUNT; sp++) {
		struct outcome o = run(poltext, c, (enum split)sp);

		if (o.refused_msg >= 0)
			fail_msg("split %d: refused at %d: %s", sp, o.refused_msg,
				 dcm_fault_name(o.v.fault));
		assert_int_equal(o.events & events, events);
		assert_int_equal(o.anomalies, detail ? 1 : 0);
		if (!detail)
			continue;
		assert_string_equal(dcm_fault_name(o.anomaly), dcm_fault_name(f));
		assert_string_equal(o.anomaly_detail, detail);
	}
}

#define expect_pass(pol, c, events) expect_pass_with(pol, c, events, DCM_OK, NULL)
#define expect_anomaly(pol, c, f, detail) expect_pass_with(pol, c, 0, f, detail)
#define EV(e) (1u << (e))

/* The echoscu conversation up to the established association. */
static void conv_established(struct conv *c)
{
	c->n = 0;
	pb_echo_rq(conv_add(c, I));
	pb_echo_ac(conv_add(c, A));
}

static void conv_echo(struct conv *c)
{
	conv_established(c);
	pb_echo_cmd(conv_add(c, I), 0x0030);
	pb_echo_cmd(conv_add(c, A), 0x8030);
	pb_small(conv_add(c, I), 0x05, 0, 0, 0);
	pb_small(conv_add(c, A), 0x06, 0, 0, 0);
}

/* --- good paths ---------------------------------------------------------- */

static void test_echo_conversation(void **state)
{
	struct conv c;

	conv_echo(&c);
	expect_pass(pol_full, &c, EV(DCM_EV_REQUESTED) | EV(DCM_EV_ACCEPTED) | EV(DCM_EV_RELEASED));
	expect_pass(pol_assoc, &c, EV(DCM_EV_REQUESTED) | EV(DCM_EV_ACCEPTED) | EV(DCM_EV_RELEASED));
}

static void test_events_and_titles(void **state)
{
	struct pol *pol = policy(pol_assoc);
	struct dcm_pool *pool = dcm_pool_new(1, 1, 4096);
	struct dcm_assoc *a = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	struct dcm_verdict v;
	struct pb rq = { .n = 0 }, ac = { .n = 0 };

	assert_non_null(a);
	assert_null(dcm_assoc_new(pool, pol_rule_at(pol, 0)));	/* pool of one */
	assert_string_equal(dcm_calling_ae(a), "");
	pb_echo_rq(&rq);
	pb_echo_ac(&ac);
	assert_int_equal(dcm_feed(a, I, rq.b, rq.n - 1, &v), 0);
	assert_int_equal(v.step, DCM_HOLD);
	assert_int_equal(dcm_feed(a, I, rq.b + rq.n - 1, 1, &v), 0);
	assert_int_equal(v.step, DCM_PASS);
	assert_int_equal(v.event, DCM_EV_REQUESTED);
	assert_string_equal(dcm_calling_ae(a), "ECHOSCU");
	assert_string_equal(dcm_called_ae(a), "ANY-SCP");
	assert_false(dcm_settled(a));
	assert_int_equal(dcm_feed(a, A, ac.b, ac.n, &v), 0);
	assert_int_equal(v.event, DCM_EV_ACCEPTED);
	assert_true(dcm_settled(a));
	assert_int_equal(dcm_feed(a, A, ac.b, 0, &v), -EINVAL);
	dcm_assoc_free(pool, a);
	dcm_pool_free(pool);
	pol_free(pol);
}

/* One segment carrying the end of one PDU and the start of the next. */
static void test_pdus_share_segments(void **state)
{
	struct conv c, j;
	unsigned i;

	conv_echo(&c);
	j.n = 0;
	pb_raw(conv_add(&j, I), c.m[0].pb.b, c.m[0].pb.n);
	pb_raw(conv_add(&j, A), c.m[1].pb.b, c.m[1].pb.n);
	/* C-ECHO-RQ and the release request in one chunk, and more */
	conv_add(&j, I);
	for (i = 2; i < c.n; i += 2)
		pb_raw(&j.m[2].pb, c.m[i].pb.b, c.m[i].pb.n);
	conv_add(&j, A);
	for (i = 3; i < c.n; i += 2)
		pb_raw(&j.m[3].pb, c.m[i].pb.b, c.m[i].pb.n);
	expect_pass(pol_full, &j, EV(DCM_EV_RELEASED));
}

/* A C-STORE with a data set in several PDVs and PDUs, the command split
 * across two fragments. */
static void test_store_fragments(void **state)
{
	struct conv c;
	struct pb cmd = { .n = 0 }, *p;
	uint8_t data[300];
	size_t at, half;

	memset(data, 0xab, sizeof(data));
	c.n = 0;
	p = conv_add(&c, I);
	at = pb_assoc_begin(p, 0x01, 1, "ANY-SCP", "ECHOSCU");
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_rq_context(p, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
	pb_rq_context(p, 3, UID_CT, UID_IMPLICIT_LE);
	pb_user_info(p, 0);
	pb_pdu_end(p, at);
	p = conv_add(&c, A);
	at = pb_assoc_begin(p, 0x02, 1, "ANY-SCP", "ECHOSCU");
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_ac_context(p, 1, 0, UID_IMPLICIT_LE);
	pb_ac_context(p, 3, 0, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
	pb_pdu_end(p, at);
	pb_command(&cmd, UID_CT, 0x0001, 0x0000);
	half = cmd.n / 2 + 1;	/* cuts an element */
	p = conv_add(&c, I);
	at = pb_pdu_begin(p, 0x04);
	pb_be32(p, (uint32_t)half + 2);
	pb_u8(p, 3);
	pb_u8(p, 0x01);
	pb_raw(p, cmd.b, half);
	pb_be32(p, (uint32_t)(cmd.n - half) + 2);
	pb_u8(p, 3);
	pb_u8(p, 0x03);
	pb_raw(p, cmd.b + half, cmd.n - half);
	pb_be32(p, 102);
	pb_u8(p, 3);
	pb_u8(p, 0x00);
	pb_raw(p, data, 100);
	pb_pdu_end(p, at);
	pb_pdata(p, 3, 0x02, data, sizeof(data));
	expect_pass(pol_full, &c, EV(DCM_EV_ACCEPTED));
	/* a C-STORE-RSP naming Verification on the CT context: an anomaly,
	 * refused only under a strict rule */
	cmd.n = 0;
	pb_command(&cmd, UID_VERIFICATION, 0x8001, 0x0101);
	pb_pdata(conv_add(&c, A), 3, 0x03, cmd.b, cmd.n);
	expect_anomaly(pol_full, &c, DCM_A_RSP_SOP, UID_VERIFICATION);
	expect_refusal(pol_full_strict, &c, 3, DCM_A_RSP_SOP, DCM_ANS_ABORT, 0, 2, 6,
		       UID_VERIFICATION);
}

/* Data set bytes ahead of the stream position: what the engine may pass
 * out of order, and skip later without seeing.
 *
 *   RQ, AC, C-STORE-RQ command | PDU hdr, PDV hdr | 300 data bytes | ...
 *                                 structural        data: skippable
 */
/* An RQ and its AC for one CT context (id 3), a C-STORE-RQ command on it
 * (a data set follows) and the C-STORE-RSP. */
static void pb_ct_store(struct pb *rq, struct pb *ac, struct pb *store, struct pb *rsp)
{
	struct pb cmd = { .n = 0 };
	size_t at;

	at = pb_assoc_begin(rq, 0x01, 1, "ANY-SCP", "ECHOSCU");
	pb_item_str(rq, 0x10, UID_APP_CONTEXT);
	pb_rq_context(rq, 3, UID_CT, UID_IMPLICIT_LE);
	pb_user_info(rq, 0);
	pb_pdu_end(rq, at);
	at = pb_assoc_begin(ac, 0x02, 1, "ANY-SCP", "ECHOSCU");
	pb_item_str(ac, 0x10, UID_APP_CONTEXT);
	pb_ac_context(ac, 3, 0, UID_IMPLICIT_LE);
	pb_user_info(ac, 16384);
	pb_pdu_end(ac, at);
	pb_command(&cmd, UID_CT, 0x0001, 0x0000);
	pb_pdata(store, 3, 0x03, cmd.b, cmd.n);
	cmd.n = 0;
	pb_command(&cmd, UID_CT, 0x8001, 0x0101);
	pb_pdata(rsp, 3, 0x03, cmd.b, cmd.n);
}

/* The structural ranges of one feed, for the engine to keep:
 *
 *   |PDU+PDV 12|data 20|PDU+PDV 12|data 20|PDU+PDV 12|data 20|  -> 3 ranges
 *   30 such PDUs in one feed -> DCM_RANGES, the last one stretched to the
 *   last header (data between them taken in: stricter, never looser) */
static void test_structural_ranges(void **state)
{
	struct pol *pol = policy(pol_full);
	struct dcm_pool *pool = dcm_pool_new(1, 1, 65536);
	struct dcm_assoc *a = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	struct pb rq = { .n = 0 }, ac = { .n = 0 }, store = { .n = 0 }, rsp = { .n = 0 };
	struct pb data = { .n = 0 };
	struct dcm_verdict v;
	uint8_t bytes[20];
	unsigned i;

	memset(bytes, 0x5a, sizeof(bytes));
	pb_ct_store(&rq, &ac, &store, &rsp);
	for (i = 0; i < 3; i++)
		pb_pdata(&data, 3, 0x00, bytes, sizeof(bytes));
	dcm_feed(a, I, rq.b, rq.n, &v);
	assert_int_equal(v.nstruct, 1);				/* the whole RQ */
	assert_int_equal(v.structs[0].hi, rq.n);
	dcm_feed(a, A, ac.b, ac.n, &v);
	dcm_feed(a, I, store.b, store.n, &v);
	dcm_feed(a, I, data.b, data.n, &v);
	assert_int_equal(v.step, DCM_PASS);
	assert_int_equal(v.nstruct, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(v.structs[i].lo, 32 * i);
		assert_int_equal(v.structs[i].hi, 32 * i + 12);
	}
	data.n = 0;
	for (i = 0; i < 30; i++)
		pb_pdata(&data, 3, 0x00, bytes, sizeof(bytes));
	dcm_feed(a, I, data.b, data.n, &v);
	assert_int_equal(v.step, DCM_PASS);
	assert_int_equal(v.nstruct, DCM_RANGES);
	assert_int_equal(v.structs[DCM_RANGES - 1].lo, 32 * (DCM_RANGES - 1));
	assert_int_equal(v.structs[DCM_RANGES - 1].hi, 32 * 29 + 12);
	dcm_assoc_free(pool, a);
	dcm_pool_free(pool);
	pol_free(pol);
}

static void test_data_ahead_and_skip(void **state)
{
	struct pol *pol = policy(pol_full);
	struct dcm_pool *pool = dcm_pool_new(1, 1, 65536);
	struct dcm_assoc *a = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	struct pb rq = { .n = 0 }, ac = { .n = 0 }, store = { .n = 0 };
	struct pb data = { .n = 0 }, rsp = { .n = 0 };
	struct dcm_verdict v;
	uint8_t bytes[300];

	memset(bytes, 0x5a, sizeof(bytes));
	pb_ct_store(&rq, &ac, &store, &rsp);
	pb_pdata(&data, 3, 0x02, bytes, sizeof(bytes));

	assert_non_null(a);
	assert_int_equal(dcm_data_ahead(a, I), 0);		/* nothing before the AC */
	dcm_feed(a, I, rq.b, rq.n, &v);
	assert_int_equal(v.event, DCM_EV_REQUESTED);
	dcm_feed(a, A, ac.b, ac.n, &v);
	assert_int_equal(v.event, DCM_EV_ACCEPTED);
	dcm_feed(a, I, store.b, store.n, &v);
	assert_string_equal(dcm_fault_name(v.fault), dcm_fault_name(DCM_OK));
	assert_int_equal(dcm_data_ahead(a, I), 0);		/* between messages */
	dcm_feed(a, I, data.b, 12 + 50, &v);			/* headers and 50 bytes */
	assert_int_equal(v.step, DCM_PASS);
	assert_int_equal(v.struct_lo, 0);
	assert_int_equal(v.struct_hi, 12);			/* only the headers parsed */
	assert_int_equal(dcm_data_ahead(a, I), 250);
	assert_int_equal(dcm_skip_data(a, I, 251), -EINVAL);	/* past the fragment */
	assert_int_equal(dcm_skip_data(a, I, 200), 0);
	assert_int_equal(dcm_data_ahead(a, I), 50);
	dcm_feed(a, I, data.b + 12 + 250, 50, &v);		/* the last 50, in order */
	assert_int_equal(v.step, DCM_PASS);
	assert_int_equal(v.struct_hi, 0);			/* all of it data */
	assert_int_equal(dcm_data_ahead(a, I), 0);
	dcm_feed(a, A, rsp.b, rsp.n, &v);			/* the stream is in step */
	assert_int_equal(v.step, DCM_PASS);
	dcm_assoc_free(pool, a);
	dcm_pool_free(pool);
	pol_free(pol);
}

/* One feed of a hint table: n bytes from off of pdu (n 0: the rest), and
 * what its verdict must say. */
struct hint_row {
	enum dcm_dir dir;
	const struct pb *pdu;
	size_t off, n;
	enum dcm_step step;
	enum dcm_event event;
	uint8_t answer_next;
};

/* Feeds the rows in order to one association under pol_full. */
static void expect_hints(const struct hint_row *r, size_t rows)
{
	struct pol *pol = policy(pol_full);
	struct dcm_pool *pool = dcm_pool_new(1, 1, 65536);
	struct dcm_assoc *a = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	struct dcm_verdict v;
	size_t i;

	assert_non_null(a);
	for (i = 0; i < rows; i++, r++) {
		size_t n = r->n ? r->n : r->pdu->n - r->off;

		assert_int_equal(dcm_feed(a, r->dir, r->pdu->b + r->off, n, &v), 0);
		if (v.step != r->step || v.event != r->event || v.answer_next != r->answer_next)
			fail_msg("row %zu: step %d event %d answer_next %d, expected %d %d %d", i,
				 v.step, v.event, v.answer_next, r->step, r->event, r->answer_next);
	}
	dcm_assoc_free(pool, a);
	dcm_pool_free(pool);
	pol_free(pol);
}

/* answer_next: what the other side answers at once, fed PDU by PDU. */
static void test_answer_next(void **state)
{
	struct pb rq = { .n = 0 }, ac = { .n = 0 }, store = { .n = 0 }, rsp = { .n = 0 };
	struct pb first = { .n = 0 }, last = { .n = 0 };
	struct pb rel_rq = { .n = 0 }, rel_rp = { .n = 0 };
	uint8_t bytes[200];

	memset(bytes, 0x5a, sizeof(bytes));
	pb_ct_store(&rq, &ac, &store, &rsp);
	pb_pdata(&first, 3, 0x00, bytes, 100);
	pb_pdata(&last, 3, 0x02, bytes, sizeof(bytes));
	pb_small(&rel_rq, 0x05, 0, 0, 0);
	pb_small(&rel_rp, 0x06, 0, 0, 0);
	const struct hint_row rows[] = {
		/* the RQ but its last byte: held, nothing passed */
		{ I, &rq, 0, rq.n - 1, DCM_HOLD, DCM_EV_NONE, 0 },
		/* its last byte: passed, the AC comes */
		{ I, &rq, rq.n - 1, 1, DCM_PASS, DCM_EV_REQUESTED, 1 },
		/* the AC: a request comes */
		{ A, &ac, 0, 0, DCM_PASS, DCM_EV_ACCEPTED, 1 },
		/* C-STORE-RQ command, a data set follows */
		{ I, &store, 0, 0, DCM_PASS, DCM_EV_NONE, 0 },
		/* the data set's first fragment, then its last: the RSP comes */
		{ I, &first, 0, 0, DCM_PASS, DCM_EV_NONE, 0 },
		{ I, &last, 0, 0, DCM_PASS, DCM_EV_NONE, 1 },
		/* the C-STORE-RSP: the next request comes */
		{ A, &rsp, 0, 0, DCM_PASS, DCM_EV_NONE, 1 },
		/* A-RELEASE-RQ: the RP comes; the RP ends it all */
		{ I, &rel_rq, 0, 0, DCM_PASS, DCM_EV_NONE, 1 },
		{ A, &rel_rp, 0, 0, DCM_PASS, DCM_EV_RELEASED, 0 },
	};

	expect_hints(rows, sizeof(rows) / sizeof(rows[0]));
}

/* A feed that completes a message and then starts a PDU that is held
 * carries no hint: nothing of what it holds has passed yet. */
static void test_answer_next_not_when_held(void **state)
{
	struct pb rq = { .n = 0 }, ac = { .n = 0 }, echo = { .n = 0 };

	pb_echo_rq(&rq);
	pb_echo_ac(&ac);
	pb_echo_cmd(&echo, 0x0030);
	pb_u8(&echo, 0x01);		/* and the first byte of an RQ */
	const struct hint_row rows[] = {
		{ I, &rq, 0, 0, DCM_PASS, DCM_EV_REQUESTED, 1 },
		{ A, &ac, 0, 0, DCM_PASS, DCM_EV_ACCEPTED, 1 },
		{ I, &echo, 0, 0, DCM_HOLD, DCM_EV_NONE, 0 },
	};

	expect_hints(rows, sizeof(rows) / sizeof(rows[0]));
}

/* A malformed PDU cut inside its PDU header or its PDV header: not one of
 * its bytes passes before the rest shows it malformed.
 *
 *   04 00 00 00 | 00 0c 00 00 00 06 01 | 07 ...   reserved control bits
 *   held ------------------------------>  refused
 */
static void test_partial_headers_held(void **state)
{
	struct pol *pol = policy(pol_full);
	struct dcm_pool *pool = dcm_pool_new(1, 1, 4096);
	struct dcm_assoc *a = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	struct pb rq = { .n = 0 }, ac = { .n = 0 }, bad = { .n = 0 }, rel = { .n = 0 };
	struct dcm_verdict v;

	pb_echo_rq(&rq);
	pb_echo_ac(&ac);
	pb_echo_cmd(&bad, 0x0030);
	bad.b[11] = 0x07;	/* PDV control: reserved bits */
	assert_int_equal(dcm_feed(a, I, rq.b, rq.n, &v), 0);
	assert_int_equal(dcm_feed(a, A, ac.b, ac.n, &v), 0);
	assert_int_equal(dcm_feed(a, I, bad.b, 4, &v), 0);	/* PDU header */
	assert_int_equal(v.step, DCM_HOLD);
	assert_int_equal(dcm_feed(a, I, bad.b + 4, 7, &v), 0);	/* ... and PDV header */
	assert_int_equal(v.step, DCM_HOLD);
	assert_int_equal(dcm_feed(a, I, bad.b + 11, 1, &v), 0);
	assert_int_equal(v.step, DCM_REFUSE);
	assert_int_equal(v.fault, DCM_F_PDV_CONTROL);
	dcm_assoc_free(pool, a);
	/* a release request is held whole, all 10 bytes */
	a = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	pb_small(&rel, 0x05, 0, 0, 0);
	assert_int_equal(dcm_feed(a, I, rq.b, rq.n, &v), 0);
	assert_int_equal(dcm_feed(a, A, ac.b, ac.n, &v), 0);
	assert_int_equal(dcm_feed(a, I, rel.b, 9, &v), 0);
	assert_int_equal(v.step, DCM_HOLD);
	assert_int_equal(dcm_feed(a, I, rel.b + 9, 1, &v), 0);
	assert_int_equal(v.step, DCM_PASS);
	dcm_assoc_free(pool, a);
	dcm_pool_free(pool);
	pol_free(pol);
}

/* A UID with one trailing pad byte (NUL or space) is tolerated. */
static void test_uid_one_pad(void **state)
{
	struct conv c;
	size_t at;
	struct pb *p;

	c.n = 0;
	p = conv_add(&c, I);
	at = pb_assoc_begin(p, 0x01, 1, "ANY-SCP", "  ECHOSCU");
	pb_item_str(p, 0x10, UID_APP_CONTEXT " ");
	pb_rq_context(p, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
	pb_raw(p, "\x20\x00\x00\x20\x03\x00\x00\x00\x30\x00\x00\x12" UID_VERIFICATION "\0"
		  "\x40\x00\x00\x02" "10", 36);
	pb_user_info(p, 16384);
	pb_pdu_end(p, at);
	expect_pass(pol_full, &c, EV(DCM_EV_REQUESTED));
}

/* Release collision: both ask, both answer. */
static void test_release_collision(void **state)
{
	struct conv c;

	conv_established(&c);
	pb_small(conv_add(&c, I), 0x05, 0, 0, 0);
	pb_small(conv_add(&c, A), 0x05, 0, 0, 0);
	pb_small(conv_add(&c, A), 0x06, 0, 0, 0);
	pb_small(conv_add(&c, I), 0x06, 0, 0, 0);
	expect_pass(pol_full, &c, EV(DCM_EV_RELEASED));
	pb_small(conv_add(&c, I), 0x07, 0, 0, 0);
	expect_refusal(pol_full, &c, 6, DCM_F_AFTER_CLOSE, DCM_ANS_NONE, 0, 0, 0, NULL);
}

static void test_rejected_and_aborted(void **state)
{
	struct conv c;

	c.n = 0;
	pb_echo_rq(conv_add(&c, I));
	pb_small(conv_add(&c, A), 0x03, 1, 1, 7);
	expect_pass(pol_full, &c, EV(DCM_EV_REJECTED));
	conv_established(&c);
	pb_small(conv_add(&c, A), 0x07, 0, 2, 6);
	expect_pass(pol_full, &c, EV(DCM_EV_ABORTED));
}

/* --- policy -------------------------------------------------------------- */

static void rq_with(struct conv *c, const char *called, const char *calling,
		    const char *abs1, const char *abs3)
{
	struct pb *p;
	size_t at;

	c->n = 0;
	p = conv_add(c, I);
	at = pb_assoc_begin(p, 0x01, 1, called, calling);
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_rq_context(p, 1, abs1, UID_IMPLICIT_LE);
	if (abs3)
		pb_rq_context(p, 3, abs3, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
	pb_pdu_end(p, at);
}

static void test_policy_refusals(void **state)
{
	struct conv c;

	rq_with(&c, "ANY-SCP", "EVIL", UID_VERIFICATION, NULL);
	expect_refusal(pol_full, &c, 0, DCM_R_CALLING_AE, DCM_ANS_RJ, 1, 1, 3, "EVIL");
	rq_with(&c, "OTHER", "ECHOSCU", UID_VERIFICATION, NULL);
	expect_refusal(pol_full, &c, 0, DCM_R_CALLED_AE, DCM_ANS_RJ, 1, 1, 7, "OTHER");
	/* a class outside the rule proposed beside one within: judged at the AC */
	rq_with(&c, "ANY-SCP", "ECHOSCU", UID_VERIFICATION, UID_CT);
	expect_pass(pol_assoc, &c, EV(DCM_EV_REQUESTED));
	rq_with(&c, "ANY-SCP", "ECHOSCU", UID_CT, NULL);
	expect_refusal(pol_assoc, &c, 0, DCM_R_NO_CONTEXT, DCM_ANS_RJ, 1, 1, 1, NULL);
	rq_with(&c, "ANY-SCP", "ECHOSCU", UID_CT, NULL);
	expect_refusal(pol_verif, &c, 0, DCM_R_NO_CONTEXT, DCM_ANS_RJ, 1, 1, 1, NULL);
	/* inspect full: tolerated at negotiation, refused when used */
	rq_with(&c, "ANY-SCP", "ECHOSCU", UID_VERIFICATION, UID_CT);
	expect_pass(pol_verif, &c, EV(DCM_EV_REQUESTED));
}

static void conv_two_accepted(struct conv *c, uint8_t result3)
{
	struct pb *p;
	size_t at;

	rq_with(c, "ANY-SCP", "ECHOSCU", UID_VERIFICATION, UID_CT);
	p = conv_add(c, A);
	at = pb_assoc_begin(p, 0x02, 1, "ANY-SCP", "ECHOSCU");
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_ac_context(p, 1, 0, UID_IMPLICIT_LE);
	pb_ac_context(p, 3, result3, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
	pb_pdu_end(p, at);
}

/* An empty Affected SOP Class in a response (dcmjs-dimse's C-STORE-RSP
 * made without its request) is an anomaly, not a fault. */
static void test_empty_class_in_response(void **state)
{
	struct conv c;
	struct pb cmd = { .n = 0 }, body = { .n = 0 };

	pb_elem_raw(&body, 0x0002, "", 0);
	pb_elem_us(&body, 0x0100, 0x8030);
	pb_elem_us(&body, 0x0120, 1);
	pb_elem_us(&body, 0x0800, 0x0101);
	pb_elem_us(&body, 0x0900, 0);
	pb_command_body(&cmd, &body);
	conv_established(&c);
	pb_echo_cmd(conv_add(&c, I), 0x0030);
	pb_pdata(conv_add(&c, A), 1, 0x03, cmd.b, cmd.n);
	expect_anomaly(pol_full, &c, DCM_A_RSP_SOP, "");
}

/* The same anomaly twice on one association: both counted, one told. */
static void test_anomaly_told_once(void **state)
{
	struct conv c;
	struct pb cmd = { .n = 0 };
	struct outcome o;
	int sp;

	conv_established(&c);
	pb_command(&cmd, UID_CT, 0x8030, 0x0101);
	pb_echo_cmd(conv_add(&c, I), 0x0030);
	pb_pdata(conv_add(&c, A), 1, 0x03, cmd.b, cmd.n);
	pb_echo_cmd(conv_add(&c, I), 0x0030);
	pb_pdata(conv_add(&c, A), 1, 0x03, cmd.b, cmd.n);
	for (sp = 0; sp < SPLIT__COUNT; sp++) {
		o = run(pol_full, &c, (enum split)sp);
		assert_int_equal(o.refused_msg, -1);
		assert_int_equal(o.anomalies, 2);
		assert_int_equal(o.told, 1);
		assert_string_equal(o.anomaly_detail, UID_CT);
	}
}

/* Orthanc's shape: Verification and CT proposed, the rule allows only
 * Verification. inspect association settles at the AC when the acceptor
 * rejects CT; when it accepts CT the association stays inspected in full
 * (an anomaly says so) and a message on CT aborts it. */
static void test_judged_at_ac(void **state)
{
	struct conv c;
	struct pb cmd = { .n = 0 };
	struct outcome o;
	int sp;

	for (sp = 0; sp < SPLIT__COUNT; sp++) {
		conv_two_accepted(&c, 3);
		o = run(pol_assoc, &c, (enum split)sp);
		assert_int_equal(o.refused_msg, -1);
		assert_int_equal(o.anomalies, 0);
		assert_true(o.settled);
		conv_two_accepted(&c, 0);
		o = run(pol_assoc, &c, (enum split)sp);
		assert_int_equal(o.refused_msg, -1);
		assert_false(o.settled);
		/* under inspect full nothing changes: no anomaly */
		o = run(pol_verif, &c, (enum split)sp);
		assert_int_equal(o.anomalies, 0);
	}
	conv_two_accepted(&c, 0);
	expect_anomaly(pol_assoc, &c, DCM_A_CONTEXT_OUTSIDE, "presentation-context-3");
	pb_echo_cmd(conv_add(&c, I), 0x0030);
	pb_echo_cmd(conv_add(&c, A), 0x8030);
	expect_anomaly(pol_assoc, &c, DCM_A_CONTEXT_OUTSIDE, "presentation-context-3");
	pb_command(&cmd, UID_CT, 0x0001, 0x0000);
	pb_pdata(conv_add(&c, I), 3, 0x03, cmd.b, cmd.n);
	expect_refusal(pol_assoc, &c, 4, DCM_R_CONTEXT, DCM_ANS_ABORT, 0, 2, 0,
		       "presentation-context-3");
}

static void test_context_and_command_refusals(void **state)
{
	struct conv c;
	struct pb cmd = { .n = 0 };

	conv_two_accepted(&c, 0);
	pb_command(&cmd, UID_CT, 0x0001, 0x0000);
	pb_pdata(conv_add(&c, I), 3, 0x03, cmd.b, cmd.n);
	expect_refusal(pol_verif, &c, 2, DCM_R_CONTEXT, DCM_ANS_ABORT, 0, 2, 0,
		       "presentation-context-3");
	expect_pass(pol_full, &c, EV(DCM_EV_ACCEPTED));
	/* C-STORE on the Verification context */
	conv_established(&c);
	cmd.n = 0;
	pb_command(&cmd, UID_VERIFICATION, 0x0001, 0x0101);
	pb_pdata(conv_add(&c, I), 1, 0x03, cmd.b, cmd.n);
	expect_refusal(pol_full, &c, 2, DCM_R_COMMAND, DCM_ANS_ABORT, 0, 2, 0, "C-STORE");
	/* C-ECHO naming CT as its class: known to the policy, not the context's */
	conv_established(&c);
	cmd.n = 0;
	pb_command(&cmd, UID_CT, 0x0030, 0x0101);
	pb_pdata(conv_add(&c, I), 1, 0x03, cmd.b, cmd.n);
	expect_refusal(pol_full, &c, 2, DCM_F_SOP_MISMATCH, DCM_ANS_ABORT, 0, 2, 6, UID_CT);
	/* ... or unknown to it */
	conv_established(&c);
	cmd.n = 0;
	pb_command(&cmd, "1.2.3.4", 0x0030, 0x0101);
	pb_pdata(conv_add(&c, I), 1, 0x03, cmd.b, cmd.n);
	expect_refusal(pol_full, &c, 2, DCM_F_SOP_MISMATCH, DCM_ANS_ABORT, 0, 2, 6, "1.2.3.4");
	/* not a command at all */
	conv_established(&c);
	cmd.n = 0;
	pb_command(&cmd, UID_VERIFICATION, 0x7777, 0x0101);
	pb_pdata(conv_add(&c, I), 1, 0x03, cmd.b, cmd.n);
	expect_refusal(pol_full, &c, 2, DCM_R_COMMAND, DCM_ANS_ABORT, 0, 2, 0, "0x7777");
}

static void test_busy(void **state)
{
	struct pol *pol = policy(pol_full);
	struct dcm_pool *pool = dcm_pool_new(2, 1, 4096);
	struct dcm_assoc *a1 = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	struct dcm_assoc *a2 = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	struct pb rq = { .n = 0 };
	struct dcm_verdict v;

	/* the slots the engine keeps its own half of each association at */
	assert_int_equal(dcm_assoc_slot(pool, a1), 1);
	assert_int_equal(dcm_assoc_slot(pool, a2), 2);
	assert_int_equal(dcm_pool_span(pool), 2);
	assert_null(dcm_assoc_new(pool, pol_rule_at(pol, 0)));
	pb_echo_rq(&rq);
	assert_int_equal(dcm_feed(a1, I, rq.b, 20, &v), 0);
	assert_int_equal(v.step, DCM_HOLD);
	assert_int_equal(dcm_feed(a2, I, rq.b, rq.n, &v), 0);
	assert_int_equal(v.step, DCM_REFUSE);
	assert_int_equal(v.fault, DCM_R_BUSY);
	assert_int_equal(v.answer, DCM_ANS_RJ);
	assert_int_equal(v.result, 2);
	assert_int_equal(v.source, 3);
	assert_int_equal(v.reason, 2);
	/* once refused, always refused, answered once */
	assert_int_equal(dcm_feed(a2, I, rq.b, 1, &v), 0);
	assert_int_equal(v.step, DCM_REFUSE);
	assert_int_equal(v.answer, DCM_ANS_NONE);
	/* freeing a1 gives its buffer back */
	dcm_assoc_free(pool, a1);
	dcm_assoc_free(pool, a2);
	a1 = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	assert_int_equal(dcm_assoc_slot(pool, a1), 2);	/* the last given back */
	assert_int_equal(dcm_feed(a1, I, rq.b, rq.n, &v), 0);
	assert_int_equal(v.event, DCM_EV_REQUESTED);
	dcm_assoc_free(pool, a1);
	dcm_pool_free(pool);
	pol_free(pol);
}

/* --- framing ------------------------------------------------------------- */

static void test_framing_faults(void **state)
{
	struct conv c;
	struct pb *p;
	size_t at;

	c.n = 0;
	pb_small(conv_add(&c, I), 0x08, 0, 0, 0);
	expect_abort(pol_full, &c, 0, DCM_F_PDU_TYPE, 1);
	c.n = 0;
	pb_small(conv_add(&c, I), 0x00, 0, 0, 0);
	expect_abort(pol_full, &c, 0, DCM_F_PDU_TYPE, 1);
	/* RJ with length 5 */
	c.n = 0;
	pb_echo_rq(conv_add(&c, I));
	p = conv_add(&c, A);
	at = pb_pdu_begin(p, 0x03);
	pb_raw(p, "\0\1\1\1\0", 5);
	pb_pdu_end(p, at);
	expect_abort(pol_full, &c, 1, DCM_F_PDU_LENGTH, 6);
	/* an RQ shorter than its fixed part */
	c.n = 0;
	p = conv_add(&c, I);
	at = pb_pdu_begin(p, 0x01);
	pb_raw(p, "\0\1\0\0", 4);
	pb_pdu_end(p, at);
	expect_abort(pol_full, &c, 0, DCM_F_PDU_LENGTH, 6);
	/* an RQ longer than the pool's buffers: refused at its header */
	c.n = 0;
	p = conv_add(&c, I);
	pb_raw(p, "\x01\x00\x00\x01\x00\x01", 6);
	expect_abort(pol_full, &c, 0, DCM_F_PDU_TOO_LONG, 6);
	/* P-DATA before the association, AC from the wrong side */
	c.n = 0;
	pb_echo_cmd(conv_add(&c, I), 0x0030);
	expect_abort(pol_full, &c, 0, DCM_F_PDU_UNEXPECTED, 2);
	c.n = 0;
	pb_echo_ac(conv_add(&c, I));
	expect_abort(pol_full, &c, 0, DCM_F_PDU_UNEXPECTED, 2);
	c.n = 0;
	pb_echo_ac(conv_add(&c, A));
	expect_abort(pol_full, &c, 0, DCM_F_PDU_UNEXPECTED, 2);
	/* a second RQ */
	conv_established(&c);
	pb_echo_rq(conv_add(&c, I));
	expect_abort(pol_full, &c, 2, DCM_F_PDU_UNEXPECTED, 2);
	/* P-DATA after asking for release */
	conv_established(&c);
	pb_small(conv_add(&c, I), 0x05, 0, 0, 0);
	pb_echo_cmd(conv_add(&c, I), 0x0030);
	expect_abort(pol_full, &c, 3, DCM_F_PDU_UNEXPECTED, 2);
	/* bytes after release */
	conv_echo(&c);
	pb_echo_cmd(conv_add(&c, I), 0x0030);
	expect_refusal(pol_full, &c, 6, DCM_F_AFTER_CLOSE, DCM_ANS_NONE, 0, 0, 0, NULL);
	/* after an abort, even a byte of garbage */
	conv_established(&c);
	pb_small(conv_add(&c, I), 0x07, 0, 0, 0);
	pb_u8(conv_add(&c, A), 0xff);
	expect_refusal(pol_full, &c, 3, DCM_F_AFTER_CLOSE, DCM_ANS_NONE, 0, 0, 0, NULL);
	/* RJ and abort fields */
	c.n = 0;
	pb_echo_rq(conv_add(&c, I));
	pb_small(conv_add(&c, A), 0x03, 3, 1, 1);
	expect_abort(pol_full, &c, 1, DCM_F_RJ_FIELDS, 6);
	c.n = 0;
	pb_echo_rq(conv_add(&c, I));
	pb_small(conv_add(&c, A), 0x03, 1, 1, 5);
	expect_abort(pol_full, &c, 1, DCM_F_RJ_FIELDS, 6);
	conv_established(&c);
	pb_small(conv_add(&c, A), 0x07, 0, 1, 0);
	expect_abort(pol_full, &c, 2, DCM_F_RJ_FIELDS, 6);
}

static void test_pdata_too_long(void **state)
{
	struct conv c;
	struct pb *p;
	size_t at;
	static uint8_t big[16384];

	conv_established(&c);
	/* exactly the acceptor's maximum passes... */
	p = conv_add(&c, I);
	at = pb_pdu_begin(p, 0x04);
	pb_be32(p, 16380);
	pb_u8(p, 1);
	pb_u8(p, 0x00);
	pb_raw(p, big, 16378);
	pb_pdu_end(p, at);
	expect_abort(pol_full, &c, 2, DCM_F_PDV_ORDER, 6);	/* data, no command */
	/* ...one byte more does not */
	conv_established(&c);
	p = conv_add(&c, I);
	at = pb_pdu_begin(p, 0x04);
	pb_be32(p, 16381);
	pb_u8(p, 1);
	pb_u8(p, 0x00);
	pb_raw(p, big, 16379);
	pb_pdu_end(p, at);
	expect_abort(pol_full, &c, 2, DCM_F_PDU_TOO_LONG, 6);
}

/* --- association items --------------------------------------------------- */

typedef void (*rq_body_fn)(struct pb *p);

static void conv_rq_body(struct conv *c, uint16_t version, const char *called,
			 const char *calling, rq_body_fn body)
{
	struct pb *p;
	size_t at;

	c->n = 0;
	p = conv_add(c, I);
	at = pb_assoc_begin(p, 0x01, version, called, calling);
	body(p);
	pb_pdu_end(p, at);
}

/* The application context and echoscu's one presentation context. */
static void app_echo(struct pb *p)
{
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_rq_context(p, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
}

/* A well-formed RQ body proposing abstract syntax abs on context id. */
static void body_context(struct pb *p, uint8_t id, const char *abs)
{
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_rq_context(p, id, abs, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
}

static void body_good(struct pb *p)
{
	body_context(p, 1, UID_VERIFICATION);
}

/* app_echo, then a user information item of the given sub-items. */
static void user_subs(struct pb *p, const char *raw, size_t n)
{
	size_t at;

	app_echo(p);
	at = pb_item_begin(p, 0x50);
	pb_raw(p, raw, n);
	pb_item_end(p, at);
}

#define USER_SUBS(p, lit) user_subs(p, lit, sizeof(lit) - 1)
#define MAX_LEN_16K "\x51\x00\x00\x04\x00\x00\x40\x00"	/* 0x51: 16384 */

/* The application context, then a presentation context item with id 1
 * whose sub-items the caller writes before ctx1_end(). */
static size_t ctx1_begin(struct pb *p)
{
	size_t at;

	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	at = pb_item_begin(p, 0x20);
	pb_raw(p, "\x01\x00\x00\x00", 4);
	return at;
}

static void ctx1_end(struct pb *p, size_t at)
{
	pb_item_end(p, at);
	pb_user_info(p, 16384);
}

static void expect_rq_fault(rq_body_fn body, enum dcm_fault f)
{
	struct conv c;

	conv_rq_body(&c, 1, "ANY-SCP", "ECHOSCU", body);
	expect_abort(pol_full, &c, 0, f, 6);
}

/* DCMTK CVE-2015-8979: a sub-item longer than its presentation context */
static void body_cve_2015_8979(struct pb *p)
{
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_raw(p, "\x20\x00\x00\x08\x01\x00\x00\x00\x30\x00\x01\x00", 12);
	pb_item_str(p, 0x40, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
}

/* an item longer than the PDU */
static void body_item_past_pdu(struct pb *p)
{
	body_good(p);
	pb_raw(p, "\x50\x00\x00\x40\x51\x00", 6);
}

/* zero-length items: must fail, or be skipped, never spin */
static void body_zero_context(struct pb *p)
{
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_raw(p, "\x20\x00\x00\x00", 4);
	pb_rq_context(p, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
}

static void body_zero_subitem(struct pb *p)
{
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_raw(p, "\x20\x00\x00\x08\x01\x00\x00\x00\x30\x00\x00\x00", 12);
	pb_user_info(p, 16384);
}

static void body_zero_app(struct pb *p)
{
	pb_raw(p, "\x10\x00\x00\x00", 4);
	pb_rq_context(p, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
}

static void body_zero_user_subs(struct pb *p)
{
	char raw[200 * 4 + sizeof(MAX_LEN_16K) - 1];
	size_t i;

	for (i = 0; i < 200; i++)
		memcpy(raw + 4 * i, "\x60\x00\x00\x00", 4);
	memcpy(raw + 4 * i, MAX_LEN_16K, sizeof(MAX_LEN_16K) - 1);
	user_subs(p, raw, sizeof(raw));
}

static void body_unknown_item(struct pb *p)
{
	body_good(p);
	pb_item_str(p, 0x33, "x");
}

static void body_unknown_subitem(struct pb *p)
{
	size_t at = ctx1_begin(p);

	pb_item_str(p, 0x30, UID_VERIFICATION);
	pb_item_str(p, 0x31, UID_VERIFICATION);
	pb_item_str(p, 0x40, UID_IMPLICIT_LE);
	ctx1_end(p, at);
}

static void body_no_app(struct pb *p)
{
	pb_rq_context(p, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
}

static void body_no_context(struct pb *p)
{
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	pb_user_info(p, 16384);
}

static void body_no_user(struct pb *p)
{
	app_echo(p);
}

static void body_no_max(struct pb *p)
{
	USER_SUBS(p, "\x52\x00\x00\x1b" UID_DCMTK_IMPL);	/* 27 bytes */
}

static void body_two_apps(struct pb *p)
{
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	body_good(p);
}

static void body_two_users(struct pb *p)
{
	body_good(p);
	pb_user_info(p, 16384);
}

static void body_two_max(struct pb *p)
{
	USER_SUBS(p, MAX_LEN_16K MAX_LEN_16K);
}

static void body_max_len2(struct pb *p)
{
	USER_SUBS(p, "\x51\x00\x00\x02\x40\x00");
}

/* an implementation version name of 17 bytes, one over */
static void body_impl_version_17(struct pb *p)
{
	USER_SUBS(p, MAX_LEN_16K "\x55\x00\x00\x11" "OFFIS_DCMTK_367_X");
}

static void body_wrong_app(struct pb *p)
{
	pb_item_str(p, 0x10, "1.2.840.10008.3.1.1.2");
	pb_rq_context(p, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
}

static void body_even_id(struct pb *p)
{
	body_context(p, 2, UID_VERIFICATION);
}

static void body_zero_id(struct pb *p)
{
	body_context(p, 0, UID_VERIFICATION);
}

static void body_dup_id(struct pb *p)
{
	app_echo(p);
	pb_rq_context(p, 1, UID_CT, UID_IMPLICIT_LE);
	pb_user_info(p, 16384);
}

static void body_two_abstract(struct pb *p)
{
	size_t at = ctx1_begin(p);

	pb_item_str(p, 0x30, UID_VERIFICATION);
	pb_item_str(p, 0x30, UID_VERIFICATION);
	pb_item_str(p, 0x40, UID_IMPLICIT_LE);
	ctx1_end(p, at);
}

static void body_no_abstract(struct pb *p)
{
	size_t at = ctx1_begin(p);

	pb_item_str(p, 0x40, UID_IMPLICIT_LE);
	ctx1_end(p, at);
}

static void body_no_ts(struct pb *p)
{
	size_t at = ctx1_begin(p);

	pb_item_str(p, 0x30, UID_VERIFICATION);
	ctx1_end(p, at);
}

static const char *bad_uid;

static void body_bad_uid(struct pb *p)
{
	body_context(p, 1, bad_uid);
}

static void body_bad_uid_pad2(struct pb *p)
{
	size_t at = ctx1_begin(p);

	pb_item_str(p, 0x30, UID_VERIFICATION);
	pb_raw(p, "\x40\x00\x00\x13" UID_IMPLICIT_LE "\0\0", 23);
	ctx1_end(p, at);
}

static void test_item_faults(void **state)
{
	static const char *const bad_uids[] = {
		"1.2.840.10008.01.1",	/* leading zero */
		"1.2.840.10008.1.1a",	/* letters */
		"1.2..840",		/* empty component */
		".1.2",
		"1.2.",
		"1.2.840.10008.1.1.11111111111111111111111111111111111111111111111",	/* 65 */
		" ",
		"1.2.3\n",
	};
	size_t i;

	expect_rq_fault(body_cve_2015_8979, DCM_F_ITEM_LENGTH);
	expect_rq_fault(body_item_past_pdu, DCM_F_ITEM_LENGTH);
	expect_rq_fault(body_zero_context, DCM_F_ITEM_LENGTH);
	expect_rq_fault(body_zero_subitem, DCM_F_UID);
	expect_rq_fault(body_zero_app, DCM_F_UID);
	expect_rq_fault(body_unknown_item, DCM_F_ITEM_TYPE);
	expect_rq_fault(body_unknown_subitem, DCM_F_ITEM_TYPE);
	expect_rq_fault(body_no_app, DCM_F_ITEM_MISSING);
	expect_rq_fault(body_no_context, DCM_F_ITEM_MISSING);
	expect_rq_fault(body_no_user, DCM_F_ITEM_MISSING);
	expect_rq_fault(body_no_max, DCM_F_ITEM_MISSING);
	expect_rq_fault(body_two_apps, DCM_F_ITEM_DUPLICATE);
	expect_rq_fault(body_two_users, DCM_F_ITEM_DUPLICATE);
	expect_rq_fault(body_two_max, DCM_F_ITEM_DUPLICATE);
	expect_rq_fault(body_max_len2, DCM_F_MAX_LENGTH);
	expect_rq_fault(body_impl_version_17, DCM_F_ITEM_LENGTH);
	expect_rq_fault(body_even_id, DCM_F_CONTEXT_ID);
	expect_rq_fault(body_zero_id, DCM_F_CONTEXT_ID);
	expect_rq_fault(body_dup_id, DCM_F_CONTEXT_ID);
	expect_rq_fault(body_two_abstract, DCM_F_ABSTRACT_SYNTAX);
	expect_rq_fault(body_no_abstract, DCM_F_ABSTRACT_SYNTAX);
	expect_rq_fault(body_no_ts, DCM_F_TRANSFER_SYNTAX);
	expect_rq_fault(body_bad_uid_pad2, DCM_F_UID);
	for (i = 0; i < sizeof(bad_uids) / sizeof(bad_uids[0]); i++) {
		bad_uid = bad_uids[i];
		expect_rq_fault(body_bad_uid, DCM_F_UID);
	}
	{
		struct conv c;

		conv_rq_body(&c, 1, "ANY-SCP", "ECHOSCU", body_zero_user_subs);
		expect_pass(pol_full, &c, EV(DCM_EV_REQUESTED));
		conv_rq_body(&c, 1, "ANY-SCP", "ECHOSCU", body_wrong_app);
		expect_refusal(pol_full, &c, 0, DCM_F_APP_CONTEXT, DCM_ANS_RJ, 1, 1, 2, NULL);
		conv_rq_body(&c, 2, "ANY-SCP", "ECHOSCU", body_good);
		expect_refusal(pol_full, &c, 0, DCM_F_PROTOCOL_VERSION, DCM_ANS_RJ, 1, 2, 2, NULL);
		conv_rq_body(&c, 1, "ANY-SCP", "                ", body_good);
		expect_abort(pol_full, &c, 0, DCM_F_AE_TITLE, 6);
		conv_rq_body(&c, 1, "ANY\tSCP", "ECHOSCU", body_good);
		expect_abort(pol_full, &c, 0, DCM_F_AE_TITLE, 6);
		conv_rq_body(&c, 1, "ANY-SCP", "ECHO\\SCU", body_good);
		expect_abort(pol_full, &c, 0, DCM_F_AE_TITLE, 6);
	}
}

/* echoscu's RQ, then an AC up to its application context: the caller
 * writes the presentation contexts before conv_ac_end(). */
static struct pb *conv_ac_begin(struct conv *c, uint16_t version, size_t *at)
{
	struct pb *p;

	c->n = 0;
	pb_echo_rq(conv_add(c, I));
	p = conv_add(c, A);
	*at = pb_assoc_begin(p, 0x02, version, "ANY-SCP", "ECHOSCU");
	pb_item_str(p, 0x10, UID_APP_CONTEXT);
	return p;
}

static void conv_ac_end(struct pb *p, size_t at)
{
	pb_user_info(p, 16384);
	pb_pdu_end(p, at);
}

static void test_ac_faults(void **state)
{
	struct conv c;
	struct pb *p;
	size_t at;

	/* a context the RQ never proposed */
	p = conv_ac_begin(&c, 1, &at);
	pb_ac_context(p, 3, 0, UID_IMPLICIT_LE);
	conv_ac_end(p, at);
	expect_abort(pol_full, &c, 1, DCM_F_CONTEXT_ID, 6);
	/* result out of range */
	p = conv_ac_begin(&c, 1, &at);
	pb_ac_context(p, 1, 5, UID_IMPLICIT_LE);
	conv_ac_end(p, at);
	expect_abort(pol_full, &c, 1, DCM_F_CONTEXT_ID, 6);
	/* accepted with two transfer syntaxes */
	p = conv_ac_begin(&c, 1, &at);
	pb_raw(p, "\x21\x00\x00\x2e\x01\x00\x00\x00", 8);
	pb_item_str(p, 0x40, UID_IMPLICIT_LE);
	pb_item_str(p, 0x40, UID_IMPLICIT_LE);
	conv_ac_end(p, at);
	expect_abort(pol_full, &c, 1, DCM_F_TRANSFER_SYNTAX, 6);
	/* protocol version: in the AC an abort, the RQ was already passed */
	p = conv_ac_begin(&c, 0, &at);
	pb_ac_context(p, 1, 0, UID_IMPLICIT_LE);
	conv_ac_end(p, at);
	expect_abort(pol_full, &c, 1, DCM_F_PROTOCOL_VERSION, 6);
}

/* --- P-DATA -------------------------------------------------------------- */

static void test_pdv_faults(void **state)
{
	struct conv c;
	struct pb cmd = { .n = 0 }, *p;
	size_t at;

	pb_command(&cmd, UID_VERIFICATION, 0x0030, 0x0101);
	/* PDV length 1 */
	conv_established(&c);
	p = conv_add(&c, I);
	at = pb_pdu_begin(p, 0x04);
	pb_raw(p, "\0\0\0\1\1\3", 6);
	pb_pdu_end(p, at);
	expect_abort(pol_full, &c, 2, DCM_F_PDV_LENGTH, 6);
	/* PDV past its PDU */
	conv_established(&c);
	p = conv_add(&c, I);
	at = pb_pdu_begin(p, 0x04);
	pb_raw(p, "\0\0\0\x10\1\3", 6);
	pb_raw(p, cmd.b, 8);
	pb_pdu_end(p, at);
	expect_abort(pol_full, &c, 2, DCM_F_PDV_LENGTH, 6);
	/* trailing bytes too short for a PDV header */
	conv_established(&c);
	p = conv_add(&c, I);
	at = pb_pdu_begin(p, 0x04);
	pb_be32(p, (uint32_t)cmd.n + 2);
	pb_raw(p, "\1\3", 2);
	pb_raw(p, cmd.b, cmd.n);
	pb_raw(p, "\0\0\0", 3);
	pb_pdu_end(p, at);
	expect_abort(pol_full, &c, 2, DCM_F_PDV_LENGTH, 6);
	/* P-DATA too short for any PDV */
	conv_established(&c);
	pb_small(conv_add(&c, I), 0x04, 0, 0, 0);
	expect_abort(pol_full, &c, 2, DCM_F_PDU_LENGTH, 6);
	/* context not accepted, never proposed, even */
	conv_two_accepted(&c, 3);
	pb_pdata(conv_add(&c, I), 3, 0x03, cmd.b, cmd.n);
	expect_abort(pol_full, &c, 2, DCM_F_PDV_CONTEXT, 6);
	conv_established(&c);
	pb_pdata(conv_add(&c, I), 5, 0x03, cmd.b, cmd.n);
	expect_abort(pol_full, &c, 2, DCM_F_PDV_CONTEXT, 6);
	conv_established(&c);
	pb_pdata(conv_add(&c, I), 2, 0x03, cmd.b, cmd.n);
	expect_abort(pol_full, &c, 2, DCM_F_PDV_CONTEXT, 6);
	/* reserved control bits */
	conv_established(&c);
	pb_pdata(conv_add(&c, I), 1, 0x07, cmd.b, cmd.n);
	expect_abort(pol_full, &c, 2, DCM_F_PDV_CONTROL, 6);
	/* data before command */
	conv_established(&c);
	pb_pdata(conv_add(&c, I), 1, 0x02, "\0\0", 2);
	expect_abort(pol_full, &c, 2, DCM_F_PDV_ORDER, 6);
	/* context changed mid-message */
	conv_two_accepted(&c, 0);
	pb_pdata(conv_add(&c, I), 1, 0x01, cmd.b, 8);
	pb_pdata(conv_add(&c, I), 3, 0x03, cmd.b + 8, cmd.n - 8);
	expect_abort(pol_full, &c, 3, DCM_F_PDV_ORDER, 6);
	/* a command while the data set is expected */
	conv_established(&c);
	{
		struct pb store = { .n = 0 };

		pb_command(&store, UID_VERIFICATION, 0x0030, 0x0000);
		pb_pdata(conv_add(&c, I), 1, 0x03, store.b, store.n);
	}
	pb_pdata(conv_add(&c, I), 1, 0x03, cmd.b, cmd.n);
	expect_abort(pol_full, &c, 3, DCM_F_PDV_ORDER, 6);
}

/* The established association (Verification 1, CT 3), then cmd[0..n) as
 * one command fragment on ctx from dir: a malformed command set, refused
 * with f (and detail, unless NULL) however it is cut. */
static void expect_cmd_fault_on(int dir, uint8_t ctx, const struct pb *cmd, size_t n,
				enum dcm_fault f, const char *detail)
{
	struct conv c;

	conv_two_accepted(&c, 0);
	pb_pdata(conv_add(&c, dir), ctx, 0x03, cmd->b, n);
	expect_refusal(pol_full, &c, 2, f, DCM_ANS_ABORT, 0, 2, 6, detail);
}

#define expect_cmd_fault(cmd, f, detail) expect_cmd_fault_on(I, 1, cmd, (cmd)->n, f, detail)

static void test_command_faults(void **state)
{
	struct pb cmd, body;

	/* a group other than 0000 */
	cmd.n = 0;
	pb_command(&cmd, UID_VERIFICATION, 0x0030, 0x0101);
	pb_raw(&cmd, "\x08\x00\x16\x00\x02\x00\x00\x00\x31\x00", 10);
	expect_cmd_fault(&cmd, DCM_F_COMMAND, NULL);
	/* no Command Field */
	cmd.n = body.n = 0;
	pb_elem_ui(&body, 0x0002, UID_VERIFICATION);
	pb_elem_us(&body, 0x0110, 1);
	pb_elem_us(&body, 0x0800, 0x0101);
	pb_command_body(&cmd, &body);
	expect_cmd_fault(&cmd, DCM_F_COMMAND, NULL);
	/* an element cut off by the last fragment */
	cmd.n = 0;
	pb_command(&cmd, UID_VERIFICATION, 0x0030, 0x0101);
	expect_cmd_fault_on(I, 1, &cmd, cmd.n - 1, DCM_F_COMMAND, NULL);
	/* Command Field of the wrong length */
	cmd.n = body.n = 0;
	pb_elem_ui(&body, 0x0002, UID_VERIFICATION);
	pb_raw(&body, "\x00\x00\x00\x01\x04\x00\x00\x00\x30\x00\x00\x00", 12);
	pb_elem_us(&body, 0x0110, 1);
	pb_elem_us(&body, 0x0800, 0x0101);
	pb_command_body(&cmd, &body);
	expect_cmd_fault(&cmd, DCM_F_COMMAND, NULL);
	/* Affected and Requested SOP Class both */
	cmd.n = body.n = 0;
	pb_elem_ui(&body, 0x0002, UID_VERIFICATION);
	pb_elem_ui(&body, 0x0003, UID_VERIFICATION);
	pb_elem_us(&body, 0x0100, 0x0030);
	pb_elem_us(&body, 0x0110, 1);
	pb_elem_us(&body, 0x0800, 0x0101);
	pb_command_body(&cmd, &body);
	expect_cmd_fault(&cmd, DCM_F_COMMAND, NULL);
}

/* PS3.7 §6.3: the group length first, and exactly the byte count of the
 * elements after it. */
static void test_command_group_length(void **state)
{
	struct pb cmd, body;
	size_t glen_at = 8;	/* value of (0000,0000) */

	/* missing */
	cmd.n = body.n = 0;
	pb_command(&body, UID_VERIFICATION, 0x0030, 0x0101);
	pb_raw(&cmd, body.b + 12, body.n - 12);
	expect_cmd_fault(&cmd, DCM_F_GROUP_LENGTH, NULL);
	/* two bytes short, two bytes long */
	cmd.n = 0;
	pb_command(&cmd, UID_VERIFICATION, 0x0030, 0x0101);
	cmd.b[glen_at] -= 2;
	expect_cmd_fault(&cmd, DCM_F_GROUP_LENGTH, NULL);
	cmd.b[glen_at] += 4;
	expect_cmd_fault(&cmd, DCM_F_GROUP_LENGTH, NULL);
	/* of the wrong size */
	cmd.n = 0;
	pb_command(&cmd, UID_VERIFICATION, 0x0030, 0x0101);
	cmd.b[4] = 2;
	expect_cmd_fault(&cmd, DCM_F_GROUP_LENGTH, NULL);
	/* a huge value length past it: refused as soon as it passes the count */
	cmd.n = 0;
	pb_command(&cmd, UID_VERIFICATION, 0x0030, 0x0101);
	pb_raw(&cmd, "\x00\x00\x20\x10\xff\xff\xff\xff", 8);
	expect_cmd_fault(&cmd, DCM_F_GROUP_LENGTH, NULL);
}

/* Ascending tags: out of order, or one element twice. */
static void test_command_tag_order(void **state)
{
	struct pb cmd, body;

	cmd.n = body.n = 0;
	pb_elem_us(&body, 0x0100, 0x0030);
	pb_elem_ui(&body, 0x0002, UID_VERIFICATION);
	pb_elem_us(&body, 0x0110, 1);
	pb_elem_us(&body, 0x0800, 0x0101);
	pb_command_body(&cmd, &body);
	expect_cmd_fault(&cmd, DCM_F_TAG_ORDER, "(0000,0002)");
	cmd.n = body.n = 0;
	pb_elem_ui(&body, 0x0002, UID_VERIFICATION);
	pb_elem_us(&body, 0x0100, 0x0030);
	pb_elem_us(&body, 0x0110, 1);
	pb_elem_us(&body, 0x0110, 2);
	pb_elem_us(&body, 0x0800, 0x0101);
	pb_command_body(&cmd, &body);
	expect_cmd_fault(&cmd, DCM_F_TAG_ORDER, "(0000,0110)");
}

/* pb_command(sop, field) without element `drop`. */
static void command_without(struct pb *cmd, const char *sop, uint16_t field, uint16_t dset,
			    uint16_t drop)
{
	struct pb full = { .n = 0 }, body = { .n = 0 };
	size_t off = 12;	/* after the group length element */

	pb_command(&full, sop, field, dset);
	while (off < full.n) {
		uint16_t el = (uint16_t)(full.b[off + 2] | full.b[off + 3] << 8);
		size_t len = full.b[off + 4] | (size_t)full.b[off + 5] << 8;

		if (el != drop)
			pb_raw(&body, full.b + off, 8 + len);
		off += 8 + len;
	}
	cmd->n = 0;
	pb_command_body(cmd, &body);
}

/* Requests carry what PS3.7's tables mark required; responses are not
 * held to theirs. */
static void test_command_required(void **state)
{
	static const struct {
		uint8_t ctx;
		const char *sop;
		uint16_t field, dset, drop;
		const char *detail;
	} rows[] = {
		{ 3, UID_CT, 0x0001, 0x0000, 0x0002, "(0000,0002)" },	/* C-STORE-RQ */
		{ 3, UID_CT, 0x0001, 0x0000, 0x0110, "(0000,0110)" },
		{ 3, UID_CT, 0x0001, 0x0000, 0x0700, "(0000,0700)" },
		{ 3, UID_CT, 0x0001, 0x0000, 0x1000, "(0000,1000)" },
		{ 1, UID_VERIFICATION, 0x0030, 0x0101, 0x0110, "(0000,0110)" },	/* C-ECHO-RQ */
		{ 1, UID_VERIFICATION, 0x0030, 0x0101, 0x0002, "(0000,0002)" },
	};
	struct pb cmd;
	struct conv c;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		command_without(&cmd, rows[i].sop, rows[i].field, rows[i].dset, rows[i].drop);
		expect_cmd_fault_on(I, rows[i].ctx, &cmd, cmd.n, DCM_F_CMD_MISSING, rows[i].detail);
		/* the acceptor's requests too (C-STORE sub-operations of a C-GET) */
		expect_cmd_fault_on(A, rows[i].ctx, &cmd, cmd.n, DCM_F_CMD_MISSING, rows[i].detail);
	}
	/* a C-ECHO-RSP without Message ID Being Responded To passes */
	conv_established(&c);
	pb_echo_cmd(conv_add(&c, I), 0x0030);
	command_without(&cmd, UID_VERIFICATION, 0x8030, 0x0101, 0x0120);
	pb_pdata(conv_add(&c, A), 1, 0x03, cmd.b, cmd.n);
	expect_pass(pol_full, &c, 0);
}

/* UIDs by PS3.5 §9.1: one trailing NUL pads (pb_elem_ui adds it to odd
 * lengths, as every conversation here shows); a space does not. */
/* A C-ECHO-RQ whose Affected SOP Class value is class[0..n). */
static void echo_with_class(struct pb *cmd, const char *class, size_t n)
{
	struct pb body = { .n = 0 };

	pb_elem_raw(&body, 0x0002, class, n);
	pb_elem_us(&body, 0x0100, 0x0030);
	pb_elem_us(&body, 0x0110, 1);
	pb_elem_us(&body, 0x0800, 0x0101);
	cmd->n = 0;
	pb_command_body(cmd, &body);
}

static void test_command_uids(void **state)
{
	struct pb cmd, body;
	struct conv c;

	echo_with_class(&cmd, UID_VERIFICATION " ", 18);
	expect_cmd_fault(&cmd, DCM_F_CMD_UID, "(0000,0002)");
	echo_with_class(&cmd, UID_VERIFICATION "\0\0", 19);	/* two NULs */
	expect_cmd_fault(&cmd, DCM_F_CMD_UID, "(0000,0002)");
	echo_with_class(&cmd, "", 0);	/* empty, in a request */
	expect_cmd_fault(&cmd, DCM_F_CMD_UID, "(0000,0002)");
	echo_with_class(&cmd, UID_VERIFICATION "\0", 18);	/* one: the padding */
	conv_established(&c);
	pb_pdata(conv_add(&c, I), 1, 0x03, cmd.b, cmd.n);
	expect_pass(pol_full, &c, 0);
	/* an instance UID with a space pad, one with a leading zero */
	command_without(&body, UID_CT, 0x0001, 0x0000, 0x1000);
	cmd.n = 0;
	pb_raw(&cmd, body.b + 12, body.n - 12);
	pb_elem_raw(&cmd, 0x1000, "1.2.3 ", 6);
	body = cmd;
	cmd.n = 0;
	pb_command_body(&cmd, &body);
	expect_cmd_fault_on(I, 3, &cmd, cmd.n, DCM_F_CMD_UID, "(0000,1000)");
	body.n -= 6;
	pb_raw(&body, "1.02.3", 6);
	cmd.n = 0;
	pb_command_body(&cmd, &body);
	expect_cmd_fault_on(I, 3, &cmd, cmd.n, DCM_F_CMD_UID, "(0000,1000)");
}

/* --- small pieces -------------------------------------------------------- */

static void test_build(void **state)
{
	uint8_t b[10];
	static const uint8_t rj[10] = { 3, 0, 0, 0, 0, 4, 0, 1, 1, 3 };
	static const uint8_t ab[10] = { 7, 0, 0, 0, 0, 4, 0, 0, 2, 6 };

	assert_int_equal(dcm_build_rj(b, 1, 1, 3), 10);
	assert_memory_equal(b, rj, 10);
	assert_int_equal(dcm_build_abort(b, 2, 6), 10);
	assert_memory_equal(b, ab, 10);
}

static void test_fault_names(void **state)
{
	int i, j;

	assert_string_equal(dcm_fault_name(DCM_F_PDU_TYPE), "pdu-type");
	assert_string_equal(dcm_fault_name(DCM_R_CALLING_AE), "calling-ae");
	assert_string_equal(dcm_fault_name(DCM_FAULT__COUNT), "unknown");
	for (i = 0; i < DCM_FAULT__COUNT; i++) {
		const char *n = dcm_fault_name((enum dcm_fault)i);

		assert_string_not_equal(n, "unknown");
		assert_null(strpbrk(n, " _ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
		for (j = 0; j < i; j++)
			assert_string_not_equal(n, dcm_fault_name((enum dcm_fault)j));
	}
}

static void test_pool_args(void **state)
{
	assert_null(dcm_pool_new(0, 1, 4096));
	assert_null(dcm_pool_new(1, 1, 10));
	assert_null(dcm_assoc_new(NULL, NULL));
	dcm_pool_free(NULL);
	dcm_assoc_free(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_conversation),
		cmocka_unit_test(test_events_and_titles),
		cmocka_unit_test(test_pdus_share_segments),
		cmocka_unit_test(test_store_fragments),
		cmocka_unit_test(test_data_ahead_and_skip),
		cmocka_unit_test(test_structural_ranges),
		cmocka_unit_test(test_answer_next),
		cmocka_unit_test(test_answer_next_not_when_held),
		cmocka_unit_test(test_partial_headers_held),
		cmocka_unit_test(test_uid_one_pad),
		cmocka_unit_test(test_release_collision),
		cmocka_unit_test(test_rejected_and_aborted),
		cmocka_unit_test(test_policy_refusals),
		cmocka_unit_test(test_judged_at_ac),
		cmocka_unit_test(test_anomaly_told_once),
		cmocka_unit_test(test_empty_class_in_response),
		cmocka_unit_test(test_context_and_command_refusals),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_framing_faults),
		cmocka_unit_test(test_pdata_too_long),
		cmocka_unit_test(test_item_faults),
		cmocka_unit_test(test_ac_faults),
		cmocka_unit_test(test_pdv_faults),
		cmocka_unit_test(test_command_faults),
		cmocka_unit_test(test_command_group_length),
		cmocka_unit_test(test_command_tag_order),
		cmocka_unit_test(test_command_required),
		cmocka_unit_test(test_command_uids),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_fault_names),
		cmocka_unit_test(test_pool_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
