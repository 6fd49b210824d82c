/* The one JSON writer: values and members appended to an sbuf (sbuf.h),
 * a bounded buffer (events, on the verdict loop: nothing allocates) or a
 * stream through SB_STREAM (the control answers, mgmtd, the console).
 *
 * Strings are escaped: ", \ and every byte outside printable ASCII as
 * \u00XX, since AE titles, UIDs and policy reasons come from the wire and
 * nothing may reach a terminal or a parser raw. Keys are the program's
 * own constants and go out as they are. sep is what comes before a
 * member: "{" for the first, "," for the next, "" when written already. */
#ifndef SCANWALL_JSONW_H
#define SCANWALL_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "scanwall/sbuf.h"

/* s as a JSON string, or null when s is NULL. */
void jw_str(struct sbuf *w, const char *s);
/* sep"key":"s" (or null). */
void jw_kstr(struct sbuf *w, const char *sep, const char *key, const char *s);
/* sep"key":v */
void jw_ku64(struct sbuf *w, const char *sep, const char *key, uint64_t v);

/* A flat object of counters, {"key":n,...}: a table, not a chain of calls. */
struct jw_u64 {
	const char *key;
	uint64_t v;
};
void jw_u64_obj(struct sbuf *w, const struct jw_u64 *f, size_t n);
#define JW_U64_OBJ(w, tab) jw_u64_obj(w, tab, sizeof(tab) / sizeof((tab)[0]))

#endif
