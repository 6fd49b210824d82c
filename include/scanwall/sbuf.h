/* A bounded text writer into the caller's buffer. Once it runs out of
 * room it stays failed (err = -ENOSPC) and writes nothing more, so a
 * caller appends freely and checks once at the end.
 *
 * The same writer goes to a stream when f is set (SB_STREAM): the
 * management answers are built in open_memstream buffers and reuse every
 * function written for sbuf (jsonw.h) without a second copy of them. */
#ifndef SW_SBUF_H
#define SW_SBUF_H

#include <stddef.h>
#include <stdio.h>

struct sbuf {
	char *p;
	size_t size, len;
	int err;
	FILE *f;	/* set: text goes to f (p and size unused), err -EIO when it fails */
};

/* An sbuf over a stream, for one call: jw_str(SB_STREAM(out), s). */
#define SB_STREAM(stream) (&(struct sbuf){ .f = (stream) })

/* p[0..size) receives the text, always NUL-terminated when size > 0. */
void sb_put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* n bytes of s as they are. */
void sb_putn(struct sbuf *b, const char *s, size_t n);

#endif
