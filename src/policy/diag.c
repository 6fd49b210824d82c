/* Policy diagnostics. The parser and the compiler report in different
 * passes; collecting and sorting by position lets the user read the errors
 * top to bottom as in the file. */
#include <stdarg.h>
#include <stdlib.h>

#include "pol_int.h"

/* A file of garbage would otherwise produce one error per byte. */
#define DIAG_MAX 100

void diag_err(struct pol_diag *d, unsigned line, unsigned col, const char *fmt, ...)
{
	struct pol_msg *m;
	va_list ap;
	int rc;

	if (d->n >= DIAG_MAX) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 8;

		m = realloc(d->v, cap * sizeof(*m));
		if (!m) {
			d->oom = true;
			return;
		}
		d->v = m;
		d->cap = cap;
	}
	m = &d->v[d->n];
	va_start(ap, fmt);
	rc = vasprintf(&m->text, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		d->oom = true;
		return;
	}
	m->line = line;
	m->col = col;
	m->seq = d->n++;
}

static int msg_cmp(const void *pa, const void *pb)
{
	const struct pol_msg *a = pa, *b = pb;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void diag_flush(struct pol_diag *d, FILE *out)
{
	unsigned i;

	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), msg_cmp);
	for (i = 0; i < d->n; i++) {
		if (out)
			fprintf(out, "%s:%u:%u: %s\n", d->name, d->v[i].line, d->v[i].col,
				d->v[i].text);
		free(d->v[i].text);
	}
	if (out && d->dropped)
		fprintf(out, "%s: %u more errors not shown\n", d->name, d->dropped);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = d->dropped = 0;
}
