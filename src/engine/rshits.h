/* The kernel's share of the policy's hit counters (rspolicy.c drops most
 * of a refused flood there), folded into the engine's so that `counters`
 * and the metrics stay exact. Control path only. */
#ifndef SW_ENGINE_RSHITS_H
#define SW_ENGINE_RSHITS_H

struct eng;
struct pol;

/* After the ruleset was installed for pol (the kernel's counters start
 * at 0 with it), or failed to be (NULL: nothing is read until the next). */
void rs_hits_reset(const struct pol *pol);
/* Reads the kernel's counters and adds what they gained since the last
 * read to the engine's hits, when the engine's policy is the one the
 * ruleset was installed with. */
void rs_hits_sync(struct eng *e);

#endif
