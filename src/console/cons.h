/* The serial console `scanwall` (docs/console.md): private to src/console.
 *
 * The pieces, one file each: the configuration store (conf.c, conf_file.c),
 * the input checks and word splitter (input.c), the command trees (cmd.c,
 * cmd_conf.c), the pretty printers (show*.c), login (auth.c), the console's
 * events (event.c), the terminal (tty.c) and what puts the configuration
 * in force (apply.c). Only auth.c needs libcrypt and only tty.c needs
 * libedit, so the unit tests link the rest without them. */
#ifndef SW_CONSOLE_CONS_H
#define SW_CONSOLE_CONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "scanwall/json.h"	/* the control socket's answers */

#define CONS_LINE_MAX 256		/* a command line, before it is refused */
#define CONS_TOO_LONG "error: line too long (at most 256 characters), ignored"
#define CONS_NONPRINT "error: non-printable characters in the line, ignored"
#define CONS_WORDS_MAX 16
#define CONS_VALUE_MAX 128		/* a configuration value */
#define CONS_ROLLBACKS 9		/* config.1 .. config.9 */
#define CONS_COLS 80

/* --- conf.c: the configuration keys and the candidate --------------------- */

enum conf_key {
	CONF_MGMT_ADDRESS,
	CONF_HOSTNAME,
	CONF_NTP_SERVER,
	CONF_SYSLOG,
	CONF_CLIENT_CA,
	CONF_TIMEOUT,
	CONF_CLIENT_CRL,
	CONF__COUNT
};

#define CONF_ROLES_MAX 8

struct conf {
	char val[CONF__COUNT][CONS_VALUE_MAX];	/* "" = not set */
	/* `management` lines, packed, `any` ones last: "operator subject
	 * DN", "reader spki-sha256 HEX", "reader any" */
	char roles[CONF_ROLES_MAX][CONS_VALUE_MAX + 24];
};

struct conf_key_info {
	const char *name;
	const char *help;
	/* 0, or a message that says why value is refused */
	const char *(*check)(const char *value);
};

const struct conf_key_info *conf_key_info(enum conf_key k);
/* The key named name, or -1. */
int conf_key_find(const char *name);
/* 0, -ENOENT (no such key) or -EINVAL with *why set. */
int conf_set(struct conf *c, const char *key, const char *value, const char **why);
int conf_delete(struct conf *c, const char *key);
bool conf_equal(const struct conf *a, const struct conf *b);
/* `show | compare`: a diff of b against a, "[edit]" style, into out.
 * Returns the number of lines that differ. */
unsigned conf_diff(const struct conf *a, const struct conf *b, FILE *out);
/* The configuration as the file holds it: "KEY VALUE" lines. */
void conf_print(const struct conf *c, FILE *out);
/* Parses that text back; unknown keys and bad values are refused with
 * -EBADMSG so that a damaged file is never half-applied. */
int conf_parse(struct conf *c, const char *text, size_t len);
/* The console timeout in force: opt > 0 wins, then the configuration,
 * then the default. */
unsigned conf_timeout(const struct conf *c, unsigned opt);
/* The names of the keys that differ between a and b, blank-separated, or
 * "no changes", into buf. */
void conf_changed(const struct conf *a, const struct conf *b, char *buf, size_t size);

/* conf_roles.c: the `management ROLE WHO` lines (conf_set and conf_parse
 * take them as key "management", value "ROLE WHO"). */
int conf_role_set(struct conf *c, const char *value, const char **why);
/* value NULL or "": every line. -ENOENT when there was no such line. */
int conf_role_delete(struct conf *c, const char *value);
bool conf_roles_equal(const struct conf *a, const struct conf *b);
unsigned conf_roles_diff(const struct conf *a, const struct conf *b, FILE *out);
/* Each line with prefix ("management " for the configuration, "" for
 * scanwall-mgmtd's roles file), `any` lines last. Returns how many. */
unsigned conf_roles_print(const struct conf *c, const char *prefix, FILE *out);

/* --- event.c -------------------------------------------------------------- */

/* Events also go to the engine's log through this control socket. */
void cons_event_forward(const char *control);

/* --- conf_file.c: the files in STATE/console ------------------------------ */

/* Every file the console keeps, under one directory; paths built here. */
struct cons_store {
	char dir[512];
};

int cons_store_init(struct cons_store *s, const char *state_dir);
/* dir/name into buf; -ENAMETOOLONG. */
int cons_store_path(const struct cons_store *s, const char *name, char *buf, size_t size);
/* Writes len bytes as dir/name: tmp, fsync, rename, fsync dir. */
int cons_store_write(const struct cons_store *s, const char *name, const void *buf, size_t len);
/* Reads dir/name (at most max bytes) into a malloc'd, NUL-terminated buf. */
int cons_store_read(const struct cons_store *s, const char *name, size_t max, char **buf, size_t *len);
int cons_store_remove(const struct cons_store *s, const char *name);

/* Loads the running configuration (n = 0) or rollback n; a missing
 * running configuration is the empty one. */
int conf_load(const struct cons_store *s, unsigned n, struct conf *c);
/* Makes c the running configuration, the old one becomes rollback 1. */
int conf_commit(const struct cons_store *s, const struct conf *c);

/* commit confirmed: a deadline on the boot clock (bootclock.h), kept with
 * the boot it counts in; one of another boot is due at once (a reboot
 * before the confirm reverts). */
int conf_confirm_arm(const struct cons_store *s, time_t deadline);
int conf_confirm_clear(const struct cons_store *s);
/* 0 = none pending */
time_t conf_confirm_deadline(const struct cons_store *s);
/* At or past the deadline: rollback 1 becomes the running configuration
 * again. Returns 1 when it reverted, 0 when there was nothing to do. */
int conf_confirm_expire(const struct cons_store *s, time_t now);

/* --- apply.c: the configuration put in force ------------------------------ */

enum cons_apply_how {
	CONS_APPLY_COMMIT,	/* a technician's commit: client-ca is copied from its path */
	CONS_APPLY_REVERT,	/* commit confirmed ran out: the CA copy it replaced is back */
	CONS_APPLY_BOOT,	/* old is empty; the CA copy already there is used as is */
	CONS_APPLY_RESET,	/* factory-reset: every CA copy goes */
};

struct cons_apply_env {
	const char *mgmt_dir;		/* client-ca.pem goes here, for scanwall-mgmtd */
	const char *run_dir;		/* mgmtd.pid, ntpd.pid: the daemons' wrappers */
	const char *mgmt_if;		/* the management port */
	const char *hostname_file;	/* the image's host name, when none is set */
	/* For the unit tests; NULL: the real thing. run: argv's exit status
	 * (the first line of its stderr in err) or -errno; the others 0 or
	 * -errno. */
	int (*run)(void *ctx, char *const argv[], char *err, size_t size);
	int (*set_hostname)(void *ctx, const char *name);
	int (*signal)(void *ctx, pid_t pid, int sig);
	void *ctx;
};

/* Before a commit: reads, checks and stages what can refuse it (the
 * client CA file). 0, or -errno with the reason printed to msg; nothing
 * in force has changed either way. */
int cons_apply_prepare(const struct cons_apply_env *env, const struct conf *old,
		       const struct conf *new, FILE *msg);
/* The commit failed after prepare: drop what was staged. */
void cons_apply_abort(const struct cons_apply_env *env);
/* Puts new in force where it differs from old (at boot: the empty
 * configuration), one line to msg per step. Returns how many steps
 * failed; the others are done all the same. */
int cons_apply(const struct cons_apply_env *env, enum cons_apply_how how, const struct conf *old,
	       const struct conf *new, FILE *msg);

/* --- input.c: what a technician typed ------------------------------------- */

/* NULL when line is acceptable, else the message to show. */
const char *cons_input_check(const char *line);
/* Splits on blanks into at most CONS_WORDS_MAX words (in place); a word
 * in double quotes may hold blanks. Returns the count or -E2BIG/-EINVAL. */
int cons_split(char *line, char **argv);

/* --- the session and the command trees ------------------------------------ */

struct cons;

/* Runs one control-socket command; *answer is malloc'd and holds the one
 * JSON line. Returns 0, -EPROTO (an {"error":...} answer) or -errno. */
typedef int (*cons_ctl_fn)(struct cons *c, const char *cmd, char **answer);

struct cons_opts {
	const char *state_dir;
	const char *control;
	const char *serial;		/* NULL: STATE/serial */
	unsigned timeout;		/* 0: the configuration's */
	unsigned confirm_unit;		/* seconds in a `commit confirmed` unit */
	unsigned lockout_s;
	unsigned max_failures;
	bool login;
	/* where a commit takes effect; NULL: configurations are stored, never
	 * applied */
	const struct cons_apply_env *apply;
};

struct cons {
	struct cons_opts o;
	struct cons_store store;
	struct conf running, cand;
	bool configuring;
	bool json;			/* print the control socket's JSON as is */
	bool interactive;
	bool quit;			/* logout */
	FILE *out;
	cons_ctl_fn ctl;
	/* Asks the technician a question (factory-reset); NULL: refuse. */
	int (*ask)(struct cons *c, const char *prompt, char *buf, size_t size);
	/* Runs a maintenance shell on the terminal and returns when it exits
	 * (`start shell`); set only once the session is logged in, NULL:
	 * refuse. */
	int (*shell)(struct cons *c);
};

struct cons_node {
	const char *word;
	const char *help;
	const struct cons_node *sub;	/* children, ended by a NULL word */
	int (*run)(struct cons *c, int argc, char **argv);	/* argv: after the words */
	int min_args, max_args;
	const char *args;		/* what the arguments are, for help */
	bool interactive;		/* not from a shell's command line */
};

extern const struct cons_node cons_oper_tree[];
extern const struct cons_node cons_conf_tree[];
extern const struct cons_node cons_policy_tree[];	/* cmd_policy.c */

int cons_init(struct cons *c, const struct cons_opts *o, FILE *out);
/* Runs one line: checks, splits, looks up, runs. 0 or -errno. */
int cons_exec(struct cons *c, const char *line);
int cons_exec_argv(struct cons *c, const struct cons_node *tree, int argc, char **argv);
/* Help for the words typed so far (the `?` key). */
void cons_help(struct cons *c, const char *line);
/* Completion candidates for the word being typed: calls fn for each. */
void cons_complete(const struct cons *c, const char *line, size_t point,
		   void (*fn)(void *ctx, const char *word), void *ctx);
/* Once a second and before each command: commit confirmed deadlines. */
void cons_tick(struct cons *c);
/* Puts c->running in force where it differs from old (cons_apply), prints
 * what was done and logs it as an event. Returns the failed steps. */
int cons_apply_running(struct cons *c, enum cons_apply_how how, const struct conf *old);

/* Runs cmd and parses the answer; prints the error itself. */
int cons_ask_ctl(struct cons *c, const char *cmd, char **raw, struct cj *j);

/* --- show.c ------------------------------------------------------------- */

int cons_show_status(struct cons *c, int argc, char **argv);
int cons_show_flows(struct cons *c, int argc, char **argv);
int cons_show_counters(struct cons *c, int argc, char **argv);
int cons_show_events(struct cons *c, int argc, char **argv);
int cons_show_policy(struct cons *c, int argc, char **argv);
int cons_show_bundle(struct cons *c, int argc, char **argv);
int cons_show_keys(struct cons *c, int argc, char **argv);
int cons_show_interfaces(struct cons *c, int argc, char **argv);
int cons_show_log(struct cons *c, int argc, char **argv);

/* --- event.c: the console's events, ev_json() lines ----------------------- */

void cons_event(const struct cons_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --- auth.c: the per-unit password and the lockout ------------------------ */

struct cons_io {
	/* Reads one line without echo; -ETIMEDOUT, -EOF as -ENODATA. */
	int (*secret)(void *ctx, const char *prompt, char *buf, size_t size);
	void (*say)(void *ctx, const char *msg);
	void (*pause)(void *ctx, unsigned seconds);
	void *ctx;
};

#define CONS_PASSWORD_MIN 10

/* First boot sets the password, then asks for it; 0 once logged in,
 * -EACCES, -ETIMEDOUT or -ENODATA (hang-up) otherwise. */
int cons_login(struct cons *c, const struct cons_io *io);

/* --- lockout.c: failed logins; times are boot clock seconds ------------- */
/* 0 and *left = seconds still locked at now (0: not locked); a lock of
 * another boot restarts at now for lockout_s. */
int cons_lockout_left(const struct cons_store *s, uint64_t now, unsigned lockout_s,
		      unsigned *left);
/* One more failure: its number, or 0 when it locked the console (the
 * count starts again after the lock). */
unsigned cons_lockout_fail(const struct cons_store *s, uint64_t now, unsigned max_failures,
			   unsigned lockout_s);
int cons_lockout_clear(const struct cons_store *s);

/* --- tty.c ------------------------------------------------------------- */

/* The interactive session: login when asked for, then the command loop
 * until exit, EOF or the idle timeout. Returns the exit status. */
int cons_tty_run(struct cons *c);

#endif
