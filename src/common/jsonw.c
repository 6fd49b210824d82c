/* The JSON writer (scanwall/jsonw.h). */
#include <string.h>

#include "scanwall/jsonw.h"

static int jw_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Runs of plain bytes go out in one piece: an event's strings are
 * written on the verdict loop. */
void jw_str(struct sbuf *w, const char *s)
{
	size_t n;

	if (!s) {
		sb_putn(w, "null", 4);
		return;
	}
	sb_putn(w, "\"", 1);
	while (*s) {
		for (n = 0; s[n] && jw_plain((unsigned char)s[n]); n++)
			;
		sb_putn(w, s, n);
		s += n;
		if (*s == '"' || *s == '\\')
			sb_put(w, "\\%c", *s++);
		else if (*s)
			sb_put(w, "\\u%04x", (unsigned char)*s++);
	}
	sb_putn(w, "\"", 1);
}

/* Keys and numbers without a format string to parse: sep"key": */
static void jw_key(struct sbuf *w, const char *sep, const char *key)
{
	sb_putn(w, sep, strlen(sep));
	sb_putn(w, "\"", 1);
	sb_putn(w, key, strlen(key));
	sb_putn(w, "\":", 2);
}

void jw_kstr(struct sbuf *w, const char *sep, const char *key, const char *s)
{
	jw_key(w, sep, key);
	jw_str(w, s);
}

void jw_ku64(struct sbuf *w, const char *sep, const char *key, uint64_t v)
{
	char d[20];
	size_t n = sizeof(d);

	jw_key(w, sep, key);
	do
		d[--n] = (char)('0' + v % 10);
	while (v /= 10);
	sb_putn(w, d + n, sizeof(d) - n);
}

void jw_u64_obj(struct sbuf *w, const struct jw_u64 *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		jw_ku64(w, i ? "," : "{", f[i].key, f[i].v);
	sb_put(w, "%s}", n ? "" : "{");
}
