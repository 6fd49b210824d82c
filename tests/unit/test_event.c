#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "scanwall/event.h"

static const uint8_t a4[16] = { 10, 20, 1, 10 }, b4[16] = { 10, 20, 4, 15 };

static void reject_with_rule_and_reason(void **state)
{
	struct sw_event ev = {
		.ts_ns = 1700000000123456789ull, .kind = EV_REJECT, .af = 4, .proto = 6,
		.src = a4, .dst = b4, .sport = 40000, .dport = 80, .rule_line = 17,
		.reason = "IIS HTTP.sys, CVE-2015-1635", .answer = "tcp-reset",
	};
	char buf[512];
	int n = ev_json(&ev, buf, sizeof(buf));

	assert_true(n > 0);
	assert_string_equal(buf,
		"{\"ts\":1700000000.123456,\"event\":\"reject\",\"proto\":\"tcp\","
		"\"src\":\"10.20.1.10\",\"sport\":40000,\"dst\":\"10.20.4.15\",\"dport\":80,"
		"\"rule\":17,\"reason\":\"IIS HTTP.sys, CVE-2015-1635\",\"answer\":\"tcp-reset\"}\n");
}

static void default_rule_is_null_and_wire_strings_escaped(void **state)
{
	struct sw_event ev = {
		.kind = EV_ASSOC_REJECT, .af = 4, .proto = 6, .src = a4, .dst = b4,
		.calling_ae = "EVIL\"\\\x01", .called_ae = "SYMBIA", .fault = "calling-ae",
	};
	char buf[512];

	assert_true(ev_json(&ev, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"rule\":null"));
	assert_non_null(strstr(buf, "\"calling_ae\":\"EVIL\\\"\\\\\\u0001\""));
	assert_non_null(strstr(buf, "\"fault\":\"calling-ae\""));
}

static void too_small_buffer(void **state)
{
	struct sw_event ev = { .kind = EV_BLOCK, .reason = "x" };
	char buf[16];

	assert_int_equal(ev_json(&ev, buf, sizeof(buf)), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reject_with_rule_and_reason),
		cmocka_unit_test(default_rule_is_null_and_wire_strings_escaped),
		cmocka_unit_test(too_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
