/* The JSON walker (json.h). Recursive descent over a cursor, depth
 * bounded, every loop consuming at least one byte. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mgmt/json.h"
#include "scanwall/cursor.h"

struct mj {
	struct cur c;
	mj_cb cb;
	void *ctx;
	char path[MJ_PATH_MAX];
	size_t plen;
	int depth;
};

static int mj_value(struct mj *j);

static void mj_ws(struct cur *c)
{
	uint8_t ch;

	while (cur_peek_u8(c, &ch) == 0 && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'))
		cur_skip(c, 1);
}

static int mj_expect(struct cur *c, uint8_t want)
{
	uint8_t ch;

	mj_ws(c);
	if (cur_u8(c, &ch) || ch != want)
		return -EBADMSG;
	return 0;
}

/* Skips a string, the opening quote already read. */
static int mj_skip_str(struct cur *c)
{
	uint8_t ch;

	for (;;) {
		if (cur_u8(c, &ch))
			return -EBADMSG;
		if (ch == '"')
			return 0;
		if (ch == '\\' && cur_skip(c, 1))
			return -EBADMSG;
	}
}

static int mj_skip_atom(struct cur *c)
{
	uint8_t ch;
	size_t n = 0;

	while (cur_peek_u8(c, &ch) == 0 && ch && strchr("+-.0123456789eEtruefalsn", ch)) {
		cur_skip(c, 1);
		n++;
	}
	return n ? 0 : -EBADMSG;
}

/* Appends ".name" (or "name" at the top) to the path; returns the old length. */
static int mj_push(struct mj *j, const char *name, size_t n, size_t *old)
{
	size_t dot = j->plen ? 1 : 0;

	/* Set first: the caller pops even when the push failed. */
	*old = j->plen;
	if (n >= sizeof(j->path) || j->plen + dot + n + 1 > sizeof(j->path))
		return -EBADMSG;
	if (dot)
		j->path[j->plen++] = '.';
	memcpy(j->path + j->plen, name, n);
	j->plen += n;
	j->path[j->plen] = 0;
	return 0;
}

static void mj_pop(struct mj *j, size_t old)
{
	j->plen = old;
	j->path[old] = 0;
}

static int mj_member(struct mj *j)
{
	size_t start, old;
	const uint8_t *name;
	int err;

	err = mj_expect(&j->c, '"');
	start = j->c.off;
	if (!err)
		err = mj_skip_str(&j->c);
	if (err)
		return err;
	/* The key without its quotes, borrowed from the document. */
	name = j->c.p + start;
	err = mj_push(j, (const char *)name, j->c.off - start - 1, &old);
	if (!err)
		err = mj_expect(&j->c, ':');
	if (!err)
		err = mj_value(j);
	mj_pop(j, old);
	return err;
}

static int mj_element(struct mj *j, unsigned idx)
{
	char num[16];
	size_t old;
	int n = snprintf(num, sizeof(num), "%u", idx);
	int err = mj_push(j, num, (size_t)n, &old);

	if (!err)
		err = mj_value(j);
	mj_pop(j, old);
	return err;
}

/* Members or elements up to the closing byte. */
static int mj_container(struct mj *j, uint8_t close, bool obj)
{
	uint8_t ch;
	int err;

	mj_ws(&j->c);
	if (cur_peek_u8(&j->c, &ch) == 0 && ch == close)
		return cur_skip(&j->c, 1);
	for (unsigned i = 0;; i++) {
		err = obj ? mj_member(j) : mj_element(j, i);
		if (err)
			return err;
		mj_ws(&j->c);
		if (cur_u8(&j->c, &ch))
			return -EBADMSG;
		if (ch == close)
			return 0;
		if (ch != ',')
			return -EBADMSG;
	}
}

static const enum mj_type mj_atom_type[256] = {
	['t'] = MJ_BOOL, ['f'] = MJ_BOOL, ['n'] = MJ_NULL,
};

static int mj_value(struct mj *j)
{
	struct mj_val v;
	size_t start;
	uint8_t ch;
	int err;

	mj_ws(&j->c);
	start = j->c.off;
	if (cur_peek_u8(&j->c, &ch))
		return -EBADMSG;
	if (++j->depth > MJ_DEPTH_MAX)
		return -EBADMSG;
	if (ch == '{' || ch == '[') {
		cur_skip(&j->c, 1);
		v.type = ch == '{' ? MJ_OBJ : MJ_ARR;
		err = mj_container(j, ch == '{' ? '}' : ']', ch == '{');
	} else if (ch == '"') {
		cur_skip(&j->c, 1);
		v.type = MJ_STR;
		err = mj_skip_str(&j->c);
	} else {
		v.type = mj_atom_type[ch] ? mj_atom_type[ch] : MJ_NUM;
		err = mj_skip_atom(&j->c);
	}
	j->depth--;
	if (err)
		return err;
	v.raw = (const char *)j->c.p + start;
	v.len = j->c.off - start;
	return j->cb(j->ctx, j->path, &v);
}

int mj_walk(const char *text, size_t len, mj_cb cb, void *ctx)
{
	struct mj j = { .cb = cb, .ctx = ctx };
	int err;

	cur_init(&j.c, text, len);
	err = mj_value(&j);
	if (!err)
		mj_ws(&j.c);
	return err ? err : cur_left(&j.c) ? -EBADMSG : 0;
}

static int mj_hex(struct cur *c, unsigned *cp)
{
	uint8_t h;

	*cp = 0;
	for (int i = 0; i < 4; i++) {
		if (cur_u8(c, &h))
			return -EINVAL;
		*cp <<= 4;
		if (h >= '0' && h <= '9')
			*cp |= h - '0';
		else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
			*cp |= (h | 0x20) - 'a' + 10;
		else
			return -EINVAL;
	}
	return 0;
}

static int mj_unescape(struct cur *c, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned cp;
	uint8_t e;

	if (cur_u8(c, &e))
		return -EINVAL;
	if (e == 'u') {
		if (mj_hex(c, &cp))
			return -EINVAL;
		*out = cp >= 0x20 && cp < 0x7f ? (char)cp : '?';
		return 0;
	}
	hit = e ? strchr(from, e) : NULL;
	if (!hit)
		return -EINVAL;
	*out = to[hit - from];
	return 0;
}

int mj_str(const struct mj_val *v, char *buf, size_t size)
{
	struct cur c;
	size_t n = 0;
	uint8_t ch;

	if (v->type != MJ_STR || v->len < 2 || size == 0)
		return -EINVAL;
	cur_init(&c, v->raw + 1, v->len - 2);
	while (cur_u8(&c, &ch) == 0) {
		char out = (char)ch;

		if (ch == '\\' && mj_unescape(&c, &out))
			return -EINVAL;
		if (n + 1 >= size)
			return -ENOSPC;
		buf[n++] = out;
	}
	buf[n] = 0;
	return 0;
}

int mj_u64(const struct mj_val *v, uint64_t *out)
{
	uint64_t x = 0;

	if (v->type != MJ_NUM || v->len == 0 || v->len > 20)
		return -EINVAL;
	for (size_t i = 0; i < v->len; i++) {
		unsigned d = (unsigned)(v->raw[i] - '0');

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}
