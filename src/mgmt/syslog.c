/* Syslog export: every scanwalld event as an RFC 5424 message over TLS
 * with RFC 5425 octet-counting framing, to one collector (docs/mgmt.md).
 *
 * Messages wait in a fixed ring while the collector is away; when the
 * ring is full the newest event is dropped and counted (the oldest may be
 * half-written on the wire, and a frame cannot be taken back), and the
 * count is in /metrics. The connection is non-blocking like everything
 * else in the loop: connect, handshake and writes resume on poll(). A
 * message cut by a broken connection is sent again whole, so a collector
 * may see it twice but never a torn frame. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/net_sockets.h>

#include "scanwall/json.h"
#include "mgmt/mgmt.h"
#include "mgmt/server.h"

#define SL_RETRY_MS 2000
#define SL_PEN "32473"		/* RFC 5612's documentation enterprise number */

enum sl_state { SL_IDLE, SL_CONNECTING, SL_HANDSHAKE, SL_UP };

struct sl_msg {
	size_t len;
	char buf[MGMT_SYSLOG_MSG_MAX];
};

struct mgmt_syslog {
	char host[128], port[16], hostname[64];
	struct mgmt_tls *tls;
	mbedtls_ssl_context ssl;
	mbedtls_net_context net;
	enum sl_state state;
	short want;
	uint64_t retry_ms;
	size_t off;			/* bytes of the head message sent */
	uint64_t head, tail;		/* ring positions, tail - head queued */
	struct sl_msg *ring;
	uint64_t since;			/* last event sequence queued */
	bool down_logged;
	struct mgmt_syslog_stats st;
};

/* --- formatting -------------------------------------------------------------- */

/* Severity by event kind: decisions against traffic are warnings. */
static const struct {
	const char *kind;
	int severity;
} sl_severity[] = {
	{ "allow", 6 }, { "block", 4 }, { "reject", 4 }, { "assoc-accept", 6 },
	{ "assoc-reject", 5 }, { "assoc-abort", 4 }, { "assoc-release", 6 },
	{ "invalid", 4 }, { "system", 5 }, { "anomaly", 5 },
};

struct sl_fields {
	char ts[32], kind[32];
};

static int sl_fields_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct sl_fields *f = ctx;

	if (strcmp(path, "ts") == 0 && v->type == CJ_NUM && v->len < sizeof(f->ts))
		snprintf(f->ts, sizeof(f->ts), "%.*s", (int)v->len, v->raw);
	else if (strcmp(path, "event") == 0)
		mj_str(v, f->kind, sizeof(f->kind));
	return 0;
}

/* "1732771588.123456" as an RFC 5424 TIMESTAMP; "-" when unusable. */
static void sl_time(const char *ts, char *buf, size_t size)
{
	char *end;
	unsigned long long sec = strtoull(ts, &end, 10);
	unsigned long usec = *end == '.' ? strtoul(end + 1, NULL, 10) % 1000000 : 0;
	time_t t = (time_t)sec;
	struct tm tm;

	if (!ts[0] || !gmtime_r(&t, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06luZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

static int sl_format(const struct mgmt_syslog *s, uint64_t seq, const char *json, size_t len,
		     char *buf, size_t size)
{
	struct sl_fields f = { .kind = "event" };
	char ts[80], msg[MGMT_SYSLOG_MSG_MAX];
	int severity = 5, n;

	mj_walk(json, len, sl_fields_cb, &f);
	sl_time(f.ts, ts, sizeof(ts));
	for (size_t i = 0; i < sizeof(sl_severity) / sizeof(sl_severity[0]); i++) {
		if (strcmp(f.kind, sl_severity[i].kind) == 0)
			severity = sl_severity[i].severity;
	}
	/* local0; APP-NAME scanwall; MSGID the event kind; the JSON as MSG. */
	n = snprintf(msg, sizeof(msg), "<%d>1 %s %s scanwall - %s [scanwall@" SL_PEN
		     " seq=\"%" PRIu64 "\"] %.*s", 16 * 8 + severity, ts, s->hostname, f.kind,
		     seq, (int)len, json);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EMSGSIZE;
	n = snprintf(buf, size, "%d %s", n, msg);
	return n < 0 || (size_t)n >= size ? -EMSGSIZE : n;
}

/* Queues one event line (an ev_json object) with its sequence number;
 * when the ring is full this newest one is dropped (this file's head says why). */
static void mgmt_syslog_event(struct mgmt_syslog *s, uint64_t seq, const char *json, size_t len)
{
	struct sl_msg *slot;
	int n;

	if (s->tail - s->head >= MGMT_SYSLOG_RING) {
		s->st.dropped++;
		return;
	}
	slot = &s->ring[s->tail % MGMT_SYSLOG_RING];
	n = sl_format(s, seq, json, len, slot->buf, sizeof(slot->buf));
	if (n < 0) {
		s->st.dropped++;
		return;
	}
	slot->len = (size_t)n;
	s->tail++;
	s->st.queued++;
}

/* --- the connection ------------------------------------------------------------ */

static void sl_fail(struct mgmt_syslog *s, const char *what, int ret, uint64_t now)
{
	char msg[128] = "";

	if (ret)
		mgmt_tls_strerror(ret, msg, sizeof(msg));
	/* Once per outage, not every retry: a collector away for a night
	 * must not fill the log. */
	if (!s->down_logged)
		mgmt_log("syslog %s:%s: %s%s%s (retrying every %d s, queueing)", s->host, s->port,
			 what, msg[0] ? ": " : "", msg, SL_RETRY_MS / 1000);
	s->down_logged = true;
	mbedtls_net_free(&s->net);
	mbedtls_ssl_session_reset(&s->ssl);
	s->st.connect_failures += s->state != SL_UP;
	s->state = SL_IDLE;
	s->off = 0;
	s->retry_ms = now + SL_RETRY_MS;
}

static int sl_socket(struct mgmt_syslog *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int fd, err;

	err = getaddrinfo(s->host, s->port, &hints, &ai);
	if (err)
		return -EHOSTUNREACH;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		close(fd);
		fd = -1;
	}
	err = fd < 0 ? -errno : fd;
	freeaddrinfo(ai);
	return err;
}

static void sl_connect(struct mgmt_syslog *s, uint64_t now)
{
	int fd = sl_socket(s);

	s->st.connects++;
	if (fd < 0) {
		sl_fail(s, strerror(-fd), 0, now);
		return;
	}
	s->net.fd = fd;
	s->state = SL_CONNECTING;
	s->want = POLLOUT;
}

static void sl_connected(struct mgmt_syslog *s, uint64_t now)
{
	struct pollfd p = { .fd = s->net.fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (poll(&p, 1, 0) <= 0)
		return;
	getsockopt(s->net.fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (soerr) {
		sl_fail(s, strerror(soerr), 0, now);
		return;
	}
	s->state = SL_HANDSHAKE;
}

static bool sl_want(struct mgmt_syslog *s, int ret)
{
	if (ret == MBEDTLS_ERR_SSL_WANT_READ)
		s->want = POLLIN;
	else if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		s->want = POLLOUT;
	else
		return false;
	return true;
}

static void sl_handshake(struct mgmt_syslog *s, uint64_t now)
{
	int ret = mbedtls_ssl_handshake(&s->ssl);

	if (sl_want(s, ret))
		return;
	if (ret) {
		sl_fail(s, "handshake", ret, now);
		return;
	}
	mgmt_log("syslog %s:%s: connected (%s)", s->host, s->port,
		 mbedtls_ssl_get_ciphersuite(&s->ssl));
	s->state = SL_UP;
	s->down_logged = false;
}

/* Nothing is expected from a collector: readable means closed. */
static void sl_check_closed(struct mgmt_syslog *s, uint64_t now)
{
	struct pollfd p = { .fd = s->net.fd, .events = POLLIN };
	unsigned char b[64];
	int ret;

	if (poll(&p, 1, 0) <= 0)
		return;
	ret = mbedtls_ssl_read(&s->ssl, b, sizeof(b));
	if (ret <= 0 && !sl_want(s, ret))
		sl_fail(s, "collector closed the connection", 0, now);
	s->want = POLLIN;
}

static void sl_send(struct mgmt_syslog *s, uint64_t now)
{
	while (s->head < s->tail) {
		struct sl_msg *m = &s->ring[s->head % MGMT_SYSLOG_RING];
		int ret = mbedtls_ssl_write(&s->ssl, (const unsigned char *)m->buf + s->off,
					    m->len - s->off);

		if (sl_want(s, ret))
			return;
		if (ret <= 0) {
			sl_fail(s, "write", ret, now);
			return;
		}
		s->off += (size_t)ret;
		if (s->off == m->len) {
			s->off = 0;
			s->head++;
			s->st.sent++;
		}
	}
	sl_check_closed(s, now);
}

void mgmt_syslog_run(struct mgmt_syslog *s, uint64_t now)
{
	if (s->state == SL_IDLE && s->head < s->tail && now >= s->retry_ms)
		sl_connect(s, now);
	if (s->state == SL_CONNECTING)
		sl_connected(s, now);
	if (s->state == SL_HANDSHAKE)
		sl_handshake(s, now);
	if (s->state == SL_UP)
		sl_send(s, now);
}

int mgmt_syslog_pollfd(const struct mgmt_syslog *s, short *events)
{
	*events = s->want;
	return s->state == SL_IDLE ? -1 : s->net.fd;
}

void mgmt_syslog_stats(const struct mgmt_syslog *s, struct mgmt_syslog_stats *st)
{
	*st = s->st;
	st->depth = (unsigned)(s->tail - s->head);
	st->connected = s->state == SL_UP;
}

/* --- events from scanwalld ------------------------------------------------------ */

struct sl_poll {
	struct mgmt_syslog *s;
	uint64_t first, last;
};

static int sl_seq_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct sl_poll *p = ctx;

	if (strcmp(path, "first_seq") == 0)
		mj_u64(v, &p->first);
	else if (strcmp(path, "last_seq") == 0)
		mj_u64(v, &p->last);
	return 0;
}

static int sl_event_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct sl_poll *p = ctx;
	char *end;
	unsigned long long k;

	if (strncmp(path, "events.", 7) != 0 || v->type != CJ_OBJ)
		return 0;
	k = strtoull(path + 7, &end, 10);
	if (*end)
		return 0;
	mgmt_syslog_event(p->s, p->first + k, v->raw, v->len);
	if (p->first + k > p->s->since)
		p->s->since = p->first + k;
	return 0;
}

void mgmt_syslog_poll_events(struct mgmt *m)
{
	struct sl_poll p = { .s = m->syslog };
	char cmd[64], *ans = NULL;
	struct cj j;
	size_t len;

	snprintf(cmd, sizeof(cmd), "events since %" PRIu64, p.s->since);
	/* parsed once: the sequence numbers first, then the events */
	if (mgmt_ctl(m, cmd, &ans, &len) == 0 && cj_parse(&j, ans, len) == 0) {
		if (mj_walk_cj(&j, sl_seq_cb, &p) == 0) {
			/* A restarted scanwalld counts from 1 again. */
			if (p.last < p.s->since)
				p.s->since = 0;
			else
				mj_walk_cj(&j, sl_event_cb, &p);
		}
		cj_free(&j);
	}
	free(ans);
}

/* --- setup ------------------------------------------------------------------------- */

struct mgmt_syslog *mgmt_syslog_new(const char *hostport, const char *ca)
{
	struct mgmt_syslog *s = calloc(1, sizeof(*s));
	const char *port;
	int err = -EINVAL;

	if (!s)
		return NULL;
	mbedtls_net_init(&s->net);
	mbedtls_ssl_init(&s->ssl);
	gethostname(s->hostname, sizeof(s->hostname) - 1);
	if (!s->hostname[0] || strchr(s->hostname, ' '))
		strcpy(s->hostname, "-");
	if (mgmt_hostport(hostport, s->host, sizeof(s->host), &port) || strlen(port) >= 16)
		goto out_free;
	strcpy(s->port, port);
	err = -ENOMEM;
	s->ring = calloc(MGMT_SYSLOG_RING, sizeof(*s->ring));
	s->tls = mgmt_tls_new(MBEDTLS_SSL_IS_CLIENT, NULL, NULL, ca);
	if (!s->ring || !s->tls)
		goto out_free;
	if (mbedtls_ssl_setup(&s->ssl, &s->tls->conf) ||
	    mbedtls_ssl_set_hostname(&s->ssl, s->host))
		goto out_free;
	mbedtls_ssl_set_bio(&s->ssl, &s->net, mbedtls_net_send, mbedtls_net_recv, NULL);
	return s;

out_free:
	mgmt_syslog_free(s);
	errno = -err;
	return NULL;
}

void mgmt_syslog_free(struct mgmt_syslog *s)
{
	if (!s)
		return;
	mbedtls_net_free(&s->net);
	mbedtls_ssl_free(&s->ssl);
	mgmt_tls_free(s->tls);
	free(s->ring);
	free(s);
}
