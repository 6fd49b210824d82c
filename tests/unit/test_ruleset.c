/* ruleset: the rendered kernel ruleset. The properties that keep the wire
 * closed are asserted on the text itself: no queue bypass, the mark rules
 * ahead of the queue, the queue number, the jump put back exactly once,
 * the bridge dropping what it does not name. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scanwall/flowkey.h"
#include "scanwall/policy.h"
#include "datapath/ruleset.h"
#include "datapath/rshits.h"
#include "datapath/rspolicy.h"

static char buf[65536];

static const char *render(const struct ruleset_cfg *c, enum ruleset_doc d)
{
	int n = ruleset_render(c, d, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	return buf;
}

/* The document as the default configuration renders it. */
static const char *render_default(enum ruleset_doc d)
{
	struct ruleset_cfg c;

	ruleset_cfg_default(&c);
	return render(&c, d);
}

/* Offset of the line containing s; fails when absent. */
static size_t at(const char *text, const char *s)
{
	const char *p = strstr(text, s);

	if (!p)
		fail_msg("missing: %s\n--- in ---\n%s", s, text);
	return (size_t)(p - text);
}

static unsigned count(const char *text, const char *s)
{
	unsigned n = 0;

	for (const char *p = strstr(text, s); p; p = strstr(p + 1, s))
		n++;
	return n;
}

static void test_nft_inet_order(void **state)
{
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	c.queue = 7;
	t = render(&c, RULESET_DOC_NFT_INET);
	assert_null(strstr(t, "bypass"));
	assert_null(strstr(t, "fanout"));
	assert_true(at(t, "policy drop") < at(t, "meta mark & 0x68000000 == 0x40000000 ct mark set"));
	assert_true(at(t, "ct mark set") < at(t, "ct mark & 0x68000000 == 0x40000000 counter accept"));
	assert_true(at(t, "== 0x40000000 counter accept") < at(t, "ct mark & 0x68000000 == 0x20000000 counter drop"));
	assert_true(at(t, "0x20000000 counter drop") < at(t, "ip6 hoplimit 255 accept"));
	assert_true(at(t, "hoplimit 255") < at(t, "\t\tqueue num 7\n"));
	/* The queue is the forward chain's last rule; only the bare-ACK
	 * chain follows, entered from it. */
	assert_int_equal(at(t, "\t\tqueue num 7\n"), at(t, "\t\tqueue num 7\n\t}\n\tchain open {\n"));
	assert_int_equal(count(t, "queue"), 1);
	/* Replaced atomically in one file, its hook kept: the base chain is
	 * declared and emptied, never deleted (a hook that goes takes every
	 * queued packet with it); every other object is declared, deleted,
	 * then defined again. */
	assert_int_equal(at(t, "add table inet scanwall\nflush table inet scanwall\n"), 0);
	assert_null(strstr(t, "delete table"));
	assert_null(strstr(t, "delete chain inet scanwall forward"));
}

static void test_bridge(void **state)
{
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	t = render(&c, RULESET_DOC_NFT_BRIDGE);
	/* its hook kept across a reload, as the inet table's */
	assert_int_equal(at(t, "add table bridge scanwall\nflush table bridge scanwall\n"), 0);
	assert_null(strstr(t, "delete"));
	assert_non_null(strstr(t, "hook forward priority -200; policy drop;"));
	assert_non_null(strstr(t, "\t\tether type arp accept\n"));
	assert_int_equal(at(t, "\t\tether type ip accept\n\t\tether type ip6 accept\n\t\tether type arp"),
			 at(t, "policy drop;\n") + strlen("policy drop;\n"));
	assert_null(strstr(t, "8021q"));
	assert_null(strstr(t, "vlan"));
	c.ipv6 = false;
	assert_null(strstr(render(&c, RULESET_DOC_NFT_BRIDGE), "ip6"));
}

static void test_bridge_devices(void **state)
{
	static const uint8_t a[4] = { 10, 20, 4, 15 };
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	c.n_devices = 2;
	c.devices[0].af = SW_AF_INET;
	memcpy(c.devices[0].addr, a, 4);
	c.devices[0].prefix = 32;
	c.devices[1].af = SW_AF_INET6;
	c.devices[1].prefix = 128;
	t = render(&c, RULESET_DOC_NFT_BRIDGE);
	assert_non_null(strstr(t, "ether type arp arp daddr ip { 10.20.4.15/32 } accept\n"));
	assert_non_null(strstr(t, "ether type arp arp saddr ip { 10.20.4.15/32 } accept\n"));
	assert_null(strstr(t, "ether type arp accept"));
}

static void test_flush_and_space(void **state)
{
	struct ruleset_cfg c;

	ruleset_cfg_default(&c);
	assert_string_equal(render(&c, RULESET_DOC_IPT_FLUSH),
			    "*filter\n:SCANWALL - [0:0]\n-X SCANWALL\nCOMMIT\n");
	c.xt_jump_present = true;
	assert_non_null(strstr(render(&c, RULESET_DOC_IPT_FLUSH), "-D FORWARD -j SCANWALL\n-X"));
	assert_int_equal(count(render(&c, RULESET_DOC_NFT_FLUSH), "delete table"), 2);
	assert_int_equal(ruleset_render(&c, RULESET_DOC_NFT_INET, buf, 64), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(ruleset_render(&c, RULESET_DOC__COUNT, buf, sizeof(buf)), -EINVAL);
}


/* The policy's fixed verdicts, rendered in policy order (docs/engine.md):
 * the allow rule before them hands its packets to the engine, block and
 * reject go to a chain of their own that samples and drops, the default
 * comes last. */
static const char pol_text[] =
	"device scanner 10.77.1.15,fd77::15 ae SCANNER\n"
	"peer lan 10.77.1.0/24,10.77.2.1,fd77::10 ae LAN\n"
	"allow dicom from lan to scanner port 104 services verification\n"
	"reject tcp from any to scanner port 80,443 reason \"IIS\"\n"
	"block tcp from any to scanner port 3465,5000-5010 reason \"HP\"\n"
	"block udp from any to any port 53\n"
	"allow icmp from lan to scanner\n"
	"default reject\n";

/* The rule lines pol and inv share. */
#define POL_LINES_3_TO_5 \
	"\t\tip saddr { 10.77.1.0/24, 10.77.2.1 } ip daddr { 10.77.1.15 } tcp dport { 104 } return comment \"line 3\"\n" \
	"\t\tip6 saddr { fd77::10 } ip6 daddr { fd77::15 } tcp dport { 104 } return comment \"line 3\"\n" \
	"\t\tip daddr { 10.77.1.15 } tcp dport { 80, 443 } goto r1 comment \"line 4\"\n" \
	"\t\tip6 daddr { fd77::15 } tcp dport { 80, 443 } goto r1 comment \"line 4\"\n" \
	"\t\tip daddr { 10.77.1.15 } tcp dport { 3465, 5000-5010 } goto r2 comment \"line 5\"\n" \
	"\t\tip6 daddr { fd77::15 } tcp dport { 3465, 5000-5010 } goto r2 comment \"line 5\"\n"
#define POL_LINE_7 \
	"\t\tip saddr { 10.77.1.0/24, 10.77.2.1 } ip daddr { 10.77.1.15 } meta l4proto icmp return comment \"line 7\"\n" \
	"\t\tip6 saddr { fd77::10 } ip6 daddr { fd77::15 } meta l4proto icmp return comment \"line 7\"\n"

#define POL_SETS \
	"\tset answer4 { type ipv4_addr; size 4096; flags dynamic,timeout; timeout 10s; }\n" \
	"\tset answer6 { type ipv6_addr; size 4096; flags dynamic,timeout; timeout 10s; }\n"

#define POL_HEAD \
	POL_SETS \
	"\tcounter r1 { }\n" \
	"\tcounter r2 { }\n" \
	"\tcounter r3 { }\n" \
	"\tcounter dflt { }\n" \
	"\tchain pol {\n" \
	POL_LINES_3_TO_5 \
	"\t\tudp dport { 53 } goto r3 comment \"line 6\"\n" \
	POL_LINE_7 \
	"\t\tgoto dflt\n" \
	"\t}\n"

/* Conntrack's invalid TCP: TCP rules only, the allow rules first, then
 * only the refusing rules that name the addresses and ports they protect,
 * none after the last of those (line 7), no default. */
#define POL_INV \
	"\tchain inv {\n" \
	POL_LINES_3_TO_5 \
	"\t}\n"

#define POL_R1_R2 \
	"\tchain r1 {\n" \
	"\t\tlimit rate over 100/second burst 100 packets counter name \"r1\" drop\n" \
	"\t\tupdate @answer4 { ip saddr limit rate 5/second burst 5 packets } return\n" \
	"\t\tupdate @answer6 { ip6 saddr limit rate 5/second burst 5 packets } return\n" \
	"\t\tcounter name \"r1\" drop\n" \
	"\t}\n" \
	"\tchain r2 {\n" \
	"\t\tlimit rate 10/second burst 10 packets return\n" \
	"\t\tcounter name \"r2\" drop\n" \
	"\t}\n"
#define POL_R3 \
	"\tchain r3 {\n" \
	"\t\tlimit rate 10/second burst 10 packets return\n" \
	"\t\tcounter name \"r3\" drop\n" \
	"\t}\n"
#define POL_DFLT \
	"\tchain dflt {\n" \
	"\t\tlimit rate over 100/second burst 100 packets counter name \"dflt\" drop\n" \
	"\t\tupdate @answer4 { ip saddr limit rate 5/second burst 5 packets } return\n" \
	"\t\tupdate @answer6 { ip6 saddr limit rate 5/second burst 5 packets } return\n" \
	"\t\tcounter name \"dflt\" drop\n" \
	"\t}\n" \
	"}\n"

static const char pol_golden[] = POL_HEAD POL_INV POL_R1_R2 POL_R3 POL_DFLT;
/* the bridge table: TCP SYNs only, so neither the UDP and ICMP rules nor
 * an invalid chain (no conntrack there) */
static const char pol_golden_bridge[] =
	POL_SETS
	"\tcounter r1 { }\n"
	"\tcounter r2 { }\n"
	"\tcounter dflt { }\n"
	"\tchain pol {\n"
	POL_LINES_3_TO_5
	"\t\tgoto dflt\n"
	"\t}\n"
	POL_R1_R2 POL_DFLT;

static struct pol *pol_of(const char *text)
{
	struct pol *p = pol_parse("t", text, strlen(text), stderr);

	assert_non_null(p);
	return p;
}

static void test_policy_nft(void **state)
{
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	c.pol = pol_of(pol_text);
	t = render(&c, RULESET_DOC_NFT_INET);
	/* New connections without a mark of ours, after the marks and ND,
	 * before the queue rule. */
	assert_true(at(t, "jump open\n") < at(t, "\t\tct state new ct mark & 0x68000000 == 0x00000000 jump pol\n"));
	assert_true(at(t, "hoplimit 255 accept\n") < at(t, "jump pol\n"));
	/* then conntrack's invalid TCP, the same way, before the queue */
	assert_int_equal(at(t, "jump pol\n") + strlen("jump pol\n"), at(t, "\t\tct state invalid meta l4proto tcp jump inv\n"));
	assert_int_equal(at(t, "jump inv\n") + strlen("jump inv\n"), at(t, "\t\tqueue num 0\n"));
	assert_string_equal(t + at(t, "\tset answer4"), pol_golden);
	pol_free((struct pol *)c.pol);
}

static void test_policy_xt(void **state)
{
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	c.pol = pol_of(pol_text);
	t = render(&c, RULESET_DOC_NFT_INET_XT);
	/* An accept ends only the inet table's say: the iptables chain then
	 * queues. Drops are final. */
	assert_null(strstr(t, "queue"));
	assert_true(at(t, "jump open\n") < at(t, "hoplimit 255 accept\n"));
	assert_int_equal(at(t, "hoplimit 255 accept\n") + strlen("hoplimit 255 accept\n"),
			 at(t, "\t\tct state new ct mark & 0x68000000 == 0x00000000 jump pol\n"
			       "\t\tct state invalid meta l4proto tcp jump inv\n\t}\n"));
	assert_string_equal(t + at(t, "\tset answer4"), pol_golden);
	pol_free((struct pol *)c.pol);
}

/* First match stays the engine's: a rule the kernel cannot hold, and
 * every rule after it, hand their packets to the engine, and so does the
 * default then. */
static void test_policy_limits(void **state)
{
	static char text[200000];
	struct ruleset_cfg c;
	const char *t, *why;
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "device d 10.9.9.9 ae D\n"
			     "block tcp from any to any port 1\npeer big ");
	for (unsigned i = 0; i <= RS_POL_SET_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s10.%u.%u.1", i ? "," : "",
				      i / 256, i % 256);
	snprintf(text + n, sizeof(text) - n, " ae any\nblock tcp from big to any port 2\n"
		 "block tcp from any to any port 3\ndefault block\n");
	ruleset_cfg_default(&c);
	c.pol = pol_of(text);
	assert_int_equal(rs_policy_fit(c.pol, &why), 1);
	assert_non_null(why);
	t = render(&c, RULESET_DOC_NFT_INET);
	assert_non_null(strstr(t, "tcp dport { 1 } goto r0"));
	assert_null(strstr(t, "dport { 2 }"));
	assert_null(strstr(t, "dport { 3 }"));
	assert_null(strstr(t, "goto dflt"));
	assert_null(strstr(t, "\tchain dflt {"));
	pol_free((struct pol *)c.pol);

	c.pol = pol_of("device d 10.9.9.9 ae D\nblock tcp from any to any port 1\ndefault block\n");
	assert_int_equal(rs_policy_fit(c.pol, &why), 1);
	assert_null(why);
	t = render(&c, RULESET_DOC_NFT_INET);
	assert_non_null(strstr(t, "\t\ttcp dport { 1 } goto r0 comment \"line 2\"\n\t\tgoto dflt\n\t}\n"));
	assert_non_null(strstr(t, "\tchain dflt {\n\t\tlimit rate 10/second burst 10 packets return\n"
				  "\t\tcounter name \"dflt\" drop\n\t}\n"));
	pol_free((struct pol *)c.pol);
}

/* The device addresses of pol_text, as apply.c fills them. */
static void scanner_devices(struct ruleset_cfg *c)
{
	static const uint8_t v4[4] = { 10, 77, 1, 15 };
	static const uint8_t v6[16] = { 0xfd, 0x77, [15] = 0x15 };

	c->n_devices = 2;
	c->devices[0].af = SW_AF_INET;
	memcpy(c->devices[0].addr, v4, sizeof(v4));
	c->devices[0].prefix = 32;
	c->devices[1].af = SW_AF_INET6;
	memcpy(c->devices[1].addr, v6, sizeof(v6));
	c->devices[1].prefix = 128;
}

/* A TCP SYN to a device address is judged in the bridge table first,
 * before br_netfilter and conntrack, by the same chains as the inet
 * table's; anything else (and what a chain passes on) in the inet table as
 * before. A frame for the box itself (an address on the bridge) never
 * meets the device's policy there. */
static void test_policy_bridge(void **state)
{
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	assert_null(strstr(render(&c, RULESET_DOC_NFT_BRIDGE), "prerouting"));
	c.pol = pol_of(pol_text);
	/* no device address: nothing to tell the box's own frames from */
	assert_null(strstr(render(&c, RULESET_DOC_NFT_BRIDGE), "prerouting"));
	scanner_devices(&c);
	t = render(&c, RULESET_DOC_NFT_BRIDGE);
	/* the ethertype filter unchanged, then the SYNs' chain */
	assert_true(at(t, "hook forward priority -200; policy drop;") <
		    at(t, "accept\n\t}\n\tchain prerouting {\n"
			  "\t\ttype filter hook prerouting priority -200; policy accept;\n"
			  "\t\tmeta pkttype != host ip daddr { 10.77.1.15/32 } tcp flags & (fin | syn | rst | ack) == syn jump pol\n"
			  "\t\tmeta pkttype != host ip6 daddr { fd77::15/128 } tcp flags & (fin | syn | rst | ack) == syn jump pol\n"
			  "\t}\n"));
	assert_string_equal(t + at(t, "\tset answer4"), pol_golden_bridge);
	/* nothing but a SYN to the device meets the policy there */
	assert_int_equal(count(t, "jump pol"), 2);
	c.n_devices = 1;
	assert_int_equal(count(render(&c, RULESET_DOC_NFT_BRIDGE), "jump pol"), 1);
	pol_free((struct pol *)c.pol);
}

/* A refusing rule without ports would take in inv the device's own
 * connections' replies (out of window, late) from the hosts it names: it
 * has no line there, nor does one to any address; with none left, no inv
 * chain and no jump. */
static void test_policy_inv(void **state)
{
	static const char text[] =
		"device scanner 10.77.1.15 ae S\n"
		"peer hosts 10.1.2.0/24 ae any\n"
		"allow tcp from scanner to any\n"
		"block tcp from hosts to scanner\n"
		"block tcp from hosts to scanner port 3465\n"
		"reject tcp from any to any port 80\n"
		"default reject\n";
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	c.pol = pol_of(text);
	t = render(&c, RULESET_DOC_NFT_INET);
	assert_non_null(strstr(t, "\tchain inv {\n"
				  "\t\tip saddr { 10.77.1.15 } meta l4proto tcp return comment \"line 3\"\n"
				  "\t\tip saddr { 10.1.2.0/24 } ip daddr { 10.77.1.15 } tcp dport { 3465 } goto r2 comment \"line 5\"\n"
				  "\t}\n"));
	/* pol keeps them all */
	assert_non_null(strstr(t, "\t\tip saddr { 10.1.2.0/24 } ip daddr { 10.77.1.15 } meta l4proto tcp goto r1 comment \"line 4\"\n"));
	assert_int_equal(count(t, "line 4"), 1);
	assert_int_equal(count(t, "line 6"), 1);
	pol_free((struct pol *)c.pol);

	c.pol = pol_of("device scanner 10.77.1.15 ae S\npeer hosts 10.1.2.0/24 ae any\n"
		       "block tcp from hosts to scanner\nblock udp from any to scanner port 53\n"
		       "default reject\n");
	t = render(&c, RULESET_DOC_NFT_INET);
	assert_null(strstr(t, "inv"));
	assert_non_null(strstr(t, "jump pol\n"));
	pol_free((struct pol *)c.pol);
}

static unsigned hits[8], calls;

static void hit(void *ctx, unsigned index, uint64_t packets)
{
	(void)ctx;
	if (index < sizeof(hits) / sizeof(hits[0]))
		hits[index] += (unsigned)packets;
	calls++;
}

/* `nft list counters` as this nft prints it: both of our tables, summed
 * per rule (the fold takes each as the rule's total), nobody else's. */
static void test_policy_hits(void **state)
{
	struct pol *p = pol_of(pol_text);

	rs_policy_hits("table inet scanwall {\n\tcounter r1 {\n\t\tpackets 7 bytes 420\n\t}\n"
		       "\tcounter dflt {\n\t\tpackets 3 bytes 180\n\t}\n"
		       "\tcounter r99 {\n\t\tpackets 5 bytes 1\n\t}\n"
		       /* left by an older policy: rule 0 allows, so it is not its */
		       "\tcounter r0 {\n\t\tpackets 9 bytes 1\n\t}\n}\n"
		       "table inet other {\n\tcounter r2 {\n\t\tpackets 11 bytes 1\n\t}\n}\n"
		       "table bridge scanwall {\n\tcounter r1 {\n\t\tpackets 40 bytes 1600\n\t}\n"
		       "\tcounter r2 {\n\t\tpackets 0 bytes 0\n\t}\n}\n", p, hit, NULL);
	assert_int_equal(hits[1], 7 + 40);
	assert_int_equal(hits[5], 3);	/* the default: the rule count */
	assert_int_equal(hits[0] + hits[2] + hits[3] + hits[4] + hits[6] + hits[7], 0);
	assert_int_equal(calls, 3);	/* r1, r2 (0) and dflt, once each */
	pol_free(p);
}

/* A policy with more rules than the kernel takes defines no dflt counter
 * (its default is the engine's): an older policy's is left in the table,
 * and its count is not this default's hits. */
static void test_policy_hits_leftover(void **state)
{
	char text[RS_POL_RULES_MAX * 48 + 64], *at = text;
	struct pol *p;

	at += sprintf(at, "device scanner 10.77.1.15 ae SCANNER\n");
	for (unsigned i = 0; i <= RS_POL_RULES_MAX; i++)
		at += sprintf(at, "block tcp from any to scanner port %u\n", 1000 + i);
	p = pol_of(text);
	memset(hits, 0, sizeof(hits));
	calls = 0;
	rs_policy_hits("table inet scanwall {\n\tcounter r0 {\n\t\tpackets 2 bytes 1\n\t}\n"
		       "\tcounter dflt {\n\t\tpackets 8 bytes 1\n\t}\n}\n", p, hit, NULL);
	assert_int_equal(hits[0], 2);
	assert_int_equal(calls, 1);
	pol_free(p);
}

/* What the kernel counted since the last read, reading after reading; a
 * counter that goes back (the ruleset reinstalled: it restarts at 0) is
 * a reset, and what it holds is counted, not lost. */
static void test_hits_fold(void **state)
{
	static const char fmt[] = "table inet scanwall {\n\tcounter r1 {\n\t\tpackets %u bytes 1\n"
				  "\t}\n\tcounter dflt {\n\t\tpackets %u bytes 1\n\t}\n}\n";
	static const unsigned reads[][4] = {	/* r1, dflt read; r1, dflt gained */
		{ 7, 3, 7, 3 }, { 10, 3, 3, 0 }, { 2, 1, 2, 1 }, { 5, 1, 3, 0 },
	};
	struct pol *p = pol_of(pol_text);
	struct rs_hits_delta d;
	char text[256];

	rs_hits_reset(p);
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		memset(&d, 0, sizeof(d));
		snprintf(text, sizeof(text), fmt, reads[i][0], reads[i][1]);
		rs_policy_hits(text, p, rs_hits_fold, &d);
		assert_int_equal(d.n[1], reads[i][2]);
		assert_int_equal(d.n[5], reads[i][3]);	/* the default: the rule count */
	}
	rs_hits_reset(NULL);
	pol_free(p);
}

/* New connections' SYNs on the queue after the engine's own: last but
 * one on both backends, after everything that passes or marks. */
static void test_syn_queue(void **state)
{
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	c.queue = 5;
	c.syn_queue = true;
	t = render(&c, RULESET_DOC_NFT_INET);
	assert_int_equal(at(t, "\t\ttcp flags & (fin | syn | rst | ack) == syn queue num 6\n"),
			 at(t, "\t\ttcp flags & (fin | syn | rst | ack) == syn queue num 6\n\t\tqueue num 5\n"));
	assert_true(at(t, "jump open") < at(t, "== syn queue num 6"));
	t = render(&c, RULESET_DOC_IPT6);
	assert_true(at(t, "--icmpv6-type 136") < at(t, "-A SCANWALL -p tcp --tcp-flags FIN,SYN,RST,ACK SYN -j NFQUEUE --queue-num 6\n"
						  "-A SCANWALL -j NFQUEUE --queue-num 5\n"));
	assert_null(strstr(render(&c, RULESET_DOC_NFT_INET_XT), "queue"));
	/* what the policy chain hands on comes back before both */
	c.pol = pol_of(pol_text);
	t = render(&c, RULESET_DOC_NFT_INET);
	assert_int_equal(at(t, "jump inv\n") + strlen("jump inv\n"), at(t, "\t\ttcp flags & (fin | syn | rst | ack) == syn queue num 6\n"));
	assert_null(strstr(t, "queue num 5 comment"));
	pol_free((struct pol *)c.pol);
	c.pol = NULL;
	c.queue = 65535;
	assert_int_equal(ruleset_render(&c, RULESET_DOC_NFT_INET, buf, sizeof(buf)), -EINVAL);
	c.syn_queue = false;
	assert_true(ruleset_render(&c, RULESET_DOC_NFT_INET, buf, sizeof(buf)) > 0);
}

/* A reload's counters start at 0: each the new policy defines is deleted
 * first, in the same file (declared, for the first install). A rule that
 * allows has none; one an older policy left is not read (below). */
static void test_reinstall_counters(void **state)
{
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	c.pol = pol_of(pol_text);
	t = render(&c, RULESET_DOC_NFT_INET);
	for (unsigned i = 1; i <= 3; i++) {
		char del[96], def[32];

		snprintf(del, sizeof(del), "add counter inet scanwall r%u\ndelete counter inet "
			 "scanwall r%u\n", i, i);
		snprintf(def, sizeof(def), "\tcounter r%u { }\n", i);
		assert_true(at(t, "flush table inet scanwall\n") < at(t, del));
		assert_true(at(t, del) < at(t, def));
	}
	assert_true(at(t, "delete counter inet scanwall dflt\n") < at(t, "\tcounter dflt { }\n"));
	assert_null(strstr(t, "counter inet scanwall r0\n"));
	assert_true(at(t, "delete set inet scanwall answer4\n") < at(t, "\tset answer4 {"));
	pol_free((struct pol *)c.pol);
}

static void test_nft_balance(void **state)
{
	struct ruleset_cfg c;

	ruleset_cfg_default(&c);
	c.queue = 4;
	c.queues = 4;
	assert_non_null(strstr(render(&c, RULESET_DOC_NFT_INET), "queue num 4-7\n"));
	assert_non_null(strstr(render(&c, RULESET_DOC_IPT4), "-j NFQUEUE --queue-balance 4:7\n"));
	c.queue = 65534;
	assert_int_equal(ruleset_render(&c, RULESET_DOC_NFT_INET, buf, sizeof(buf)), -EINVAL);
	c.queues = 0;
	assert_int_equal(ruleset_render(&c, RULESET_DOC_NFT_INET, buf, sizeof(buf)), -EINVAL);
}

static void test_ipt4(void **state)
{
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	c.queue = 3;
	t = render(&c, RULESET_DOC_IPT4);
	assert_int_equal(at(t, "*filter\n:SCANWALL - [0:0]\n"), 0);
	assert_null(strstr(t, "bypass"));
	assert_null(strstr(t, "icmp6"));
	/* What the inet table judged goes first; then our NF_REPEAT marks
	 * are saved to the ct mark; the rest is queued. */
	assert_int_equal(at(t, "-A SCANWALL"), at(t, "-A SCANWALL -m mark --mark 0x10000000/0x10000000 -j ACCEPT\n"));
	assert_true(at(t, "--mark 0x40000000/0x68000000 -j CONNMARK --save-mark --mask 0x68000000") <
		    at(t, "-m mark --mark 0x40000000/0x68000000 -j ACCEPT"));
	assert_true(at(t, "--mark 0x60000000/0x60000000 -j CONNMARK --save-mark --mask 0x68000000") <
		    at(t, "-m mark --mark 0x60000000/0x60000000 -j ACCEPT"));
	assert_true(at(t, "0x60000000/0x60000000 -j ACCEPT") < at(t, "-A SCANWALL -j NFQUEUE --queue-num 3\n"));
	/* The xt matches the inet table now does natively are gone. */
	assert_null(strstr(t, "connmark"));
	assert_null(strstr(t, "u32"));
	assert_null(strstr(t, "-m length"));
	assert_null(strstr(t, "-D FORWARD"));
	assert_int_equal(count(t, "-I FORWARD 1 -j SCANWALL\n"), 1);
	assert_true(at(t, "NFQUEUE") < at(t, "COMMIT\n"));
}

static void test_ipt6_nd_and_jump(void **state)
{
	struct ruleset_cfg c;
	const char *t;

	ruleset_cfg_default(&c);
	c.xt_jump_present = true;
	t = render(&c, RULESET_DOC_IPT6);
	assert_int_equal(count(t, "-m hl --hl-eq 255 -j ACCEPT\n"), 4);
	assert_non_null(strstr(t, "--icmpv6-type 133 "));
	assert_non_null(strstr(t, "--icmpv6-type 136 "));
	assert_true(at(t, "--icmpv6-type 136") < at(t, "NFQUEUE --queue-num 0\n"));
	/* An existing jump is removed and put back at the top, once. */
	assert_true(at(t, "-D FORWARD -j SCANWALL\n") < at(t, "-I FORWARD 1 -j SCANWALL\n"));
	assert_int_equal(count(t, "FORWARD"), 2);
}

/* An inspected flow (ct mark OPEN) has only its bare ACKs passed in the
 * kernel: FIN, SYN and RST clear, ACK set, and the IP length exactly the
 * headers' (one rule per TCP header length, 20 to 60 bytes); everything
 * else of it is queued. Data segments leave the test at its first rules. */
static void test_bare_acks(void **state)
{
	const char *t = render_default(RULESET_DOC_NFT_INET);

	assert_true(at(t, "meta mark & 0x68000000 == 0x60000000 ct mark set ct mark & 0x97ffffff | 0x60000000 accept") <
		    at(t, "\t\tqueue num"));
	assert_true(at(t, "0x20000000 counter drop") <
		    at(t, "\t\tct mark & 0x60000000 == 0x60000000 meta l4proto tcp jump open\n"));
	assert_true(at(t, "jump open") < at(t, "\t\tqueue num"));
	assert_true(at(t, "\tchain open {\n\t\tip length > 80 return\n\t\tip6 length > 60 return\n"
			  "\t\ttcp flags & (fin | syn | rst | ack | urg) == ack goto bare\n") > at(t, "queue num"));
	assert_true(at(t, "\t}\n\tchain bare {\n\t\tip hdrlength 5 ip length 52 tcp doff 8 counter accept\n") >
		    at(t, "goto bare"));
	assert_int_equal(count(t, " tcp doff "), 22);
	assert_int_equal(count(t, "ip hdrlength 5 ip length "), 11);
	assert_non_null(strstr(t, "ip hdrlength 5 ip length 40 tcp doff 5 counter accept\n"));
	assert_non_null(strstr(t, "ip hdrlength 5 ip length 80 tcp doff 15 counter accept\n"));
	assert_non_null(strstr(t, "ip6 nexthdr tcp ip6 length 32 tcp doff 8 counter accept\n"));
	assert_non_null(strstr(t, "ip6 nexthdr tcp ip6 length 60 tcp doff 15 counter accept\n"));
}

/* The acceptor's SYN-ACK passes in the kernel only when the SYN's verdict
 * said so (the SYNACK bit, saved with OPEN into the ct mark), only in the
 * reply direction, and only without payload (the same length rules). */
static void test_synack(void **state)
{
	const char *t = render_default(RULESET_DOC_NFT_INET);

	assert_true(at(t, "meta mark & 0x68000000 == 0x68000000 ct mark set ct mark & 0x97ffffff | 0x68000000 accept\n") <
		    at(t, "\t\tqueue num"));
	assert_true(at(t, "\t\ttcp flags & (fin | syn | rst | ack | urg) == syn | ack ct mark & 0x08000000 == 0x08000000 "
			  "ct direction reply counter goto bare\n") < at(t, "\tchain bare {"));
	assert_int_equal(count(t, "syn | ack"), 1);
	t = render_default(RULESET_DOC_IPT4);
	/* OPEN with or without the bit: saved under the whole mask */
	assert_non_null(strstr(t, "-m mark --mark 0x60000000/0x60000000 -j CONNMARK --save-mark --mask 0x68000000\n"));
	t = render_default(RULESET_DOC_NFT_INET_XT);
	assert_non_null(strstr(t, "ct direction reply counter goto bare\n"));
}

/* On the xt backend the inet table judges but cannot queue: whatever it
 * passes it marks PASS for the iptables chain, it drops DENY flows itself,
 * and it has no policy of its own (the iptables chain queues the rest). */
static void test_nft_inet_xt(void **state)
{
	const char *t = render_default(RULESET_DOC_NFT_INET_XT);

	assert_int_equal(at(t, "add table inet scanwall\nflush table inet scanwall\n"), 0);
	assert_null(strstr(t, "delete table"));
	assert_non_null(strstr(t, "hook forward priority -10; policy accept;\n"));
	assert_null(strstr(t, "queue"));
	assert_null(strstr(t, "ct mark set"));	/* NF_REPEAT re-runs the iptables chain */
	assert_non_null(strstr(t, "\t\tct mark & 0x68000000 == 0x40000000 counter meta mark set meta mark | 0x10000000 accept\n"));
	assert_non_null(strstr(t, "\t\tct mark & 0x68000000 == 0x20000000 counter drop\n"));
	assert_non_null(strstr(t, "ip hdrlength 5 ip length 52 tcp doff 8 counter meta mark set meta mark | 0x10000000 accept\n"));
	/* every rule that accepts marks first: ALLOW, and the 22 bare ACKs */
	assert_int_equal(count(t, " accept\n"), 1 + 22);
	assert_int_equal(count(t, " accept\n"), count(t, "meta mark set meta mark | 0x10000000 accept\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_inet_order),
		cmocka_unit_test(test_nft_balance),
		cmocka_unit_test(test_ipt4),
		cmocka_unit_test(test_ipt6_nd_and_jump),
		cmocka_unit_test(test_bare_acks),
		cmocka_unit_test(test_nft_inet_xt),
		cmocka_unit_test(test_synack),
		cmocka_unit_test(test_reinstall_counters),
		cmocka_unit_test(test_bridge),
		cmocka_unit_test(test_bridge_devices),
		cmocka_unit_test(test_flush_and_space),
		cmocka_unit_test(test_policy_nft),
		cmocka_unit_test(test_policy_xt),
		cmocka_unit_test(test_policy_limits),
		cmocka_unit_test(test_policy_bridge),
		cmocka_unit_test(test_policy_inv),
		cmocka_unit_test(test_policy_hits),
		cmocka_unit_test(test_policy_hits_leftover),
		cmocka_unit_test(test_hits_fold),
		cmocka_unit_test(test_syn_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
