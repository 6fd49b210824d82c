/* pol_match, pol_ae_allowed, pol_sop_lookup and friends on real policies:
 * the example of POLICY.md and small ones built to sit on the edges. */
#include <arpa/inet.h>
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
#include "scanwall/policy.h"

static const char example[] =
	"# Siemens Symbia SPECT/CT, nuclear medicine room 2\n"
	"device symbia 10.20.4.15 ae SYMBIA_NM2\n"
	"\n"
	"peer pacs    10.20.1.10    ae PACS_ARCHIVE\n"
	"peer ris     10.20.1.20    ae RIS_MWL\n"
	"peer viewers 10.20.3.0/24  ae any\n"
	"\n"
	"allow dicom from pacs    to symbia port 104 services verification storage query-retrieve\n"
	"allow dicom from symbia  to pacs   port 104 services verification storage storage-commitment\n"
	"allow dicom from symbia  to ris    port 104 services worklist mpps\n"
	"allow dicom from viewers to symbia port 104 services verification inspect association\n"
	"allow udp  from symbia  to 10.20.0.5 port 123     # NTP\n"
	"allow icmp from viewers to symbia\n"
	"reject tcp from any to symbia port 80,443 reason \"IIS HTTP.sys, CVE-2015-1635\"\n"
	"block  tcp from any to symbia port 3465   reason \"HP Client Automation\"\n"
	"\n"
	"default block\n";

enum { L_PACS_SYMBIA = 8, L_SYMBIA_PACS, L_SYMBIA_RIS, L_VIEWERS, L_NTP, L_ICMP, L_WEB, L_HPCA };

static struct pol *parse(const char *text)
{
	struct pol *pol = pol_parse("t", text, strlen(text), stderr);

	assert_non_null(pol);
	return pol;
}

/* The messages pol_parse wrote; the caller frees. */
static char *parse_errors(const char *text)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct pol *pol;

	assert_non_null(f);
	errno = 0;
	pol = pol_parse("t", text, strlen(text), f);
	assert_null(pol);
	assert_int_equal(errno, EINVAL);
	fclose(f);
	return buf;
}

static struct flow_key key(int proto, const char *src, const char *dst, uint16_t dport)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.proto = (uint8_t)proto;
	k.af = strchr(src, ':') ? SW_AF_INET6 : SW_AF_INET;
	assert_int_equal(inet_pton(k.af == SW_AF_INET ? AF_INET : AF_INET6, src, k.src), 1);
	assert_int_equal(inet_pton(k.af == SW_AF_INET ? AF_INET : AF_INET6, dst, k.dst), 1);
	k.sport = 40000;
	k.dport = dport;
	return k;
}

/* Line of the matching rule, 0 when none matched. */
static unsigned match_line(const struct pol *pol, int proto, const char *src, const char *dst,
			   uint16_t dport)
{
	struct flow_key k = key(proto, src, dst, dport);
	const struct pol_rule *r = pol_match(pol, &k);

	return r ? r->line : 0;
}

struct match_case {
	int proto;
	const char *src, *dst;
	uint16_t dport;
	unsigned line;		/* of the rule that must match; 0: none */
};

static void expect_lines_n(const struct pol *pol, const struct match_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned got = match_line(pol, c[i].proto, c[i].src, c[i].dst, c[i].dport);

		if (got != c[i].line)
			fail_msg("case %zu: proto %d %s -> %s port %u matched line %u, expected %u",
				 i, c[i].proto, c[i].src, c[i].dst, c[i].dport, got, c[i].line);
	}
}

#define expect_lines(pol, cases) expect_lines_n(pol, cases, sizeof(cases) / sizeof((cases)[0]))

static void test_example(void **state)
{
	static const struct match_case cases[] = {
		{ 6, "10.20.1.10", "10.20.4.15", 104, L_PACS_SYMBIA },
		{ 6, "10.20.4.15", "10.20.1.10", 104, L_SYMBIA_PACS },
		{ 6, "10.20.4.15", "10.20.1.20", 104, L_SYMBIA_RIS },
		{ 6, "10.20.3.77", "10.20.4.15", 104, L_VIEWERS },
		{ 17, "10.20.4.15", "10.20.0.5", 123, L_NTP },
		{ 1, "10.20.3.9", "10.20.4.15", 0x0800, L_ICMP },
		{ 6, "192.0.2.1", "10.20.4.15", 80, L_WEB },
		{ 6, "192.0.2.1", "10.20.4.15", 443, L_WEB },
		{ 6, "10.20.1.10", "10.20.4.15", 3465, L_HPCA },
		/* what no rule names falls to the default */
		{ 17, "10.20.4.15", "10.20.0.5", 124, 0 },
		{ 6, "10.20.4.15", "10.20.0.5", 123, 0 },
		{ 1, "10.20.1.10", "10.20.4.15", 0x0800, 0 },
		{ 6, "10.20.4.15", "10.20.3.77", 104, 0 },
		{ 6, "10.20.1.10", "10.20.4.15", 105, 0 },
	};
	struct pol *pol = parse(example);
	const struct pol_rule *r;
	struct flow_key k;

	assert_int_equal(pol_rule_count(pol), 8);
	expect_lines(pol, cases);
	assert_int_equal(pol_default_action(pol), POL_BLOCK);

	k = key(6, "10.20.1.10", "10.20.4.15", 104);
	r = pol_match(pol, &k);
	assert_int_equal(r->action, POL_ALLOW);
	assert_int_equal(r->proto, POL_DICOM);
	assert_int_equal(r->inspect, IS_ENABLED(CONFIG_INSPECT_DEFAULT_ASSOCIATION) ?
					     POL_INSPECT_ASSOCIATION : POL_INSPECT_FULL);
	assert_null(r->reason);
	assert_false(r->strict);
	assert_ptr_equal(pol_rule_at(pol, r->index), r);
	k = key(6, "10.20.3.1", "10.20.4.15", 104);
	assert_int_equal(pol_match(pol, &k)->inspect, POL_INSPECT_ASSOCIATION);
	k = key(6, "192.0.2.1", "10.20.4.15", 80);
	r = pol_match(pol, &k);
	assert_int_equal(r->action, POL_REJECT);
	assert_string_equal(r->reason, "IIS HTTP.sys, CVE-2015-1635");
	assert_int_equal(r->inspect, POL_INSPECT_NONE);
	k = key(17, "10.20.4.15", "10.20.0.5", 123);
	assert_int_equal(pol_match(pol, &k)->inspect, POL_INSPECT_NONE);
	assert_int_equal(pol_rule_at(pol, 7)->line, L_HPCA);
	assert_int_equal(pol_rule_at(pol, 7)->index, 7);
	assert_null(pol_rule_at(pol, 8));
	pol_free(pol);
	pol = parse("device d 10.0.0.2 ae D\n"
		    "allow dicom from any to d port 104 services verification strict\n");
	assert_true(pol_rule_at(pol, 0)->strict);
	pol_free(pol);
}

static void test_cidr_v4(void **state)
{
	static const char text[] =
		"device d 10.0.0.1 ae D\n"
		"peer net 10.20.3.0/24, 192.168.0.0/16, 172.16.5.4 ae any\n"
		"peer everyone 0.0.0.0/0 ae any\n"
		"allow tcp from net to d port 1\n"
		"allow tcp from everyone to d port 2\n";
	static const struct match_case cases[] = {
		{ 6, "10.20.3.0", "10.0.0.1", 1, 4 },
		{ 6, "10.20.3.255", "10.0.0.1", 1, 4 },
		{ 6, "10.20.2.255", "10.0.0.1", 1, 0 },
		{ 6, "10.20.4.0", "10.0.0.1", 1, 0 },
		{ 6, "192.168.255.255", "10.0.0.1", 1, 4 },
		{ 6, "192.169.0.0", "10.0.0.1", 1, 0 },
		{ 6, "172.16.5.4", "10.0.0.1", 1, 4 },
		{ 6, "172.16.5.5", "10.0.0.1", 1, 0 },
		{ 6, "172.16.5.3", "10.0.0.1", 1, 0 },
		/* the destination set is the device's one address */
		{ 6, "10.20.3.1", "10.0.0.2", 1, 0 },
		{ 6, "0.0.0.0", "10.0.0.1", 2, 5 },
		{ 6, "255.255.255.255", "10.0.0.1", 2, 5 },
	};
	struct pol *pol = parse(text);

	expect_lines(pol, cases);
	pol_free(pol);
}

static void test_cidr_v6(void **state)
{
	static const char text[] =
		"device d fd00::1, 10.0.0.1 ae D\n"
		"peer lab fd00:30::/48 ae any\n"
		"peer half fd00:40::/65 ae any\n"
		"peer pair fd00:50::/127 ae any\n"
		"peer all6 ::/0 ae any\n"
		"allow udp from lab to d port 1\n"
		"allow udp from half to d port 1\n"
		"allow udp from pair to d port 1\n"
		"allow udp from all6 to d port 2\n";
	static const struct match_case cases[] = {
		{ 17, "fd00:30::", "fd00::1", 1, 6 },
		{ 17, "fd00:30:0:ffff:ffff:ffff:ffff:ffff", "fd00::1", 1, 6 },
		{ 17, "fd00:30:1::", "fd00::1", 1, 0 },
		{ 17, "fd00:2f:ffff:ffff:ffff:ffff:ffff:ffff", "fd00::1", 1, 0 },
		{ 17, "fd00:40::7fff:ffff:ffff:ffff", "fd00::1", 1, 7 },
		{ 17, "fd00:40::8000:0:0:0", "fd00::1", 1, 0 },
		{ 17, "fd00:50::1", "fd00::1", 1, 8 },
		{ 17, "fd00:50::2", "fd00::1", 1, 0 },
		{ 17, "::", "fd00::1", 2, 9 },
		{ 17, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fd00::1", 2, 9 },
		/* families never cross: ::/0 is no IPv4 address, 10.0.0.1 no IPv6 one */
		{ 17, "10.0.0.9", "10.0.0.1", 2, 0 },
		{ 17, "::a00:9", "fd00::1", 2, 9 },
		{ 17, "fd00:30::1", "::a00:1", 1, 0 },
	};
	struct pol *pol;

	if (!IS_ENABLED(CONFIG_IPV6))
		skip();
	pol = parse(text);

	expect_lines(pol, cases);
	pol_free(pol);
}

static void test_ports(void **state)
{
	static const char text[] =
		"device d 10.0.0.1 ae D\n"
		"allow tcp from any to d port 2000-2010, 1, 2011 65535\n"
		"allow udp from any to d\n"
		"allow icmp from any to d\n";
	static const struct match_case cases[] = {
		{ 6, "10.0.0.2", "10.0.0.1", 1, 2 },
		{ 6, "10.0.0.2", "10.0.0.1", 2, 0 },
		{ 6, "10.0.0.2", "10.0.0.1", 1999, 0 },
		{ 6, "10.0.0.2", "10.0.0.1", 2000, 2 },
		{ 6, "10.0.0.2", "10.0.0.1", 2011, 2 },
		{ 6, "10.0.0.2", "10.0.0.1", 2012, 0 },
		{ 6, "10.0.0.2", "10.0.0.1", 65535, 2 },
		{ 6, "10.0.0.2", "10.0.0.1", 0, 0 },
		/* no port list: every port */
		{ 17, "10.0.0.2", "10.0.0.1", 0, 3 },
		{ 17, "10.0.0.2", "10.0.0.1", 65535, 3 },
		/* ICMP carries type and code where ports would be */
		{ 1, "10.0.0.2", "10.0.0.1", 0x0300, 4 },
		{ 58, "10.0.0.2", "10.0.0.1", 0x8000, 0 },
	};
	struct pol *pol = parse(text);

	expect_lines(pol, cases);
	pol_free(pol);
}

static void test_first_match_and_default(void **state)
{
	struct pol *pol = parse("default reject\n"
				"device d 10.0.0.1 ae D\n"
				"peer admin 10.0.9.9 ae any\n"
				"block tcp from any to d port 22 reason \"no ssh\"\n"
				"allow tcp from admin to d port 22\n"
				"allow tcp from admin to d port 1-1000\n");

	assert_int_equal(match_line(pol, 6, "10.0.9.9", "10.0.0.1", 22), 4);
	assert_int_equal(match_line(pol, 6, "10.0.9.9", "10.0.0.1", 21), 6);
	assert_int_equal(pol_default_action(pol), POL_REJECT);
	pol_free(pol);
	pol = parse("device d 10.0.0.1 ae D\n");
	assert_int_equal(pol_default_action(pol), POL_BLOCK);
	assert_int_equal(pol_rule_count(pol), 0);
	assert_int_equal(match_line(pol, 6, "10.0.9.9", "10.0.0.1", 22), 0);
	pol_free(pol);
}

static void test_ae_allowed(void **state)
{
	struct pol *pol = parse(example);
	struct flow_key k = key(6, "10.20.1.10", "10.20.4.15", 104);
	const struct pol_rule *r = pol_match(pol, &k);

	assert_true(pol_ae_allowed(r, POL_CALLING, "PACS_ARCHIVE"));
	assert_false(pol_ae_allowed(r, POL_CALLING, "SYMBIA_NM2"));
	assert_false(pol_ae_allowed(r, POL_CALLING, "PACS"));
	assert_false(pol_ae_allowed(r, POL_CALLING, "pacs_archive"));
	assert_false(pol_ae_allowed(r, POL_CALLING, ""));
	assert_true(pol_ae_allowed(r, POL_CALLED, "SYMBIA_NM2"));
	assert_false(pol_ae_allowed(r, POL_CALLED, "PACS_ARCHIVE"));
	/* viewers say `ae any` */
	k = key(6, "10.20.3.4", "10.20.4.15", 104);
	r = pol_match(pol, &k);
	assert_true(pol_ae_allowed(r, POL_CALLING, "ANYTHING"));
	assert_false(pol_ae_allowed(r, POL_CALLED, "ANYTHING"));
	assert_false(pol_ae_allowed(NULL, POL_CALLING, "X"));
	pol_free(pol);

	pol = parse("device d 10.0.0.1 ae D1, \"  D 2  \"\n"
		    "allow dicom from 10.0.0.0/24 to d port 104 services verification\n"
		    "allow dicom from d to any port 104 services storage\n");
	k = key(6, "10.0.0.7", "10.0.0.1", 104);
	r = pol_match(pol, &k);
	assert_true(pol_ae_allowed(r, POL_CALLING, "WHOEVER"));
	assert_true(pol_ae_allowed(r, POL_CALLED, "D1"));
	assert_true(pol_ae_allowed(r, POL_CALLED, "D 2"));
	assert_false(pol_ae_allowed(r, POL_CALLED, "  D 2  "));
	k = key(6, "10.0.0.1", "192.0.2.1", 104);
	r = pol_match(pol, &k);
	assert_true(pol_ae_allowed(r, POL_CALLED, "STORESCP"));
	assert_false(pol_ae_allowed(r, POL_CALLING, "STORESCU"));
	pol_free(pol);
}

static int lookup(const struct pol_rule *r, const char *uid, size_t len, uint16_t *id,
		  uint32_t *dimse)
{
	*id = 0xFFFF;
	*dimse = 0;
	return pol_sop_lookup(r, uid, len, id, dimse);
}

static void test_sop_lookup(void **state)
{
	static const char ct[] = "1.2.840.10008.5.1.4.1.1.2";
	struct pol *pol = parse(example);
	struct flow_key k = key(6, "10.20.1.10", "10.20.4.15", 104);
	const struct pol_rule *in = pol_match(pol, &k), *out, *mwl;
	uint16_t id, id2;
	uint32_t dimse;
	char buf[80];

	assert_int_equal(lookup(in, ct, strlen(ct), &id, &dimse), 0);
	assert_int_equal(dimse, DIMSE_C_STORE);
	/* one pad byte, NUL or space, is the same UID; two are not */
	memcpy(buf, ct, sizeof(ct));
	assert_int_equal(lookup(in, buf, sizeof(ct), &id2, &dimse), 0);
	assert_int_equal(id2, id);
	buf[sizeof(ct) - 1] = ' ';
	assert_int_equal(lookup(in, buf, sizeof(ct), &id2, &dimse), 0);
	assert_int_equal(id2, id);
	buf[sizeof(ct)] = ' ';
	assert_int_equal(lookup(in, buf, sizeof(ct) + 1, &id2, &dimse), -ENOENT);
	/* not NUL-terminated: only len bytes count */
	snprintf(buf, sizeof(buf), "%s.99", ct);
	assert_int_equal(lookup(in, buf, strlen(ct), &id2, &dimse), 0);
	assert_int_equal(id2, id);
	assert_int_equal(lookup(in, buf, strlen(buf), &id2, &dimse), -ENOENT);
	assert_int_equal(lookup(in, ct, strlen(ct) - 2, &id2, &dimse), -ENOENT);
	assert_int_equal(lookup(in, "", 0, &id2, &dimse), -ENOENT);

	assert_int_equal(lookup(in, "1.2.840.10008.1.1", 17, &id2, &dimse), 0);
	assert_int_equal(dimse, DIMSE_C_ECHO);
	assert_int_not_equal(id2, id);
	assert_int_equal(lookup(in, "1.2.840.10008.5.1.4.1.2.2.1", 27, &id2, &dimse), 0);
	assert_int_equal(dimse, DIMSE_C_FIND | DIMSE_C_MOVE | DIMSE_C_GET | DIMSE_C_CANCEL);
	/* worklist is not among pacs -> symbia's services */
	assert_int_equal(lookup(in, "1.2.840.10008.5.1.4.31", 22, &id2, &dimse), -ENOENT);

	/* the same UID under another rule has the same id */
	k = key(6, "10.20.4.15", "10.20.1.10", 104);
	out = pol_match(pol, &k);
	assert_int_equal(lookup(out, ct, strlen(ct), &id2, &dimse), 0);
	assert_int_equal(id2, id);
	assert_int_equal(lookup(out, "1.2.840.10008.1.20.1", 20, &id2, &dimse), 0);
	assert_int_equal(dimse, DIMSE_N_ACTION | DIMSE_N_EVENT_REPORT);
	k = key(6, "10.20.4.15", "10.20.1.20", 104);
	mwl = pol_match(pol, &k);
	assert_int_equal(lookup(mwl, "1.2.840.10008.5.1.4.31", 22, &id2, &dimse), 0);
	assert_int_equal(dimse, DIMSE_C_FIND | DIMSE_C_CANCEL);
	assert_int_equal(lookup(mwl, "1.2.840.10008.3.1.2.3.3", 23, &id2, &dimse), 0);
	assert_int_equal(dimse, DIMSE_N_CREATE | DIMSE_N_SET | DIMSE_N_EVENT_REPORT | DIMSE_N_GET);
	assert_int_equal(lookup(mwl, ct, strlen(ct), &id2, &dimse), -ENOENT);
	pol_free(pol);
}

static void test_sop_raw(void **state)
{
	struct pol *pol = parse("device d 10.0.0.1 ae D\n"
				"allow dicom from any to d port 104 sop 1.3.12.2.1107.5.9.1,1.2.840.10008.1.1\n"
				"allow dicom from any to d port 105 services verification storage "
				"sop 1.2.840.10008.1.1\n");
	struct flow_key k = key(6, "10.0.0.9", "10.0.0.1", 104);
	const struct pol_rule *raw = pol_match(pol, &k), *mixed;
	uint16_t id, id2;
	uint32_t dimse;

	assert_int_equal(lookup(raw, "1.3.12.2.1107.5.9.1\0", 20, &id, &dimse), 0);
	assert_int_equal(dimse, DIMSE_ANY);
	assert_int_equal(lookup(raw, "1.2.840.10008.1.1", 17, &id2, &dimse), 0);
	assert_int_equal(dimse, DIMSE_ANY);
	assert_int_not_equal(id, id2);
	assert_int_equal(lookup(raw, "1.2.840.10008.5.1.4.1.1.2", 25, &id, &dimse), -ENOENT);
	k.dport = 105;
	mixed = pol_match(pol, &k);
	assert_ptr_not_equal(raw, mixed);
	/* named by a service and by `sop`: the union */
	assert_int_equal(lookup(mixed, "1.2.840.10008.1.1", 17, &id, &dimse), 0);
	assert_int_equal(id, id2);
	assert_int_equal(dimse, DIMSE_ANY);
	assert_int_equal(lookup(mixed, "1.3.12.2.1107.5.9.1", 19, &id, &dimse), -ENOENT);
	pol_free(pol);
}

static void test_errors(void **state)
{
	char *msg = parse_errors("device d 10.0.0.1 ae D\n"
				 "allow tcp from any to d port 0\n"
				 "allow icmp from nobody to d port 8\n"
				 "default allow\n");

	assert_string_equal(msg, "t:2:30: bad port '0' (1 to 65535, or a range like 2000-2010)\n"
				 "t:3:17: unknown name 'nobody' (no device or peer has it)\n"
				 "t:3:29: ports do not apply to icmp\n"
				 "t:4:9: there is no 'default allow': what no rule allows is blocked\n");
	free(msg);
	msg = parse_errors("peer p 10.0.0.1 ae P\n");
	assert_string_equal(msg, "t:2:1: no 'device': a policy protects at least one device\n");
	free(msg);
	errno = 0;
	assert_null(pol_parse("t", "device", 6, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pol_load("/nonexistent/policy.conf", NULL));
	assert_int_equal(errno, ENOENT);
	pol_free(NULL);
}

static char *print(const struct pol *pol)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(pol_print(pol, f), 0);
	fclose(f);
	return buf;
}

static void test_print_round_trip(void **state)
{
	struct pol *pol = parse(example), *again;
	char *first = print(pol), *second;

	assert_non_null(strstr(first, "default block\n"));
	assert_non_null(strstr(first, IS_ENABLED(CONFIG_INSPECT_DEFAULT_ASSOCIATION) ?
		"services verification storage query-retrieve inspect association\n" :
		"services verification storage query-retrieve inspect full\n"));
	assert_null(strchr(first, '#'));
	again = parse(first);
	second = print(again);
	assert_string_equal(first, second);
	assert_int_equal(pol_rule_count(again), pol_rule_count(pol));
	free(first);
	free(second);
	pol_free(pol);
	pol_free(again);
}

struct collected {
	unsigned n;
	uint8_t af[4], prefix[4];
	uint8_t addr[4][16];
};

static int collect(void *ctx, uint8_t af, const uint8_t *addr, unsigned prefix)
{
	struct collected *c = ctx;

	if (c->n == 4)
		return -E2BIG;
	c->af[c->n] = af;
	c->prefix[c->n] = (uint8_t)prefix;
	memcpy(c->addr[c->n++], addr, af == SW_AF_INET ? 4 : 16);
	return 0;
}

static void test_foreach_device(void **state)
{
	struct pol *pol;
	struct collected c;
	uint8_t want[16];

	if (!IS_ENABLED(CONFIG_IPV6))
		skip();
	pol = parse("peer p 10.9.9.9 ae P\n"
				"device a 10.0.0.1, fd00::1 ae A\n"
				"device b 10.0.0.2 ae B\n");

	memset(&c, 0, sizeof(c));
	assert_int_equal(pol_foreach_device(pol, collect, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.af[0], SW_AF_INET);
	assert_int_equal(c.prefix[0], 32);
	inet_pton(AF_INET, "10.0.0.1", want);
	assert_memory_equal(c.addr[0], want, 4);
	assert_int_equal(c.af[1], SW_AF_INET6);
	assert_int_equal(c.prefix[1], 128);
	inet_pton(AF_INET6, "fd00::1", want);
	assert_memory_equal(c.addr[1], want, 16);
	inet_pton(AF_INET, "10.0.0.2", want);
	assert_memory_equal(c.addr[2], want, 4);
	/* a callback's error stops the walk and is returned */
	c.n = 4;
	assert_int_equal(pol_foreach_device(pol, collect, &c), -E2BIG);
	pol_free(pol);
}

/* Without CONFIG_IPV6 an IPv6 address is an error, not a rule that can
 * never match. */
static void test_ipv6_off(void **state)
{
	char *msg;

	if (IS_ENABLED(CONFIG_IPV6))
		skip();
	msg = parse_errors("device d 10.0.0.1 ae D\n"
			   "allow tcp from fd00::/8 to d port 22\n");
	assert_string_equal(msg, "t:2:16: IPv6 address 'fd00::/8', but this build has no IPv6 "
				 "(CONFIG_IPV6)\n");
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_cidr_v4),
		cmocka_unit_test(test_cidr_v6),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_first_match_and_default),
		cmocka_unit_test(test_ae_allowed),
		cmocka_unit_test(test_sop_lookup),
		cmocka_unit_test(test_sop_raw),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_foreach_device),
		cmocka_unit_test(test_ipv6_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
