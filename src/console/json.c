/* A small JSON reader for the control socket's answers, in the manner of
 * jsmn: one pass builds a flat array of tokens that point into the text,
 * nothing is copied until a value is printed. The answers come from our
 * own daemon, but they carry AE titles and policy reasons that came off
 * the wire, so every byte is read through the bounds-checked cursor and
 * nesting is bounded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/cursor.h"
#include "console/cons.h"

#define CJ_DEPTH_MAX 32
#define CJ_TOKENS_MAX (1u << 20)

static int cj_value(struct cj *j, struct cur *c, unsigned depth);

static void cj_blank(struct cur *c)
{
	uint8_t ch;

	while (!cur_peek_u8(c, &ch) && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'))
		cur_skip(c, 1);
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
	for (;;) {
		if (cur_u8(c, &ch) || ch < 0x20)
			return -EBADMSG;
		if (ch == '"')
			break;
		if (ch == '\\' && cur_skip(c, 1))
			return -EBADMSG;
	}
	j->tok[t].len = (uint32_t)(c->off - 1 - j->tok[t].start);
	j->tok[t].next = j->ntok;
	return t;
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
 * checked for the literals, loosely for numbers (only printed or strtod'd). */
static int cj_atom(struct cj *j, struct cur *c)
{
	static const struct { const char *word; enum cj_type type; } lit[] = {
		{ "true", CJ_TRUE }, { "false", CJ_FALSE }, { "null", CJ_NULL },
	};
	size_t start = c->off;
	uint8_t ch;
	int t;

	while (!cur_peek_u8(c, &ch) && strchr("+-.0123456789eEtruefalsn", ch) && ch)
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
				return -EBADMSG;
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

	if (depth > CJ_DEPTH_MAX)
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

static unsigned cj_hex4(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char ch = s[i];

		v = v * 16 + (unsigned)(ch >= 'a' ? ch - 'a' + 10 : ch >= 'A' ? ch - 'A' + 10 : ch - '0');
	}
	return v;
}

/* Only what a terminal can show survives: escapes for printable ASCII are
 * decoded, \n kept (policy text), anything else becomes '?'. */
static void cj_unescape(const char *s, size_t len, char *buf, size_t size)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/??\n??";
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		char ch = s[i];

		if (ch == '\\' && i + 1 < len && s[i + 1] == 'u' && i + 5 < len) {
			unsigned v = cj_hex4(s + i + 2);

			ch = v == '\n' ? '\n' : (v >= 0x20 && v < 0x7f) ? (char)v : '?';
			i += 5;
		} else if (ch == '\\' && i + 1 < len) {
			const char *e = strchr(esc_in, s[++i]);

			ch = e ? esc_out[e - esc_in] : '?';
		} else if ((unsigned char)ch < 0x20 || (unsigned char)ch >= 0x7f) {
			ch = '?';
		}
		buf[o++] = ch;
	}
	buf[o] = 0;
}

const char *cj_text(const struct cj *j, int i, char *buf, size_t size)
{
	const struct cj_tok *t;

	if (!size)
		return buf;
	if (i < 0 || (uint32_t)i >= j->ntok) {
		snprintf(buf, size, "-");
		return buf;
	}
	t = &j->tok[i];
	if (t->type == CJ_OBJ || t->type == CJ_ARR)
		snprintf(buf, size, "%s", t->type == CJ_OBJ ? "{...}" : "[...]");
	else
		cj_unescape(j->text + t->start, t->len, buf, size);
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
