/* The policy's fixed verdicts as nft rules in table inet scanwall: a
 * `block` or `reject` rule, and the default, need no inspection, so the
 * kernel applies them to new connections and only a rate-limited sample
 * reaches the engine. docs/engine.md has the text and the reasons. */
#ifndef SW_ENGINE_RSPOLICY_H
#define SW_ENGINE_RSPOLICY_H

#include <stdint.h>

struct pol;
struct sbuf;
struct ruleset_cfg;

/* Datapath limits: beyond them a rule and every rule after it are
 * judged in the engine only (rs_policy_fit says which). */
#define RS_POL_RULES_MAX 256	/* policy rules rendered */
#define RS_POL_ELEMS_MAX 4096	/* addresses and ports in all their sets */
#define RS_POL_SET_MAX 1024	/* elements of one set */
#define RS_POL_SOURCES 4096	/* sources remembered per family for the answer limit */

/* The index of the first rule the kernel cannot render (the rule count
 * when all fit); *why names the limit it hit. */
unsigned rs_policy_fit(const struct pol *pol, const char **why);

/* The rules that send a new connection to the policy chain and TCP that
 * conntrack calls invalid to the invalid chain. */
void rs_policy_jump(struct sbuf *o, const struct ruleset_cfg *c);
/* Sets, counters and chains; what goes on to the engine returns to the
 * forward chain, whose next rules queue it. Nothing without c->pol. */
void rs_policy_chains(struct sbuf *o, const struct ruleset_cfg *c);
/* Before them, in the same transaction, in the table of family ("inet",
 * "bridge"): the counters and sets they define are deleted first
 * (declared, so that the first install finds them), so that counters
 * start at 0. Chains need not be: an emptied table keeps
 * them, empty, and the definitions fill them again. */
void rs_policy_reset(struct sbuf *o, const struct ruleset_cfg *c, const char *family);

/* The bridge table's copy for TCP SYNs to a device address: a prerouting
 * chain into the same sets, counters and chains (its TCP rules only),
 * ahead of br_netfilter and conntrack. Nothing without device addresses. */
void rs_policy_bridge(struct sbuf *o, const struct ruleset_cfg *c);

/* "WHAT { a/p, ... } ": the device addresses of family af (at least one). */
void rs_device_set(struct sbuf *o, const struct ruleset_cfg *c, uint8_t af, const char *what);

/* Parses `nft list counters`: cb gets each policy counter's packets, the
 * inet and bridge tables' summed, index = the rule's, pol_rule_count()
 * for the default. */
void rs_policy_hits(const char *text, const struct pol *pol,
		    void (*cb)(void *ctx, unsigned index, uint64_t packets), void *ctx);

#endif
