/* The control half of scanwalld: a thread that owns the control socket,
 * the bundle store's timer and SIGHUP, and so every file read, compile,
 * helper process (posix_spawn) and fsync they lead to. The verdict loop (the thread that
 * started it) keeps NFQUEUE, the engine, the packet socket and the events
 * log; the control thread reaches them only through ctlthread_call(), one
 * narrow door: fn runs on the loop between two batches while the control
 * thread waits (the apply path's swap and its revocations, and the reads
 * of the control commands' answers). The other way, the loop hands work
 * over without waiting: work_fd is readable when some waits (the events
 * file's lines, evlog.h). */
#ifndef SW_CONTROL_CTLTHREAD_H
#define SW_CONTROL_CTLTHREAD_H

struct ctlthread_cfg {
	/* First, once, on the new thread, before it serves anything else;
	 * ctlthread_start() does not wait for it. NULL: none. */
	void (*start)(void *ctx);
	int ctl_fd;			/* control_fd(), or -1 */
	void (*ctl_ready)(void *ctx);	/* ctl_fd is readable: control_handle() */
	void (*tick)(void *ctx);	/* about once a second */
	void (*hup)(void *ctx);		/* SIGHUP: reload the policy file */
	int work_fd;			/* the loop's hand-over (events), or -1 */
	void (*work)(void *ctx);	/* work_fd is readable: take it over */
	void *ctx;
};

struct ctlthread;

/* The most one call copies for the control thread (a slice of the
 * observation table, of the events ring): its share of the loop stays
 * small, and what is larger takes several calls. */
#define CTLTHREAD_SLICE (256u << 10)

/* From the loop's thread, with SIGHUP blocked (it is read from a
 * signalfd of the new thread's own). *ct is set before the thread starts,
 * so the callbacks can reach it through their ctx. 0 or -errno. */
int ctlthread_start(const struct ctlthread_cfg *cfg, struct ctlthread **ct);
/* From the loop's thread: stops and joins the control thread. A call of
 * its that the loop has not run yet returns -ESHUTDOWN and its fn never
 * runs, so the join never waits on the loop. NULL is ignored. */
void ctlthread_stop(struct ctlthread *ct);

/* The loop polls this fd and calls ctlthread_serve() when it is readable. */
int ctlthread_call_fd(const struct ctlthread *ct);
void ctlthread_serve(void *ct);

/* Runs fn(arg) on the loop's thread, between two batches, and returns once
 * it ran: 0; or -ESHUTDOWN, fn not run, when ctlthread_stop() began before
 * the loop ran it. Called on the loop's thread itself (or with ct NULL),
 * runs fn at once. */
int ctlthread_call(struct ctlthread *ct, void (*fn)(void *arg), void *arg);

#endif
