/* The packet-path side of a policy: read-only, no allocation, no system
 * calls. Rules are scanned in order (first match wins, and policies are a
 * few dozen rules); inside a rule every set is a binary search. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "scanwall/config.h"
#include "pol_int.h"

#define crule_of(r) ((const struct pol_crule *)((const char *)(r) - offsetof(struct pol_crule, pub)))

static const uint8_t proto_ip[] = {
	[POL_TCP] = IPPROTO_TCP, [POL_UDP] = IPPROTO_UDP, [POL_ICMP] = IPPROTO_ICMP,
	[POL_ICMPV6] = IPPROTO_ICMPV6, [POL_DICOM] = IPPROTO_TCP,
};

static bool aset_has(const struct pol_aset *s, uint8_t af, const struct pol_u128 *x)
{
	const struct pol_range *r = af == SW_AF_INET ? s->r4 : s->r6;
	unsigned lo = 0, hi = af == SW_AF_INET ? s->n4 : s->n6, mid;

	if (s->any)
		return true;
	/* lo ends as the number of ranges starting at or below x. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pol_u128_cmp(&r[mid].lo, x) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && pol_u128_cmp(x, &r[lo - 1].hi) <= 0;
}

static bool ports_have(const struct pol_crule *r, uint16_t port)
{
	unsigned lo = 0, hi = r->nports, mid;

	if (!r->ports)
		return true;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->ports[mid].lo <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && port <= r->ports[lo - 1].hi;
}

static bool rule_matches(const struct pol_crule *r, const struct flow_key *k,
			 const struct pol_u128 *src, const struct pol_u128 *dst)
{
	bool icmp = r->pub.proto == POL_ICMP || r->pub.proto == POL_ICMPV6;

	return proto_ip[r->pub.proto] == k->proto && aset_has(&r->from, k->af, src) &&
	       aset_has(&r->to, k->af, dst) && (icmp || ports_have(r, k->dport));
}

/* Runs for every packet outside a known flow (a scan is all of them):
 * the addresses are converted once, not once per rule. */
const struct pol_rule *pol_match(const struct pol *pol, const struct flow_key *k)
{
	struct pol_u128 src, dst;
	unsigned i;

	if (k->af != SW_AF_INET && (k->af != SW_AF_INET6 || !IS_ENABLED(CONFIG_IPV6)))
		return NULL;
	pol_addr_u128(k->af, k->src, &src);
	pol_addr_u128(k->af, k->dst, &dst);
	for (i = 0; i < pol->nrules; i++)
		if (rule_matches(&pol->rules[i], k, &src, &dst))
			return &pol->rules[i].pub;
	return NULL;
}

static bool addr_is_host(const struct pol_addr *a, const struct flow_key *k)
{
	unsigned n = a->af == SW_AF_INET ? 4 : 16;

	return a->af == k->af && a->prefix == n * 8 && !memcmp(a->addr, k->src, n);
}

bool pol_src_named(const struct pol *pol, const struct pol_rule *r, const struct flow_key *k)
{
	const struct ast_ep *ep = &crule_of(r)->src->from;
	const struct ast_def *def;
	const struct pol_addr *addrs;
	unsigned i;

	if (ep->kind == EP_ADDR)
		return addr_is_host(&ep->addr, k);
	def = ep->kind == EP_NAME ? pol_find_def(&pol->ast, ep->name) : NULL;
	if (!def)
		return false;
	addrs = def->addrs.v;
	for (i = 0; i < def->addrs.n; i++)
		if (addr_is_host(&addrs[i], k))
			return true;
	return false;
}

enum pol_action pol_default_action(const struct pol *pol)
{
	return pol->def_action;
}

unsigned pol_rule_count(const struct pol *pol)
{
	return pol->nrules;
}

const struct pol_rule *pol_rule_at(const struct pol *pol, unsigned index)
{
	return index < pol->nrules ? &pol->rules[index].pub : NULL;
}

bool pol_ae_allowed(const struct pol_rule *r, enum pol_side side, const char *title)
{
	const struct pol_tset *ts;
	unsigned i;

	if (!r || (side != POL_CALLING && side != POL_CALLED))
		return false;
	ts = &crule_of(r)->ae[side];
	if (ts->any)
		return true;
	for (i = 0; i < ts->n; i++)
		if (strcmp(ts->titles[i], title) == 0)
			return true;
	return false;
}

/* Devices pad UIDs to even length with a NUL, and some with a space
 * (DICOM-NOTES.md); exactly one pad byte is forgiven. */
int pol_sop_lookup(const struct pol_rule *r, const char *uid, size_t len,
		   uint16_t *sop_id, uint32_t *dimse)
{
	const struct pol_crule *cr;
	unsigned lo = 0, hi, mid;
	int c;

	if (!r)
		return -ENOENT;
	cr = crule_of(r);
	if (len && (uid[len - 1] == '\0' || uid[len - 1] == ' '))
		len--;
	for (hi = cr->nsops; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		c = uid_cmp(uid, len, cr->sops[mid].uid, cr->sops[mid].len);
		if (c == 0) {
			*sop_id = cr->sops[mid].id;
			*dimse = cr->sops[mid].dimse;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

int pol_foreach_device(const struct pol *pol,
		       int (*cb)(void *ctx, uint8_t af, const uint8_t *addr, unsigned prefix),
		       void *ctx)
{
	const struct ast_def *defs = pol->ast.defs.v;
	unsigned i, j;
	int rc;

	for (i = 0; i < pol->ast.defs.n; i++) {
		const struct pol_addr *a = defs[i].addrs.v;

		for (j = 0; defs[i].device && j < defs[i].addrs.n; j++) {
			rc = cb(ctx, a[j].af, a[j].addr, a[j].prefix);
			if (rc)
				return rc;
		}
	}
	return 0;
}
