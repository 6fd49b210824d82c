/* One client connection of scanwall-mgmtd and the table that holds them
 * (conn.c: the per-connection state machine; server.c: the loop, accept
 * and admission). Private to src/mgmt. */
#ifndef SCANWALL_MGMT_CONN_H
#define SCANWALL_MGMT_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "scanwall/config.h"
#include "mgmt/mgmt.h"

/* Like OpenSSH's MaxStartups (docs/mgmt.md, "Connections"): handshakes in
 * progress have a small pool of their own, a short absolute deadline and
 * a per-source share; finished handshakes become sessions, which a
 * stranger never holds. */
#define MGMT_STARTUPS CONFIG_MGMT_STARTUPS	/* handshakes in progress */
#define MGMT_STARTUPS_PER_SOURCE CONFIG_MGMT_STARTUPS_PER_SOURCE	/* of them from one source (admit.c) */
/* A handshake this old may be evicted from a full pool for a newcomer. */
#define MGMT_EVICT_AFTER_MS CONFIG_MGMT_EVICT_AFTER_MS
#define MGMT_SESSIONS 256		/* authenticated connections */
#define MGMT_OPERATOR_SESSIONS 8	/* of them, never given to a reader */
#define MGMT_CONNS (MGMT_STARTUPS + MGMT_SESSIONS)
#define MGMT_BODIES 2			/* uploads being received at once */
#define MGMT_ANSWER_MS 30000		/* absolute, to take the whole answer */
#define MGMT_OBUF 4096			/* TLS records gathered into one write */
#define MGMT_WAITING 512		/* accepted, waiting for a handshake slot */
#define MGMT_WAITING_PER_SOURCE CONFIG_MGMT_WAITING_PER_SOURCE	/* of them from one source */
/* A source whose handshakes ended unfinished MGMT_STALLS times (closed by
 * the peer, timed out, evicted), each within this long of the last, waits
 * behind the others of its weight this long, reconnecting or not: whoever
 * shares the source (its /64, its NAT address, its /48) can mark it so.
 * MGMT_STALLED sources are remembered: more than the pool evicts in that
 * time (32 every MGMT_EVICT_AFTER_MS, 640); handshakes closed sooner from
 * more sources churn the table, the oldest marks (mostly theirs) giving way. */
#define MGMT_STALLED_MS 10000
#define MGMT_STALLS 2
#define MGMT_STALLED 1024
/* A waiting connection passed over by this many newer ones goes before them
 * (mgmt_admit's order): a turn of the pool. */
#define MGMT_PASSED_MAX MGMT_STARTUPS
#define MGMT_FDS_MAX (MGMT_CONNS + MGMT_WAITING + 64)	/* + listen, control, syslog, files */

enum conn_state { CONN_FREE, CONN_HANDSHAKE, CONN_READ, CONN_WRITE };
/* What a connection waits for: names its deadline and its timeout count. */
enum conn_phase { PH_HANDSHAKE, PH_IDLE, PH_HEAD, PH_BODY, PH_ANSWER, PH__COUNT };

struct mgmt_conn {
	enum conn_state state;
	enum conn_phase phase;
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;	/* set up when the handshake starts, freed at close */
	enum mgmt_role role;
	short want;			/* POLLIN or POLLOUT */
	uint64_t deadline_ms;
	uint64_t since_ms;		/* the handshake's start: the oldest is evicted first */
	uint8_t src[16];		/* the source, for the per-source share */
	char peer[48];
	char who[200];
	uint8_t head[HTTP_HEAD_MAX];	/* a request head (and small bodies) */
	uint8_t *in;			/* head, or a malloc'd upload buffer */
	size_t cap, inlen, used;	/* used: the request being answered */
	const struct mgmt_route *route;	/* its route, found from its head */
	uint8_t obuf[MGMT_OBUF];	/* records not yet written to the socket */
	size_t olen;
	char *out;
	size_t outlen, outoff;
	bool close_after;
	bool ready;			/* pipelined bytes wait in `in` */
};

/* Accepted but not started: its source's share or the pool is full. It
 * costs a descriptor and these bytes; its deadline is twice the
 * handshake's, from accept (mgmt_enqueue). */
struct mgmt_waiting {
	int fd;				/* -1: started (within mgmt_admit) */
	uint8_t level;			/* its rank in the order of admission (mgmt_admit) */
	uint16_t passed;		/* newer connections started while it waited */
	bool stalled;			/* its source stalled lately (the table, as of now) */
	uint8_t src[16];
	uint64_t deadline_ms;
	char peer[48];
};

struct mgmt_stall {
	uint8_t src[16];
	unsigned n;			/* unfinished handshakes, each within MGMT_STALLED_MS */
	uint64_t until_ms;
};

struct mgmt_server {
	struct mgmt *m;
	struct mgmt_tls *tls;
	struct mgmt_roles *roles;
	mbedtls_net_context listen;
	unsigned startups, sessions, readers, bodies;
	unsigned nwaiting;
	struct mgmt_waiting waiting[MGMT_WAITING];
	struct mgmt_stall stalled[MGMT_STALLED];	/* sources whose handshakes ended unfinished */
	bool accept_paused;		/* out of descriptors: until the next tick */
	struct mgmt_conn c[MGMT_CONNS];
};

uint64_t mgmt_now_ms(void);

/* admit.c */
/* Takes an accepted socket: its handshake starts now, or it waits. */
void mgmt_enqueue(struct mgmt_server *s, int fd, const struct sockaddr_storage *sa);
/* Starts what waits and may start now. */
void mgmt_admit(struct mgmt_server *s);
/* Closes the waiting connection i. */
void mgmt_unwait(struct mgmt_server *s, unsigned i);
/* A handshake from src ended unfinished (conn_close), or finished: a
 * source stalls by the count of the first, which the second clears. */
void mgmt_handshake_ended(struct mgmt_server *s, const uint8_t src[16], bool finished);

/* conn.c */
/* Takes an accepted socket into a free entry; the handshake starts. */
int conn_open(struct mgmt_server *s, struct mgmt_conn *c, int fd);
void conn_close(struct mgmt_server *s, struct mgmt_conn *c, bool notify);
void conn_step(struct mgmt_server *s, struct mgmt_conn *c);
/* Decrypted or pipelined bytes wait: serve without waiting for poll(). */
bool conn_pending(struct mgmt_conn *c);

#endif
