/* Folding the kernel's hit counters into the engine's. Both start at 0
 * with a policy (eng_set_policy, then the ruleset reinstalled with it), so
 * the engine's count plus everything the kernel counted since is exact.
 * A counter that goes back was made anew under the same policy (the
 * ruleset reinstalled): what it holds is counted, not lost.
 * rs_hits belongs to the control thread, which installs rulesets and
 * reads counters one after the other. */
#include <string.h>

#include "scanwall/engine.h"
#include "datapath/rshits.h"
#include "datapath/rspolicy.h"
#include "datapath/ruleset.h"

static struct {
	const struct pol *pol;		/* what the kernel's counters count for */
	uint64_t last[RS_POL_RULES_MAX + 1];
} rs_hits;

void rs_hits_reset(const struct pol *pol)
{
	memset(&rs_hits, 0, sizeof(rs_hits));
	rs_hits.pol = pol;
}

void rs_hits_fold(void *ctx, unsigned index, uint64_t packets)
{
	struct rs_hits_delta *d = ctx;

	if (index > RS_POL_RULES_MAX)
		return;
	/* A counter that went back was made anew (the ruleset reinstalled,
	 * its counters at 0 again): all it holds is new. */
	d->n[index] += packets >= rs_hits.last[index] ? packets - rs_hits.last[index] : packets;
	rs_hits.last[index] = packets;
}

int rs_hits_read(struct rs_hits_delta *d)
{
	memset(d, 0, sizeof(*d));
	d->pol = rs_hits.pol;
	return rs_hits.pol ? ruleset_read_hits(rs_hits.pol, rs_hits_fold, d) : 0;
}

void rs_hits_add(struct eng *e, const struct rs_hits_delta *d)
{
	if (!d->pol || d->pol != eng_policy(e))
		return;
	for (unsigned i = 0; i <= RS_POL_RULES_MAX; i++)
		if (d->n[i])
			eng_add_hits(e, i, d->n[i]);
}
