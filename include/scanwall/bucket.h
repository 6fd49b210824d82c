/* A token bucket: at most `rate` things a second sustained, `burst` at
 * once after a quiet time. Shared by the engine's events file and
 * scanwall-mgmtd's log. No allocation, no clock of its own: the caller
 * passes a monotonic time. */
#ifndef SCANWALL_BUCKET_H
#define SCANWALL_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct sw_bucket {
	/* credit kept as nanoseconds: a token costs 1e9/rate ns, and the
	 * credit never exceeds burst tokens' worth */
	uint64_t credit_ns, cost_ns, cap_ns, last_ns;
};

/* rate 0: no limit; burst 0 counts as 1. Starts full. */
void sw_bucket_init(struct sw_bucket *b, unsigned rate, unsigned burst);
/* Refills for the time since the last call and takes one token if there
 * is one. A clock that goes backwards refills nothing. */
bool sw_bucket_take(struct sw_bucket *b, uint64_t now_ns);

#endif
