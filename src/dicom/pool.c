/* The preallocated associations and RQ/AC buffers.
 *
 * The engine makes one pool at start; dcm_feed() then never allocates.
 * Associations and buffers are kept on free lists: taking and giving back
 * is O(1), and a full pool says no instead of growing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct dcm_pool {
	struct dcm_assoc *assocs;
	struct dcm_assoc *free_assoc;	/* given back; taken first */
	unsigned nassoc, fresh;		/* assocs[fresh..] were never used */
	uint8_t *bufmem;
	uint8_t **free_buf;	/* a stack of nfree pointers into bufmem */
	unsigned nfree;
	size_t bufsize;
};

struct dcm_pool *dcm_pool_new(unsigned nassoc, unsigned nbuf, size_t bufsize)
{
	struct dcm_pool *pool;
	unsigned i;

	if (!nassoc || !nbuf || bufsize < DCM_ASSOC_FIXED || bufsize > UINT32_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		goto out;
	pool->assocs = calloc(nassoc, sizeof(*pool->assocs));
	pool->bufmem = calloc(nbuf, bufsize);
	pool->free_buf = calloc(nbuf, sizeof(*pool->free_buf));
	if (!pool->assocs || !pool->bufmem || !pool->free_buf)
		goto out_free;
	pool->bufsize = bufsize;
	/* Slots never used stay untouched, so they cost address space but no
	 * resident memory until the box actually runs that many at once. */
	pool->nassoc = nassoc;
	for (i = 0; i < nbuf; i++)
		pool->free_buf[pool->nfree++] = pool->bufmem + (size_t)i * bufsize;
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
	free(pool->free_buf);
	free(pool->bufmem);
	free(pool->assocs);
	free(pool);
}

struct dcm_assoc *dcm_assoc_new(struct dcm_pool *pool, const struct pol_rule *rule)
{
	struct dcm_assoc *a = NULL;

	if (pool)
		a = pool->free_assoc ? pool->free_assoc :
		    pool->fresh < pool->nassoc ? &pool->assocs[pool->fresh] : NULL;
	if (!a || !rule) {
		errno = a ? EINVAL : ENOBUFS;
		return NULL;
	}
	if (a == pool->free_assoc)
		pool->free_assoc = a->next_free;
	else
		pool->fresh++;
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
	a->next_free = pool->free_assoc;
	pool->free_assoc = a;
}

uint8_t *dcm_pool_buf_get(struct dcm_pool *pool)
{
	return pool->nfree ? pool->free_buf[--pool->nfree] : NULL;
}

void dcm_pool_buf_put(struct dcm_pool *pool, uint8_t *buf)
{
	if (buf)
		pool->free_buf[pool->nfree++] = buf;
}

size_t dcm_pool_bufsize(const struct dcm_pool *pool)
{
	return pool->bufsize;
}
