/* The kernel's share of the policy's hit counters (rspolicy.c drops most
 * of a refused flood there), folded into the engine's so that `counters`
 * and the metrics stay exact. The control thread reads the kernel's
 * counters (a fork/exec of nft); the loop adds what they gained. */
#ifndef SW_ENGINE_RSHITS_H
#define SW_ENGINE_RSHITS_H

#include <stdint.h>

#include "datapath/rspolicy.h"

struct eng;
struct pol;

/* What the kernel counted since the last read, per rule index (the
 * default at pol_rule_count()), for the policy pol. */
struct rs_hits_delta {
	const struct pol *pol;
	uint64_t n[RS_POL_RULES_MAX + 1];
};

/* After the ruleset was installed for pol (the kernel's counters start
 * at 0 with it), or failed to be (NULL: nothing is read until the next).
 * Control thread. */
void rs_hits_reset(const struct pol *pol);
/* Adds to d what the kernel's counter for rule index gained since it was
 * last read, packets now (all of them when it went back: a reinstalled
 * ruleset restarts its counters at 0). rs_hits_read's callback, for
 * ruleset_read_hits; public for the tests. */
void rs_hits_fold(void *ctx, unsigned index, uint64_t packets);
/* Reads the kernel's counters into d. Control thread. 0 or -errno. */
int rs_hits_read(struct rs_hits_delta *d);
/* Adds d to the engine's hits when the engine's policy is d->pol. Loop. */
void rs_hits_add(struct eng *e, const struct rs_hits_delta *d);

#endif
