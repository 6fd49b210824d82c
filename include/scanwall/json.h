/* The one JSON reader, for the answers of scanwalld's control socket.
 *
 * The answers come from our own daemon, but they carry AE titles and
 * policy reasons that came off the wire, so every byte is read through the
 * bounds-checked cursor and nesting is bounded (JSON_DEPTH_MAX). One pass
 * builds a flat array of tokens that point into the text, in the manner of
 * jsmn; nothing is copied until a value is read.
 *
 * Two views of the same tokens: the console picks values by key and index
 * (cj_get, cj_elem), mgmtd walks an answer once and is called back for
 * every value with its dotted path ("rules.3.hits"; mj_walk). */
#ifndef SCANWALL_JSON_H
#define SCANWALL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 16
#define MJ_PATH_MAX 256

/* --- tokens, random access ------------------------------------------------ */

enum cj_type { CJ_OBJ, CJ_ARR, CJ_STR, CJ_NUM, CJ_TRUE, CJ_FALSE, CJ_NULL };

struct cj_tok {
	enum cj_type type;
	uint32_t start, len;		/* the raw text (strings: inside the quotes) */
	uint32_t next;			/* the token after this one's subtree */
	uint32_t n;			/* children: elements, or keys + values */
};

struct cj {
	const char *text;
	size_t len;
	struct cj_tok *tok;
	uint32_t ntok, cap;
};

/* Parses text (not necessarily NUL-terminated); token 0 is the root.
 * 0, -EBADMSG for anything that is not one JSON value (or nests deeper
 * than JSON_DEPTH_MAX), -E2BIG, -ENOMEM. */
int cj_parse(struct cj *j, const char *text, size_t len);
void cj_free(struct cj *j);
bool cj_true(const struct cj *j, int i);
/* The value of key in object obj, or -1. */
int cj_get(const struct cj *j, int obj, const char *key);
/* Dotted path of keys from obj ("policy.sha256"), or -1. */
int cj_path(const struct cj *j, int obj, const char *path);
/* The i-th element of an array (or value of an object), or -1. */
int cj_elem(const struct cj *j, int arr, uint32_t i);
/* A value as printable text: strings unescaped, anything outside
 * printable ASCII as '?', numbers and literals as written, containers as
 * "{...}"/"[...]", -1 as "-". Always NUL-terminates buf; returns buf. */
const char *cj_text(const struct cj *j, int i, char *buf, size_t size);
/* A number (or a numeric string); def when i is missing or not one. */
double cj_num(const struct cj *j, int i, double def);

/* --- a walk by dotted path ------------------------------------------------ */

struct mj_val {
	enum cj_type type;	/* the token's: one list of types for both readers */
	const char *raw;	/* the value's text in the document */
	size_t len;
};

/* Called for every value, children before their parent; a path is the
 * keys and array indexes from the root joined by dots, "" for the root. A
 * non-zero return stops the walk and is returned by mj_walk. */
typedef int (*mj_cb)(void *ctx, const char *path, const struct mj_val *v);

/* Returns 0, the callback's non-zero value, -EBADMSG (not one JSON value,
 * too deep, a path longer than MJ_PATH_MAX), -E2BIG or -ENOMEM. */
int mj_walk(const char *text, size_t len, mj_cb cb, void *ctx);
/* The same walk over a document cj_parse already read: a caller that
 * needs two passes over one answer parses it once. 0, the callback's
 * non-zero value or -EBADMSG (a path longer than MJ_PATH_MAX). */
int mj_walk_cj(const struct cj *j, mj_cb cb, void *ctx);

/* A string value unescaped into buf (always terminated; \u escapes beyond
 * ASCII become '?'). Returns 0, -EINVAL (not a string) or -ENOSPC. */
int mj_str(const struct mj_val *v, char *buf, size_t size);
/* A non-negative integer value. Returns 0 or -EINVAL. */
int mj_u64(const struct mj_val *v, uint64_t *out);

#endif
