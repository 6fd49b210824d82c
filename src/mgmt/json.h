/* A small JSON walker for the answers of scanwalld's control socket.
 *
 * mgmtd never builds a document tree: it walks an answer once and picks
 * the values it needs by path ("engine.packets", "rules.3.hits",
 * "events.0"), so a bigger answer costs time, not memory. */
#ifndef SCANWALL_MGMT_JSON_H
#define SCANWALL_MGMT_JSON_H

#include <stddef.h>
#include <stdint.h>

#define MJ_DEPTH_MAX 16
#define MJ_PATH_MAX 256

enum mj_type { MJ_OBJ, MJ_ARR, MJ_STR, MJ_NUM, MJ_BOOL, MJ_NULL };

struct mj_val {
	enum mj_type type;
	const char *raw;	/* the value's text in the document */
	size_t len;
};

/* Called for every value, children before their parent. A non-zero return
 * stops the walk and is returned by mj_walk. */
typedef int (*mj_cb)(void *ctx, const char *path, const struct mj_val *v);

/* Returns 0, the callback's non-zero value, or -EBADMSG (not one JSON
 * value, too deep, a path too long). */
int mj_walk(const char *text, size_t len, mj_cb cb, void *ctx);

/* A string value unescaped into buf (always terminated; \u escapes beyond
 * ASCII become '?'). Returns 0, -EINVAL (not a string) or -ENOSPC. */
int mj_str(const struct mj_val *v, char *buf, size_t size);
/* A non-negative integer value. Returns 0 or -EINVAL. */
int mj_u64(const struct mj_val *v, uint64_t *out);

#endif
