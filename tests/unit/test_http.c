/* The HTTP request head parser of scanwall-mgmtd. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt/http.h"

static int parse(const char *s, struct http_req *req)
{
	return http_parse((const uint8_t *)s, strlen(s), 1000, req);
}

/* Parses s and returns the refusal status, 0 when accepted, -1 incomplete. */
static int status_of(const char *s)
{
	struct http_req req;
	int err = parse(s, &req);

	return err == 0 ? 0 : err == -EAGAIN ? -1 : req.status;
}

static void test_get(void **state)
{
	static const char s[] = "GET /events?since=12 HTTP/1.1\r\nHost: box\r\n"
				"User-Agent: t\r\n\r\nNEXT";
	struct http_req req;

	assert_int_equal(parse(s, &req), 0);
	assert_int_equal(req.method, HTTP_GET);
	assert_string_equal(req.path, "/events");
	assert_string_equal(req.query, "since=12");
	assert_true(req.keep_alive);
	assert_int_equal(req.content_length, 0);
	assert_int_equal(req.head_len, sizeof(s) - 1 - 4);
}

static void test_post_body(void **state)
{
	struct http_req req;

	assert_int_equal(parse("POST /bundle HTTP/1.1\r\nhost: a\r\ncontent-length: 17\r\n"
			       "Connection: close\r\n\r\n", &req), 0);
	assert_int_equal(req.method, HTTP_POST);
	assert_int_equal(req.content_length, 17);
	assert_false(req.keep_alive);
}

static void test_http10(void **state)
{
	struct http_req req;

	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &req), 0);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req), 0);
	assert_true(req.keep_alive);
	assert_int_equal(parse("PUT / HTTP/1.0\r\n\r\n", &req), 0);
	assert_int_equal(req.method, HTTP_OTHER);
}

static void test_incomplete(void **state)
{
	assert_int_equal(status_of(""), -1);
	assert_int_equal(status_of("GET / HT"), -1);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: x\r\n"), -1);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: x\r\n\r"), -1);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *req;
		int status;
	} cases[] = {
		{ "HELLO\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\nHost: x\n\n", 400 },
		{ "GET / HTTP/1.1\r\n\r\n", 400 },			/* no Host */
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
		{ "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400 },
		{ "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\x01y\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 411 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", 413 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 413 },
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
		{ "GET / FTP/1.0\r\nHost: x\r\n\r\n", 400 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = status_of(cases[i].req);

		if (got != cases[i].status)
			fail_msg("case %zu: got %d, want %d", i, got, cases[i].status);
	}
}

static void test_same_length_twice(void **state)
{
	assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
				   "Content-Length: 3\r\n\r\n"), 0);
}

static void test_limits(void **state)
{
	static char buf[HTTP_HEAD_MAX + 64];
	char path[HTTP_PATH_MAX + 16];
	size_t n;

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sizeof(path) - 1] = 0;
	snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	assert_int_equal(status_of(buf), 414);

	/* A head that never ends within HTTP_HEAD_MAX. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: x\r\nX: ");
	memset(buf + n, 'b', sizeof(buf) - n - 1);
	buf[sizeof(buf) - 1] = 0;
	assert_int_equal(status_of(buf), 431);

	/* Too many header lines, each short. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
	snprintf(buf + n, sizeof(buf) - n, "\r\n");
	assert_int_equal(status_of(buf), 431);
}

static void test_query(void **state)
{
	uint64_t v = 7;

	assert_int_equal(http_query_u64("since=42", "since", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(http_query_u64("a=1&confirm=300&b", "confirm", &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(http_query_u64("", "since", &v), -ENOENT);
	assert_int_equal(http_query_u64("sincex=1&&=&", "since", &v), -ENOENT);
	assert_int_equal(http_query_u64("since=", "since", &v), -EINVAL);
	assert_int_equal(http_query_u64("since=1a", "since", &v), -EINVAL);
	assert_int_equal(http_query_u64("since=-1", "since", &v), -EINVAL);
	assert_int_equal(http_query_u64("since=99999999999999999999", "since", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_post_body),
		cmocka_unit_test(test_http10),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_same_length_twice),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
