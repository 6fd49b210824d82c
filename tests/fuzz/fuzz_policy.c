/* libFuzzer target for the policy language: lexer, parser, compiler and
 * printer. A policy that parses must also print, and its printed form must
 * parse again to the same text (the --check round trip), so the fuzzer
 * checks the printer's promise as well as memory safety. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print(const struct pol *pol, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	if (pol_print(pol, f) < 0)
		abort();
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct pol *pol, *again;
	char *first, *second;
	size_t len1, len2;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	pol = pol_parse("fuzz", (const char *)data, size, devnull);
	if (!pol)
		return 0;
	first = print(pol, &len1);
	again = pol_parse("printed", first, len1, devnull);
	if (!again)
		abort();
	second = print(again, &len2);
	if (len1 != len2 || memcmp(first, second, len1) != 0)
		abort();
	free(first);
	free(second);
	pol_free(again);
	pol_free(pol);
	return 0;
}
