/* The HTTP/1.1 request head parser (http.h).
 *
 * Strict on purpose: the only clients are curl, scripts, Prometheus and a
 * browser, all of which send well-formed requests. Anything they would not
 * send (bare LF, folded headers, control bytes, two different lengths, a
 * Transfer-Encoding) is refused rather than guessed at, which removes the
 * request-smuggling class of bugs: every request here has exactly one
 * length, taken from exactly one Content-Length. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "mgmt/http.h"
#include "scanwall/cursor.h"

struct http_hdr_state {
	int hosts;
	int lengths;
	size_t max_body;
	bool http11;
};

static int http_refuse(struct http_req *req, int status)
{
	req->status = status;
	return -EBADMSG;
}

/* Carves the next line, without its CRLF, out of c. -EAGAIN: no LF yet;
 * -EBADMSG: an LF without its CR. */
static int http_line(struct cur *c, struct cur *line)
{
	struct cur scan = *c;
	uint8_t ch, cr;
	size_t n;

	while (cur_u8(&scan, &ch) == 0) {
		if (ch != '\n')
			continue;
		n = scan.off - c->off - 1;
		if (n == 0 || cur_sub(c, n - 1, line) || cur_u8(c, &cr) || cr != '\r')
			return -EBADMSG;
		return cur_skip(c, 1);
	}
	return -EAGAIN;
}

static bool http_tchar(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* A token (RFC 9110 5.6.2): a method or a header name. */
static bool http_token(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!http_tchar(p[i]))
			return false;
	}
	return n != 0;
}

/* At most max decimal digits and nothing else; max <= 19 cannot overflow. */
static int http_decimal(const uint8_t *p, size_t n, size_t max, uint64_t *v)
{
	*v = 0;
	if (n == 0 || n > max)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return 0;
}

/* Reads up to (not including) stop or the end of the line; the stop byte
 * is consumed. *n is the word's length. */
static void http_word(struct cur *line, uint8_t stop, const uint8_t **p, size_t *n)
{
	struct cur scan = *line;
	uint8_t ch;

	*n = 0;
	while (cur_peek_u8(&scan, &ch) == 0 && ch != stop) {
		cur_skip(&scan, 1);
		(*n)++;
	}
	cur_ptr(line, *n, p);
	if (cur_peek_u8(line, &ch) == 0)
		cur_skip(line, 1);
}

static bool http_is(const uint8_t *p, size_t n, const char *s)
{
	return n == strlen(s) && strncasecmp((const char *)p, s, n) == 0;
}

static const struct {
	const char *name;
	enum http_method m;
} http_methods[] = {
	{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
};

static int http_method(const uint8_t *p, size_t n, struct http_req *req)
{
	if (!http_token(p, n))
		return http_refuse(req, 400);
	req->method = HTTP_OTHER;
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		if (n == strlen(http_methods[i].name) && memcmp(p, http_methods[i].name, n) == 0)
			req->method = http_methods[i].m;
	}
	return 0;
}

/* origin-form only: "/path[?query]" of visible ASCII. */
static int http_target(const uint8_t *p, size_t n, struct http_req *req)
{
	struct cur t;
	const uint8_t *part;
	size_t plen, qlen;

	if (n == 0 || p[0] != '/')
		return http_refuse(req, 400);
	for (size_t i = 0; i < n; i++) {
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return http_refuse(req, 400);
	}
	cur_init(&t, p, n);
	http_word(&t, '?', &part, &plen);
	qlen = cur_left(&t);
	if (plen >= HTTP_PATH_MAX || qlen >= HTTP_QUERY_MAX)
		return http_refuse(req, 414);
	memcpy(req->path, part, plen);
	req->path[plen] = 0;
	cur_copy(&t, req->query, qlen);
	req->query[qlen] = 0;
	return 0;
}

/* "HTTP/d.d": a version we do not speak, rather than garbage. */
static bool http_version_like(const uint8_t *p, size_t n)
{
	return n == 8 && memcmp(p, "HTTP/", 5) == 0 && p[5] >= '0' && p[5] <= '9' && p[6] == '.' &&
	       p[7] >= '0' && p[7] <= '9';
}

static int http_request_line(struct cur *line, struct http_req *req, bool *http11)
{
	const uint8_t *p;
	size_t n;
	int err;

	http_word(line, ' ', &p, &n);
	err = http_method(p, n, req);
	if (err)
		return err;
	http_word(line, ' ', &p, &n);
	err = http_target(p, n, req);
	if (err)
		return err;
	/* The rest of the line is the version: a blank after it is an error. */
	n = cur_left(line);
	cur_ptr(line, n, &p);
	*http11 = http_is(p, n, "HTTP/1.1");
	if (!*http11 && !http_is(p, n, "HTTP/1.0"))
		return http_refuse(req, http_version_like(p, n) ? 505 : 400);
	req->keep_alive = *http11;
	return 0;
}

static int http_content_length(const uint8_t *v, size_t n, struct http_req *req,
			       struct http_hdr_state *st)
{
	uint64_t len;

	/* 15 digits are far past any max_body: longer is too large */
	if (n > 15)
		return http_refuse(req, 413);
	if (http_decimal(v, n, 15, &len))
		return http_refuse(req, 400);
	if (st->lengths++ && len != req->content_length)
		return http_refuse(req, 400);
	req->content_length = len;
	return len > st->max_body ? http_refuse(req, 413) : 0;
}

static int http_transfer_encoding(const uint8_t *v, size_t n, struct http_req *req,
				  struct http_hdr_state *st)
{
	/* Only Content-Length bodies: one length, no smuggling by framing. */
	return http_refuse(req, 411);
}

static int http_connection(const uint8_t *v, size_t n, struct http_req *req,
			   struct http_hdr_state *st)
{
	if (http_is(v, n, "close"))
		req->keep_alive = false;
	else if (http_is(v, n, "keep-alive"))
		req->keep_alive = true;
	return 0;
}

static int http_host(const uint8_t *v, size_t n, struct http_req *req, struct http_hdr_state *st)
{
	return st->hosts++ ? http_refuse(req, 400) : 0;
}

static const struct {
	const char *name;
	int (*fn)(const uint8_t *v, size_t n, struct http_req *req, struct http_hdr_state *st);
} http_headers[] = {
	{ "content-length", http_content_length },
	{ "transfer-encoding", http_transfer_encoding },
	{ "connection", http_connection },
	{ "host", http_host },
};

/* Value bytes: visible, blank or obs-text; never a control byte. */
static int http_value(struct cur *line, const uint8_t **v, size_t *n)
{
	uint8_t ch;

	while (cur_peek_u8(line, &ch) == 0 && (ch == ' ' || ch == '\t'))
		cur_skip(line, 1);
	*n = cur_left(line);
	if (cur_ptr(line, *n, v))
		return -EBADMSG;
	for (size_t i = 0; i < *n; i++) {
		if (((*v)[i] < 0x20 && (*v)[i] != '\t') || (*v)[i] == 0x7f)
			return -EBADMSG;
	}
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
		(*n)--;
	return 0;
}

static int http_header(struct cur *line, struct http_req *req, struct http_hdr_state *st)
{
	const uint8_t *name, *v;
	size_t nlen, vlen;
	uint8_t ch;

	/* A leading blank is obs-fold: refused (RFC 9112 5.2). */
	if (cur_peek_u8(line, &ch) || ch == ' ' || ch == '\t')
		return http_refuse(req, 400);
	http_word(line, ':', &name, &nlen);
	if (!http_token(name, nlen) || http_value(line, &v, &vlen))
		return http_refuse(req, 400);
	for (size_t i = 0; i < sizeof(http_headers) / sizeof(http_headers[0]); i++) {
		if (http_is(name, nlen, http_headers[i].name))
			return http_headers[i].fn(v, vlen, req, st);
	}
	return 0;
}

static int http_headers_all(struct cur *c, struct http_req *req, struct http_hdr_state *st)
{
	struct cur line;
	int err;

	for (int count = 0;; count++) {
		err = http_line(c, &line);
		if (err)
			return err == -EAGAIN ? err : http_refuse(req, 400);
		if (cur_left(&line) == 0)
			break;
		if (count == HTTP_HEADERS_MAX)
			return http_refuse(req, 431);
		err = http_header(&line, req, st);
		if (err)
			return err;
	}
	if (st->http11 && st->hosts != 1)
		return http_refuse(req, 400);
	return 0;
}

int http_parse(const uint8_t *buf, size_t len, size_t max_body, struct http_req *req)
{
	struct http_hdr_state st = { .max_body = max_body };
	struct cur c, line;
	int err;

	*req = (struct http_req){ .status = 0 };
	cur_init(&c, buf, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX);
	err = http_line(&c, &line);
	if (!err)
		err = http_request_line(&line, req, &st.http11);
	else if (err == -EBADMSG)
		err = http_refuse(req, 400);
	if (!err)
		err = http_headers_all(&c, req, &st);
	if (err == -EAGAIN && len >= HTTP_HEAD_MAX)
		err = http_refuse(req, 431);
	if (!err)
		req->head_len = c.off;
	return err;
}

int http_query_u64(const char *query, const char *key, uint64_t *v)
{
	struct cur q, kv;
	const uint8_t *k, *val;
	size_t klen, vlen;

	cur_init(&q, query, strlen(query));
	while (cur_left(&q)) {
		size_t before = cur_left(&q);

		http_word(&q, '&', &k, &klen);
		cur_init(&kv, k, klen);
		http_word(&kv, '=', &k, &klen);
		vlen = cur_left(&kv);
		cur_ptr(&kv, vlen, &val);
		if (cur_left(&q) == before)
			break;
		if (!http_is(k, klen, key))
			continue;
		return http_decimal(val, vlen, 19, v);
	}
	return -ENOENT;
}

static const struct {
	int status;
	const char *reason;
} http_reasons[] = {
	{ 200, "OK" }, { 400, "Bad Request" }, { 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 408, "Request Timeout" }, { 411, "Length Required" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 422, "Unprocessable Content" }, { 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 505, "HTTP Version Not Supported" },
};

const char *http_reason(int status)
{
	for (size_t i = 0; i < sizeof(http_reasons) / sizeof(http_reasons[0]); i++) {
		if (http_reasons[i].status == status)
			return http_reasons[i].reason;
	}
	return "Error";
}
