/* `scanwalld --propose` and `--what-if`: the commissioning tools over a
 * saved observation table (docs/commissioning.md). Both return the exit
 * status: 0 done; what-if 1 when the policy refuses something seen;
 * 2 unusable input, said on stderr. */
#ifndef SW_ENGINE_COMMISSION_H
#define SW_ENGINE_COMMISSION_H

#include <stdio.h>

int commission_propose(const char *table, const char *tmpl, FILE *out);
int commission_what_if(const char *table, const char *policy, FILE *out);

#endif
