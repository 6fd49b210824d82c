/* Private to src/learn: the table's records, read by the JSON writer and
 * loader (store.c) and the commissioning tools (propose.c, whatif.c). */
#ifndef SW_LEARN_INT_H
#define SW_LEARN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "scanwall/learn.h"

#define LRN_UID_MAX 64
#define LRN_AE_MAX 16
#define LRN_REL_CLASSES 32	/* abstract syntaxes kept per relation */
#define LRN_REL_TS 8		/* transfer syntaxes kept per relation */

struct lrn_class {
	uint32_t uid;		/* index into lrn.uids */
	uint16_t flags;		/* enum lrn_class_flag */
	uint16_t dimse[2];	/* commands seen, by sender (catalog.h bits) */
};

struct lrn_tsyn {
	uint32_t uid;
	uint16_t flags;		/* LRN_PROPOSED, LRN_ACCEPTED */
};

struct lrn_rel {
	uint8_t af;
	uint8_t ini[16], acc[16];
	uint16_t port;
	char calling[LRN_AE_MAX + 1], called[LRN_AE_MAX + 1];
	uint8_t nclass, nts;
	uint64_t count[LRN_ASSOC__COUNT];
	uint64_t bytes[2];
	uint64_t first_s, last_s;
	struct lrn_class cls[LRN_REL_CLASSES];
	struct lrn_tsyn ts[LRN_REL_TS];
};

#define LRN_FAULT_MAX 31

struct lrn_flowrec {
	const char *kind;		/* ev_kind_name() */
	char fault[LRN_FAULT_MAX + 1];	/* "" none */
	uint8_t af, proto;
	uint8_t src[16], dst[16];
	uint16_t port;
	int rule_line;
	char calling[LRN_AE_MAX + 1], called[LRN_AE_MAX + 1];
	uint64_t count, first_s, last_s;
};

struct lrn {
	struct lrn_cfg cfg;
	struct lrn_rel *rel;
	unsigned nrel;
	char (*uids)[LRN_UID_MAX + 1];
	unsigned nuid;
	struct lrn_flowrec *flow;
	unsigned nflow;
	/* open addressing, index + 1, 0 empty; sizes are powers of two */
	uint32_t *rel_hash, *uid_hash, *flow_hash;
	uint32_t rel_mask, uid_mask, flow_mask;
	struct lrn_dropped dropped;
};

/* "allow", "block", ... as the static string the table keeps, or NULL. */
const char *lrn_kind_static(const char *kind);
/* The record of a flow key, created if new; NULL when full (counted). */
struct lrn_flowrec *lrn_flow_find(struct lrn *t, const struct lrn_flow_key *k);
/* Widens [*first, *last] to hold now_s (0 is "never"). */
void lrn_seen(uint64_t *first, uint64_t *last, uint64_t now_s);

/* polview.c: what propose.c and whatif.c both need of a policy and of
 * the records. */
struct flow_key;
struct pol;
struct pol_rule;

/* The key the initiator's SYN of a relation, or the first packet of a
 * flow record, would carry: what pol_match() judges. */
void lrn_rel_flowkey(const struct lrn_rel *r, struct flow_key *k);
void lrn_flowrec_flowkey(const struct lrn_flowrec *f, struct flow_key *k);

/* A policy's normalized text (pol_print) cut into lines: its device and
 * peer statements, and each rule's line by rule index. */
struct lrn_poltext {
	char *text;
	char **decl, **rule;
	unsigned ndecl, nrule;
	char *dflt;		/* "default block" */
};
int lrn_poltext(const struct pol *pol, struct lrn_poltext *pt);
void lrn_poltext_free(struct lrn_poltext *pt);

/* Which rules of pol some relation or flow of t matches (used[index]);
 * calloc'ed, NULL when out of memory. */
bool *lrn_rules_used(const struct lrn *t, const struct pol *pol);

/* "2026-12-06T14:15:25Z" */
const char *lrn_time(uint64_t s, char buf[24]);
/* The classes of a relation a policy must allow: those a command was seen
 * on; when none was, those accepted; when none was, those proposed. A
 * peer that offers a hundred classes and sends one needs that one. */
bool lrn_class_used(const struct lrn_rel *r, const struct lrn_class *c);
/* The commands seen on a class, both ways. */
uint32_t lrn_class_cmds(const struct lrn_class *c);
/* "tcp", "udp", "icmp", "icmpv6" or "other". */
const char *lrn_proto_name(uint8_t proto);
/* "PROTO SRC -> DST[ port P][ CALLING -> CALLED][ FAULT]" of a record. */
void lrn_put_flow(FILE *out, const struct lrn_flowrec *f);
/* "C-ECHO C-STORE" into buf; returns buf. */
const char *lrn_cmd_names(uint32_t bits, char *buf, size_t size);

#endif
