/* libFuzzer target for the observation table's file (src/learn/store.c):
 * whatever a saved table holds, loading it either refuses it whole (the
 * table left empty) or gives a table that saves, proposes a policy that
 * parses, and judges a policy, without reading outside what it was given.
 *
 * Seeds: tests/fuzz/seeds/learn/ (a table learnt from the replay lab's
 * captures, `scanwalld --replay ... --learn`). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/learn.h"
#include "scanwall/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_policy[] =
	"device scanner 10.77.1.20 ae SCANNER\n"
	"peer pacs 10.77.1.10 ae PACS\n"
	"allow dicom from pacs to scanner port 104 services verification storage\n"
	"allow udp from scanner to pacs port 123\n"
	"default block\n";

static struct pol *pol;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lrn_cfg cfg = { .relations = 16, .uids = 64, .flows = 16 };
	struct lrn *t;
	char *out = NULL;
	size_t len = 0;
	FILE *mem;

	if (!pol && !(pol = pol_parse("fuzz", fuzz_policy, strlen(fuzz_policy), stderr)))
		abort();
	t = lrn_new(&cfg);
	if (!t)
		abort();
	if (lrn_load_text(t, (const char *)data, size) == 0) {
		struct pol *proposal;

		mem = open_memstream(&out, &len);
		if (!mem || lrn_json(t, mem) || lrn_what_if(t, pol, mem) < 0)
			abort();
		fclose(mem);
		free(out);
		/* the proposal is a policy `scanwalld --check` accepts */
		mem = open_memstream(&out, &len);
		if (!mem || lrn_propose(t, pol, mem, stderr))
			abort();
		fclose(mem);
		proposal = pol_parse("proposal", out, len, stderr);
		if (!proposal) {
			fputs(out, stderr);
			abort();
		}
		pol_free(proposal);
		free(out);
	} else if (lrn_relation_count(t) || lrn_flow_count(t)) {
		abort();	/* refused, yet half of it kept */
	}
	lrn_free(t);
	return 0;
}
