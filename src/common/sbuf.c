#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scanwall/sbuf.h"

void sb_put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	if (b->f)
		n = vfprintf(b->f, fmt, ap);
	else
		n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		b->err = b->f ? -EIO : -ENOSPC;
	else if (!b->f && (size_t)n >= b->size - b->len)
		b->err = -ENOSPC;
	else
		b->len += (size_t)n;
}

void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->f) {
		if (fwrite(s, 1, n, b->f) != n)
			b->err = -EIO;
		else
			b->len += n;
		return;
	}
	if (n >= b->size - b->len) {
		b->err = -ENOSPC;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}
