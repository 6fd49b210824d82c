/* The DICOM service catalog of POLICY.md as data: which SOP classes each
 * `services` name stands for (DICOM PS3.4), and which DIMSE commands a
 * message on such a class may carry. Defined in src/dicom/catalog.c, the one
 * place these UIDs live. */
#ifndef SCANWALL_CATALOG_H
#define SCANWALL_CATALOG_H

#include <stddef.h>
#include <stdint.h>

/* DIMSE commands as bits, so a class's permitted commands are one mask.
 * Responses (Command Field | 0x8000) map to the bit of their request. */
enum dimse_bit {
	DIMSE_C_STORE = 1u << 0,
	DIMSE_C_GET = 1u << 1,
	DIMSE_C_FIND = 1u << 2,
	DIMSE_C_MOVE = 1u << 3,
	DIMSE_C_ECHO = 1u << 4,
	DIMSE_N_EVENT_REPORT = 1u << 5,
	DIMSE_N_GET = 1u << 6,
	DIMSE_N_SET = 1u << 7,
	DIMSE_N_ACTION = 1u << 8,
	DIMSE_N_CREATE = 1u << 9,
	DIMSE_N_DELETE = 1u << 10,
	DIMSE_C_CANCEL = 1u << 11,
	DIMSE_ANY = (1u << 12) - 1,
};

/* The bit of a Command Field value (0000,0100), request or response;
 * 0 for a value that is no DIMSE command. */
uint32_t dimse_bit_of(uint16_t command_field);
const char *dimse_name(uint16_t command_field);
/* The request's name of the command whose bit is bit (one of
 * enum dimse_bit), NULL for anything else. */
const char *dimse_bit_name(uint32_t bit);

struct cat_service {
	const char *name;		/* "storage" */
	const char *const *uids;	/* NULL-terminated */
	uint32_t dimse;			/* commands a message on these classes may carry */
};

/* NULL when no service has that name. */
const struct cat_service *cat_service_find(const char *name);
/* All services, NULL-terminated, in the order of POLICY.md's table. */
const struct cat_service *const *cat_services(void);

#endif
