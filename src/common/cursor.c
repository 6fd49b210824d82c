/* Bounds-checked reads; see include/scanwall/cursor.h for the contract. */
#include <errno.h>
#include <string.h>

#include "scanwall/cursor.h"

int cur_ptr(struct cur *c, size_t n, const uint8_t **p)
{
	if (n > cur_left(c))
		return -EBADMSG;
	*p = c->p + c->off;
	c->off += n;
	return 0;
}

int cur_skip(struct cur *c, size_t n)
{
	const uint8_t *p;

	return cur_ptr(c, n, &p);
}

int cur_copy(struct cur *c, void *dst, size_t n)
{
	const uint8_t *p;
	int err = cur_ptr(c, n, &p);

	if (!err)
		memcpy(dst, p, n);
	return err;
}

int cur_sub(struct cur *c, size_t n, struct cur *child)
{
	const uint8_t *p;
	int err = cur_ptr(c, n, &p);

	if (!err)
		cur_init(child, p, n);
	return err;
}

int cur_peek_u8(const struct cur *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return -EBADMSG;
	*v = c->p[c->off];
	return 0;
}

int cur_u8(struct cur *c, uint8_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 1, &p);

	if (!err)
		*v = p[0];
	return err;
}

int cur_be16(struct cur *c, uint16_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 2, &p);

	if (!err)
		*v = (uint16_t)(p[0] << 8 | p[1]);
	return err;
}

int cur_be32(struct cur *c, uint32_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 4, &p);

	if (!err)
		*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return err;
}

int cur_le16(struct cur *c, uint16_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 2, &p);

	if (!err)
		*v = (uint16_t)(p[1] << 8 | p[0]);
	return err;
}

int cur_le32(struct cur *c, uint32_t *v)
{
	const uint8_t *p;
	int err = cur_ptr(c, 4, &p);

	if (!err)
		*v = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	return err;
}
