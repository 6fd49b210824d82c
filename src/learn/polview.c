/* What the commissioning tools share: the keys a policy matches records
 * by, which rules they use, and a few ways of writing records. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwall/catalog.h"
#include "scanwall/flowkey.h"
#include "scanwall/policy.h"
#include "learn_int.h"

void lrn_rel_flowkey(const struct lrn_rel *r, struct flow_key *k)
{
	*k = (struct flow_key){ .af = r->af, .proto = IPPROTO_TCP, .dport = r->port };
	memcpy(k->src, r->ini, sizeof(k->src));
	memcpy(k->dst, r->acc, sizeof(k->dst));
}

void lrn_flowrec_flowkey(const struct lrn_flowrec *f, struct flow_key *k)
{
	*k = (struct flow_key){ .af = f->af, .proto = f->proto, .dport = f->port };
	memcpy(k->src, f->src, sizeof(k->src));
	memcpy(k->dst, f->dst, sizeof(k->dst));
}

static void mark(bool *used, const struct pol *pol, const struct flow_key *k)
{
	const struct pol_rule *r = pol_match(pol, k);

	if (r)
		used[r->index] = true;
}

bool *lrn_rules_used(const struct lrn *t, const struct pol *pol)
{
	bool *used = calloc(pol_rule_count(pol) + 1, sizeof(bool));
	struct flow_key k;

	for (unsigned i = 0; used && i < t->relp.used; i++) {
		if (!t->rel[i].af)
			continue;
		lrn_rel_flowkey(&t->rel[i], &k);
		mark(used, pol, &k);
	}
	for (unsigned i = 0; used && i < t->flowp.used; i++) {
		lrn_flowrec_flowkey(&t->flow[i], &k);
		mark(used, pol, &k);
	}
	return used;
}

void lrn_put_flow(FILE *out, const struct lrn_flowrec *f)
{
	char a[64], b[64];

	fprintf(out, "%s %s -> %s", flowkey_proto_name(f->proto),
		flowkey_addr_str(f->af, f->src, a, sizeof(a)),
		flowkey_addr_str(f->af, f->dst, b, sizeof(b)));
	if (f->port)
		fprintf(out, " port %u", f->port);
	if (f->calling[0] || f->called[0])
		fprintf(out, " %s -> %s", f->calling, f->called);
	if (f->fault[0])
		fprintf(out, " %s", f->fault);
}

const char *lrn_time(uint64_t s, char buf[24])
{
	time_t tt = (time_t)s;
	struct tm tm;

	if (!s || !gmtime_r(&tt, &tm) || !strftime(buf, 24, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 24, "never");
	return buf;
}

bool lrn_class_used(const struct lrn_rel *r, const struct lrn_class *c)
{
	bool cmds = false, accepted = false;

	for (unsigned i = 0; i < r->nclass; i++) {
		cmds |= lrn_class_cmds(&r->cls[i]) != 0;
		accepted |= (r->cls[i].flags & LRN_ACCEPTED) != 0;
	}
	if (cmds)
		return lrn_class_cmds(c) != 0;
	return c->flags & (accepted ? LRN_ACCEPTED : LRN_PROPOSED);
}

uint32_t lrn_class_cmds(const struct lrn_class *c)
{
	return (uint32_t)c->dimse[0] | c->dimse[1];
}

const char *lrn_cmd_names(uint32_t bits, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (uint32_t b = 1; (b & DIMSE_ANY) && n < size; b <<= 1)
		if (bits & b)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "",
					      dimse_bit_name(b));
	return buf;
}
