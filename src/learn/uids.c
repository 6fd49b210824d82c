/* The UIDs of classes and transfer syntaxes, each kept once for every
 * relation that names it. A UID no class or transfer syntax slot names
 * any more (its relations were evicted, or it was never kept in one) is
 * free for a new one; when none is, the least valued strangers' relations
 * are evicted (evict.c) to free theirs: a peer proposing thousands of
 * made-up private classes cannot keep the device's real ones out. A
 * partner's relation is never evicted for a UID. Handles carry the slot's
 * generation, so a UID an association still holds after its slot went to
 * another is stale (-ESTALE), never the other one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/dicom.h"
#include "learn_int.h"

/* Strangers evicted at most per new UID, to bound the work of one call. */
#define UID_EVICT_MAX 8

int lrn_uids_init(struct lrn *t, unsigned n)
{
	t->uids = calloc(n, sizeof(*t->uids));
	t->uid_refs = calloc(n, sizeof(*t->uid_refs));
	t->uid_gen = calloc(n, sizeof(*t->uid_gen));
	t->uid_listed = calloc(n, 1);
	t->uid_free = calloc(n, sizeof(*t->uid_free));
	t->uid_hash = lrn_hash_new(n, &t->uid_mask);
	return t->uids && t->uid_refs && t->uid_gen && t->uid_listed && t->uid_free &&
	       t->uid_hash ? 0 : -ENOMEM;
}

void lrn_uids_free(struct lrn *t)
{
	free(t->uids);
	free(t->uid_refs);
	free(t->uid_gen);
	free(t->uid_listed);
	free(t->uid_free);
	free(t->uid_hash);
}

static uint32_t uid_home(const struct lrn *t, uint32_t u)
{
	return lrn_fnv(LRN_FNV_START, t->uids[u], strlen(t->uids[u]));
}

static void uid_list(struct lrn *t, uint32_t u)
{
	if (!t->uid_listed[u]) {
		t->uid_listed[u] = 1;
		t->uid_free[t->nuid_free++] = u;
	}
}

void lrn_uid_ref(struct lrn *t, uint32_t u)
{
	t->uid_refs[u]++;
}

void lrn_uid_unref(struct lrn *t, uint32_t u)
{
	if (!--t->uid_refs[u])
		uid_list(t, u);
}

/* A slot no slot names: one that was freed, else one a stranger's
 * eviction frees. -ENOSPC when partners name them all. */
static int uid_reclaim(struct lrn *t)
{
	uint32_t u;

	for (unsigned tries = 0;; tries++) {
		while (t->nuid_free) {
			u = t->uid_free[--t->nuid_free];
			t->uid_listed[u] = 0;
			if (t->uid_refs[u])
				continue;	/* named again since it was listed */
			lrn_hash_del(t, t->uid_hash, t->uid_mask, u, uid_home);
			t->uid_gen[u]++;
			return (int)u;
		}
		if (tries == UID_EVICT_MAX || lrn_pool_evict(t, &t->relp, LRN_STRANGER))
			return -ENOSPC;
	}
}

static int64_t uid_handle(const struct lrn *t, uint32_t u)
{
	return (int64_t)((uint64_t)t->uid_gen[u] << LRN_INDEX_BITS | u);
}

int64_t lrn_uid(struct lrn *t, const char *uid)
{
	size_t n = strnlen(uid, LRN_UID_MAX + 1);
	uint32_t h = lrn_fnv(LRN_FNV_START, uid, n), i = h & t->uid_mask, *slot;
	int u;

	/* checked here, so the JSON writer need not escape UIDs */
	if (n > LRN_UID_MAX || dcm_uid_problem(uid, n))
		return -EINVAL;
	for (; *(slot = &t->uid_hash[i]); i = (i + 1) & t->uid_mask)
		if (strcmp(t->uids[*slot - 1], uid) == 0)
			return uid_handle(t, *slot - 1);
	u = t->nuid < t->cfg.uids ? (int)t->nuid++ : uid_reclaim(t);
	if (u < 0) {
		lrn_add(&t->dropped.uids, 1);
		return u;
	}
	memcpy(t->uids[u], uid, n + 1);
	*lrn_hash_slot(t->uid_hash, t->uid_mask, h) = (uint32_t)u + 1;
	uid_list(t, (uint32_t)u);	/* free until a slot names it */
	return uid_handle(t, (uint32_t)u);
}

int lrn_uid_index(const struct lrn *t, int64_t uid)
{
	uint32_t u = (uint32_t)uid & LRN_INDEX_MASK;

	if (uid < 0)
		return (int)uid;
	return u < t->nuid && t->uid_gen[u] == (uint64_t)uid >> LRN_INDEX_BITS ? (int)u : -ESTALE;
}
