/* What one peer may hold of the partners' tier. An accepted relation is a
 * partner, and a peer the device accepts makes a new relation with every
 * new calling AE title or address it uses: unbounded, a peer cycling
 * through titles, or one title from many addresses, would evict every
 * real partner. So the partners of one initiator address (an IPv6 one's
 * /64) towards one acceptor, and of one calling AE towards one acceptor,
 * are counted, and an accepted relation beyond CONFIG_OBSERVE_PEER_PARTNERS
 * of either is a stranger (recorded all the same, evicted among
 * strangers), unless it is worth more than that peer's least partner: then
 * that one is pushed out to the strangers. First come is not first served:
 * a peer forging the real archive's AE title from many addresses holds its
 * bound only while its relations are worth more than the archive's. The
 * acceptor is in the key so that the device's own fan-out (one address,
 * one title, to many partners) is never bounded.
 *
 * An entry per key in use, found by hash, freed when none is left, lists
 * its partners through a link in each relation per kind (a bound's worth
 * at most: the least is found by a walk); there are at most two entries
 * per partner, so all is sized at lrn_new(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/config.h"
#include "scanwall/flowkey.h"
#include "learn_int.h"

enum { PEER_ADDR, PEER_AE, PEER__KINDS };

/* An IPv6 peer is its /64: one host may use any address of it (SLAAC,
 * privacy addresses), and keyed by the whole address, a new address with
 * a new title each time opens new lists under both keys, so every such
 * relation would be a partner. An IPv4 address is the host: a shorter
 * prefix would bound a LAN's real partners together, and a stranger with
 * many IPv4 addresses is rarer and bounded by the partners' share and by
 * the device accepting it at all. */
#define PEER_V6_PREFIX 8

static void peer_key(const struct lrn_rel *r, int kind, uint8_t key[LRN_PEER_KEY])
{
	memset(key, 0, LRN_PEER_KEY);
	key[0] = (uint8_t)kind;
	key[1] = r->af;
	if (kind == PEER_ADDR)
		memcpy(key + 2, r->ini, r->af == SW_AF_INET6 ? PEER_V6_PREFIX : 16);
	else
		memcpy(key + 2, r->calling, strnlen(r->calling, LRN_AE_MAX));
	memcpy(key + 18, r->acc, 16);
}

int lrn_peers_init(struct lrn *t, unsigned partners)
{
	t->peer_cap = PEER__KINDS * (partners + 1);	/* + the one being admitted */
	t->peer = calloc(t->peer_cap, sizeof(*t->peer));
	t->peer_free = calloc(t->peer_cap, sizeof(*t->peer_free));
	t->peer_hash = lrn_hash_new(t->peer_cap, &t->peer_mask);
	t->peer_next = calloc((size_t)PEER__KINDS * t->cfg.relations, sizeof(*t->peer_next));
	return t->peer && t->peer_free && t->peer_hash && t->peer_next ? 0 : -ENOMEM;
}

void lrn_peers_free(struct lrn *t)
{
	free(t->peer);
	free(t->peer_free);
	free(t->peer_hash);
	free(t->peer_next);
}

/* The link to the partner after rec in its list of kind. */
static uint32_t *peer_link(struct lrn *t, uint32_t rec, int kind)
{
	return &t->peer_next[rec * PEER__KINDS + (uint32_t)kind];
}

static uint32_t peer_hash(const uint8_t key[LRN_PEER_KEY])
{
	return lrn_fnv(LRN_FNV_START, key, LRN_PEER_KEY);
}

static uint32_t peer_home(const struct lrn *t, uint32_t e)
{
	return peer_hash(t->peer[e].key);
}

/* The entry of key, made (count 0) if new and make is set; NULL if not. */
static struct lrn_peer *peer_find(struct lrn *t, const uint8_t key[LRN_PEER_KEY], bool make)
{
	uint32_t i = peer_hash(key) & t->peer_mask, *slot, e;

	for (; *(slot = &t->peer_hash[i]); i = (i + 1) & t->peer_mask)
		if (!memcmp(t->peer[*slot - 1].key, key, LRN_PEER_KEY))
			return &t->peer[*slot - 1];
	if (!make)
		return NULL;
	e = t->npeer_free ? t->peer_free[--t->npeer_free] : t->npeer++;
	memcpy(t->peer[e].key, key, LRN_PEER_KEY);
	t->peer[e].n = 0;
	t->peer[e].head = 0;
	*slot = e + 1;
	return &t->peer[e];
}

/* The partner of p (of kind) worth least. */
static uint32_t peer_least(struct lrn *t, const struct lrn_peer *p, int kind)
{
	uint32_t least = p->head - 1;

	for (uint32_t i = *peer_link(t, least, kind); i; i = *peer_link(t, i - 1, kind))
		if (t->relp.ops->less(t, i - 1, least))
			least = i - 1;
	return least;
}

bool lrn_peers_admit(struct lrn *t, uint32_t rec)
{
	uint8_t key[PEER__KINDS][LRN_PEER_KEY];
	uint32_t out[PEER__KINDS];
	struct lrn_peer *p;
	unsigned nout = 0;
	int k;

	for (k = 0; k < PEER__KINDS; k++) {
		peer_key(&t->rel[rec], k, key[k]);
		p = peer_find(t, key[k], false);
		if (!p || p->n < CONFIG_OBSERVE_PEER_PARTNERS)
			continue;
		out[nout] = peer_least(t, p, k);
		if (!t->relp.ops->less(t, out[nout], rec))
			return false;
		nout += !nout || out[0] != out[nout];
	}
	for (unsigned i = 0; i < nout; i++) {
		lrn_peers_leave(t, out[i]);
		lrn_pool_update(t, &t->relp, out[i], LRN_STRANGER);
	}
	/* two entries at most are made: the sizing leaves room for them */
	if (t->peer_cap - t->npeer + t->npeer_free < PEER__KINDS)
		return false;
	for (k = 0; k < PEER__KINDS; k++) {
		p = peer_find(t, key[k], true);
		*peer_link(t, rec, k) = p->head;
		p->head = rec + 1;
		p->n++;
	}
	return true;
}

void lrn_peers_leave(struct lrn *t, uint32_t rec)
{
	uint8_t key[LRN_PEER_KEY];
	struct lrn_peer *p;
	uint32_t e, *link;

	for (int k = 0; k < PEER__KINDS; k++) {
		peer_key(&t->rel[rec], k, key);
		p = peer_find(t, key, false);
		for (link = p ? &p->head : NULL; link && *link && *link != rec + 1;
		     link = peer_link(t, *link - 1, k))
			;
		if (!link || !*link)
			continue;
		*link = *peer_link(t, rec, k);
		if (--p->n)
			continue;
		e = (uint32_t)(p - t->peer);
		lrn_hash_del(t, t->peer_hash, t->peer_mask, e, peer_home);
		t->peer_free[t->npeer_free++] = e;
	}
}
