/* Private to src/policy: the arena, diagnostics, tokens, the syntax tree
 * the parser builds and the compiled form the matcher reads. */
#ifndef SCANWALL_POL_INT_H
#define SCANWALL_POL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scanwall/cursor.h"
#include "scanwall/policy.h"

/* --- arena.c: everything of one policy lives in one arena, so a policy
 * is freed in one call and a half-built one cannot leak. */
struct pol_arena;
struct pol_arena *pa_new(void);
void pa_free(struct pol_arena *a);
void *pa_alloc(struct pol_arena *a, size_t size);	/* zeroed, NULL on ENOMEM */
char *pa_strndup(struct pol_arena *a, const char *s, size_t len);

/* A growable array in the arena; the old storage is abandoned on growth,
 * which at most doubles the memory of a policy that is parsed once. */
struct pa_vec {
	void *v;
	unsigned n, cap;
};
void *pa_push(struct pol_arena *a, struct pa_vec *vec, size_t elem);

/* --- diag.c: errors are collected, sorted by position and printed at the
 * end, so the order does not depend on which pass found them. */
struct pol_msg {
	unsigned line, col, seq;
	char *text;
};

struct pol_diag {
	const char *name;
	struct pol_msg *v;
	unsigned n, cap, dropped;
	bool oom;
};
void diag_err(struct pol_diag *d, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prints (when out is not NULL) and frees every message. */
void diag_flush(struct pol_diag *d, FILE *out);

/* --- lexer.c */
enum tok_kind { TK_EOF, TK_NL, TK_WORD, TK_STRING, TK_COMMA };

struct tok {
	enum tok_kind kind;
	const char *s;		/* into the policy text; not NUL-terminated */
	size_t len;
	unsigned line, col;	/* 1-based; col counts bytes */
};

struct lexer {
	struct cur c;
	unsigned line, col;
	struct pol_diag *diag;
};
void lex_init(struct lexer *lx, const char *text, size_t len, struct pol_diag *d);
void lex_next(struct lexer *lx, struct tok *t);
bool tok_is(const struct tok *t, const char *word);

/* --- parser.c: the syntax tree. Values are checked as they are read;
 * names are resolved later by the compiler, so order does not matter. */
#define POL_NAME_MAX 32
#define POL_REASON_MAX 200

struct pol_addr {
	uint8_t af;		/* SW_AF_INET or SW_AF_INET6 */
	uint8_t prefix;
	uint8_t addr[16];
};

struct ast_def {
	bool device;
	const char *name;
	unsigned line, col;	/* of the name */
	struct pa_vec addrs;	/* struct pol_addr */
	struct pa_vec titles;	/* const char * */
	bool ae_any;
};

enum ep_kind { EP_ANY, EP_ADDR, EP_NAME };

struct ast_ep {
	enum ep_kind kind;
	const char *name;
	struct pol_addr addr;
	unsigned line, col;
};

struct pol_prange {
	uint16_t lo, hi;
};

struct ast_rule {
	unsigned line;
	enum pol_action action;
	enum pol_proto proto;
	struct ast_ep from, to;
	bool has_ports;
	struct pa_vec ports;	/* struct pol_prange, as written */
	uint32_t services;	/* bit i: cat_services()[i] */
	struct pa_vec sops;	/* const char *, validated */
	enum pol_inspect inspect;	/* NONE when not written */
	bool strict;
	const char *reason;
};

struct ast {
	struct pa_vec defs;	/* struct ast_def */
	struct pa_vec rules;	/* struct ast_rule */
	enum pol_action def_action;
	unsigned def_line;	/* 0 when no `default` was written */
	unsigned eof_line, eof_col;
};

int pol_syntax(struct ast *ast, const char *text, size_t len, struct pol_arena *a,
	       struct pol_diag *d);
const char *proto_name(enum pol_proto p);
bool pol_is_keyword(const char *s);

/* --- compile.c: the matcher's form. Address sets are sorted, disjoint
 * ranges so membership is a binary search. */
struct pol_u128 {
	uint64_t hi, lo;
};

/* -1, 0 or 1 as a is below, equal to or above b. */
static inline int pol_u128_cmp(const struct pol_u128 *a, const struct pol_u128 *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

struct pol_range {
	struct pol_u128 lo, hi;	/* inclusive */
};

struct pol_aset {
	bool any;
	const struct pol_range *r4, *r6;
	unsigned n4, n6;
};

struct pol_tset {
	bool any;
	const char *const *titles;
	unsigned n;
};

struct pol_sop {
	const char *uid;
	uint16_t len, id;
	uint32_t dimse;
};

struct pol_crule {
	struct pol_rule pub;	/* first: pol_rule_at hands out &pub */
	const struct ast_rule *src;
	struct pol_aset from, to;
	struct pol_tset ae[2];	/* POL_CALLING, POL_CALLED */
	const struct pol_prange *ports;	/* sorted, merged; NULL: any port */
	unsigned nports;
	const struct pol_sop *sops;	/* sorted by uid_cmp */
	unsigned nsops;
};

struct pol {
	struct pol_arena *arena;
	struct ast ast;
	struct pol_crule *rules;
	unsigned nrules;
	enum pol_action def_action;
	unsigned nuids;		/* size of the interned UID table */
};

int pol_compile(struct pol *pol, struct pol_diag *d);
const struct ast_def *pol_find_def(const struct ast *ast, const char *name);
int uid_cmp(const char *a, size_t alen, const char *b, size_t blen);
void pol_addr_u128(uint8_t af, const uint8_t *addr, struct pol_u128 *out);

#endif
