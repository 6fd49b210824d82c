/* The token bucket (see scanwall/bucket.h). */
#include "scanwall/bucket.h"

#define NS_PER_S 1000000000ull

void sw_bucket_init(struct sw_bucket *b, unsigned rate, unsigned burst)
{
	*b = (struct sw_bucket){ 0 };
	if (!rate)
		return;
	b->cost_ns = NS_PER_S / rate;
	b->cap_ns = b->cost_ns * (burst ? burst : 1);
	b->credit_ns = b->cap_ns;
}

bool sw_bucket_take(struct sw_bucket *b, uint64_t now_ns)
{
	uint64_t gained;

	if (!b->cost_ns)
		return true;
	gained = now_ns > b->last_ns ? now_ns - b->last_ns : 0;
	b->last_ns = now_ns > b->last_ns ? now_ns : b->last_ns;
	if (gained > b->cap_ns - b->credit_ns)
		b->credit_ns = b->cap_ns;
	else
		b->credit_ns += gained;
	if (b->credit_ns < b->cost_ns)
		return false;
	b->credit_ns -= b->cost_ns;
	return true;
}
