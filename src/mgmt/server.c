/* The TLS front of scanwall-mgmtd: one poll() loop, a table of
 * connections, non-blocking mbedtls sessions (docs/mgmt.md, "Connections").
 *
 * What is accepted goes through admission (admit.c: a handshake pool,
 * per-source shares, a waiting queue). A finished handshake becomes a
 * session (conn.c), which no stranger holds.
 * Calls to the control socket are synchronous: it is a local daemon
 * answering from memory, and ctl_request() bounds each call. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

/* --- accept ------------------------------------------------------------------- */

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
