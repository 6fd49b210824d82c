/* Private to src/dicom: the association's state, shared by the framer
 * (pdu.c), the state machine (assoc.c), the item parser (assoc_items.c),
 * the P-DATA stream (pdata.c), the command-set stream (command.c), the
 * kept RQ/AC (sent.c) and the observer (observe.c).
 *
 * Everything an association needs lives in struct dcm_assoc, preallocated
 * in the pool: about 1.3 KiB each (docs/dicom.md), so the engine can
 * keep a thousand. The only large thing, the RQ/AC copy, is borrowed from
 * the pool while that PDU is being received and given back as soon as it
 * was judged (or, on the engine's request, once it no longer needs it:
 * sent.c). */
#ifndef SCANWALL_DICOM_INTERNAL_H
#define SCANWALL_DICOM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "scanwall/cursor.h"
#include "scanwall/dicom.h"

enum {
	DCM_PDU_RQ = 1, DCM_PDU_AC, DCM_PDU_RJ, DCM_PDU_DATA,
	DCM_PDU_RELEASE_RQ, DCM_PDU_RELEASE_RP, DCM_PDU_ABORT,
};

#define DCM_PDU_HDR 6
#define DCM_ASSOC_FIXED 68	/* fixed part of an RQ/AC body */
#define DCM_UID_MAX 64
#define DCM_AE_MAX 16
#define DCM_NCTX 128		/* odd context ids 1..255 */
#define DCM_CTX_SLOT(id) (((unsigned)(id) - 1) / 2)

enum dcm_ctx_flag {
	DCM_CTX_PROPOSED = 1,
	DCM_CTX_ALLOWED = 2,	/* the abstract syntax is within the rule's services */
	DCM_CTX_ANSWERED = 4,	/* seen in the AC */
	DCM_CTX_ACCEPTED = 8,	/* ... with result 0 */
};

enum dcm_state {
	DCM_ST_AWAIT_RQ,
	DCM_ST_AWAIT_AC,
	DCM_ST_ESTABLISHED,
	DCM_ST_RELEASING,
	DCM_ST_CLOSED,
	DCM_ST_DEAD,		/* refused: every later feed refuses */
};

enum dcm_phase { DCM_PH_HDR, DCM_PH_ASSOC, DCM_PH_SMALL, DCM_PH_PDATA };
enum dcm_msg { DCM_MSG_IDLE, DCM_MSG_CMD, DCM_MSG_DATA };

#define DCM_RSP_BIT 0x8000	/* Command Field of a response (PS3.7 §9.3, §10.3) */

/* The known command elements present (command.c's table). */
enum dcm_cmd_seen {
	DCM_SEEN_GLEN = 1u << 0, DCM_SEEN_CLASS = 1u << 1, DCM_SEEN_REQ_CLASS = 1u << 2,
	DCM_SEEN_FIELD = 1u << 3, DCM_SEEN_MSG_ID = 1u << 4, DCM_SEEN_RSP_ID = 1u << 5,
	DCM_SEEN_MOVE_DEST = 1u << 6, DCM_SEEN_PRIORITY = 1u << 7, DCM_SEEN_DSET = 1u << 8,
	DCM_SEEN_INSTANCE = 1u << 9, DCM_SEEN_REQ_INSTANCE = 1u << 10,
	DCM_SEEN_EVENT = 1u << 11, DCM_SEEN_ACTION = 1u << 12,
	DCM_SEEN_UID = DCM_SEEN_CLASS | DCM_SEEN_REQ_CLASS,	/* the class, either one */
};

/* The command set is parsed as it streams past: only an element header,
 * the three values we judge and an instance UID being checked are kept. */
struct dcm_cmd {
	uint8_t hdr[8];
	uint8_t hdr_have;
	uint8_t in_val;
	uint8_t target;		/* which value is being captured */
	uint8_t any;		/* an element was seen (last is valid) */
	uint8_t glen_done;	/* the group length was read: rest counts */
	uint16_t seen;		/* enum dcm_cmd_seen */
	uint16_t last;		/* element number of the last element */
	uint16_t elem;		/* the element a fault is about */
	uint32_t val_left;
	uint8_t val_have;
	uint8_t small[4];
	uint16_t field, dset;
	uint32_t glen;		/* (0000,0000): bytes of the elements after it */
	uint64_t rest;		/* bytes seen after the group length element */
	uint8_t uid_len;
	char uid[DCM_UID_MAX + 2];	/* + one pad byte + NUL */
	char iuid[DCM_UID_MAX + 2];	/* an instance UID, while checked */
};

/* PDV message control header bits (PS3.8 Annex E.2). */
enum { PDV_COMMAND = 1, PDV_LAST = 2, PDV_RESERVED = 0xfc };

/* One direction of the connection. */
struct dcm_stream {
	uint8_t phase;
	uint8_t hdr[DCM_PDU_HDR];
	uint8_t hdr_have;
	uint8_t type;
	uint32_t left;		/* bytes of the current PDU body still to come */
	uint32_t have;		/* body bytes kept so far (RQ/AC, 4-byte bodies) */
	uint8_t small[4];
	/* P-DATA */
	uint8_t pdv[6];
	uint8_t pdv_have;
	uint8_t in_frag;
	uint8_t ctx, ctl;
	uint32_t frag_left;
	uint8_t msg, msg_ctx;
	struct dcm_cmd cmd;
	/* release */
	uint8_t rel_rq, rel_rp;
};

struct dcm_assoc {
	struct dcm_pool *pool;
	const struct pol_rule *rule;
	uint32_t next_free;		/* the slot pool's link while free */
	uint8_t *buf;			/* RQ/AC being received, from the pool */
	uint8_t state;
	uint8_t fault;			/* of the refusal, once DEAD */
	/* Set where an RQ, AC, A-RELEASE-RQ or DIMSE message ends, cleared
	 * as each feed starts: dcm_verdict.answer_next. One ended by
	 * dcm_skip_data(), outside a feed, gives no hint (a missed spin). */
	uint8_t answer_next;
	uint32_t max_len[2];		/* largest P-DATA each side receives, 0: any */
	struct dcm_stream dir[2];
	char calling[17], called[17];
	char detail[DCM_UID_MAX + 8];
	/* anomalies of the current feed: dcm_verdict.anomal* */
	uint8_t anomaly;
	uint8_t anomaly_told;		/* bit (f - DCM_A_RSP_SOP): reported once */
	uint8_t anomaly_new;		/* the first of this feed was not told before */
	uint16_t anomalies;		/* < 1,000 in a 64 KiB segment */
	uint8_t outside;		/* the AC accepted a context outside the rule */
	char anomaly_detail[DCM_UID_MAX + 8];
	uint8_t ctx_flags[DCM_NCTX];
	uint16_t ctx_sop[DCM_NCTX];
	uint16_t ctx_dimse[DCM_NCTX];
	const struct dcm_observer *obs;	/* observe.c; NULL: nobody watches */
	/* sent.c: a judged RQ/AC kept for the engine to send again */
	uint8_t *sent;			/* its body, a pool buffer; NULL: none */
	uint32_t sent_len;		/* body bytes */
	uint8_t sent_hdr[DCM_PDU_HDR];
	uint8_t sent_dir;
	uint8_t keep_next[2];		/* dcm_sent_keep() asked, per direction */
};

/* sent.c: the RQ/AC just judged in a->buf is kept, if it was asked for;
 * 1 when it was (a->buf is then no longer the caller's). */
int dcm_sent_take(struct dcm_assoc *a, enum dcm_dir d);

/* pool.c */
uint8_t *dcm_pool_buf_get(struct dcm_pool *pool);
void dcm_pool_buf_put(struct dcm_pool *pool, uint8_t *buf);
size_t dcm_pool_bufsize(const struct dcm_pool *pool);

/* fault.c: the answer to the initiator for a refusal; rq_stage says the
 * initiator still waits for its A-ASSOCIATE-AC/RJ, so an RJ can be sent. */
void dcm_fault_answer(enum dcm_fault f, int rq_stage, struct dcm_verdict *v);

/* syntax.c */
enum dcm_fault dcm_uid_check(struct cur *c, const uint8_t **uid, size_t *len);
enum dcm_fault dcm_ae_parse(struct cur *c, char out[17]);

/* pdu.c: records an anomaly of the current feed (f is a DCM_A_*); the
 * first one's detail is kept. */
void dcm_anomaly(struct dcm_assoc *a, enum dcm_fault f, const char *detail);

/* assoc.c: a PDU header was read; a whole body was read. */
enum dcm_fault dcm_pdu_begin(struct dcm_assoc *a, enum dcm_dir d, uint8_t type, uint32_t len);
enum dcm_fault dcm_pdu_end(struct dcm_assoc *a, enum dcm_dir d, struct dcm_verdict *v);

/* assoc_items.c: parse a whole RQ (ac == 0) or AC body. */
enum dcm_fault dcm_items_parse(struct dcm_assoc *a, int ac, const uint8_t *body, size_t len);

/* pdata.c: consume P-DATA body bytes (at least one). */
enum dcm_fault dcm_pdata_step(struct dcm_assoc *a, enum dcm_dir d, struct cur *c);

/* observe.c: a whole valid RQ or AC; a command set that passed */
void dcm_obs_pdu(struct dcm_assoc *a, int ac, const uint8_t *body, size_t len);
void dcm_obs_command(struct dcm_assoc *a, enum dcm_dir d, uint8_t ctx, uint16_t field);

/* command.c */
void dcm_cmd_reset(struct dcm_cmd *m);
enum dcm_fault dcm_cmd_feed(struct dcm_cmd *m, struct cur *c);
/* At the last command fragment; m->elem names what is missing. */
enum dcm_fault dcm_cmd_end(struct dcm_cmd *m);

#endif
