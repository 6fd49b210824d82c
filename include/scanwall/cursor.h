/* A bounds-checked reader over untrusted bytes (after dropbear's buffer.h).
 *
 * Every packet, PDU, bundle and HTTP request is read through a cursor: no
 * code does pointer arithmetic on untrusted input. A read that would pass
 * the end fails with -EBADMSG and leaves the cursor where it was, so a
 * caller can report the position of the fault. cur_sub() carves a child
 * cursor for a nested item and fails unless the whole item lies inside its
 * parent: a nested length can never reach past the thing that contains it.
 */
#ifndef SCANWALL_CURSOR_H
#define SCANWALL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static inline void cur_init(struct cur *c, const void *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
}

static inline size_t cur_left(const struct cur *c)
{
	return c->len - c->off;
}

/* A pointer to the next byte; only meaningful with cur_left() > 0. */
static inline const uint8_t *cur_pos(const struct cur *c)
{
	return c->p + c->off;
}

int cur_u8(struct cur *c, uint8_t *v);
int cur_be16(struct cur *c, uint16_t *v);
int cur_be32(struct cur *c, uint32_t *v);
int cur_le16(struct cur *c, uint16_t *v);
int cur_le32(struct cur *c, uint32_t *v);
int cur_peek_u8(const struct cur *c, uint8_t *v);
/* Borrow n bytes: *p points into the cursor's buffer, nothing is copied. */
int cur_ptr(struct cur *c, size_t n, const uint8_t **p);
int cur_copy(struct cur *c, void *dst, size_t n);
int cur_skip(struct cur *c, size_t n);
/* The next n bytes as a cursor of their own; the parent moves past them. */
int cur_sub(struct cur *c, size_t n, struct cur *child);

#endif
