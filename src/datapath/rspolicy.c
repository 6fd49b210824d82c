/* The policy's fixed verdicts in the kernel.
 *
 * A spoofed SYN flood at a blocked port cost the transfer it shared the
 * queue with most of its bandwidth: every refused packet crossed the one
 * queue and thread. Rules whose verdict needs no inspection are rendered
 * into the inet table, in policy order, for new connections only (ct
 * state new, no mark of ours), and again into the bridge table for TCP
 * SYNs, where a flood of them ends before br_netfilter and conntrack
 * spend anything on it: `allow` rules hand the packet on to the
 * engine as before, `block`/`reject` rules and the default drop it in the
 * kernel, after letting a rate-limited sample through to the engine. The
 * engine judges the sample by the same policy, so it emits the event with
 * the rule's line and reason and answers a reject; the kernel's named
 * counter holds the rest, and `counters` adds the two. This kernel cannot
 * answer a bridged packet itself (nft `reject` in inet forward routes the
 * reset, and a bridge without addresses has no route; the bridge family
 * has no reject and no conntrack here), so every answer is the engine's,
 * and the sample is the answer's rate limit: per source, and per rule. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "scanwall/config.h"
#include "scanwall/flowkey.h"
#include "scanwall/policy.h"
#include "scanwall/sbuf.h"
#include "datapath/ruleset.h"
#include "datapath/rspolicy.h"

#define RS_STR_(x) #x
#define RS_STR(x) RS_STR_(x)

/* Hands a packet on towards the engine: back to the chain that jumped to
 * `pol` (the rN chains are entered by goto, so their return goes there
 * too). In the inet table that is the forward chain, whose next rules
 * queue it: the SYN queue or the main one, or on the xt backend the
 * iptables chain. In the bridge table it is the prerouting chain, which
 * accepts it on to br_netfilter and so to the inet table, where the same
 * rules judge it again. */
#define RS_TO_ENGINE "return"

static const char *const rs_l4[] = {
	[POL_TCP] = "tcp", [POL_UDP] = "udp", [POL_ICMP] = "icmp",
	[POL_ICMPV6] = "ipv6-icmp", [POL_DICOM] = "tcp",
};

/* One rule's sets, filled for rendering; static: the renderer runs on
 * the control path, one document at a time. */
static struct {
	struct pol_span from[RS_POL_SET_MAX], to[RS_POL_SET_MAX];
	uint16_t ports[RS_POL_SET_MAX][2];
} rs_m;

static unsigned rs_elems(int n)
{
	return n > 0 ? (unsigned)n : 0;
}

/* Elements a rule puts into the kernel's sets, or UINT32_MAX when one set
 * is larger than RS_POL_SET_MAX. */
static unsigned rs_rule_elems(const struct pol_rule *r)
{
	int n[5] = {
		pol_rule_ports(r, NULL, 0),
		pol_rule_addrs(r, POL_CALLING, SW_AF_INET, NULL, 0),
		pol_rule_addrs(r, POL_CALLED, SW_AF_INET, NULL, 0),
		pol_rule_addrs(r, POL_CALLING, SW_AF_INET6, NULL, 0),
		pol_rule_addrs(r, POL_CALLED, SW_AF_INET6, NULL, 0),
	};
	unsigned sum = 0;

	for (unsigned i = 0; i < 5; i++) {
		if (n[i] > RS_POL_SET_MAX)
			return UINT32_MAX;
		sum += rs_elems(n[i]);
	}
	return sum;
}

unsigned rs_policy_fit(const struct pol *pol, const char **why)
{
	unsigned n = pol_rule_count(pol), total = 0, i;

	*why = NULL;
	for (i = 0; i < n; i++) {
		unsigned e = rs_rule_elems(pol_rule_at(pol, i));

		if (i == RS_POL_RULES_MAX) {
			*why = "more than " RS_STR(RS_POL_RULES_MAX) " rules";
			break;
		}
		if (e == UINT32_MAX) {
			*why = "a set of more than " RS_STR(RS_POL_SET_MAX) " addresses or ports";
			break;
		}
		if (total + e > RS_POL_ELEMS_MAX) {
			*why = "more than " RS_STR(RS_POL_ELEMS_MAX) " addresses and ports in all";
			break;
		}
		total += e;
	}
	return i;
}

/* The prefix length when [lo, hi] is exactly one prefix, else -1. */
static int rs_prefix(const uint8_t *lo, const uint8_t *hi, unsigned bytes)
{
	unsigned i = 0, bits;

	while (i < bytes && lo[i] == hi[i])
		i++;
	bits = i * 8;
	if (i < bytes) {
		uint8_t x = lo[i] ^ hi[i];
		unsigned host = 0;

		while (host < 8 && (x >> host) & 1)
			host++;
		if (x != (uint8_t)((1u << host) - 1) || (lo[i] & x) || (hi[i] & x) != x)
			return -1;
		bits += 8 - host;
		for (i++; i < bytes; i++)
			if (lo[i] != 0 || hi[i] != 0xff)
				return -1;
	}
	return (int)bits;
}

static void rs_addrs(struct sbuf *o, const char *what, uint8_t af, const struct pol_span *s,
		     int n)
{
	int fam = af == SW_AF_INET ? AF_INET : AF_INET6;
	unsigned bytes = af == SW_AF_INET ? 4 : 16;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (n < 0)
		return;
	sb_put(o, "%s %s { ", af == SW_AF_INET ? "ip" : "ip6", what);
	for (int i = 0; i < n; i++) {
		int p = rs_prefix(s[i].lo, s[i].hi, bytes);

		inet_ntop(fam, s[i].lo, a, sizeof(a));
		inet_ntop(fam, s[i].hi, b, sizeof(b));
		if (p == (int)bytes * 8)
			sb_put(o, "%s%s", i ? ", " : "", a);
		else if (p >= 0)
			sb_put(o, "%s%s/%d", i ? ", " : "", a, p);
		else
			sb_put(o, "%s%s-%s", i ? ", " : "", a, b);
	}
	sb_put(o, " } ");
}

static void rs_ports(struct sbuf *o, const struct pol_rule *r, int n)
{
	if (n < 0) {
		sb_put(o, "meta l4proto %s ", rs_l4[r->proto]);
		return;
	}
	sb_put(o, "%s dport { ", rs_l4[r->proto]);
	for (int i = 0; i < n; i++) {
		sb_put(o, "%s%u", i ? ", " : "", rs_m.ports[i][0]);
		if (rs_m.ports[i][1] != rs_m.ports[i][0])
			sb_put(o, "-%u", rs_m.ports[i][1]);
	}
	sb_put(o, " } ");
}

static void rs_verdict(struct sbuf *o, const struct pol_rule *r)
{
	if (r->action == POL_ALLOW)
		sb_put(o, RS_TO_ENGINE " comment \"line %u\"\n", r->line);
	else
		sb_put(o, "goto r%u comment \"line %u\"\n", r->index, r->line);
}

/* The chains a policy rule is rendered into. */
enum rs_chain {
	RS_POL,	/* inet: new connections, every rule */
	RS_INV,	/* inet: TCP that conntrack calls invalid */
	RS_SYN,	/* bridge: TCP SYNs to a device address */
};

static bool rs_tcp(const struct pol_rule *r)
{
	return r->proto == POL_TCP || r->proto == POL_DICOM;
}

/* Whether rule r has lines in chain ch. The inv and bridge chains see TCP
 * only. In inv a refusing rule must name the ports and the addresses it
 * protects: what it matches there is then a segment toward a service
 * port of the hosts it names, not a reply to their own connections (a
 * reply goes to the initiator's ephemeral port) unless that port lies in
 * the rule's port set (docs/engine.md says what this gives up); a rule
 * without ports would take those replies too, and one to any address
 * replies to anyone. */
static bool rs_takes(const struct pol_rule *r, enum rs_chain ch)
{
	if (ch == RS_POL)
		return true;
	if (!rs_tcp(r))
		return false;
	return ch == RS_SYN || r->action == POL_ALLOW || pol_rule_ports(r, NULL, 0) > 0;
}

/* One line per address family the rule's sets name; a rule from any to
 * any is one line for both, like the matcher, which then looks at the
 * protocol alone. A family with an empty side matches nothing. In inv a
 * refusing rule keeps only the families whose `to` side names addresses. */
static void rs_rule(struct sbuf *o, const struct pol_rule *r, enum rs_chain ch)
{
	static const uint8_t afs[] = { SW_AF_INET, SW_AF_INET6 };
	bool named_to = ch == RS_INV && r->action != POL_ALLOW;
	int np;

	if (!rs_takes(r, ch))
		return;
	np = pol_rule_ports(r, rs_m.ports, RS_POL_SET_MAX);
	if (np == 0)
		return;
	if (pol_rule_addrs(r, POL_CALLING, SW_AF_INET, NULL, 0) < 0 &&
	    pol_rule_addrs(r, POL_CALLED, SW_AF_INET, NULL, 0) < 0) {
		if (named_to)
			return;
		sb_put(o, "\t\t");
		rs_ports(o, r, np);
		rs_verdict(o, r);
		return;
	}
	for (unsigned i = 0; i < sizeof(afs); i++) {
		int nf = pol_rule_addrs(r, POL_CALLING, afs[i], rs_m.from, RS_POL_SET_MAX);
		int nt = pol_rule_addrs(r, POL_CALLED, afs[i], rs_m.to, RS_POL_SET_MAX);

		if (nf == 0 || nt == 0 || (nt < 0 && named_to) ||
		    (afs[i] == SW_AF_INET6 && !IS_ENABLED(CONFIG_IPV6)))
			continue;
		sb_put(o, "\t\t");
		rs_addrs(o, "saddr", afs[i], rs_m.from, nf);
		rs_addrs(o, "daddr", afs[i], rs_m.to, nt);
		rs_ports(o, r, np);
		rs_verdict(o, r);
	}
}

/* Whether a refusing rule has a line in inv (above). */
static bool rs_inv_refuses(const struct pol_rule *r)
{
	static const uint8_t afs[] = { SW_AF_INET, SW_AF_INET6 };

	if (r->action == POL_ALLOW || !rs_takes(r, RS_INV))
		return false;
	for (unsigned i = 0; i < sizeof(afs); i++)
		if (pol_rule_addrs(r, POL_CALLED, afs[i], NULL, 0) > 0 &&
		    pol_rule_addrs(r, POL_CALLING, afs[i], NULL, 0) != 0 &&
		    (afs[i] == SW_AF_INET || IS_ENABLED(CONFIG_IPV6)))
			return true;
	return false;
}

/* The rules inv holds: those before its last refusing one (an allow rule
 * after it would only hand on what falls through anyway); 0: no inv. */
static unsigned rs_inv_end(const struct pol *pol)
{
	const char *why;
	unsigned end = 0, fit = rs_policy_fit(pol, &why);

	for (unsigned i = 0; i < fit; i++)
		if (rs_inv_refuses(pol_rule_at(pol, i)))
			end = i + 1;
	return end;
}

/* A refused packet's chain: a sample to the engine (for a reject, within
 * the answer limit per source and per rule), the rest dropped and counted. */
static void rs_fixed_chain(struct sbuf *o, const char *name, enum pol_action act)
{
	sb_put(o, "\tchain %s {\n", name);
	if (act == POL_REJECT) {
		sb_put(o, "\t\tlimit rate over %u/second burst %u packets counter name \"%s\" drop\n",
		       CONFIG_RULESET_ANSWER_RATE, CONFIG_RULESET_ANSWER_RATE, name);
		sb_put(o, "\t\tupdate @answer4 { ip saddr limit rate %u/second burst %u packets } "
			  RS_TO_ENGINE "\n", CONFIG_RULESET_ANSWER_SOURCE_RATE,
		       CONFIG_RULESET_ANSWER_SOURCE_RATE);
		if (IS_ENABLED(CONFIG_IPV6))
			sb_put(o, "\t\tupdate @answer6 { ip6 saddr limit rate %u/second burst %u packets } "
				  RS_TO_ENGINE "\n", CONFIG_RULESET_ANSWER_SOURCE_RATE,
			       CONFIG_RULESET_ANSWER_SOURCE_RATE);
	} else {
		sb_put(o, "\t\tlimit rate %u/second burst %u packets " RS_TO_ENGINE "\n",
		       CONFIG_RULESET_EVENT_RATE, CONFIG_RULESET_EVENT_RATE);
	}
	sb_put(o, "\t\tcounter name \"%s\" drop\n\t}\n", name);
}

void rs_policy_jump(struct sbuf *o, const struct ruleset_cfg *c)
{
	if (!c->pol)
		return;
	sb_put(o, "\t\tct state new ct mark & 0x%08x == 0x00000000 jump pol\n", SW_MARK_MASK);
	if (rs_inv_end(c->pol))
		sb_put(o, "\t\tct state invalid meta l4proto tcp jump inv\n");
}

/* The counters rs_policy_chains() defines, by name: a rule's that
 * refuses (rN), the default's (dflt). */
static unsigned rs_counter_names(const struct pol *pol, char names[][16], unsigned max)
{
	const char *why;
	unsigned fit = rs_policy_fit(pol, &why), n = 0;

	for (unsigned i = 0; i < fit && n < max; i++)
		if (pol_rule_at(pol, i)->action != POL_ALLOW)
			snprintf(names[n++], sizeof(names[0]), "r%u", i);
	if (fit == pol_rule_count(pol) && pol_default_action(pol) != POL_ALLOW && n < max)
		snprintf(names[n++], sizeof(names[0]), "dflt");
	return n;
}

void rs_policy_reset(struct sbuf *o, const struct ruleset_cfg *c, const char *family)
{
	static char names[RS_POL_RULES_MAX + 1][16];
	unsigned n = c->pol ? rs_counter_names(c->pol, names, RS_POL_RULES_MAX + 1) : 0;
	const char *const t = SW_RULESET_NAME;

	for (unsigned i = 0; i < n; i++)
		sb_put(o, "add counter %s %s %s\ndelete counter %s %s %s\n", family, t, names[i],
		       family, t, names[i]);
	for (unsigned af = 4; c->pol && af <= 6; af += 2)
		if (af == 4 || IS_ENABLED(CONFIG_IPV6))
			sb_put(o, "add set %s %s answer%u { type ipv%u_addr; size %u; "
				  "flags dynamic,timeout; timeout 10s; }\ndelete set %s %s answer%u\n",
			       family, t, af, af, RS_POL_SOURCES, family, t, af);
}

/* Sets, counters and chains of the table whose policy chain is ch's
 * (RS_POL: the inet table, with inv; RS_SYN: the bridge's). */
static void rs_chains(struct sbuf *o, const struct ruleset_cfg *c, enum rs_chain ch)
{
	const char *why;
	unsigned fit, inv, i;
	enum pol_action def;
	char name[16];

	if (!c->pol)
		return;
	fit = rs_policy_fit(c->pol, &why);
	def = pol_default_action(c->pol);
	sb_put(o, "\tset answer4 { type ipv4_addr; size %u; flags dynamic,timeout; timeout 10s; }\n",
	       RS_POL_SOURCES);
	if (IS_ENABLED(CONFIG_IPV6))
		sb_put(o, "\tset answer6 { type ipv6_addr; size %u; flags dynamic,timeout; "
			  "timeout 10s; }\n", RS_POL_SOURCES);
	for (i = 0; i < fit; i++)
		if (pol_rule_at(c->pol, i)->action != POL_ALLOW && rs_takes(pol_rule_at(c->pol, i), ch))
			sb_put(o, "\tcounter r%u { }\n", i);
	if (fit == pol_rule_count(c->pol) && def != POL_ALLOW)
		sb_put(o, "\tcounter dflt { }\n");
	sb_put(o, "\tchain pol {\n");
	for (i = 0; i < fit; i++)
		rs_rule(o, pol_rule_at(c->pol, i), ch);
	/* A rule the kernel cannot render, and all after it, fall through
	 * to the engine: first match stays the engine's. */
	if (fit == pol_rule_count(c->pol) && def != POL_ALLOW)
		sb_put(o, "\t\tgoto dflt\n");
	sb_put(o, "\t}\n");
	/* TCP that conntrack calls invalid (a FIN, RST or SYN-ACK without a
	 * connection: a flood of them from strangers) is no new connection
	 * and may be a reply or a segment of a flow only the engine knows,
	 * which first match cannot judge. Only a refusing rule that names the
	 * addresses and ports it protects judges it here (rs_takes), behind
	 * the allow rules as in pol; never the default. The rest goes to the
	 * engine as before. */
	inv = ch == RS_POL ? rs_inv_end(c->pol) : 0;
	if (inv) {
		sb_put(o, "\tchain inv {\n");
		for (i = 0; i < inv; i++)
			rs_rule(o, pol_rule_at(c->pol, i), RS_INV);
		sb_put(o, "\t}\n");
	}
	for (i = 0; i < fit; i++) {
		const struct pol_rule *r = pol_rule_at(c->pol, i);

		snprintf(name, sizeof(name), "r%u", i);
		if (r->action != POL_ALLOW && rs_takes(r, ch))
			rs_fixed_chain(o, name, r->action);
	}
	if (fit == pol_rule_count(c->pol) && def != POL_ALLOW)
		rs_fixed_chain(o, "dflt", def);
}

void rs_policy_chains(struct sbuf *o, const struct ruleset_cfg *c)
{
	rs_chains(o, c, RS_POL);
}

static unsigned rs_devices(const struct ruleset_cfg *c, uint8_t af)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_devices; i++)
		n += c->devices[i].af == af;
	return n;
}

void rs_device_set(struct sbuf *o, const struct ruleset_cfg *c, uint8_t af, const char *what)
{
	int fam = af == SW_AF_INET ? AF_INET : AF_INET6;
	char a[INET6_ADDRSTRLEN];
	const char *sep = "";

	sb_put(o, "%s { ", what);
	for (unsigned i = 0; i < c->n_devices; i++) {
		if (c->devices[i].af != af)
			continue;
		inet_ntop(fam, c->devices[i].addr, a, sizeof(a));
		sb_put(o, "%s%s/%u", sep, a, c->devices[i].prefix);
		sep = ", ";
	}
	sb_put(o, " } ");
}

void rs_policy_bridge(struct sbuf *o, const struct ruleset_cfg *c)
{
	static const uint8_t afs[] = { SW_AF_INET, SW_AF_INET6 };

	if (!c->pol || !c->n_devices)
		return;
	/* Before br_netfilter (bridge priority 0) hands the frame to the IP
	 * hooks: a refused SYN costs no conntrack entry, no skb extension,
	 * no inet chain. What passes is judged again there, by the same
	 * rules with their own limits, which a sample stays within. Only a
	 * SYN to a device address, in a frame not for the box: this hook
	 * also sees frames for the box itself (an address on the bridge;
	 * the bridge marks those for its own MAC PACKET_HOST before it),
	 * which the device's policy must never refuse, whatever address
	 * they name. Every other SYN through the box is judged in the inet
	 * table's forward hook, which only forwarded packets cross. */
	sb_put(o, "\tchain prerouting {\n\t\ttype filter hook prerouting priority -200; "
		  "policy accept;\n");
	for (unsigned i = 0; i < sizeof(afs); i++) {
		if (!rs_devices(c, afs[i]) || (afs[i] == SW_AF_INET6 && !IS_ENABLED(CONFIG_IPV6)))
			continue;
		sb_put(o, "\t\tmeta pkttype != host ");
		rs_device_set(o, c, afs[i], afs[i] == SW_AF_INET ? "ip daddr" : "ip6 daddr");
		sb_put(o, "tcp flags & (fin | syn | rst | ack) == syn jump pol\n");
	}
	sb_put(o, "\t}\n");
	rs_chains(o, c, RS_SYN);
}

/* The rule a counter of the policy in force counts (its rule count: the
 * default), or UINT32_MAX: one an older policy left, which this policy
 * does not define (docs/engine.md, "Atomic and idempotent"). */
static unsigned rs_counter_rule(const struct pol *pol, unsigned fit, const char *name)
{
	unsigned n = pol_rule_count(pol), idx;

	if (!strcmp(name, "dflt"))
		return fit == n && pol_default_action(pol) != POL_ALLOW ? n : UINT32_MAX;
	return sscanf(name, "r%u", &idx) == 1 && idx < fit &&
	       pol_rule_at(pol, idx)->action != POL_ALLOW ? idx : UINT32_MAX;
}

void rs_policy_hits(const char *text, const struct pol *pol,
		    void (*cb)(void *ctx, unsigned index, uint64_t packets), void *ctx)
{
	static const char *const ours[] = { "table inet " SW_RULESET_NAME " {",
					    "table bridge " SW_RULESET_NAME " {" };
	uint64_t sum[RS_POL_RULES_MAX + 1] = { 0 };
	bool seen[RS_POL_RULES_MAX + 1] = { false }, in_ours = false;
	const char *why;
	unsigned fit = rs_policy_fit(pol, &why), n = pol_rule_count(pol), idx = UINT32_MAX;
	unsigned long long packets;
	const char *line = text;
	char name[16];

	if (n > RS_POL_RULES_MAX)
		n = RS_POL_RULES_MAX;	/* no counter beyond: rs_policy_fit */
	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (!strncmp(line, "table ", 6))
			in_ours = !strncmp(line, ours[0], strlen(ours[0])) ||
				  !strncmp(line, ours[1], strlen(ours[1]));
		else if (in_ours && sscanf(line, " counter %15s {", name) == 1)
			idx = rs_counter_rule(pol, fit, name);
		else if (idx != UINT32_MAX && sscanf(line, " packets %llu", &packets) == 1)
			sum[idx] += packets, seen[idx] = true, idx = UINT32_MAX;
	}
	for (idx = 0; idx <= n; idx++)
		if (seen[idx])
			cb(ctx, idx, sum[idx]);
}
