/* A bounded queue of text lines from one thread to another: the verdict
 * loop hands its events file's lines to the control thread, which writes
 * them (evlog.c). One producer, one consumer, no lock: the producer never
 * waits (a full queue refuses the line, and the caller counts it), and
 * wakes the consumer through an eventfd only when the queue was empty, so
 * a burst costs one write(2) to the eventfd, not one a line. Everything is
 * allocated by lq_init(). */
#ifndef SW_COMMON_LINEQUEUE_H
#define SW_COMMON_LINEQUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct lq {
	unsigned n;			/* slots */
	size_t line_max;
	char *buf;			/* n * line_max */
	size_t *len;
	int efd;			/* readable: lines wait */
	_Atomic uint64_t head;		/* the producer's: lines pushed */
	_Atomic uint64_t tail;		/* the consumer's: lines taken */
};

/* 0 or -errno (-EINVAL for no slots). */
int lq_init(struct lq *q, unsigned n, size_t line_max);
/* Accepts a zeroed or an lq_init()ed queue. */
void lq_fini(struct lq *q);

/* Producer: copies line in. 0, -ENOBUFS when full, -EMSGSIZE when longer
 * than line_max. */
int lq_push(struct lq *q, const char *line, size_t len);
/* Producer: slots free now (the consumer may free more meanwhile). */
unsigned lq_space(const struct lq *q);

/* Consumer: calls cb for every line waiting, oldest first, until the
 * queue is empty. The line is the queue's until cb returns. */
void lq_drain(struct lq *q, void (*cb)(void *ctx, const char *line, size_t len), void *ctx);
/* Readable when lines wait (poll it, then lq_drain()). */
int lq_fd(const struct lq *q);

#endif
