/* The service catalog: Command Field values to DIMSE bits, and the SOP
 * class lists behind each `services` name. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scanwall/catalog.h"

static void test_dimse_bits(void **state)
{
	static const struct {
		uint16_t field;
		uint32_t bit;
		const char *name;
	} cmds[] = {
		{ 0x0001, DIMSE_C_STORE, "C-STORE" },
		{ 0x0010, DIMSE_C_GET, "C-GET" },
		{ 0x0020, DIMSE_C_FIND, "C-FIND" },
		{ 0x0021, DIMSE_C_MOVE, "C-MOVE" },
		{ 0x0030, DIMSE_C_ECHO, "C-ECHO" },
		{ 0x0100, DIMSE_N_EVENT_REPORT, "N-EVENT-REPORT" },
		{ 0x0110, DIMSE_N_GET, "N-GET" },
		{ 0x0120, DIMSE_N_SET, "N-SET" },
		{ 0x0130, DIMSE_N_ACTION, "N-ACTION" },
		{ 0x0140, DIMSE_N_CREATE, "N-CREATE" },
		{ 0x0150, DIMSE_N_DELETE, "N-DELETE" },
		{ 0x0FFF, DIMSE_C_CANCEL, "C-CANCEL" },
	};
	uint32_t seen = 0;
	char rsp[32];
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(dimse_bit_of(cmds[i].field), cmds[i].bit);
		assert_string_equal(dimse_name(cmds[i].field), cmds[i].name);
		assert_int_equal(seen & cmds[i].bit, 0);
		seen |= cmds[i].bit;
		if (cmds[i].field == 0x0FFF)
			continue;
		assert_int_equal(dimse_bit_of(cmds[i].field | 0x8000), cmds[i].bit);
		snprintf(rsp, sizeof(rsp), "%s-RSP", cmds[i].name);
		assert_string_equal(dimse_name(cmds[i].field | 0x8000), rsp);
	}
	assert_int_equal(seen, DIMSE_ANY);
	/* no response to C-CANCEL exists; neither do these */
	assert_int_equal(dimse_bit_of(0x8FFF), 0);
	assert_int_equal(dimse_bit_of(0x0000), 0);
	assert_int_equal(dimse_bit_of(0x0002), 0);
	assert_int_equal(dimse_bit_of(0x0031), 0);
	assert_int_equal(dimse_bit_of(0x8000), 0);
	assert_int_equal(dimse_bit_of(0xFFFF), 0);
	assert_int_equal(dimse_bit_of(0x4001), 0);
	assert_string_equal(dimse_name(0x0002), "unknown");
}

static bool has(const struct cat_service *s, const char *uid)
{
	const char *const *u;

	for (u = s->uids; *u; u++)
		if (strcmp(*u, uid) == 0)
			return true;
	return false;
}

static size_t count(const struct cat_service *s)
{
	size_t n = 0;

	while (s->uids[n])
		n++;
	return n;
}

static void test_service_find(void **state)
{
	static const char *const names[] = {
		"verification", "storage", "query-retrieve", "worklist", "mpps",
		"storage-commitment",
	};
	const struct cat_service *const *all = cat_services();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_non_null(all[i]);
		assert_string_equal(all[i]->name, names[i]);
		assert_ptr_equal(cat_service_find(names[i]), all[i]);
	}
	assert_null(all[i]);
	assert_null(cat_service_find("Storage"));
	assert_null(cat_service_find("stor"));
	assert_null(cat_service_find("storage-"));
	assert_null(cat_service_find(""));
}

static void test_service_contents(void **state)
{
	const struct cat_service *v = cat_service_find("verification");
	const struct cat_service *st = cat_service_find("storage");
	const struct cat_service *qr = cat_service_find("query-retrieve");
	const struct cat_service *wl = cat_service_find("worklist");
	const struct cat_service *mpps = cat_service_find("mpps");
	const struct cat_service *sc = cat_service_find("storage-commitment");
	static const char *const storage_musts[] = {
		"1.2.840.10008.5.1.4.1.1.2",	/* CT */
		"1.2.840.10008.5.1.4.1.1.2.1",	/* Enhanced CT */
		"1.2.840.10008.5.1.4.1.1.4",	/* MR */
		"1.2.840.10008.5.1.4.1.1.20",	/* NM */
		"1.2.840.10008.5.1.4.1.1.5",	/* NM (retired), old SPECTs send it */
		"1.2.840.10008.5.1.4.1.1.128",	/* PET */
		"1.2.840.10008.5.1.4.1.1.7",	/* Secondary Capture */
		"1.2.840.10008.5.1.4.1.1.481.5",	/* RT Plan */
		"1.2.840.10008.5.1.4.1.1.88.22",	/* Enhanced SR */
		"1.2.840.10008.5.1.4.1.1.88.67",	/* X-Ray Radiation Dose SR */
		"1.2.840.10008.5.1.4.1.1.11.1",	/* Grayscale Softcopy PS */
		"1.2.840.10008.5.1.4.1.1.104.1",	/* Encapsulated PDF */
		"1.2.840.10008.5.1.4.34.7",	/* RT Beams Delivery Instruction */
	};
	size_t i;

	assert_int_equal(count(v), 1);
	assert_true(has(v, "1.2.840.10008.1.1"));
	assert_int_equal(v->dimse, DIMSE_C_ECHO);
	assert_true(count(st) >= 100);
	for (i = 0; i < sizeof(storage_musts) / sizeof(storage_musts[0]); i++)
		assert_true(has(st, storage_musts[i]));
	assert_false(has(st, "1.2.840.10008.1.1"));
	assert_false(has(st, "1.2.840.10008.5.1.4.1.2.2.1"));
	assert_int_equal(st->dimse, DIMSE_C_STORE);
	assert_int_equal(count(qr), 9);
	assert_true(has(qr, "1.2.840.10008.5.1.4.1.2.1.1"));
	assert_true(has(qr, "1.2.840.10008.5.1.4.1.2.2.3"));
	assert_true(has(qr, "1.2.840.10008.5.1.4.1.2.3.2"));
	/* sub-operations of C-GET/C-MOVE are C-STOREs on storage contexts */
	assert_int_equal(qr->dimse, DIMSE_C_FIND | DIMSE_C_MOVE | DIMSE_C_GET | DIMSE_C_CANCEL);
	assert_true(has(wl, "1.2.840.10008.5.1.4.31"));
	assert_int_equal(wl->dimse, DIMSE_C_FIND | DIMSE_C_CANCEL);
	assert_true(has(mpps, "1.2.840.10008.3.1.2.3.3"));
	assert_int_equal(mpps->dimse,
			 DIMSE_N_CREATE | DIMSE_N_SET | DIMSE_N_EVENT_REPORT | DIMSE_N_GET);
	assert_true(has(sc, "1.2.840.10008.1.20.1"));
	assert_int_equal(sc->dimse, DIMSE_N_ACTION | DIMSE_N_EVENT_REPORT);
}

/* PS3.5 9.1 syntax, and no UID in two places of the catalog. */
static void test_uids_valid_and_unique(void **state)
{
	const struct cat_service *const *all = cat_services();
	const struct cat_service *const *s, *const *t;
	const char *const *u, *const *w;

	for (s = all; *s; s++) {
		for (u = (*s)->uids; *u; u++) {
			const char *p = *u;
			size_t comp = 0;

			assert_true(strlen(p) <= 64);
			assert_true(strncmp(p, "1.2.840.10008.", 14) == 0);
			for (; ; p++) {
				if (*p == '.' || *p == '\0') {
					assert_true(comp > 0);
					assert_false(comp > 1 && p[-(ptrdiff_t)comp] == '0');
					comp = 0;
					if (!*p)
						break;
				} else {
					assert_true(*p >= '0' && *p <= '9');
					comp++;
				}
			}
			for (t = all; *t; t++)
				for (w = (*t)->uids; *w; w++)
					if (w != u)
						assert_string_not_equal(*w, *u);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dimse_bits),
		cmocka_unit_test(test_service_find),
		cmocka_unit_test(test_service_contents),
		cmocka_unit_test(test_uids_valid_and_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
