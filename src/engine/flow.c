/* Chained hashing over one preallocated array. The hash is keyed with a
 * random seed so that nobody on the clinical LAN can aim a flood of
 * connections at one chain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "flow.h"
#include "scanwall/slotpool.h"

struct flow_table {
	unsigned mask;
	struct slot_pool slots;	/* of flows; a flow's `next` is the free list's link */
	uint64_t seed;
	uint32_t *buckets;	/* index + 1 */
	struct flow *flows;
};

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* One end's address, through two keyed rounds (one per half). */
static inline uint64_t addr_hash(uint64_t seed, const uint8_t *addr)
{
	uint64_t w[2];

	memcpy(w, addr, sizeof(w));
	return mix64(mix64(seed ^ w[0]) ^ w[1]);
}

/* Both directions of a flow hash alike, so one walk of one chain finds a
 * packet's flow whichever way the packet goes: the addresses' keyed
 * hashes are summed, and the ports taken smaller first. The ports get a
 * round of their own after the addresses, so that no address bits can be
 * traded against port bits to aim a flood of tuples at one chain. */
static uint32_t flow_hash(const struct flow_table *t, const struct flow_key *k)
{
	uint64_t lo = k->sport < k->dport ? k->sport : k->dport;
	uint64_t hi = (uint64_t)(k->sport ^ k->dport) ^ lo;
	uint64_t h = addr_hash(t->seed, k->src) + addr_hash(t->seed, k->dst);

	h ^= lo | hi << 16 | (uint64_t)k->af << 32 | (uint64_t)k->proto << 40;
	return (uint32_t)mix64(h) & t->mask;
}

_Static_assert(sizeof(struct flow_key) == 40, "flow_key compares with memcmp: no padding");
_Static_assert(sizeof(struct flow) == 64, "a flow is one cache line: 65,536 of them in 4 MiB");

struct flow_table *flow_table_new(unsigned size)
{
	struct flow_table *t;
	unsigned nb = 1;

	while (nb < size)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->mask = nb - 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->flows = calloc(size, sizeof(*t->flows));
	if (!t->buckets || !t->flows || getrandom(&t->seed, sizeof(t->seed), 0) < 0)
		goto out_free;
	SLOT_POOL_INIT(&t->slots, t->flows, size, next);
	return t;

out_free:
	flow_table_free(t);
	errno = ENOMEM;
	return NULL;
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	free(t->buckets);
	free(t->flows);
	free(t);
}

/* f's key is k seen from the other end. */
static int key_reversed(const struct flow_key *f, const struct flow_key *k)
{
	return f->sport == k->dport && f->dport == k->sport && f->af == k->af &&
	       f->proto == k->proto && !memcmp(f->src, k->dst, sizeof(f->src)) &&
	       !memcmp(f->dst, k->src, sizeof(f->dst));
}

/* A flow and its reverse cannot both be in the table (an insert follows a
 * lookup that found neither), so the first match either way is the one. */
struct flow *flow_lookup(struct flow_table *t, const struct flow_key *k, int *reply)
{
	uint32_t i = t->buckets[flow_hash(t, k)];

	*reply = 0;
	while (i) {
		struct flow *f = &t->flows[i - 1];

		if (!memcmp(&f->key, k, sizeof(*k)))
			return f;
		if (key_reversed(&f->key, k)) {
			*reply = 1;
			return f;
		}
		i = f->next;
	}
	return NULL;
}

struct flow *flow_insert(struct flow_table *t, const struct flow_key *k)
{
	uint32_t b, i = slot_take(&t->slots);
	struct flow *f;

	if (!i)
		return NULL;
	f = &t->flows[i - 1];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	b = flow_hash(t, k);
	f->next = t->buckets[b];
	t->buckets[b] = i;
	return f;
}

void flow_remove(struct flow_table *t, struct flow *f)
{
	uint32_t idx = (uint32_t)(f - t->flows) + 1;
	uint32_t *pp = &t->buckets[flow_hash(t, &f->key)];

	while (*pp && *pp != idx)
		pp = &t->flows[*pp - 1].next;
	if (*pp)
		*pp = f->next;
	f->state = FLOW_FREE;
	slot_give(&t->slots, idx);
}

unsigned flow_count(const struct flow_table *t)
{
	return t->slots.used;
}

unsigned flow_span(const struct flow_table *t)
{
	return slot_span(&t->slots);
}

struct flow *flow_at(struct flow_table *t, unsigned i)
{
	return &t->flows[i];
}

uint32_t flow_index(const struct flow_table *t, const struct flow *f)
{
	return (uint32_t)(f - t->flows);
}

uint32_t flow_src_bucket(const struct flow_table *t, uint8_t af, const uint8_t *addr,
			 unsigned bits)
{
	uint8_t a[16] = { 0 };

	memcpy(a, addr, af == SW_AF_INET6 ? 8 : 4);
	return (uint32_t)addr_hash(t->seed ^ 0x5bd1e995u, a) & ((1u << bits) - 1);
}
