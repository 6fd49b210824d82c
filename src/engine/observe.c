/* The engine's observation of what the device does (observe.h). Each
 * inspected association gets a DICOM observer (dcm_observe.h) whose
 * context is its slot here: what the RQ proposed, the AC accepted and
 * each DIMSE message carried is added to the relation of the flow's
 * addresses and AE titles. Plain flows and refusals come from the events.
 * Everything is sized at eng_observe(): nothing here allocates per packet.
 * Inline, the control thread copies the table off the loop in slices and
 * writes it (control/obsnap.c); eng_obs_save() is for the end (and
 * --replay --learn), when nothing else waits on the thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/catalog.h"
#include "scanwall/dcm_observe.h"
#include "scanwall/learn.h"
#include "engine_int.h"
#include "observe.h"

#define OBS_CTX 128	/* odd context ids 1..255 */

struct obs_assoc {
	struct eng_obs *o;
	struct dcm_observer ob;
	struct flow_key key;	/* the initiator's */
	int64_t rel;		/* -1: the RQ was not seen (or not recorded) */
	int64_t uid[OBS_CTX];	/* each context's abstract syntax (lrn_uid), -1 */
	uint8_t looked_up;	/* the relation was looked for (a full table counts once) */
	uint8_t accepted;
};

struct eng_obs {
	struct eng *e;
	struct lrn *t;
	char *path;		/* NULL: not persisted */
	uint64_t changes;
	uint64_t clock_s;	/* the engine's second the table's clock was last moved to */
	struct obs_assoc *as;	/* one per association slot */
};

static void obs_item(void *ctx, struct dcm_assoc *a, const struct dcm_obs_item *it);

/* The table, its clock moved on with the engine's: monotonic (or capture
 * time), so a wall-clock step (NTP after an RTC that booted in 1970) moves
 * no record's worth; the wall clock only says when, for people. */
static struct lrn *obs_table(struct eng_obs *o)
{
	uint64_t s = o->e->now_ns / 1000000000u;

	if (s > o->clock_s) {
		if (o->clock_s)	/* the first call only sets where the clock is */
			lrn_elapse(o->t, s - o->clock_s);
		o->clock_s = s;
	}
	return o->t;
}

int eng_observe(struct eng *e, const char *path)
{
	struct eng_obs *o = calloc(1, sizeof(*o));
	struct lrn_cfg cfg;
	int err = -ENOMEM;

	if (!o)
		return -ENOMEM;
	lrn_cfg_default(&cfg);
	o->e = e;
	o->t = lrn_new(&cfg);
	o->as = calloc(e->cfg.assocs, sizeof(*o->as));
	o->path = path ? strdup(path) : NULL;
	if (!o->t || !o->as || (path && !o->path))
		goto out_free;
	for (unsigned i = 0; i < e->cfg.assocs; i++)
		o->as[i] = (struct obs_assoc){ .o = o, .rel = -1,
					       .ob = { .item = obs_item, .ctx = &o->as[i] } };
	eng_obs_free(e->obs);
	e->obs = o;
	err = path ? lrn_load(o->t, path) : 0;
	return err == -ENOENT ? 0 : err;

out_free:
	eng_obs_free(o);
	return err;
}

void eng_obs_free(struct eng_obs *o)
{
	if (!o)
		return;
	lrn_free(o->t);
	free(o->as);
	free(o->path);
	free(o);
}

struct lrn *eng_observed(const struct eng *e)
{
	return e->obs ? e->obs->t : NULL;
}

int eng_obs_save(struct eng *e)
{
	struct eng_obs *o = e->obs;

	return o && o->path ? lrn_save(o->t, o->path) : 0;
}

uint64_t eng_obs_changes(const struct eng *e)
{
	return e->obs ? e->obs->changes : 0;
}

void eng_obs_start(struct eng *e, const struct flow *f)
{
	struct obs_assoc *s;

	if (!e->obs)
		return;
	s = &e->obs->as[f->assoc - 1];
	s->key = f->key;
	s->rel = -1;
	s->looked_up = 0;
	s->accepted = 0;
	memset(s->uid, -1, sizeof(s->uid));
	dcm_observe(e->assocs[f->assoc - 1].dcm, &s->ob);
}

void eng_obs_bytes(struct eng *e, const struct flow *f, int dir, size_t n)
{
	struct obs_assoc *s;

	if (!e->obs || !f->assoc)
		return;
	s = &e->obs->as[f->assoc - 1];
	if (s->rel >= 0)
		lrn_bytes(e->obs->t, s->rel, dir, n);
}

/* The RQ passed: its relation, found or made, counts one request. */
static int64_t obs_relation(struct obs_assoc *s, struct dcm_assoc *a)
{
	struct lrn *t = obs_table(s->o);
	struct lrn_rel_key k = {
		.af = s->key.af, .initiator = s->key.src, .acceptor = s->key.dst,
		.port = s->key.dport, .calling = dcm_calling_ae(a), .called = dcm_called_ae(a),
	};

	if (!s->looked_up) {
		s->looked_up = 1;
		s->rel = lrn_relation(t, &k, eng_wall_s(s->o->e));
		if (s->rel >= 0)
			lrn_count(t, s->rel, LRN_ASSOC_REQUESTED, eng_wall_s(s->o->e));
	}
	return s->rel;
}

/* The class of context id in the relation; used: a command was seen. */
static int obs_class(struct obs_assoc *s, uint8_t id, bool used)
{
	return lrn_class(s->o->t, s->rel, s->uid[(id - 1u) / 2], used);
}

static void obs_rq(struct obs_assoc *s, const struct dcm_obs_item *it)
{
	struct lrn *t = s->o->t;
	unsigned slot = (it->id - 1u) / 2;
	int c;

	switch (it->kind) {
	case DCM_OBS_PROPOSED:
		s->uid[slot] = lrn_uid(t, it->uid);
		c = obs_class(s, it->id, false);
		if (c >= 0)
			lrn_class_flags(t, s->rel, c, LRN_PROPOSED);
		break;
	case DCM_OBS_PROPOSED_TS:
		lrn_ts(t, s->rel, it->uid, LRN_PROPOSED);
		break;
	default:	/* DCM_OBS_ROLE_RQ */
		c = lrn_class(t, s->rel, lrn_uid(t, it->uid), false);
		if (c >= 0)
			lrn_class_flags(t, s->rel, c, (it->scu ? LRN_ROLE_SCU : 0) |
						      (it->scp ? LRN_ROLE_SCP : 0));
		break;
	}
}

static void obs_ac(struct obs_assoc *s, const struct dcm_obs_item *it)
{
	struct lrn *t = s->o->t;
	int c = it->kind == DCM_OBS_ROLE_AC ? -1 : obs_class(s, it->id, false);

	if (!s->accepted) {
		s->accepted = 1;
		lrn_count(t, s->rel, LRN_ASSOC_ACCEPTED, eng_wall_s(s->o->e));
	}
	switch (it->kind) {
	case DCM_OBS_ACCEPTED:
		lrn_ts(t, s->rel, it->uid, LRN_ACCEPTED);
		if (c >= 0)
			lrn_class_flags(t, s->rel, c, LRN_ACCEPTED);
		break;
	case DCM_OBS_REFUSED:
		if (c >= 0)
			lrn_class_flags(t, s->rel, c, LRN_REFUSED);
		break;
	case DCM_OBS_ROLE_AC:
		c = lrn_class(t, s->rel, lrn_uid(t, it->uid), false);
		if (c >= 0)
			lrn_class_flags(t, s->rel, c, (it->scu ? LRN_ROLE_SCU_AC : 0) |
						      (it->scp ? LRN_ROLE_SCP_AC : 0));
		break;
	default:
		break;
	}
}

static void obs_item(void *ctx, struct dcm_assoc *a, const struct dcm_obs_item *it)
{
	struct obs_assoc *s = ctx;
	int c;

	if (it->kind <= DCM_OBS_PROPOSED_TS || it->kind == DCM_OBS_ROLE_RQ) {
		if (obs_relation(s, a) >= 0)
			obs_rq(s, it);
	} else if (s->rel < 0) {
		return;
	} else if (it->kind == DCM_OBS_COMMAND) {
		c = obs_class(s, it->id, true);
		if (c >= 0) {
			lrn_class_flags(s->o->t, s->rel, c, LRN_PROPOSED | LRN_ACCEPTED);
			lrn_command(s->o->t, s->rel, c, it->dir, dimse_bit_of(it->field));
		}
	} else {
		obs_ac(s, it);
	}
	s->o->changes++;
}

/* Plain flows allowed, and every refusal of ours: a block or reject, or
 * an association event that carries a fault (a peer's own RJ or A-ABORT
 * carries none and is not ours). Not the stray packets of no flow (late
 * answers, a refused connection's peer): keyed by their ephemeral ports
 * they would fill the table and say nothing about the policy. */
void eng_obs_event(struct eng *e, const struct sw_event *ev, const struct flow_key *k)
{
	struct lrn_flow_key fk;

	if (!e->obs || !k)
		return;
	if (ev->kind != EV_ALLOW && ev->kind != EV_BLOCK && ev->kind != EV_REJECT && !ev->fault)
		return;
	if (ev->reason == eng_reason_no_flow)
		return;
	fk = (struct lrn_flow_key){
		.kind = ev_kind_name(ev->kind), .af = k->af, .proto = k->proto,
		.src = k->src, .dst = k->dst, .port = k->dport,
		.rule_line = ev->rule_line, .fault = ev->fault,
		.calling = ev->calling_ae, .called = ev->called_ae,
	};
	lrn_flow(obs_table(e->obs), &fk, eng_wall_s(e));
	e->obs->changes++;
}
