/* Statements into a syntax tree (grammar in docs/POLICY.md). A statement is
 * one line; after a syntax error the rest of the line is skipped so that
 * every statement gets its say. Bad values (an address, a port, a UID, an
 * AE title) are reported where they stand and parsing goes on, so one run
 * shows all of them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/catalog.h"
#include "scanwall/config.h"
#include "scanwall/dicom.h"
#include "pol_int.h"

struct parser {
	struct lexer lx;
	struct tok t;
	struct pol_diag *d;
	struct pol_arena *a;
	struct ast *ast;
};

/* Quote at most this much of a bad word in a message. */
#define QUOTE_MAX 48
#define QW(t) (int)((t)->len > QUOTE_MAX ? QUOTE_MAX : (t)->len), (t)->s
#define perr(p, tk, ...) diag_err((p)->d, (tk)->line, (tk)->col, __VA_ARGS__)

static const char *const keywords[] = {
	"device", "peer", "allow", "block", "reject", "default", "dicom", "tcp",
	"udp", "icmp", "icmpv6", "from", "to", "port", "services", "sop",
	"inspect", "reason", "ae", "any", "full", "association", "strict", NULL,
};

/* Words that end a list: the next part of the statement. */
static const char *const list_stops[] = {
	"ae", "from", "to", "port", "services", "sop", "inspect", "reason", "strict", NULL,
};

static bool tok_in(const struct tok *t, const char *const *words)
{
	for (; *words; words++)
		if (tok_is(t, *words))
			return true;
	return false;
}

static void next(struct parser *p)
{
	lex_next(&p->lx, &p->t);
}

static const char *tok_desc(const struct tok *t, char *buf, size_t size)
{
	static const char *const kinds[] = {
		[TK_EOF] = "end of file", [TK_NL] = "end of line",
		[TK_STRING] = "a string", [TK_COMMA] = "','",
	};

	if (t->kind != TK_WORD)
		return kinds[t->kind];
	snprintf(buf, size, "'%.*s'", QW(t));
	return buf;
}

static void *push(struct parser *p, struct pa_vec *v, size_t elem)
{
	void *slot = pa_push(p->a, v, elem);

	if (!slot)
		p->d->oom = true;
	return slot;
}

static char *dup_tok(struct parser *p, const struct tok *t)
{
	char *s = pa_strndup(p->a, t->s, t->len);

	if (!s)
		p->d->oom = true;
	return s ? s : "";
}

/* Decimal without sign or leading zero, at most max. */
static int parse_uint(const char *s, size_t len, unsigned max, unsigned *v)
{
	size_t i;

	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return -1;
	for (*v = 0, i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return *v <= max ? 0 : -1;
}

/* --- addresses ---------------------------------------------------------- */

static bool host_bits_set(const struct pol_addr *a)
{
	unsigned bits = a->af == SW_AF_INET ? 32 : 128, i;

	for (i = a->prefix; i < bits; i++)
		if (a->addr[i / 8] & (0x80 >> (i % 8)))
			return true;
	return false;
}

static void net_str(const struct pol_addr *a, char *buf, size_t size)
{
	uint8_t net[16];
	unsigned i;

	memcpy(net, a->addr, sizeof(net));
	for (i = a->prefix; i < 128; i++)
		net[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	inet_ntop(a->af == SW_AF_INET ? AF_INET : AF_INET6, net, buf, (socklen_t)size);
}

static int parse_addr(struct parser *p, const struct tok *t, struct pol_addr *out)
{
	char buf[64], net[INET6_ADDRSTRLEN], *slash;
	unsigned max, len;

	memset(out, 0, sizeof(*out));
	if (t->len >= sizeof(buf))
		goto bad;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->af = SW_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->af = SW_AF_INET6;
		max = 128;
		if (!IS_ENABLED(CONFIG_IPV6)) {
			perr(p, t, "IPv6 address '%.*s', but this build has no IPv6 (CONFIG_IPV6)",
			     QW(t));
			return -1;
		}
	} else {
		goto bad;
	}
	out->prefix = (uint8_t)max;
	if (!slash)
		return 0;
	if (parse_uint(slash, strlen(slash), max, &len) < 0) {
		perr(p, t, "bad prefix length in '%.*s' (0 to %u)", QW(t), max);
		return -1;
	}
	out->prefix = (uint8_t)len;
	if (host_bits_set(out)) {
		net_str(out, net, sizeof(net));
		perr(p, t, "'%.*s' has host bits set (the network is %s/%u)", QW(t), net, len);
		return -1;
	}
	return 0;
bad:
	perr(p, t, "bad address '%.*s'", QW(t));
	return -1;
}

/* --- lists -------------------------------------------------------------- */

/* How a list reads: after a comma any word is an item (and a bad one is
 * reported as such); without a comma only a word that looks like an item
 * goes on, so `port 80 log` reports the unknown word `log`. */
struct list_kind {
	const char *what;
	void (*item)(struct parser *p, void *ctx);
	bool (*looks)(const struct tok *t);
	bool strings;		/* quoted items (AE titles with blanks) */
};

static bool starts_with_digit(const struct tok *t)
{
	return t->len && t->s[0] >= '0' && t->s[0] <= '9';
}

static bool looks_like_addr(const struct tok *t)
{
	return starts_with_digit(t) || memchr(t->s, ':', t->len) || memchr(t->s, '/', t->len);
}

static bool any_word(const struct tok *t)
{
	(void)t;
	return true;
}

static bool list_item_ok(const struct list_kind *k, const struct tok *t, bool after_comma)
{
	if (t->kind == TK_STRING)
		return k->strings;
	return t->kind == TK_WORD && !tok_in(t, list_stops) && (after_comma || k->looks(t));
}

/* Items separated by commas or blanks; the list ends at the line's end or
 * at the next part of the statement. */
static int parse_list(struct parser *p, const struct list_kind *k, void *ctx)
{
	char buf[64];

	for (;;) {
		if (!list_item_ok(k, &p->t, true)) {
			perr(p, &p->t, "expected %s, found %s", k->what,
			     tok_desc(&p->t, buf, sizeof(buf)));
			return -1;
		}
		k->item(p, ctx);
		next(p);
		if (p->t.kind == TK_COMMA)
			next(p);
		else if (!list_item_ok(k, &p->t, false))
			return 0;
	}
}

static void def_addr_item(struct parser *p, void *ctx)
{
	struct ast_def *def = ctx;
	struct pol_addr a, *slot;

	if (parse_addr(p, &p->t, &a) < 0)
		return;
	if (def->device && a.prefix != (a.af == SW_AF_INET ? 32 : 128)) {
		perr(p, &p->t, "a device has host addresses, not a network ('%.*s')", QW(&p->t));
		return;
	}
	slot = push(p, &def->addrs, sizeof(*slot));
	if (slot)
		*slot = a;
}

/* Leading and trailing spaces of an AE title are padding (PS3.5 6.2), so
 * the policy keeps only the significant part, as pol_ae_allowed gets it. */
static void ae_item(struct parser *p, void *ctx)
{
	struct ast_def *def = ctx;
	size_t start = 0, len = p->t.len;
	const char *why, **slot;

	while (start < len && p->t.s[start] == ' ')
		start++;
	while (len > start && p->t.s[len - 1] == ' ')
		len--;
	why = dcm_ae_problem(p->t.s + start, len - start);
	if (why) {
		perr(p, &p->t, "AE title '%.*s' %s", QW(&p->t), why);
		return;
	}
	slot = push(p, &def->titles, sizeof(*slot));
	if (slot)
		*slot = pa_strndup(p->a, p->t.s + start, len - start);
	if (slot && !*slot)
		p->d->oom = true;
}

static void port_item(struct parser *p, void *ctx)
{
	struct ast_rule *r = ctx;
	const char *s = p->t.s, *dash = memchr(s, '-', p->t.len);
	size_t lo_len = dash ? (size_t)(dash - s) : p->t.len;
	unsigned lo, hi;
	struct pol_prange *slot;

	if (parse_uint(s, lo_len, 65535, &lo) < 0 || lo == 0 ||
	    (dash && (parse_uint(dash + 1, p->t.len - lo_len - 1, 65535, &hi) < 0 || hi == 0))) {
		perr(p, &p->t, "bad port '%.*s' (1 to 65535, or a range like 2000-2010)", QW(&p->t));
		return;
	}
	if (!dash)
		hi = lo;
	if (lo > hi) {
		perr(p, &p->t, "port range '%.*s' runs backwards", QW(&p->t));
		return;
	}
	slot = push(p, &r->ports, sizeof(*slot));
	if (slot)
		*slot = (struct pol_prange){ (uint16_t)lo, (uint16_t)hi };
}

static void service_item(struct parser *p, void *ctx)
{
	const struct cat_service *const *all = cat_services();
	struct ast_rule *r = ctx;
	char known[160];
	size_t n = 0;
	unsigned i;

	for (i = 0; all[i]; i++)
		if (tok_is(&p->t, all[i]->name)) {
			r->services |= 1u << i;
			return;
		}
	/* the catalog is the one list of names: the message quotes it */
	for (i = 0; all[i] && n < sizeof(known); i++)
		n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", i ? ", " : "",
				      all[i]->name);
	perr(p, &p->t, "unknown service '%.*s' (known: %s)", QW(&p->t), known);
}

static void sop_item(struct parser *p, void *ctx)
{
	struct ast_rule *r = ctx;
	const char *why = dcm_uid_problem(p->t.s, p->t.len), **slot;

	if (why) {
		perr(p, &p->t, "bad UID '%.*s': it %s", QW(&p->t), why);
		return;
	}
	slot = push(p, &r->sops, sizeof(*slot));
	if (slot)
		*slot = dup_tok(p, &p->t);
}

static const struct list_kind addr_list = { "an address", def_addr_item, looks_like_addr, false };
static const struct list_kind ae_list = { "an AE title", ae_item, any_word, true };
static const struct list_kind port_list = { "a port", port_item, starts_with_digit, false };
static const struct list_kind service_list = { "a service name", service_item, any_word, false };
static const struct list_kind sop_list = { "a SOP class UID", sop_item, starts_with_digit, false };

/* --- device and peer ---------------------------------------------------- */

static void check_name(struct parser *p, const struct tok *t)
{
	size_t i;
	bool ok = t->len <= POL_NAME_MAX &&
		  ((t->s[0] >= 'a' && t->s[0] <= 'z') || (t->s[0] >= 'A' && t->s[0] <= 'Z'));

	for (i = 1; ok && i < t->len; i++) {
		char c = t->s[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '-' || c == '_';
	}
	if (tok_in(t, keywords))
		perr(p, t, "'%.*s' is a keyword, not a name", QW(t));
	else if (!ok)
		perr(p, t, "bad name '%.*s' (a letter, then letters, digits, '-' or '_'; "
			   "at most 32)", QW(t));
}

static int stmt_def(struct parser *p)
{
	struct ast_def def = { .device = tok_is(&p->t, "device") }, *slot;
	const char *kw = def.device ? "device" : "peer";
	char buf[64];

	next(p);
	if (p->t.kind != TK_WORD) {
		perr(p, &p->t, "expected a name after '%s', found %s", kw,
		     tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	check_name(p, &p->t);
	def.name = dup_tok(p, &p->t);
	def.line = p->t.line;
	def.col = p->t.col;
	next(p);
	if (parse_list(p, &addr_list, &def) < 0)
		return -1;
	if (!tok_is(&p->t, "ae")) {
		perr(p, &p->t, "expected 'ae' and the AE titles of '%s', found %s", def.name,
		     tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	next(p);
	if (tok_is(&p->t, "any")) {
		if (def.device)
			perr(p, &p->t, "a device needs its own AE titles, not 'any'");
		def.ae_any = true;
		next(p);
	} else if (parse_list(p, &ae_list, &def) < 0) {
		return -1;
	}
	slot = push(p, &p->ast->defs, sizeof(*slot));
	if (slot)
		*slot = def;
	return 0;
}

/* --- rules -------------------------------------------------------------- */

static int parse_ep(struct parser *p, const char *kw, struct ast_ep *ep)
{
	char buf[64];

	if (!tok_is(&p->t, kw)) {
		perr(p, &p->t, "expected '%s', found %s", kw, tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	next(p);
	if (p->t.kind != TK_WORD || tok_in(&p->t, list_stops)) {
		perr(p, &p->t, "expected a name, an address or 'any' after '%s', found %s", kw,
		     tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	ep->line = p->t.line;
	ep->col = p->t.col;
	if (tok_is(&p->t, "any")) {
		ep->kind = EP_ANY;
	} else if (looks_like_addr(&p->t)) {
		ep->kind = EP_ADDR;
		parse_addr(p, &p->t, &ep->addr);
	} else {
		ep->kind = EP_NAME;
		ep->name = dup_tok(p, &p->t);
	}
	next(p);
	return 0;
}

enum { OPT_PORT, OPT_SERVICES, OPT_SOP, OPT_INSPECT, OPT_REASON, OPT_STRICT, OPT_COUNT };

static int opt_port(struct parser *p, struct ast_rule *r)
{
	next(p);
	r->has_ports = true;
	return parse_list(p, &port_list, r);
}

static int opt_services(struct parser *p, struct ast_rule *r)
{
	next(p);
	return parse_list(p, &service_list, r);
}

static int opt_sop(struct parser *p, struct ast_rule *r)
{
	next(p);
	return parse_list(p, &sop_list, r);
}

static int opt_inspect(struct parser *p, struct ast_rule *r)
{
	char buf[64];

	next(p);
	if (tok_is(&p->t, "full")) {
		r->inspect = POL_INSPECT_FULL;
	} else if (tok_is(&p->t, "association")) {
		r->inspect = POL_INSPECT_ASSOCIATION;
	} else {
		perr(p, &p->t, "expected 'full' or 'association' after 'inspect', found %s",
		     tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	next(p);
	return 0;
}

/* `strict`: DICOM anomalies (docs/dicom.md) abort the association. */
static int opt_strict(struct parser *p, struct ast_rule *r)
{
	next(p);
	r->strict = true;
	return 0;
}

static int opt_reason(struct parser *p, struct ast_rule *r)
{
	char buf[64];

	next(p);
	if (p->t.kind != TK_STRING) {
		perr(p, &p->t, "expected a quoted text after 'reason', found %s",
		     tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	if (p->t.len == 0)
		perr(p, &p->t, "empty reason");
	else if (p->t.len > POL_REASON_MAX)
		perr(p, &p->t, "reason longer than %u characters", POL_REASON_MAX);
	r->reason = dup_tok(p, &p->t);
	next(p);
	return 0;
}

static const struct rule_opt {
	const char *word;
	int (*parse)(struct parser *p, struct ast_rule *r);
} rule_opts[OPT_COUNT] = {
	[OPT_PORT] = { "port", opt_port },
	[OPT_SERVICES] = { "services", opt_services },
	[OPT_SOP] = { "sop", opt_sop },
	[OPT_INSPECT] = { "inspect", opt_inspect },
	[OPT_REASON] = { "reason", opt_reason },
	[OPT_STRICT] = { "strict", opt_strict },
};

static int parse_opts(struct parser *p, struct ast_rule *r, struct tok *seen)
{
	unsigned i;

	while (p->t.kind == TK_WORD) {
		for (i = 0; i < OPT_COUNT && !tok_is(&p->t, rule_opts[i].word); i++)
			;
		if (i == OPT_COUNT) {
			perr(p, &p->t, "unknown word '%.*s' (a rule goes on with port, services, "
				       "sop, inspect, strict or reason)", QW(&p->t));
			return -1;
		}
		if (seen[i].line)
			perr(p, &p->t, "'%s' given twice", rule_opts[i].word);
		seen[i] = p->t;
		if (rule_opts[i].parse(p, r) < 0)
			return -1;
	}
	return 0;
}

/* What the grammar cannot say: which options fit which protocol. */
static void check_rule(struct parser *p, struct ast_rule *r, const struct tok *start,
		       const struct tok *proto, const struct tok *seen)
{
	static const unsigned dicom_only[] = { OPT_SERVICES, OPT_SOP, OPT_INSPECT, OPT_STRICT };
	bool dicom = r->proto == POL_DICOM;
	unsigned i;

	if (dicom && r->action != POL_ALLOW)
		perr(p, proto, "DICOM rules only allow; to %s a DICOM port write '%s tcp'",
		     pol_action_name(r->action), pol_action_name(r->action));
	if (seen[OPT_PORT].line && (r->proto == POL_ICMP || r->proto == POL_ICMPV6))
		perr(p, &seen[OPT_PORT], "ports do not apply to %s", proto_name(r->proto));
	for (i = 0; i < sizeof(dicom_only) / sizeof(dicom_only[0]); i++)
		if (seen[dicom_only[i]].line && !dicom)
			perr(p, &seen[dicom_only[i]], "'%s' only applies to allow dicom rules",
			     rule_opts[dicom_only[i]].word);
	if (dicom && r->action == POL_ALLOW && !seen[OPT_PORT].line)
		perr(p, start, "allow dicom needs 'port' (DICOM has no fixed port: 104, 11112, ...)");
	if (dicom && r->action == POL_ALLOW && !seen[OPT_SERVICES].line && !seen[OPT_SOP].line)
		perr(p, start, "allow dicom needs 'services' naming what the association may carry");
	if (dicom && r->inspect == POL_INSPECT_NONE)
		r->inspect = IS_ENABLED(CONFIG_INSPECT_DEFAULT_ASSOCIATION) ?
			POL_INSPECT_ASSOCIATION : POL_INSPECT_FULL;
}

static const char *const action_names[] = {
	[POL_BLOCK] = "block", [POL_REJECT] = "reject", [POL_ALLOW] = "allow",
};
static const char *const proto_names[] = {
	[POL_TCP] = "tcp", [POL_UDP] = "udp", [POL_ICMP] = "icmp",
	[POL_ICMPV6] = "icmpv6", [POL_DICOM] = "dicom",
};

const char *pol_action_name(enum pol_action a)
{
	return action_names[a];
}

const char *proto_name(enum pol_proto p)
{
	return proto_names[p];
}

static int lookup(const struct tok *t, const char *const *names, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (tok_is(t, names[i]))
			return (int)i;
	return -1;
}

static int stmt_rule(struct parser *p)
{
	struct ast_rule r = { .line = p->t.line }, *slot;
	struct tok start = p->t, proto, seen[OPT_COUNT];
	char buf[64];
	int v;

	memset(seen, 0, sizeof(seen));
	r.action = (enum pol_action)lookup(&p->t, action_names, 3);
	next(p);
	proto = p->t;
	v = lookup(&p->t, proto_names, 5);
	if (v < 0) {
		perr(p, &p->t, "expected dicom, tcp, udp, icmp or icmpv6, found %s",
		     tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	r.proto = (enum pol_proto)v;
	next(p);
	if (parse_ep(p, "from", &r.from) < 0 || parse_ep(p, "to", &r.to) < 0 ||
	    parse_opts(p, &r, seen) < 0)
		return -1;
	check_rule(p, &r, &start, &proto, seen);
	slot = push(p, &p->ast->rules, sizeof(*slot));
	if (slot)
		*slot = r;
	return 0;
}

static int stmt_default(struct parser *p)
{
	struct tok kw = p->t;
	char buf[64];

	next(p);
	if (tok_is(&p->t, "allow")) {
		perr(p, &p->t, "there is no 'default allow': what no rule allows is blocked");
		return -1;
	}
	if (!tok_is(&p->t, "block") && !tok_is(&p->t, "reject")) {
		perr(p, &p->t, "expected 'block' or 'reject' after 'default', found %s",
		     tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	if (p->ast->def_line)
		perr(p, &kw, "second 'default' (the first is on line %u)", p->ast->def_line);
	p->ast->def_line = kw.line;
	p->ast->def_action = tok_is(&p->t, "block") ? POL_BLOCK : POL_REJECT;
	next(p);
	return 0;
}

static const struct stmt {
	const char *word;
	int (*parse)(struct parser *p);
} stmts[] = {
	{ "device", stmt_def }, { "peer", stmt_def }, { "allow", stmt_rule },
	{ "block", stmt_rule }, { "reject", stmt_rule }, { "default", stmt_default },
};

static int statement(struct parser *p)
{
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if (tok_is(&p->t, stmts[i].word))
			break;
	if (i == sizeof(stmts) / sizeof(stmts[0])) {
		perr(p, &p->t, "unknown statement %s (expected device, peer, allow, block, "
			       "reject or default)", tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	if (stmts[i].parse(p) < 0)
		return -1;
	if (p->t.kind != TK_NL && p->t.kind != TK_EOF) {
		perr(p, &p->t, "unexpected %s at the end of the statement",
		     tok_desc(&p->t, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

int pol_syntax(struct ast *ast, const char *text, size_t len, struct pol_arena *a,
	       struct pol_diag *d)
{
	struct parser p = { .d = d, .a = a, .ast = ast };

	lex_init(&p.lx, text, len, d);
	ast->def_action = POL_BLOCK;
	next(&p);
	while (p.t.kind != TK_EOF) {
		if (p.t.kind != TK_NL && statement(&p) < 0)
			while (p.t.kind != TK_NL && p.t.kind != TK_EOF)
				next(&p);
		if (p.t.kind == TK_NL)
			next(&p);
	}
	ast->eof_line = p.t.line;
	ast->eof_col = p.t.col;
	return d->oom ? -ENOMEM : 0;
}

/* The printer quotes an AE title that would otherwise read as a keyword. */
bool pol_is_keyword(const char *s)
{
	const char *const *k;

	for (k = keywords; *k; k++)
		if (strcmp(*k, s) == 0)
			return true;
	return false;
}
