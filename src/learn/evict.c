/* Which record goes when the observation table is full. A stranger's
 * refusals or a flood of new relations must not push out the device's
 * real partners, so the records of one kind (relations, or flows and
 * refusals) are split in two tiers: strangers (associations never
 * accepted, refusals) and partners (accepted relations, plain flows the
 * policy allowed). Partners can hold at most all but the strangers'
 * reserve (CONFIG_OBSERVE_RESERVE_PCT); strangers take any free record.
 * When a new record finds the table full, the record of least value goes
 * (its count, halved for every CONFIG_OBSERVE_HALF_LIFE_S since it was
 * last seen, so a stranger busy long ago does not keep its record for
 * good): a partner only for a partner when the partners' share is full,
 * otherwise a stranger. A stranger never evicts a partner.
 *
 * Each tier is a binary min-heap of record indexes, so finding the least
 * is O(1) and a count or a new last-seen costs O(log n) swaps; all arrays
 * are sized at lrn_new(). */
#include <errno.h>
#include <stdlib.h>

#include "scanwall/config.h"
#include "learn_int.h"

/* count * 2^-(age / H) compared between two records is log2(count) * H +
 * last seen (the age from now cancels out): an order that time passing
 * does not change, so the heaps need no reordering as records age. The
 * log is the bit length: a count within a factor of two of another's is
 * worth the same, and then the larger count, then the latest, wins. */
static uint64_t lrn_value(uint64_t count, uint64_t last_s)
{
	unsigned bits = count ? 64 - (unsigned)__builtin_clzll(count) : 0;

	return last_s + (uint64_t)CONFIG_OBSERVE_HALF_LIFE_S * bits;
}

bool lrn_less(uint64_t count_a, uint64_t last_a, uint64_t count_b, uint64_t last_b)
{
	uint64_t a = lrn_value(count_a, last_a), b = lrn_value(count_b, last_b);

	return a != b ? a < b : count_a != count_b ? count_a < count_b : last_a < last_b;
}

int lrn_pool_init(struct lrn_pool *p, unsigned n, unsigned reserve_pct,
		  const struct lrn_pool_ops *ops, uint64_t *evicted)
{
	unsigned reserve = (unsigned)((uint64_t)n * reserve_pct / 100);

	/* n >= 2 (lrn_new): both tiers can hold one at least */
	if (reserve >= n)
		reserve = n - 1;

	p->ops = ops;
	p->evicted = evicted;
	p->n = n;
	p->tier[LRN_STRANGER].max = n;
	p->tier[LRN_PARTNER].max = n - (reserve ? reserve : 1);
	p->tier[LRN_STRANGER].at = calloc(n, sizeof(uint32_t));
	p->tier[LRN_PARTNER].at = calloc(n, sizeof(uint32_t));
	p->pos = calloc(n, sizeof(uint32_t));
	p->in = calloc(n, 1);
	p->free = calloc(n, sizeof(uint32_t));
	return p->tier[0].at && p->tier[1].at && p->pos && p->in && p->free ? 0 : -ENOMEM;
}

void lrn_pool_free(struct lrn_pool *p)
{
	free(p->tier[0].at);
	free(p->tier[1].at);
	free(p->pos);
	free(p->in);
	free(p->free);
}

static void heap_set(struct lrn_pool *p, struct lrn_tier *h, unsigned i, uint32_t rec)
{
	h->at[i] = rec;
	p->pos[rec] = i;
}

static void heap_up(struct lrn *t, struct lrn_pool *p, struct lrn_tier *h, unsigned i)
{
	uint32_t rec = h->at[i];

	while (i && p->ops->less(t, rec, h->at[(i - 1) / 2])) {
		heap_set(p, h, i, h->at[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(p, h, i, rec);
}

static void heap_down(struct lrn *t, struct lrn_pool *p, struct lrn_tier *h, unsigned i)
{
	uint32_t rec = h->at[i];
	unsigned c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && p->ops->less(t, h->at[c + 1], h->at[c]))
			c++;
		if (!p->ops->less(t, h->at[c], rec))
			break;
		heap_set(p, h, i, h->at[c]);
		i = c;
	}
	heap_set(p, h, i, rec);
}

static void heap_remove(struct lrn *t, struct lrn_pool *p, uint32_t rec)
{
	struct lrn_tier *h = &p->tier[p->in[rec] - 1];
	unsigned i = p->pos[rec];
	uint32_t last;

	p->in[rec] = 0;
	if (i == --h->n)
		return;
	last = h->at[h->n];
	heap_set(p, h, i, last);
	heap_up(t, p, h, i);
	heap_down(t, p, h, p->pos[last]);
}

/* Drops the least record of tier: out of its heap and its hash, counted. */
static uint32_t evict_least(struct lrn *t, struct lrn_pool *p, int tier)
{
	uint32_t rec = p->tier[tier].at[0];

	heap_remove(t, p, rec);
	p->ops->drop(t, rec, tier);
	lrn_add(p->evicted, 1);
	p->live--;
	return rec;
}

int lrn_pool_take(struct lrn *t, struct lrn_pool *p, int tier)
{
	if (tier == LRN_PARTNER && p->tier[tier].n == p->tier[tier].max)
		return (int)evict_least(t, p, tier);
	if (p->nfree)
		return (int)p->free[--p->nfree];
	if (p->used < p->n)
		return (int)p->used++;
	if (!p->tier[LRN_STRANGER].n)	/* cannot be: partners leave a reserve */
		return -ENOSPC;
	return (int)evict_least(t, p, LRN_STRANGER);
}

void lrn_pool_add(struct lrn *t, struct lrn_pool *p, uint32_t rec, int tier)
{
	struct lrn_tier *h = &p->tier[tier];

	p->in[rec] = (uint8_t)(tier + 1);
	p->live++;
	h->at[h->n] = rec;
	p->pos[rec] = h->n++;
	heap_up(t, p, h, h->n - 1);
}

void lrn_pool_update(struct lrn *t, struct lrn_pool *p, uint32_t rec, int tier)
{
	struct lrn_tier *h = &p->tier[tier];

	if (!p->in[rec])
		return;
	if (p->in[rec] == tier + 1) {
		heap_up(t, p, h, p->pos[rec]);
		heap_down(t, p, h, p->pos[rec]);
		return;
	}
	/* a stranger becomes a partner: room among partners first, and the
	 * record a partner leaves is free for the next new one */
	heap_remove(t, p, rec);
	p->live--;
	if (h->n == h->max)
		lrn_pool_evict(t, p, tier);
	lrn_pool_add(t, p, rec, tier);
}

int lrn_pool_tier(const struct lrn_pool *p, uint32_t rec)
{
	return (int)p->in[rec] - 1;
}

int lrn_pool_evict(struct lrn *t, struct lrn_pool *p, int tier)
{
	if (!p->tier[tier].n)
		return -ENOENT;
	p->free[p->nfree++] = evict_least(t, p, tier);
	return 0;
}
