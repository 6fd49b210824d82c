/* DICOM Upper Layer inspection (PS3.8 §9.3, Annex E; PS3.7 command sets).
 *
 * One struct dcm_assoc follows one TCP connection, that is one association,
 * in both directions. The engine feeds it each direction's in-order stream
 * bytes, in whatever segment sizes TCP delivered, and gets back what to do
 * with those bytes. A-ASSOCIATE-RQ and -AC are judged whole: their bytes
 * are copied into a buffer from the pool (the engine holds the packets
 * meanwhile). P-DATA-TF is checked from its PDU and PDV headers and the
 * command set; data set bytes are skipped, never copied.
 *
 * All memory comes from a pool made once at start: feeding allocates
 * nothing. */
#ifndef SCANWALL_DICOM_H
#define SCANWALL_DICOM_H

#include <stddef.h>
#include <stdint.h>

#include "scanwall/policy.h"

enum dcm_dir {
	DCM_FROM_INITIATOR = 0,	/* calling AE -> called AE */
	DCM_FROM_ACCEPTOR = 1,
};

/* Why an association was refused or ended. Stable names (dcm_fault_name)
 * appear in events and metrics; append, never renumber. */
enum dcm_fault {
	DCM_OK = 0,
	/* framing */
	DCM_F_PDU_TYPE,		/* unknown PDU type */
	DCM_F_PDU_LENGTH,	/* length wrong for the type (RJ/release/abort != 4, ...) */
	DCM_F_PDU_TOO_LONG,	/* over the receiver's maximum, or our buffer */
	DCM_F_PDU_UNEXPECTED,	/* a PDU the association state does not allow */
	DCM_F_AFTER_CLOSE,	/* bytes after release or abort */
	/* association items */
	DCM_F_PROTOCOL_VERSION,
	DCM_F_ITEM_LENGTH,	/* an item or sub-item not inside its parent */
	DCM_F_ITEM_TYPE,	/* unknown item where only known ones may be */
	DCM_F_ITEM_MISSING,	/* no application context, context or user info */
	DCM_F_ITEM_DUPLICATE,
	DCM_F_AE_TITLE,		/* not ISO 646, or all spaces */
	DCM_F_UID,		/* bad UID syntax */
	DCM_F_APP_CONTEXT,	/* not 1.2.840.10008.3.1.1.1 */
	DCM_F_CONTEXT_ID,	/* even, zero, duplicate, or unknown in the AC */
	DCM_F_ABSTRACT_SYNTAX,	/* not exactly one per context */
	DCM_F_TRANSFER_SYNTAX,	/* none in an RQ context, not one in an AC context */
	DCM_F_MAX_LENGTH,	/* malformed 0x51 */
	DCM_F_RJ_FIELDS,	/* RJ/abort result, source or reason out of range */
	/* P-DATA */
	DCM_F_PDV_LENGTH,	/* PDV item shorter than 2 or past its PDU */
	DCM_F_PDV_CONTEXT,	/* context not accepted */
	DCM_F_PDV_CONTROL,	/* reserved bits set */
	DCM_F_PDV_ORDER,	/* data before command, context changed mid-message */
	DCM_F_COMMAND,		/* malformed command set */
	DCM_F_SOP_MISMATCH,	/* Affected SOP Class is not the context's */
	/* policy */
	DCM_R_CALLING_AE,	/* calling AE title not allowed */
	DCM_R_CALLED_AE,
	DCM_R_ABSTRACT_SYNTAX,	/* retired: contexts are judged at the AC (kept for its number) */
	DCM_R_CONTEXT,		/* a message on a context outside the services */
	DCM_R_COMMAND,		/* DIMSE command not allowed on the context's class */
	DCM_R_NO_CONTEXT,	/* no proposed context within the services */
	DCM_R_BUSY,		/* no association buffer free */
	/* command sets by PS3.7 (the device's command parser) */
	DCM_F_GROUP_LENGTH,	/* (0000,0000) missing, not first, or not the byte count */
	DCM_F_TAG_ORDER,	/* elements not in ascending tag order */
	DCM_F_CMD_MISSING,	/* a request without an element PS3.7 requires */
	DCM_F_CMD_UID,		/* a UID value not by PS3.5 §9.1 (spaces, syntax) */
	/* anomalies: conformance only, counted and passed (refused under a
	 * `strict` rule where said) */
	DCM_A_RSP_SOP,		/* a response's Affected SOP Class is not its context's (strict) */
	DCM_A_CONTEXT_OUTSIDE,	/* the acceptor accepted a context outside the rule */
	DCM_FAULT__COUNT
};

const char *dcm_fault_name(enum dcm_fault f);

enum dcm_step {
	DCM_PASS,	/* these bytes may go on (and any held before them) */
	DCM_HOLD,	/* part of a PDU judged whole: hold them, no verdict yet */
	DCM_REFUSE,	/* drop held and current bytes, end the flow, answer */
};

/* What happened to the association in this feed, for events. */
enum dcm_event {
	DCM_EV_NONE,
	DCM_EV_REQUESTED,	/* RQ complete and allowed: forwarded to the acceptor */
	DCM_EV_ACCEPTED,	/* AC complete and valid */
	DCM_EV_REJECTED,	/* the acceptor sent A-ASSOCIATE-RJ */
	DCM_EV_RELEASED,	/* A-RELEASE-RP seen */
	DCM_EV_ABORTED,		/* a peer sent A-ABORT */
};

/* Bytes [lo, hi) of one feed. */
struct dcm_range {
	uint32_t lo, hi;
};

#define DCM_RANGES 16	/* structural ranges reported per feed */

/* What to answer the initiator when refusing (PS3.8 §9.3.4 and §9.3.8). */
enum dcm_answer { DCM_ANS_NONE, DCM_ANS_RJ, DCM_ANS_ABORT };

struct dcm_verdict {
	enum dcm_step step;
	enum dcm_event event;
	/* These bytes completed something the other side answers at once:
	 * an A-ASSOCIATE-RQ passed or its AC, an A-RELEASE-RQ, a whole DIMSE
	 * message. A hint for latency (the engine stays awake for the
	 * answer); a data set fragment that ends nothing leaves it 0. */
	uint8_t answer_next;
	enum dcm_fault fault;		/* DCM_OK unless step is DCM_REFUSE */
	enum dcm_answer answer;
	uint8_t result, source, reason;	/* of the RJ or A-ABORT to send */
	const char *detail;		/* the refused UID or command, NUL-terminated,
					 * valid until the next feed; or NULL */
	/* The fed bytes [struct_lo, struct_hi) hold everything that was parsed
	 * (PDU and PDV headers, command sets, association PDUs); the rest were
	 * data set bytes, skipped. struct_hi == 0: only data set bytes. The
	 * engine verifies a retransmission of structural bytes byte for byte. */
	size_t struct_lo, struct_hi;
	/* The same range by range, ascending, adjacent ones joined: what the
	 * engine keeps to verify a retransmission cut anywhere. Past
	 * DCM_RANGES the last range stretches to the end of the structural
	 * bytes, taking the data between them in (verified too: stricter). */
	struct dcm_range structs[DCM_RANGES];
	unsigned nstruct;
	/* Anomalies in these bytes (docs/dicom.md: conformance, not
	 * protection): how many, the first one's DCM_A_* and its detail
	 * (valid until the next feed). The detail is NULL when that kind was
	 * reported on this association before: one event per kind and
	 * association, every one counted. Reported on PASS and HOLD. */
	unsigned anomalies;
	enum dcm_fault anomaly;
	const char *anomaly_detail;
};

struct dcm_pool;
struct dcm_assoc;

/* nassoc associations, nbuf RQ/AC buffers of bufsize bytes each.
 * NULL and errno on failure. */
struct dcm_pool *dcm_pool_new(unsigned nassoc, unsigned nbuf, size_t bufsize);
void dcm_pool_free(struct dcm_pool *pool);

/* A new association judged by rule (a POL_DICOM rule; the pointer must stay
 * valid as long as the association). NULL when the pool is exhausted. */
struct dcm_assoc *dcm_assoc_new(struct dcm_pool *pool, const struct pol_rule *rule);
void dcm_assoc_free(struct dcm_pool *pool, struct dcm_assoc *a);
/* a's slot in the pool, 1 to nassoc: the engine keeps its own half of an
 * association at the same index, so one pool hands out both. */
uint32_t dcm_assoc_slot(const struct dcm_pool *pool, const struct dcm_assoc *a);
/* Slots 1..span were ever taken: a sweep of them need not look beyond. */
uint32_t dcm_pool_span(const struct dcm_pool *pool);

/* Feed the next n in-order bytes of one direction. Always fills *v.
 * Returns 0, or -EINVAL for a call that makes no sense (n == 0). Once a
 * verdict was DCM_REFUSE every later feed refuses too. */
int dcm_feed(struct dcm_assoc *a, enum dcm_dir dir, const uint8_t *p, size_t n,
	     struct dcm_verdict *v);

/* How many bytes from the current stream position of dir are certainly
 * data set bytes: the rest of the data fragment being received (its PDV
 * header was inspected), 0 when not inside one. The engine may pass a
 * segment that arrives ahead of a gap when it lies within them: what the
 * device's parser does with those positions is already decided. */
size_t dcm_data_ahead(const struct dcm_assoc *a, enum dcm_dir dir);
/* Consumes n such bytes without seeing them (they went by out of order).
 * 0, or -EINVAL when n exceeds dcm_data_ahead(). */
int dcm_skip_data(struct dcm_assoc *a, enum dcm_dir dir, size_t n);

/* The next RQ or AC that direction dir completes, if it is allowed, is
 * kept (its pool buffer, until dcm_sent_forget(), the next RQ/AC of the
 * association or dcm_assoc_free()): the engine acknowledged part of it in
 * the receiver's name and must be able to send those bytes again. */
void dcm_sent_keep(struct dcm_assoc *a, enum dcm_dir dir);
/* Copies up to n bytes of the kept PDU of dir from byte off (0: the first
 * byte of its PDU header) to dst; returns how many (0: none kept). */
size_t dcm_sent_copy(const struct dcm_assoc *a, enum dcm_dir dir, size_t off, uint8_t *dst,
		     size_t n);
/* The kept PDU's length with its header, 0 when none is kept for dir. */
size_t dcm_sent_len(const struct dcm_assoc *a, enum dcm_dir dir);
void dcm_sent_forget(struct dcm_assoc *a);

/* After DCM_EV_ACCEPTED: whether the rest may bypass inspection (the rule
 * says `inspect association` and every context the acceptor accepted is
 * within it). */
int dcm_settled(const struct dcm_assoc *a);

/* AE titles as received, significant part; "" before the RQ was seen. */
const char *dcm_calling_ae(const struct dcm_assoc *a);
const char *dcm_called_ae(const struct dcm_assoc *a);

/* Why s[0..len) is no UID (PS3.5 §9.1: digits and dots, no empty
 * component, no leading zero, 64 at most), or NULL when it is one. */
const char *dcm_uid_problem(const char *s, size_t len);
/* Why the significant part of an AE title (spaces trimmed) is none: empty,
 * over 16, a backslash or a byte outside printable ISO 646; or NULL. */
const char *dcm_ae_problem(const char *s, size_t len);

/* Build an A-ASSOCIATE-RJ or A-ABORT PDU (10 bytes) into buf. */
size_t dcm_build_rj(uint8_t buf[10], uint8_t result, uint8_t source, uint8_t reason);
size_t dcm_build_abort(uint8_t buf[10], uint8_t source, uint8_t reason);

#endif
