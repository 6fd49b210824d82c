/* The syntax tree into what pol_match reads: names resolved to address
 * and AE title sets, addresses to sorted disjoint ranges, ports merged,
 * services expanded to one sorted SOP class table per rule whose UIDs are
 * interned policy-wide (equal sop_id, equal UID). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/catalog.h"
#include "pol_int.h"

int uid_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static uint64_t be_bytes(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* IPv4 lives in the low 32 bits, so one range type serves both families. */
void pol_addr_u128(uint8_t af, const uint8_t *addr, struct pol_u128 *out)
{
	if (af == SW_AF_INET) {
		out->hi = 0;
		out->lo = be_bytes(addr, 4);
	} else {
		out->hi = be_bytes(addr, 8);
		out->lo = be_bytes(addr + 8, 8);
	}
}

static void prefix_range(const struct pol_addr *a, struct pol_range *r)
{
	unsigned host = (a->af == SW_AF_INET ? 32u : 128u) - a->prefix;

	pol_addr_u128(a->af, a->addr, &r->lo);
	r->hi = r->lo;
	if (host >= 64) {
		r->hi.lo = ~0ULL;
		if (host > 64)
			r->hi.hi |= host == 128 ? ~0ULL : (1ULL << (host - 64)) - 1;
	} else if (host) {
		r->hi.lo |= (1ULL << host) - 1;
	}
}

static int range_cmp(const void *pa, const void *pb)
{
	const struct pol_range *a = pa, *b = pb;

	return pol_u128_cmp(&a->lo, &b->lo);
}

/* Whether b starts inside a or right after it. */
static bool range_touches(const struct pol_range *a, const struct pol_range *b)
{
	struct pol_u128 next = a->hi;

	if (++next.lo == 0 && ++next.hi == 0)
		return true;	/* a runs to the top of the address space */
	return pol_u128_cmp(&b->lo, &next) <= 0;
}

static unsigned ranges_merge(struct pol_range *r, unsigned n)
{
	unsigned i, out = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (i = 1; i < n; i++) {
		if (range_touches(&r[out], &r[i])) {
			if (pol_u128_cmp(&r[i].hi, &r[out].hi) > 0)
				r[out].hi = r[i].hi;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

static int aset_build(struct pol_arena *a, const struct pol_addr *addrs, unsigned n,
		      struct pol_aset *set)
{
	struct pol_range *r4 = pa_alloc(a, (n + 1) * sizeof(*r4));
	struct pol_range *r6 = pa_alloc(a, (n + 1) * sizeof(*r6));
	unsigned i;

	if (!r4 || !r6)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (addrs[i].af == SW_AF_INET)
			prefix_range(&addrs[i], &r4[set->n4++]);
		else if (addrs[i].af == SW_AF_INET6)
			prefix_range(&addrs[i], &r6[set->n6++]);
	}
	set->n4 = ranges_merge(r4, set->n4);
	set->n6 = ranges_merge(r6, set->n6);
	set->r4 = r4;
	set->r6 = r6;
	return 0;
}

const struct ast_def *pol_find_def(const struct ast *ast, const char *name)
{
	const struct ast_def *defs = ast->defs.v;
	unsigned i;

	for (i = 0; i < ast->defs.n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

/* A bare address or `any` says nothing about AE titles, so it accepts all. */
static int resolve_ep(struct pol *pol, struct pol_diag *d, const struct ast_ep *ep,
		      struct pol_aset *set, struct pol_tset *ae)
{
	const struct ast_def *def;

	ae->any = true;
	if (ep->kind == EP_ANY) {
		set->any = true;
		return 0;
	}
	if (ep->kind == EP_ADDR)
		return aset_build(pol->arena, &ep->addr, 1, set);
	def = pol_find_def(&pol->ast, ep->name);
	if (!def) {
		diag_err(d, ep->line, ep->col, "unknown name '%s' (no device or peer has it)",
			 ep->name);
		return 0;
	}
	ae->any = def->ae_any;
	ae->titles = def->titles.v;
	ae->n = def->titles.n;
	return aset_build(pol->arena, def->addrs.v, def->addrs.n, set);
}

static int prange_cmp(const void *pa, const void *pb)
{
	const struct pol_prange *a = pa, *b = pb;

	return (int)a->lo - (int)b->lo;
}

static int ports_build(struct pol *pol, const struct ast_rule *ar, struct pol_crule *cr)
{
	struct pol_prange *p;
	unsigned i, out = 0;

	if (!ar->has_ports || ar->proto == POL_ICMP || ar->proto == POL_ICMPV6)
		return 0;
	p = pa_alloc(pol->arena, (ar->ports.n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (ar->ports.n)
		memcpy(p, ar->ports.v, ar->ports.n * sizeof(*p));
	qsort(p, ar->ports.n, sizeof(*p), prange_cmp);
	for (i = 1; i < ar->ports.n; i++) {
		if ((unsigned)p[i].lo <= (unsigned)p[out].hi + 1) {
			if (p[i].hi > p[out].hi)
				p[out].hi = p[i].hi;
		} else {
			p[++out] = p[i];
		}
	}
	cr->ports = p;
	cr->nports = ar->ports.n ? out + 1 : 0;
	return 0;
}

static int sop_cmp(const void *pa, const void *pb)
{
	const struct pol_sop *a = pa, *b = pb;

	return uid_cmp(a->uid, a->len, b->uid, b->len);
}

static unsigned sops_count(const struct ast_rule *ar)
{
	const struct cat_service *const *svc = cat_services();
	unsigned i, n = ar->sops.n;
	const char *const *u;

	for (i = 0; svc[i]; i++)
		if (ar->services & (1u << i))
			for (u = svc[i]->uids; *u; u++)
				n++;
	return n;
}

static void sop_add(struct pol_sop *s, unsigned *n, const char *uid, uint32_t dimse)
{
	s[*n].uid = uid;
	s[*n].len = (uint16_t)strlen(uid);
	s[*n].dimse = dimse;
	(*n)++;
}

/* A UID named twice (by two services, or a service and `sop`) keeps the
 * union of the commands allowed on it. */
static int sops_build(struct pol *pol, const struct ast_rule *ar, struct pol_crule *cr)
{
	const struct cat_service *const *svc = cat_services();
	const char *const *raw = ar->sops.v;
	struct pol_sop *s = pa_alloc(pol->arena, (sops_count(ar) + 1) * sizeof(*s));
	unsigned i, n = 0, out = 0;
	const char *const *u;

	if (!s)
		return -ENOMEM;
	for (i = 0; svc[i]; i++)
		if (ar->services & (1u << i))
			for (u = svc[i]->uids; *u; u++)
				sop_add(s, &n, *u, svc[i]->dimse);
	for (i = 0; i < ar->sops.n; i++)
		sop_add(s, &n, raw[i], DIMSE_ANY);
	qsort(s, n, sizeof(*s), sop_cmp);
	for (i = 1; i < n; i++) {
		if (sop_cmp(&s[out], &s[i]) == 0)
			s[out].dimse |= s[i].dimse;
		else
			s[++out] = s[i];
	}
	cr->sops = s;
	cr->nsops = n ? out + 1 : 0;
	return 0;
}

/* Interning: every UID of every rule into one sorted table; a UID's id is
 * its position there. */
static int sops_intern(struct pol *pol, struct pol_diag *d)
{
	struct pol_sop *all, *s;
	unsigned i, j, n = 0, out = 0;

	for (i = 0; i < pol->nrules; i++)
		n += pol->rules[i].nsops;
	all = malloc((n + 1) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (i = 0; i < pol->nrules; i++)
		for (j = 0; j < pol->rules[i].nsops; j++)
			all[out++] = pol->rules[i].sops[j];
	qsort(all, n, sizeof(*all), sop_cmp);
	for (i = 1, out = 0; i < n; i++)
		if (sop_cmp(&all[out], &all[i]) != 0)
			all[++out] = all[i];
	pol->nuids = n ? out + 1 : 0;
	if (pol->nuids > UINT16_MAX)
		diag_err(d, 1, 1, "more than %u distinct SOP class UIDs", UINT16_MAX);
	for (i = 0; i < pol->nrules; i++) {
		s = (struct pol_sop *)pol->rules[i].sops;
		for (j = 0; j < pol->rules[i].nsops; j++) {
			struct pol_sop *hit = bsearch(&s[j], all, pol->nuids, sizeof(*all), sop_cmp);

			s[j].id = (uint16_t)(hit - all);
		}
	}
	free(all);
	return 0;
}

static int rule_build(struct pol *pol, struct pol_diag *d, unsigned i)
{
	const struct ast_rule *ar = (const struct ast_rule *)pol->ast.rules.v + i;
	struct pol_crule *cr = &pol->rules[i];
	int rc;

	cr->src = ar;
	cr->pub = (struct pol_rule){
		.line = ar->line, .index = i, .action = ar->action, .proto = ar->proto,
		.inspect = ar->proto == POL_DICOM ? ar->inspect : POL_INSPECT_NONE,
		.reason = ar->reason, .strict = ar->strict,
	};
	rc = resolve_ep(pol, d, &ar->from, &cr->from, &cr->ae[POL_CALLING]);
	if (!rc)
		rc = resolve_ep(pol, d, &ar->to, &cr->to, &cr->ae[POL_CALLED]);
	if (!rc)
		rc = ports_build(pol, ar, cr);
	if (!rc && ar->proto == POL_DICOM)
		rc = sops_build(pol, ar, cr);
	return rc;
}

static void check_defs(const struct ast *ast, struct pol_diag *d)
{
	const struct ast_def *defs = ast->defs.v;
	bool device = false;
	unsigned i, j, addrs = 0;

	for (i = 0; i < ast->defs.n; i++) {
		device |= defs[i].device;
		/* A datapath limit, checked here so that --check reports it: the
		 * kernel ruleset lets ARP through for this many addresses. */
		if (defs[i].device && addrs <= POL_DEVICE_ADDRS_MAX &&
		    (addrs += defs[i].addrs.n) > POL_DEVICE_ADDRS_MAX)
			diag_err(d, defs[i].line, defs[i].col,
				 "more than %u device addresses (the kernel ruleset's ARP rules "
				 "hold %u)", POL_DEVICE_ADDRS_MAX, POL_DEVICE_ADDRS_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(defs[i].name, defs[j].name) == 0) {
				diag_err(d, defs[i].line, defs[i].col,
					 "'%s' is already defined on line %u", defs[i].name,
					 defs[j].line);
				break;
			}
	}
	if (!device)
		diag_err(d, ast->eof_line, ast->eof_col,
			 "no 'device': a policy protects at least one device");
}

int pol_compile(struct pol *pol, struct pol_diag *d)
{
	unsigned i;
	int rc = 0;

	check_defs(&pol->ast, d);
	pol->def_action = pol->ast.def_action;
	pol->nrules = pol->ast.rules.n;
	pol->rules = pa_alloc(pol->arena, (pol->nrules + 1) * sizeof(*pol->rules));
	if (!pol->rules)
		return -ENOMEM;
	for (i = 0; i < pol->nrules && !rc; i++)
		rc = rule_build(pol, d, i);
	if (!rc)
		rc = sops_intern(pol, d);
	return rc;
}
