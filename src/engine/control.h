/* The control socket of scanwalld: a UNIX stream socket, root only, one
 * command a line, one JSON answer a line (docs/control.md).
 *
 * It knows the engine, the events log and the policy file, nothing of
 * NFQUEUE: the inline loop polls control_fd() and calls control_handle()
 * when it is readable. That one fd is an epoll set holding the listening
 * socket and every client, so the loop needs a single pollfd however many
 * clients are connected. */
#ifndef SCANWALL_CONTROL_H
#define SCANWALL_CONTROL_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct eng;
struct evlog;
struct nfqueue_counters;
struct pol;

struct control_env {
	struct eng *eng;
	struct evlog *evlog;		/* may be NULL: `events` then answers none */
	const char *policy_path;	/* what `reload` parses again */
	const char *version;		/* NULL: the build's */
	/* Called after `reload` put a new policy in force (the datapath
	 * installs the device's ARP/ND rules again). May be NULL. Returns 0
	 * or -errno; an error is reported to the client, the policy stays. */
	int (*on_reload)(void *ctx, const struct pol *pol);
	void *ctx;
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
	 * (the kernel's share of the rule hits); may be NULL. */
	void (*counters_sync)(void *ctx);
	/* The queue's counters for `counters` (drops, ENOBUFS); may be NULL. */
	const struct nfqueue_counters *(*queue)(void *ctx);
};

struct control_cmd {
	const char *name;
	/* Writes one JSON answer and a newline to out; 0 or -errno. */
	int (*run)(void *ext_ctx, int argc, char **argv, FILE *out);
	const char *usage;
};

struct control;

/* Binds path (replacing a stale socket, never another kind of file), mode
 * 0600. Computes the SHA-256 of the policy file as it is now: call it
 * right after loading the policy. NULL and errno. */
struct control *control_open(const char *path, const struct control_env *env);
/* Closes every client and removes the socket. */
void control_close(struct control *c);

int control_fd(const struct control *c);
/* The policy in force now came from text (a bundle): `status` and
 * `policy` name its SHA-256. */
void control_set_policy_text(struct control *c, const void *text, size_t len);
/* Accepts, reads and answers whatever is ready; never blocks. */
void control_handle(struct control *c);

/* Runs one command line (no newline) and writes its JSON answer and a
 * newline to out. The socket calls it; tests may too. Returns 0 or -errno
 * (the answer is then an {"error":...} object). */
int control_exec(struct control *c, const char *line, FILE *out);

#endif
