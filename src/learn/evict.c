/* Which record goes when the observation table is full. A stranger's
 * refusals or a flood of new relations must not push out the device's
 * real partners, so the records of one kind (relations, or flows and
 * refusals) are split in two tiers: strangers (associations never
 * accepted, refusals) and partners (accepted relations, plain flows the
 * policy allowed). Partners can hold at most all but the strangers'
 * reserve (CONFIG_OBSERVE_RESERVE_PCT); strangers take any free record.
 * When a new record finds the table full, the record of least worth goes
 * (its count, halved for every CONFIG_OBSERVE_HALF_LIFE_S since, so a
 * stranger busy long ago does not keep its record for good): a partner
 * only for a partner when the partners' share is full, otherwise a
 * stranger. A stranger never evicts a partner.
 *
 * Each tier is a binary min-heap of record indexes, so finding the least
 * is O(1) and a count or a new last-seen costs O(log n) swaps; all arrays
 * are sized at lrn_new(). */
#include <errno.h>
#include <stdlib.h>

#include "scanwall/config.h"
#include "learn_int.h"

/* A worth is a time on the table's clock (lrn_elapse: monotonic, so a
 * wall-clock step moves none): now + H * log2(count decayed to now). So
 * the worth of one record compared with another's does not change as time
 * passes (the age from now cancels out) and the heaps need no reordering;
 * and the count decays in what is kept, not only in how it is weighed: a
 * record once seen a thousand times, then once every few half-lives, is
 * worth what a record seen once as lately is. Adding two worths adds their
 * counts: in half-lives, log2(2^a + 2^b) = max + log2(1 + 2^-|a - b|),
 * the last taken as 2^-|a - b|, within a tenth of a half-life. */
int64_t lrn_worth_add(int64_t a, int64_t b)
{
	const uint64_t h = CONFIG_OBSERVE_HALF_LIFE_S;
	int64_t hi = a > b ? a : b, lo = a > b ? b : a;
	uint64_t apart, step;

	if (lo == LRN_WORTH_NONE)
		return hi;
	apart = (uint64_t)(hi - lo);
	if (apart / h >= 32)
		return hi;
	/* 2^-x by a straight line between its values at whole half-lives */
	step = h >> (apart / h);
	return hi + (int64_t)(step - step * (apart % h) / (2 * h));
}

int64_t lrn_worth_of(const struct lrn *t, uint64_t count)
{
	int64_t bits = count ? 63 - __builtin_clzll(count) : 0;

	return count ? t->now + CONFIG_OBSERVE_HALF_LIFE_S * bits : LRN_WORTH_NONE;
}

void lrn_worth_seen(const struct lrn *t, int64_t *worth)
{
	*worth = lrn_worth_add(*worth, t->now);
}

bool lrn_less(int64_t worth_a, uint64_t count_a, int64_t worth_b, uint64_t count_b)
{
	return worth_a != worth_b ? worth_a < worth_b : count_a < count_b;
}

void lrn_elapse(struct lrn *t, uint64_t s)
{
	t->now += (int64_t)(s < UINT32_MAX ? s : UINT32_MAX);
}

uint64_t lrn_now(const struct lrn *t)
{
	return (uint64_t)t->now;
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
