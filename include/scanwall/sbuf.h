/* A bounded text writer into the caller's buffer. Once it runs out of
 * room it stays failed (err = -ENOSPC) and writes nothing more, so a
 * caller appends freely and checks once at the end. */
#ifndef SW_SBUF_H
#define SW_SBUF_H

#include <stddef.h>

struct sbuf {
	char *p;
	size_t size, len;
	int err;
};

/* p[0..size) receives the text, always NUL-terminated when size > 0. */
void sb_put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
