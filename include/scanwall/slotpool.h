/* The one slot pool: the slots of an array the caller allocated once,
 * handed out and given back by index, O(1), never growing (a full pool
 * says no). The flow table, the engine's parked segments, and the DICOM
 * pool's association slots (the engine's half of an association sits at
 * the same index) and RQ/AC buffers all reuse their slots through it, so
 * nothing on the packet path allocates.
 *
 * The free list runs through the free slots themselves: every slot has a
 * 32-bit link `link` bytes in, which the pool owns while the slot is free
 * and the owner of a taken slot may use for its own chains (the flow
 * table's hash chains). Slots never used are handed out last, in order,
 * so their pages stay untouched until the box runs that many at once.
 * Indexes are 1-based: 0 is "none", as in the links that point at them. */
#ifndef SCANWALL_SLOTPOOL_H
#define SCANWALL_SLOTPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct slot_pool {
	unsigned char *base;
	size_t stride, link;
	uint32_t size;
	uint32_t fresh;		/* slots fresh + 1.. were never taken */
	uint32_t free_head;	/* the slot given back last, taken first */
	uint32_t used;
};

/* size slots of `stride` bytes from base; slot i is at base + (i - 1) * stride. */
static inline void slot_pool_init(struct slot_pool *p, void *base, size_t stride, size_t link,
				  uint32_t size)
{
	*p = (struct slot_pool){ .base = base, .stride = stride, .link = link, .size = size };
}

/* For an array of structs linked by member: SLOT_POOL_INIT(&p, arr, n, next). */
#define SLOT_POOL_INIT(p, arr, n, member) \
	slot_pool_init(p, arr, sizeof(*(arr)), offsetof(__typeof__(*(arr)), member), n)

/* The link is read and written with memcpy: a slot of raw bytes (an RQ/AC
 * buffer) need not be aligned. Inline: a flow takes and gives back one
 * slot, and a SYN flood makes that the packet path. */
static inline unsigned char *slot_link(const struct slot_pool *p, uint32_t i)
{
	return p->base + (size_t)(i - 1) * p->stride + p->link;
}

/* A slot's index, 0 when all are taken. Its content is the caller's to set. */
static inline uint32_t slot_take(struct slot_pool *p)
{
	uint32_t i = p->free_head;

	if (i)
		memcpy(&p->free_head, slot_link(p, i), sizeof(p->free_head));
	else if (p->fresh < p->size)
		i = ++p->fresh;
	else
		return 0;
	p->used++;
	return i;
}

/* Gives slot i back (0 is ignored); its link is the pool's again. */
static inline void slot_give(struct slot_pool *p, uint32_t i)
{
	if (!i)
		return;
	memcpy(slot_link(p, i), &p->free_head, sizeof(p->free_head));
	p->free_head = i;
	p->used--;
}

/* Slots 1..span were ever taken: a sweep need not look beyond. */
static inline uint32_t slot_span(const struct slot_pool *p)
{
	return p->fresh;
}

#endif
