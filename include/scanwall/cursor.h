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

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* The readers are inline: every packet goes through a few dozen of them,
 * and a call each cost the engine a third of its per-packet budget. */

/* Borrow n bytes: *p points into the cursor's buffer, nothing is copied. */
static inline int cur_ptr(struct cur *c, size_t n, const uint8_t **p)
{
	if (n > cur_left(c))
		return -EBADMSG;
	*p = c->p + c->off;
	c->off += n;
	return 0;
}

static inline int cur_skip(struct cur *c, size_t n)
{
	const uint8_t *p;

	return cur_ptr(c, n, &p);
}

static inline int cur_copy(struct cur *c, void *dst, size_t n)
{
	const uint8_t *p;
	int err = cur_ptr(c, n, &p);

	if (!err)
		memcpy(dst, p, n);
	return err;
}

/* The next n bytes as a cursor of their own; the parent moves past them. */
static inline int cur_sub(struct cur *c, size_t n, struct cur *child)
{
	const uint8_t *p;
	int err = cur_ptr(c, n, &p);

	if (!err)
		cur_init(child, p, n);
	return err;
}

static inline int cur_peek_u8(const struct cur *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return -EBADMSG;
	*v = c->p[c->off];
	return 0;
}

static inline int cur_u8(struct cur *c, uint8_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 1, &p);

	if (!err)
		*v = p[0];
	return err;
}

static inline int cur_be16(struct cur *c, uint16_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 2, &p);

	if (!err)
		*v = (uint16_t)(p[0] << 8 | p[1]);
	return err;
}

static inline int cur_be32(struct cur *c, uint32_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 4, &p);

	if (!err)
		*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return err;
}

static inline int cur_be64(struct cur *c, uint64_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 8, &p);

	if (!err) {
		*v = 0;
		for (unsigned i = 0; i < 8; i++)
			*v = *v << 8 | p[i];
	}
	return err;
}

static inline int cur_le16(struct cur *c, uint16_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 2, &p);

	if (!err)
		*v = (uint16_t)(p[1] << 8 | p[0]);
	return err;
}

static inline int cur_le32(struct cur *c, uint32_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 4, &p);

	if (!err)
		*v = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	return err;
}

#endif
