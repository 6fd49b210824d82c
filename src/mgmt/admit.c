/* Admission of accepted connections to the TLS handshake pool
 * (docs/mgmt.md, "Connections"), like OpenSSH's MaxStartups.
 *
 * Handshakes in progress share a small pool (MGMT_STARTUPS) with a short
 * absolute deadline, and one source may hold only MGMT_STARTUPS_PER_SOURCE
 * of it. What cannot start yet waits, accepted but untouched, in a bounded
 * queue under a deadline of twice a handshake's (MGMT_WAITING_PER_SOURCE
 * of it a source: a newcomer beyond them closes the oldest of its source's),
 * the sources holding fewest handshakes first. When the queue is full, the source
 * holding most of it loses its oldest. When the pool is full, a source
 * holding less of it takes the place of the oldest handshake of the source
 * holding most, and failing that the oldest handshake of all goes once it
 * is MGMT_EVICT_AFTER_MS old (conntrack's early drop). A source whose
 * handshakes end unfinished (evicted, timed out, closed by the peer) is
 * remembered as stalled for a while and waits behind those that are not.
 *
 * A source is an IPv4 address or an IPv6 /64; an IPv6 /56 and /48 are
 * sources too, with twice and four times the limits, and a share counted
 * by the same scale (a /48 holding 8 handshakes ranks like an address
 * holding 2): a stranger with a /48 is one source of weight, not 65,536. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mgmt/conn.h"

/* A source's levels: an IPv6 /64, /56 and /48 (an IPv4 address is its
 * own source at every level). */
#define MGMT_LEVELS 3

/* A source's count of connections at each level. */
struct mgmt_share {
	unsigned n[MGMT_LEVELS];
};

/* Bytes compared at each level of an IPv6 source: /64, /56, /48. */
static const unsigned mgmt_level_bytes[MGMT_LEVELS] = { 8, 7, 6 };

/* ::ffff:a.b.c.d, compared bytewise (src need not be aligned). */
static bool mgmt_src_v4(const uint8_t src[16])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(src, mapped, sizeof(mapped));
}

/* Whether a and b are the same source at a level (an IPv4 address is
 * its own source at every level). */
static bool mgmt_same(const uint8_t a[16], const uint8_t b[16], unsigned level)
{
	if (!level || mgmt_src_v4(a) || mgmt_src_v4(b))
		return !memcmp(a, b, 16);
	return !memcmp(a, b, mgmt_level_bytes[level]);
}

/* A level's count weighs half the one below it. */
static unsigned mgmt_weight(const struct mgmt_share *sh)
{
	unsigned w = 0;

	for (unsigned l = 0; l < MGMT_LEVELS; l++)
		w = sh->n[l] >> l > w ? sh->n[l] >> l : w;
	return w;
}

/* The level at which a share has reached limit (a level's limit doubles
 * the one below), or -1. */
static int mgmt_full(const struct mgmt_share *sh, unsigned limit)
{
	for (unsigned l = 0; l < MGMT_LEVELS; l++) {
		if (sh->n[l] >= limit << l)
			return (int)l;
	}
	return -1;
}

/* Adds k (a's count) to src's share at each level a shares with it. */
static void mgmt_count(struct mgmt_share *sh, const uint8_t a[16], const uint8_t src[16],
		       unsigned k)
{
	for (unsigned l = 0; l < MGMT_LEVELS; l++)
		sh->n[l] += mgmt_same(a, src, l) ? k : 0;
}

/* The source an admission share is counted by: the IPv4 address, or the
 * /64 of an IPv6 one (a host has a whole /64 to pick addresses from). */
static void mgmt_source(const struct sockaddr_storage *sa, uint8_t src[16], char *peer,
			size_t size)
{
	const struct sockaddr_in *v4 = (const void *)sa;
	const struct sockaddr_in6 *v6 = (const void *)sa;
	char a[INET6_ADDRSTRLEN] = "?";

	memset(src, 0, 16);
	if (sa->ss_family == AF_INET) {
		src[10] = src[11] = 0xff;
		memcpy(src + 12, &v4->sin_addr, 4);
		inet_ntop(AF_INET, &v4->sin_addr, a, sizeof(a));
	} else if (sa->ss_family == AF_INET6) {
		memcpy(src, &v6->sin6_addr, IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) ? 16 : 8);
		inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof(a));
	}
	snprintf(peer, size, "%s:%u", a,
		 ntohs(sa->ss_family == AF_INET6 ? v6->sin6_port : v4->sin_port));
}

/* --- the stalled: sources whose handshakes end unfinished, for a while ------- */

/* The live stall counts of a /48 (of an IPv4 address: its own), from one
 * walk of the table: their sum, and while that sum is short of marking
 * the /48, the counts themselves (each live one is 1 at least, so all of
 * them fit): what every /64 and /56 in it is judged by. */
struct mgmt_stalls48 {
	unsigned total;
	unsigned n;
	const struct mgmt_stall *e[MGMT_STALLS << (MGMT_LEVELS - 1)];
};

static void mgmt_stalls48(const struct mgmt_server *s, const uint8_t src[16], uint64_t now,
			  struct mgmt_stalls48 *g)
{
	g->total = g->n = 0;
	for (unsigned i = 0; i < MGMT_STALLED; i++) {
		const struct mgmt_stall *e = &s->stalled[i];

		if (e->until_ms <= now || !mgmt_same(e->src, src, MGMT_LEVELS - 1))
			continue;
		g->total += e->n;
		if (g->n < sizeof(g->e) / sizeof(g->e[0]))
			g->e[g->n++] = e;
	}
}

/* Whether src, of g's /48, stalled lately: MGMT_STALLS unfinished
 * handshakes from its /64 (or IPv4 address), twice that from its /56,
 * four times from its /48 (the scale of the limits: a stranger with a /48
 * cannot step past its marks to fresh /64s). One slow handshake of an
 * honest client is not. */
static bool mgmt_stalled(const struct mgmt_stalls48 *g, const uint8_t src[16])
{
	struct mgmt_share sh = { { 0 } };

	if (g->total >= MGMT_STALLS << (MGMT_LEVELS - 1))
		return true;
	for (unsigned i = 0; i < g->n; i++)
		mgmt_count(&sh, g->e[i]->src, src, g->e[i]->n);
	return mgmt_full(&sh, MGMT_STALLS) >= 0;
}

/* Counts an unfinished handshake of src's (one the peer closed, one timed
 * out or evicted: a stranger closing its own just before eviction stalls
 * too), or clears its count when one finished (a stranger has no
 * certificate to finish one). A stalled source's connections that wait,
 * and those it opens meanwhile, go behind those of sources that hold as
 * much but did not stall. The table is fixed: when full, the count that
 * ends soonest gives way. */
void mgmt_handshake_ended(struct mgmt_server *s, const uint8_t src[16], bool finished)
{
	uint64_t now = mgmt_now_ms();
	struct mgmt_stall *slot = &s->stalled[0];
	struct mgmt_stalls48 g;

	for (unsigned i = 0; i < MGMT_STALLED; i++) {
		struct mgmt_stall *e = &s->stalled[i];

		if (!memcmp(e->src, src, 16)) {
			slot = e;
			break;
		}
		if (e->until_ms < slot->until_ms)
			slot = e;
	}
	if (finished && memcmp(slot->src, src, 16))
		return;		/* nothing counted */
	if (finished || memcmp(slot->src, src, 16) || slot->until_ms <= now)
		slot->n = 0;
	memcpy(slot->src, src, 16);
	slot->n += !finished;
	slot->until_ms = slot->n ? now + MGMT_STALLED_MS : 0;
	/* Its /48's counts once, for each of its waiting connections. */
	mgmt_stalls48(s, src, now, &g);
	for (unsigned i = 0; i < s->nwaiting; i++) {
		struct mgmt_waiting *w = &s->waiting[i];

		if (mgmt_same(w->src, src, MGMT_LEVELS - 1))
			w->stalled = mgmt_stalled(&g, w->src);
	}
}

/* --- the pool: handshakes in progress ------------------------------------------ */

/* The handshakes in progress, oldest first, counted once a call of
 * mgmt_admit() or mgmt_enqueue() and kept up to date by mgmt_try_start(). */
struct mgmt_pool {
	unsigned n;
	unsigned top;			/* the weight of the source holding most */
	struct mgmt_conn *top_oldest;	/* that source's oldest handshake */
	struct mgmt_conn *hs[MGMT_STARTUPS];
};

static void mgmt_pool_share(const struct mgmt_pool *p, const uint8_t src[16],
			    struct mgmt_share *sh)
{
	memset(sh, 0, sizeof(*sh));
	for (unsigned i = 0; i < p->n; i++)
		mgmt_count(sh, p->hs[i]->src, src, 1);
}

/* The first entry (oldest first) of the heaviest weight is the oldest of
 * its source at the level that weight comes from: an older one of that
 * source would weigh as much and have come first. */
static void mgmt_pool_top(struct mgmt_pool *p)
{
	struct mgmt_share sh;

	p->top = 0;
	p->top_oldest = NULL;
	for (unsigned i = 0; i < p->n; i++) {
		mgmt_pool_share(p, p->hs[i]->src, &sh);
		if (mgmt_weight(&sh) > p->top) {
			p->top = mgmt_weight(&sh);
			p->top_oldest = p->hs[i];
		}
	}
}

static void mgmt_pool_fill(struct mgmt_server *s, struct mgmt_pool *p)
{
	p->n = 0;
	for (int k = 0; k < MGMT_CONNS && p->n < MGMT_STARTUPS; k++) {
		struct mgmt_conn *c = &s->c[k];
		unsigned i;

		if (c->state != CONN_HANDSHAKE)
			continue;
		for (i = p->n++; i > 0 && p->hs[i - 1]->since_ms > c->since_ms; i--)
			p->hs[i] = p->hs[i - 1];
		p->hs[i] = c;
	}
	mgmt_pool_top(p);
}

static void mgmt_pool_remove(struct mgmt_pool *p, const struct mgmt_conn *c)
{
	unsigned i = 0;

	while (i < p->n && p->hs[i] != c)
		i++;
	if (i == p->n)
		return;
	memmove(&p->hs[i], &p->hs[i + 1], (p->n - i - 1) * sizeof(p->hs[0]));
	p->n--;
}

/* The oldest handshake, once MGMT_EVICT_AFTER_MS old (now was read
 * before the handshakes started in this call: theirs may be later). */
static struct mgmt_conn *mgmt_pool_ripe(const struct mgmt_pool *p, uint64_t now)
{
	return p->n && now >= p->hs[0]->since_ms + MGMT_EVICT_AFTER_MS ? p->hs[0] : NULL;
}

static struct mgmt_conn *mgmt_start(struct mgmt_server *s, const struct mgmt_waiting *w)
{
	static const int one = 1;
	struct mgmt_conn *c = NULL;

	for (int i = 0; i < MGMT_CONNS && !c; i++)
		c = s->c[i].state == CONN_FREE ? &s->c[i] : NULL;
	/* Nagle would hold a record back for the peer's delayed ACK. */
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!c || conn_open(s, c, w->fd)) {
		close(w->fd);
		return NULL;
	}
	memcpy(c->src, w->src, sizeof(c->src));
	memcpy(c->peer, w->peer, sizeof(c->peer));
	return c;
}

/* Whether a connection from w->src, whose source holds sh of the pool,
 * may start its handshake now: in the pool if it has room; else in place
 * of the oldest handshake of the source holding most of it, when that
 * source weighs two more (a stranger flooding from a few addresses cannot
 * keep an operator's address out); else in place of the oldest handshake
 * of all once it is MGMT_EVICT_AFTER_MS old (conntrack's early drop:
 * strangers stalling one handshake from each of many addresses hold the
 * pool that long, not the whole handshake timeout, and an honest handshake
 * ends well inside it). Starts it and returns true, or returns false: it
 * waits. */
static bool mgmt_try_start(struct mgmt_server *s, struct mgmt_pool *p,
			   const struct mgmt_waiting *w, const struct mgmt_share *sh,
			   uint64_t now)
{
	struct mgmt_conn *victim = NULL, *c;

	if (mgmt_full(sh, MGMT_STARTUPS_PER_SOURCE) >= 0)
		return false;
	if (p->n >= MGMT_STARTUPS && mgmt_weight(sh) + 1 < p->top) {
		victim = p->top_oldest;
		s->m->st.away[AWAY_EARLY_DROP]++;
		mgmt_log("turned away %s: dropped from the full handshake pool", victim->peer);
	} else if (p->n >= MGMT_STARTUPS) {
		if (!(victim = mgmt_pool_ripe(p, now)))
			return false;
		s->m->st.away[AWAY_EVICTED]++;
		mgmt_log("turned away %s: evicted from the full handshake pool after %u ms",
			 victim->peer, (unsigned)(now - victim->since_ms));
	}
	if (victim) {
		mgmt_pool_remove(p, victim);
		conn_close(s, victim, false);
	}
	if ((c = mgmt_start(s, w)))
		p->hs[p->n++] = c;
	mgmt_pool_top(p);
	return true;
}

/* Starts the handshakes of waiting connections: those whose source holds
 * the fewest handshakes first, then those whose source has not stalled
 * lately (fair queueing: a source's second connection waits behind every
 * other source's first, and a stranger whose handshakes end unfinished
 * waits behind a newcomer, so the operator's address, holding nothing,
 * waits only for others that hold nothing and stalled nothing). Among
 * equals the newest first (a client arriving into a flood of strangers'
 * connections, each from an address of its own, does not wait behind all
 * of them: what times out is the backlog), but one passed over by
 * MGMT_PASSED_MAX newer ones goes before them (the newest of those first:
 * the newest but one turn of the pool old), so a stranger who always has
 * a newer connection ready when a place frees cannot keep a waiting
 * client out past that turn.
 * w->level: that rank (weight + stalled) when last looked at; it only
 * grows within a call (sh[i], each one's share, is counted once a call
 * and grows as its /48 starts handshakes; a share that shrinks when a
 * handshake is evicted waits for the next call). */
void mgmt_admit(struct mgmt_server *s)
{
	static struct mgmt_share sh[MGMT_WAITING];
	uint64_t now = mgmt_now_ms();
	struct mgmt_pool p;
	unsigned kept = 0, newer = 0, n = s->nwaiting;

	if (!n)
		return;
	mgmt_pool_fill(s, &p);
	for (unsigned i = 0; i < n; i++) {
		s->waiting[i].level = 0;
		mgmt_pool_share(&p, s->waiting[i].src, &sh[i]);
	}
	for (unsigned level = 0; level <= MGMT_STARTUPS_PER_SOURCE; level++) {
		/* Full, nothing to evict, no source to take from: none can
		 * start (taking from one needs weight + 1 < top, weight >=
		 * level - 1, and >= 0: at level 0 too, a top of 1 takes from
		 * none, as under one stalled handshake from each of many
		 * addresses between two evictions). */
		if (p.n >= MGMT_STARTUPS && !mgmt_pool_ripe(&p, now) &&
		    (level ? level : 1) >= p.top)
			break;
		/* Newest first twice: those passed over enough, then the rest. */
		for (unsigned k = 0; k < 2 * n; k++) {
			unsigned i = (k < n ? n : 2 * n) - 1 - k;
			struct mgmt_waiting *w = &s->waiting[i];

			if (w->fd < 0 || w->level > level ||
			    (k < n) != (w->passed >= MGMT_PASSED_MAX))
				continue;
			w->level = (uint8_t)(mgmt_weight(&sh[i]) + w->stalled);
			if (w->level != level || !mgmt_try_start(s, &p, w, &sh[i], now))
				continue;
			w->fd = -1;
			for (unsigned j = 0; j < n; j++)
				mgmt_count(&sh[j], w->src, s->waiting[j].src, 1);
		}
	}
	/* Newest to oldest: each still waiting was passed over by those started
	 * that came after it. */
	for (unsigned i = n; i-- > 0;) {
		struct mgmt_waiting *w = &s->waiting[i];

		if (w->fd < 0)
			newer++;
		else if (w->passed + newer < MGMT_PASSED_MAX)
			w->passed = (uint16_t)(w->passed + newer);
		else
			w->passed = MGMT_PASSED_MAX;
	}
	for (unsigned i = 0; i < n; i++) {
		if (s->waiting[i].fd >= 0)
			s->waiting[kept++] = s->waiting[i];
	}
	s->nwaiting = kept;
}

/* --- the queue ------------------------------------------------------------------- */

void mgmt_unwait(struct mgmt_server *s, unsigned i)
{
	close(s->waiting[i].fd);
	memmove(&s->waiting[i], &s->waiting[i + 1],
		(s->nwaiting - i - 1) * sizeof(s->waiting[0]));
	s->nwaiting--;
}

/* The first (oldest) waiting connection of src's source at a level. */
static unsigned mgmt_oldest_waiting(const struct mgmt_server *s, const uint8_t src[16],
				    unsigned level)
{
	unsigned i = 0;

	while (i < s->nwaiting && !mgmt_same(s->waiting[i].src, src, level))
		i++;
	return i;
}

/* Queue entries by source, then by age: the entries of a source at every
 * level (a /64, its /56, its /48) are a run of the sorted array. */
struct mgmt_key {
	uint8_t src[16];
	uint16_t i;
	uint16_t weight;
	bool stalled;
};

static int mgmt_key_cmp(const void *a, const void *b)
{
	const struct mgmt_key *x = a, *y = b;
	int d = memcmp(x->src, y->src, 16);

	return d ? d : (int)x->i - (int)y->i;
}

/* The early drop of a full queue: the oldest waiting connection of the
 * source holding most of it (its weight, as in the pool, one more when it
 * stalled lately), the newcomer (index nwaiting) counted in; among equals
 * the oldest. So a source holding one place loses it only when every
 * source holds one. A sort of the queue (513 entries: tens of µs) for
 * each newcomer while the queue is full. */
static unsigned mgmt_queue_victim(const struct mgmt_server *s, const struct mgmt_waiting *nw)
{
	static struct mgmt_key key[MGMT_WAITING + 1];
	unsigned n = s->nwaiting + 1, best = 0, end;

	for (unsigned i = 0; i < n; i++) {
		const struct mgmt_waiting *w = i < s->nwaiting ? &s->waiting[i] : nw;

		memcpy(key[i].src, w->src, 16);
		key[i].i = (uint16_t)i;
		key[i].weight = 0;
		key[i].stalled = w->stalled;
	}
	qsort(key, n, sizeof(key[0]), mgmt_key_cmp);
	for (unsigned l = 0; l < MGMT_LEVELS; l++) {
		for (unsigned i = 0; i < n; i = end) {
			for (end = i + 1; end < n && mgmt_same(key[end].src, key[i].src, l);)
				end++;
			for (unsigned k = i; k < end; k++) {
				if ((end - i) >> l > key[k].weight)
					key[k].weight = (uint16_t)((end - i) >> l);
			}
		}
	}
	for (unsigned i = 1; i < n; i++) {
		unsigned wi = key[i].weight + key[i].stalled, wb = key[best].weight + key[best].stalled;

		if (wi > wb || (wi == wb && key[i].i < key[best].i))
			best = i;
	}
	return key[best].i;
}

void mgmt_enqueue(struct mgmt_server *s, int fd, const struct sockaddr_storage *sa)
{
	uint64_t now = mgmt_now_ms();
	/* A burst of honest pollers waits its turn: twice a handshake's time
	 * to start, then a handshake's time to finish. */
	struct mgmt_waiting w = { .fd = fd, .deadline_ms = now + 2 * s->m->cfg->handshake_ms };
	struct mgmt_stalls48 g;
	struct mgmt_share sh;
	struct mgmt_pool p;
	unsigned victim;
	int level;

	mgmt_source(sa, w.src, w.peer, sizeof(w.peer));
	mgmt_stalls48(s, w.src, now, &g);
	w.stalled = mgmt_stalled(&g, w.src);
	/* Straight in when it may: a burst behind it must not push it out of
	 * the queue before its turn. Not in place of another, though, past
	 * those that wait: theirs is the first claim (mgmt_admit's order). */
	if (!s->nwaiting || s->startups < MGMT_STARTUPS) {
		mgmt_pool_fill(s, &p);
		mgmt_pool_share(&p, w.src, &sh);
		if (mgmt_try_start(s, &p, &w, &sh, now))
			return;
	}
	memset(&sh, 0, sizeof(sh));
	for (unsigned i = 0; i < s->nwaiting; i++)
		mgmt_count(&sh, s->waiting[i].src, w.src, 1);
	if ((level = mgmt_full(&sh, MGMT_WAITING_PER_SOURCE)) >= 0) {
		/* Its source's share is full: the oldest of it goes, whose
		 * client is the likeliest to have given up and gone idle;
		 * another source's place is never taken. */
		victim = mgmt_oldest_waiting(s, w.src, (unsigned)level);
		s->m->st.away[AWAY_SOURCE]++;
		mgmt_log("turned away %s: %u connections from its source wait, the oldest closed",
			 s->waiting[victim].peer, sh.n[level]);
		mgmt_unwait(s, victim);
	}
	if (s->nwaiting == MGMT_WAITING) {
		victim = mgmt_queue_victim(s, &w);
		s->m->st.away[AWAY_EARLY_DROP]++;
		mgmt_log("turned away %s: %u connections wait for a handshake slot",
			 victim == MGMT_WAITING ? w.peer : s->waiting[victim].peer, MGMT_WAITING);
		if (victim == MGMT_WAITING) {
			close(fd);
			return;
		}
		mgmt_unwait(s, victim);
	}
	s->waiting[s->nwaiting++] = w;
}
