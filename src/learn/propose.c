#include <errno.h>
#include "learn_int.h"
int lrn_propose(const struct lrn *t, const struct pol *tmpl, FILE *out, FILE *err) { return -ENOSYS; }
