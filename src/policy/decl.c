/* A policy's declarations as data (scanwall/poldecl.h), for the tools
 * that write policies from a template. */
#include <errno.h>
#include <string.h>

#include "scanwall/poldecl.h"
#include "pol_int.h"

static const struct ast_def *decl_at(const struct pol *pol, unsigned d)
{
	return d < pol->ast.defs.n ? &((const struct ast_def *)pol->ast.defs.v)[d] : NULL;
}

unsigned pol_decl_count(const struct pol *pol)
{
	return pol->ast.defs.n;
}

const char *pol_decl_name(const struct pol *pol, unsigned d, bool *device)
{
	const struct ast_def *def = decl_at(pol, d);

	if (!def)
		return NULL;
	*device = def->device;
	return def->name;
}

int pol_decl_addr(const struct pol *pol, unsigned d, unsigned i, uint8_t *af,
		  uint8_t addr[16], unsigned *prefix)
{
	const struct ast_def *def = decl_at(pol, d);
	const struct pol_addr *a;

	if (!def || i >= def->addrs.n)
		return -ENOENT;
	a = &((const struct pol_addr *)def->addrs.v)[i];
	*af = a->af;
	memcpy(addr, a->addr, 16);
	*prefix = a->prefix;
	return 0;
}

static bool ep_names(const struct ast_ep *ep, const char *name)
{
	return ep->kind == EP_NAME && !strcmp(ep->name, name);
}

bool pol_rule_names(const struct pol *pol, unsigned index, const char *name)
{
	const struct ast_rule *r;

	if (index >= pol->nrules)
		return false;
	r = pol->rules[index].src;
	return ep_names(&r->from, name) || ep_names(&r->to, name);
}
