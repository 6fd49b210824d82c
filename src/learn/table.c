/* The observation table: fixed arrays sized at start, found through
 * open-addressing hashes of indexes, so recording allocates nothing and a
 * flood of new relations costs a probe and a counter once the table is
 * full. A record is never evicted: what was learnt first stays, what did
 * not fit is counted (lrn_dropped), and the counts say how much was
 * missed. */
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
}

/* Twice the entries, rounded up to a power of two: probes stay short. */
static uint32_t *hash_new(unsigned n, uint32_t *mask)
{
	uint32_t size = 2;

	while (size < 2u * n)
		size <<= 1;
	*mask = size - 1;
	return calloc(size, sizeof(uint32_t));
}

struct lrn *lrn_new(const struct lrn_cfg *cfg)
{
	struct lrn *t;

	if (!cfg->relations || !cfg->uids || !cfg->flows || cfg->relations > (1u << 24) ||
	    cfg->uids > (1u << 24) || cfg->flows > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->rel = calloc(cfg->relations, sizeof(*t->rel));
	t->uids = calloc(cfg->uids, sizeof(*t->uids));
	t->flow = calloc(cfg->flows, sizeof(*t->flow));
	t->rel_hash = hash_new(cfg->relations, &t->rel_mask);
	t->uid_hash = hash_new(cfg->uids, &t->uid_mask);
	t->flow_hash = hash_new(cfg->flows, &t->flow_mask);
	if (!t->rel || !t->uids || !t->flow || !t->rel_hash || !t->uid_hash || !t->flow_hash) {
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
	free(t->uids);
	free(t->flow);
	free(t->rel_hash);
	free(t->uid_hash);
	free(t->flow_hash);
	free(t);
}

/* FNV-1a, 32 bits: keys are short and come from the wire, the table is
 * bounded, and a collision only costs a probe. */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

#define FNV_START 2166136261u

static uint32_t str_hash(uint32_t h, const char *s)
{
	return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
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

int lrn_uid(struct lrn *t, const char *uid)
{
	size_t n = strnlen(uid, LRN_UID_MAX + 1);
	uint32_t i = fnv(FNV_START, uid, n) & t->uid_mask, *slot;

	/* checked here, so the JSON writer need not escape UIDs */
	if (n > LRN_UID_MAX || dcm_uid_problem(uid, n))
		return -EINVAL;
	for (; *(slot = &t->uid_hash[i]); i = (i + 1) & t->uid_mask)
		if (strcmp(t->uids[*slot - 1], uid) == 0)
			return (int)*slot - 1;
	if (t->nuid == t->cfg.uids) {
		t->dropped.uids++;
		return -ENOSPC;
	}
	memcpy(t->uids[t->nuid], uid, n + 1);
	*slot = ++t->nuid;
	return (int)t->nuid - 1;
}

static uint32_t rel_hash(const struct lrn_rel_key *k)
{
	uint32_t h = fnv(FNV_START, &k->af, 1);

	h = fnv(h, k->initiator, addr_len(k->af));
	h = fnv(h, k->acceptor, addr_len(k->af));
	h = fnv(h, &k->port, sizeof(k->port));
	return str_hash(str_hash(h, k->calling), k->called);
}

static bool rel_same(const struct lrn_rel *r, const struct lrn_rel_key *k)
{
	size_t n = addr_len(k->af);

	return r->af == k->af && r->port == k->port && !memcmp(r->ini, k->initiator, n) &&
	       !memcmp(r->acc, k->acceptor, n) && ae_same(r->calling, k->calling) &&
	       ae_same(r->called, k->called);
}

int lrn_relation(struct lrn *t, const struct lrn_rel_key *k, uint64_t now_s)
{
	uint32_t i = rel_hash(k) & t->rel_mask, *slot;
	struct lrn_rel *r;

	for (; *(slot = &t->rel_hash[i]); i = (i + 1) & t->rel_mask)
		if (rel_same(&t->rel[*slot - 1], k))
			return (int)*slot - 1;
	if (t->nrel == t->cfg.relations) {
		t->dropped.relations++;
		return -ENOSPC;
	}
	r = &t->rel[t->nrel];
	memset(r, 0, sizeof(*r));
	r->af = k->af;
	memcpy(r->ini, k->initiator, addr_len(k->af));
	memcpy(r->acc, k->acceptor, addr_len(k->af));
	r->port = k->port;
	ae_copy(r->calling, k->calling);
	ae_copy(r->called, k->called);
	r->first_s = r->last_s = now_s;
	*slot = ++t->nrel;
	return (int)t->nrel - 1;
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

int lrn_class(struct lrn *t, int rel, int uid, bool used)
{
	struct lrn_rel *r = &t->rel[rel];
	int i;

	if (uid < 0)
		return uid;
	for (i = 0; i < r->nclass; i++)
		if (r->cls[i].uid == (uint32_t)uid)
			return i;
	t->dropped.classes += r->nclass == LRN_REL_CLASSES;
	if (r->nclass < LRN_REL_CLASSES)
		i = r->nclass++;
	else if (!used || (i = class_victim(r)) < 0)
		return -ENOSPC;
	r->cls[i] = (struct lrn_class){ .uid = (uint32_t)uid };
	return i;
}

void lrn_class_flags(struct lrn *t, int rel, int cls, unsigned flags)
{
	t->rel[rel].cls[cls].flags |= (uint16_t)flags;
}

void lrn_command(struct lrn *t, int rel, int cls, int dir, uint32_t dimse_bit)
{
	t->rel[rel].cls[cls].dimse[!!dir] |= (uint16_t)dimse_bit;
}

void lrn_ts(struct lrn *t, int rel, const char *uid, unsigned flags)
{
	struct lrn_rel *r = &t->rel[rel];
	int u = lrn_uid(t, uid);
	unsigned i;

	if (u < 0)
		return;
	for (i = 0; i < r->nts && r->ts[i].uid != (uint32_t)u; i++)
		;
	if (i == LRN_REL_TS) {
		t->dropped.classes++;
		return;
	}
	if (i == r->nts)
		r->ts[r->nts++] = (struct lrn_tsyn){ .uid = (uint32_t)u };
	r->ts[i].flags |= (uint16_t)flags;
}

void lrn_count(struct lrn *t, int rel, enum lrn_count what, uint64_t now_s)
{
	struct lrn_rel *r = &t->rel[rel];

	r->count[what]++;
	lrn_seen(&r->first_s, &r->last_s, now_s);
}

void lrn_bytes(struct lrn *t, int rel, int dir, uint64_t n)
{
	t->rel[rel].bytes[!!dir] += n;
}

static uint32_t flow_hash(const struct lrn_flow_key *k)
{
	uint32_t h = fnv(FNV_START, &k->af, 1);

	h = fnv(h, &k->proto, 1);
	h = fnv(h, k->src, addr_len(k->af));
	h = fnv(h, k->dst, addr_len(k->af));
	h = fnv(h, &k->port, sizeof(k->port));
	h = fnv(h, &k->rule_line, sizeof(k->rule_line));
	h = str_hash(str_hash(h, k->kind), k->fault);
	return str_hash(str_hash(h, k->calling), k->called);
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
	uint32_t i = flow_hash(k) & t->flow_mask, *slot;
	struct lrn_flowrec *f;

	for (; *(slot = &t->flow_hash[i]); i = (i + 1) & t->flow_mask) {
		f = &t->flow[*slot - 1];
		if (flow_same(f, k))
			return f;
	}
	if (t->nflow == t->cfg.flows) {
		t->dropped.flows++;
		return NULL;
	}
	f = &t->flow[t->nflow];
	memset(f, 0, sizeof(*f));
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
	*slot = ++t->nflow;
	return f;
}

void lrn_flow(struct lrn *t, const struct lrn_flow_key *k, uint64_t now_s)
{
	struct lrn_flowrec *f = lrn_flow_find(t, k);

	if (f) {
		f->count++;
		lrn_seen(&f->first_s, &f->last_s, now_s);
	}
}

const struct lrn_dropped *lrn_dropped(const struct lrn *t)
{
	return &t->dropped;
}

unsigned lrn_relation_count(const struct lrn *t)
{
	return t->nrel;
}

unsigned lrn_flow_count(const struct lrn *t)
{
	return t->nflow;
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
