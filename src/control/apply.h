/* The one way a policy comes into force (docs/architecture.md, "The apply
 * path"). SIGHUP, `reload`, a bundle install, its confirm timer's revert,
 * a rollback and the start all call policy_apply():
 *
 *   prepare  parse and compile the text (every datapath limit is checked
 *            by the compiler, so `--check` reports it too), render the
 *            kernel ruleset for its devices and test it (nft check mode);
 *   commit   install the ruleset, swap the compiled policy in the engine,
 *            send its revocations, record the text's SHA-256;
 *   abort    free what prepare built: nothing has changed.
 *
 * The bundle store records a bundle only after policy_apply() returned 0,
 * so a refused apply leaves engine, kernel ruleset and store in agreement.
 * Every failure writes one line to diag that says why. */
#ifndef SW_ENGINE_APPLY_H
#define SW_ENGINE_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "datapath/ruleset.h"

struct eng;
struct pol;

/* The largest policy file the engine reads (the start, SIGHUP, `reload`),
 * as pol_load() has it. */
#define APPLY_POLICY_MAX (1u << 20)

/* The kernel side; NULL where there is none (--replay, unit tests). */
struct apply_datapath {
	/* Tests the ruleset, changing nothing: 0 or -errno. */
	int (*check)(void *ctx, const struct ruleset_cfg *rs);
	/* Installs it atomically (the old one stays on failure): 0 or -errno. */
	int (*install)(void *ctx, const struct ruleset_cfg *rs);
	/* Sends what the engine has queued for the kernel (revocations). */
	void (*flush)(void *ctx);
	/* Judges by pol, on the caller's thread, the connections the kernel
	 * forwards by itself, the engine's forgotten ones too (a plain flow
	 * past FLOW_IDLE_TCP, every one after a restart), and revokes those
	 * pol refuses: after the swap and at the start (apply_sweep). What
	 * it could not revoke it says in diag. 0 or -errno. */
	int (*sweep)(void *ctx, const struct pol *pol, FILE *diag);
	/* Runs fn(arg) on the thread that owns the engine (the verdict loop)
	 * and returns once it ran: 0, or -ESHUTDOWN when the loop is gone.
	 * NULL: the caller owns the engine. The engine is only ever touched
	 * through it, for the swap. */
	int (*call)(void *ctx, void (*fn)(void *arg), void *arg);
};

struct apply {
	struct eng *eng;
	const struct apply_datapath *dp;
	void *ctx;
	bool up;			/* dp has installed rs: commits install too */
	struct ruleset_cfg rs;		/* in force, or to install at start */
	char sha256[65];		/* of the policy text in force; "" none */
	char *text;			/* a copy of it (`proposal`'s template); NULL none */
	size_t len;
};

struct apply_plan {
	struct pol *pol;
	struct ruleset_cfg rs;
	char sha256[65];
	char *text;
	size_t len;
};

/* base: the ruleset's queue and backend; its devices come from policies. */
void apply_init(struct apply *a, struct eng *eng, const struct ruleset_cfg *base,
		const struct apply_datapath *dp, void *ctx);
/* Frees the copy of the text in force. */
void apply_fini(struct apply *a);

int apply_prepare(const struct apply *a, const char *name, const void *text, size_t len,
		  FILE *diag, struct apply_plan *p);
/* Takes p whatever happens. */
int apply_commit(struct apply *a, struct apply_plan *p, FILE *diag);
void apply_abort(struct apply_plan *p);

/* prepare, then commit or abort. 0 when text is the policy in force;
 * -errno with the old policy, ruleset and hash untouched. */
int policy_apply(struct apply *a, const char *name, const void *text, size_t len, FILE *diag);

/* Installs the ruleset of the policy in force (the start, once the queue
 * is bound); later commits install theirs. 0 or -errno. */
int apply_up(struct apply *a);

/* The start's sweep of the connections the kernel forwards (dp->sweep),
 * once the ruleset is up: on the control thread, the verdict loop already
 * turning. A failure is said in diag; the policy is in force all the same. */
void apply_sweep(const struct apply *a, FILE *diag);

#endif
