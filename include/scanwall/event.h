/* Decisions as events: one struct, one JSON line. The replay prints them,
 * the inline engine appends them to its events file and the management
 * plane serves them; all three use ev_json(), so they cannot disagree. */
#ifndef SCANWALL_EVENT_H
#define SCANWALL_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum ev_kind {
	EV_ALLOW,
	EV_BLOCK,
	EV_REJECT,
	EV_ASSOC_ACCEPT,	/* the acceptor sent A-ASSOCIATE-AC */
	EV_ASSOC_REJECT,	/* refused by policy, or A-ASSOCIATE-RJ from the acceptor */
	EV_ASSOC_ABORT,		/* aborted by us (policy, inspection) or by a peer */
	EV_ASSOC_RELEASE,
	EV_INVALID,		/* malformed packet or PDU: that flow ends */
	EV_SYSTEM,		/* start, reload, bundle, login: `reason` says what */
	EV_ANOMALY,		/* DICOM that breaks conformance, not protection: passed */
	EV__COUNT
};

struct sw_event {
	uint64_t ts_ns;			/* wall clock, or the capture's timestamp */
	enum ev_kind kind;
	uint8_t af;			/* 0 when the event is not about a packet */
	uint8_t proto;
	uint16_t sport, dport;
	const uint8_t *src, *dst;	/* 16 bytes each, see flow_key */
	int rule_line;			/* 0: the default action (JSON null) */
	const char *reason;		/* the rule's reason, or why */
	const char *calling_ae;		/* DICOM only, else NULL */
	const char *called_ae;
	const char *refused;		/* what was refused: an abstract syntax, a command */
	const char *fault;		/* the PDU or packet fault (dcm_fault_name) */
	const char *answer;		/* what we answered: "tcp-reset", "a-associate-rj", ... */
};

const char *ev_kind_name(enum ev_kind k);

/* Formats one JSON object and a newline into buf. Returns its length, or
 * -ENOSPC when buf is too small (nothing useful is left in buf then). */
int ev_json(const struct sw_event *ev, char *buf, size_t size);

#endif
