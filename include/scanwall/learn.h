/* The observation table of commissioning (issue #19, docs/commissioning.md):
 * what the device really does on the wire, learnt by the engine inline or
 * from a capture, kept across restarts, and turned into a proposed policy
 * or checked against a candidate one.
 *
 * Per DICOM relation (initiator, acceptor, port, calling and called AE):
 * the abstract syntaxes proposed and accepted, the transfer syntaxes, role
 * selection, the DIMSE commands each way, counts, bytes, first and last
 * seen. Per plain flow the policy allowed, and per refusal (block, reject,
 * refused association): source, destination, protocol, port, rule line,
 * fault, count. Addresses, AE titles and UIDs only: no patient data.
 *
 * All memory is allocated by lrn_new(); recording never allocates. When
 * the table is full the record of least value (its count, aged since it
 * was last seen: CONFIG_OBSERVE_HALF_LIFE_S) is evicted and counted
 * (lrn_dropped): a stranger's (an association never accepted, a refusal)
 * only for a stranger or a partner, a partner's (an accepted relation, an
 * allowed flow) only for a partner, so a flood of strangers cannot push
 * out the real partners; and one initiator address (an IPv6 one's /64),
 * or one calling AE, makes at most CONFIG_OBSERVE_PEER_PARTNERS partners
 * towards an acceptor, so one peer accepted whatever its title cannot
 * either (one with many IPv4 addresses and titles can, up to the
 * partners' share). */
#ifndef SCANWALL_LEARN_H
#define SCANWALL_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct lrn;
struct pol;

struct lrn_cfg {
	unsigned relations;	/* DICOM relations */
	unsigned uids;		/* distinct class and transfer syntax UIDs */
	unsigned flows;		/* plain flows allowed and refusals, together */
	unsigned reserve_pct;	/* of relations and flows partners cannot take */
};

/* From Kconfig (OBSERVE_*). */
void lrn_cfg_default(struct lrn_cfg *cfg);
/* NULL and errno. */
struct lrn *lrn_new(const struct lrn_cfg *cfg);
void lrn_free(struct lrn *t);

/* --- recording (the packet path: no allocation, no system call) ---------- */

/* The table's clock, what a record's worth (which record a full table
 * evicts) is reckoned by: s more seconds of a clock that never steps
 * (monotonic, or capture time) have passed. It starts at 0 with the table
 * (a loaded record's worth is kept relative to it); the now_s the calls
 * below take is the wall clock's, only for first and last seen. */
void lrn_elapse(struct lrn *t, uint64_t s);
uint64_t lrn_now(const struct lrn *t);

struct lrn_rel_key {
	uint8_t af;			/* SW_AF_INET or SW_AF_INET6 */
	const uint8_t *initiator, *acceptor;	/* 16 bytes each, as flow_key */
	uint16_t port;
	const char *calling, *called;	/* significant part, at most 16 */
};

/* The relation's handle, created if new (evicting the least stranger when
 * the table is full). A handle whose relation was evicted since is stale:
 * the calls below ignore it, lrn_class() returns -ESTALE. now_s: seconds,
 * wall clock or capture time, shown as first and last seen. */
int64_t lrn_relation(struct lrn *t, const struct lrn_rel_key *k, uint64_t now_s);

enum lrn_class_flag {
	LRN_PROPOSED = 1, LRN_ACCEPTED = 2, LRN_REFUSED = 4,
	LRN_ROLE_SCU = 8, LRN_ROLE_SCP = 16,	/* role selection proposed */
	LRN_ROLE_SCU_AC = 32, LRN_ROLE_SCP_AC = 64,	/* ... and accepted */
};

/* The handle of a UID in the table's store, kept once however many
 * relations use it (a slot no class names is reused, strangers are
 * evicted to free one: uids.c); -ENOSPC (counted) when partners' classes
 * name every slot, -EINVAL when uid is no UID (dcm_uid_problem). A handle
 * held while its slot went to another UID is stale (lrn_class: -ESTALE). */
int64_t lrn_uid(struct lrn *t, const char *uid);
/* The slot of abstract syntax uid (an lrn_uid handle) in relation rel,
 * created if new. When the relation's slots are full: -ENOSPC (counted),
 * unless used is set (a command was seen on it), when a class nothing was
 * seen on gives up its slot (counted): what the device does matters more
 * than what a peer offered (storescu proposes 100 classes and sends one). */
int lrn_class(struct lrn *t, int64_t rel, int64_t uid, bool used);
void lrn_class_flags(struct lrn *t, int64_t rel, int cls, unsigned flags);
/* A DIMSE command (catalog.h bit) sent by the initiator (dir 0) or back. */
void lrn_command(struct lrn *t, int64_t rel, int cls, int dir, uint32_t dimse_bit);
/* A transfer syntax proposed (LRN_PROPOSED) or accepted (LRN_ACCEPTED). */
void lrn_ts(struct lrn *t, int64_t rel, const char *uid, unsigned flags);
enum lrn_count { LRN_ASSOC_REQUESTED, LRN_ASSOC_ACCEPTED, LRN_ASSOC__COUNT };
void lrn_count(struct lrn *t, int64_t rel, enum lrn_count what, uint64_t now_s);
void lrn_bytes(struct lrn *t, int64_t rel, int dir, uint64_t n);

/* A plain flow allowed (kind "allow") or a refusal ("block", "reject",
 * "assoc-reject", ...). kind must be an ev_kind_name(): only the pointer
 * is kept. */
struct lrn_flow_key {
	const char *kind;
	uint8_t af, proto;		/* IPPROTO_* */
	const uint8_t *src, *dst;	/* 16 bytes each */
	uint16_t port;			/* ICMP's (type, code) is kept as 0 */
	int rule_line;			/* 0: the default */
	const char *fault;		/* may be NULL */
	const char *calling, *called;	/* DICOM refusals; may be NULL */
};
void lrn_flow(struct lrn *t, const struct lrn_flow_key *k, uint64_t now_s);

/* --- reading, persisting -------------------------------------------------- */

struct lrn_dropped {
	uint64_t relations, classes, uids, flows;	/* records that did not fit */
	uint64_t evicted_relations, evicted_flows;	/* records that made room */
};
const struct lrn_dropped *lrn_dropped(const struct lrn *t);
/* Records in the table (evicted ones not counted). */
unsigned lrn_relation_count(const struct lrn *t);
unsigned lrn_flow_count(const struct lrn *t);

/* The whole table as one JSON object and a newline (the control socket's
 * `observed`, GET /observed, the state file). 0 or -errno. */
int lrn_json(const struct lrn *t, FILE *out);
/* Writes it as path atomically (sw_write_atomic). 0 or -errno. */
int lrn_save(const struct lrn *t, const char *path);
/* Adds what a saved table holds to t (counts summed, first/last widened):
 * a restart keeps what was learnt, and several captures make one table.
 * The whole file is checked first: -EBADMSG when any of it is not what
 * lrn_json() writes (lrn_load_error() says where), and then nothing of it
 * was added; nothing is repaired. -ENOENT when there is no file. */
int lrn_load(struct lrn *t, const char *path);
/* The same from the text of one (the control socket's answer). */
int lrn_load_text(struct lrn *t, const char *text, size_t len);
/* After -EBADMSG: the record and field refused ("relations[3].calling_ae"). */
const char *lrn_load_error(const struct lrn *t);

/* --- a copy, in slices ------------------------------------------------------ */

/* The table's own sizes, for a copy made with lrn_new(lrn_config(t)). */
const struct lrn_cfg *lrn_config(const struct lrn *t);
struct lrn_sizes {
	unsigned relations, flows, uids;	/* records held */
};
void lrn_sizes(const struct lrn *t, struct lrn_sizes *n);
/* Touches the pages of dst a copy of a table of these sizes will write,
 * so that the copy itself (on the recording thread) takes no page fault. */
void lrn_prefault(struct lrn *dst, const struct lrn_sizes *n);

/* Copies about max_bytes of src into dst (made with src's lrn_config),
 * from where c stopped: start with c zeroed and call until it returns 0;
 * then dst holds every record src held, each as it was when its slice was
 * copied. src may be recorded into between two calls, not during one.
 * The copy is for reading (lrn_json, lrn_save, lrn_propose, lrn_what_if):
 * its lookup hashes are not copied, so it is not to be recorded into. */
struct lrn_copy {
	unsigned phase, next;
};
int lrn_copy_step(struct lrn *dst, const struct lrn *src, struct lrn_copy *c, size_t max_bytes);

/* --- commissioning tools (offline) ----------------------------------------- */

/* The table for a person: a line per relation (its classes and commands
 * below it), per plain flow and per refusal. */
void lrn_summary(const struct lrn *t, FILE *out);

/* A complete policy from the table: devices and peers named from their
 * AE titles, one `allow dicom` per relation with the services covering
 * the classes used (`sop` for the rest), the plain flows seen, every rule
 * commented with its counts and first/last seen. With a template (may be
 * NULL): its device names, its refusals and its default are kept, and its
 * rules the table never used are listed. 0 or -errno (message on err). */
int lrn_propose(const struct lrn *t, const struct pol *tmpl,
		FILE *out, FILE *err);

/* What the candidate policy would do with what was seen: every relation
 * and plain flow it would refuse (with why and how often), and every
 * allow rule no observation used. Returns the number of refused records
 * (0: all that was seen passes), or -errno. */
int lrn_what_if(const struct lrn *t, const struct pol *cand, FILE *out);

#endif
