/* The observation table: fixed arrays sized at start, found through
 * open-addressing hashes of indexes, so recording allocates nothing and a
 * flood of new relations costs a probe and, once the table is full, an
 * eviction (evict.c: the least valued stranger goes, never a partner for
 * a stranger), counted so the counts say how much was missed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/catalog.h"
#include "scanwall/config.h"
#include "scanwall/dicom.h"
#include "scanwall/event.h"
#include "scanwall/flowkey.h"
#include "learn_int.h"

void lrn_cfg_default(struct lrn_cfg *cfg)
{
	cfg->relations = CONFIG_OBSERVE_RELATIONS;
	cfg->uids = CONFIG_OBSERVE_UIDS;
	cfg->flows = CONFIG_OBSERVE_FLOWS;
	cfg->reserve_pct = CONFIG_OBSERVE_RESERVE_PCT;
}

static const struct lrn_pool_ops rel_ops, flow_ops;

struct lrn *lrn_new(const struct lrn_cfg *cfg)
{
	struct lrn *t;

	/* 24 bits of a relation handle are its index (LRN_HANDLE) */
	if (cfg->relations < 2 || !cfg->uids || cfg->flows < 2 || cfg->relations > (1u << 24) ||
	    cfg->uids > (1u << 24) || cfg->flows > (1u << 24) || cfg->reserve_pct > 100) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->rel = calloc(cfg->relations, sizeof(*t->rel));
	t->flow = calloc(cfg->flows, sizeof(*t->flow));
	t->rel_hash = lrn_hash_new(cfg->relations, &t->rel_mask);
	t->flow_hash = lrn_hash_new(cfg->flows, &t->flow_mask);
	if (!t->rel || !t->flow || !t->rel_hash || !t->flow_hash || lrn_uids_init(t, cfg->uids) ||
	    lrn_pool_init(&t->relp, cfg->relations, cfg->reserve_pct, &rel_ops,
			  &t->dropped.evicted_relations) ||
	    lrn_pool_init(&t->flowp, cfg->flows, cfg->reserve_pct, &flow_ops,
			  &t->dropped.evicted_flows) ||
	    lrn_peers_init(t, t->relp.tier[LRN_PARTNER].max)) {
		lrn_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void lrn_free(struct lrn *t)
{
	if (!t)
		return;
	free(t->rel);
	free(t->flow);
	free(t->rel_hash);
	lrn_uids_free(t);
	free(t->flow_hash);
	lrn_pool_free(&t->relp);
	lrn_pool_free(&t->flowp);
	lrn_peers_free(t);
	free(t);
}

static size_t addr_len(uint8_t af)
{
	return af == SW_AF_INET ? 4 : 16;
}

static void ae_copy(char dst[LRN_AE_MAX + 1], const char *src)
{
	size_t n = src ? strnlen(src, LRN_AE_MAX) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static bool ae_same(const char *kept, const char *s)
{
	return strncmp(kept, s ? s : "", LRN_AE_MAX + 1) == 0;
}

static uint32_t rel_hash(const struct lrn_rel_key *k)
{
	uint32_t h = lrn_fnv(LRN_FNV_START, &k->af, 1);

	h = lrn_fnv(h, k->initiator, addr_len(k->af));
	h = lrn_fnv(h, k->acceptor, addr_len(k->af));
	h = lrn_fnv(h, &k->port, sizeof(k->port));
	return lrn_str_hash(lrn_str_hash(h, k->calling, LRN_AE_MAX), k->called, LRN_AE_MAX);
}

static uint32_t rel_rec_hash(const struct lrn *t, uint32_t rec)
{
	const struct lrn_rel *r = &t->rel[rec];
	struct lrn_rel_key k = { .af = r->af, .initiator = r->ini, .acceptor = r->acc,
				 .port = r->port, .calling = r->calling, .called = r->called };

	return rel_hash(&k);
}

/* A relation's worth: associations requested, decayed (evict.c). */
static bool rel_less(const struct lrn *t, uint32_t a, uint32_t b)
{
	const struct lrn_rel *x = &t->rel[a], *y = &t->rel[b];

	return lrn_less(x->worth, x->count[LRN_ASSOC_REQUESTED], y->worth,
			y->count[LRN_ASSOC_REQUESTED]);
}

static void rel_drop(struct lrn *t, uint32_t rec, int tier)
{
	struct lrn_rel *r = &t->rel[rec];
	uint32_t gen = r->gen;

	if (tier == LRN_PARTNER)
		lrn_peers_leave(t, rec);
	for (unsigned i = 0; i < r->nclass; i++)
		lrn_uid_unref(t, r->cls[i].uid);
	for (unsigned i = 0; i < r->nts; i++)
		lrn_uid_unref(t, r->ts[i].uid);
	lrn_hash_del(t, t->rel_hash, t->rel_mask, rec, rel_rec_hash);
	memset(r, 0, sizeof(*r));
	r->gen = gen + 1;
}

/* Accepted, and within what its peer may hold of the partners, or worth
 * more than its least (peers.c): a partner; else a stranger. */
static int rel_tier(struct lrn *t, const struct lrn_rel *r)
{
	if (!r->count[LRN_ASSOC_ACCEPTED])
		return LRN_STRANGER;
	if (lrn_pool_tier(&t->relp, (uint32_t)(r - t->rel)) == LRN_PARTNER)
		return LRN_PARTNER;
	return lrn_peers_admit(t, (uint32_t)(r - t->rel)) ? LRN_PARTNER : LRN_STRANGER;
}

static const struct lrn_pool_ops rel_ops = { .less = rel_less, .drop = rel_drop };

struct lrn_rel *lrn_rel_at(struct lrn *t, int64_t rel)
{
	uint32_t i = (uint32_t)rel & LRN_INDEX_MASK;
	struct lrn_rel *r;

	if (rel < 0 || i >= t->relp.used)
		return NULL;
	r = &t->rel[i];
	return r->af && r->gen == (uint64_t)rel >> LRN_INDEX_BITS ? r : NULL;
}

void lrn_rel_touched(struct lrn *t, const struct lrn_rel *r, bool stay)
{
	uint32_t rec = (uint32_t)(r - t->rel);

	lrn_pool_update(t, &t->relp, rec, stay ? lrn_pool_tier(&t->relp, rec) : rel_tier(t, r));
}

static bool rel_same(const struct lrn_rel *r, const struct lrn_rel_key *k)
{
	size_t n = addr_len(k->af);

	return r->af == k->af && r->port == k->port && !memcmp(r->ini, k->initiator, n) &&
	       !memcmp(r->acc, k->acceptor, n) && ae_same(r->calling, k->calling) &&
	       ae_same(r->called, k->called);
}

static int64_t rel_handle(const struct lrn *t, uint32_t rec)
{
	return (int64_t)((uint64_t)t->rel[rec].gen << LRN_INDEX_BITS | rec);
}

int64_t lrn_relation(struct lrn *t, const struct lrn_rel_key *k, uint64_t now_s)
{
	uint32_t h = rel_hash(k), i = h & t->rel_mask, *slot;
	struct lrn_rel *r;
	int rec;

	for (; *(slot = &t->rel_hash[i]); i = (i + 1) & t->rel_mask)
		if (rel_same(&t->rel[*slot - 1], k))
			return rel_handle(t, *slot - 1);
	rec = lrn_pool_take(t, &t->relp, LRN_STRANGER);
	if (rec < 0) {
		lrn_add(&t->dropped.relations, 1);
		return rec;
	}
	r = &t->rel[rec];
	r->af = k->af;
	memcpy(r->ini, k->initiator, addr_len(k->af));
	memcpy(r->acc, k->acceptor, addr_len(k->af));
	r->port = k->port;
	ae_copy(r->calling, k->calling);
	ae_copy(r->called, k->called);
	r->first_s = r->last_s = now_s;
	r->worth = LRN_WORTH_NONE;
	/* an eviction may have shifted the probe's entries */
	*lrn_hash_slot(t->rel_hash, t->rel_mask, h) = (uint32_t)rec + 1;
	lrn_pool_add(t, &t->relp, (uint32_t)rec, LRN_STRANGER);
	return rel_handle(t, (uint32_t)rec);
}

void lrn_seen(uint64_t *first, uint64_t *last, uint64_t now_s)
{
	if (!*first || now_s < *first)
		*first = now_s;
	if (now_s > *last)
		*last = now_s;
}

/* A slot whose class carried no command, the last such: -1 if none. */
static int class_victim(const struct lrn_rel *r)
{
	for (int i = r->nclass - 1; i >= 0; i--)
		if (!r->cls[i].dimse[0] && !r->cls[i].dimse[1])
			return i;
	return -1;
}

int lrn_class(struct lrn *t, int64_t rel, int64_t uid, bool used)
{
	struct lrn_rel *r = lrn_rel_at(t, rel);
	int i, u = lrn_uid_index(t, uid);

	if (!r)
		return -ESTALE;
	if (u < 0)
		return u;
	for (i = 0; i < r->nclass; i++)
		if (r->cls[i].uid == (uint32_t)u)
			return i;
	lrn_add(&t->dropped.classes, r->nclass == LRN_REL_CLASSES);
	if (r->nclass < LRN_REL_CLASSES)
		i = r->nclass++;
	else if (!used || (i = class_victim(r)) < 0)
		return -ENOSPC;
	else
		lrn_uid_unref(t, r->cls[i].uid);
	r->cls[i] = (struct lrn_class){ .uid = (uint32_t)u };
	lrn_uid_ref(t, (uint32_t)u);
	return i;
}

void lrn_class_flags(struct lrn *t, int64_t rel, int cls, unsigned flags)
{
	struct lrn_rel *r = lrn_rel_at(t, rel);

	if (r && cls >= 0 && cls < r->nclass)
		r->cls[cls].flags |= (uint16_t)flags;
}

void lrn_command(struct lrn *t, int64_t rel, int cls, int dir, uint32_t dimse_bit)
{
	struct lrn_rel *r = lrn_rel_at(t, rel);

	if (r && cls >= 0 && cls < r->nclass)
		r->cls[cls].dimse[!!dir] |= (uint16_t)dimse_bit;
}

void lrn_ts(struct lrn *t, int64_t rel, const char *uid, unsigned flags)
{
	/* the UID first: making room for it may evict this very relation */
	int u = lrn_uid_index(t, lrn_uid(t, uid));
	struct lrn_rel *r = lrn_rel_at(t, rel);
	unsigned i;

	if (!r || u < 0)
		return;
	for (i = 0; i < r->nts && r->ts[i].uid != (uint32_t)u; i++)
		;
	if (i == LRN_REL_TS) {
		lrn_add(&t->dropped.classes, 1);
		return;
	}
	if (i == r->nts) {
		r->ts[r->nts++] = (struct lrn_tsyn){ .uid = (uint32_t)u };
		lrn_uid_ref(t, (uint32_t)u);
	}
	r->ts[i].flags |= (uint16_t)flags;
}

void lrn_count(struct lrn *t, int64_t rel, enum lrn_count what, uint64_t now_s)
{
	struct lrn_rel *r = lrn_rel_at(t, rel);

	if (!r)
		return;
	lrn_add(&r->count[what], 1);
	lrn_seen(&r->first_s, &r->last_s, now_s);
	if (what == LRN_ASSOC_REQUESTED)
		lrn_worth_seen(t, &r->worth);
	lrn_rel_touched(t, r, false);
}

void lrn_bytes(struct lrn *t, int64_t rel, int dir, uint64_t n)
{
	struct lrn_rel *r = lrn_rel_at(t, rel);

	if (r)
		lrn_add(&r->bytes[!!dir], n);
}

static uint32_t flow_hash(const struct lrn_flow_key *k)
{
	uint32_t h = lrn_fnv(LRN_FNV_START, &k->af, 1);

	h = lrn_fnv(h, &k->proto, 1);
	h = lrn_fnv(h, k->src, addr_len(k->af));
	h = lrn_fnv(h, k->dst, addr_len(k->af));
	h = lrn_fnv(h, &k->port, sizeof(k->port));
	h = lrn_fnv(h, &k->rule_line, sizeof(k->rule_line));
	h = lrn_str_hash(lrn_str_hash(h, k->kind, 32), k->fault, LRN_FAULT_MAX);
	return lrn_str_hash(lrn_str_hash(h, k->calling, LRN_AE_MAX), k->called, LRN_AE_MAX);
}

static uint32_t flow_rec_hash(const struct lrn *t, uint32_t rec)
{
	const struct lrn_flowrec *f = &t->flow[rec];
	struct lrn_flow_key k = {
		.kind = f->kind, .af = f->af, .proto = f->proto, .src = f->src, .dst = f->dst,
		.port = f->port, .rule_line = f->rule_line, .fault = f->fault,
		.calling = f->calling, .called = f->called,
	};

	return flow_hash(&k);
}

/* A flow's or refusal's worth: its count, decayed (evict.c). */
static bool flow_less(const struct lrn *t, uint32_t a, uint32_t b)
{
	const struct lrn_flowrec *x = &t->flow[a], *y = &t->flow[b];

	return lrn_less(x->worth, x->count, y->worth, y->count);
}

static void flow_drop(struct lrn *t, uint32_t rec, int tier)
{
	lrn_hash_del(t, t->flow_hash, t->flow_mask, rec, flow_rec_hash);
	memset(&t->flow[rec], 0, sizeof(t->flow[rec]));
}

static const struct lrn_pool_ops flow_ops = { .less = flow_less, .drop = flow_drop };

/* Plain flows the policy allowed are what the device needs; refusals are
 * strangers, however many. */
static int flow_tier(const char *kind)
{
	return strcmp(kind, "allow") ? LRN_STRANGER : LRN_PARTNER;
}

void lrn_flow_touched(struct lrn *t, const struct lrn_flowrec *f)
{
	lrn_pool_update(t, &t->flowp, (uint32_t)(f - t->flow), flow_tier(f->kind));
}

static bool flow_same(const struct lrn_flowrec *f, const struct lrn_flow_key *k)
{
	size_t n = addr_len(k->af);

	return f->af == k->af && f->proto == k->proto && f->port == k->port &&
	       f->rule_line == k->rule_line && !memcmp(f->src, k->src, n) &&
	       !memcmp(f->dst, k->dst, n) && !strcmp(f->kind, k->kind) &&
	       !strncmp(f->fault, k->fault ? k->fault : "", sizeof(f->fault)) &&
	       ae_same(f->calling, k->calling) && ae_same(f->called, k->called);
}

struct lrn_flowrec *lrn_flow_find(struct lrn *t, const struct lrn_flow_key *k)
{
	uint32_t h = flow_hash(k), i = h & t->flow_mask, *slot;
	struct lrn_flowrec *f;
	int rec;

	for (; *(slot = &t->flow_hash[i]); i = (i + 1) & t->flow_mask) {
		f = &t->flow[*slot - 1];
		if (flow_same(f, k))
			return f;
	}
	rec = lrn_pool_take(t, &t->flowp, flow_tier(k->kind));
	if (rec < 0) {
		lrn_add(&t->dropped.flows, 1);
		return NULL;
	}
	f = &t->flow[rec];
	f->kind = k->kind;
	snprintf(f->fault, sizeof(f->fault), "%s", k->fault ? k->fault : "");
	f->af = k->af;
	f->proto = k->proto;
	memcpy(f->src, k->src, addr_len(k->af));
	memcpy(f->dst, k->dst, addr_len(k->af));
	f->port = k->port;
	f->rule_line = k->rule_line;
	ae_copy(f->calling, k->calling);
	ae_copy(f->called, k->called);
	f->worth = LRN_WORTH_NONE;
	*lrn_hash_slot(t->flow_hash, t->flow_mask, h) = (uint32_t)rec + 1;
	lrn_pool_add(t, &t->flowp, (uint32_t)rec, flow_tier(k->kind));
	return f;
}

void lrn_flow(struct lrn *t, const struct lrn_flow_key *k, uint64_t now_s)
{
	struct lrn_flow_key key = *k;
	struct lrn_flowrec *f;

	/* ICMP's dport is its type and code: one record for a pair of ends */
	if (flowkey_proto_icmp(key.proto))
		key.port = 0;
	f = lrn_flow_find(t, &key);
	if (f) {
		lrn_add(&f->count, 1);
		lrn_seen(&f->first_s, &f->last_s, now_s);
		lrn_worth_seen(t, &f->worth);
		lrn_flow_touched(t, f);
	}
}

const struct lrn_dropped *lrn_dropped(const struct lrn *t)
{
	return &t->dropped;
}

unsigned lrn_relation_count(const struct lrn *t)
{
	return t->relp.live;
}

unsigned lrn_flow_count(const struct lrn *t)
{
	return t->flowp.live;
}

/* The kind is kept as a pointer: the loader maps what it reads onto the
 * event names the engine gives (ev_kind_name). */
const char *lrn_kind_static(const char *kind)
{
	for (int k = 0; k < EV__COUNT; k++)
		if (strcmp(ev_kind_name(k), kind) == 0)
			return ev_kind_name(k);
	return NULL;
}
