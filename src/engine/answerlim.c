/* The engine's own limit on its answers to refused packets (resets and
 * ICMP unreachables), per source and in all. For new connections the
 * kernel's sample is the limit already (rspolicy.c); this covers every
 * other way a refused packet reaches the engine: a flood of FINs or
 * SYN-ACKs is conntrack-invalid and queued whole, and each would be
 * answered. Every answer goes to the address the packet claims, so an
 * unlimited one would make the box a reflector.
 *
 * Every answer the engine crafts to a packet's sender passes here: the
 * reset or ICMP error to a refused packet (verdict.c), the resets to a
 * refused flow's later packets (engine.c), the RJ, A-ABORT or reset an
 * association refusal sends the end whose bytes it refused (dflow.c).
 * The reset to that end's peer, at its exact next byte, is not an answer
 * to anyone's claim: it frees the device's end (dflow_answer says why).
 *
 * GCRA: one theoretical arrival time per slot, sources in the slots by
 * the flow table's keyed hash (flow_src_bucket: two sources in one slot
 * share its budget, more limiting, never less, and nobody can pick a
 * victim's slot to silence it), one more slot for all of them. No
 * allocation, no system call. */
#include <string.h>

#include "scanwall/config.h"
#include "engine_int.h"

#define NS_PER_S 1000000000ull

static bool answer_slot_ok(uint64_t *tat, uint64_t now, unsigned rate)
{
	uint64_t step = NS_PER_S / rate, slack = step * (rate - 1u);

	/* A clock stepped back must not silence the box for the step. */
	if (*tat > now + slack + step)
		*tat = now;
	if (*tat < now)
		*tat = now;
	if (*tat - now > slack)
		return false;
	*tat += step;
	return true;
}

bool eng_answer_ok(struct eng *e, const struct flow_key *k)
{
	uint32_t slot = flow_src_bucket(e->flows, k->af, k->src, ENG_ANSWER_BITS);
	uint64_t *src = &e->answer_tat[slot];
	uint64_t *all = &e->answer_tat[ENG_ANSWER_SLOTS];

	/* The source's budget first: one source's excess does not use up
	 * everyone's. Burst = one second's worth. */
	if (answer_slot_ok(src, e->now_ns, CONFIG_RULESET_ANSWER_SOURCE_RATE) &&
	    answer_slot_ok(all, e->now_ns, CONFIG_RULESET_ANSWER_RATE))
		return true;
	e->c.answers_limited++;
	return false;
}
