#include <errno.h>
#include "learn_int.h"
int lrn_what_if(const struct lrn *t, const struct pol *cand, FILE *out) { return -ENOSYS; }
