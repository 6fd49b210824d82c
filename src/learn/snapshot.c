/* A copy of a table that is being recorded, made in slices (learn.h):
 * scanwalld's verdict loop records, and its control thread writes the
 * table's JSON, saves it and proposes from it, off the loop, from a copy
 * the loop makes a slice at a time between two batches. Records live in
 * fixed arrays, added at the end or replaced in place (an eviction), so a
 * slice copies whole records, and what was added since is taken by the
 * slice that reaches it. The copy is for reading: of the record pools only
 * what the readers look at (used, live, a relation's tier) is set. */
#include <string.h>

#include "learn_int.h"

enum { CP_REL, CP_FLOW, CP_UID, CP_DONE };

const struct lrn_cfg *lrn_config(const struct lrn *t)
{
	return &t->cfg;
}

void lrn_sizes(const struct lrn *t, struct lrn_sizes *n)
{
	*n = (struct lrn_sizes){ .relations = t->relp.used, .flows = t->flowp.used,
				 .uids = t->nuid };
}

static unsigned cp_min(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

void lrn_prefault(struct lrn *dst, const struct lrn_sizes *n)
{
	memset(dst->rel, 0, cp_min(n->relations, dst->cfg.relations) * sizeof(*dst->rel));
	memset(dst->flow, 0, cp_min(n->flows, dst->cfg.flows) * sizeof(*dst->flow));
	memset(dst->uids, 0, cp_min(n->uids, dst->cfg.uids) * sizeof(*dst->uids));
}

/* Copies records [*next, have) of size bytes each, at most max of them;
 * true when it reached have. */
static bool cp_part(void *dst, const void *src, size_t size, unsigned have, unsigned *next,
		    size_t max_bytes)
{
	unsigned n = cp_min(have - *next, (unsigned)(max_bytes / size) ?: 1);

	memcpy((char *)dst + (size_t)*next * size, (const char *)src + (size_t)*next * size,
	       (size_t)n * size);
	*next += n;
	return *next == have;
}

int lrn_copy_step(struct lrn *dst, const struct lrn *src, struct lrn_copy *c, size_t max_bytes)
{
	bool whole = false;
	unsigned from;

	switch (c->phase) {
	case CP_REL:
		from = c->next;
		whole = cp_part(dst->rel, src->rel, sizeof(*src->rel), src->relp.used, &c->next,
				max_bytes);
		/* each record's tier with it, the clock its worth is read by */
		memcpy(dst->relp.in + from, src->relp.in + from, c->next - from);
		dst->now = src->now;
		dst->relp.used = c->next;
		dst->relp.live = src->relp.live;
		break;
	case CP_FLOW:
		whole = cp_part(dst->flow, src->flow, sizeof(*src->flow), src->flowp.used, &c->next,
				max_bytes);
		dst->flowp.used = c->next;
		dst->flowp.live = src->flowp.live;
		break;
	case CP_UID:
		/* last: every UID a copied relation names is there (one an
		 * eviction freed and reused meanwhile may read as the new one) */
		whole = cp_part(dst->uids, src->uids, sizeof(*src->uids), src->nuid, &c->next,
				max_bytes);
		dst->nuid = c->next;
		if (whole)
			dst->dropped = src->dropped;
		break;
	default:
		return 0;
	}
	if (whole) {
		c->phase++;
		c->next = 0;
	}
	return c->phase != CP_DONE;
}
