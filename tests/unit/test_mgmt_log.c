/* scanwall-mgmtd's --log file (src/mgmt/log.c over scanwall/logfile.h),
 * against real files:
 *
 *   mgmt_log() ── bucket ──▶ FILE ──(past --log-max)──▶ FILE.1, a new FILE
 *                                  └─(rename refused)──▶ FILE emptied
 *   a write cut short by a full disk: the next line starts a line of its own
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mgmt/mgmt.h"
#include "tmpdir.h"

struct fixture {
	char dir[64];
	char path[96];
	char path_old[100];
};

static struct rlimit fsize_at_start;	/* a failed test must not leave its limit */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(tmpdir_make(f->dir, sizeof(f->dir), "test_mgmt_log"), 0);
	snprintf(f->path, sizeof(f->path), "%s/mgmtd.log", f->dir);
	snprintf(f->path_old, sizeof(f->path_old), "%s.1", f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	setrlimit(RLIMIT_FSIZE, &fsize_at_start);
	mgmt_log_open(NULL, 0);		/* back to stderr */
	rmdir(f->path_old);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static size_t slurp(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, size - 1, fp);
	fclose(fp);
	buf[n] = 0;
	return n;
}

/* Every line of buf is a whole one of ours: "scanwall-mgmtd: line N x...x". */
static unsigned whole_lines(const char *buf)
{
	unsigned n = 0;

	for (const char *p = buf; *p; n++) {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		assert_memory_equal(p, "scanwall-mgmtd: line ", 21);
		assert_int_equal(nl[-1], 'x');
		p = nl + 1;
	}
	return n;
}

static void log_lines(unsigned from, unsigned count)
{
	char pad[301];

	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	for (unsigned i = from; i < from + count; i++)
		mgmt_log("line %u %s", i, pad);
}

/* Past --log-max FILE becomes FILE.1 and a new FILE starts: neither
 * passes the cap, both hold whole lines. */
static void test_rotation(void **state)
{
	struct fixture *f = *state;
	static char buf[8192];
	struct stat st;

	assert_int_equal(mgmt_log_open(f->path, 4096), 0);
	log_lines(0, 20);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size <= 4096);
	assert_int_equal(stat(f->path_old, &st), 0);
	assert_true(st.st_size <= 4096);
	whole_lines((slurp(f->path, buf, sizeof(buf)), buf));
	assert_true(whole_lines((slurp(f->path_old, buf, sizeof(buf)), buf)) >= 10);
}

/* Where FILE cannot be renamed (here FILE.1 is a directory) FILE is
 * emptied and starts again: the cap holds, the log goes on. */
static void test_rename_refused(void **state)
{
	struct fixture *f = *state;
	static char buf[8192];
	struct stat st;

	assert_int_equal(mkdir(f->path_old, 0700), 0);
	assert_int_equal(mgmt_log_open(f->path, 4096), 0);
	log_lines(100, 20);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size > 0 && st.st_size <= 4096);
	whole_lines((slurp(f->path, buf, sizeof(buf)), buf));
	assert_non_null(strstr(buf, "line 119 "));
}

/* A write cut short by a full disk (RLIMIT_FSIZE: a short write, then
 * EFBIG) leaves a torn line; the next line starts on a line of its own,
 * never appended to the torn one. */
static void test_torn_line_ended(void **state)
{
	struct fixture *f = *state;
	static char buf[8192];
	struct rlimit lim;
	struct stat st;
	char *second, *third;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(mgmt_log_open(f->path, 1u << 20), 0);
	log_lines(200, 1);
	assert_int_equal(stat(f->path, &st), 0);
	lim = fsize_at_start;
	lim.rlim_cur = (rlim_t)st.st_size + 20;	/* 20 bytes of the next line */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	log_lines(201, 1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &fsize_at_start), 0);
	log_lines(202, 1);
	slurp(f->path, buf, sizeof(buf));
	/* line 1 whole, line 2 the 20 torn bytes, line 3 the next line whole */
	second = strchr(buf, '\n') + 1;
	third = strchr(second, '\n') + 1;
	assert_int_equal(third - second, 21);
	whole_lines(third);
	assert_memory_equal(third, "scanwall-mgmtd: line 202 ", 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_line_ended, setup, teardown),
	};

	getrlimit(RLIMIT_FSIZE, &fsize_at_start);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
