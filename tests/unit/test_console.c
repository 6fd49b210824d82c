/* The console's pieces without a terminal: the input checks and word
 * splitter, the configuration keys, the store (atomic files, rollbacks,
 * commit confirmed), the command walker with a fake control socket so the
 * pretty printers see known answers, and what a commit puts in force
 * (apply.c) through hooks that record the programs, host names and signals
 * instead of touching the machine running the test. The JSON reader's own
 * tests are in test_json.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scanwall/bootclock.h"
#include "console/cons.h"

static const char status_json[] =
	"{\"version\":\"0.1.0\",\"pid\":412,\"uptime_s\":90061,\"policy\":{\"path\":\"/etc/p.conf\","
	"\"sha256\":\"9f2c\",\"rules\":7,\"default\":\"block\"},\"packets\":18342,\"accepted\":18120,"
	"\"dropped\":222,\"settled\":4,\"flows_live\":3,\"events\":null}\n";

/* --- input ----------------------------------------------------------------- */

static void test_input(void **state)
{
	char line[400], *argv[CONS_WORDS_MAX];

	assert_null(cons_input_check("show flows"));
	assert_non_null(cons_input_check("show \x1b[A"));
	assert_non_null(cons_input_check("show \xff"));
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	assert_non_null(strstr(cons_input_check(line), "too long"));
	line[CONS_LINE_MAX] = 0;
	assert_null(cons_input_check(line));

	strcpy(line, "  set  hostname\tbox1  ");
	assert_int_equal(cons_split(line, argv), 3);
	assert_string_equal(argv[2], "box1");
	strcpy(line, "set x \"a b\" c");
	assert_int_equal(cons_split(line, argv), 4);
	assert_string_equal(argv[2], "a b");
	assert_string_equal(argv[3], "c");
	strcpy(line, "set \"open");
	assert_int_equal(cons_split(line, argv), -EINVAL);
	strcpy(line, "a b c d e f g h i j k l m n o p q");
	assert_int_equal(cons_split(line, argv), -E2BIG);
	strcpy(line, "   ");
	assert_int_equal(cons_split(line, argv), 0);
}

/* --- configuration keys --------------------------------------------------- */

static void test_conf_keys(void **state)
{
	static const struct { const char *key, *val; int want; } cases[] = {
		{ "management-address", "192.0.2.10/24", 0 },
		{ "management-address", "fd00::1/64", 0 },
		{ "management-address", "192.0.2.10", -EINVAL },
		{ "management-address", "192.0.2.10/33", -EINVAL },
		{ "management-address", "300.0.2.10/24", -EINVAL },
		{ "hostname", "scanner-fw-1", 0 },
		{ "hostname", "-bad", -EINVAL },
		{ "hostname", "a.b", -EINVAL },
		{ "ntp-server", "pool.ntp.org", 0 },
		{ "ntp-server", "10.0.0.1", 0 },
		{ "ntp-server", "bad_name", -EINVAL },
		{ "syslog-collector", "10.0.0.5:514", 0 },
		{ "syslog-collector", "[fd00::5]:6514", 0 },
		{ "syslog-collector", "fd00::5", 0 },
		{ "syslog-collector", "log.example:0", -EINVAL },
		{ "syslog-collector", "[fd00::5", -EINVAL },
		{ "client-ca", "/etc/scanwall/ca.pem", 0 },
		{ "client-ca", "ca.pem", -EINVAL },
		{ "client-ca", "/etc/../shadow", -EINVAL },
		{ "console-timeout", "300", 0 },
		{ "console-timeout", "2", -EINVAL },
		{ "console-timeout", "10x", -EINVAL },
		{ "client-crl", "/media/usb/site.crl", 0 },
		{ "client-crl", "site.crl", -EINVAL },
		{ "no-such-key", "1", -ENOENT },
	};
	struct conf c = { 0 };
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = conf_set(&c, cases[i].key, cases[i].val, &why);

		if (r != cases[i].want)
			fail_msg("%s %s: %d, want %d", cases[i].key, cases[i].val, r, cases[i].want);
		if (r == -EINVAL)
			assert_non_null(why);
	}
	/* refused values leave the last good one */
	assert_string_equal(c.val[CONF_HOSTNAME], "scanner-fw-1");
	assert_int_equal(conf_timeout(&c, 0), 300);
	assert_int_equal(conf_timeout(&c, 7), 7);
	assert_int_equal(conf_delete(&c, "console-timeout"), 0);
	assert_int_equal(conf_timeout(&c, 0), 600);
	assert_int_equal(conf_delete(&c, "nope"), -ENOENT);
}

/* The management lines: set as typed, kept as mgmtd's roles file has
 * them, read back from the configuration file, `any` printed last. */
static void test_conf_roles(void **state)
{
	static const char spki[] = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
				   "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89";
	static const struct { const char *val; int want; } cases[] = {
		{ "reader any", 0 },
		{ "operator O=St Elsewhere, CN=pacs-admin", 0 },
		{ "operator O=St Elsewhere, CN=pacs-admin", 0 },	/* kept once */
		{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", -EINVAL },
		{ "admin O=x", -EINVAL },
		{ "operator", -EINVAL },
		{ "operator no-equals-sign", -EINVAL },
		{ "operator O=\"quoted\"", -EINVAL },
		{ "reader 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", -EINVAL },
	};
	struct conf a = { 0 }, b;
	char line[160], *text = NULL;
	const char *why;
	size_t len = 0;
	FILE *mem;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = conf_set(&a, "management", cases[i].val, &why);

		if (r != cases[i].want)
			fail_msg("management %s: %d, want %d", cases[i].val, r, cases[i].want);
	}
	snprintf(line, sizeof(line), "reader %s", spki);
	assert_int_equal(conf_set(&a, "management", line, &why), 0);
	mem = open_memstream(&text, &len);
	conf_roles_print(&a, "", mem);
	fclose(mem);
	assert_string_equal(text, "operator subject O=St Elsewhere, CN=pacs-admin\n"
			    "reader spki-sha256 abcdef0123456789abcdef0123456789"
			    "abcdef0123456789abcdef0123456789\nreader any\n");
	free(text);
	mem = open_memstream(&text, &len);
	conf_print(&a, mem);
	fclose(mem);
	assert_int_equal(conf_parse(&b, text, len), 0);
	assert_true(conf_equal(&a, &b));
	free(text);
	for (int i = 0; i < 5; i++) {
		snprintf(line, sizeof(line), "reader O=x, CN=r%d", i);
		assert_int_equal(conf_set(&a, "management", line, &why), 0);
	}
	assert_int_equal(conf_set(&a, "management", "reader O=x, CN=one too many", &why), -ENOSPC);
	assert_int_equal(conf_role_delete(&a, "reader any"), 0);
	assert_int_equal(conf_role_delete(&a, "reader any"), -ENOENT);
	assert_false(conf_equal(&a, &b));
	assert_int_equal(conf_delete(&a, "management"), 0);
	assert_int_equal(a.roles[0][0], 0);
}

static void test_conf_text(void **state)
{
	struct conf a = { 0 }, b;
	const char *why;
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	conf_set(&a, "hostname", "box1", &why);
	conf_set(&a, "ntp-server", "10.0.0.1", &why);
	mem = open_memstream(&text, &len);
	conf_print(&a, mem);
	fclose(mem);
	assert_string_equal(text, "hostname box1\nntp-server 10.0.0.1\n");
	assert_int_equal(conf_parse(&b, text, len), 0);
	assert_true(conf_equal(&a, &b));
	free(text);
	/* one bad line refuses the whole file */
	assert_int_equal(conf_parse(&b, "hostname box2\nhostname -x\n", 26), -EBADMSG);
	assert_string_equal(b.val[CONF_HOSTNAME], "");
	assert_int_equal(conf_parse(&b, "bogus 1\n", 8), -EBADMSG);
	assert_int_equal(conf_parse(&b, "# comment\n\nhostname b3", 22), 0);
	assert_string_equal(b.val[CONF_HOSTNAME], "b3");

	text = NULL;
	mem = open_memstream(&text, &len);
	assert_int_equal(conf_diff(&a, &b, mem), 2);
	fclose(mem);
	assert_string_equal(text, "- hostname box1\n+ hostname b3\n- ntp-server 10.0.0.1\n");
	free(text);
}

/* --- the store ------------------------------------------------------------ */

/* What the apply hooks saw: one "; "-separated step each. */
static char applied[4096];
static int ip_status;		/* what the fake ip exits with */

static void rec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rec(const char *fmt, ...)
{
	size_t n = strlen(applied);
	va_list ap;

	if (n)
		n += (size_t)snprintf(applied + n, sizeof(applied) - n, "; ");
	va_start(ap, fmt);
	vsnprintf(applied + n, sizeof(applied) - n, fmt, ap);
	va_end(ap);
}

static int fake_run(void *ctx, char *const argv[], char *err, size_t size)
{
	char line[512] = "";
	size_t n = 0;

	for (int i = 0; argv[i]; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "", argv[i]);
	rec("%s", line);
	snprintf(err, size, "%s", ip_status ? "RTNETLINK answers: File exists" : "");
	return ip_status;
}

static int fake_hostname(void *ctx, const char *name)
{
	rec("hostname %s", name);
	return 0;
}

/* the fixture's pidfiles name 4242 (mgmtd) and 4343 (ntpd); any other
 * pid is gone */
static int fake_signal(void *ctx, pid_t pid, int sig)
{
	rec("kill %d %d", (int)pid, sig);
	return pid == 4242 || pid == 4343 ? 0 : -ESRCH;
}

struct fx {
	char dir[64];
	struct cons_store s;
	char mgmt[96], run[96], hostfile[96];
	struct cons_apply_env env;
};

static void fx_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_console.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(cons_store_init(&f->s, f->dir), 0);
	snprintf(f->mgmt, sizeof(f->mgmt), "%s/mgmt", f->dir);
	snprintf(f->run, sizeof(f->run), "%s/run", f->dir);
	snprintf(f->hostfile, sizeof(f->hostfile), "%s/hostname", f->dir);
	assert_int_equal(mkdir(f->run, 0700), 0);
	fx_file(f->run, "mgmtd.pid", "4242\n");
	fx_file(f->run, "ntpd.pid", "4343\n");
	fx_file(f->dir, "hostname", "factory1\n");
	/* lo: an interface every machine has; the fake ip never touches it */
	f->env = (struct cons_apply_env){
		.mgmt_dir = f->mgmt, .run_dir = f->run, .mgmt_if = "lo", .hostname_file = f->hostfile,
		.run = fake_run, .set_hostname = fake_hostname, .signal = fake_signal,
	};
	applied[0] = 0;
	ip_status = 0;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void conf_host(struct conf *c, const char *host)
{
	const char *why;

	memset(c, 0, sizeof(*c));
	assert_int_equal(conf_set(c, "hostname", host, &why), 0);
}

static void test_store_rollbacks(void **state)
{
	struct fx *f = *state;
	struct conf c, got;
	char name[16];

	assert_int_equal(conf_load(&f->s, 0, &got), 0);	/* none yet: empty */
	assert_string_equal(got.val[CONF_HOSTNAME], "");
	assert_int_equal(conf_load(&f->s, 1, &got), -ENOENT);
	for (int i = 1; i <= 12; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		conf_host(&c, name);
		assert_int_equal(conf_commit(&f->s, &c), 0);
	}
	assert_int_equal(conf_load(&f->s, 0, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "h12");
	for (unsigned n = 1; n <= CONS_ROLLBACKS; n++) {
		snprintf(name, sizeof(name), "h%u", 12 - n);
		assert_int_equal(conf_load(&f->s, n, &got), 0);
		assert_string_equal(got.val[CONF_HOSTNAME], name);
	}
	assert_int_equal(conf_load(&f->s, CONS_ROLLBACKS + 1, &got), -ERANGE);
	/* no temporary file is left behind */
	snprintf(name, sizeof(name), "config.tmp");
	char path[600];
	cons_store_path(&f->s, name, path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
}

static void test_store_confirm(void **state)
{
	struct fx *f = *state;
	struct conf a, b, got;

	conf_host(&a, "good");
	conf_host(&b, "risky");
	assert_int_equal(conf_commit(&f->s, &a), 0);
	assert_int_equal(conf_commit(&f->s, &b), 0);
	assert_int_equal(conf_confirm_arm(&f->s, 1000), 0);
	assert_int_equal(conf_confirm_deadline(&f->s), 1000);
	assert_int_equal(conf_confirm_expire(&f->s, 999), 0);
	assert_int_equal(conf_load(&f->s, 0, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "risky");
	assert_int_equal(conf_confirm_expire(&f->s, 1000), 1);
	assert_int_equal(conf_load(&f->s, 0, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "good");
	assert_int_equal(conf_load(&f->s, 1, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "risky");
	assert_int_equal(conf_confirm_deadline(&f->s), 0);
	assert_int_equal(conf_confirm_expire(&f->s, 5000), 0);
	/* a damaged deadline file still reverts */
	assert_int_equal(conf_commit(&f->s, &b), 0);
	assert_int_equal(cons_store_write(&f->s, "confirm-deadline", "garbage", 7), 0);
	assert_int_equal(conf_confirm_expire(&f->s, 2), 1);
	assert_int_equal(conf_load(&f->s, 0, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "good");
}

/* Deadlines on the boot clock name their boot: a commit confirmed of
 * another boot is due at once; a lockout of another boot runs again in
 * full, and one that ran out stays out. */
static void test_deadlines_across_a_reboot(void **state)
{
	struct fx *f = *state;
	struct conf a, b, got;
	char other[64];
	unsigned left;

	conf_host(&a, "good");
	conf_host(&b, "risky");
	assert_int_equal(conf_commit(&f->s, &a), 0);
	assert_int_equal(conf_commit(&f->s, &b), 0);
	snprintf(other, sizeof(other), "1000000 %llu\n", (unsigned long long)sw_boot_id() + 1);
	assert_int_equal(cons_store_write(&f->s, "confirm-deadline", other, strlen(other)), 0);
	assert_int_equal(conf_confirm_expire(&f->s, 5), 1);
	assert_int_equal(conf_load(&f->s, 0, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "good");

	assert_int_equal(cons_lockout_fail(&f->s, 10, 2, 300), 1);
	assert_int_equal(cons_lockout_fail(&f->s, 10, 2, 300), 0);	/* locked */
	assert_int_equal(cons_lockout_left(&f->s, 11, 300, &left), 0);
	assert_int_equal(left, 299);
	snprintf(other, sizeof(other), "0 900 %llu\n", (unsigned long long)sw_boot_id() + 1);
	assert_int_equal(cons_store_write(&f->s, "lockout", other, strlen(other)), 0);
	assert_int_equal(cons_lockout_left(&f->s, 20, 300, &left), 0);
	assert_int_equal(left, 300);
	assert_int_equal(cons_lockout_left(&f->s, 319, 300, &left), 0);
	assert_int_equal(left, 1);
	assert_int_equal(cons_lockout_left(&f->s, 320, 300, &left), 0);
	assert_int_equal(left, 0);
	/* one that ran out is cleared: no later boot renews it */
	assert_int_equal(cons_lockout_left(&f->s, 5, 300, &left), 0);
	assert_int_equal(left, 0);
}

/* --- the command walker --------------------------------------------------- */

static const char *fake_answer;
static char last_cmd[256];

static int fake_ctl(struct cons *c, const char *cmd, char **answer)
{
	snprintf(last_cmd, sizeof(last_cmd), "%s", cmd);
	*answer = strdup(fake_answer);
	return strncmp(fake_answer, "{\"error\"", 8) ? 0 : -EPROTO;
}

struct run {
	struct fx *f;
	struct cons c;
	char *text;
	size_t len;
	FILE *out;
};

static void run_begin(struct run *r, struct fx *f)
{
	struct cons_opts o = { .state_dir = f->dir, .control = "/nonexistent", .confirm_unit = 60,
			       .lockout_s = 300, .max_failures = 5, .apply = &f->env };

	r->f = f;
	r->text = NULL;
	r->out = open_memstream(&r->text, &r->len);
	assert_int_equal(cons_init(&r->c, &o, r->out), 0);
	r->c.ctl = fake_ctl;
	r->c.interactive = true;
}

/* Runs line, returns its output (valid until the next call). */
static const char *run(struct run *r, const char *line, int want)
{
	fflush(r->out);
	size_t start = r->len;

	assert_int_equal(cons_exec(&r->c, line), want);
	fflush(r->out);
	return r->text + start;
}

static void run_end(struct run *r)
{
	fclose(r->out);
	free(r->text);
}

static void test_cmd_show(void **state)
{
	struct run r;
	const char *out;

	run_begin(&r, *state);
	fake_answer = status_json;
	out = run(&r, "sh st", 0);			/* unique prefixes */
	assert_string_equal(last_cmd, "status");
	assert_non_null(strstr(out, "Policy sha256  9f2c\n"));
	assert_non_null(strstr(out, "Uptime         1d 01:01:01\n"));
	assert_non_null(strstr(out, "Dropped        222\n"));
	out = run(&r, "show status --json", 0);
	assert_string_equal(out, status_json);
	run(&r, "show status --yaml", -EINVAL);
	fake_answer = "{\"flows\":[{\"proto\":\"tcp\",\"src\":\"10.77.1.10\",\"sport\":41102,"
		      "\"dst\":\"fd77::15\",\"dport\":104,\"state\":\"dicom\",\"rule\":9,"
		      "\"packets\":12,\"bytes\":3456,\"calling_ae\":\"LAN\\u001bSCU\","
		      "\"called_ae\":\"SYMBIA\"}],\"count\":1,\"truncated\":false}\n";
	out = run(&r, "show flows", 0);
	assert_non_null(strstr(out, "10.77.1.10:41102      [fd77::15]:104"));
	assert_non_null(strstr(out, "LAN?SCU -> SYMBIA, rule 9"));
	assert_non_null(strstr(out, "1 flow\n"));
	assert_null(strchr(out, '\x1b'));
	/* every line fits 80 columns */
	for (const char *p = out; *p;) {
		size_t n = strcspn(p, "\n");

		assert_true(n < CONS_COLS);
		p += n + (p[n] != 0);
	}
	fake_answer = "{\"error\":\"permission denied\"}\n";
	out = run(&r, "show counters", -EPROTO);
	assert_string_equal(out, "error: permission denied\n");
	fake_answer = "{\"flows\":[{\"proto\"";
	out = run(&r, "show flows", -EBADMSG);
	assert_non_null(strstr(out, "unreadable"));
	run_end(&r);
}

static void test_cmd_errors(void **state)
{
	struct run r;

	run_begin(&r, *state);
	assert_non_null(strstr(run(&r, "frobnicate", -EINVAL), "unknown command"));
	assert_non_null(strstr(run(&r, "show c", -EINVAL), "ambiguous"));
	assert_non_null(strstr(run(&r, "show", -EINVAL), "incomplete"));
	assert_non_null(strstr(run(&r, "show \x01\x02", -EINVAL), "non-printable"));
	assert_non_null(strstr(run(&r, "show ?", 0), "interfaces"));
	assert_non_null(strstr(run(&r, "bundle install", -EINVAL), "usage"));
	assert_non_null(strstr(run(&r, "bundle install /x confirm", -EINVAL), "usage"));
	r.c.interactive = false;
	assert_non_null(strstr(run(&r, "configure", -EPERM), "interactive"));
	run_end(&r);
}

static void test_cmd_bundle(void **state)
{
	struct run r;

	run_begin(&r, *state);
	fake_answer = "{\"ok\":false,\"event\":\"bundle-refused\",\"reason\":\"signature\","
		      "\"version\":2,\"detail\":\"1 of 2\",\"error\":\"1 of 2\"}\n";
	assert_non_null(strstr(run(&r, "bundle install /media/usb/v2.bundle", -EPERM),
			       "refused: bundle-refused (signature): 1 of 2"));
	assert_string_equal(last_cmd, "bundle install /media/usb/v2.bundle");
	fake_answer = "{\"ok\":true,\"event\":\"bundle-installed\",\"reason\":\"ok\","
		      "\"version\":2,\"detail\":\"\"}\n";
	assert_non_null(strstr(run(&r, "bundle install /b confirm 60", 0), "ok: bundle-installed"));
	assert_string_equal(last_cmd, "bundle install /b confirm 60");
	run_end(&r);
}

static void test_cmd_configure(void **state)
{
	struct run r;
	struct conf got;
	const char *out;

	run_begin(&r, *state);
	run(&r, "configure", 0);
	assert_true(r.c.configuring);
	run(&r, "set hostname box1", 0);
	assert_non_null(strstr(run(&r, "set hostname -x", -EINVAL), "host name"));
	assert_non_null(strstr(run(&r, "set colour red", -ENOENT), "no such setting"));
	out = run(&r, "show | compare", 0);
	assert_string_equal(out, "+ hostname box1\n");
	run(&r, "commit", 0);
	assert_int_equal(conf_load(&r.f->s, 0, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "box1");
	assert_string_equal(run(&r, "show | compare", 0), "(no changes)\n");

	/* commit confirmed, then not confirmed: the deadline reverts it */
	run(&r, "set hostname box2", 0);
	assert_non_null(strstr(run(&r, "commit confirmed 5", 0), "reverts in 5 minutes"));
	assert_true(conf_confirm_deadline(&r.f->s) > (time_t)sw_boot_now() + 200);
	run(&r, "commit confirmed 0", -EINVAL);
	assert_int_equal(conf_confirm_arm(&r.f->s, 1), 0);	/* time passes */
	out = run(&r, "show", 0);
	assert_non_null(strstr(out, "previous configuration is back"));
	assert_string_equal(r.c.running.val[CONF_HOSTNAME], "box1");

	/* commit confirmed, then commit: it stays */
	run(&r, "set hostname box3", 0);
	run(&r, "commit confirmed 1", 0);
	assert_non_null(strstr(run(&r, "commit", 0), "stays"));
	assert_int_equal(conf_confirm_deadline(&r.f->s), 0);

	/* rollback 1 loads the one before into the candidate */
	assert_non_null(strstr(run(&r, "rollback 1", 0), "load complete"));
	assert_string_equal(run(&r, "show | compare", 0), "- hostname box3\n+ hostname box1\n");
	run(&r, "rollback 99", -EINVAL);
	assert_non_null(strstr(run(&r, "exit", 0), "uncommitted changes discarded"));
	assert_false(r.c.configuring);
	assert_string_equal(r.c.cand.val[CONF_HOSTNAME], "box3");
	run_end(&r);
}

static int ask_serial(struct cons *c, const char *prompt, char *buf, size_t size)
{
	snprintf(buf, size, "%s", fake_answer);
	return 0;
}

static void test_cmd_factory_reset(void **state)
{
	struct run r;
	struct conf got;

	run_begin(&r, *state);
	r.c.ask = ask_serial;
	run(&r, "configure", 0);
	run(&r, "set hostname box1", 0);
	run(&r, "commit", 0);
	run(&r, "exit", 0);
	/* no serial number known: refused */
	assert_non_null(strstr(run(&r, "factory-reset", -ENOENT), "not known"));
	r.c.o.serial = "SN-42";
	fake_answer = "SN-41";
	assert_non_null(strstr(run(&r, "factory-reset", -EPERM), "does not match"));
	assert_int_equal(conf_load(&r.f->s, 0, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "box1");
	fake_answer = "SN-42";
	run(&r, "factory-reset", 0);
	assert_true(r.c.quit);
	assert_int_equal(conf_load(&r.f->s, 0, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "");
	assert_int_equal(conf_load(&r.f->s, 1, &got), -ENOENT);
	run_end(&r);
}

static int shells_run;

static int fake_shell(struct cons *c)
{
	shells_run++;
	return 3;
}

static void test_cmd_start_shell(void **state)
{
	struct run r;
	char *log;
	size_t len;

	run_begin(&r, *state);
	shells_run = 0;
	/* no hook (not logged in, not a terminal): refused, nothing logged */
	assert_non_null(strstr(run(&r, "start shell", -EPERM), "logged-in console"));
	assert_int_equal(cons_store_read(&r.c.store, "events.json", 4096, &log, &len), -ENOENT);
	r.c.shell = fake_shell;
	r.c.interactive = false;
	assert_non_null(strstr(run(&r, "start shell", -EPERM), "interactive"));
	assert_int_equal(shells_run, 0);
	r.c.interactive = true;
	assert_string_equal(run(&r, "sta sh", 0), "");
	assert_int_equal(shells_run, 1);
	assert_false(r.c.quit);
	assert_non_null(strstr(run(&r, "start", -EINVAL), "incomplete"));
	assert_int_equal(cons_store_read(&r.c.store, "events.json", 4096, &log, &len), 0);
	assert_non_null(strstr(log, "\"reason\":\"console: start shell\""));
	assert_non_null(strstr(log, "console: shell exited (status 3)"));
	free(log);
	run_end(&r);
}

/* --- apply: what a commit puts in force ------------------------------------ */

static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBqzCCAVGgAwIBAgIUTXgN3/yhTha+2/On81lOHlaYLQgwCgYIKoZIzj0EAwIw\n"
	"KjEWMBQGA1UECgwNc2NhbndhbGwgdGVzdDEQMA4GA1UEAwwHdW5pdCBDQTAgFw0y\n"
	"NjExMjgwNzIwMzhaGA8yMTI2MTEwNDA3MjAzOFowKjEWMBQGA1UECgwNc2Nhbndh\n"
	"bGwgdGVzdDEQMA4GA1UEAwwHdW5pdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
	"A0IABFG555r7xiCP7a8FMchWiBN21CQA/zVv3QJJIviicI6DdNk6mbb4fxw+jfa7\n"
	"WbZgelXO6TX7LolmyU1n7wsGgi6jUzBRMB0GA1UdDgQWBBTTXHAPuZMjY0bNibfH\n"
	"oNKcQtryGDAfBgNVHSMEGDAWgBTTXHAPuZMjY0bNibfHoNKcQtryGDAPBgNVHRMB\n"
	"Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDelfUO6FRGadUHgsTXSi16dr6A\n"
	"U/TKgVyvew2Y3GjkZgIgPytLh/SsBzCOBoStmGsFMsWEr6MwsQRXNYvgbe+vDGQ=\n"
	"-----END CERTIFICATE-----\n";

/* a server's certificate (CA:FALSE): what a technician might pick by mistake */
static const char leaf_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBczCCARigAwIBAgIUNhUPoYk2R/uc+qZAYNc2Z+suqOgwCgYIKoZIzj0EAwIw\n"
	"DzENMAsGA1UEAwwEbGVhZjAgFw0yNjExMjgwNzIwMzhaGA8yMTI2MTEwNDA3MjAz\n"
	"OFowDzENMAsGA1UEAwwEbGVhZjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJyJ\n"
	"11IwS9DRJcHKVY7kiR1IOEhGYWVLTrvWHhhxamcVkkxunB1JDSzdGqZt2x+TpZxi\n"
	"Pb1GslA1d73PmxR8j/SjUDBOMB0GA1UdDgQWBBSFsX6nmhYXOZUu1s04rF44K/SZ\n"
	"WTAfBgNVHSMEGDAWgBSFsX6nmhYXOZUu1s04rF44K/SZWTAMBgNVHRMBAf8EAjAA\n"
	"MAoGCCqGSM49BAMCA0kAMEYCIQD8F4BJRyK2iHA/07cM6AWw0NA0lmfK10j41+rP\n"
	"/fvlOAIhAL6yfYlYmNBwoqwtGP/y2BTaYVt5nZvJ3C/3SRHyNUT0\n"
	"-----END CERTIFICATE-----\n";

/* "key=value key=value" into c */
static void conf_from(struct conf *c, const char *kv)
{
	char buf[512], *save = NULL;
	const char *why;

	memset(c, 0, sizeof(*c));
	snprintf(buf, sizeof(buf), "%s", kv);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(w, '=');

		assert_non_null(eq);
		*eq = 0;
		if (conf_set(c, w, eq + 1, &why))
			fail_msg("%s=%s: %s", w, eq + 1, why ? why : "no such key");
	}
}

/* cons_apply from old to new; the steps are in applied, the messages in
 * *msg (malloc'd). Returns the failed steps. */
static int apply_kv(struct fx *f, enum cons_apply_how how, const char *old, const char *new,
		    char **msg)
{
	struct conf a, b;
	size_t len;
	FILE *out = open_memstream(msg, &len);
	int failed;

	conf_from(&a, old);
	conf_from(&b, new);
	applied[0] = 0;
	failed = cons_apply(&f->env, how, &a, &b, out);
	fclose(out);
	return failed;
}

/* Which programs, host names and restarts each change causes. */
static void test_apply_matrix(void **state)
{
	static const struct {
		enum cons_apply_how how;
		const char *old, *new, *want;
	} cases[] = {
		{ CONS_APPLY_COMMIT, "", "hostname=box1", "hostname box1; kill 4242 15" },
		/* deleted: the image's own name */
		{ CONS_APPLY_COMMIT, "hostname=box1", "", "hostname factory1; kill 4242 15" },
		{ CONS_APPLY_COMMIT, "", "management-address=192.0.2.10/24",
		  "ip addr replace 192.0.2.10/24 dev lo; ip link set dev lo up; kill 4242 15" },
		{ CONS_APPLY_COMMIT, "management-address=192.0.2.10/24", "management-address=fd00::10/64",
		  "ip addr del 192.0.2.10/24 dev lo; ip addr replace fd00::10/64 dev lo; "
		  "ip link set dev lo up; kill 4242 15" },
		{ CONS_APPLY_COMMIT, "management-address=192.0.2.10/24", "",
		  "ip addr del 192.0.2.10/24 dev lo; kill 4242 15" },
		{ CONS_APPLY_COMMIT, "ntp-server=10.0.0.1", "ntp-server=pool.ntp.org", "kill 4343 15" },
		{ CONS_APPLY_COMMIT, "ntp-server=10.0.0.1", "", "kill 4343 15" },
		{ CONS_APPLY_COMMIT, "", "syslog-collector=10.0.0.5:6514", "kill 4242 15" },
		{ CONS_APPLY_COMMIT, "", "console-timeout=30", "" },
		{ CONS_APPLY_COMMIT, "hostname=a ntp-server=10.0.0.1", "hostname=a ntp-server=10.0.0.1",
		  "" },
		{ CONS_APPLY_REVERT, "hostname=risky ntp-server=10.0.0.2", "hostname=box1",
		  "hostname box1; kill 4242 15; kill 4343 15" },
		/* boot: against the empty configuration, everything set */
		{ CONS_APPLY_BOOT, "",
		  "hostname=box1 management-address=192.0.2.10/24 ntp-server=10.0.0.1 console-timeout=30",
		  "hostname box1; ip addr replace 192.0.2.10/24 dev lo; ip link set dev lo up; "
		  "kill 4242 15; kill 4343 15" },
	};
	struct fx *f = *state;
	char *msg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(apply_kv(f, cases[i].how, cases[i].old, cases[i].new, &msg), 0);
		if (strcmp(applied, cases[i].want))
			fail_msg("%s -> %s:\n  got  %s\n  want %s", cases[i].old, cases[i].new, applied,
				 cases[i].want);
		free(msg);
	}
	/* what the technician reads */
	apply_kv(f, CONS_APPLY_COMMIT, "", "hostname=box1 management-address=192.0.2.10/24 "
		 "console-timeout=30", &msg);
	assert_non_null(strstr(msg, "  hostname: box1\n"));
	assert_non_null(strstr(msg, "  management-address: 192.0.2.10/24 on lo\n"));
	assert_non_null(strstr(msg, "  console-timeout: 30\n"));
	assert_non_null(strstr(msg, "  scanwall-mgmtd: restarted\n"));
	free(msg);

	/* a board without a management port: said, nothing run, not a failure */
	f->env.mgmt_if = "nosuchport0";
	assert_int_equal(apply_kv(f, CONS_APPLY_COMMIT, "", "management-address=192.0.2.10/24",
				  &msg), 0);
	assert_string_equal(applied, "kill 4242 15");
	assert_non_null(strstr(msg, "no port nosuchport0: not applied"));
	free(msg);
	f->env.mgmt_if = "lo";

	/* ip fails: counted and said, the rest goes on */
	ip_status = 2;
	assert_int_equal(apply_kv(f, CONS_APPLY_COMMIT, "", "management-address=192.0.2.10/24 "
				  "hostname=box1", &msg), 1);
	assert_string_equal(applied, "hostname box1; ip addr replace 192.0.2.10/24 dev lo; "
				     "kill 4242 15");
	assert_non_null(strstr(msg, "warning: management-address 192.0.2.10/24 on lo: ip: "
				    "RTNETLINK answers: File exists\n"));
	free(msg);
	/* an address already gone is not a failure */
	assert_int_equal(apply_kv(f, CONS_APPLY_COMMIT, "management-address=192.0.2.10/24", "",
				  &msg), 0);
	assert_non_null(strstr(msg, "was not on lo"));
	free(msg);
	ip_status = 0;

	/* no pidfile, a damaged one, a pid that is gone: nothing to restart */
	fx_file(f->run, "mgmtd.pid", "garbage\n");
	assert_int_equal(apply_kv(f, CONS_APPLY_COMMIT, "", "hostname=box1", &msg), 0);
	assert_string_equal(applied, "hostname box1");
	free(msg);
	fx_file(f->run, "mgmtd.pid", "4242junk\n");	/* torn: no pid to trust */
	assert_int_equal(apply_kv(f, CONS_APPLY_COMMIT, "", "hostname=box1", &msg), 0);
	assert_string_equal(applied, "hostname box1");
	free(msg);
	fx_file(f->run, "mgmtd.pid", "999999\n");
	assert_int_equal(apply_kv(f, CONS_APPLY_COMMIT, "", "hostname=box1", &msg), 0);
	assert_string_equal(applied, "hostname box1; kill 999999 15");
	assert_null(strstr(msg, "restarted"));
	free(msg);
	f->env.run_dir = "/nonexistent";
	assert_int_equal(apply_kv(f, CONS_APPLY_COMMIT, "", "ntp-server=10.0.0.1", &msg), 0);
	assert_string_equal(applied, "");
	free(msg);
}

static void read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[256];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "r");
	if (!fp)
		fail_msg("no %s", path);
	n = fread(buf, 1, size - 1, fp);
	buf[n] = 0;
	fclose(fp);
}

static bool exists(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* prepare refuses what scanwall-mgmtd could not use, before anything is
 * in force; apply moves the checked copy in and keeps the one it
 * replaced for a revert. */
static void test_apply_client_ca(void **state)
{
	static const struct { const char *name, *want; } bad[] = {
		{ "missing.pem", "No such file or directory" },
		{ "dir.pem", "not a regular file" },
		{ "text.pem", "no PEM certificate" },
		{ "leaf.pem", "no CA certificate" },
		{ "broken.pem", "does not parse" },
		{ "big.pem", "larger than 64 KiB" },
	};
	struct fx *f = *state;
	struct conf none = { 0 }, c1, c2;
	char path[256], kv[300], buf[8192], *msg, *big;
	size_t len;
	FILE *out;

	fx_file(f->dir, "ca.pem", ca_pem);
	fx_file(f->dir, "leaf.pem", leaf_pem);
	fx_file(f->dir, "text.pem", "this is not a certificate\n");
	snprintf(buf, sizeof(buf), "%s", ca_pem);
	memcpy(strstr(buf, "MIIB"), "!!!!", 4);
	fx_file(f->dir, "broken.pem", buf);
	big = malloc(70000);
	memset(big, 'A', 69999);
	big[69999] = 0;
	memcpy(big, ca_pem, strlen(ca_pem));
	fx_file(f->dir, "big.pem", big);
	free(big);
	snprintf(path, sizeof(path), "%s/dir.pem", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(kv, sizeof(kv), "client-ca=%s/%s", f->dir, bad[i].name);
		conf_from(&c1, kv);
		out = open_memstream(&msg, &len);
		assert_true(cons_apply_prepare(&f->env, &none, &c1, out) < 0);
		fclose(out);
		if (!strstr(msg, bad[i].want) || strncmp(msg, "error: client-ca /", 18))
			fail_msg("%s: %s", bad[i].name, msg);
		free(msg);
		assert_false(exists(f->mgmt, "client-ca.pem.new"));
		assert_false(exists(f->mgmt, "client-ca.pem"));
	}

	/* a good one: staged by prepare, in place after apply */
	snprintf(kv, sizeof(kv), "client-ca=%s/ca.pem", f->dir);
	conf_from(&c1, kv);
	out = open_memstream(&msg, &len);
	assert_int_equal(cons_apply_prepare(&f->env, &none, &c1, out), 0);
	assert_true(exists(f->mgmt, "client-ca.pem.new"));
	assert_false(exists(f->mgmt, "client-ca.pem"));
	applied[0] = 0;
	assert_int_equal(cons_apply(&f->env, CONS_APPLY_COMMIT, &none, &c1, out), 0);
	fclose(out);
	assert_string_equal(applied, "kill 4242 15");
	assert_non_null(strstr(msg, "ca.pem copied to"));
	free(msg);
	read_file(f->mgmt, "client-ca.pem", buf, sizeof(buf));
	assert_string_equal(buf, ca_pem);
	assert_false(exists(f->mgmt, "client-ca.pem.new"));

	/* another one (a bundle: the CA and a leaf); the first is kept */
	snprintf(buf, sizeof(buf), "%s%s", ca_pem, leaf_pem);
	fx_file(f->dir, "bundle.pem", buf);
	snprintf(kv, sizeof(kv), "client-ca=%s/bundle.pem", f->dir);
	conf_from(&c2, kv);
	out = open_memstream(&msg, &len);
	assert_int_equal(cons_apply_prepare(&f->env, &c1, &c2, out), 0);
	assert_int_equal(cons_apply(&f->env, CONS_APPLY_COMMIT, &c1, &c2, out), 0);
	fclose(out);
	free(msg);
	read_file(f->mgmt, "client-ca.pem", buf, sizeof(buf));
	assert_non_null(strstr(buf, leaf_pem));
	read_file(f->mgmt, "client-ca.pem.1", buf, sizeof(buf));
	assert_string_equal(buf, ca_pem);

	/* the revert needs no file on the (long gone) stick: the copy comes back */
	snprintf(path, sizeof(path), "%s/ca.pem", f->dir);
	assert_int_equal(unlink(path), 0);
	out = open_memstream(&msg, &len);
	assert_int_equal(cons_apply(&f->env, CONS_APPLY_REVERT, &c2, &c1, out), 0);
	fclose(out);
	assert_non_null(strstr(msg, "the earlier copy is back"));
	free(msg);
	read_file(f->mgmt, "client-ca.pem", buf, sizeof(buf));
	assert_string_equal(buf, ca_pem);

	/* boot: the copy is used as it is; the path is never read */
	assert_int_equal(apply_kv(f, CONS_APPLY_BOOT, "", kv, &msg), 0);
	free(msg);
	read_file(f->mgmt, "client-ca.pem", buf, sizeof(buf));
	assert_string_equal(buf, ca_pem);
	snprintf(path, sizeof(path), "%s/client-ca.pem", f->mgmt);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(apply_kv(f, CONS_APPLY_BOOT, "", kv, &msg), 1);
	assert_non_null(strstr(msg, "set client-ca again"));
	free(msg);
	assert_false(exists(f->mgmt, "client-ca.pem"));

	/* deleted: the copy goes (kept aside for a revert); reset: all go */
	fx_file(f->mgmt, "client-ca.pem", ca_pem);
	snprintf(kv, sizeof(kv), "client-ca=%s/ca.pem", f->dir);
	assert_int_equal(apply_kv(f, CONS_APPLY_COMMIT, kv, "", &msg), 0);
	assert_string_equal(applied, "kill 4242 15");
	free(msg);
	assert_false(exists(f->mgmt, "client-ca.pem"));
	assert_true(exists(f->mgmt, "client-ca.pem.1"));
	fx_file(f->mgmt, "client-ca.pem", ca_pem);
	assert_int_equal(apply_kv(f, CONS_APPLY_RESET, kv, "", &msg), 0);
	free(msg);
	assert_false(exists(f->mgmt, "client-ca.pem"));
	assert_false(exists(f->mgmt, "client-ca.pem.1"));
}

static char *console_log(struct run *r)
{
	char *log;
	size_t len;

	assert_int_equal(cons_store_read(&r->c.store, "events.json", 65536, &log, &len), 0);
	return log;
}

/* The session: a commit that prepare refuses changes nothing; commit,
 * the revert of commit confirmed and factory-reset each apply and log. */
static void test_cmd_apply(void **state)
{
	struct fx *f = *state;
	struct run r;
	struct conf got;
	char line[300], buf[4096], *log;
	const char *out;

	fx_file(f->dir, "ca.pem", ca_pem);
	fx_file(f->dir, "text.pem", "no certificate here\n");
	run_begin(&r, f);
	r.c.ask = ask_serial;
	run(&r, "configure", 0);
	run(&r, "set hostname box1", 0);
	run(&r, "set management-address 192.0.2.10/24", 0);
	snprintf(line, sizeof(line), "set client-ca %s/missing.pem", f->dir);
	run(&r, line, 0);
	applied[0] = 0;
	out = run(&r, "commit", -ENOENT);
	assert_non_null(strstr(out, "missing.pem: No such file or directory\n"));
	assert_non_null(strstr(out, "error: commit failed: nothing changed\n"));
	snprintf(line, sizeof(line), "set client-ca %s/text.pem", f->dir);
	run(&r, line, 0);
	assert_non_null(strstr(run(&r, "commit", -EINVAL), "no PEM certificate"));
	/* nothing ran, nothing is committed, the candidate is kept to fix */
	assert_string_equal(applied, "");
	assert_int_equal(conf_load(&r.f->s, 0, &got), 0);
	assert_string_equal(got.val[CONF_HOSTNAME], "");
	assert_string_equal(r.c.running.val[CONF_HOSTNAME], "");
	assert_string_equal(r.c.cand.val[CONF_HOSTNAME], "box1");
	assert_false(exists(f->mgmt, "client-ca.pem"));

	snprintf(line, sizeof(line), "set client-ca %s/ca.pem", f->dir);
	run(&r, line, 0);
	out = run(&r, "commit", 0);
	assert_non_null(strstr(out, "commit complete\n  hostname: box1\n"));
	assert_string_equal(applied, "hostname box1; ip addr replace 192.0.2.10/24 dev lo; "
				     "ip link set dev lo up; kill 4242 15");
	read_file(f->mgmt, "client-ca.pem", buf, sizeof(buf));
	assert_string_equal(buf, ca_pem);
	log = console_log(&r);
	assert_non_null(strstr(log, "console: applied after commit (management-address hostname "
				    "client-ca)"));
	free(log);

	/* the new console-timeout is the session's at once */
	run(&r, "set console-timeout 30", 0);
	applied[0] = 0;
	assert_non_null(strstr(run(&r, "commit", 0), "console-timeout: 30\n"));
	assert_string_equal(applied, "");
	assert_int_equal(conf_timeout(&r.c.running, r.c.o.timeout), 30);

	/* commit confirmed, not confirmed: the revert is applied too */
	run(&r, "set hostname box2", 0);
	run(&r, "set ntp-server 10.0.0.1", 0);
	applied[0] = 0;
	run(&r, "commit confirmed 5", 0);
	assert_string_equal(applied, "hostname box2; kill 4242 15; kill 4343 15");
	assert_int_equal(conf_confirm_arm(&r.f->s, 1), 0);	/* time passes */
	applied[0] = 0;
	out = run(&r, "show", 0);
	assert_non_null(strstr(out, "previous configuration is back"));
	assert_non_null(strstr(out, "  hostname: box1\n"));
	assert_string_equal(applied, "hostname box1; kill 4242 15; kill 4343 15");
	log = console_log(&r);
	assert_non_null(strstr(log, "console: applied after revert (hostname ntp-server)"));
	free(log);
	run(&r, "exit", 0);

	/* factory-reset: the empty configuration, the image's host name */
	r.c.o.serial = "SN-1";
	fake_answer = "SN-1";
	applied[0] = 0;
	out = run(&r, "factory-reset", 0);
	assert_string_equal(applied, "hostname factory1; ip addr del 192.0.2.10/24 dev lo; "
				     "kill 4242 15");
	assert_non_null(strstr(out, "client-ca: none"));
	assert_false(exists(f->mgmt, "client-ca.pem"));
	log = console_log(&r);
	assert_non_null(strstr(log, "console: applied after factory-reset (management-address "
				    "hostname client-ca console-timeout)"));
	free(log);
	run_end(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_conf_keys),
		cmocka_unit_test(test_conf_text),
		cmocka_unit_test(test_conf_roles),
		cmocka_unit_test_setup_teardown(test_store_rollbacks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_confirm, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deadlines_across_a_reboot, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_show, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_bundle, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_configure, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_factory_reset, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_start_shell, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply_matrix, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply_client_ca, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_apply, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
