/* What an association negotiated and carried, for the observation table
 * of commissioning (docs/commissioning.md): the presentation contexts of
 * the A-ASSOCIATE-RQ and -AC with their abstract and transfer syntaxes,
 * SCP/SCU role selection, and the Command Field of each DIMSE message.
 * Only UIDs, context ids and command codes: never a data set byte.
 *
 * The observer is called from inside dcm_feed(), on the packet path: it
 * must not allocate or block. */
#ifndef SCANWALL_DCM_OBSERVE_H
#define SCANWALL_DCM_OBSERVE_H

#include <stdint.h>

#include "scanwall/dicom.h"

enum dcm_obs_kind {
	DCM_OBS_PROPOSED,	/* RQ: context id proposes abstract syntax uid */
	DCM_OBS_PROPOSED_TS,	/* RQ: context id offers transfer syntax uid */
	DCM_OBS_ACCEPTED,	/* AC: context id accepted with transfer syntax uid */
	DCM_OBS_REFUSED,	/* AC: context id refused (result 1..4), uid NULL */
	DCM_OBS_ROLE_RQ,	/* RQ role selection: uid, scu, scp */
	DCM_OBS_ROLE_AC,	/* AC's answer to it */
	DCM_OBS_COMMAND,	/* a whole command set passed: dir, id, field */
};

struct dcm_obs_item {
	enum dcm_obs_kind kind;
	enum dcm_dir dir;	/* who sent it */
	uint8_t id;		/* presentation context id */
	uint8_t result, scu, scp;
	uint16_t field;		/* Command Field, request or response */
	const char *uid;	/* NUL-terminated, pad byte removed; may be NULL */
};

struct dcm_observer {
	void (*item)(void *ctx, struct dcm_assoc *a, const struct dcm_obs_item *it);
	void *ctx;
};

/* Watch association a (until it is freed; NULL stops). ob must outlive it. */
void dcm_observe(struct dcm_assoc *a, const struct dcm_observer *ob);

#endif
