/* One connection of scanwall-mgmtd: handshake, requests, answers,
 * keep-alive (docs/mgmt.md, "Connections").
 *
 * Every wait has an absolute deadline, set when the wait starts: a byte
 * that trickles in never moves it. The role is decided from the
 * certificate and the request head before any body is read, so a request
 * the role may not make is answered and closed without reading it.
 * Records mbedtls writes are gathered in obuf and written once a step is
 * done, so a handshake flight leaves in one write. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mgmt/conn.h"
#include "scanwall/jsonw.h"

static const char *const conn_phases[PH__COUNT] = {
	[PH_HANDSHAKE] = "handshake", [PH_IDLE] = "idle", [PH_HEAD] = "head",
	[PH_BODY] = "body", [PH_ANSWER] = "answer",
};

const char *mgmt_phase_name(unsigned phase)
{
	return phase < PH__COUNT ? conn_phases[phase] : "?";
}

static void conn_wait(struct mgmt_server *s, struct mgmt_conn *c, enum conn_phase ph,
		      unsigned ms)
{
	c->phase = ph;
	c->deadline_ms = mgmt_now_ms() + ms;
}

/* --- the socket under mbedtls ----------------------------------------------- */

/* Writes what obuf holds: 0 when it is empty, -EAGAIN when the socket is
 * full, else -errno. */
static int conn_flush(struct mgmt_conn *c)
{
	size_t off = 0;
	int err = 0;

	while (off < c->olen) {
		ssize_t w = send(c->net.fd, c->obuf + off, c->olen - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
			break;
		}
		off += (size_t)w;
	}
	memmove(c->obuf, c->obuf + off, c->olen - off);
	c->olen -= off;
	return err;
}

static int conn_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct mgmt_conn *c = ctx;
	size_t n;

	if (c->olen == sizeof(c->obuf)) {
		int err = conn_flush(c);

		if (err && err != -EAGAIN)
			return MBEDTLS_ERR_NET_SEND_FAILED;
		if (c->olen == sizeof(c->obuf))
			return MBEDTLS_ERR_SSL_WANT_WRITE;
	}
	n = sizeof(c->obuf) - c->olen < len ? sizeof(c->obuf) - c->olen : len;
	memcpy(c->obuf + c->olen, buf, n);
	c->olen += n;
	return (int)n;
}

static int conn_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct mgmt_conn *c = ctx;

	return mbedtls_net_recv(&c->net, buf, len);
}

int conn_open(struct mgmt_server *s, struct mgmt_conn *c, int fd)
{
	mbedtls_net_init(&c->net);
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, &s->tls->conf)) {
		mbedtls_ssl_free(&c->ssl);
		return -ENOMEM;
	}
	c->net.fd = fd;
	mbedtls_ssl_set_bio(&c->ssl, c, conn_bio_send, conn_bio_recv, NULL);
	c->in = c->head;
	c->cap = sizeof(c->head);
	c->inlen = c->used = c->olen = 0;
	c->out = NULL;
	c->outlen = c->outoff = 0;
	c->close_after = c->ready = false;
	c->role = MGMT_NONE;
	c->want = POLLIN;
	snprintf(c->who, sizeof(c->who), "(no certificate yet)");
	c->state = CONN_HANDSHAKE;
	conn_wait(s, c, PH_HANDSHAKE, s->m->cfg->handshake_ms);
	c->since_ms = c->deadline_ms - s->m->cfg->handshake_ms;
	s->startups++;
	return 0;
}

static void conn_drop_body(struct mgmt_server *s, struct mgmt_conn *c)
{
	if (c->in == c->head)
		return;
	free(c->in);
	c->in = c->head;
	c->cap = sizeof(c->head);
	s->bodies--;
}

void conn_close(struct mgmt_server *s, struct mgmt_conn *c, bool notify)
{
	if (c->state == CONN_FREE)
		return;
	if (notify) {
		mbedtls_ssl_close_notify(&c->ssl);
		conn_flush(c);
	}
	mbedtls_net_free(&c->net);
	mbedtls_ssl_free(&c->ssl);
	free(c->out);
	c->out = NULL;
	conn_drop_body(s, c);
	if (c->state == CONN_HANDSHAKE) {
		s->startups--;
		mgmt_handshake_ended(s, c->src, false);
	} else {
		s->sessions--;
		s->readers -= c->role == MGMT_READER;
	}
	c->state = CONN_FREE;
}

/* --- answers ------------------------------------------------------------------ */

/* Queues a whole answer (head and body) and switches to writing it. */
static int conn_answer(struct mgmt_server *s, struct mgmt_conn *c, const struct http_req *req,
		       struct mgmt_resp *r)
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
	conn_wait(s, c, PH_ANSWER, MGMT_ANSWER_MS);
	return 0;
}

/* A request refused before it was served: counted, logged with who sent
 * it, answered, then closed (whatever body it announced is never read). */
static void conn_refuse_resp(struct mgmt_server *s, struct mgmt_conn *c,
			     const struct http_req *req, struct mgmt_resp *r)
{
	mgmt_count_refusal(s->m, r->status);
	if (req)
		mgmt_log("refused %s %s: %d on %s", c->peer, c->who, r->status, req->path);
	else
		mgmt_log("refused %s %s: %d %s", c->peer, c->who, r->status, http_reason(r->status));
	c->close_after = true;
	if (conn_answer(s, c, req, r))
		conn_close(s, c, false);
}

static void conn_refuse(struct mgmt_server *s, struct mgmt_conn *c, int status)
{
	char body[96];
	struct mgmt_resp r = { .status = status, .ctype = "application/json", .body = body };
	struct sbuf w = { .p = body, .size = sizeof(body) };

	jw_kstr(&w, "{", "error", http_reason(status));
	sb_put(&w, "}\n");
	r.len = w.len;
	conn_refuse_resp(s, c, NULL, &r);
}

/* --- the state machine ---------------------------------------------------------- */

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

static void conn_handshake_failed(struct mgmt_server *s, struct mgmt_conn *c, int ret)
{
	char msg[128], info[256] = "";
	uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);

	if (flags && flags != (uint32_t)-1)
		mbedtls_x509_crt_verify_info(info, sizeof(info), " ", flags);
	for (char *p = info; *p; p++)
		*p = *p == '\n' ? ';' : *p;
	/* mbedtls just stops on a missing certificate; say why. */
	if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)
		mbedtls_ssl_send_alert_message(&c->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
					       MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
	conn_flush(c);
	s->m->st.handshake_failures++;
	mgmt_log("refused %s: handshake: %s%s", c->peer, mgmt_tls_strerror(ret, msg, sizeof(msg)),
		 info);
	conn_close(s, c, false);
}

/* A finished handshake becomes a session, on a slot a stranger never
 * holds: readers take at most MGMT_SESSIONS - MGMT_OPERATOR_SESSIONS. */
static void conn_handshake(struct mgmt_server *s, struct mgmt_conn *c)
{
	int ret = mbedtls_ssl_handshake(&c->ssl);
	enum mgmt_role role;

	if (conn_want(c, ret))
		return;
	if (ret)
		return conn_handshake_failed(s, c, ret);
	role = mgmt_roles_match(s->roles, mbedtls_ssl_get_peer_cert(&c->ssl), c->who,
				sizeof(c->who));
	if (mgmt_crl_revoked(s->tls, mbedtls_ssl_get_peer_cert(&c->ssl))) {
		s->m->st.revoked++;
		mgmt_log("refused %s: certificate %s is revoked (resumed session)", c->peer, c->who);
		return conn_close(s, c, false);
	}
	if (role == MGMT_NONE) {
		s->m->st.unknown_certs++;
		mgmt_log("refused %s: certificate %s has no role", c->peer, c->who);
		return conn_close(s, c, true);
	}
	if (s->sessions >= MGMT_SESSIONS ||
	    (role == MGMT_READER && s->readers >= MGMT_SESSIONS - MGMT_OPERATOR_SESSIONS)) {
		s->m->st.away[AWAY_SESSIONS]++;
		mgmt_log("turned away %s %s: every %s session taken", c->peer, c->who,
			 mgmt_role_name(role));
		return conn_close(s, c, true);
	}
	mgmt_handshake_ended(s, c->src, true);
	s->startups--;
	s->sessions++;
	s->readers += role == MGMT_READER;
	c->role = role;
	mgmt_log("%s: %s as %s (%s)", c->peer, c->who, mgmt_role_name(c->role),
		 mbedtls_ssl_get_ciphersuite(&c->ssl));
	c->state = CONN_READ;
	conn_wait(s, c, PH_IDLE, s->m->cfg->idle_ms);
	conn_step(s, c);
}

/* The request is all in: answered by the route its head found, or with
 * the refusal r already holds (c->route NULL: a 404 or 405). */
static void conn_dispatch(struct mgmt_server *s, struct mgmt_conn *c, const struct http_req *req,
			  struct mgmt_resp *r)
{
	s->m->st.requests++;
	c->used = req->head_len + req->content_length;
	c->close_after = !req->keep_alive;
	if (c->route)
		mgmt_api(s->m, c->route, req, c->in + req->head_len, r);
	if (r->status == 403 || r->status == 400)
		mgmt_log("refused %s %s: %d on %s", c->peer, c->who, r->status, req->path);
	if (r->status >= 400)
		mgmt_count_refusal(s->m, r->status);
	if (conn_answer(s, c, req, r))
		conn_close(s, c, false);
	free(r->body);
}

/* A body longer than the head buffer: an upload buffer of its own, at
 * most MGMT_BODIES at once (the bytes already in move with it). */
static int conn_grow(struct mgmt_server *s, struct mgmt_conn *c, size_t size)
{
	uint8_t *buf;

	if (s->bodies >= MGMT_BODIES)
		return -EBUSY;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, c->in, c->inlen);
	c->in = buf;
	c->cap = size;
	s->bodies++;
	return 0;
}

/* The head is in: its route, and whether this role may take it, are
 * decided now, and the body gets one absolute deadline. false: go on
 * reading. A 403, or any refusal with a body still to come, is answered
 * and closed: the body is never read. A 404 or 405 that is all in is
 * answered and keeps the connection. */
static bool conn_admit(struct mgmt_server *s, struct mgmt_conn *c, const struct http_req *req)
{
	struct mgmt_resp r;
	size_t whole = req->head_len + req->content_length;

	c->route = mgmt_api_route(req, c->role, &r);
	if (!c->route && (r.status == 403 || c->inlen < whole)) {
		conn_refuse_resp(s, c, req, &r);
		free(r.body);
		return true;
	}
	if (c->inlen >= whole) {
		conn_dispatch(s, c, req, &r);
		return true;
	}
	conn_wait(s, c, PH_BODY, s->m->cfg->body_ms);
	if (whole > c->cap && conn_grow(s, c, whole)) {
		s->m->st.away[AWAY_UPLOADS]++;
		conn_refuse(s, c, 503);
		return true;
	}
	return false;
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
	if (c->phase != PH_BODY)
		return conn_admit(s, c, &req);
	if (c->inlen < req.head_len + req.content_length)
		return false;
	conn_dispatch(s, c, &req, &(struct mgmt_resp){ .status = 500 });
	return true;
}

static void conn_read(struct mgmt_server *s, struct mgmt_conn *c)
{
	for (;;) {
		int ret;

		if (c->inlen && conn_parse(s, c))
			return;
		/* Never full here: http_parse refuses a head that fills the head
		 * buffer, and an upload buffer holds exactly one request. */
		ret = mbedtls_ssl_read(&c->ssl, c->in + c->inlen, c->cap - c->inlen);
		if (conn_want(c, ret))
			return;
		if (ret <= 0)
			return conn_close(s, c, false);
		/* The first byte of a request starts the head's deadline. */
		if (c->phase == PH_IDLE)
			conn_wait(s, c, PH_HEAD, s->m->cfg->header_ms);
		c->inlen += (size_t)ret;
	}
}

/* After an answer: keep what a pipelining client sent past this request. */
static void conn_next(struct mgmt_server *s, struct mgmt_conn *c)
{
	free(c->out);
	c->out = NULL;
	if (c->close_after)
		return conn_close(s, c, true);
	memmove(c->in, c->in + c->used, c->inlen - c->used);
	c->inlen -= c->used;
	c->used = 0;
	/* An upload buffer holds one request only: nothing follows it. */
	if (!c->inlen)
		conn_drop_body(s, c);
	c->state = CONN_READ;
	c->want = POLLIN;
	c->ready = c->inlen > 0;
	if (c->inlen)
		conn_wait(s, c, PH_HEAD, s->m->cfg->header_ms);
	else
		conn_wait(s, c, PH_IDLE, s->m->cfg->idle_ms);
}

static void conn_write(struct mgmt_server *s, struct mgmt_conn *c)
{
	while (c->outoff < c->outlen) {
		int ret = mbedtls_ssl_write(&c->ssl, (const unsigned char *)c->out + c->outoff,
					    c->outlen - c->outoff);

		if (conn_want(c, ret))
			return;
		if (ret <= 0)
			return conn_close(s, c, false);
		c->outoff += (size_t)ret;
	}
	conn_next(s, c);
}

bool conn_pending(struct mgmt_conn *c)
{
	return c->ready || (c->state == CONN_READ && mbedtls_ssl_get_bytes_avail(&c->ssl));
}

/* Records left from the last step go first; what this step wrote leaves
 * in one write at its end. */
void conn_step(struct mgmt_server *s, struct mgmt_conn *c)
{
	static void (*const steps[])(struct mgmt_server *, struct mgmt_conn *) = {
		[CONN_HANDSHAKE] = conn_handshake, [CONN_READ] = conn_read,
		[CONN_WRITE] = conn_write,
	};
	int err;

	if (c->state == CONN_FREE)
		return;
	err = conn_flush(c);
	if (!err)
		steps[c->state](s, c);
	if (!err && c->state != CONN_FREE)
		err = conn_flush(c);
	if (err == -EAGAIN)
		c->want = POLLOUT;
	else if (err)
		conn_close(s, c, false);
}
