/* digest: SHA-256 and hex against the FIPS 180-2 vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scanwall/digest.h"

static void sha256_vectors(void **state)
{
	char hex[65];

	sw_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sw_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void hex_of_bytes(void **state)
{
	const uint8_t b[] = { 0x00, 0x0f, 0xa5, 0xff };
	char hex[9];

	sw_hex(b, sizeof(b), hex);
	assert_string_equal(hex, "000fa5ff");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256_vectors),
		cmocka_unit_test(hex_of_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
