/* The JSON reader (scanwall/json.h): one recursive descent over a cursor,
 * depth bounded, building the token array both views read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/cursor.h"
#include "scanwall/json.h"

#define CJ_TOKENS_MAX (1u << 20)

static int cj_value(struct cj *j, struct cur *c, unsigned depth);

static void cj_blank(struct cur *c)
{
	uint8_t ch;

	while (!cur_peek_u8(c, &ch) && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'))
		cur_skip(c, 1);
}

static int cj_hexdigit(uint8_t h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	h |= 0x20;
	return h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
}

/* The next character of a string's text, an escape decoded: \uXXXX as
 * itself when it is printable ASCII or a newline, as '?' otherwise.
 * -EBADMSG at the end, for a raw control byte or a malformed escape. The
 * parser checks strings with it, so a parsed string always decodes. */
static int json_char(struct cur *c, uint8_t *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned cp = 0;
	uint8_t ch;

	if (cur_u8(c, &ch) || ch < 0x20)
		return -EBADMSG;
	if (ch != '\\') {
		*out = ch;
		return 0;
	}
	if (cur_u8(c, &ch))
		return -EBADMSG;
	if (ch == 'u') {
		for (int i = 0; i < 4; i++) {
			if (cur_u8(c, &ch) || cj_hexdigit(ch) < 0)
				return -EBADMSG;
			cp = cp << 4 | (unsigned)cj_hexdigit(ch);
		}
		*out = cp == '\n' || (cp >= 0x20 && cp < 0x7f) ? (uint8_t)cp : '?';
		return 0;
	}
	hit = ch ? strchr(from, ch) : NULL;
	if (!hit)
		return -EBADMSG;
	*out = (uint8_t)to[hit - from];
	return 0;
}

static int cj_new(struct cj *j, enum cj_type type, size_t start)
{
	if (j->ntok == j->cap) {
		uint32_t cap = j->cap ? j->cap * 2 : 64;
		struct cj_tok *t;

		if (cap > CJ_TOKENS_MAX)
			return -E2BIG;
		t = realloc(j->tok, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		j->tok = t;
		j->cap = cap;
	}
	j->tok[j->ntok] = (struct cj_tok){ .type = type, .start = (uint32_t)start };
	return (int)j->ntok++;
}

static int cj_string(struct cj *j, struct cur *c)
{
	uint8_t ch;
	int t;

	if (cur_u8(c, &ch) || ch != '"')
		return -EBADMSG;
	t = cj_new(j, CJ_STR, c->off);
	if (t < 0)
		return t;
	while (!cur_peek_u8(c, &ch) && ch != '"') {
		if (json_char(c, &ch))
			return -EBADMSG;
	}
	j->tok[t].len = (uint32_t)(c->off - j->tok[t].start);
	j->tok[t].next = j->ntok;
	return cur_skip(c, 1) ? -EBADMSG : t;	/* the closing quote */
}

/* -?digits[.digits][(e|E)[+-]digits], the JSON grammar less the rule
 * against leading zeros, which harms nobody here. */
static bool cj_number(const uint8_t *p, size_t len)
{
	struct cur c;
	uint8_t ch;
	size_t digits = 0;

	cur_init(&c, p, len);
	if (!cur_peek_u8(&c, &ch) && ch == '-')
		cur_skip(&c, 1);
	while (!cur_peek_u8(&c, &ch) && ch >= '0' && ch <= '9' && !cur_skip(&c, 1))
		digits++;
	if (!digits)
		return false;
	if (!cur_peek_u8(&c, &ch) && ch == '.') {
		cur_skip(&c, 1);
		for (digits = 0; !cur_peek_u8(&c, &ch) && ch >= '0' && ch <= '9' && !cur_skip(&c, 1);)
			digits++;
		if (!digits)
			return false;
	}
	if (!cur_peek_u8(&c, &ch) && (ch == 'e' || ch == 'E')) {
		cur_skip(&c, 1);
		if (!cur_peek_u8(&c, &ch) && (ch == '+' || ch == '-'))
			cur_skip(&c, 1);
		for (digits = 0; !cur_peek_u8(&c, &ch) && ch >= '0' && ch <= '9' && !cur_skip(&c, 1);)
			digits++;
		if (!digits)
			return false;
	}
	return cur_left(&c) == 0;
}

/* Numbers and the three literals: a run of the bytes they are made of,
 * then checked as one of the literals or a number. */
static int cj_atom(struct cj *j, struct cur *c)
{
	static const struct { const char *word; enum cj_type type; } lit[] = {
		{ "true", CJ_TRUE }, { "false", CJ_FALSE }, { "null", CJ_NULL },
	};
	size_t start = c->off;
	uint8_t ch;
	int t;

	while (!cur_peek_u8(c, &ch) && ch && strchr("+-.0123456789eEtruefalsn", ch))
		cur_skip(c, 1);
	if (c->off == start)
		return -EBADMSG;
	t = cj_new(j, CJ_NUM, start);
	if (t < 0)
		return t;
	j->tok[t].len = (uint32_t)(c->off - start);
	for (size_t i = 0; i < sizeof(lit) / sizeof(lit[0]); i++) {
		if (strlen(lit[i].word) == j->tok[t].len &&
		    !memcmp(c->p + start, lit[i].word, j->tok[t].len))
			j->tok[t].type = lit[i].type;
	}
	if (j->tok[t].type == CJ_NUM && !cj_number(c->p + start, j->tok[t].len))
		return -EBADMSG;
	return t;
}

/* The members of an object or array, after its opening bracket. */
static int cj_members(struct cj *j, struct cur *c, int t, uint8_t close, unsigned depth)
{
	uint8_t ch;
	int r;

	cj_blank(c);
	if (!cur_peek_u8(c, &ch) && ch == close)
		return cur_skip(c, 1);
	for (;;) {
		cj_blank(c);
		if (close == '}') {
			r = cj_string(j, c);
			cj_blank(c);
			if (r < 0 || cur_u8(c, &ch) || ch != ':')
				return r < 0 ? r : -EBADMSG;
			j->tok[t].n++;
		}
		r = cj_value(j, c, depth + 1);
		if (r < 0)
			return r;
		j->tok[t].n++;
		cj_blank(c);
		if (cur_u8(c, &ch))
			return -EBADMSG;
		if (ch == close)
			return 0;
		if (ch != ',')
			return -EBADMSG;
	}
}

static int cj_value(struct cj *j, struct cur *c, unsigned depth)
{
	uint8_t ch;
	int t, r;

	if (depth >= JSON_DEPTH_MAX)
		return -EBADMSG;
	cj_blank(c);
	if (cur_peek_u8(c, &ch))
		return -EBADMSG;
	if (ch == '"')
		t = cj_string(j, c);
	else if (ch != '{' && ch != '[')
		t = cj_atom(j, c);
	else {
		t = cj_new(j, ch == '{' ? CJ_OBJ : CJ_ARR, c->off);
		if (t < 0)
			return t;
		cur_skip(c, 1);
		r = cj_members(j, c, t, ch == '{' ? '}' : ']', depth);
		if (r < 0)
			return r;
		j->tok[t].len = (uint32_t)(c->off - j->tok[t].start);
	}
	if (t >= 0)
		j->tok[t].next = j->ntok;
	return t;
}

int cj_parse(struct cj *j, const char *text, size_t len)
{
	struct cur c;
	int r;

	*j = (struct cj){ .text = text, .len = len };
	if (len > UINT32_MAX / 2)
		return -E2BIG;
	cur_init(&c, text, len);
	r = cj_value(j, &c, 0);
	cj_blank(&c);
	if (r >= 0 && cur_left(&c))
		r = -EBADMSG;
	if (r < 0) {
		cj_free(j);
		return r;
	}
	return 0;
}

void cj_free(struct cj *j)
{
	if (!j)
		return;
	free(j->tok);
	j->tok = NULL;
	j->ntok = j->cap = 0;
}

/* --- random access --------------------------------------------------------- */

static bool cj_is(const struct cj *j, int i, enum cj_type type)
{
	return i >= 0 && (uint32_t)i < j->ntok && j->tok[i].type == type;
}

bool cj_true(const struct cj *j, int i)
{
	return cj_is(j, i, CJ_TRUE);
}

int cj_get(const struct cj *j, int obj, const char *key)
{
	size_t klen = strlen(key);
	uint32_t k;

	if (!cj_is(j, obj, CJ_OBJ))
		return -1;
	/* keys and values alternate; every value's subtree is skipped by next */
	for (k = (uint32_t)obj + 1; k < j->tok[obj].next; k = j->tok[k + 1].next) {
		if (j->tok[k].len == klen && !memcmp(j->text + j->tok[k].start, key, klen))
			return (int)k + 1;
	}
	return -1;
}

int cj_path(const struct cj *j, int obj, const char *path)
{
	char key[64];

	while (obj >= 0 && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return -1;
		memcpy(key, path, n);
		key[n] = 0;
		obj = cj_get(j, obj, key);
		path += n + (path[n] == '.');
	}
	return obj;
}

int cj_elem(const struct cj *j, int arr, uint32_t i)
{
	uint32_t k, n = 0;
	bool obj = cj_is(j, arr, CJ_OBJ);

	if (!obj && !cj_is(j, arr, CJ_ARR))
		return -1;
	for (k = (uint32_t)arr + 1 + obj; k < j->tok[arr].next; k = j->tok[k].next + obj) {
		if (n++ == i)
			return (int)k;
	}
	return -1;
}

/* Only what a terminal can show survives: \n is kept (policy text),
 * anything else outside printable ASCII becomes '?'. */
const char *cj_text(const struct cj *j, int i, char *buf, size_t size)
{
	const struct cj_tok *t;
	struct cur c;
	size_t o = 0;
	uint8_t ch;

	if (!size)
		return buf;
	if (i < 0 || (uint32_t)i >= j->ntok) {
		snprintf(buf, size, "-");
		return buf;
	}
	t = &j->tok[i];
	if (t->type == CJ_OBJ || t->type == CJ_ARR) {
		snprintf(buf, size, "%s", t->type == CJ_OBJ ? "{...}" : "[...]");
		return buf;
	}
	/* numbers and literals have no escapes: they read as written */
	cur_init(&c, j->text + t->start, t->len);
	while (o + 1 < size && !json_char(&c, &ch))
		buf[o++] = ch == '\n' || (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	buf[o] = 0;
	return buf;
}

double cj_num(const struct cj *j, int i, double def)
{
	char buf[64], *end;
	double v;

	if (!cj_is(j, i, CJ_NUM) && !cj_is(j, i, CJ_STR))
		return def;
	cj_text(j, i, buf, sizeof(buf));
	v = strtod(buf, &end);
	return end == buf || *end ? def : v;
}

/* --- the walk by dotted path ----------------------------------------------- */

struct mj {
	const struct cj *j;
	mj_cb cb;
	void *ctx;
	char path[MJ_PATH_MAX];
	size_t plen;
};

/* Appends ".name" (or "name" at the top) to the path. */
static int mj_push(struct mj *w, const char *name, size_t n)
{
	size_t dot = w->plen ? 1 : 0;

	if (n >= sizeof(w->path) || w->plen + dot + n + 1 > sizeof(w->path))
		return -EBADMSG;
	if (dot)
		w->path[w->plen++] = '.';
	memcpy(w->path + w->plen, name, n);
	w->plen += n;
	w->path[w->plen] = 0;
	return 0;
}

/* Children, then token t itself. The recursion follows the nesting, which
 * the parser bounded to JSON_DEPTH_MAX. */
static int mj_value(struct mj *w, uint32_t t)
{
	const struct cj_tok *tok = &w->j->tok[t];
	bool obj = tok->type == CJ_OBJ, str = tok->type == CJ_STR;
	struct mj_val v = {
		.type = tok->type,
		.raw = w->j->text + tok->start - str,	/* strings with their quotes */
		.len = tok->len + 2 * str,
	};
	uint32_t k, i = 0;
	int err = 0;

	if (obj || tok->type == CJ_ARR) {
		for (k = t + 1 + obj; !err && k < tok->next; k = w->j->tok[k].next + obj, i++) {
			size_t old = w->plen;
			char num[16];

			/* an object's value follows its key */
			if (obj)
				err = mj_push(w, w->j->text + w->j->tok[k - 1].start, w->j->tok[k - 1].len);
			else
				err = mj_push(w, num, (size_t)snprintf(num, sizeof(num), "%u", i));
			if (!err)
				err = mj_value(w, k);
			w->plen = old;
			w->path[old] = 0;
		}
	}
	return err ? err : w->cb(w->ctx, w->path, &v);
}

int mj_walk_cj(const struct cj *j, mj_cb cb, void *ctx)
{
	struct mj w = { .j = j, .cb = cb, .ctx = ctx };

	return mj_value(&w, 0);
}

int mj_walk(const char *text, size_t len, mj_cb cb, void *ctx)
{
	struct cj j;
	int err = cj_parse(&j, text, len);

	if (!err)
		err = mj_walk_cj(&j, cb, ctx);
	cj_free(&j);
	return err;
}

int mj_str(const struct mj_val *v, char *buf, size_t size)
{
	struct cur c;
	size_t n = 0;
	uint8_t ch;

	if (v->type != CJ_STR || v->len < 2 || size == 0)
		return -EINVAL;
	cur_init(&c, v->raw + 1, v->len - 2);
	while (cur_left(&c)) {
		if (json_char(&c, &ch))
			return -EINVAL;
		if (n + 1 >= size)
			return -ENOSPC;
		buf[n++] = (char)ch;
	}
	buf[n] = 0;
	return 0;
}

int mj_u64(const struct mj_val *v, uint64_t *out)
{
	uint64_t x = 0;

	if (v->type != CJ_NUM || v->len == 0 || v->len > 20)
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
