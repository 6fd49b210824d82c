/* Folding the kernel's hit counters into the engine's. Both start at 0
 * with a policy (eng_set_policy, then the ruleset reinstalled with it), so
 * the engine's count plus everything the kernel counted since is exact. */
#include <string.h>

#include "scanwall/engine.h"
#include "engine/rshits.h"
#include "engine/rspolicy.h"
#include "engine/ruleset.h"

static struct {
	const struct pol *pol;		/* what the kernel's counters count for */
	uint64_t last[RS_POL_RULES_MAX + 1];
} rs_hits;

void rs_hits_reset(const struct pol *pol)
{
	memset(&rs_hits, 0, sizeof(rs_hits));
	rs_hits.pol = pol;
}

static void rs_hits_fold(void *ctx, unsigned index, uint64_t packets)
{
	if (index > RS_POL_RULES_MAX || packets < rs_hits.last[index])
		return;
	eng_add_hits(ctx, index, packets - rs_hits.last[index]);
	rs_hits.last[index] = packets;
}

void rs_hits_sync(struct eng *e)
{
	if (rs_hits.pol && rs_hits.pol == eng_policy(e))
		ruleset_read_hits(rs_hits.pol, rs_hits_fold, e);
}
