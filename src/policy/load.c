/* pol_parse and pol_load: the whole policy is parsed and compiled before
 * anything is returned, so a caller holds either a complete policy or
 * nothing, never one with a statement missing. Only policy errors go to
 * diag; a file that cannot be read or memory that runs out is left in errno
 * for the caller to report (errno EINVAL means: already reported). */
#include <errno.h>
#include <stdlib.h>

#include "scanwall/fileio.h"
#include "pol_int.h"

/* Far above any real policy; keeps a wrong path (a disk image) from
 * being read into memory whole. */
#define POL_FILE_MAX (1u << 20)

struct pol *pol_parse(const char *name, const char *text, size_t len, FILE *diag)
{
	struct pol_diag d = { .name = name ? name : "policy" };
	struct pol_arena *a = pa_new();
	struct pol *pol = NULL;
	int err = ENOMEM;

	if (!a)
		goto out_diag;
	pol = pa_alloc(a, sizeof(*pol));
	if (!pol)
		goto out_arena;
	pol->arena = a;
	if (pol_syntax(&pol->ast, text, len, a, &d) < 0 || pol_compile(pol, &d) < 0 || d.oom)
		goto out_arena;
	err = EINVAL;
	if (d.n || d.dropped)
		goto out_arena;
	diag_flush(&d, diag);
	return pol;
out_arena:
	pa_free(a);
out_diag:
	diag_flush(&d, diag);
	errno = err;
	return NULL;
}

struct pol *pol_load(const char *path, FILE *diag)
{
	struct pol *pol;
	size_t len = 0;
	char *text;
	int err = sw_read_file(path, POL_FILE_MAX, &text, &len);

	if (err) {
		errno = -err;
		return NULL;
	}
	pol = pol_parse(path, text, len, diag);
	err = errno;
	free(text);
	errno = err;
	return pol;
}

void pol_free(struct pol *pol)
{
	if (pol)
		pa_free(pol->arena);
}
