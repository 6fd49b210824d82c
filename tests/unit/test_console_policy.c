/* The console's commissioning commands (src/console/cmd_policy.c) with a
 * fake control socket that answers `observed` with a table:
 *
 *   policy what-if FILE  --observed-->  fake scanwalld  -->  what FILE refuses
 *   policy propose FILE  --observed-->  fake scanwalld  -->  a policy      */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "console/cons.h"
#include "scanwall/policy.h"
#include "tmpdir.h"

/* One echo relation PACS -> SCANNER, as `observed` answers it. */
static const char table_json[] =
	"{\"version\":1,\"relations\":[{\"port\":104,\"initiator\":\"10.77.1.10\","
	"\"acceptor\":\"10.77.1.20\",\"calling_ae\":\"PACS\",\"called_ae\":\"SCANNER\","
	"\"requested\":3,\"accepted\":3,\"bytes_sent\":10,\"bytes_received\":5,"
	"\"first\":1700000000,\"last\":1700000100,\"classes\":[{\"uid\":\"1.2.840.10008.1.1\","
	"\"proposed\":true,\"accepted\":true,\"commands_sent\":[\"C-ECHO\"],"
	"\"commands_received\":[\"C-ECHO\"]}],\"transfer_syntaxes\":[]}],\"flows\":[],"
	"\"dropped\":{\"relations\":0,\"classes\":0,\"uids\":0,\"flows\":0}}\n";

static const char *answer;
static char asked[64];

static int fake_ctl(struct cons *c, const char *cmd, char **out)
{
	snprintf(asked, sizeof(asked), "%s", cmd);
	*out = strdup(answer);
	return strncmp(answer, "{\"error\"", 8) ? 0 : -EPROTO;
}

struct fx {
	char dir[64], policy[96];
	struct cons c;
	char *text;
	size_t len;
	FILE *out;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cons_opts o = { .control = "/nonexistent", .confirm_unit = 60, .lockout_s = 300,
			       .max_failures = 5 };
	FILE *fp;

	assert_non_null(f);
	assert_int_equal(tmpdir_make(f->dir, sizeof(f->dir), "test_console_policy"), 0);
	o.state_dir = f->dir;
	snprintf(f->policy, sizeof(f->policy), "%s/candidate.conf", f->dir);
	fp = fopen(f->policy, "w");
	assert_non_null(fp);
	fputs("device scanner 10.77.1.20 ae SCANNER\npeer pacs 10.77.1.10 ae PACS\n"
	      "allow dicom from pacs to scanner port 104 services storage\n", fp);
	fclose(fp);
	f->out = open_memstream(&f->text, &f->len);
	assert_int_equal(cons_init(&f->c, &o, f->out), 0);
	f->c.ctl = fake_ctl;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fclose(f->out);
	free(f->text);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static const char *run(struct fx *f, const char *line, int want)
{
	size_t start;

	fflush(f->out);
	start = f->len;
	assert_int_equal(cons_exec(&f->c, line), want);
	fflush(f->out);
	return f->text + start;
}

static void test_what_if(void **state)
{
	struct fx *f = *state;
	char line[160];
	const char *out;

	answer = table_json;
	snprintf(line, sizeof(line), "policy what-if %s", f->policy);
	out = run(f, line, 0);
	assert_string_equal(asked, "observed");
	/* storage only: the echo the scanner answered three times is refused */
	assert_non_null(strstr(out, "refused: dicom 10.77.1.10 -> 10.77.1.20 port 104 PACS -> "
				    "SCANNER: no-context (line 3); seen 3 association(s)"));
	run(f, "policy what-if", -EINVAL);
	answer = "{\"error\":\"not observing\"}";
	out = run(f, line, -EIO);
	assert_non_null(strstr(out, "error: not observing"));
}

static void test_observed(void **state)
{
	struct fx *f = *state;
	const char *out;

	answer = table_json;
	out = run(f, "policy observed", 0);
	assert_string_equal(asked, "observed");
	assert_non_null(strstr(out, "dicom 10.77.1.10 -> 10.77.1.20 port 104, PACS -> SCANNER: "
				    "3 association(s), 3 accepted, last 2023-11-14T22:15:00Z\n"
				    "    1.2.840.10008.1.1                accepted C-ECHO\n"));
	assert_non_null(strstr(out, "1 relation(s), 0 flow(s) and refusal(s)\n"));
	out = run(f, "policy observed --json", 0);
	assert_string_equal(out, table_json);
	run(f, "policy observed --yaml", -EINVAL);
}

static void test_propose(void **state)
{
	struct fx *f = *state;
	char line[160];
	const char *out;
	struct pol *pol;

	answer = table_json;
	snprintf(line, sizeof(line), "policy propose %s", f->policy);
	out = run(f, line, 0);
	assert_non_null(strstr(out, "\nallow dicom from pacs to scanner port 104 services "
				    "verification inspect full\n"));
	pol = pol_parse("proposal", out, strlen(out), stderr);
	assert_non_null(pol);
	pol_free(pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_what_if, setup, teardown),
		cmocka_unit_test_setup_teardown(test_observed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_propose, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
