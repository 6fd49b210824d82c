/* SHA-256 through mbedtls (the library the bundles and TLS already use).
 * Its SHA-256 fails only with an alternative hardware implementation,
 * which no board configures: there is no error to return. */
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "scanwall/digest.h"

void sw_sha256(const void *p, size_t n, uint8_t out[32])
{
#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_sha256(p, n, out, 0);
#else
	mbedtls_sha256_ret(p, n, out, 0);
#endif
}

void sw_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void sw_sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t md[32];

	sw_sha256(p, n, md);
	sw_hex(md, sizeof(md), out);
}
