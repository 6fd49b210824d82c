/* The JSON reader (src/common/json.c) both the console and mgmtd read
 * scanwalld's answers with: the tokens by key and index, the walk by
 * dotted path, and what both refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanwall/json.h"
#include "scanwall/jsonw.h"

/* --- tokens, random access ------------------------------------------------ */

static const char status_json[] =
	"{\"version\":\"0.1.0\",\"pid\":412,\"uptime_s\":90061,\"policy\":{\"path\":\"/etc/p.conf\","
	"\"sha256\":\"9f2c\",\"rules\":7,\"default\":\"block\"},\"packets\":18342,\"accepted\":18120,"
	"\"dropped\":222,\"settled\":4,\"flows_live\":3,\"events\":null}\n";

static void test_json_paths(void **state)
{
	struct cj j;
	char buf[64];

	assert_int_equal(cj_parse(&j, status_json, strlen(status_json)), 0);
	assert_string_equal(cj_text(&j, cj_path(&j, 0, "policy.sha256"), buf, sizeof(buf)), "9f2c");
	assert_true(cj_num(&j, cj_get(&j, 0, "dropped"), -1) == 222);
	assert_true(cj_num(&j, cj_path(&j, 0, "policy.rules"), -1) == 7);
	assert_int_equal(cj_get(&j, 0, "nope"), -1);
	assert_int_equal(cj_path(&j, 0, "policy.nope"), -1);
	assert_string_equal(cj_text(&j, cj_get(&j, 0, "events"), buf, sizeof(buf)), "null");
	assert_string_equal(cj_text(&j, -1, buf, sizeof(buf)), "-");
	cj_free(&j);
}

static void test_json_arrays(void **state)
{
	const char *t = "{\"a\":[1,{\"x\":[2,3]},\"s\"],\"b\":true,\"c\":[]}";
	struct cj j;
	char buf[16];
	int a;

	assert_int_equal(cj_parse(&j, t, strlen(t)), 0);
	a = cj_get(&j, 0, "a");
	assert_int_equal(j.tok[a].n, 3);
	assert_string_equal(cj_text(&j, cj_elem(&j, a, 0), buf, sizeof(buf)), "1");
	assert_true(cj_num(&j, cj_elem(&j, cj_get(&j, cj_elem(&j, a, 1), "x"), 1), 0) == 3);
	assert_string_equal(cj_text(&j, cj_elem(&j, a, 2), buf, sizeof(buf)), "s");
	assert_int_equal(cj_elem(&j, a, 3), -1);
	assert_true(cj_true(&j, cj_get(&j, 0, "b")));
	assert_int_equal(cj_elem(&j, cj_get(&j, 0, "c"), 0), -1);
	/* the object's values in order */
	assert_int_equal(cj_elem(&j, 0, 1), cj_get(&j, 0, "b"));
	cj_free(&j);
}

/* Escapes decode to printable text; control characters never reach the
 * terminal. */
static void test_json_escapes(void **state)
{
	const char *t = "{\"s\":\"a\\\"b\\u001b[2Jc\\u000ad\\\\\",\"raw\":\"\x1b\"}";
	struct cj j;
	char buf[32];

	const char *ok = "{\"s\":\"a\\\"b\\u001b[2Jc\\u000ad\\\\\"}";

	assert_int_equal(cj_parse(&j, ok, strlen(ok)), 0);
	assert_string_equal(cj_text(&j, cj_get(&j, 0, "s"), buf, sizeof(buf)), "a\"b?[2Jc\nd\\");
	/* a short buffer cuts, and still terminates */
	assert_string_equal(cj_text(&j, cj_get(&j, 0, "s"), buf, 4), "a\"b");
	cj_free(&j);
	/* a raw control byte inside a string is not JSON */
	assert_int_equal(cj_parse(&j, t, strlen(t)), -EBADMSG);
}

static void test_json_malformed(void **state)
{
	static const char *const bad[] = {
		"", "{", "{\"a\"", "{\"a\":}", "{\"a\":1,}", "[1 2]", "\"open", "{\"a\":1} x",
		"{a:1}", "[tru]", "{\"a\":1]", "]", "nul", "-", "{\"a\":\"\\",
	};
	char deep[200];
	struct cj j;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cj_parse(&j, bad[i], strlen(bad[i])), -EBADMSG);
		assert_null(j.tok);
	}
	memset(deep, '[', sizeof(deep));
	assert_int_equal(cj_parse(&j, deep, sizeof(deep)), -EBADMSG);
	/* not NUL-terminated: the length bounds it */
	assert_int_equal(cj_parse(&j, "[1]]]", 3), 0);
	cj_free(&j);
}

/* --- the walk by dotted path --------------------------------------------- */

struct seen {
	char paths[512];
	uint64_t hits;
	char reason[32];
};

static int seen_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct seen *s = ctx;

	strncat(s->paths, path, sizeof(s->paths) - strlen(s->paths) - 2);
	strcat(s->paths, ";");
	if (strcmp(path, "rules.1.hits") == 0)
		assert_int_equal(mj_u64(v, &s->hits), 0);
	if (strcmp(path, "rules.1.reason") == 0)
		assert_int_equal(mj_str(v, s->reason, sizeof(s->reason)), 0);
	return 0;
}

static void test_json_walk(void **state)
{
	static const char doc[] = " {\"a\":1, \"rules\":[{\"hits\":3},{\"hits\":18446744073709551615,"
				  "\"reason\":\"x\\\"y\\u0041\\n\"}], \"n\":null, \"t\":true, \"e\":[]}\n";
	struct seen s = { 0 };

	assert_int_equal(mj_walk(doc, strlen(doc), seen_cb, &s), 0);
	assert_string_equal(s.paths, "a;rules.0.hits;rules.0;rules.1.hits;rules.1.reason;rules.1;"
				     "rules;n;t;e;;");
	assert_true(s.hits == UINT64_MAX);
	assert_string_equal(s.reason, "x\"yA\n");
}

static int stop_cb(void *ctx, const char *path, const struct mj_val *v)
{
	return strcmp(path, "b") == 0 ? 42 : 0;
}

static void test_json_bad(void **state)
{
	static const char *const bad[] = {
		"", "{", "{\"a\"}", "{\"a\":}", "[1,]", "[1 2]", "\"open", "{} x", "{\"a\":1,}",
		"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]",
	};
	struct seen s = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mj_walk(bad[i], strlen(bad[i]), seen_cb, &s) != -EBADMSG)
			fail_msg("accepted bad JSON %zu: %s", i, bad[i]);
	}
	assert_int_equal(mj_walk("{\"a\":1,\"b\":2}", 13, stop_cb, NULL), 42);
}

/* A key longer than the path buffer: refused, and the walk's path state
 * stays sane (libFuzzer found the pop of an unset length here). */
static void test_json_long_key(void **state)
{
	char doc[700];
	struct seen s = { 0 };

	memset(doc, 'k', sizeof(doc));
	memcpy(doc, "{\"a\":{\"", 7);
	memcpy(doc + sizeof(doc) - 6, "\":1}}", 6);
	assert_int_equal(mj_walk(doc, sizeof(doc), seen_cb, &s), -EBADMSG);
}

static void test_json_values(void **state)
{
	struct mj_val v = { .type = CJ_NUM, .raw = "12x", .len = 3 };
	char small[4];
	uint64_t n;

	assert_int_equal(mj_u64(&v, &n), -EINVAL);
	v.len = 2;
	assert_int_equal(mj_u64(&v, &n), 0);
	assert_int_equal(n, 12);
	v = (struct mj_val){ .type = CJ_STR, .raw = "\"abcdef\"", .len = 8 };
	assert_int_equal(mj_str(&v, small, sizeof(small)), -ENOSPC);
	v = (struct mj_val){ .type = CJ_STR, .raw = "\"\\q\"", .len = 4 };
	assert_int_equal(mj_str(&v, small, sizeof(small)), -EINVAL);
	v = (struct mj_val){ .type = CJ_STR, .raw = "\"\\u00e9\"", .len = 8 };
	assert_int_equal(mj_str(&v, small, sizeof(small)), 0);
	assert_string_equal(small, "?");
}

/* One parser, so one grammar: escapes are checked when parsed, and both
 * views have the same depth bound, JSON_DEPTH_MAX values deep. */
static void test_json_strict(void **state)
{
	static const char *const bad[] = {
		"\"\\q\"", "\"\\u12g4\"", "\"\\u12\"", "{\"a\\x\":1}",
	};
	char deep[2 * JSON_DEPTH_MAX + 2];
	struct seen s = { 0 };
	struct cj j;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cj_parse(&j, bad[i], strlen(bad[i])) != -EBADMSG)
			fail_msg("parsed bad escape %zu: %s", i, bad[i]);
		if (mj_walk(bad[i], strlen(bad[i]), seen_cb, &s) != -EBADMSG)
			fail_msg("walked bad escape %zu: %s", i, bad[i]);
	}
	for (unsigned levels = JSON_DEPTH_MAX; levels <= JSON_DEPTH_MAX + 1; levels++) {
		int want = levels > JSON_DEPTH_MAX ? -EBADMSG : 0;

		/* levels - 1 arrays around one number */
		memset(deep, '[', levels - 1);
		deep[levels - 1] = '1';
		memset(deep + levels, ']', levels - 1);
		n = 2 * levels - 1;
		assert_int_equal(cj_parse(&j, deep, n), want);
		cj_free(&j);
		assert_int_equal(mj_walk(deep, n, seen_cb, &s), want);
	}
}

/* What the writer escapes the reader reads back; bytes outside printable
 * ASCII never go out raw. */
static void test_json_write(void **state)
{
	const char in[] = "AE\"\\\x01\x7f\xe9 ok";
	char *buf = NULL, text[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct cj j = { 0 };

	assert_non_null(f);
	jw_str(SB_STREAM(f), in);
	fputc(' ', f);
	jw_str(SB_STREAM(f), NULL);
	fclose(f);
	assert_string_equal(buf, "\"AE\\\"\\\\\\u0001\\u007f\\u00e9 ok\" null");
	for (size_t i = 0; i < len; i++)
		assert_true(buf[i] >= 0x20 && buf[i] < 0x7f);
	assert_int_equal(cj_parse(&j, buf, (size_t)(strstr(buf, "\" null") - buf) + 1), 0);
	cj_text(&j, 0, text, sizeof(text));
	/* read back: the quote and backslash as they were, then the reader's
	 * own '?' for whatever is not printable ASCII, then the rest */
	assert_memory_equal(text, "AE\"\\?", 5);
	assert_string_equal(text + strlen(text) - 3, " ok");
	cj_free(&j);
	free(buf);
}

/* The same writer into a bounded buffer: members in order, and a buffer
 * too small fails once, stays failed and still ends in a NUL. */
static void test_json_write_bounded(void **state)
{
	const struct jw_u64 tab[] = { { "a", 0 }, { "b", UINT64_MAX } };
	char buf[128];
	struct sbuf w = { .p = buf, .size = sizeof(buf) };

	jw_kstr(&w, "{", "s", "x\ty");
	jw_kstr(&w, ",", "n", NULL);
	jw_ku64(&w, ",", "u", 7);
	sb_put(&w, ",\"o\":");
	JW_U64_OBJ(&w, tab);
	sb_put(&w, "}");
	assert_int_equal(w.err, 0);
	assert_string_equal(buf, "{\"s\":\"x\\u0009y\",\"n\":null,\"u\":7,"
			    "\"o\":{\"a\":0,\"b\":18446744073709551615}}");
	assert_int_equal(w.len, strlen(buf));

	w = (struct sbuf){ .p = buf, .size = 9 };
	jw_str(&w, "abcdef");
	assert_int_equal(w.err, 0);
	assert_string_equal(buf, "\"abcdef\"");
	jw_str(&w, "g");
	assert_int_equal(w.err, -ENOSPC);
	jw_ku64(&w, ",", "k", 1);
	assert_int_equal(w.len, 8);
	assert_string_equal(buf, "\"abcdef\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_paths),
		cmocka_unit_test(test_json_arrays),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_write_bounded),
		cmocka_unit_test(test_json_malformed),
		cmocka_unit_test(test_json_walk),
		cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_json_long_key),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_json_strict),
		cmocka_unit_test(test_json_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
