/* `scanwalld --propose`: a complete policy from the observation table.
 *
 * The device is the template's (its name, addresses and refusals kept), or
 * without one the address in most relations. Every other address of a
 * relation becomes a peer named from its first AE title, with every title
 * it used. One `allow dicom` per initiator and acceptor, with the ports
 * seen and the catalog services that cover the classes used (the
 * commands seen on a class within the service's), `sop` for the rest,
 * all of them however many (a rule that dropped one would refuse it);
 * one plain rule per protocol and pair of ends; each rule preceded by
 * what was seen. Refusals and the template's rules nothing used are
 * listed as comments for the technician to judge. */
#include <errno.h>
#include <ctype.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/catalog.h"
#include "scanwall/flowkey.h"
#include "scanwall/poldecl.h"
#include "scanwall/policy.h"
#include "learn_int.h"

#define PR_NAME_MAX 32
#define PR_TITLES 16

struct pr_host {
	uint8_t af;
	uint8_t addr[16];
	char name[PR_NAME_MAX + 1];
	const char *titles[PR_TITLES];	/* pointers into the table */
	unsigned ntitles, nrel;
	unsigned decl;			/* index + 1 of the template's declaration naming it */
	bool device;
	bool dicom;			/* in a relation */
	bool plain;			/* in an allowed plain flow */
};

struct pr {
	const struct lrn *t;
	const struct pol *tmpl;		/* NULL: none */
	unsigned ndecl;			/* the template's declarations */
	struct pr_host *h;
	unsigned nh;
	/* one rule's classes and ports, sized for every record in one rule:
	 * a rule lists all it stands for, however many */
	uint32_t *sops, *ports;
	FILE *out;
};

static struct pr_host *pr_host(struct pr *p, uint8_t af, const uint8_t *addr)
{
	size_t n = af == SW_AF_INET ? 4 : 16;

	for (unsigned i = 0; i < p->nh; i++)
		if (p->h[i].af == af && !memcmp(p->h[i].addr, addr, n))
			return &p->h[i];
	return NULL;
}

static struct pr_host *pr_host_add(struct pr *p, uint8_t af, const uint8_t *addr)
{
	struct pr_host *h = pr_host(p, af, addr);

	if (h)
		return h;
	h = &p->h[p->nh++];
	*h = (struct pr_host){ .af = af };
	memcpy(h->addr, addr, af == SW_AF_INET ? 4 : 16);
	return h;
}

static void pr_title(struct pr_host *h, const char *title)
{
	for (unsigned i = 0; i < h->ntitles; i++)
		if (!strcmp(h->titles[i], title))
			return;
	if (title[0] && !strchr(title, '"') && h->ntitles < PR_TITLES)
		h->titles[h->ntitles++] = title;
}

/* Each host address of a template's declaration keeps its name (a
 * subnet's hosts get their own). */
static void pr_template_decl(struct pr *p, unsigned d)
{
	bool device;
	const char *name = pol_decl_name(p->tmpl, d, &device);
	uint8_t af, addr[16];
	unsigned prefix;

	for (unsigned i = 0; !pol_decl_addr(p->tmpl, d, i, &af, addr, &prefix); i++) {
		struct pr_host *h;

		if (prefix != (af == SW_AF_INET ? 32u : 128u))
			continue;
		h = pr_host_add(p, af, addr);
		h->decl = d + 1;
		h->device = device;
		snprintf(h->name, sizeof(h->name), "%s", name);
	}
}

static bool pr_name_taken(const struct pr *p, const char *name)
{
	bool device;

	if (pol_is_keyword(name))
		return true;
	for (unsigned i = 0; i < p->nh; i++)
		if (!strcmp(p->h[i].name, name))
			return true;
	for (unsigned d = 0; d < p->ndecl; d++)
		if (!strcmp(pol_decl_name(p->tmpl, d, &device), name))
			return true;
	return false;
}

/* A name from the first AE title: lower case, what a name may hold, a
 * letter first, unique. An address whose first title another address
 * already named uses is the same machine (its IPv4 and IPv6 addresses):
 * it shares the name. */
static void pr_name(struct pr *p, struct pr_host *h, const char *fallback)
{
	char base[PR_NAME_MAX + 1] = "", cand[PR_NAME_MAX + 1];
	const char *src = h->ntitles ? h->titles[0] : fallback;
	size_t n = 0;

	for (unsigned i = 0; h->ntitles && i < p->nh; i++) {
		const struct pr_host *o = &p->h[i];

		if (o != h && o->name[0] && !o->decl && o->ntitles &&
		    !strcmp(o->titles[0], h->titles[0])) {
			memcpy(h->name, o->name, sizeof(h->name));
			h->device = o->device;
			return;
		}
	}

	if (!isalpha((unsigned char)src[0]))
		n = (size_t)snprintf(base, sizeof(base), "ae-");
	for (; *src && n < PR_NAME_MAX - 3; src++)
		base[n++] = isalnum((unsigned char)*src) || *src == '-' || *src == '_' ?
				    (char)tolower((unsigned char)*src) : '-';
	base[n] = '\0';
	snprintf(cand, sizeof(cand), "%s", base);
	for (unsigned k = 2; pr_name_taken(p, cand); k++)
		snprintf(cand, sizeof(cand), "%s-%u", base, k);
	snprintf(h->name, sizeof(h->name), "%s", cand);
}

static void pr_hosts(struct pr *p)
{
	const struct lrn *t = p->t;
	struct pr_host *dev = NULL;

	for (unsigned i = 0; i < t->relp.used; i++) {
		const struct lrn_rel *r = &t->rel[i];
		struct pr_host *ini, *acc;

		if (!r->af)
			continue;
		ini = pr_host_add(p, r->af, r->ini);
		acc = pr_host_add(p, r->af, r->acc);
		pr_title(ini, r->calling);
		pr_title(acc, r->called);
		ini->nrel++;
		acc->nrel++;
		ini->dicom = acc->dicom = true;
	}
	if (!p->ndecl) {
		/* no template: the device is the one in most relations */
		for (unsigned i = 0; i < p->nh; i++)
			if (!dev || p->h[i].nrel > dev->nrel)
				dev = &p->h[i];
		if (dev) {
			dev->device = true;
			pr_name(p, dev, "device");
		}
	}
	for (unsigned i = 0; i < t->flowp.used; i++) {
		const struct lrn_flowrec *f = &t->flow[i];
		struct pr_host *src = pr_host(p, f->af, f->src), *dst = pr_host(p, f->af, f->dst);

		if (strcmp(f->kind, "allow"))
			continue;
		if (src)
			src->plain = true;
		if (dst)
			dst->plain = true;
	}
	for (unsigned i = 0; i < p->nh; i++)
		if (!p->h[i].name[0])
			pr_name(p, &p->h[i], "peer");
}

/* The first host named name, or NULL. */
static const struct pr_host *pr_first(const struct pr *p, const char *name)
{
	for (unsigned i = 0; i < p->nh; i++)
		if (!strcmp(p->h[i].name, name))
			return &p->h[i];
	return NULL;
}

static const char *pr_addr(uint8_t af, const uint8_t *a, char buf[64])
{
	return flowkey_addr_str(af, a, buf, 64);
}

/* An end of a rule: its name when it has one, else its address. */
static const char *pr_end(struct pr *p, uint8_t af, const uint8_t *a, char buf[64])
{
	const struct pr_host *h = pr_host(p, af, a);

	return h ? h->name : pr_addr(af, a, buf);
}

/* Every title of every host named like h, each once; "any" if none. */
static void pr_titles(const struct pr *p, FILE *out, const struct pr_host *h)
{
	unsigned n = 0;

	for (const struct pr_host *o = h; o < p->h + p->nh; o++) {
		if (strcmp(o->name, h->name))
			continue;
		for (unsigned i = 0; i < o->ntitles; i++) {
			const char *t = o->titles[i];
			bool quote = pol_is_keyword(t) || strpbrk(t, " ,#"), dup = false;

			for (const struct pr_host *q = h; q <= o && !dup; q++)
				for (unsigned k = 0; k < q->ntitles && !dup; k++)
					dup = (q < o || k < i) && !strcmp(q->name, h->name) &&
					      !strcmp(q->titles[k], t);
			if (!dup)
				fprintf(out, quote ? "%s\"%s\"" : "%s%s", n++ ? "," : "", t);
		}
	}
	if (!n)
		fputs("any", out);
}

/* A template's device or peer: its addresses, the titles seen (its own
 * when none was); a peer only when something used it. */
static void pr_template_line(struct pr *p, unsigned d, bool device)
{
	const struct pr_host *h = NULL;
	bool used = false, is_device;

	pol_decl_name(p->tmpl, d, &is_device);
	if (is_device != device)
		return;
	for (unsigned i = 0; i < p->nh; i++) {
		if (p->h[i].decl != d + 1)
			continue;
		used |= p->h[i].dicom || p->h[i].plain;
		if (p->h[i].ntitles)
			h = &p->h[i];
	}
	if (!device && !used)
		return;
	if (!h || (!device && !h->dicom)) {
		pol_print_decl(p->tmpl, d, true, p->out);
		return;
	}
	pol_print_decl(p->tmpl, d, false, p->out);
	fputs(" ae ", p->out);
	pr_titles(p, p->out, pr_first(p, h->name));
	fputc('\n', p->out);
}

static void pr_decls(struct pr *p)
{
	char buf[64];

	for (unsigned d = 0; d < p->ndecl; d++)
		pr_template_line(p, d, true);
	for (unsigned d = 0; d < p->ndecl; d++)
		pr_template_line(p, d, false);
	for (int device = 1; device >= 0; device--)
	for (unsigned i = 0; i < p->nh; i++) {
		const struct pr_host *h = &p->h[i];
		unsigned n = 0;

		if (h->decl || h->device != device || (!device && !h->dicom) ||
		    pr_first(p, h->name) != h)
			continue;
		fprintf(p->out, "%s %s ", device ? "device" : "peer", h->name);
		for (const struct pr_host *o = h; o < p->h + p->nh; o++)
			if (!strcmp(o->name, h->name))
				fprintf(p->out, "%s%s", n++ ? "," : "", pr_addr(o->af, o->addr, buf));
		fputs(" ae ", p->out);
		pr_titles(p, p->out, h);
		fputc('\n', p->out);
	}
}

/* The template's refusals, first as in the templates: they name ports
 * the device must never be reached on. A template peer they name comes
 * along. */
static bool pr_refusal(const struct pr *p, unsigned i)
{
	return pol_rule_at(p->tmpl, i)->action != POL_ALLOW;
}

static void pr_refusals_kept(struct pr *p)
{
	bool any = false;

	for (unsigned i = 0; p->tmpl && i < pol_rule_count(p->tmpl); i++) {
		if (!pr_refusal(p, i))
			continue;
		if (!any)
			fputs("\n# the template's refusals, kept\n", p->out);
		any = true;
		pol_print_rule(p->tmpl, i, p->out);
	}
}

static void pr_template_peers(struct pr *p)
{
	for (unsigned d = 0; d < p->ndecl; d++) {
		bool device, used = false;
		const char *name = pol_decl_name(p->tmpl, d, &device);

		for (unsigned i = 0; !device && i < pol_rule_count(p->tmpl) && !used; i++)
			used = pr_refusal(p, i) && pol_rule_names(p->tmpl, i, name);
		if (used)
			pol_print_decl(p->tmpl, d, true, p->out);
	}
}

/* The first catalog service that holds uid and allows every command seen
 * on it; NULL: it goes in `sop`. */
static const struct cat_service *pr_service(const char *uid, uint32_t cmds)
{
	const struct cat_service *const *s = cat_services();

	for (unsigned i = 0; s[i]; i++) {
		if ((cmds & s[i]->dimse) != cmds)
			continue;
		for (const char *const *u = s[i]->uids; *u; u++)
			if (!strcmp(*u, uid))
				return s[i];
	}
	return NULL;
}

static void pr_rel_comment(struct pr *p, const struct lrn_rel *r)
{
	const struct lrn *t = p->t;
	char a[24], b[24], x[64], y[64], cmds[128];

	fprintf(p->out, "# %s -> %s, %s -> %s port %u: %" PRIu64 " association(s), %" PRIu64
		" accepted, %" PRIu64 "/%" PRIu64 " bytes, first %s, last %s\n", r->calling,
		r->called, pr_addr(r->af, r->ini, x), pr_addr(r->af, r->acc, y), r->port,
		r->count[0], r->count[1], r->bytes[0], r->bytes[1], lrn_time(r->first_s, a),
		lrn_time(r->last_s, b));
	for (unsigned i = 0; i < r->nclass; i++) {
		const struct lrn_class *c = &r->cls[i];
		const struct cat_service *s = pr_service(t->uids[c->uid], lrn_class_cmds(c));

		if (!lrn_class_used(r, c))
			continue;
		fprintf(p->out, "#   %s %s%s%s\n", t->uids[c->uid], s ? s->name : "sop",
			lrn_class_cmds(c) ? ": " : "",
			lrn_cmd_names(lrn_class_cmds(c), cmds, sizeof(cmds)));
	}
}

/* The same two ends, by name: a peer's IPv4 and IPv6 relations are one
 * rule. */
static bool pr_same_ends(struct pr *p, const struct lrn_rel *a, const struct lrn_rel *b)
{
	char x[64], y[64];

	return !strcmp(pr_end(p, a->af, a->ini, x), pr_end(p, b->af, b->ini, y)) &&
	       !strcmp(pr_end(p, a->af, a->acc, x), pr_end(p, b->af, b->acc, y));
}

/* Adds x to a sorted set (sized by the caller for every x it may get);
 * returns the new count. */
static unsigned pr_set_add(uint32_t *v, unsigned n, uint32_t x)
{
	unsigned i = 0;

	while (i < n && v[i] < x)
		i++;
	if (i < n && v[i] == x)
		return n;
	memmove(&v[i + 1], &v[i], (n - i) * sizeof(*v));
	v[i] = x;
	return n + 1;
}

/* One rule for every relation between the same two ends. */
static void pr_dicom_rule(struct pr *p, unsigned first, bool *done)
{
	const struct lrn *t = p->t;
	const struct lrn_rel *r0 = &t->rel[first];
	const struct cat_service *const *svc = cat_services();
	uint32_t *ports = p->ports, *sops = p->sops, services = 0;
	unsigned nports = 0, nsops = 0, n;
	char a[64], b[64];

	fputc('\n', p->out);
	for (unsigned i = first; i < t->relp.used; i++) {
		const struct lrn_rel *r = &t->rel[i];

		if (done[i] || !r->af || !pr_same_ends(p, r0, r))
			continue;
		done[i] = true;
		pr_rel_comment(p, r);
		nports = pr_set_add(ports, nports, r->port);
		for (unsigned c = 0; c < r->nclass; c++) {
			const struct lrn_class *cl = &r->cls[c];
			const struct cat_service *s;

			if (!lrn_class_used(r, cl))
				continue;
			s = pr_service(t->uids[cl->uid], lrn_class_cmds(cl));
			for (unsigned k = 0; s && svc[k]; k++)
				if (svc[k] == s)
					services |= 1u << k;
			if (!s)
				nsops = pr_set_add(sops, nsops, cl->uid);
		}
	}
	fprintf(p->out, "allow dicom from %s to %s port", pr_end(p, r0->af, r0->ini, a),
		pr_end(p, r0->af, r0->acc, b));
	for (n = 0; n < nports; n++)
		fprintf(p->out, "%s%u", n ? "," : " ", ports[n]);
	if (services)
		fputs(" services", p->out);
	for (n = 0; svc[n]; n++)
		if (services & (1u << n))
			fprintf(p->out, " %s", svc[n]->name);
	for (n = 0; n < nsops; n++)
		fprintf(p->out, "%s%s", n ? "," : " sop ", t->uids[sops[n]]);
	if (!services && !nsops)	/* no class kept (the table was full): the least */
		fputs(" services verification", p->out);
	fputs(" inspect full\n", p->out);
}

static bool pr_same_plain(struct pr *p, const struct lrn_flowrec *a,
			  const struct lrn_flowrec *b)
{
	char x[64], y[64];

	return a->kind == b->kind && a->proto == b->proto &&
	       !strcmp(pr_end(p, a->af, a->src, x), pr_end(p, b->af, b->src, y)) &&
	       !strcmp(pr_end(p, a->af, a->dst, x), pr_end(p, b->af, b->dst, y));
}

/* A plain flow a rule can be written for: ICMP, or TCP and UDP to a port
 * (port 0 cannot be written, and no port would allow them all). */
static bool pr_plain_writable(const struct lrn_flowrec *f)
{
	return !strcmp(f->kind, "allow") && (flowkey_proto_icmp(f->proto) || f->port);
}

static void pr_plain_rule(struct pr *p, unsigned first, bool *done)
{
	const struct lrn *t = p->t;
	const struct lrn_flowrec *f0 = &t->flow[first];
	uint32_t *ports = p->ports;
	unsigned nports = 0;
	char a[64], b[64], ta[24], tb[24];

	fputc('\n', p->out);
	for (unsigned i = first; i < t->flowp.used; i++) {
		const struct lrn_flowrec *f = &t->flow[i];

		if (done[i] || !pr_same_plain(p, f0, f) || !pr_plain_writable(f))
			continue;
		done[i] = true;
		fprintf(p->out, "# %s", flowkey_proto_name(f->proto));
		if (!flowkey_proto_icmp(f->proto))
			fprintf(p->out, " port %u", f->port);
		fprintf(p->out, ": %" PRIu64 " flow(s), first %s, last %s\n", f->count,
			lrn_time(f->first_s, ta), lrn_time(f->last_s, tb));
		if (!flowkey_proto_icmp(f->proto))
			nports = pr_set_add(ports, nports, f->port);
	}
	fprintf(p->out, "allow %s from %s to %s", flowkey_proto_name(f0->proto),
		pr_end(p, f0->af, f0->src, a), pr_end(p, f0->af, f0->dst, b));
	for (unsigned n = 0; n < nports; n++)
		fprintf(p->out, "%s%u", n ? "," : " port ", ports[n]);
	fputc('\n', p->out);
}

static void pr_refusals_seen(struct pr *p)
{
	const struct lrn *t = p->t;
	char ta[24], tb[24];
	bool any = false;

	for (unsigned i = 0; i < t->flowp.used; i++) {
		const struct lrn_flowrec *f = &t->flow[i];

		if (!strcmp(f->kind, "allow"))
			continue;
		if (!any)
			fputs("\n# refused while observed (not made into rules: judge each):\n", p->out);
		any = true;
		fprintf(p->out, "#   %s ", f->kind);
		lrn_put_flow(p->out, f);
		if (f->rule_line)
			fprintf(p->out, " (rule line %d)", f->rule_line);
		else
			fputs(" (default)", p->out);
		fprintf(p->out, ": %" PRIu64 ", first %s, last %s\n", f->count,
			lrn_time(f->first_s, ta), lrn_time(f->last_s, tb));
	}
}

static int pr_unused(struct pr *p, const struct pol *tmpl)
{
	bool *used = lrn_rules_used(p->t, tmpl), any = false;

	if (!used)
		return -ENOMEM;
	for (unsigned i = 0; i < pol_rule_count(tmpl); i++) {
		if (used[i])
			continue;
		if (!any)
			fputs("\n# rules of the template nothing observed used:\n", p->out);
		any = true;
		/* its text, not its line: the template may be the policy in
		 * force, whose lines are those of its normalized form */
		fputs("#   ", p->out);
		pol_print_rule(tmpl, i, p->out);
	}
	free(used);
	return 0;
}

static int pr_write(struct pr *p, const struct pol *tmpl)
{
	const struct lrn *t = p->t;
	const struct lrn_dropped *dr = &t->dropped;
	unsigned nrec = t->relp.used > t->flowp.used ? t->relp.used : t->flowp.used;
	bool *done = calloc(nrec + 1, sizeof(bool));
	int err = 0;

	if (!done)
		return -ENOMEM;
	fprintf(p->out, "# Proposed by scanwalld --propose from %u relation(s) and %u flow(s) "
		"observed%s\n", lrn_relation_count(t), lrn_flow_count(t), tmpl ? ", with a template" : "");
	if (dr->relations || dr->classes || dr->uids || dr->flows)
		fprintf(p->out, "# the table was full: %" PRIu64 " relation(s), %" PRIu64
			" class(es), %" PRIu64 " flow(s) not recorded\n", dr->relations,
			dr->classes + dr->uids, dr->flows);
	if (dr->evicted_relations || dr->evicted_flows)
		fprintf(p->out, "# the table was full: %" PRIu64 " relation(s) and %" PRIu64
			" flow(s) or refusal(s) seen least were evicted\n", dr->evicted_relations,
			dr->evicted_flows);
	pr_decls(p);
	pr_template_peers(p);
	pr_refusals_kept(p);
	for (unsigned i = 0; i < t->relp.used; i++)
		if (!done[i] && t->rel[i].af)
			pr_dicom_rule(p, i, done);
	memset(done, 0, (t->flowp.used + 1) * sizeof(bool));
	for (unsigned i = 0; i < t->flowp.used; i++)
		if (!done[i] && pr_plain_writable(&t->flow[i]))
			pr_plain_rule(p, i, done);
	pr_refusals_seen(p);
	if (tmpl)
		err = pr_unused(p, tmpl);
	fputc('\n', p->out);
	if (tmpl)
		pol_print_default(tmpl, p->out);
	else
		fputs("default block\n", p->out);
	free(done);
	return err;
}

/* Hosts at most: both ends of every relation, and every address of the
 * template's declarations (a comma more than addresses: the AE list's
 * count too, an upper bound). */
static size_t pr_max_hosts(const struct pr *p)
{
	size_t n = 2u * (size_t)p->t->relp.used + 1;
	uint8_t af, addr[16];
	unsigned prefix;

	for (unsigned d = 0; d < p->ndecl; d++)
		for (unsigned i = 0; !pol_decl_addr(p->tmpl, d, i, &af, addr, &prefix); i++)
			n++;
	return n;
}

int lrn_propose(const struct lrn *t, const struct pol *tmpl, FILE *out, FILE *err)
{
	struct pr p = { .t = t, .tmpl = tmpl, .ndecl = tmpl ? pol_decl_count(tmpl) : 0,
			.out = out };
	int ret = 0;

	p.h = calloc(pr_max_hosts(&p), sizeof(*p.h));
	p.sops = calloc((size_t)t->relp.used * LRN_REL_CLASSES + 1, sizeof(*p.sops));
	p.ports = calloc((size_t)t->relp.used + t->flowp.used + 1, sizeof(*p.ports));
	if (!p.h || !p.sops || !p.ports) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (unsigned d = 0; d < p.ndecl; d++)
		pr_template_decl(&p, d);
	pr_hosts(&p);
	if (!ret && !p.nh && !tmpl) {
		fputs("scanwalld: the table holds no DICOM relation: no device to write a "
		      "policy for (give --template)\n", err);
		ret = -ENOENT;
	}
	if (!ret)
		ret = pr_write(&p, tmpl);
out_free:
	free(p.h);
	free(p.sops);
	free(p.ports);
	return ret;
}
