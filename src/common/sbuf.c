#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "scanwall/sbuf.h"

void sb_put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->size - b->len)
		b->err = -ENOSPC;
	else
		b->len += (size_t)n;
}
