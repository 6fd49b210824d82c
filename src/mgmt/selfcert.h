/* scanwall-mgmtd --make-cert: a first server key and self-signed
 * certificate, and the fingerprint a technician pins (selfcert.c). */
#ifndef SCANWALL_MGMT_SELFCERT_H
#define SCANWALL_MGMT_SELFCERT_H

#include <stddef.h>

#include <mbedtls/x509_crt.h>

/* "AB:CD:...": 32 bytes as colon hex, as `openssl x509 -fingerprint
 * -sha256` prints them, and the terminating NUL. */
#define MGMT_FP_SIZE 96

struct mgmt_cert;

/* Neither file there: makes an ECDSA P-256 key and a self-signed
 * certificate for this host (CN = gethostname(), subjectAltName from the
 * host name and the listen address, 10 years) and writes the key (0600),
 * then the certificate (0644), each atomically; logs the fingerprint.
 * Both there: nothing to do (0). One of them only: -EEXIST, logged, and
 * nothing is written: a key is never replaced. Other errors -errno. */
int mgmt_selfcert(const char *cert, const char *key, const char *listen);

/* SHA-256 of the certificate's DER as colon hex; size >= MGMT_FP_SIZE. */
void mgmt_cert_fingerprint(const mbedtls_x509_crt *crt, char *buf, size_t size);
/* An X.509 time as 2036-11-28T07:15:55Z; size >= 21. */
void mgmt_x509_time_str(const mbedtls_x509_time *t, char *buf, size_t size);
/* Fills what /status and the status page show about crt. */
void mgmt_cert_describe(const mbedtls_x509_crt *crt, struct mgmt_cert *out);

#endif
