/* The TLS front of scanwall-mgmtd: one poll() loop, a fixed table of
 * client slots, non-blocking mbedtls sessions (docs/mgmt.md).
 *
 * Every slot's TLS context and request buffer are set up once at start and
 * reset between clients, so a burst of connections costs no allocation
 * and the memory use has a ceiling. A client must finish its handshake and
 * its request head within header_ms, its body and reading its answer
 * within MGMT_TRANSFER_MS: a slow or stalled client is cut off, never
 * waited for. Calls to the control socket are synchronous: it is a local
 * daemon answering from memory, and ctl_request() bounds each call. */
#include <errno.h>
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

#include "mgmt/mgmt.h"
#include "mgmt/server.h"

#define MGMT_TRANSFER_MS 60000
#define MGMT_EVENTS_POLL_MS 1000
#define MGMT_BUF_SIZE (HTTP_HEAD_MAX + MGMT_BODY_MAX)

enum conn_state { CONN_FREE, CONN_HANDSHAKE, CONN_READ, CONN_WRITE };

struct mgmt_conn {
	enum conn_state state;
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;
	enum mgmt_role role;
	short want;			/* POLLIN or POLLOUT */
	uint64_t deadline_ms;
	char peer[64];
	char who[200];
	uint8_t *in;			/* MGMT_BUF_SIZE, for the slot's life */
	size_t inlen, used;		/* used: the request being answered */
	char *out;
	size_t outlen, outoff;
	bool close_after;
	bool ready;			/* pipelined bytes wait in `in` */
};

struct mgmt_server {
	struct mgmt *m;
	struct mgmt_tls *tls;
	struct mgmt_roles *roles;
	mbedtls_net_context listen;
	struct mgmt_conn c[MGMT_CLIENTS_MAX];
};

static volatile sig_atomic_t mgmt_stop;

static uint64_t mgmt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void mgmt_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("scanwall-mgmtd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const int mgmt_refusal_codes[] = { 400, 411, 413, 414, 431, 403 };

void mgmt_count_refusal(struct mgmt *m, int status)
{
	for (size_t i = 0; i < sizeof(mgmt_refusal_codes) / sizeof(mgmt_refusal_codes[0]); i++) {
		if (mgmt_refusal_codes[i] == status)
			m->st.refused[i]++;
	}
}

/* --- slots ----------------------------------------------------------------- */

static void conn_close(struct mgmt_conn *c, bool notify)
{
	if (notify)
		mbedtls_ssl_close_notify(&c->ssl);
	mbedtls_net_free(&c->net);
	mbedtls_ssl_session_reset(&c->ssl);
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = c->inlen = c->used = 0;
	c->close_after = c->ready = false;
	c->role = MGMT_NONE;
	c->state = CONN_FREE;
}

/* Queues a whole answer (head and body) and switches to writing it. */
static int conn_answer(struct mgmt_conn *c, const struct http_req *req, struct mgmt_resp *r)
{
	FILE *out = open_memstream(&c->out, &c->outlen);
	bool head = req && req->method == HTTP_HEAD;

	if (!out)
		return -ENOMEM;
	fprintf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
		"Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n",
		r->status, http_reason(r->status), r->ctype ? r->ctype : "text/plain", r->len);
	if (r->allow)
		fprintf(out, "Allow: %s\r\n", r->allow);
	if (c->close_after)
		fputs("Connection: close\r\n", out);
	fputs("\r\n", out);
	if (!head && r->len)
		fwrite(r->body, 1, r->len, out);
	if (fclose(out))
		return -ENOMEM;
	c->outoff = 0;
	c->state = CONN_WRITE;
	/* Written from the loop, not from here: a pipelining client must not
	 * be able to nest answers on our stack. The socket is writable, so
	 * the next poll() returns at once. */
	c->want = POLLOUT;
	c->deadline_ms = mgmt_now_ms() + MGMT_TRANSFER_MS;
	return 0;
}

/* A refusal: counted, logged with who sent it, answered, then closed. */
static void conn_refuse(struct mgmt_server *s, struct mgmt_conn *c, int status)
{
	char body[96];
	struct mgmt_resp r = { .status = status, .ctype = "application/json", .body = body };

	mgmt_count_refusal(s->m, status);
	mgmt_log("refused %s %s: %d %s", c->peer, c->who, status, http_reason(status));
	r.len = (size_t)snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n", http_reason(status));
	c->close_after = true;
	if (conn_answer(c, NULL, &r))
		conn_close(c, false);
}

/* --- the state machine ----------------------------------------------------- */

static void conn_step(struct mgmt_server *s, struct mgmt_conn *c);

static bool conn_want(struct mgmt_conn *c, int ret)
{
	if (ret == MBEDTLS_ERR_SSL_WANT_READ)
		c->want = POLLIN;
	else if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		c->want = POLLOUT;
	else
		return false;
	return true;
}

static void conn_handshake(struct mgmt_server *s, struct mgmt_conn *c)
{
	char msg[128], info[256] = "";
	int ret = mbedtls_ssl_handshake(&c->ssl);
	uint32_t flags;

	if (conn_want(c, ret))
		return;
	if (ret) {
		flags = mbedtls_ssl_get_verify_result(&c->ssl);
		if (flags && flags != (uint32_t)-1)
			mbedtls_x509_crt_verify_info(info, sizeof(info), " ", flags);
		for (char *p = info; *p; p++)
			*p = *p == '\n' ? ';' : *p;
		/* mbedtls just stops on a missing certificate; say why. */
		if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)
			mbedtls_ssl_send_alert_message(&c->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
						       MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
		s->m->st.handshake_failures++;
		mgmt_log("refused %s: handshake: %s%s", c->peer,
			 mgmt_tls_strerror(ret, msg, sizeof(msg)), info);
		conn_close(c, false);
		return;
	}
	c->role = mgmt_roles_match(s->roles, mbedtls_ssl_get_peer_cert(&c->ssl), c->who,
				   sizeof(c->who));
	if (c->role == MGMT_NONE) {
		s->m->st.unknown_certs++;
		mgmt_log("refused %s: certificate %s has no role", c->peer, c->who);
		conn_close(c, true);
		return;
	}
	mgmt_log("%s: %s as %s (%s)", c->peer, c->who, mgmt_role_name(c->role),
		 mbedtls_ssl_get_ciphersuite(&c->ssl));
	c->state = CONN_READ;
	conn_step(s, c);
}

static void conn_dispatch(struct mgmt_server *s, struct mgmt_conn *c, const struct http_req *req)
{
	struct mgmt_resp r = { .status = 500 };

	s->m->st.requests++;
	c->used = req->head_len + req->content_length;
	c->close_after = !req->keep_alive;
	mgmt_api(s->m, req, c->in + req->head_len, c->role, &r);
	if (r.status == 403 || r.status == 400)
		mgmt_log("refused %s %s: %d on %s", c->peer, c->who, r.status, req->path);
	if (r.status >= 400)
		mgmt_count_refusal(s->m, r.status);
	if (conn_answer(c, req, &r))
		conn_close(c, false);
	free(r.body);
}

/* Parses what has arrived; answers when a whole request is in. Returns
 * true when the connection moved on (answer queued or closed). */
static bool conn_parse(struct mgmt_server *s, struct mgmt_conn *c)
{
	struct http_req req;
	int err = http_parse(c->in, c->inlen, MGMT_BODY_MAX, &req);

	if (err == -EAGAIN)
		return false;
	if (err) {
		conn_refuse(s, c, req.status);
		return true;
	}
	if (c->inlen < req.head_len + req.content_length) {
		/* The head is in: the body gets its own, longer, deadline. */
		if (c->deadline_ms < mgmt_now_ms() + MGMT_TRANSFER_MS / 2)
			c->deadline_ms = mgmt_now_ms() + MGMT_TRANSFER_MS;
		return false;
	}
	conn_dispatch(s, c, &req);
	return true;
}

static void conn_read(struct mgmt_server *s, struct mgmt_conn *c)
{
	for (;;) {
		int ret;

		if (c->inlen && conn_parse(s, c))
			return;
		/* Never full here: http_parse refuses a head past HTTP_HEAD_MAX
		 * and a body past MGMT_BODY_MAX before the buffer fills. */
		ret = mbedtls_ssl_read(&c->ssl, c->in + c->inlen, MGMT_BUF_SIZE - c->inlen);
		if (conn_want(c, ret))
			return;
		if (ret <= 0) {
			conn_close(c, false);
			return;
		}
		c->inlen += (size_t)ret;
	}
}

/* After an answer: keep what a pipelining client sent past this request. */
static void conn_next(struct mgmt_server *s, struct mgmt_conn *c)
{
	free(c->out);
	c->out = NULL;
	if (c->close_after) {
		conn_close(c, true);
		return;
	}
	memmove(c->in, c->in + c->used, c->inlen - c->used);
	c->inlen -= c->used;
	c->used = 0;
	c->state = CONN_READ;
	c->want = POLLIN;
	c->ready = c->inlen > 0;
	c->deadline_ms = mgmt_now_ms() + s->m->cfg->idle_ms;
}

static void conn_write(struct mgmt_server *s, struct mgmt_conn *c)
{
	while (c->outoff < c->outlen) {
		int ret = mbedtls_ssl_write(&c->ssl, (const unsigned char *)c->out + c->outoff,
					    c->outlen - c->outoff);

		if (conn_want(c, ret))
			return;
		if (ret <= 0) {
			conn_close(c, false);
			return;
		}
		c->outoff += (size_t)ret;
	}
	conn_next(s, c);
}

static void conn_step(struct mgmt_server *s, struct mgmt_conn *c)
{
	static void (*const steps[])(struct mgmt_server *, struct mgmt_conn *) = {
		[CONN_HANDSHAKE] = conn_handshake, [CONN_READ] = conn_read,
		[CONN_WRITE] = conn_write,
	};

	if (c->state != CONN_FREE)
		steps[c->state](s, c);
}

/* --- accepting ------------------------------------------------------------- */

static struct mgmt_conn *mgmt_free_slot(struct mgmt_server *s)
{
	for (int i = 0; i < MGMT_CLIENTS_MAX; i++) {
		if (s->c[i].state == CONN_FREE)
			return &s->c[i];
	}
	return NULL;
}

static void mgmt_peer_name(const struct sockaddr_storage *sa, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *v4 = (const void *)sa;
	const struct sockaddr_in6 *v6 = (const void *)sa;

	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &v4->sin_addr, a, sizeof(a));
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof(a));
	snprintf(buf, size, "%s:%u", a,
		 ntohs(sa->ss_family == AF_INET6 ? v6->sin6_port : v4->sin_port));
}

static void mgmt_accept(struct mgmt_server *s)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	struct mgmt_conn *c;
	int fd;

	while ((fd = accept4(s->listen.fd, (struct sockaddr *)&sa, &salen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		s->m->st.connections++;
		c = mgmt_free_slot(s);
		if (!c) {
			s->m->st.busy++;
			mgmt_log("refused: %d clients already", MGMT_CLIENTS_MAX);
			close(fd);
			continue;
		}
		c->net.fd = fd;
		mgmt_peer_name(&sa, c->peer, sizeof(c->peer));
		snprintf(c->who, sizeof(c->who), "(no certificate yet)");
		c->state = CONN_HANDSHAKE;
		c->deadline_ms = mgmt_now_ms() + s->m->cfg->header_ms;
		conn_handshake(s, c);
		salen = sizeof(sa);
	}
}

/* --- the loop ----------------------------------------------------------------- */

static void mgmt_on_signal(int sig)
{
	mgmt_stop = 1;
}

static void mgmt_deadlines(struct mgmt_server *s, uint64_t now)
{
	for (int i = 0; i < MGMT_CLIENTS_MAX; i++) {
		struct mgmt_conn *c = &s->c[i];

		if (c->state == CONN_FREE || now < c->deadline_ms)
			continue;
		s->m->st.timeouts++;
		mgmt_log("refused %s %s: timed out (%s)", c->peer, c->who,
			 c->state == CONN_HANDSHAKE ? "handshake" :
			 c->state == CONN_READ ? "request" : "answer");
		conn_close(c, false);
	}
}

/* Slots whose TLS layer already holds decrypted bytes must not wait for
 * the socket: poll() cannot see them. */
static int mgmt_fill_poll(struct mgmt_server *s, struct pollfd *pfd, int *map, int *timeout)
{
	int n = 1;
	short ev;

	pfd[0] = (struct pollfd){ .fd = s->listen.fd, .events = POLLIN };
	for (int i = 0; i < MGMT_CLIENTS_MAX; i++) {
		struct mgmt_conn *c = &s->c[i];

		if (c->state == CONN_FREE)
			continue;
		if (c->ready || (c->state == CONN_READ && mbedtls_ssl_get_bytes_avail(&c->ssl)))
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

		if (pfd[k].revents || c->ready ||
		    (c->state == CONN_READ && mbedtls_ssl_get_bytes_avail(&c->ssl))) {
			c->ready = false;
			conn_step(s, c);
		}
	}
}

int mgmt_server_run(struct mgmt_server *s)
{
	struct pollfd pfd[MGMT_CLIENTS_MAX + 2];
	int map[MGMT_CLIENTS_MAX + 2];
	uint64_t next_events = 0, now;
	struct sigaction sa = { .sa_handler = mgmt_on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!mgmt_stop) {
		int timeout = 250, n = mgmt_fill_poll(s, pfd, map, &timeout);

		if (poll(pfd, (nfds_t)n + 1, timeout) < 0 && errno != EINTR)
			return -errno;
		mgmt_service(s, pfd, map, n);
		now = mgmt_now_ms();
		mgmt_deadlines(s, now);
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

static int mgmt_slots_init(struct mgmt_server *s)
{
	for (int i = 0; i < MGMT_CLIENTS_MAX; i++) {
		struct mgmt_conn *c = &s->c[i];

		mbedtls_net_init(&c->net);
		mbedtls_ssl_init(&c->ssl);
		c->in = malloc(MGMT_BUF_SIZE);
		if (!c->in || mbedtls_ssl_setup(&c->ssl, &s->tls->conf))
			return -ENOMEM;
		mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, mbedtls_net_recv, NULL);
	}
	return 0;
}

static int mgmt_bind(struct mgmt_server *s, const char *listen)
{
	char host[64], msg[128];
	const char *port;
	int ret;

	if (mgmt_hostport(listen, host, sizeof(host), &port))
		return -EINVAL;
	ret = mbedtls_net_bind(&s->listen, host, port, MBEDTLS_NET_PROTO_TCP);
	if (ret) {
		mgmt_log("listen %s: %s", listen, mgmt_tls_strerror(ret, msg, sizeof(msg)));
		return -EADDRNOTAVAIL;
	}
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
	if (cfg->roles && !(s->roles = mgmt_roles_load(cfg->roles))) {
		err = -errno;
		mgmt_log("roles %s: %s", cfg->roles, strerror(errno));
		goto out_free;
	}
	err = mgmt_slots_init(s);
	if (!err)
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
	for (int i = 0; i < MGMT_CLIENTS_MAX; i++) {
		mbedtls_net_free(&s->c[i].net);
		mbedtls_ssl_free(&s->c[i].ssl);
		free(s->c[i].out);
		free(s->c[i].in);
	}
	mbedtls_net_free(&s->listen);
	mgmt_roles_free(s->roles);
	mgmt_tls_free(s->tls);
	free(s);
}
