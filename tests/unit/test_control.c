/* The control socket against a real engine, policy and events ring: the
 * command dispatcher, several commands on one connection, answers larger
 * than the socket buffer, reload with a broken and then a fixed policy,
 * refusal of a non-root peer, and the client. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "control/apply.h"
#include "control/control.h"
#include "scanwall/ctlclient.h"
#include "scanwall/engine.h"
#include "scanwall/evlog.h"
#include "scanwall/policy.h"
#include "pktgen.h"

static const char policy_ok[] =
	"# test policy\n"
	"device symbia 10.77.1.15 ae SYMBIA\n"
	"peer lan 10.77.1.10 ae LAN_SCU\n"
	"allow dicom from lan to symbia port 104 services verification storage\n"
	"reject tcp from any to symbia port 80,443 reason \"IIS HTTP.sys, CVE-2015-1635\"\n"
	"default block\n";

static const char policy_v2[] =
	"device symbia 10.77.1.15 ae SYMBIA\n"
	"peer lan 10.77.1.10 ae LAN_SCU\n"
	"allow dicom from lan to symbia port 104 services verification\n"
	"default reject\n";

static const char policy_bad[] =
	"device symbia 10.77.1.15 ae SYMBIA\n"
	"allow dicom frm lan to symbia port 104 services verification\n"
	"default allow\n";

struct fx {
	char dir[64], sock[96], policy[96];
	struct eng *eng;
	struct evlog *log;
	struct control *ctl;
	struct apply ap;
	int reloads;		/* ruleset installs */
	int install_err;	/* what the next install returns */
	unsigned calls;		/* into the loop (env.call) */
	bool log_between;	/* an event arrives after each call */
	unsigned burst_between;	/* or that many */
	const char *sweep_says;	/* what the conntrack sweep writes in diag */
};

static void noop_release(void *ctx, uint32_t id, enum eng_verdict v) {}
static void noop_inject(void *ctx, const uint8_t *l3, size_t len, const struct eng_port *to) {}
static void noop_event(void *ctx, const struct sw_event *ev) {}

/* The door into the loop (here: this thread), counted. */
static int fx_call(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct fx *f = ctx;
	struct sw_event ev = { .ts_ns = 1, .kind = EV_SYSTEM, .reason = "between" };

	fn(arg);
	f->calls++;
	for (unsigned i = 0; i < (f->log_between ? 1 : f->burst_between); i++)
		assert_int_equal(evlog_write(f->log, &ev, 0), 0);
	return 0;
}

static const struct eng_ops ops = {
	.release = noop_release, .inject = noop_inject, .event = noop_event,
};

static int fake_install(void *ctx, const struct ruleset_cfg *rs)
{
	struct fx *f = ctx;

	f->reloads++;
	return f->install_err;
}

static int fake_sweep(void *ctx, const struct pol *pol, FILE *diag)
{
	struct fx *f = ctx;

	if (f->sweep_says)
		fprintf(diag, "%s\n", f->sweep_says);
	return 0;
}

static const struct apply_datapath fake_dp = { .install = fake_install, .sweep = fake_sweep };

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void sha256_hex(const char *text, char hex[65])
{
	unsigned char md[32];

#if MBEDTLS_VERSION_MAJOR >= 3
	assert_int_equal(mbedtls_sha256((const void *)text, strlen(text), md, 0), 0);
#else
	assert_int_equal(mbedtls_sha256_ret((const void *)text, strlen(text), md, 0), 0);
#endif
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

/* A command that takes a file, and says whether it got one. */
static int take_run(void *ctx, int argc, char **argv, int upload, FILE *out)
{
	fprintf(out, "{\"file\":%s}\n", upload >= 0 ? "true" : "false");
	return 0;
}

static const struct control_cmd take_cmd[] = {
	{ "take", take_run, "take", true },
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct eng_cfg cfg;
	struct evlog_cfg lcfg;
	struct ruleset_cfg base;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_control.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/ctl.sock", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.conf", f->dir);
	write_file(f->policy, policy_ok);

	eng_cfg_default(&cfg);
	cfg.flows = 1024;
	cfg.assocs = 16;
	cfg.rq_bufs = 4;
	f->eng = eng_new(&cfg, &ops, f);
	assert_non_null(f->eng);
	ruleset_cfg_default(&base);
	apply_init(&f->ap, f->eng, &base, &fake_dp, f);
	assert_int_equal(policy_apply(&f->ap, f->policy, policy_ok, strlen(policy_ok), stderr), 0);
	assert_int_equal(apply_up(&f->ap), 0);
	f->reloads = 0;

	evlog_cfg_default(&lcfg);
	lcfg.rate = 0;
	f->log = evlog_open(NULL, &lcfg);
	assert_non_null(f->log);

	struct control_env env = {
		.eng = f->eng,
		.evlog = f->log,
		.policy_path = f->policy,
		.version = "test",
		.apply = &f->ap,
		.call = fx_call,
		.ctx = f,
		.extra_uid = (uid_t)-1,
		.ext = take_cmd,
		.n_ext = 1,
	};
	f->ctl = control_open(f->sock, &env);
	assert_non_null(f->ctl);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct stat st;

	control_close(f->ctl);
	assert_int_equal(stat(f->sock, &st), -1);	/* the socket is gone */
	evlog_close(f->log);
	apply_fini(&f->ap);
	eng_free(f->eng);
	unlink(f->policy);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs one command through the dispatcher into a string (caller frees). */
static char *exec(struct fx *f, const char *line, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	*ret = control_exec(f->ctl, line, out);
	assert_int_equal(fclose(out), 0);
	assert_true(len > 0 && buf[len - 1] == '\n');
	assert_null(memchr(buf, '\n', len - 1));	/* exactly one line */
	return buf;
}

static void expect(struct fx *f, const char *line, int ret, const char *needle)
{
	int got;
	char *s = exec(f, line, &got);

	if (!strstr(s, needle))
		fail_msg("`%s` answered %s, expected to contain %s", line, s, needle);
	assert_int_equal(got, ret);
	free(s);
}

static void test_dispatch(void **state)
{
	struct fx *f = *state;

	expect(f, "help", 0, "\"events [since N]\"");
	expect(f, "nonsense", -ENOENT, "{\"error\":\"unknown command");
	expect(f, "", -EINVAL, "{\"error\":\"empty command\"}");
	expect(f, "   \t ", -EINVAL, "{\"error\":\"empty command\"}");
	expect(f, "events since", -EINVAL, "usage: events [since N]");
	expect(f, "events since -1", -EINVAL, "usage");
	expect(f, "events since 12x", -EINVAL, "usage");
	expect(f, "events until 3", -EINVAL, "usage");
	expect(f, "a b c d e f g", -E2BIG, "too many words");
	expect(f, "status\r", 0, "\"version\":\"test\"");
	/* the normalized policy in force, as GET /policy serves it */
	expect(f, "policy", 0, "\"text\":\"device ");
	expect(f, "policy", 0, "default ");
	/* a local program's event, kept whole */
	expect(f, "event console: login on ttyAMA0", 0, "{\"ok\":true}");
	expect(f, "event", -EINVAL, "event needs text");
	expect(f, "event ", -EINVAL, "event needs text");
	expect(f, "events", 0, "\"count\":1,");
	expect(f, "event \x01" "bell", -EINVAL, "printable");
}

static void test_status(void **state)
{
	struct fx *f = *state;
	char hex[65], needle[100];

	sha256_hex(policy_ok, hex);
	snprintf(needle, sizeof(needle), "\"sha256\":\"%s\"", hex);
	expect(f, "status", 0, needle);
	expect(f, "status", 0, "\"rules\":2,\"default\":\"block\"");
	expect(f, "status", 0, "\"uptime_s\":0");
	expect(f, "status", 0, "\"packets\":0");
}

static void open_flows(struct fx *f, unsigned n);

static void test_counters(void **state)
{
	struct fx *f = *state;

	expect(f, "counters", 0, "\"line\":4,\"action\":\"allow\",\"proto\":\"dicom\",\"hits\":0");
	expect(f, "counters", 0,
	       "\"line\":5,\"action\":\"reject\",\"proto\":\"tcp\",\"hits\":0,"
	       "\"reason\":\"IIS HTTP.sys, CVE-2015-1635\"");
	expect(f, "counters", 0, "\"default\":{\"action\":\"block\",\"hits\":0}");
	expect(f, "counters", 0, "\"faults\":{\"");
	expect(f, "counters", 0, "\"assoc-reject\":0");
	expect(f, "flows", 0, "{\"flows\":[],\"count\":0,\"from\":0,\"next\":null,"
	       "\"truncated\":false}");
	expect(f, "flows from 5 count 10", 0, "\"count\":0,\"from\":5,\"next\":null");
	expect(f, "flows count 0", -EINVAL, "usage: flows [from N] [count 1..10000]");
	expect(f, "flows count 10001", -EINVAL, "usage");
	expect(f, "flows from", -EINVAL, "usage");
	expect(f, "flows to 3", -EINVAL, "usage");
	/* the hits, copied on the loop with the counters */
	open_flows(f, 3);
	expect(f, "counters", 0, "\"line\":4,\"action\":\"allow\",\"proto\":\"dicom\",\"hits\":3");
	expect(f, "counters", 0, "\"engine\":{\"packets\":3,");
}

/* SYNs from the LAN peer to the device's DICOM port, one flow each. */
static void open_flows(struct fx *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct tpkt t = { "10.77.1.10", "10.77.1.15", IPPROTO_TCP, (uint16_t)(40000 + i), 104,
				  1000, 0, 0x02 };
		uint8_t b[256];
		struct eng_pkt pk = { .l3 = b, .ts_ns = 1000000000000ull, .id = i + 1,
				      .from = { .ifindex = 1 } };
		enum eng_verdict v;

		pk.len = tpkt_build(b, &t);
		assert_int_equal(eng_packet(f->eng, &pk, &v), 0);
	}
}

/* `flows` in pages: "next" is where the next page starts, null at the end;
 * the pages together list every flow once. */
static void test_flows_pages(void **state)
{
	struct fx *f = *state;
	char cmd[64], *a, *b;
	int ret;
	unsigned long next;

	open_flows(f, 3);
	expect(f, "flows", 0, "\"count\":3,\"from\":0,\"next\":null,\"truncated\":false}");
	a = exec(f, "flows count 2", &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(a, "\"count\":2,\"from\":0,\"next\":"));
	assert_non_null(strstr(a, "\"truncated\":true}"));
	next = strtoul(strstr(a, "\"next\":") + 7, NULL, 10);
	snprintf(cmd, sizeof(cmd), "flows from %lu count 2", next);
	b = exec(f, cmd, &ret);
	assert_non_null(strstr(b, "\"count\":1,"));
	assert_non_null(strstr(b, "\"next\":null"));
	/* the third flow is on the second page only */
	for (int port = 40000; port < 40003; port++) {
		char sport[32];

		snprintf(sport, sizeof(sport), "\"sport\":%d,", port);
		assert_true(!strstr(a, sport) != !strstr(b, sport));
	}
	free(a);
	free(b);
	expect(f, "flows from 70000", 0, "{\"flows\":[],\"count\":0,\"from\":70000,\"next\":null");
}

static void log_events(struct fx *f, unsigned n, const char *reason)
{
	struct sw_event ev = { .ts_ns = 1, .kind = EV_SYSTEM, .reason = reason };

	for (unsigned i = 0; i < n; i++)
		assert_int_equal(evlog_write(f->log, &ev, 0), 0);
}

static void test_events(void **state)
{
	struct fx *f = *state;

	expect(f, "events", 0, "{\"events\":[],\"count\":0,\"first_seq\":0,\"last_seq\":0}");
	log_events(f, 5, "unit");
	expect(f, "events", 0, "\"count\":5,\"first_seq\":1,\"last_seq\":5}");
	expect(f, "events since 3", 0, "\"count\":2,\"first_seq\":4,\"last_seq\":5}");
	expect(f, "events since 3", 0, "{\"events\":[{\"ts\":0.000000,\"event\":\"system\"");
	expect(f, "events since 5", 0, "\"count\":0");
	expect(f, "events since 99", 0, "\"count\":0");
}

/* 1024 events of 650 bytes: the loop copies them a slice at a time
 * (CTLTHREAD_SLICE, one call each) and the answer is written off it. It
 * ends at the newest event when it began, though more arrive between the
 * calls (and overwrite the oldest, already copied). */
static void test_events_sliced(void **state)
{
	struct fx *f = *state;
	char reason[600];

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = 0;
	log_events(f, 1024, reason);
	f->calls = 0;
	f->log_between = true;
	expect(f, "events", 0, "\"count\":1024,\"first_seq\":1,\"last_seq\":1024}");
	f->log_between = false;
	assert_true(f->calls >= 3);
	expect(f, "events since 1024", 0, "\"reason\":\"between\"");
	expect(f, "events since 1024", 0, "\"first_seq\":1025,");
	f->calls = 0;
	expect(f, "status", 0, "\"events\":{\"last_seq\":");
	assert_int_equal(f->calls, 1);
}

/* A burst between two slices overwrites the lines the next slice was to
 * take (ring of 1024; 600 new lines after each call):
 *
 *   slice 1: 1 .. k          burst: the ring now holds 601 .. 1624
 *   answer:  1 .. k, last_seq k (not 1024: no silent gap inside it)
 *   `events since k`: first_seq beyond k+1, the loss shown as ever */
static void test_events_wrapped_between_slices(void **state)
{
	struct fx *f = *state;
	unsigned long long count, first, last;
	char reason[600], *s, *tail, cmd[64];
	int ret;

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = 0;
	log_events(f, 1024, reason);
	f->burst_between = 600;	/* after every call */
	s = exec(f, "events", &ret);
	f->burst_between = 0;
	assert_int_equal(ret, 0);
	assert_non_null(tail = strstr(s, "],\"count\":"));
	assert_int_equal(sscanf(tail, "],\"count\":%llu,\"first_seq\":%llu,\"last_seq\":%llu}",
				&count, &first, &last), 3);
	free(s);
	assert_int_equal(first, 1);
	assert_true(count > 0 && count < 600);
	assert_int_equal(last, first + count - 1);
	snprintf(cmd, sizeof(cmd), "events since %llu", last);
	s = exec(f, cmd, &ret);
	assert_non_null(tail = strstr(s, "\"first_seq\":"));
	assert_int_equal(sscanf(tail, "\"first_seq\":%llu", &first), 1);
	free(s);
	assert_true(first > last + 1);
}

static void test_reload(void **state)
{
	struct fx *f = *state;
	char hex[65], needle[100];
	const struct pol *before = eng_policy(f->eng);

	sha256_hex(policy_ok, hex);
	snprintf(needle, sizeof(needle), "\"sha256\":\"%s\"", hex);

	write_file(f->policy, policy_bad);
	expect(f, "reload", -EINVAL, "{\"ok\":false,\"errors\":[\"");
	expect(f, "reload", -EINVAL, "policy.conf:2:");
	expect(f, "status", 0, needle);		/* the old one is still in force */
	assert_ptr_equal(eng_policy(f->eng), before);
	assert_int_equal(f->reloads, 0);
	expect(f, "events", 0, "policy reload refused");

	/* The kernel refuses the ruleset: the engine keeps the old policy. */
	write_file(f->policy, policy_v2);
	f->install_err = -EIO;
	expect(f, "reload", -EIO, "\"errors\":[\"ruleset: install failed");
	assert_int_equal(f->reloads, 1);
	assert_ptr_equal(eng_policy(f->eng), before);
	expect(f, "status", 0, needle);
	expect(f, "status", 0, "\"rules\":2,\"default\":\"block\"");
	f->install_err = 0;
	f->reloads = 0;

	sha256_hex(policy_v2, hex);
	snprintf(needle, sizeof(needle), "\"sha256\":\"%s\"", hex);
	expect(f, "reload", 0, "{\"ok\":true,\"policy\":");
	assert_int_equal(f->reloads, 1);
	expect(f, "status", 0, needle);
	expect(f, "status", 0, "\"rules\":1,\"default\":\"reject\"");
	expect(f, "events", 0, "policy reloaded, sha256 ");
	/* in force, but the conntrack sweep could not do all: said */
	f->sweep_says = "conntrack sweep: 3 refused connections beyond its 16384 keep the old verdict";
	expect(f, "reload", 0, "{\"ok\":true,\"warnings\":[\"conntrack sweep: 3 refused");
	f->sweep_says = NULL;

	unlink(f->policy);
	expect(f, "reload", -ENOENT, "{\"error\":");
	expect(f, "status", 0, needle);
}

/* --- over the socket ----------------------------------------------------- */

static int connect_sock(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Pumps the server and collects `lines` answer lines from fd; *closed is
 * set when the server hung up. Bounded in time so a bug fails, not hangs. */
static char *pump(struct fx *f, int fd, unsigned lines, int *closed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *acc = open_memstream(&buf, &len);
	unsigned seen = 0;
	char chunk[512];

	assert_non_null(acc);
	*closed = 0;
	for (int spins = 0; spins < 20000 && seen < lines && !*closed; spins++) {
		struct pollfd p = { .fd = control_fd(f->ctl), .events = POLLIN };

		if (poll(&p, 1, 1) > 0)
			control_handle(f->ctl);
		for (;;) {
			ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);

			/* a close with our bytes unread is a reset on UNIX sockets */
			if (n == 0 || (n < 0 && errno != EAGAIN))
				*closed = 1;
			if (n <= 0)
				break;
			fwrite(chunk, 1, (size_t)n, acc);
			for (ssize_t i = 0; i < n; i++)
				seen += chunk[i] == '\n';
		}
	}
	assert_int_equal(fclose(acc), 0);
	return buf;
}

/* 17 clients connect and never finish a line: the 17th is told "too many
 * clients"; once they have been silent 250 ms, a newcomer takes the slot
 * of the one silent longest and is answered. */
static void test_stalled_clients(void **state)
{
	struct fx *f = *state;
	int fd[17], closed, me;
	char *s;

	for (int i = 0; i < 17; i++) {
		fd[i] = connect_sock(f->sock);
		assert_true(fd[i] >= 0);
		assert_int_equal(send(fd[i], "sta", 3, 0), 3);
	}
	s = pump(f, fd[16], 1, &closed);
	assert_non_null(strstr(s, "too many clients"));
	free(s);
	usleep(300 * 1000);
	me = connect_sock(f->sock);
	assert_true(me >= 0);
	assert_int_equal(send(me, "status\n", 7, 0), 7);
	s = pump(f, me, 1, &closed);
	assert_memory_equal(s, "{\"version\":", 11);
	free(s);
	/* the first one lost its slot, the second still has one */
	s = pump(f, fd[0], 1, &closed);
	assert_true(closed);
	free(s);
	for (int i = 0; i < 17; i++)
		close(fd[i]);
	close(me);
}

static void test_socket_pipeline(void **state)
{
	struct fx *f = *state;
	const char cmds[] = "status\ncounters\nevents since 0\nbogus\nflows\n";
	int fd, closed;
	char *s, *line, *save = NULL;
	unsigned n = 0;
	struct stat st;

	assert_int_equal(stat(f->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	fd = connect_sock(f->sock);
	assert_true(fd >= 0);
	/* In two pieces, the first ending mid-word: lines are reassembled. */
	assert_int_equal(send(fd, cmds, 10, 0), 10);
	s = pump(f, fd, 1, &closed);
	assert_memory_equal(s, "{\"version\":", 11);
	assert_non_null(strstr(s, "}\n"));
	free(s);
	assert_int_equal(send(fd, cmds + 10, sizeof(cmds) - 11, 0), (ssize_t)sizeof(cmds) - 11);
	shutdown(fd, SHUT_WR);
	s = pump(f, fd, 4, &closed);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		static const char *const starts[] = {
			"{\"engine\":", "{\"events\":", "{\"error\":", "{\"flows\":",
		};
		assert_true(n < 4);
		assert_memory_equal(line, starts[n], strlen(starts[n]));
	}
	assert_int_equal(n, 4);
	free(s);
	/* After EOF and the last answer, the server closes. */
	s = pump(f, fd, 1, &closed);
	assert_true(closed);
	free(s);
	close(fd);
}

static void test_socket_large_answer(void **state)
{
	struct fx *f = *state;
	int fd, closed;
	char *s;
	struct evlog_counters before = evlog_counters(f->log);

	char reason[600];

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = 0;
	/* ~650 KiB of answer: more than a socket buffer holds. */
	log_events(f, 1024, reason);
	fd = connect_sock(f->sock);
	assert_true(fd >= 0);
	/* A small receive buffer forces the server through EPOLLOUT. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 4096 }, sizeof(int));
	assert_int_equal(send(fd, "events\nstatus\n", 14, 0), 14);
	s = pump(f, fd, 2, &closed);
	assert_non_null(strstr(s, "\"count\":1024,"));
	assert_non_null(strstr(s, "}\n{\"version\""));
	assert_int_equal(evlog_counters(f->log).written, before.written + 1024);
	free(s);
	close(fd);
}

static void test_socket_line_too_long(void **state)
{
	struct fx *f = *state;
	char junk[3000];
	int fd, closed;
	char *s;

	memset(junk, 'x', sizeof(junk));
	fd = connect_sock(f->sock);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	s = pump(f, fd, 1, &closed);
	assert_string_equal(s, "{\"error\":\"line too long\"}\n");
	free(s);
	s = pump(f, fd, 1, &closed);
	assert_true(closed);
	free(s);
	close(fd);
}

/* Runs fn in a child while the parent serves; returns the child's status. */
static int serve_child(struct fx *f, int (*fn)(struct fx *f))
{
	pid_t pid = fork();
	int status = -1;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(f));
	for (int i = 0; i < 5000; i++) {
		struct pollfd p = { .fd = control_fd(f->ctl), .events = POLLIN };

		if (poll(&p, 1, 1) > 0)
			control_handle(f->ctl);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fail_msg("child did not finish");
	return status;
}

static int child_nobody(struct fx *f)
{
	char buf[128] = "";
	int fd;
	ssize_t n;

	if (setgid(65534) || setuid(65534))
		return 10;
	fd = connect_sock(f->sock);
	if (fd < 0)
		return 11;
	fcntl(fd, F_SETFL, 0);
	send(fd, "status\n", 7, MSG_NOSIGNAL);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0 || !strstr(buf, "permission denied"))
		return 12;
	return recv(fd, buf, sizeof(buf), 0) <= 0 ? 0 : 13;	/* then closed */
}

static int child_nobody_mode(struct fx *f)
{
	if (setgid(65534) || setuid(65534))
		return 10;
	return connect_sock(f->sock) == -EACCES ? 0 : 11;
}

static void test_non_root_refused(void **state)
{
	struct fx *f = *state;
	int status;

	if (geteuid() != 0)
		skip();
	/* The mode keeps others out; so does the credential check behind it. */
	status = serve_child(f, child_nobody_mode);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(f->sock, 0666), 0);
	status = serve_child(f, child_nobody);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int child_client(struct fx *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int ret = ctl_request(f->sock, "status", out), ret2;

	fclose(out);
	if (ret || !strstr(buf, "\"version\":\"test\"") || buf[len - 1] != '\n')
		return 20;
	free(buf);
	out = open_memstream(&buf, &len);
	ret2 = ctl_request(f->sock, "frobnicate", out);
	fclose(out);
	if (ret2 != -EPROTO || !strstr(buf, "unknown command"))
		return 21;
	free(buf);
	return ctl_request(f->sock, "two\nlines", stdout) == -EINVAL ? 0 : 22;
}

static void test_client(void **state)
{
	struct fx *f = *state;
	int status = serve_child(f, child_client);
	char path[128];

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(path, sizeof(path), "%s/nothing.sock", f->dir);
	assert_int_equal(ctl_request(path, "status", stdout), -ENOENT);
}

/* `bundle install PATH`: the client opens PATH itself and passes the fd;
 * a FIFO (which would block whoever opens it) or a symlink is refused at
 * once, before the engine is even asked. */
static void test_client_upload_refused(void **state)
{
	struct fx *f = *state;
	char fifo[128], link[128], cmd[300], *buf = NULL;
	size_t len = 0;
	FILE *out;

	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(f->policy, link), 0);

	snprintf(cmd, sizeof(cmd), "bundle install %s", fifo);
	out = open_memstream(&buf, &len);
	assert_int_equal(ctl_request(f->sock, cmd, out), -EPROTO);
	fclose(out);
	assert_non_null(strstr(buf, "{\"error\":\"bundle install: not a regular file\"}"));
	free(buf);

	snprintf(cmd, sizeof(cmd), "bundle install %s confirm 30", link);
	out = open_memstream(&buf, &len);
	assert_int_equal(ctl_request(f->sock, cmd, out), -EPROTO);
	fclose(out);
	assert_non_null(strstr(buf, "symbolic link"));
	free(buf);
	unlink(fifo);
	unlink(link);
}

static void test_open_refuses_regular_file(void **state)
{
	struct fx *f = *state;
	char path[128];
	struct control_env env = { .eng = f->eng, .extra_uid = (uid_t)-1 };

	snprintf(path, sizeof(path), "%s/data", f->dir);
	write_file(path, "precious");
	errno = 0;
	assert_null(control_open(path, &env));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
}

/* A scanwalld busy 3.3 s with each command (a reload's tools): the client
 * waits for `reload` (deadlines.h: as long as the tools may take), and
 * gives a `status` up after its 3 s. */
static void slow_server(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), fd;
	char buf[256];

	strcpy(sa.sun_path, path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4))
		_exit(1);
	for (int i = 0; i < 2 && (fd = accept(lfd, NULL, NULL)) >= 0; i++) {
		if (recv(fd, buf, sizeof(buf), 0) <= 0)
			_exit(2);
		usleep(3300000);
		send(fd, "{\"ok\":true}\n", 12, MSG_NOSIGNAL);
		close(fd);
	}
	_exit(0);
}

static void test_client_waits_for_tools(void **state)
{
	struct fx *f = *state;
	char path[128], *buf = NULL;
	size_t len = 0;
	FILE *out;
	int status, r_reload, r_status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/slow.sock", f->dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		slow_server(path);
	for (int i = 0; i < 500 && access(path, F_OK); i++)
		usleep(10000);
	out = open_memstream(&buf, &len);
	r_reload = ctl_request(path, "reload", out);
	fclose(out);
	r_status = ctl_request(path, "status", stdout);
	/* the server goes whatever happened, before any assertion */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	assert_int_equal(r_reload, 0);
	assert_string_equal(buf, "{\"ok\":true}\n");
	free(buf);
	assert_int_equal(r_status, -ETIMEDOUT);
}

/* line, with fd riding on its first byte (as ctlclient.c sends it). */
static void send_with_fd(int sock, const char *line, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)line, strlen(line) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)strlen(line));
}

/* A file passed with a line belongs to that line alone:
 *
 *   "take\n"  "status\n"  "take\n"+fd  "status\n"+fd  "take\n"
 *    no file   answered   the file     refused       no file
 *
 * all sent before the server reads, so that one read brings several. */
static void test_socket_fd_bound_to_its_line(void **state)
{
	struct fx *f = *state;
	int fd = connect_sock(f->sock), p[2], closed;
	char *s, *line, *save = NULL;
	static const char *const want[] = {
		"{\"file\":false}", "{\"version\":", "{\"file\":true}",
		"{\"error\":\"a file came with a command that takes none\"}", "{\"file\":false}",
	};
	unsigned n = 0;

	assert_true(fd >= 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(send(fd, "take\nstatus\n", 12, 0), 12);
	send_with_fd(fd, "take\n", p[0]);
	send_with_fd(fd, "status\n", p[0]);
	assert_int_equal(send(fd, "take\n", 5, 0), 5);
	shutdown(fd, SHUT_WR);
	s = pump(f, fd, 5, &closed);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		assert_true(n < 5);
		assert_memory_equal(line, want[n], strlen(want[n]));
	}
	assert_int_equal(n, 5);
	free(s);
	close(fd);
	close(p[0]);
	close(p[1]);
}

/* Two files in one message: not how a client speaks; the connection goes. */
static void test_socket_two_fds_refused(void **state)
{
	struct fx *f = *state;
	int fd = connect_sock(f->sock), p[2], closed;
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	struct iovec iov = { "take\n", 5 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	char *s;

	assert_true(fd >= 0);
	assert_int_equal(pipe(p), 0);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), p, 2 * sizeof(int));
	assert_int_equal(sendmsg(fd, &mh, 0), 5);
	s = pump(f, fd, 1, &closed);
	assert_true(closed);
	assert_null(strstr(s ? s : "", "file"));
	free(s);
	close(fd);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_sliced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_wrapped_between_slices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_pipeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_large_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_line_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_root_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flows_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_upload_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_fd_bound_to_its_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_two_fds_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_waits_for_tools, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
