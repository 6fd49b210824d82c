/* The events' hand-over from the verdict loop to the control thread
 * (linequeue.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/linequeue.h"

int lq_init(struct lq *q, unsigned n, size_t line_max)
{
	int err;

	memset(q, 0, sizeof(*q));
	q->efd = -1;
	if (!n || !line_max)
		return -EINVAL;
	q->n = n;
	q->line_max = line_max;
	q->buf = calloc(n, line_max);
	q->len = calloc(n, sizeof(*q->len));
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	err = !q->buf || !q->len ? -ENOMEM : q->efd < 0 ? -errno : 0;
	if (err)
		lq_fini(q);
	return err;
}

void lq_fini(struct lq *q)
{
	if (q->n && q->efd >= 0)
		close(q->efd);
	free(q->buf);
	free(q->len);
	memset(q, 0, sizeof(*q));
	q->efd = -1;
}

unsigned lq_space(const struct lq *q)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);

	return q->n - (unsigned)(head - tail);
}

/* The head is published and the tail read back in sequentially consistent
 * order, as lq_drain() publishes the tail and reads the head: either the
 * consumer sees this line before it stops, or this sees the queue it left
 * empty and wakes it. No line waits for a wake-up that never comes. */
int lq_push(struct lq *q, const char *line, size_t len)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint64_t one = 1;

	if (len > q->line_max)
		return -EMSGSIZE;
	if (!lq_space(q))
		return -ENOBUFS;
	memcpy(q->buf + (head % q->n) * q->line_max, line, len);
	q->len[head % q->n] = len;
	atomic_store(&q->head, head + 1);
	if (atomic_load(&q->tail) == head && write(q->efd, &one, sizeof(one)) < 0) {
		/* only on overflow of the counter: it is readable then */
	}
	return 0;
}

void lq_drain(struct lq *q, void (*cb)(void *ctx, const char *line, size_t len), void *ctx)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed), head, n;

	/* reset first: a wake-up after this read is kept for the next drain */
	if (read(q->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: drained without a wake-up (lq_fini, a test) */
	}
	while (tail != (head = atomic_load(&q->head))) {
		for (; tail != head; tail++)
			cb(ctx, q->buf + (tail % q->n) * q->line_max, q->len[tail % q->n]);
		atomic_store(&q->tail, tail);
	}
}

int lq_fd(const struct lq *q)
{
	return q->efd;
}
