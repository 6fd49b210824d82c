/* The TLS front of scanwall-mgmtd: one poll() loop, a table of
 * connections, non-blocking mbedtls sessions (docs/mgmt.md, "Connections").
 *
 * Admission works like OpenSSH's MaxStartups: handshakes in progress share
 * a small pool (MGMT_STARTUPS) with a short absolute deadline, and one
 * source may hold only MGMT_STARTUPS_PER_SOURCE of it. What cannot start
 * yet waits, accepted but untouched, in a bounded queue under the same
 * deadline (MGMT_WAITING_PER_SOURCE of it a source: a newcomer beyond
 * them closes the oldest of its source's), the sources holding fewest
 * handshakes first. Random early drop: when the queue is full a random
 * entry of it is dropped (a source that floods it is hit in proportion to
 * its share). When the pool is full, a source holding less of it takes
 * the place of the oldest handshake of the source holding most, and
 * failing that the oldest handshake of all goes once it is
 * MGMT_EVICT_AFTER_MS old (conntrack's early drop).
 * A finished handshake becomes a session (conn.c), which no stranger holds.
 * Calls to the control socket are synchronous: it is a local daemon
 * answering from memory, and ctl_request() bounds each call. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <mbedtls/net_sockets.h>

#include "scanwall/bootclock.h"
#include "mgmt/conn.h"
#include "mgmt/server.h"

#define MGMT_EVENTS_POLL_MS 1000
#define MGMT_BACKLOG 1024

static volatile sig_atomic_t mgmt_stop, mgmt_hup;

uint64_t mgmt_now_ms(void)
{
	return sw_clock_ns(CLOCK_MONOTONIC) / 1000000u;
}

const int mgmt_refusal_codes[MGMT_REFUSALS] = { 400, 411, 413, 414, 431, 403, 503 };

void mgmt_count_refusal(struct mgmt *m, int status)
{
	for (size_t i = 0; i < MGMT_REFUSALS; i++) {
		if (mgmt_refusal_codes[i] == status)
			m->st.refused[i]++;
	}
}

const char *mgmt_away_name(enum mgmt_away why)
{
	static const char *const names[AWAY__COUNT] = {
		[AWAY_SOURCE] = "source", [AWAY_EARLY_DROP] = "early-drop",
		[AWAY_EVICTED] = "evicted",
		[AWAY_SESSIONS] = "sessions", [AWAY_UPLOADS] = "uploads",
	};

	return (unsigned)why < AWAY__COUNT ? names[why] : "?";
}

/* --- admission ---------------------------------------------------------------- */

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

/* Handshakes in progress per source, for the few sources in the pool,
 * and the one that may be evicted for a newcomer. */
struct mgmt_shares {
	unsigned n, top;		/* top: the entry with the largest count */
	struct mgmt_conn *ripe;		/* the oldest handshake, if MGMT_EVICT_AFTER_MS old */
	struct { uint8_t src[16]; unsigned count; } e[MGMT_STARTUPS];
};

static unsigned mgmt_share(const struct mgmt_shares *sh, const uint8_t src[16])
{
	for (unsigned i = 0; i < sh->n; i++) {
		if (!memcmp(sh->e[i].src, src, 16))
			return sh->e[i].count;
	}
	return 0;
}

/* The oldest handshake in progress, of source src (NULL: of any). */
static struct mgmt_conn *mgmt_oldest(struct mgmt_server *s, const uint8_t *src)
{
	struct mgmt_conn *old = NULL;

	for (int i = 0; i < MGMT_CONNS; i++) {
		struct mgmt_conn *c = &s->c[i];

		if (c->state != CONN_HANDSHAKE || (src && memcmp(c->src, src, 16)))
			continue;
		if (!old || c->since_ms < old->since_ms)
			old = c;
	}
	return old;
}

static void mgmt_shares(struct mgmt_server *s, struct mgmt_shares *sh)
{
	sh->n = sh->top = 0;
	for (int i = 0; i < MGMT_CONNS; i++) {
		const struct mgmt_conn *c = &s->c[i];
		unsigned k = 0;

		if (c->state != CONN_HANDSHAKE)
			continue;
		while (k < sh->n && memcmp(sh->e[k].src, c->src, 16))
			k++;
		if (k == sh->n) {
			memcpy(sh->e[sh->n].src, c->src, 16);
			sh->e[sh->n++].count = 0;
		}
		if (++sh->e[k].count > sh->e[sh->top].count)
			sh->top = k;
	}
	sh->ripe = mgmt_oldest(s, NULL);
	if (sh->ripe && mgmt_now_ms() - sh->ripe->since_ms < MGMT_EVICT_AFTER_MS)
		sh->ripe = NULL;
}

static void mgmt_start(struct mgmt_server *s, const struct mgmt_waiting *w)
{
	static const int one = 1;
	struct mgmt_conn *c = NULL;

	for (int i = 0; i < MGMT_CONNS && !c; i++)
		c = s->c[i].state == CONN_FREE ? &s->c[i] : NULL;
	/* Nagle would hold a record back for the peer's delayed ACK. */
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!c || conn_open(s, c, w->fd)) {
		close(w->fd);
		return;
	}
	memcpy(c->src, w->src, sizeof(c->src));
	memcpy(c->peer, w->peer, sizeof(c->peer));
}

/* A source whose handshake was evicted: its connections that wait go
 * behind those of sources that hold as much but did not stall. */
static void mgmt_stalled(struct mgmt_server *s, const uint8_t src[16])
{
	for (unsigned i = 0; i < s->nwaiting; i++)
		s->waiting[i].stalled |= !memcmp(s->waiting[i].src, src, 16);
}

/* Whether a connection from src may start its handshake now: in the pool
 * if it has room; else in place of the oldest handshake of the source
 * holding most of it, when that source holds two more than src (a
 * stranger flooding from a few addresses cannot keep an operator's
 * address out); else in place of the oldest handshake of all once it is
 * MGMT_EVICT_AFTER_MS old (conntrack's early drop: strangers stalling one
 * handshake from each of many addresses hold the pool that long, not the
 * whole handshake timeout, and an honest handshake ends well inside it).
 * Starts it and returns true, or returns false: it waits. */
static bool mgmt_try_start(struct mgmt_server *s, struct mgmt_shares *sh,
			   const struct mgmt_waiting *w)
{
	unsigned share = mgmt_share(sh, w->src);
	struct mgmt_conn *victim = NULL;

	if (share >= MGMT_STARTUPS_PER_SOURCE)
		return false;
	if (s->startups >= MGMT_STARTUPS && share + 1 < sh->e[sh->top].count) {
		victim = mgmt_oldest(s, sh->e[sh->top].src);
		s->m->st.away[AWAY_EARLY_DROP]++;
		mgmt_log("turned away %s: dropped from the full handshake pool", victim->peer);
	} else if (s->startups >= MGMT_STARTUPS) {
		if (!(victim = sh->ripe))
			return false;
		s->m->st.away[AWAY_EVICTED]++;
		mgmt_log("turned away %s: evicted from the full handshake pool after %u ms",
			 victim->peer, (unsigned)(mgmt_now_ms() - victim->since_ms));
	}
	if (victim) {
		mgmt_stalled(s, victim->src);
		conn_close(s, victim, false);
	}
	mgmt_start(s, w);
	mgmt_shares(s, sh);
	return true;
}

/* Starts the handshakes of waiting connections: those whose source holds
 * the fewest handshakes first, then those whose source did not just stall
 * one, the oldest first among equals (fair queueing: a source's second
 * connection waits behind every other source's first, and a stranger
 * whose handshakes are evicted as they stall waits behind a newcomer, so
 * the operator's address, holding nothing, waits only for others that
 * hold nothing and stalled nothing). w->level: that rank (share + stalled)
 * when last looked at; it only grows within a call (a share may shrink
 * when a handshake is evicted: that entry waits for the next call). */
static void mgmt_admit(struct mgmt_server *s)
{
	struct mgmt_shares sh;
	unsigned kept = 0;

	if (!s->nwaiting)
		return;
	mgmt_shares(s, &sh);
	for (unsigned i = 0; i < s->nwaiting; i++)
		s->waiting[i].level = 0;
	for (unsigned level = 0; level <= MGMT_STARTUPS_PER_SOURCE; level++) {
		/* Full, nothing to evict, no source to take from: none can
		 * start (taking from one needs share + 1 < top, share >= level - 1). */
		if (s->startups >= MGMT_STARTUPS && !sh.ripe && level >= sh.e[sh.top].count)
			break;
		for (unsigned i = 0; i < s->nwaiting; i++) {
			struct mgmt_waiting *w = &s->waiting[i];

			if (w->fd < 0 || w->level > level)
				continue;
			w->level = (uint8_t)(mgmt_share(&sh, w->src) + w->stalled);
			if (w->level == level && mgmt_try_start(s, &sh, w))
				w->fd = -1;
		}
	}
	for (unsigned i = 0; i < s->nwaiting; i++) {
		if (s->waiting[i].fd >= 0)
			s->waiting[kept++] = s->waiting[i];
	}
	s->nwaiting = kept;
}

static void mgmt_unwait(struct mgmt_server *s, unsigned i)
{
	close(s->waiting[i].fd);
	memmove(&s->waiting[i], &s->waiting[i + 1],
		(s->nwaiting - i - 1) * sizeof(s->waiting[0]));
	s->nwaiting--;
}

/* How many connections from src wait; *oldest: the first of them (the
 * queue is in the order of accept). */
static unsigned mgmt_waiting_from(const struct mgmt_server *s, const uint8_t src[16],
				  unsigned *oldest)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->nwaiting; i++) {
		if (memcmp(s->waiting[i].src, src, 16))
			continue;
		if (!n++)
			*oldest = i;
	}
	return n;
}

static void mgmt_enqueue(struct mgmt_server *s, int fd, const struct sockaddr_storage *sa)
{
	/* A burst of honest pollers waits its turn: twice a handshake's time
	 * to start, then a handshake's time to finish. */
	struct mgmt_waiting w = { .fd = fd,
				  .deadline_ms = mgmt_now_ms() + 2 * s->m->cfg->handshake_ms };
	struct mgmt_shares sh;
	uint32_t victim;
	unsigned oldest = 0;

	mgmt_source(sa, w.src, w.peer, sizeof(w.peer));
	/* Straight in when it may: a burst behind it must not push it out of
	 * the queue before its turn. Not in place of another, though, past
	 * those that wait: theirs is the first claim (mgmt_admit's order). */
	mgmt_shares(s, &sh);
	if ((!s->nwaiting || s->startups < MGMT_STARTUPS) && mgmt_try_start(s, &sh, &w))
		return;
	if (mgmt_waiting_from(s, w.src, &oldest) >= MGMT_WAITING_PER_SOURCE) {
		/* Its source's share is full: the oldest of it goes, whose
		 * client is the likeliest to have given up and gone idle;
		 * another source's place is never taken. */
		s->m->st.away[AWAY_SOURCE]++;
		mgmt_log("turned away %s: %u connections from its source wait, the oldest closed",
			 s->waiting[oldest].peer, MGMT_WAITING_PER_SOURCE);
		mgmt_unwait(s, oldest);
	}
	if (s->nwaiting == MGMT_WAITING) {
		/* Random early drop: the newcomer or one that waits. */
		victim = arc4random_uniform(MGMT_WAITING + 1);
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

static void mgmt_accept(struct mgmt_server *s)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	int fd;

	while ((fd = accept4(s->listen.fd, (struct sockaddr *)&sa, &salen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		s->m->st.connections++;
		mgmt_enqueue(s, fd, &sa);
		salen = sizeof(sa);
	}
	/* Out of descriptors: the backlog waits until the next tick rather
	 * than poll() waking for it without end. */
	if (errno == EMFILE || errno == ENFILE)
		s->accept_paused = true;
}

/* --- the loop ----------------------------------------------------------------- */

static void mgmt_on_signal(int sig)
{
	if (sig == SIGHUP)
		mgmt_hup = 1;
	else
		mgmt_stop = 1;
}

static void mgmt_deadlines(struct mgmt_server *s, uint64_t now)
{
	unsigned i = 0;

	for (int k = 0; k < MGMT_CONNS; k++) {
		struct mgmt_conn *c = &s->c[k];

		if (c->state == CONN_FREE || now < c->deadline_ms)
			continue;
		s->m->st.timeouts[c->phase]++;
		/* A keep-alive connection left idle is no one's fault. */
		if (c->phase != PH_IDLE)
			mgmt_log("refused %s %s: timed out (%s)", c->peer, c->who,
				 mgmt_phase_name(c->phase));
		conn_close(s, c, c->phase == PH_IDLE);
	}
	while (i < s->nwaiting) {
		if (now < s->waiting[i].deadline_ms) {
			i++;
			continue;
		}
		s->m->st.timeouts[PH_HANDSHAKE]++;
		mgmt_log("refused %s: timed out (waiting for a handshake slot)",
			 s->waiting[i].peer);
		mgmt_unwait(s, i);
	}
}

/* Slots whose TLS layer already holds decrypted bytes must not wait for
 * the socket: poll() cannot see them. */
static int mgmt_fill_poll(struct mgmt_server *s, struct pollfd *pfd, int *map, int *timeout)
{
	int n = 1;
	short ev;

	pfd[0] = (struct pollfd){ .fd = s->accept_paused ? -1 : s->listen.fd, .events = POLLIN };
	for (int i = 0; i < MGMT_CONNS; i++) {
		struct mgmt_conn *c = &s->c[i];

		if (c->state == CONN_FREE)
			continue;
		if (conn_pending(c))
			*timeout = 0;
		pfd[n] = (struct pollfd){ .fd = c->net.fd, .events = c->want };
		map[n++] = i;
	}
	pfd[n] = (struct pollfd){ .fd = -1 };
	if (s->m->syslog && (pfd[n].fd = mgmt_syslog_pollfd(s->m->syslog, &ev)) >= 0)
		pfd[n].events = ev;
	return n;
}

static void mgmt_service(struct mgmt_server *s, struct pollfd *pfd, const int *map, int n)
{
	if (pfd[0].revents & POLLIN)
		mgmt_accept(s);
	for (int k = 1; k < n; k++) {
		struct mgmt_conn *c = &s->c[map[k]];

		if (pfd[k].revents || conn_pending(c)) {
			c->ready = false;
			conn_step(s, c);
		}
	}
}

int mgmt_server_run(struct mgmt_server *s)
{
	static struct pollfd pfd[MGMT_CONNS + 2];
	static int map[MGMT_CONNS + 2];
	uint64_t next_events = 0, next_crl = 0, now;
	struct sigaction sa = { .sa_handler = mgmt_on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!mgmt_stop) {
		int timeout = 250, n = mgmt_fill_poll(s, pfd, map, &timeout);

		if (poll(pfd, (nfds_t)n + 1, timeout) < 0 && errno != EINTR)
			return -errno;
		if (!pfd[0].revents)
			s->accept_paused = false;
		mgmt_service(s, pfd, map, n);
		now = mgmt_now_ms();
		mgmt_deadlines(s, now);
		mgmt_admit(s);
		s->m->now.waiting = s->nwaiting;
		s->m->now.startups = s->startups;
		s->m->now.sessions = s->sessions;
		s->m->st.resumed = s->tls->resumed;
		if (mgmt_hup || now >= next_crl) {
			mgmt_crl_watch(s->m, s->tls, mgmt_hup);
			mgmt_hup = 0;
			next_crl = now + 1000;
		}
		if (s->m->syslog && now >= next_events) {
			mgmt_syslog_poll_events(s->m);
			next_events = now + MGMT_EVENTS_POLL_MS;
		}
		if (s->m->syslog)
			mgmt_syslog_run(s->m->syslog, now);
	}
	mgmt_log("stopping");
	return 0;
}

/* --- setup ---------------------------------------------------------------------- */

/* "ADDR:PORT" or "[V6ADDR]:PORT". */
int mgmt_hostport(const char *hp, char *host, size_t size, const char **port)
{
	const char *colon = strrchr(hp, ':');
	size_t n;

	if (!colon || !colon[1])
		return -EINVAL;
	n = (size_t)(colon - hp);
	if (n >= 2 && hp[0] == '[' && hp[n - 1] == ']') {
		hp++;
		n -= 2;
	}
	if (n == 0 || n >= size)
		return -EINVAL;
	memcpy(host, hp, n);
	host[n] = 0;
	*port = colon + 1;
	return 0;
}

static int mgmt_bind(struct mgmt_server *s, const char *addr)
{
	char host[64], msg[128];
	const char *port;
	int ret;

	if (mgmt_hostport(addr, host, sizeof(host), &port))
		return -EINVAL;
	ret = mbedtls_net_bind(&s->listen, host, port, MBEDTLS_NET_PROTO_TCP);
	if (ret) {
		mgmt_log("listen %s: %s", addr, mgmt_tls_strerror(ret, msg, sizeof(msg)));
		return -EADDRNOTAVAIL;
	}
	/* mbedtls listens with a backlog of 10: a burst of pollers would see
	 * SYNs dropped and retried a second later. */
	listen(s->listen.fd, MGMT_BACKLOG);
	return mbedtls_net_set_nonblock(&s->listen) ? -EIO : 0;
}

struct mgmt_server *mgmt_server_new(struct mgmt *m)
{
	struct mgmt_server *s = calloc(1, sizeof(*s));
	const struct mgmt_cfg *cfg = m->cfg;
	int err = -ENOMEM;

	if (!s)
		return NULL;
	s->m = m;
	mbedtls_net_init(&s->listen);
	s->tls = mgmt_tls_new(MBEDTLS_SSL_IS_SERVER, cfg->cert, cfg->key, cfg->client_ca);
	if (!s->tls)
		goto out_free;
	/* Logged at every start, so the fingerprint to pin is always at hand. */
	mgmt_cert_describe(&s->tls->cert, &m->cert);
	mgmt_log("certificate %s: %s, valid %s to %s, SHA256 Fingerprint=%s", cfg->cert,
		 m->cert.subject, m->cert.not_before, m->cert.not_after, m->cert.sha256);
	if (cfg->crls && (err = mgmt_crl_load(m, s->tls)))
		goto out_free;
	if (cfg->roles && !(s->roles = mgmt_roles_load(cfg->roles))) {
		err = -errno;
		mgmt_log("roles %s: %s", cfg->roles, strerror(errno));
		goto out_free;
	}
	err = mgmt_bind(s, cfg->listen);
	if (err)
		goto out_free;
	return s;

out_free:
	err = s->tls ? err : -EINVAL;
	mgmt_server_free(s);
	errno = -err;
	return NULL;
}

void mgmt_server_free(struct mgmt_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < MGMT_CONNS; i++)
		conn_close(s, &s->c[i], false);
	while (s->nwaiting)
		mgmt_unwait(s, s->nwaiting - 1);
	mbedtls_net_free(&s->listen);
	mgmt_roles_free(s->roles);
	mgmt_tls_free(s->tls);
	mgmt_crl_free(s->m);
	free(s);
}
