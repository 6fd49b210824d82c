/* Private to src/learn: the table's records, read by the JSON writer and
 * loader (store.c) and the commissioning tools (propose.c, whatif.c). */
#ifndef SW_LEARN_INT_H
#define SW_LEARN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "scanwall/learn.h"

#define LRN_UID_MAX 64
#define LRN_AE_MAX 16
#define LRN_REL_CLASSES 32	/* abstract syntaxes kept per relation */
#define LRN_REL_TS 8		/* transfer syntaxes kept per relation */
/* A relation or UID handle: the slot's generation, 32 bits, above its
 * index, so an association still in flight when its relation (or a UID it
 * holds) is evicted writes nothing into the slot's next tenants: a
 * generation goes round only after 2^32 tenants of that one slot. */
#define LRN_INDEX_BITS 24
#define LRN_INDEX_MASK ((1u << LRN_INDEX_BITS) - 1)

struct lrn_class {
	uint32_t uid;		/* index into lrn.uids */
	uint16_t flags;		/* enum lrn_class_flag */
	uint16_t dimse[2];	/* commands seen, by sender (catalog.h bits) */
};

struct lrn_tsyn {
	uint32_t uid;
	uint16_t flags;		/* LRN_PROPOSED, LRN_ACCEPTED */
};

struct lrn_rel {
	uint32_t gen;		/* bumped at eviction: stale handles miss */
	uint8_t af;		/* 0: a free record (its partner was evicted) */
	uint8_t ini[16], acc[16];
	uint16_t port;
	char calling[LRN_AE_MAX + 1], called[LRN_AE_MAX + 1];
	uint8_t nclass, nts;
	uint64_t count[LRN_ASSOC__COUNT];
	uint64_t bytes[2];
	uint64_t first_s, last_s;	/* wall clock: for people to read */
	int64_t worth;			/* requests (evict.c): what eviction weighs */
	struct lrn_class cls[LRN_REL_CLASSES];
	struct lrn_tsyn ts[LRN_REL_TS];
};

#define LRN_FAULT_MAX 31

struct lrn_flowrec {
	const char *kind;		/* ev_kind_name() */
	char fault[LRN_FAULT_MAX + 1];	/* "" none */
	uint8_t af, proto;
	uint8_t src[16], dst[16];
	uint16_t port;
	int rule_line;
	char calling[LRN_AE_MAX + 1], called[LRN_AE_MAX + 1];
	uint64_t count, first_s, last_s;
	int64_t worth;			/* of count (evict.c) */
};

/* evict.c: the records of one kind in two tiers, each a min-heap by
 * value (count, aged since last seen), so the least goes when the table is
 * full. */
enum { LRN_STRANGER, LRN_PARTNER };

/* A record's worth: a time on the table's clock, that of a record seen
 * once then (evict.c); NONE: never seen. */
#define LRN_WORTH_NONE INT64_MIN
/* The worth of both records' counts together. */
int64_t lrn_worth_add(int64_t a, int64_t b);
/* The worth of count seen now (to a power of two). */
int64_t lrn_worth_of(const struct lrn *t, uint64_t count);
/* One more seen, now. */
void lrn_worth_seen(const struct lrn *t, int64_t *worth);
/* Whether a record is worth less than another (then: has the smaller
 * count). */
bool lrn_less(int64_t worth_a, uint64_t count_a, int64_t worth_b, uint64_t count_b);

struct lrn_pool_ops {
	bool (*less)(const struct lrn *t, uint32_t a, uint32_t b);
	/* out of the hash (and counts) of its tier, cleared */
	void (*drop)(struct lrn *t, uint32_t rec, int tier);
};

struct lrn_tier {
	uint32_t *at;		/* heap of record indexes */
	unsigned n, max;
};

struct lrn_pool {
	const struct lrn_pool_ops *ops;
	struct lrn_tier tier[2];
	uint32_t *pos;		/* record -> its place in its tier's heap */
	uint8_t *in;		/* record -> tier + 1; 0: not in use */
	uint32_t *free;		/* records a promotion's eviction left free */
	unsigned n, used, nfree, live;
	uint64_t *evicted;	/* in lrn.dropped */
};

int lrn_pool_init(struct lrn_pool *p, unsigned n, unsigned reserve_pct,
		  const struct lrn_pool_ops *ops, uint64_t *evicted);
void lrn_pool_free(struct lrn_pool *p);
/* The record for a new one of tier: a free one or the least's (evicted,
 * counted); -ENOSPC only if the pool is broken. Then lrn_pool_add(). */
int lrn_pool_take(struct lrn *t, struct lrn_pool *p, int tier);
void lrn_pool_add(struct lrn *t, struct lrn_pool *p, uint32_t rec, int tier);
/* rec's value changed, or it moved to tier (a partner may be evicted). */
void lrn_pool_update(struct lrn *t, struct lrn_pool *p, uint32_t rec, int tier);
/* Evicts the least of tier, its record left free: 0, -ENOENT if none. */
int lrn_pool_evict(struct lrn *t, struct lrn_pool *p, int tier);
/* The tier rec is in, -1 if it is not in use. */
int lrn_pool_tier(const struct lrn_pool *p, uint32_t rec);

/* peers.c: the partners of one initiator address (an IPv6 one's /64), and
 * of one calling AE, towards one acceptor, listed and bounded. */
#define LRN_PEER_KEY 34		/* kind, af, address or AE, acceptor */
struct lrn_peer {
	uint8_t key[LRN_PEER_KEY];
	uint32_t n;		/* partners listed */
	uint32_t head;		/* the first, + 1; lrn.peer_next links the rest */
};
int lrn_peers_init(struct lrn *t, unsigned partners);
void lrn_peers_free(struct lrn *t);
/* Lists relation rec as a partner of its address and of its AE: false
 * (nothing listed) when one holds CONFIG_OBSERVE_PEER_PARTNERS already,
 * all worth as much; else the least of a full one is made a stranger. */
bool lrn_peers_admit(struct lrn *t, uint32_t rec);
/* A partner listed by lrn_peers_admit() leaves (evicted, or a stranger). */
void lrn_peers_leave(struct lrn *t, uint32_t rec);

struct lrn {
	struct lrn_cfg cfg;
	struct lrn_rel *rel;	/* [0, relp.used); af 0: free */
	struct lrn_pool relp;
	char (*uids)[LRN_UID_MAX + 1];	/* uids.c */
	unsigned nuid;			/* slots used, free ones included */
	uint32_t *uid_refs;		/* class and transfer syntax slots naming it */
	uint32_t *uid_gen;		/* generation */
	uint8_t *uid_listed;		/* on uid_free */
	uint32_t *uid_free;		/* with no ref when listed */
	unsigned nuid_free;
	struct lrn_flowrec *flow;	/* [0, flowp.used), never a hole */
	struct lrn_pool flowp;
	struct lrn_peer *peer;		/* peers.c: [0, npeer), free ones listed */
	uint32_t *peer_free, *peer_hash, peer_mask;
	uint32_t *peer_next;		/* [relation * 2 + kind]: next partner + 1, 0 end */
	unsigned npeer, npeer_free, peer_cap;
	/* open addressing, index + 1, 0 empty; sizes are powers of two */
	uint32_t *rel_hash, *uid_hash, *flow_hash;
	uint32_t rel_mask, uid_mask, flow_mask;
	struct lrn_dropped dropped;
	int64_t now;		/* the worths' clock (lrn_elapse) */
	char load_error[96];	/* why lrn_load() refused the last file */
};

/* hash.c: open addressing over record indexes + 1, 0 empty. */
#define LRN_FNV_START 2166136261u
uint32_t lrn_fnv(uint32_t h, const void *p, size_t n);
/* Hashes what a record keeps of s (at most max bytes). */
uint32_t lrn_str_hash(uint32_t h, const char *s, size_t max);
/* Twice n slots, a power of two; *mask set. NULL when out of memory. */
uint32_t *lrn_hash_new(unsigned n, uint32_t *mask);
/* Removes rec (its key still in place: home_of hashes it). */
void lrn_hash_del(struct lrn *t, uint32_t *hash, uint32_t mask, uint32_t rec,
		  uint32_t (*home_of)(const struct lrn *t, uint32_t rec));
/* The empty slot a new key of hash h goes to. */
uint32_t *lrn_hash_slot(uint32_t *hash, uint32_t mask, uint32_t h);

/* uids.c */
int lrn_uids_init(struct lrn *t, unsigned n);
void lrn_uids_free(struct lrn *t);
/* The slot of a handle (lrn_uid), -ESTALE when it went to another UID. */
int lrn_uid_index(const struct lrn *t, int64_t uid);
/* A class or transfer syntax slot names slot u, or no longer does. */
void lrn_uid_ref(struct lrn *t, uint32_t u);
void lrn_uid_unref(struct lrn *t, uint32_t u);

/* The relation of a handle (lrn_relation), NULL when it was evicted. */
struct lrn_rel *lrn_rel_at(struct lrn *t, int64_t rel);
/* Its counts or worth changed (the loader adds to them); stay: in the tier
 * it is in (a stranger the loaded file kept one). */
void lrn_rel_touched(struct lrn *t, const struct lrn_rel *r, bool stay);
void lrn_flow_touched(struct lrn *t, const struct lrn_flowrec *f);

/* "allow", "block", ... as the static string the table keeps, or NULL. */
const char *lrn_kind_static(const char *kind);
/* The record of a flow key, created if new; NULL when full (counted). */
struct lrn_flowrec *lrn_flow_find(struct lrn *t, const struct lrn_flow_key *k);
/* *to += v, saturated: a file's counts are a technician's to edit, and a
 * count loaded at the top must not wrap to nothing at the next packet. */
static inline void lrn_add(uint64_t *to, uint64_t v)
{
	if (__builtin_add_overflow(*to, v, to))
		*to = UINT64_MAX;
}
/* Widens [*first, *last] to hold now_s (0 is "never"). */
void lrn_seen(uint64_t *first, uint64_t *last, uint64_t now_s);

/* polview.c: what propose.c and whatif.c both need of a policy and of
 * the records. */
struct flow_key;
struct pol;
struct pol_rule;

/* The key the initiator's SYN of a relation, or the first packet of a
 * flow record, would carry: what pol_match() judges. */
void lrn_rel_flowkey(const struct lrn_rel *r, struct flow_key *k);
void lrn_flowrec_flowkey(const struct lrn_flowrec *f, struct flow_key *k);

/* Which rules of pol some relation or flow of t matches (used[index]);
 * calloc'ed, NULL when out of memory. */
bool *lrn_rules_used(const struct lrn *t, const struct pol *pol);

/* "2026-12-06T14:15:25Z" */
const char *lrn_time(uint64_t s, char buf[24]);
/* The classes of a relation a policy must allow: those a command was seen
 * on; when none was, those accepted; when none was, those proposed. A
 * peer that offers a hundred classes and sends one needs that one. */
bool lrn_class_used(const struct lrn_rel *r, const struct lrn_class *c);
/* The commands seen on a class, both ways. */
uint32_t lrn_class_cmds(const struct lrn_class *c);
/* "PROTO SRC -> DST[ port P][ CALLING -> CALLED][ FAULT]" of a record. */
void lrn_put_flow(FILE *out, const struct lrn_flowrec *f);
/* "C-ECHO C-STORE" into buf; returns buf. */
const char *lrn_cmd_names(uint32_t bits, char *buf, size_t size);

#endif
