/* The two PDUs the firewall itself sends (PS3.8 §9.3.4, §9.3.8): both are
 * a 6-byte header, a reserved byte and three one-byte fields. */
#include <string.h>

#include "internal.h"

static size_t build4(uint8_t buf[10], uint8_t type, uint8_t b1, uint8_t b2, uint8_t b3)
{
	const uint8_t pdu[10] = { type, 0, 0, 0, 0, 4, 0, b1, b2, b3 };

	memcpy(buf, pdu, sizeof(pdu));
	return sizeof(pdu);
}

size_t dcm_build_rj(uint8_t buf[10], uint8_t result, uint8_t source, uint8_t reason)
{
	return build4(buf, DCM_PDU_RJ, result, source, reason);
}

/* The A-ABORT's byte 8 is reserved too: source and reason are bytes 9, 10. */
size_t dcm_build_abort(uint8_t buf[10], uint8_t source, uint8_t reason)
{
	return build4(buf, DCM_PDU_ABORT, 0, source, reason);
}
