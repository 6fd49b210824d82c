/* scanwall-mgmtd's modules (docs/mgmt.md): what crosses between its files.
 * Nothing here is part of another subsystem's contract. */
#ifndef SCANWALL_MGMT_H
#define SCANWALL_MGMT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include "mgmt/http.h"
#include "mgmt/selfcert.h"

#define MGMT_BODY_MAX (1u << 20)	/* a bundle file: BUNDLE_MAX_SIZE */
#define MGMT_CRL_FILES 4		/* --crl given at most this often */

struct mgmt_cfg {
	const char *listen;		/* ADDR:PORT */
	const char *cert, *key, *client_ca;
	const char *control;		/* scanwalld's control socket */
	const char *roles;		/* NULL: every verified client is a reader */
	const char *syslog, *syslog_ca;	/* HOST:PORT of an RFC 5425 collector */
	const char *user;		/* drop to this user after binding */
	const char *spool;		/* private directory for uploaded bundles */
	const char *log;		/* --log FILE: else stderr */
	const char *crl[MGMT_CRL_FILES];	/* --crl FILE...: revoked client certificates */
	unsigned crls;
	uint64_t log_max;		/* --log-max BYTES */
	unsigned handshake_ms;		/* absolute deadline of a handshake */
	unsigned body_ms;		/* absolute deadline of a body, from its head */
	unsigned header_ms, idle_ms;	/* deadlines: a request head, keep-alive */
	bool make_cert;			/* --make-cert: create cert and key if absent */
};

enum mgmt_role { MGMT_NONE, MGMT_READER, MGMT_OPERATOR };

/* --- tls.c: the mbedtls configurations ----------------------------------- */
struct mgmt_tls {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt cert, ca;
	mbedtls_pk_context key;
	mbedtls_ssl_config conf;
	mbedtls_ssl_ticket_context ticket;	/* server only */
	mbedtls_x509_crl *crl;		/* --crl, NULL: none */
	uint64_t resumed;		/* sessions resumed from a ticket */
};
/* Server: TLS 1.2, AEAD suites, client certificate required, no
 * renegotiation. Client (cert and key NULL): verifies the server by ca.
 * NULL and errno; the mbedtls error is logged. */
struct mgmt_tls *mgmt_tls_new(int endpoint, const char *cert, const char *key, const char *ca);
void mgmt_tls_free(struct mgmt_tls *t);
/* Puts crl (NULL: none) in force for the handshakes to come; t owns it. */
void mgmt_tls_crl_set(struct mgmt_tls *t, mbedtls_x509_crl *crl);
/* A human-readable mbedtls error, for the log. */
const char *mgmt_tls_strerror(int err, char *buf, size_t size);

/* --- crl.c: --crl ------------------------------------------------------------ */
struct mgmt;
/* Reads every --crl file that exists into t, fills m->crl and logs; a
 * file that does not parse is an error (-errno), one that is absent not. */
int mgmt_crl_load(struct mgmt *m, struct mgmt_tls *t);
/* Once a second: reads them again on SIGHUP (hup) or when a file changed. */
void mgmt_crl_watch(struct mgmt *m, struct mgmt_tls *t, bool hup);
void mgmt_crl_free(struct mgmt *m);
/* A session resumed from a ticket verified nothing: the list, again. */
bool mgmt_crl_revoked(const struct mgmt_tls *t, const mbedtls_x509_crt *crt);

/* --- roles.c: certificate -> role ---------------------------------------- */
struct mgmt_roles;
struct mgmt_roles *mgmt_roles_load(const char *path);
void mgmt_roles_free(struct mgmt_roles *r);
/* who receives "subject DN" and the SPKI hash, for the log. */
enum mgmt_role mgmt_roles_match(const struct mgmt_roles *r, const mbedtls_x509_crt *crt,
				char *who, size_t size);
const char *mgmt_role_name(enum mgmt_role role);

/* --- the daemon's shared state ------------------------------------------- */
struct mgmt_syslog;

/* Why a connection was closed before it was served (docs/mgmt.md). */
enum mgmt_away {
	AWAY_SOURCE,		/* its source's share of the waiting queue full: its oldest closed */
	AWAY_EARLY_DROP,	/* a handshake dropped from the full pool for a fairer source */
	AWAY_EVICTED,		/* the oldest handshake, stalled, evicted from the full pool */
	AWAY_SESSIONS,		/* every reader session taken */
	AWAY_UPLOADS,		/* every upload buffer taken (503) */
	AWAY__COUNT
};
#define MGMT_PHASES 5		/* handshake, idle, head, body, answer */
#define MGMT_REFUSALS 7
/* The statuses mgmt_stats.refused counts, in its order (server.c). */
extern const int mgmt_refusal_codes[MGMT_REFUSALS];

struct mgmt_stats {
	uint64_t connections, handshake_failures, unknown_certs, requests, resumed, revoked;
	uint64_t refused[MGMT_REFUSALS];	/* by mgmt_refusal_codes */
	uint64_t timeouts[MGMT_PHASES];
	uint64_t away[AWAY__COUNT];
	uint64_t bundles_posted;
};

/* What one CRL file brings (or all of them: their union). */
struct mgmt_crl_desc {
	bool loaded;
	char this_update[24], next_update[24];	/* 2026-12-06T14:00:00Z */
	unsigned revoked;		/* entries */
	bool stale;			/* past its next update */
};

/* One --crl file: its last good parse stays in force if it goes away. */
struct mgmt_crl_file {
	struct mgmt_crl_desc d;
	mbedtls_x509_crl *crl;		/* NULL: never read */
	bool gone;			/* read once, now absent */
	uint64_t ino, size, mtime_ns;	/* as read last; 0: absent */
};

/* The CRL in force (the union of the files), for /status and the page. */
struct mgmt_crl {
	struct mgmt_crl_desc d;
	struct mgmt_crl_file f[MGMT_CRL_FILES];	/* as cfg->crl[] */
	uint64_t reloads, reload_failures;
};

/* The server certificate in use, for /status and the page. */
struct mgmt_cert {
	char sha256[MGMT_FP_SIZE];	/* "" until loaded */
	char subject[160];
	char not_before[24], not_after[24];	/* 2036-11-28T07:15:55Z */
};

struct mgmt {
	const struct mgmt_cfg *cfg;
	struct mgmt_cert cert;
	struct mgmt_crl crl;
	struct mgmt_syslog *syslog;	/* NULL: no export */
	struct mgmt_stats st;
	struct { unsigned waiting, startups, sessions; } now;	/* for /metrics */
	uint64_t start_s;		/* CLOCK_REALTIME */
	unsigned spool_seq;
};

void mgmt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log.c: lines go to path from now on (NULL: stderr), which becomes
 * path.1 when it would pass max bytes (0: never; scanwall/logfile.h).
 * 0 or -errno. */
int mgmt_log_open(const char *path, uint64_t max);
/* Lines held back by mgmt_log's rate limit, ever. */
uint64_t mgmt_log_suppressed(void);
const char *mgmt_away_name(enum mgmt_away why);
const char *mgmt_phase_name(unsigned phase);
void mgmt_count_refusal(struct mgmt *m, int status);

/* --- api.c: routes -------------------------------------------------------- */
struct mgmt_resp {
	int status;
	const char *ctype;
	char *body;			/* malloc'd (open_memstream) */
	size_t len;
	const char *allow;		/* for 405 */
};
struct mgmt_route;
/* Decided from the head alone, before any body is read, once a request:
 * the route that serves req for role, or NULL and resp holds the refusal
 * (403, 404, 405, 413). */
const struct mgmt_route *mgmt_api_route(const struct http_req *req, enum mgmt_role role,
				       struct mgmt_resp *resp);
/* Answers req, its body all in, by the route mgmt_api_route gave. */
void mgmt_api(struct mgmt *m, const struct mgmt_route *route, const struct http_req *req,
	      const uint8_t *body, struct mgmt_resp *resp);
/* ctl.c: runs a control command; *ans is malloc'd (free it) even on
 * failure; -EPROTO means scanwalld refused: an {"error":...} object or
 * an "ok":false answer. */
int mgmt_ctl(struct mgmt *m, const char *cmd, char **ans, size_t *len);

/* --- metrics.c, page.c ----------------------------------------------------- */
int mgmt_metrics(struct mgmt *m, FILE *out);
int mgmt_page(struct mgmt *m, FILE *out);

/* --- syslog.c: RFC 5424 over TLS (RFC 5425) ------------------------------- */
#define MGMT_SYSLOG_RING 512
#define MGMT_SYSLOG_MSG_MAX 2048

struct mgmt_syslog_stats {
	uint64_t queued, sent, dropped, connects, connect_failures;
	unsigned depth;
	int connected;
};
struct mgmt_syslog *mgmt_syslog_new(const char *hostport, const char *ca);
void mgmt_syslog_free(struct mgmt_syslog *s);
/* The fd and poll events to wait for, -1 when idle or waiting to retry. */
int mgmt_syslog_pollfd(const struct mgmt_syslog *s, short *events);
/* Connects, handshakes and sends whatever is possible without blocking. */
void mgmt_syslog_run(struct mgmt_syslog *s, uint64_t now_ms);
void mgmt_syslog_stats(const struct mgmt_syslog *s, struct mgmt_syslog_stats *st);
/* Polls `events since N` and queues what is new. */
void mgmt_syslog_poll_events(struct mgmt *m);

#endif
