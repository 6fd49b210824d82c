/* Puts the console's configuration in force. The console's `config` is
 * the one source of truth (docs/console.md): nothing else sets the host
 * name, the management address or the client CA, and the daemons'
 * wrappers read their settings with `scanwall config get`. What changed
 * between two configurations is applied here: after a commit, after the
 * automatic revert of a `commit confirmed`, after factory-reset, and at
 * boot (`scanwall apply` in rcS, against the empty configuration).
 *
 * Only the client CA can fail for a reason the technician must fix (the
 * file on the USB stick is missing or is not a CA certificate), so it is
 * read, checked and staged before the commit, which it can still refuse.
 * Everything else happens after the commit, each step on its own: a step
 * that fails is said and counted without undoing the others, since the
 * configuration is committed and the next boot applies it again.
 *
 * The CA file is read only when a technician commits a new path. A boot
 * uses the copy on the state partition (the stick is long gone, and a
 * stick plugged in at boot must not be able to change whom the management
 * plane trusts); a revert puts back the copy the reverted commit replaced.
 *
 * Programs (ip) run from an argv through fork and execvp, never a shell;
 * the daemons restart by SIGTERM to the pid their wrapper wrote (busybox
 * init respawns the wrapper, which reads the configuration again). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "console/cons.h"
#include "scanwall/fileio.h"

#define CA_MAX (64 * 1024)		/* also a CRL's */
#define CA_BEGIN "-----BEGIN CERTIFICATE-----"
#define CRL_BEGIN "-----BEGIN X509 CRL-----"
#define HOSTNAME_DEFAULT "scanwall"

struct apply {
	const struct cons_apply_env *env;
	FILE *msg;
	unsigned failed;
};

static bool changed(const struct conf *a, const struct conf *b, enum conf_key k)
{
	return strcmp(a->val[k], b->val[k]) != 0;
}

/* One line of the commit's report: "  what" or "warning: what". */
static void report(struct apply *a, const char *lead, const char *fmt, va_list ap)
{
	fputs(lead, a->msg);
	vfprintf(a->msg, fmt, ap);
	fputc('\n', a->msg);
}

static void say(struct apply *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct apply *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(a, "  ", fmt, ap);
	va_end(ap);
}

static void failed(struct apply *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failed(struct apply *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(a, "warning: ", fmt, ap);
	va_end(ap);
	a->failed++;
}

/* --- running programs ---------------------------------------------------- */

/* argv through fork and execvp; stdout is dropped, the first line of
 * stderr comes back in err. The exit status, or -errno. */
static int apply_exec(char *const argv[], char *err, size_t size)
{
	int pfd[2], status;
	size_t n = 0;
	pid_t pid;

	err[0] = 0;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		dup2(pfd[1], STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char tmp[256];
		ssize_t r = read(pfd[0], tmp, sizeof(tmp));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && n + 1 < size; i++)
			err[n++] = tmp[i] >= 0x20 && tmp[i] < 0x7f ? tmp[i] : tmp[i] == '\n' ? '\n' : '?';
	}
	close(pfd[0]);
	err[n] = 0;
	err[strcspn(err, "\n")] = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ip with up to six arguments; 0 when it succeeded, else its stderr (or
 * what went wrong) in err. execvp's argv is not const only for history's
 * sake: it writes nothing, so the words are passed as they are. */
static int apply_ip(struct apply *a, const char *const args[], char *err, size_t size)
{
	char *argv[8];
	int i, r;

	argv[0] = (char *)"ip";
	for (i = 0; i < 6 && args[i]; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	r = a->env->run ? a->env->run(a->env->ctx, argv, err, size) : apply_exec(argv, err, size);
	if (r < 0)
		snprintf(err, size, "%s", strerror(-r));
	else if (r && !err[0])
		snprintf(err, size, "exit status %d", r);
	return r;
}

/* --- the keys -------------------------------------------------------------- */

/* The image's own host name (its first line), when the configuration
 * sets none. */
static void default_hostname(const struct cons_apply_env *env, char *buf, size_t size)
{
	FILE *fp = env->hostname_file ? fopen(env->hostname_file, "re") : NULL;

	buf[0] = 0;
	if (fp) {
		if (!fgets(buf, (int)size, fp))
			buf[0] = 0;
		fclose(fp);
	}
	buf[strcspn(buf, " \t\r\n")] = 0;
	if (!buf[0] || conf_key_info(CONF_HOSTNAME)->check(buf))
		snprintf(buf, size, HOSTNAME_DEFAULT);
}

static void apply_hostname(struct apply *a, const struct conf *old, const struct conf *new)
{
	const char *want = new->val[CONF_HOSTNAME];
	char name[CONS_VALUE_MAX];
	int err;

	if (!changed(old, new, CONF_HOSTNAME))
		return;
	if (want[0])
		snprintf(name, sizeof(name), "%s", want);
	else
		default_hostname(a->env, name, sizeof(name));
	if (a->env->set_hostname)
		err = a->env->set_hostname(a->env->ctx, name);
	else
		err = sethostname(name, strlen(name)) ? -errno : 0;
	if (err)
		failed(a, "hostname %s: %s", name, strerror(-err));
	else
		say(a, "hostname: %s%s", name, want[0] ? "" : " (the image's default)");
}

static void apply_address(struct apply *a, const struct conf *old, const struct conf *new)
{
	const char *was = old->val[CONF_MGMT_ADDRESS], *now = new->val[CONF_MGMT_ADDRESS];
	const char *ifn = a->env->mgmt_if;
	const char *del[] = { "addr", "del", was, "dev", ifn, NULL };
	const char *add[] = { "addr", "replace", now, "dev", ifn, NULL };
	const char *up[] = { "link", "set", "dev", ifn, "up", NULL };
	char err[160];

	if (!changed(old, new, CONF_MGMT_ADDRESS))
		return;
	/* a board without a management port: nothing to put it on */
	if (!if_nametoindex(ifn)) {
		say(a, "management-address: this unit has no port %s: not applied", ifn);
		return;
	}
	/* gone already (by hand, or a boot that never set it): nothing lost */
	if (was[0] && apply_ip(a, del, err, sizeof(err)))
		say(a, "management-address: %s was not on %s (%s)", was, ifn, err);
	if (!now[0])
		say(a, "management-address: none on %s", ifn);
	else if (apply_ip(a, add, err, sizeof(err)))
		failed(a, "management-address %s on %s: ip: %s", now, ifn, err);
	else if (apply_ip(a, up, err, sizeof(err)))
		failed(a, "management-address: %s stays down: ip: %s", ifn, err);
	else
		say(a, "management-address: %s on %s", now, ifn);
}

/* The directory of scanwall-mgmtd's files, as a store (atomic writes). */
static int mgmt_store(const struct cons_apply_env *env, struct cons_store *s)
{
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s", env->mgmt_dir) >= sizeof(s->dir))
		return -ENAMETOOLONG;
	if (mkdir(s->dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* A client CA: PEM certificates that mbedtls reads as scanwall-mgmtd will,
 * one of them a CA. */
static int ca_check(const char *b, size_t n, const char **why)
{
	mbedtls_x509_crt crt;
	int err = 0;

	if (memchr(b, 0, n) || !strstr(b, CA_BEGIN)) {
		*why = "no PEM certificate in it (" CA_BEGIN ")";
		return -EINVAL;
	}
	mbedtls_x509_crt_init(&crt);
	/* PEM: the length counts the terminating NUL */
	if (mbedtls_x509_crt_parse(&crt, (const unsigned char *)b, n + 1)) {
		*why = "a certificate in it does not parse";
		err = -EINVAL;
	} else {
		bool ca = false;

		for (const mbedtls_x509_crt *c = &crt; c && c->version; c = c->next)
			ca |= c->ca_istrue || c->version < 3;
		if (!ca) {
			*why = "no CA certificate in it (basicConstraints CA:TRUE)";
			err = -EINVAL;
		}
	}
	mbedtls_x509_crt_free(&crt);
	return err;
}

/* A CRL: PEM or DER, as scanwall-mgmtd's --crl reads it. */
static int crl_check(const char *b, size_t n, const char **why)
{
	mbedtls_x509_crl crl;
	bool pem = !memchr(b, 0, n) && strstr(b, CRL_BEGIN);
	int err = 0;

	mbedtls_x509_crl_init(&crl);
	if (mbedtls_x509_crl_parse(&crl, (const unsigned char *)b, pem ? n + 1 : n)) {
		*why = "not a CRL (PEM " CRL_BEGIN " or DER)";
		err = -EINVAL;
	}
	mbedtls_x509_crl_free(&crl);
	return err;
}

/* The files a technician names and the console copies for scanwall-mgmtd:
 * checked and staged before a commit, in place after it, the copy they
 * replaced kept for a revert. */
static const struct mgmt_file {
	enum conf_key key;
	const char *file, *prev, *staged;	/* in mgmt_dir */
	int (*check)(const char *buf, size_t len, const char **why);
	mode_t mode;
} mgmt_files[] = {
	{ CONF_CLIENT_CA, "client-ca.pem", "client-ca.pem.1", "client-ca.pem.new", ca_check, 0600 },
	/* mgmtd reads a new CRL again after it dropped root: readable by
	 * all, as a CA publishes it anyway */
	{ CONF_CLIENT_CRL, "client-crl.crl", "client-crl.crl.1", "client-crl.crl.new", crl_check,
	  0644 },
};
#define MGMT_FILES (sizeof(mgmt_files) / sizeof(mgmt_files[0]))

static const char *file_key(const struct mgmt_file *f)
{
	return conf_key_info(f->key)->name;
}

/* The file a technician named: a regular file under 64 KiB that f's check
 * accepts. On -EINVAL *why says what is wrong with it. */
static int file_read(const struct mgmt_file *f, const char *path, char **buf, size_t *len,
		     const char **why)
{
	struct stat st;
	char *b = NULL;
	size_t n = 0;
	int fd, err = 0;

	*why = NULL;
	/* not even opened unless it is a file: opening a device can act */
	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		err = -EINVAL;
		goto out;
	}
	err = sw_read_fd(fd, CA_MAX - 1, &b, &n);
	if (err == -EFBIG) {
		*why = "larger than 64 KiB";
		err = -EINVAL;
	}
	if (!err)
		err = f->check(b, n, why);
out:
	close(fd);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int file_prepare(const struct cons_apply_env *env, const struct conf *old,
			const struct conf *new, const struct mgmt_file *f, FILE *msg)
{
	const char *path = new->val[f->key], *why = NULL;
	struct cons_store s;
	char *buf = NULL, staged[600];
	size_t len = 0;
	int err;

	if (!changed(old, new, f->key) || !path[0])
		return 0;
	err = file_read(f, path, &buf, &len, &why);
	if (err) {
		fprintf(msg, "error: %s %s: %s\n", file_key(f), path, why ? why : strerror(-err));
		return err;
	}
	err = mgmt_store(env, &s);
	if (!err)
		err = cons_store_path(&s, f->staged, staged, sizeof(staged));
	if (!err)
		err = sw_write_atomic(AT_FDCWD, staged, buf, len, f->mode, 0);
	if (err)
		fprintf(msg, "error: %s: cannot write %s/%s: %s\n", file_key(f), env->mgmt_dir,
			f->staged, strerror(-err));
	free(buf);
	return err;
}

int cons_apply_prepare(const struct cons_apply_env *env, const struct conf *old,
		       const struct conf *new, FILE *msg)
{
	int err = 0;

	for (size_t i = 0; i < MGMT_FILES && !err; i++)
		err = file_prepare(env, old, new, &mgmt_files[i], msg);
	if (err)
		cons_apply_abort(env);
	return err;
}

void cons_apply_abort(const struct cons_apply_env *env)
{
	struct cons_store s;

	if (mgmt_store(env, &s))
		return;
	for (size_t i = 0; i < MGMT_FILES; i++)
		cons_store_remove(&s, mgmt_files[i].staged);
}

/* name -> to in the mgmt directory, durably; a missing name is -ENOENT.
 * Whatever is still staged goes with it (removing fsyncs the directory). */
static int ca_rename(const struct cons_store *s, const struct mgmt_file *f, const char *name,
		     const char *to)
{
	char from[600], dst[600];

	cons_store_path(s, name, from, sizeof(from));
	cons_store_path(s, to, dst, sizeof(dst));
	if (rename(from, dst))
		return -errno;
	return cons_store_remove(s, f->staged);
}

/* A commit: the staged file goes in, the copy it replaces is kept as
 * f->prev for a revert. The running copy exists at every instant. */
static int ca_commit(const struct cons_store *s, const struct mgmt_file *f, bool set)
{
	char cur[600], prev[600];

	cons_store_path(s, f->file, cur, sizeof(cur));
	cons_store_path(s, f->prev, prev, sizeof(prev));
	if (!set) {
		int err = ca_rename(s, f, f->file, f->prev);

		return err == -ENOENT ? 0 : err;
	}
	if (unlink(prev) && errno != ENOENT)
		return -errno;
	if (link(cur, prev) && errno != ENOENT)
		return -errno;
	return ca_rename(s, f, f->staged, f->file);
}

static void apply_file(struct apply *a, enum cons_apply_how how, const struct conf *old,
		       const struct conf *new, const struct mgmt_file *f)
{
	const char *path = new->val[f->key], *dir = a->env->mgmt_dir, *key = file_key(f);
	struct cons_store s;
	struct stat st;
	char cur[600];
	int err;

	if (!changed(old, new, f->key) && how != CONS_APPLY_RESET)
		return;
	err = mgmt_store(a->env, &s);
	if (err) {
		failed(a, "%s: %s: %s", key, dir, strerror(-err));
		return;
	}
	cons_store_path(&s, f->file, cur, sizeof(cur));
	switch (how) {
	case CONS_APPLY_COMMIT:
		err = ca_commit(&s, f, path[0]);
		if (err == -ENOENT)
			failed(a, "%s: nothing staged in %s (the commit did not check it)", key, dir);
		else if (err)
			failed(a, "%s: %s: %s", key, dir, strerror(-err));
		else if (path[0])
			say(a, "%s: %s copied to %s", key, path, cur);
		else
			say(a, "%s: none (%s removed)", key, cur);
		return;
	case CONS_APPLY_REVERT:
		err = path[0] ? ca_rename(&s, f, f->prev, f->file) : cons_store_remove(&s, f->file);
		if (err == -ENOENT)
			failed(a, "%s: no earlier copy of %s in %s: set %s again", key, path, dir, key);
		else if (err)
			failed(a, "%s: %s: %s", key, dir, strerror(-err));
		else
			say(a, "%s: %s", key, path[0] ? "the earlier copy is back" : "none");
		return;
	case CONS_APPLY_BOOT:
		if (path[0] && stat(cur, &st))
			failed(a, "%s: no %s (the file is copied at commit): set %s again", key, cur,
			       key);
		else if (path[0])
			say(a, "%s: %s", key, cur);
		return;
	case CONS_APPLY_RESET:
		cons_store_remove(&s, f->staged);
		cons_store_remove(&s, f->prev);
		err = cons_store_remove(&s, f->file);
		if (err)
			failed(a, "%s: %s: %s", key, cur, strerror(-err));
		else if (old->val[f->key][0])
			say(a, "%s: none (%s removed)", key, cur);
		return;
	}
}

/* SIGTERM to the pid in run_dir/name.pid: its wrapper, or the daemon it
 * became (exec keeps the pid); init respawns the wrapper. No pidfile, or
 * a pid that is gone, is a daemon that is not running: nothing to do. */
static void restart(struct apply *a, const char *name, const char *prog)
{
	char path[600], buf[32], *end;
	pid_t pid;
	ssize_t n;
	long v;
	int fd, err;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.pid", a->env->run_dir, name) >= sizeof(path))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	v = strtol(buf, &end, 10);
	pid = (pid_t)v;
	/* A pid and its newline, nothing else: a torn or foreign file
	 * signals nobody. */
	if (end == buf || (*end && strcmp(end, "\n")) || v <= 1 || v != pid || pid == getpid())
		return;
	if (a->env->signal)
		err = a->env->signal(a->env->ctx, pid, SIGTERM);
	else
		err = kill(pid, SIGTERM) ? -errno : 0;
	/* Gone between the read and the signal: its runner (a `sleep` that
	 * waits for a setting ends every 30 s) is being started again by
	 * init, and the new one reads the committed configuration. */
	if (err == -ESRCH)
		say(a, "%s: restarting (its process had just ended)", prog);
	else if (err)
		failed(a, "%s (pid %d) not restarted: %s", prog, (int)pid, strerror(-err));
	else
		say(a, "%s: restarted", prog);
}

/* A server given by name (HOST or HOST:PORT, not an address): the image
 * has no resolver (no DNS setting, `hosts: files`), so say so at commit. */
static bool by_name(const char *v)
{
	char host[CONS_VALUE_MAX];
	struct in_addr a4;
	size_t n = strcspn(v, ":");

	if (!v[0] || v[0] == '[' || strchr(v, ':') != strrchr(v, ':') || n >= sizeof(host))
		return false;
	memcpy(host, v, n);
	host[n] = 0;
	return inet_pton(AF_INET, host, &a4) != 1;
}

static void apply_value(struct apply *a, const struct conf *old, const struct conf *new,
			enum conf_key k, const char *none)
{
	if (!changed(old, new, k))
		return;
	say(a, "%s: %s", conf_key_info(k)->name, new->val[k][0] ? new->val[k] : none);
	if ((k == CONF_NTP_SERVER || k == CONF_SYSLOG) && by_name(new->val[k]))
		say(a, "note: the box has no DNS resolver; %s resolves only if /etc/hosts names it: "
		       "an address is safer", new->val[k]);
}

int cons_apply(const struct cons_apply_env *env, enum cons_apply_how how, const struct conf *old,
	       const struct conf *new, FILE *msg)
{
	static const enum conf_key mgmtd_keys[] = {
		/* syslog's HOSTNAME field is read once, at mgmtd's start */
		CONF_MGMT_ADDRESS, CONF_CLIENT_CA, CONF_SYSLOG, CONF_HOSTNAME,
	};
	struct apply a = { .env = env, .msg = msg };
	bool mgmtd = false;

	apply_hostname(&a, old, new);
	apply_address(&a, old, new);
	for (size_t i = 0; i < MGMT_FILES; i++)
		apply_file(&a, how, old, new, &mgmt_files[i]);
	apply_value(&a, old, new, CONF_SYSLOG, "none");
	apply_value(&a, old, new, CONF_NTP_SERVER, "none");
	apply_value(&a, old, new, CONF_TIMEOUT, "600 s (the default)");
	for (size_t i = 0; i < sizeof(mgmtd_keys) / sizeof(mgmtd_keys[0]); i++)
		mgmtd |= changed(old, new, mgmtd_keys[i]);
	/* mgmtd reads a CRL that appears or changes by itself; one deleted
	 * stays in force (fail safe) until it starts again */
	mgmtd |= old->val[CONF_CLIENT_CRL][0] && !new->val[CONF_CLIENT_CRL][0];
	if (!conf_roles_equal(old, new)) {
		say(&a, "management: the role lines changed");
		mgmtd = true;
	}
	if (mgmtd)
		restart(&a, "mgmtd", "scanwall-mgmtd");
	if (changed(old, new, CONF_NTP_SERVER))
		restart(&a, "ntpd", "ntpd");
	fflush(msg);
	return (int)a.failed;
}
