/* The observation table for a person (`policy observed` on the console):
 * one line per relation and its classes, one per plain flow or refusal. */
#include <inttypes.h>
#include <string.h>

#include "scanwall/flowkey.h"
#include "learn_int.h"

static void sum_rel(const struct lrn *t, const struct lrn_rel *r, FILE *out)
{
	char a[64], b[64], ts[24], cmds[128];
	unsigned idle = 0;

	fprintf(out, "dicom %s -> %s port %u, %s -> %s: %" PRIu64 " association(s), %" PRIu64
		" accepted, last %s\n", flowkey_addr_str(r->af, r->ini, a, sizeof(a)),
		flowkey_addr_str(r->af, r->acc, b, sizeof(b)), r->port, r->calling, r->called,
		r->count[0], r->count[1], lrn_time(r->last_s, ts));
	/* a peer offers a hundred classes and sends on one: the one is shown */
	for (unsigned i = 0; i < r->nclass; i++) {
		const struct lrn_class *c = &r->cls[i];

		if (!lrn_class_used(r, c)) {
			idle++;
			continue;
		}
		fprintf(out, "    %-32s %-8s %s\n", t->uids[c->uid],
			c->flags & LRN_ACCEPTED ? "accepted" :
			c->flags & LRN_REFUSED ? "refused" : "proposed",
			lrn_cmd_names(lrn_class_cmds(c), cmds, sizeof(cmds)));
	}
	if (idle)
		fprintf(out, "    and %u more class(es) offered, nothing sent on them\n", idle);
}

static void sum_flow(const struct lrn_flowrec *f, FILE *out)
{
	char ts[24];

	fprintf(out, "%-12s ", f->kind);
	lrn_put_flow(out, f);
	if (f->rule_line)
		fprintf(out, ", line %d", f->rule_line);
	else
		fputs(", default", out);
	fprintf(out, ": %" PRIu64 ", last %s\n", f->count, lrn_time(f->last_s, ts));
}

void lrn_summary(const struct lrn *t, FILE *out)
{
	const struct lrn_dropped *d = &t->dropped;

	for (unsigned i = 0; i < t->relp.used; i++)
		if (t->rel[i].af)
			sum_rel(t, &t->rel[i], out);
	for (unsigned i = 0; i < t->flowp.used; i++)
		sum_flow(&t->flow[i], out);
	fprintf(out, "%u relation(s), %u flow(s) and refusal(s)", lrn_relation_count(t),
		lrn_flow_count(t));
	if (d->relations || d->classes || d->uids || d->flows)
		fprintf(out, "; not recorded (table full): %" PRIu64 " relation(s), %" PRIu64
			" class(es), %" PRIu64 " flow(s)", d->relations, d->classes + d->uids,
			d->flows);
	if (d->evicted_relations || d->evicted_flows)
		fprintf(out, "; evicted (table full, least seen first): %" PRIu64 " relation(s), %"
			PRIu64 " flow(s) and refusal(s)", d->evicted_relations, d->evicted_flows);
	fputc('\n', out);
}
