/* The observation table's hashes: open addressing over record indexes + 1
 * (0 empty), sized at start, entries removed by shifting back so a full
 * table that evicts keeps its probes short. */
#include <stdlib.h>
#include <string.h>

#include "learn_int.h"

/* Twice the entries, rounded up to a power of two: probes stay short. */
uint32_t *lrn_hash_new(unsigned n, uint32_t *mask)
{
	uint32_t size = 2;

	while (size < 2u * n)
		size <<= 1;
	*mask = size - 1;
	return calloc(size, sizeof(uint32_t));
}

/* FNV-1a, 32 bits: keys are short and come from the wire, the table is
 * bounded, and a collision only costs a probe. */
uint32_t lrn_fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* Only what a record keeps of s (max bytes), so a record's hash is its
 * key's. */
uint32_t lrn_str_hash(uint32_t h, const char *s, size_t max)
{
	return lrn_fnv(lrn_fnv(h, s ? s : "", s ? strnlen(s, max) : 0), "", 1);
}

/* Takes rec + 1 out of an open-addressing table by shifting back the
 * entries after it (no tombstones to lengthen later probes). rec must
 * still hold its key: home_of() hashes it. */
void lrn_hash_del(struct lrn *t, uint32_t *hash, uint32_t mask, uint32_t rec,
		     uint32_t (*home_of)(const struct lrn *t, uint32_t rec))
{
	uint32_t i = home_of(t, rec) & mask, j, k;

	while (hash[i] != rec + 1)
		i = (i + 1) & mask;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!hash[j])
			break;
		k = home_of(t, hash[j] - 1) & mask;
		/* the entry at j stays if its home lies cyclically in (i, j] */
		if (i <= j ? i < k && k <= j : i < k || k <= j)
			continue;
		hash[i] = hash[j];
		i = j;
	}
	hash[i] = 0;
}

/* The empty slot a new key of hash h goes to (the table is never full). */
uint32_t *lrn_hash_slot(uint32_t *hash, uint32_t mask, uint32_t h)
{
	uint32_t i = h & mask;

	while (hash[i])
		i = (i + 1) & mask;
	return &hash[i];
}
