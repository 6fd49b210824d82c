/* The HTTP/1.1 request head parser of scanwall-mgmtd (docs/mgmt.md).
 *
 * It reads a request head from the bytes a client sent so far, through the
 * bounds-checked cursor, and either asks for more, accepts it, or names the
 * status to refuse it with. It never allocates and never looks past len, so
 * the libFuzzer target can drive it with arbitrary bytes. */
#ifndef SCANWALL_MGMT_HTTP_H
#define SCANWALL_MGMT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 8192	/* request line and headers, CRLFs included */
#define HTTP_HEADERS_MAX 48
#define HTTP_PATH_MAX 128
#define HTTP_QUERY_MAX 128

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_OTHER };

struct http_req {
	enum http_method method;
	char path[HTTP_PATH_MAX];	/* NUL-terminated, starts with '/' */
	char query[HTTP_QUERY_MAX];	/* after '?', "" when none */
	size_t head_len;		/* bytes of the head, through the blank line */
	uint64_t content_length;	/* 0 when absent */
	bool keep_alive;
	int status;			/* when refused: 400, 411, 413, 414, 431, 501, 505 */
};

/* Parses the head at the start of buf[0..len). Returns 0 with *req filled
 * when the whole head is there, -EAGAIN when more bytes are needed (and
 * len < HTTP_HEAD_MAX), -EBADMSG with req->status set when the request is
 * refused. A body longer than max_body is refused with 413. */
int http_parse(const uint8_t *buf, size_t len, size_t max_body, struct http_req *req);

/* The value of key in a query string "a=1&b=2" as a decimal number.
 * Returns 0, -ENOENT when absent, -EINVAL when not a number. */
int http_query_u64(const char *query, const char *key, uint64_t *v);

const char *http_reason(int status);

#endif
