/* What the tools that write policies (the commissioning proposer and
 * what-if, src/learn) read of a parsed one beyond matching: its device and
 * peer declarations, which rules name a declaration, and any one
 * statement's line as `scanwalld --check` prints it (pol_print). Read from
 * the syntax tree, never by parsing printed text again. */
#ifndef SCANWALL_POLDECL_H
#define SCANWALL_POLDECL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct pol;

unsigned pol_decl_count(const struct pol *pol);
/* Declaration d's name, *device set; NULL past the last. */
const char *pol_decl_name(const struct pol *pol, unsigned d, bool *device);
/* Its address i (SW_AF_*, prefix 32 or 128 for one host): 0, or -ENOENT
 * past the last. */
int pol_decl_addr(const struct pol *pol, unsigned d, unsigned i, uint8_t *af,
		  uint8_t addr[16], unsigned *prefix);
/* Whether rule index's `from` or `to` is the declaration named name. */
bool pol_rule_names(const struct pol *pol, unsigned index, const char *name);

/* pol_print's line of declaration d with its newline; without titles it
 * stops before " ae" (the caller writes titles of its own). */
void pol_print_decl(const struct pol *pol, unsigned d, bool titles, FILE *out);
/* pol_print's line of rule index, and of the default, with the newline. */
void pol_print_rule(const struct pol *pol, unsigned index, FILE *out);
void pol_print_default(const struct pol *pol, FILE *out);

#endif
