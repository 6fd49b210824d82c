/* One arena per policy: a parsed policy is a few kilobytes that live
 * exactly as long as the policy, so one free releases all of it. */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "pol_int.h"

#define PA_CHUNK 8192

struct pa_chunk {
	struct pa_chunk *next;
	size_t used, size;
	alignas(max_align_t) unsigned char data[];
};

struct pol_arena {
	struct pa_chunk *head;
};

struct pol_arena *pa_new(void)
{
	return calloc(1, sizeof(struct pol_arena));
}

void pa_free(struct pol_arena *a)
{
	struct pa_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static struct pa_chunk *pa_chunk_new(struct pol_arena *a, size_t size)
{
	struct pa_chunk *c = malloc(sizeof(*c) + size);

	if (!c)
		return NULL;
	c->used = 0;
	c->size = size;
	c->next = a->head;
	a->head = c;
	return c;
}

void *pa_alloc(struct pol_arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct pa_chunk *c = a->head;
	void *p;

	if (size > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	size = (size + align - 1) & ~(align - 1);
	if (!c || c->size - c->used < size) {
		c = pa_chunk_new(a, size > PA_CHUNK ? size : PA_CHUNK);
		if (!c)
			return NULL;
	}
	p = c->data + c->used;
	c->used += size;
	return memset(p, 0, size);
}

char *pa_strndup(struct pol_arena *a, const char *s, size_t len)
{
	char *p = pa_alloc(a, len + 1);

	if (p)
		memcpy(p, s, len);
	return p;
}

void *pa_push(struct pol_arena *a, struct pa_vec *vec, size_t elem)
{
	if (vec->n == vec->cap) {
		unsigned cap = vec->cap ? vec->cap * 2 : 4;
		void *v = pa_alloc(a, (size_t)cap * elem);

		if (!v)
			return NULL;
		if (vec->n)
			memcpy(v, vec->v, (size_t)vec->n * elem);
		vec->v = v;
		vec->cap = cap;
	}
	return (unsigned char *)vec->v + (size_t)vec->n++ * elem;
}
