/* The control socket of scanwalld: a UNIX stream socket, root only, one
 * command a line, one JSON answer a line (docs/control.md).
 *
 * It knows the engine, the events log and the policy file, nothing of
 * NFQUEUE: the control thread (ctlthread.h) polls control_fd() and calls
 * control_handle() when it is readable; what touches the engine runs on
 * the verdict loop through control_env.call. That one fd is an epoll set
 * holding the listening socket and every client, so the control thread
 * needs a single pollfd however many clients are connected. */
#ifndef SCANWALL_CONTROL_H
#define SCANWALL_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct apply;
struct eng;
struct evlog;
struct inject_counters;
struct nfqueue_counters;
struct obsnap;
struct pol;

struct control_env {
	struct eng *eng;
	struct evlog *evlog;		/* may be NULL: `events` then answers none */
	const char *policy_path;	/* what `reload` parses again */
	const char *version;		/* NULL: the build's */
	/* The apply path (engine/apply.h): `reload` goes through it, and
	 * `status` and `policy` name its SHA-256. NULL: `reload` refuses. */
	struct apply *apply;
	void *ctx;
	/* The observation table's copy (obsnap.h): `observed`, `proposal`.
	 * NULL: they answer "not observing". */
	struct obsnap *obs;
	uid_t extra_uid;		/* a uid allowed besides root; (uid_t)-1: none */
	/* Commands other modules add (the bundle store's `bundle ...`),
	 * looked up after the built-in ones; ext_ctx is their first argument. */
	const struct control_cmd *ext;
	unsigned n_ext;
	void *ext_ctx;
	/* When it returns a reason, `reload` refuses with it: a policy that
	 * came in a signed bundle is not replaced by an unsigned file. May be
	 * NULL. */
	const char *(*reload_locked)(void *ext_ctx);
	/* Brings the engine's counters up to date before `counters` answers
	 * (the kernel's share of the rule hits); runs on the caller's thread
	 * and reaches the engine through call. May be NULL. */
	void (*counters_sync)(void *ctx);
	/* The queue's counters for `counters` (drops, ENOBUFS); may be NULL. */
	const struct nfqueue_counters *(*queue)(void *ctx);
	/* The crafted answers' outcomes for `counters` (sent, not sent and
	 * why); may be NULL. */
	const struct inject_counters *(*inject)(void *ctx);
	/* Runs fn(arg) on the thread that owns the engine, the events log and
	 * the queue, and returns once it ran (0, or -errno when it cannot):
	 * every command that reads them runs through it; `reload` reads and
	 * compiles on the calling thread. NULL: the caller owns them. */
	int (*call)(void *ctx, void (*fn)(void *arg), void *arg);
};

struct control_cmd {
	const char *name;
	/* Writes one JSON answer and a newline to out; 0 or -errno. upload:
	 * a file the client passed with the line (SCM_RIGHTS), -1 none; the
	 * server closes it afterwards. */
	int (*run)(void *ext_ctx, int argc, char **argv, int upload, FILE *out);
	const char *usage;
	/* A file may come with it; any other command that comes with one is
	 * refused. */
	bool takes_file;
};

struct control;

/* Binds path (replacing a stale socket, never another kind of file), mode
 * 0600. path NULL: no socket, the commands only (control_reload() for
 * SIGHUP). NULL and errno. */
struct control *control_open(const char *path, const struct control_env *env);
/* Closes every client and removes the socket. */
void control_close(struct control *c);

int control_fd(const struct control *c);
/* Accepts, reads and answers whatever is ready; never blocks. */
void control_handle(struct control *c);

/* `reload`, as the socket's: SIGHUP's way to the same policy_apply(). The
 * answer line goes to out. 0 or -errno. */
int control_reload(struct control *c, FILE *out);

/* Runs one command line (no newline) and writes its JSON answer and a
 * newline to out. The socket calls it; tests may too. Returns 0 or -errno
 * (the answer is then an {"error":...} object). */
int control_exec(struct control *c, const char *line, FILE *out);
/* The same with the file a client passed along (-1: none). */
int control_exec_fd(struct control *c, const char *line, int upload, FILE *out);

#endif
