/* `scanwalld --what-if`: the observation table judged by a candidate
 * policy, as the engine would judge the same traffic. A relation is
 * refused by the first thing the engine would stop it at: its rule, its
 * AE titles, its proposed classes (at least one within the services, in
 * both modes: the engine judges the contexts at the AC, docs/dicom.md),
 * then a message on a class or a command outside the services. Plain
 * flows by their rule. What was refused when seen and would now pass is
 * listed too, and every allow rule nothing seen used: what the policy
 * opens without need. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/dicom.h"
#include "scanwall/flowkey.h"
#include "scanwall/poldecl.h"
#include "scanwall/policy.h"
#include "learn_int.h"

struct wi_why {
	const char *fault;	/* dcm_fault_name, or "block"/"reject" */
	const char *detail;	/* the UID or command, or NULL */
	unsigned line;		/* 0: the default */
};

/* The rule of a key, or why it is refused there. */
static const struct pol_rule *wi_rule(const struct pol *pol, const struct flow_key *k,
				      struct wi_why *why)
{
	const struct pol_rule *r = pol_match(pol, k);

	why->line = r ? r->line : 0;
	if (r && r->action == POL_ALLOW)
		return r;
	why->fault = pol_action_name(r ? r->action : pol_default_action(pol));
	return NULL;
}

static bool wi_sop(const struct pol_rule *r, const char *uid, uint32_t *dimse)
{
	uint16_t id;

	return pol_sop_lookup(r, uid, strlen(uid), &id, dimse) == 0;
}

/* The classes: the first one the engine would refuse at, if any. */
static bool wi_classes(const struct lrn *t, const struct lrn_rel *rel, const struct pol_rule *r,
		       struct wi_why *why, char *cmd, size_t cmdsize)
{
	bool any = false;
	uint32_t dimse;

	for (unsigned i = 0; i < rel->nclass; i++) {
		const struct lrn_class *c = &rel->cls[i];
		bool ok = wi_sop(r, t->uids[c->uid], &dimse);

		any |= ok && (c->flags & LRN_PROPOSED);
	}
	if (!any) {
		why->fault = dcm_fault_name(DCM_R_NO_CONTEXT);
		return false;
	}
	for (unsigned i = 0; i < rel->nclass; i++) {
		const struct lrn_class *c = &rel->cls[i];
		uint32_t cmds = lrn_class_cmds(c);

		if (!cmds)
			continue;
		if (!wi_sop(r, t->uids[c->uid], &dimse)) {
			why->fault = dcm_fault_name(DCM_R_CONTEXT);
			why->detail = t->uids[c->uid];
			return false;
		}
		if (cmds & ~dimse) {
			why->fault = dcm_fault_name(DCM_R_COMMAND);
			why->detail = lrn_cmd_names(cmds & ~dimse, cmd, cmdsize);
			return false;
		}
	}
	return true;
}

static bool wi_relation(const struct lrn *t, const struct lrn_rel *rel, const struct pol *pol,
			struct wi_why *why, char *cmd, size_t cmdsize)
{
	const struct pol_rule *r;
	struct flow_key k;

	lrn_rel_flowkey(rel, &k);
	r = wi_rule(pol, &k, why);
	if (!r || r->proto != POL_DICOM)
		return r != NULL;	/* a plain allow passes it uninspected */
	if (!pol_ae_allowed(r, POL_CALLING, rel->calling)) {
		why->fault = dcm_fault_name(DCM_R_CALLING_AE);
		why->detail = rel->calling;
		return false;
	}
	if (!pol_ae_allowed(r, POL_CALLED, rel->called)) {
		why->fault = dcm_fault_name(DCM_R_CALLED_AE);
		why->detail = rel->called;
		return false;
	}
	return wi_classes(t, rel, r, why, cmd, cmdsize);
}

static void wi_where(FILE *out, const struct wi_why *why)
{
	fprintf(out, "%s%s%s", why->fault, why->detail ? " " : "", why->detail ? why->detail : "");
	if (why->line)
		fprintf(out, " (line %u)", why->line);
	else
		fputs(" (default)", out);
}

static unsigned wi_relations(const struct lrn *t, const struct pol *pol, FILE *out)
{
	char a[64], b[64], ts[24], cmd[128];
	unsigned n = 0;

	for (unsigned i = 0; i < t->relp.used; i++) {
		const struct lrn_rel *r = &t->rel[i];
		struct wi_why why = { 0 };

		if (!r->af || wi_relation(t, r, pol, &why, cmd, sizeof(cmd)))
			continue;
		n++;
		fprintf(out, "refused: dicom %s -> %s port %u %s -> %s: ",
			flowkey_addr_str(r->af, r->ini, a, sizeof(a)),
			flowkey_addr_str(r->af, r->acc, b, sizeof(b)), r->port, r->calling, r->called);
		wi_where(out, &why);
		fprintf(out, "; seen %" PRIu64 " association(s), last %s\n", r->count[0],
			lrn_time(r->last_s, ts));
	}
	return n;
}

/* A plain flow passes by an allow rule of its protocol; an allow dicom
 * rule would inspect it as DICOM, which it is not. */
static bool wi_plain(const struct lrn_flowrec *f, const struct pol *pol, struct wi_why *why)
{
	const struct pol_rule *r;
	struct flow_key k;

	lrn_flowrec_flowkey(f, &k);
	r = wi_rule(pol, &k, why);
	if (r && r->proto == POL_DICOM) {
		why->fault = "not-dicom";
		return false;
	}
	return r != NULL;
}

/* A refusal seen would pass now: its rule allows, and for an association
 * refused for its AE titles, the titles pass. Other faults of an
 * association (its classes, its PDUs) the table cannot replay. */
static bool wi_refusal_passes(const struct lrn_flowrec *f, const struct pol *pol)
{
	const struct pol_rule *r;
	struct flow_key k;

	lrn_flowrec_flowkey(f, &k);
	r = pol_match(pol, &k);
	if (!r || r->action != POL_ALLOW)
		return false;
	if (r->proto != POL_DICOM)
		return !f->fault[0];
	if (f->fault[0] && strcmp(f->fault, dcm_fault_name(DCM_R_CALLING_AE)) &&
	    strcmp(f->fault, dcm_fault_name(DCM_R_CALLED_AE)))
		return false;
	return (!f->calling[0] || pol_ae_allowed(r, POL_CALLING, f->calling)) &&
	       (!f->called[0] || pol_ae_allowed(r, POL_CALLED, f->called));
}

/* allowed: the plain flows seen that the policy refuses; else the
 * refusals seen that it would let pass. */
static unsigned wi_flows(const struct lrn *t, const struct pol *pol, FILE *out, bool allowed)
{
	char ts[24];
	unsigned n = 0;

	for (unsigned i = 0; i < t->flowp.used; i++) {
		const struct lrn_flowrec *f = &t->flow[i];
		struct wi_why why = { 0 };

		if (allowed != !strcmp(f->kind, "allow"))
			continue;
		if (allowed ? wi_plain(f, pol, &why) : !wi_refusal_passes(f, pol))
			continue;
		n++;
		fprintf(out, "%s: ", allowed ? "refused" : "now allowed");
		lrn_put_flow(out, f);
		fputs(": ", out);
		if (allowed)
			wi_where(out, &why);
		else
			fprintf(out, "was %s", f->kind);
		fprintf(out, "; seen %" PRIu64 ", last %s\n", f->count, lrn_time(f->last_s, ts));
	}
	return n;
}

static int wi_unused(const struct lrn *t, const struct pol *pol, FILE *out, unsigned *n)
{
	bool *used = lrn_rules_used(t, pol);

	if (!used)
		return -ENOMEM;
	for (unsigned i = 0; i < pol_rule_count(pol); i++) {
		if (used[i] || pol_rule_at(pol, i)->action != POL_ALLOW)
			continue;
		++*n;
		fprintf(out, "allowed, never seen: line %u: ", pol_rule_at(pol, i)->line);
		pol_print_rule(pol, i, out);
	}
	free(used);
	return 0;
}

int lrn_what_if(const struct lrn *t, const struct pol *cand, FILE *out)
{
	unsigned refused, now = 0, unused = 0;
	int err;

	fprintf(out, "# what-if: %u relation(s) and %u flow(s) observed\n",
		lrn_relation_count(t), lrn_flow_count(t));
	refused = wi_relations(t, cand, out) + wi_flows(t, cand, out, true);
	now = wi_flows(t, cand, out, false);
	err = wi_unused(t, cand, out, &unused);
	if (err)
		return err;
	fprintf(out, "# %u seen would be refused, %u refused when seen would pass, "
		"%u allow rule(s) never used\n", refused, now, unused);
	return (int)refused;
}
