/* scanwall-mgmtd: the TLS management plane (docs/mgmt.md).
 *
 *   scanwall-mgmtd --listen ADDR:PORT --cert FILE --key FILE --client-ca FILE
 *                  --control SOCK [--roles FILE] [--user NAME] [--spool DIR]
 *                  [--syslog HOST:PORT --syslog-ca FILE] [--header-timeout MS]
 *                  [--idle-timeout MS] [--handshake-timeout MS] [--body-timeout MS]
 *                  [--make-cert]
 *                  [--log FILE [--log-max BYTES]] [--crl FILE]...
 *
 * Everything that needs privileges (making the keys with --make-cert,
 * loading them, the port, the spool directory) is done first; then it
 * becomes --user and serves. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/conn.h"
#include "mgmt/mgmt.h"
#include "mgmt/server.h"
#include "scanwall/version.h"

static const char usage[] =
	"usage: scanwall-mgmtd --listen ADDR:PORT --cert FILE --key FILE --client-ca FILE\n"
	"                      --control SOCK [--roles FILE] [--user NAME] [--spool DIR]\n"
	"                      [--syslog HOST:PORT --syslog-ca FILE]\n"
	"                      [--header-timeout MS] [--idle-timeout MS] [--handshake-timeout MS]\n"
	"                      [--body-timeout MS] [--make-cert] [--log FILE [--log-max BYTES]]\n"
	"                      [--crl FILE]... (up to 4)\n";

static const struct option opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "cert", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "client-ca", required_argument, NULL, 'a' },
	{ "control", required_argument, NULL, 's' },
	{ "roles", required_argument, NULL, 'r' },
	{ "user", required_argument, NULL, 'u' },
	{ "spool", required_argument, NULL, 'p' },
	{ "syslog", required_argument, NULL, 'y' },
	{ "syslog-ca", required_argument, NULL, 'Y' },
	{ "header-timeout", required_argument, NULL, 'H' },
	{ "idle-timeout", required_argument, NULL, 'I' },
	{ "handshake-timeout", required_argument, NULL, 'T' },
	{ "body-timeout", required_argument, NULL, 'B' },
	{ "make-cert", no_argument, NULL, 'M' },
	{ "log", required_argument, NULL, 'L' },
	{ "crl", required_argument, NULL, 'C' },
	{ "log-max", required_argument, NULL, 'X' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

static int parse_ms(const char *s, unsigned *v)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (*end || !*s || n == 0 || n > 3600000)
		return -EINVAL;
	*v = (unsigned)n;
	return 0;
}

static int parse_args(int argc, char **argv, struct mgmt_cfg *cfg)
{
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char **dst[128] = {
			['l'] = &cfg->listen, ['c'] = &cfg->cert, ['k'] = &cfg->key,
			['a'] = &cfg->client_ca, ['s'] = &cfg->control, ['r'] = &cfg->roles,
			['u'] = &cfg->user, ['p'] = &cfg->spool, ['y'] = &cfg->syslog,
			['Y'] = &cfg->syslog_ca, ['L'] = &cfg->log,
		};
		unsigned *ms[128] = {
			['H'] = &cfg->header_ms, ['I'] = &cfg->idle_ms, ['T'] = &cfg->handshake_ms,
			['B'] = &cfg->body_ms,
		};
		char *end;

		if (c == 'M') {
			cfg->make_cert = true;
		} else if (c == 'C') {
			if (cfg->crls == MGMT_CRL_FILES)
				return -EINVAL;
			cfg->crl[cfg->crls++] = optarg;
		} else if (c > 0 && c < 128 && ms[c]) {
			if (parse_ms(optarg, ms[c]))
				return -EINVAL;
		} else if (c == 'X') {
			cfg->log_max = strtoull(optarg, &end, 10);
			if (*end || cfg->log_max < 4096)
				return -EINVAL;
		} else if (c > 0 && c < 128 && dst[c]) {
			*dst[c] = optarg;
		} else {
			return -EINVAL;
		}
	}
	if (cfg->handshake_ms > 60000 || cfg->idle_ms > 600000)
		return -EINVAL;
	if (optind != argc || !cfg->listen || !cfg->cert || !cfg->key || !cfg->client_ca ||
	    !cfg->control || (!cfg->syslog != !cfg->syslog_ca))
		return -EINVAL;
	return 0;
}

/* The spool holds uploads until scanwalld has read them: owned by the
 * service user, nobody else may look in, and no blank in its path (the
 * path travels in a control command line). */
static int make_spool(const char *dir, const struct passwd *pw)
{
	struct stat st;

	if (strpbrk(dir, " \t\n"))
		return -EINVAL;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (pw && chown(dir, pw->pw_uid, pw->pw_gid) < 0)
		return -errno;
	return chmod(dir, 0700) < 0 ? -errno : 0;
}

static int drop_privileges(const struct passwd *pw)
{
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return -errno;
	/* A process that could get root back has not dropped anything. */
	if (pw->pw_uid != 0 && setuid(0) == 0)
		return -EPERM;
	return 0;
}

/* Sessions, handshakes and the waiting queue each hold a descriptor:
 * room for all of them, if the hard limit allows. */
static void mgmt_nofile(void)
{
	struct rlimit rl;
	rlim_t want = MGMT_FDS_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int setup(struct mgmt *m, const struct passwd *pw, struct mgmt_server **srv)
{
	const struct mgmt_cfg *cfg = m->cfg;
	int err;

	/* As root: the key is readable by root only. */
	if (cfg->make_cert && (err = mgmt_selfcert(cfg->cert, cfg->key, cfg->listen)))
		return err;
	*srv = mgmt_server_new(m);
	if (!*srv)
		return -errno;
	err = make_spool(cfg->spool, pw);
	if (err) {
		mgmt_log("spool %s: %s", cfg->spool, strerror(-err));
		return err;
	}
	if (cfg->syslog && !(m->syslog = mgmt_syslog_new(cfg->syslog, cfg->syslog_ca))) {
		mgmt_log("syslog %s: %s", cfg->syslog, strerror(errno));
		return -errno;
	}
	if (pw && (err = drop_privileges(pw))) {
		mgmt_log("cannot become %s: %s", pw->pw_name, strerror(-err));
		return err;
	}
	if (!pw && geteuid() == 0)
		mgmt_log("warning: running as root (use --user)");
	return 0;
}

int main(int argc, char **argv)
{
	struct mgmt_cfg cfg = { .spool = "/run/scanwall-mgmtd", .header_ms = 10000,
				.idle_ms = 30000, .handshake_ms = 3000, .body_ms = 30000, .log_max = 1u << 20 };
	struct mgmt m = { .cfg = &cfg, .start_s = (uint64_t)time(NULL) };
	struct mgmt_server *srv = NULL;
	struct passwd *pw = NULL;
	int err;

	if (sw_version_arg(argc, argv, "scanwall-mgmtd"))
		return 0;
	if (parse_args(argc, argv, &cfg)) {
		fputs(usage, stderr);
		return 2;
	}
	if (cfg.user && !(pw = getpwnam(cfg.user))) {
		mgmt_log("no user %s", cfg.user);
		return 1;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (cfg.log && (err = mgmt_log_open(cfg.log, cfg.log_max))) {
		fprintf(stderr, "scanwall-mgmtd: log %s: %s\n", cfg.log, strerror(-err));
		return 1;
	}
	mgmt_nofile();
	err = setup(&m, pw, &srv);
	if (!err) {
		mgmt_log("listening on %s, control %s%s%s", cfg.listen, cfg.control,
			 cfg.syslog ? ", syslog to " : "", cfg.syslog ? cfg.syslog : "");
		err = mgmt_server_run(srv);
	}
	mgmt_server_free(srv);
	mgmt_syslog_free(m.syslog);
	return err ? 1 : 0;
}
