/* libFuzzer target: the HTTP request head parser of scanwall-mgmtd and the
 * query reader, on arbitrary bytes. The parser must never read past len,
 * must accept only heads that fit, and must name a status for every
 * refusal. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/http.h"
#include "scanwall/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_json_cb(void *ctx, const char *path, const struct mj_val *v)
{
	char buf[64];
	uint64_t n;

	mj_str(v, buf, sizeof(buf));
	mj_u64(v, &n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req req;
	uint64_t v;
	int err;

	/* An exact-size copy, so ASan sees any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	err = http_parse(copy, size, 1u << 20, &req);
	if (err == 0) {
		if (req.head_len > size || req.path[0] != '/' || req.content_length > (1u << 20))
			abort();
		http_query_u64(req.query, "since", &v);
	} else if (err == -EBADMSG) {
		if (req.status < 400 || req.status > 505)
			abort();
	} else if (err != -EAGAIN || size >= HTTP_HEAD_MAX) {
		abort();
	}
	/* The same bytes as a control answer for the JSON walker. */
	mj_walk((const char *)copy, size, fuzz_json_cb, NULL);
	free(copy);
	return 0;
}
