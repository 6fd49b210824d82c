/* libFuzzer target for the bundle container and manifest parsers, and the
 * payload hash check that follows them. A manifest that parses must also
 * survive a rebuild by the writer and parse back to the same fields (the
 * tool and the device must agree on every byte). bundle_verify() runs too,
 * with no keyring, so its signature-counting path sees every framing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* m's payloads were checked against their data, so the writer, which
 * hashes the data, must reproduce the manifest's fields exactly. */
static void round_trip(const struct bundle_manifest *m)
{
	struct bundle_result res;
	struct bundle_manifest again;
	uint8_t *out;
	size_t len;

	if (bundle_build_manifest(m, &out, &len))
		abort();
	if (bundle_parse_manifest(out, len, &again, &res) || again.version != m->version ||
	    again.kind != m->kind || again.expires != m->expires ||
	    again.npayloads != m->npayloads || strcmp(again.compatible, m->compatible))
		abort();
	for (unsigned i = 0; i < m->npayloads; i++)
		if (strcmp(again.payload[i].name, m->payload[i].name) ||
		    again.payload[i].size != m->payload[i].size ||
		    memcmp(again.payload[i].sha256, m->payload[i].sha256, 32))
			abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_check chk = { .now = 1700000000, .compatible = "scan1" };
	struct bundle_result res;
	struct bundle_manifest m;
	struct bundle_view v;

	/* the manifest parser on raw input, as if it had been signed */
	bundle_parse_manifest(data, size, &m, &res);
	/* the container, then its manifest and payloads */
	if (!bundle_parse_container(data, size, &v, &res) &&
	    !bundle_parse_manifest(v.manifest, v.manifest_len, &v.m, &res) &&
	    !bundle_check_payloads(&v, &res))
		round_trip(&v.m);
	bundle_verify(data, size, &chk, &v, &res);
	return 0;
}
