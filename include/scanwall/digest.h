/* SHA-256 and lowercase hex, one place for the bundle's hashes, the policy
 * hash that status shows, and the management roles' key pins. */
#ifndef SCANWALL_DIGEST_H
#define SCANWALL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

void sw_sha256(const void *p, size_t n, uint8_t out[32]);
/* out: 2n + 1 bytes, NUL-terminated */
void sw_hex(const uint8_t *p, size_t n, char *out);
/* sw_sha256 then sw_hex */
void sw_sha256_hex(const void *p, size_t n, char out[65]);

#endif
