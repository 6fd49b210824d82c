/* libFuzzer target for the DICOM Upper Layer inspector.
 *
 * Input: byte 0 picks the rule (bit 7: inspect association, else full;
 * bit 6: strict) and how each record is cut into segments (bits 0-5:
 * piece size, 0 = whole record). Then records: direction byte (bit 0: 0 initiator, 1
 * acceptor), 16-bit big-endian length, that many stream bytes. A fresh
 * association under a permissive policy gets every record; the verdicts
 * must be well formed and the pool must get everything back.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *     -Ibuild/include -Isrc tests/fuzz/fuzz_dicom.c src/common/\*.c \
 *     src/policy/\*.c src/dicom/\*.c -o /tmp/fuzz_dicom
 *
 * Built with -DFUZZ_DICOM_SEEDS instead of the fuzzer (and without
 * -fsanitize=fuzzer), it is a program that writes the seed corpus into
 * the directory given as its argument. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/dcm_observe.h"
#include "scanwall/dicom.h"
#include "scanwall/policy.h"
#include "../unit/test_dicom_pdu.h"

#ifndef FUZZ_DICOM_SEEDS

static const char fuzz_policy[] =
	"device dev 10.0.0.2 ae ANY-SCP\n"
	"allow dicom from any to any port 104 services verification storage query-retrieve "
	"worklist mpps storage-commitment inspect full\n"
	"allow dicom from any to any port 11112 services verification storage query-retrieve "
	"worklist mpps storage-commitment inspect association\n"
	"allow dicom from any to any port 105 services verification storage query-retrieve "
	"worklist mpps storage-commitment inspect full strict\n"
	"allow dicom from any to any port 11113 services verification storage query-retrieve "
	"worklist mpps storage-commitment inspect association strict\n"
	"default block\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pol *pol;
static struct dcm_pool *pool;

static void setup(void)
{
	pol = pol_parse("fuzz", fuzz_policy, strlen(fuzz_policy), stderr);
	pool = dcm_pool_new(1, 1, 16384);
	if (!pol || !pool || pol_rule_count(pol) < 4)
		abort();
}

static void check(const struct dcm_verdict *v)
{
	if (v->step != DCM_PASS && v->step != DCM_HOLD && v->step != DCM_REFUSE)
		abort();
	if ((v->step == DCM_REFUSE) != (v->fault != DCM_OK))
		abort();
	if (v->detail && strlen(v->detail) > 80)
		abort();
	if (!dcm_fault_name(v->fault))
		abort();
	if (v->answer_next && v->step != DCM_PASS)	/* a hint only for what passes */
		abort();
	if (v->anomalies && (v->step == DCM_REFUSE || v->anomaly < DCM_A_RSP_SOP ||
			     (v->anomaly_detail && strlen(v->anomaly_detail) > 80)))
		abort();
}

/* The observer (the observation table's source) sees only valid UIDs. */
static void observe(void *ctx, struct dcm_assoc *a, const struct dcm_obs_item *it)
{
	bool role = it->kind == DCM_OBS_ROLE_RQ || it->kind == DCM_OBS_ROLE_AC;

	if (it->kind > DCM_OBS_COMMAND || (!role && !(it->id & 1)))
		abort();
	if (it->uid && dcm_uid_problem(it->uid, strlen(it->uid)))
		abort();
	if (!it->uid && it->kind != DCM_OBS_REFUSED && it->kind != DCM_OBS_COMMAND)
		abort();
}

static const struct dcm_observer observer = { .item = observe };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dcm_assoc *a;
	struct dcm_verdict v;
	size_t off = 1, piece;

	if (!pol)
		setup();
	if (size < 1)
		return 0;
	piece = data[0] & 0x3f;
	a = dcm_assoc_new(pool, pol_rule_at(pol, (unsigned)(data[0] >> 7) | (data[0] >> 5 & 2)));
	if (!a)
		abort();
	dcm_observe(a, &observer);
	while (size - off >= 3) {
		enum dcm_dir dir = (data[off] & 1) ? DCM_FROM_ACCEPTOR : DCM_FROM_INITIATOR;
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2], done = 0;

		off += 3;
		if (len > size - off)
			len = size - off;
		while (done < len) {
			size_t n = piece && piece < len - done ? piece : len - done;

			if (dcm_feed(a, dir, data + off + done, n, &v))
				abort();
			check(&v);
			done += n;
		}
		off += len;
		(void)dcm_settled(a);
		(void)strlen(dcm_calling_ae(a));
		(void)strlen(dcm_called_ae(a));
	}
	dcm_assoc_free(pool, a);
	/* a pool of one: the association and its buffer must be back */
	a = dcm_assoc_new(pool, pol_rule_at(pol, 0));
	if (!a)
		abort();
	dcm_assoc_free(pool, a);
	return 0;
}

#else /* FUZZ_DICOM_SEEDS */

static struct pb seed;

static void rec(int dir, const struct pb *p)
{
	pb_u8(&seed, (uint8_t)dir);
	pb_be16(&seed, (uint16_t)p->n);
	pb_raw(&seed, p->b, p->n);
}

static void write_seed(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(seed.b, 1, seed.n, f) != seed.n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void established(uint8_t mode)
{
	struct pb p = { .n = 0 };

	seed.n = 0;
	pb_u8(&seed, mode);
	pb_echo_rq(&p);
	rec(0, &p);
	p.n = 0;
	pb_echo_ac(&p);
	rec(1, &p);
}

static void small(int dir, uint8_t type, uint8_t b1, uint8_t b2, uint8_t b3)
{
	struct pb p = { .n = 0 };

	pb_small(&p, type, b1, b2, b3);
	rec(dir, &p);
}

static void echo(const char *dir, const char *name, uint8_t mode)
{
	struct pb p = { .n = 0 };

	established(mode);
	pb_echo_cmd(&p, 0x0030);
	rec(0, &p);
	p.n = 0;
	pb_echo_cmd(&p, 0x8030);
	rec(1, &p);
	small(0, 0x05, 0, 0, 0);
	small(1, 0x06, 0, 0, 0);
	write_seed(dir, name);
}

/* RQ and AC of Verification (1, answered with result1) and abs3 (3,
 * accepted), from `calling`. */
static void two_contexts(uint8_t mode, const char *calling, const char *abs3, uint8_t result1)
{
	struct pb p = { .n = 0 };
	size_t at;

	seed.n = 0;
	pb_u8(&seed, mode);
	at = pb_assoc_begin(&p, 0x01, 1, "ANY-SCP", calling);
	pb_item_str(&p, 0x10, UID_APP_CONTEXT);
	pb_rq_context(&p, 1, UID_VERIFICATION, UID_IMPLICIT_LE);
	pb_rq_context(&p, 3, abs3, UID_IMPLICIT_LE);
	pb_user_info(&p, 16384);
	pb_pdu_end(&p, at);
	rec(0, &p);
	p.n = 0;
	at = pb_assoc_begin(&p, 0x02, 1, "ANY-SCP", calling);
	pb_item_str(&p, 0x10, UID_APP_CONTEXT);
	pb_ac_context(&p, 1, result1, UID_IMPLICIT_LE);
	pb_ac_context(&p, 3, 0, UID_IMPLICIT_LE);
	pb_user_info(&p, 16384);
	pb_pdu_end(&p, at);
	rec(1, &p);
}

static void store(const char *dir)
{
	struct pb p = { .n = 0 }, cmd = { .n = 0 };
	uint8_t data[200];

	memset(data, 0x5a, sizeof(data));
	two_contexts(0, "STORESCU", UID_CT, 3);
	pb_command(&cmd, UID_CT, 0x0001, 0x0000);
	p.n = 0;
	pb_pdata(&p, 3, 0x03, cmd.b, cmd.n);
	pb_pdata(&p, 3, 0x00, data, 100);
	pb_pdata(&p, 3, 0x02, data, 100);
	rec(0, &p);
	cmd.n = 0;
	pb_command(&cmd, UID_CT, 0x8001, 0x0101);
	p.n = 0;
	pb_pdata(&p, 3, 0x03, cmd.b, cmd.n);
	rec(1, &p);
	small(1, 0x07, 0, 2, 0);
	write_seed(dir, "store");
}

static void rejected(const char *dir)
{
	struct pb p = { .n = 0 };

	seed.n = 0;
	pb_u8(&seed, 0x81);
	pb_echo_rq(&p);
	rec(0, &p);
	small(1, 0x03, 1, 1, 7);
	write_seed(dir, "rejected");
}

/* DCMTK CVE-2015-8979: a sub-item longer than its presentation context */
static void cve(const char *dir)
{
	struct pb p = { .n = 0 };
	size_t at;

	seed.n = 0;
	pb_u8(&seed, 0);
	at = pb_assoc_begin(&p, 0x01, 1, "ANY-SCP", "ECHOSCU");
	pb_item_str(&p, 0x10, UID_APP_CONTEXT);
	pb_raw(&p, "\x20\x00\x00\x08\x01\x00\x00\x00\x30\x00\x01\x00", 12);
	pb_item_str(&p, 0x40, UID_IMPLICIT_LE);
	pb_user_info(&p, 16384);
	pb_pdu_end(&p, at);
	rec(0, &p);
	write_seed(dir, "cve-2015-8979");
}

/* Orthanc's shape: a class outside the rule proposed and accepted, under
 * inspect association; an echo, then a message on that context. */
static void accepted_outside(const char *dir)
{
	struct pb p = { .n = 0 }, cmd = { .n = 0 };

	two_contexts(0x80, "ORTHANC", "1.2.3.4", 0);
	pb_echo_cmd(&p, 0x0030);
	rec(0, &p);
	pb_command(&cmd, "1.2.3.4", 0x0030, 0x0101);
	p.n = 0;
	pb_pdata(&p, 3, 0x03, cmd.b, cmd.n);
	rec(0, &p);
	write_seed(dir, "accepted-outside");
}

/* A C-ECHO-RSP naming CT: an anomaly, or (mode bit 6) a strict refusal. */
static void rsp_other_sop(const char *dir, const char *name, uint8_t mode)
{
	struct pb p = { .n = 0 }, cmd = { .n = 0 };

	established(mode);
	pb_echo_cmd(&p, 0x0030);
	rec(0, &p);
	pb_command(&cmd, UID_CT, 0x8030, 0x0101);
	p.n = 0;
	pb_pdata(&p, 1, 0x03, cmd.b, cmd.n);
	rec(1, &p);
	small(0, 0x05, 0, 0, 0);
	small(1, 0x06, 0, 0, 0);
	write_seed(dir, name);
}

/* A command set the established echo association refuses (PS3.7). */
static void bad_command(const char *dir, const char *name, const struct pb *body)
{
	struct pb p = { .n = 0 }, cmd = { .n = 0 };

	established(1);
	pb_command_body(&cmd, body);
	pb_pdata(&p, 1, 0x03, cmd.b, cmd.n);
	rec(0, &p);
	write_seed(dir, name);
}

static void bad_commands(const char *dir)
{
	struct pb body = { .n = 0 };

	pb_elem_us(&body, 0x0100, 0x0030);	/* before the class: tag order */
	pb_elem_ui(&body, 0x0002, UID_VERIFICATION);
	pb_elem_us(&body, 0x0110, 1);
	pb_elem_us(&body, 0x0800, 0x0101);
	bad_command(dir, "cmd-tag-order", &body);
	body.n = 0;
	pb_elem_ui(&body, 0x0002, UID_VERIFICATION);
	pb_elem_us(&body, 0x0100, 0x0030);	/* no Message ID */
	pb_elem_us(&body, 0x0800, 0x0101);
	bad_command(dir, "cmd-missing", &body);
	body.n = 0;
	pb_elem_raw(&body, 0x0002, UID_VERIFICATION " ", 18);	/* a space pad */
	pb_elem_us(&body, 0x0100, 0x0030);
	pb_elem_us(&body, 0x0110, 1);
	pb_elem_us(&body, 0x0800, 0x0101);
	bad_command(dir, "cmd-space-uid", &body);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";

	echo(dir, "echo", 0);
	echo(dir, "echo-bytes", 1);
	echo(dir, "echo-split7-association", 0x87);
	echo(dir, "echo-split3-headers-cut", 3);	/* held inside PDU and PDV headers */
	established(0);
	small(0, 0x05, 0, 0, 0);
	small(1, 0x05, 0, 0, 0);
	small(1, 0x06, 0, 0, 0);
	small(0, 0x06, 0, 0, 0);
	write_seed(dir, "release-collision");
	store(dir);
	rejected(dir);
	cve(dir);
	accepted_outside(dir);
	rsp_other_sop(dir, "rsp-other-sop", 0);
	rsp_other_sop(dir, "rsp-other-sop-strict", 0x41);
	bad_commands(dir);
	return 0;
}

#endif
