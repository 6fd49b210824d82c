/* The normalized policy of `scanwalld --check`: what the engine will
 * enforce, spelled out for review. Definitions first in file order, then
 * the rules in order (their order is their meaning), then the default.
 * Defaults are explicit, addresses canonical, ports sorted and merged,
 * services in catalog order. Parsing this output prints it again
 * byte for byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scanwall/catalog.h"
#include "scanwall/poldecl.h"
#include "pol_int.h"

static void print_addr(FILE *out, const struct pol_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned full = a->af == SW_AF_INET ? 32 : 128;

	inet_ntop(a->af == SW_AF_INET ? AF_INET : AF_INET6, a->addr, buf, sizeof(buf));
	if (a->prefix == full)
		fputs(buf, out);
	else
		fprintf(out, "%s/%u", buf, a->prefix);
}

/* A title that is not a plain word, or that is a keyword, is quoted so
 * that it reads back as the same title. */
static void print_title(FILE *out, const char *t)
{
	bool quote = pol_is_keyword(t) || strpbrk(t, " ,#") != NULL;

	fprintf(out, quote ? "\"%s\"" : "%s", t);
}

static void print_def(FILE *out, const struct ast_def *d, bool titles)
{
	const struct pol_addr *a = d->addrs.v;
	const char *const *t = d->titles.v;
	unsigned i;

	fprintf(out, "%s %s ", d->device ? "device" : "peer", d->name);
	for (i = 0; i < d->addrs.n; i++) {
		if (i)
			fputc(',', out);
		print_addr(out, &a[i]);
	}
	if (!titles)
		return;
	fputs(" ae ", out);
	if (d->ae_any)
		fputs("any", out);
	for (i = 0; !d->ae_any && i < d->titles.n; i++) {
		if (i)
			fputc(',', out);
		print_title(out, t[i]);
	}
	fputc('\n', out);
}

static void print_ep(FILE *out, const char *kw, const struct ast_ep *ep)
{
	fprintf(out, " %s ", kw);
	if (ep->kind == EP_ANY)
		fputs("any", out);
	else if (ep->kind == EP_NAME)
		fputs(ep->name, out);
	else
		print_addr(out, &ep->addr);
}

static void print_ports(FILE *out, const struct pol_crule *r)
{
	unsigned i;

	if (!r->ports)
		return;
	fputs(" port ", out);
	for (i = 0; i < r->nports; i++) {
		fprintf(out, i ? ",%u" : "%u", r->ports[i].lo);
		if (r->ports[i].hi != r->ports[i].lo)
			fprintf(out, "-%u", r->ports[i].hi);
	}
}

static bool seen_before(const char *const *v, unsigned i)
{
	unsigned j;

	for (j = 0; j < i; j++)
		if (strcmp(v[j], v[i]) == 0)
			return true;
	return false;
}

static void print_dicom(FILE *out, const struct ast_rule *ar)
{
	const struct cat_service *const *svc = cat_services();
	const char *const *sop = ar->sops.v;
	unsigned i, n = 0;

	if (ar->services)
		fputs(" services", out);
	for (i = 0; svc[i]; i++)
		if (ar->services & (1u << i))
			fprintf(out, " %s", svc[i]->name);
	for (i = 0; i < ar->sops.n; i++)
		if (!seen_before(sop, i))
			fprintf(out, n++ ? ",%s" : " sop %s", sop[i]);
	fprintf(out, " inspect %s", ar->inspect == POL_INSPECT_ASSOCIATION ? "association" : "full");
	if (ar->strict)
		fputs(" strict", out);
}

static void print_rule(FILE *out, const struct pol_crule *r)
{
	const struct ast_rule *ar = r->src;

	fprintf(out, "%s %s", pol_action_name(ar->action), proto_name(ar->proto));
	print_ep(out, "from", &ar->from);
	print_ep(out, "to", &ar->to);
	print_ports(out, r);
	if (ar->proto == POL_DICOM)
		print_dicom(out, ar);
	if (ar->reason)
		fprintf(out, " reason \"%s\"", ar->reason);
	fputc('\n', out);
}

int pol_print(const struct pol *pol, FILE *out)
{
	const struct ast_def *defs = pol->ast.defs.v;
	unsigned i;

	for (i = 0; i < pol->ast.defs.n; i++)
		print_def(out, &defs[i], true);
	for (i = 0; i < pol->nrules; i++)
		print_rule(out, &pol->rules[i]);
	pol_print_default(pol, out);
	return ferror(out) ? -EIO : 0;
}

void pol_print_decl(const struct pol *pol, unsigned d, bool titles, FILE *out)
{
	if (d < pol->ast.defs.n)
		print_def(out, &((const struct ast_def *)pol->ast.defs.v)[d], titles);
}

void pol_print_rule(const struct pol *pol, unsigned index, FILE *out)
{
	if (index < pol->nrules)
		print_rule(out, &pol->rules[index]);
}

void pol_print_default(const struct pol *pol, FILE *out)
{
	fprintf(out, "default %s\n", pol_action_name(pol->def_action));
}
