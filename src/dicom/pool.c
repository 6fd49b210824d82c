/* The preallocated associations and RQ/AC buffers.
 *
 * The engine makes one pool at start; dcm_feed() then never allocates.
 * Associations and buffers are slots of two slot pools (slotpool.h):
 * taking and giving back is O(1), and a full pool says no instead of
 * growing. A free buffer's first bytes hold its pool's link. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "scanwall/slotpool.h"

struct dcm_pool {
	struct dcm_assoc *assocs;
	struct slot_pool assoc_slots;
	uint8_t *bufmem;
	struct slot_pool buf_slots;
	size_t bufsize;
};

struct dcm_pool *dcm_pool_new(unsigned nassoc, unsigned nbuf, size_t bufsize)
{
	struct dcm_pool *pool;

	if (!nassoc || !nbuf || bufsize < DCM_ASSOC_FIXED || bufsize > UINT32_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		goto out;
	pool->assocs = calloc(nassoc, sizeof(*pool->assocs));
	pool->bufmem = calloc(nbuf, bufsize);
	if (!pool->assocs || !pool->bufmem)
		goto out_free;
	pool->bufsize = bufsize;
	SLOT_POOL_INIT(&pool->assoc_slots, pool->assocs, nassoc, next_free);
	slot_pool_init(&pool->buf_slots, pool->bufmem, bufsize, 0, nbuf);
	return pool;

out_free:
	dcm_pool_free(pool);
	errno = ENOMEM;
out:
	return NULL;
}

void dcm_pool_free(struct dcm_pool *pool)
{
	if (!pool)
		return;
	free(pool->bufmem);
	free(pool->assocs);
	free(pool);
}

struct dcm_assoc *dcm_assoc_new(struct dcm_pool *pool, const struct pol_rule *rule)
{
	struct dcm_assoc *a;
	uint32_t i;

	if (!pool || !rule) {
		errno = pool ? EINVAL : ENOBUFS;
		return NULL;
	}
	i = slot_take(&pool->assoc_slots);
	if (!i) {
		errno = ENOBUFS;
		return NULL;
	}
	a = &pool->assocs[i - 1];
	memset(a, 0, sizeof(*a));
	a->pool = pool;
	a->rule = rule;
	return a;
}

void dcm_assoc_free(struct dcm_pool *pool, struct dcm_assoc *a)
{
	if (!pool || !a)
		return;
	dcm_pool_buf_put(pool, a->buf);
	a->buf = NULL;
	dcm_sent_forget(a);
	slot_give(&pool->assoc_slots, dcm_assoc_slot(pool, a));
}

uint32_t dcm_assoc_slot(const struct dcm_pool *pool, const struct dcm_assoc *a)
{
	return (uint32_t)(a - pool->assocs) + 1;
}

uint32_t dcm_pool_span(const struct dcm_pool *pool)
{
	return slot_span(&pool->assoc_slots);
}

uint8_t *dcm_pool_buf_get(struct dcm_pool *pool)
{
	uint32_t i = slot_take(&pool->buf_slots);

	return i ? pool->bufmem + (size_t)(i - 1) * pool->bufsize : NULL;
}

void dcm_pool_buf_put(struct dcm_pool *pool, uint8_t *buf)
{
	if (buf)
		slot_give(&pool->buf_slots, (uint32_t)((size_t)(buf - pool->bufmem) / pool->bufsize) + 1);
}

size_t dcm_pool_bufsize(const struct dcm_pool *pool)
{
	return pool->bufsize;
}
