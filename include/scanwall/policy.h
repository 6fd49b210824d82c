/* The policy language of docs/POLICY.md: parse, check, print, match.
 *
 * A policy is parsed and compiled whole into an immutable struct pol; the
 * engine swaps one pointer to change policy, so a broken file never
 * replaces a working one. Matching a packet allocates nothing. */
#ifndef SCANWALL_POLICY_H
#define SCANWALL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scanwall/flowkey.h"

struct pol;

enum pol_action { POL_BLOCK, POL_REJECT, POL_ALLOW };
enum pol_proto { POL_TCP, POL_UDP, POL_ICMP, POL_ICMPV6, POL_DICOM };
enum pol_inspect { POL_INSPECT_NONE, POL_INSPECT_ASSOCIATION, POL_INSPECT_FULL };
enum pol_side { POL_CALLING, POL_CALLED };	/* the rule's `from` and `to` */

/* The public face of a compiled rule; the compiler keeps more behind it. */
struct pol_rule {
	unsigned line;			/* 1-based line of the rule in its file */
	unsigned index;			/* 0..pol_rule_count()-1, for counters */
	enum pol_action action;
	enum pol_proto proto;
	enum pol_inspect inspect;	/* POL_INSPECT_NONE unless proto is DICOM */
	const char *reason;		/* NULL when the rule gave none */
	bool strict;			/* `strict`: DICOM anomalies refuse */
};

/* Parses and compiles. Every error is written to diag (may be NULL) as
 * "NAME:LINE:COL: message\n", all of them, not only the first. Returns NULL
 * with errno EINVAL when there was any error, ENOMEM when out of memory. */
struct pol *pol_parse(const char *name, const char *text, size_t len, FILE *diag);
/* The same from a file; errno ENOENT etc. when it cannot be read. */
struct pol *pol_load(const char *path, FILE *diag);
void pol_free(struct pol *pol);

/* The normalized policy (`scanwalld --check`): one statement a line,
 * defaults spelled out, comments gone. Parsing this output gives the same
 * policy. Returns 0 or -errno. */
int pol_print(const struct pol *pol, FILE *out);

/* First rule that matches a new flow, or NULL: the default applies. For
 * POL_DICOM rules the key is the initiator's TCP SYN. */
const struct pol_rule *pol_match(const struct pol *pol, const struct flow_key *k);
enum pol_action pol_default_action(const struct pol *pol);
/* "block", "reject", "allow": the word a policy writes. */
const char *pol_action_name(enum pol_action a);
unsigned pol_rule_count(const struct pol *pol);
const struct pol_rule *pol_rule_at(const struct pol *pol, unsigned index);

/* Whether s is a word of the language, which a name cannot be and an AE
 * title is quoted to be (the commissioning tools write policies). */
bool pol_is_keyword(const char *s);

/* Whether k's initiator is named by host address in rule r of pol: its
 * `from` is that address, or a device or peer that lists it as a single
 * host (/32, /128), rather than a range or `any`. The engine keeps a share
 * of its DICOM capacity for such peers (docs/engine.md). */
bool pol_src_named(const struct pol *pol, const struct pol_rule *r, const struct flow_key *k);

/* AE title checks of a DICOM rule. title is the significant part (leading
 * and trailing spaces removed), NUL-terminated. */
bool pol_ae_allowed(const struct pol_rule *r, enum pol_side side, const char *title);

/* Whether an abstract syntax is within the rule's services or sop list.
 * Returns 0 and sets *sop_id (stable for this policy: equal ids mean equal
 * UIDs) and *dimse (the DIMSE commands allowed on it, catalog.h bits), or
 * -ENOENT. uid need not be NUL-terminated. */
int pol_sop_lookup(const struct pol_rule *r, const char *uid, size_t len,
		   uint16_t *sop_id, uint32_t *dimse);
/* At most this many addresses over all `device`s: the kernel ruleset's
 * ARP rules hold that many (RULESET_DEVICES_MAX). */
#define POL_DEVICE_ADDRS_MAX 64u

/* A rule's match as plain data, for the kernel ruleset: inclusive ranges,
 * sorted, disjoint and merged as the matcher searches them; addresses in
 * network order (the first 4 bytes for IPv4). */
struct pol_span {
	uint8_t lo[16], hi[16];
};
/* The ranges of the rule's `from` (POL_CALLING) or `to` side in family af:
 * their number (only the first max are written), or -1 for `any`. */
int pol_rule_addrs(const struct pol_rule *r, enum pol_side side, uint8_t af,
		   struct pol_span *out, unsigned max);
/* Its destination ports as {lo, hi} pairs: their number (the first max
 * written), or -1 for any port (and for ICMP rules, which have none). */
int pol_rule_ports(const struct pol_rule *r, uint16_t (*out)[2], unsigned max);

/* Every address (prefix) of every `device`, for the kernel's ARP/ND rules. */
int pol_foreach_device(const struct pol *pol,
		       int (*cb)(void *ctx, uint8_t af, const uint8_t *addr, unsigned prefix),
		       void *ctx);

#endif
