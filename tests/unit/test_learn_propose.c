/* A proposed rule stands for every relation between its two ends, so it
 * lists every class and every port they used, however many: 72 private
 * classes over three relations (beyond the 32 of one relation), and 70
 * ports. The proposal must parse, and judged against the same table by
 * what-if it must refuse nothing that was seen.
 *
 *   table --lrn_propose--> policy text --pol_parse--> pol --lrn_what_if(table)--> 0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanwall/catalog.h"
#include "scanwall/learn.h"
#include "scanwall/policy.h"

static const uint8_t pacs[16] = { 10, 77, 1, 10 }, scanner[16] = { 10, 77, 1, 20 };

/* An accepted association carrying a C-STORE on each of the classes. */
static void stores(struct lrn *t, const char *calling, uint16_t port, unsigned first,
		   unsigned n)
{
	struct lrn_rel_key k = { .af = 4, .initiator = pacs, .acceptor = scanner,
				 .port = port, .calling = calling, .called = "SCANNER" };
	int64_t rel = lrn_relation(t, &k, 1000);
	int c;
	char uid[32];

	assert_true(rel >= 0);
	lrn_count(t, rel, LRN_ASSOC_REQUESTED, 1000);
	lrn_count(t, rel, LRN_ASSOC_ACCEPTED, 1000);
	for (unsigned i = first; i < first + n; i++) {
		snprintf(uid, sizeof(uid), "1.2.3.4.%u", i);
		c = lrn_class(t, rel, lrn_uid(t, uid), true);
		assert_true(c >= 0);
		lrn_class_flags(t, rel, c, LRN_PROPOSED | LRN_ACCEPTED);
		lrn_command(t, rel, c, 0, DIMSE_C_STORE);
	}
}

static char *propose(const struct lrn *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	assert_non_null(mem);
	assert_int_equal(lrn_propose(t, NULL, mem, stderr), 0);
	fclose(mem);
	return text;
}

/* The proposal parses, and passes everything the table saw. */
static void assert_covers(const struct lrn *t, const char *text)
{
	struct pol *pol = pol_parse("proposal", text, strlen(text), stderr);
	FILE *null = fopen("/dev/null", "w");

	assert_non_null(pol);
	assert_non_null(null);
	assert_int_equal(lrn_what_if(t, pol, null), 0);
	fclose(null);
	pol_free(pol);
}

static unsigned count(const char *s, const char *what)
{
	unsigned n = 0;

	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

static void test_70_classes(void **state)
{
	struct lrn_cfg cfg = { .relations = 16, .uids = 256, .flows = 16, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	char *text, *rule;

	assert_non_null(t);
	stores(t, "PACS", 104, 0, 24);
	stores(t, "PACS2", 104, 24, 24);
	stores(t, "PACS3", 104, 48, 22);
	text = propose(t);
	rule = strstr(text, "\nallow dicom from");
	assert_non_null(rule);
	/* one rule, every class in its sop list (and each in a comment) */
	assert_int_equal(count(text, "\nallow dicom "), 1);
	assert_int_equal(count(rule, "1.2.3.4."), 70);
	assert_non_null(strstr(rule, ",1.2.3.4.69"));
	assert_covers(t, text);
	free(text);
	lrn_free(t);
}

static void test_70_ports(void **state)
{
	struct lrn_cfg cfg = { .relations = 128, .uids = 16, .flows = 16, .reserve_pct = 25 };
	struct lrn *t = lrn_new(&cfg);
	char *text, *rule;

	assert_non_null(t);
	for (uint16_t port = 11000; port < 11070; port++)
		stores(t, "PACS", port, 0, 1);
	text = propose(t);
	rule = strstr(text, "\nallow dicom from");
	assert_non_null(rule);
	assert_non_null(strstr(rule, " port 11000,11001,"));
	assert_non_null(strstr(rule, ",11069 "));
	assert_covers(t, text);
	free(text);
	lrn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_70_classes),
		cmocka_unit_test(test_70_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
