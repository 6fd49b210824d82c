/* A compiled rule's match as plain data, for the kernel ruleset
 * (src/datapath/rspolicy.c): the same sorted, merged ranges the matcher
 * searches, so what the kernel matches is what pol_match() matches. */
#include <stddef.h>
#include <string.h>

#include "pol_int.h"

#define crule_of(r) ((const struct pol_crule *)((const char *)(r) - offsetof(struct pol_crule, pub)))

static void u128_bytes(const struct pol_u128 *x, uint8_t af, uint8_t out[16])
{
	uint64_t w[2] = { x->hi, x->lo };
	unsigned n = af == SW_AF_INET ? 4 : 16;

	memset(out, 0, 16);
	for (unsigned i = 0; i < n; i++) {
		unsigned bit = (n - 1 - i) * 8;	/* from the lowest byte up */

		out[i] = (uint8_t)(w[bit < 64] >> (bit % 64));
	}
}

int pol_rule_addrs(const struct pol_rule *r, enum pol_side side, uint8_t af,
		   struct pol_span *out, unsigned max)
{
	const struct pol_crule *cr = crule_of(r);
	const struct pol_aset *s = side == POL_CALLED ? &cr->to : &cr->from;
	const struct pol_range *v = af == SW_AF_INET ? s->r4 : s->r6;
	unsigned n = af == SW_AF_INET ? s->n4 : s->n6;

	if (s->any)
		return -1;
	for (unsigned i = 0; i < n && i < max; i++) {
		u128_bytes(&v[i].lo, af, out[i].lo);
		u128_bytes(&v[i].hi, af, out[i].hi);
	}
	return (int)n;
}

int pol_rule_ports(const struct pol_rule *r, uint16_t (*out)[2], unsigned max)
{
	const struct pol_crule *cr = crule_of(r);

	if (!cr->ports)
		return -1;
	for (unsigned i = 0; i < cr->nports && i < max; i++) {
		out[i][0] = cr->ports[i].lo;
		out[i][1] = cr->ports[i].hi;
	}
	return (int)cr->nports;
}
