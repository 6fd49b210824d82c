/* The inline engine in two halves. The verdict loop: one thread, one
 * poll() over the queue socket, a 100 ms timer (resends; flow expiry and
 * the watchdog each second), a signalfd (stop) and whatever was added with
 * inline_add_fd(): the control thread's calls (ctlthread.h), the one way it
 * reaches the engine, the queue and the events ring. The control thread:
 * the control socket, the bundle store's timer, SIGHUP, and so every file,
 * compile, helper process and fsync: the events file from the lines the
 * loop hands over (evlog.h), the observation table from its copy
 * (obsnap.h). The loop writes a file only at exit. For busy_poll_us after
 * a packet whose answer is due the poll does not sleep (inl_loop() says
 * why).
 *
 * Start order matters for fail-closed: the policy is parsed first (a
 * broken one stops us before anything changes), the queue is bound before
 * the ruleset is installed (so the ruleset never points at a queue we then
 * fail to bind), and on exit the ruleset stays: the kernel drops what
 * nobody judges. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "scanwall/bootclock.h"
#include "scanwall/config.h"
#include "scanwall/engine.h"
#include "scanwall/evlog.h"
#include "scanwall/fileio.h"
#include "scanwall/learn.h"
#include "scanwall/policy.h"
#include "control/apply.h"
#include "control/bundlectl.h"
#include "control/control.h"
#include "control/ctlthread.h"
#include "control/obsnap.h"
#include "datapath/ctmark.h"
#include "datapath/inject.h"
#include "datapath/inline.h"
#include "datapath/nfq.h"
#include "engine/observe.h"
#include "datapath/ruleset.h"
#include "datapath/rshits.h"
#include "datapath/rtsched.h"
#include "datapath/spin.h"
#include "datapath/watchdog.h"

#define INL_EXTRA_FDS 8

struct inl_fd {
	int fd;
	void (*cb)(void *ctx);
	void *ctx;
};

struct inl {
	const struct inline_opts *o;
	struct eng *eng;
	struct nfqueue *q;
	struct nfqueue *syn;		/* new connections' SYNs; NULL: none */
	struct inject *inj;
	struct evlog *log;
	struct control *ctl;
	struct bundlectl *bundle;	/* NULL without a state directory */
	struct apply ap;		/* every policy change goes through it */
	struct ctlthread *ct;		/* the control half; NULL until running */
	struct obsnap *obs;		/* the control half's copy of the observation table */
	int tfd, sfd;
	int wdfd;			/* the hardware watchdog, -1: none */
	unsigned ticks;		/* of ENG_RESEND_TICK_MS: a second's make the slow tick */
	uint64_t now_ns;	/* CLOCK_MONOTONIC, read once a round of the loop: the
				 * clock of its batch of packets, events and tick */
	/* the control thread's: whether the kernel may forward a flow the
	 * engine does not know (a sweep kept one: it may be one), or the
	 * engine had forgotten swept_forgotten when the last sweep ran */
	bool unknown;
	uint64_t swept_forgotten;
	int stop;
};

static struct inl_fd inl_fds[INL_EXTRA_FDS];
static unsigned inl_nfds;

int inline_add_fd(int fd, void (*cb)(void *ctx), void *ctx)
{
	if (inl_nfds == INL_EXTRA_FDS)
		return -ENOSPC;
	inl_fds[inl_nfds++] = (struct inl_fd){ fd, cb, ctx };
	return 0;
}

void inline_del_fd(int fd)
{
	for (unsigned i = 0; i < inl_nfds; i++)
		if (inl_fds[i].fd == fd)
			inl_fds[i--] = inl_fds[--inl_nfds];
}

/* --- engine callbacks ---------------------------------------------------- */

static void inl_release(void *ctx, uint32_t id, enum eng_verdict v)
{
	struct inl *l = ctx;

	if (l->q)
		nfqueue_release(l->q, id, v);
}

static void inl_inject(void *ctx, const uint8_t *l3, size_t len, const struct eng_port *to)
{
	struct inl *l = ctx;

	if (l->inj)
		inject_send(l->inj, l3, len, to);
}

struct inl_ev {
	struct inl *l;
	const struct sw_event *ev;
};

static void inl_event_here(void *arg)
{
	struct inl_ev *e = arg;

	if (e->l->log)	/* before the loop's first round: its own reading */
		evlog_write(e->l->log, e->ev, e->l->now_ns ?: sw_clock_ns(CLOCK_MONOTONIC));
}

/* The log belongs to the loop: an event of the control thread (a bundle,
 * a reload) is written there. */
static void inl_event(void *ctx, const struct sw_event *ev)
{
	struct inl *l = ctx;

	ctlthread_call(l->ct, inl_event_here, &(struct inl_ev){ l, ev });
}

/* env.call and apply_datapath.call: fn on the loop's thread. */
static int inl_call(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct inl *l = ctx;

	return ctlthread_call(l->ct, fn, arg);
}

static void inl_revoke(void *ctx, const struct flow_key *k, bool deny)
{
	struct inl *l = ctx;

	nfqueue_ct_mark(l->q, k, deny ? SW_MARK_DENY : 0);
}

static const struct eng_ops inl_ops = {
	.release = inl_release,
	.inject = inl_inject,
	.event = inl_event,
	.revoke = inl_revoke,
};

static void inl_system(struct inl *l, const char *what)
{
	struct sw_event ev = { .ts_ns = sw_clock_ns(CLOCK_REALTIME), .kind = EV_SYSTEM,
			       .reason = what };

	inl_event(l, &ev);
}

/* --- the policy ------------------------------------------------------------ */

static int inl_rs_check(void *ctx, const struct ruleset_cfg *rs)
{
	return ruleset_check(rs);
}

static int inl_rs_install(void *ctx, const struct ruleset_cfg *rs)
{
	int err = ruleset_install(rs);

	rs_hits_reset(err ? NULL : rs->pol);
	return err;
}

static void inl_flush(void *ctx)
{
	struct inl *l = ctx;

	if (l->q)
		nfqueue_flush(l->q);
}

struct inl_keep {
	const struct pol *pol;
	unsigned kept;
};

/* A connection the kernel forwards stays while the policy's first match
 * for its initiator allows it, as the engine judges the flows it knows. */
static bool inl_sweep_keep(void *ctx, const struct flow_key *k)
{
	struct inl_keep *kp = ctx;
	const struct pol_rule *r = pol_match(kp->pol, k);
	bool keep = (r ? r->action : pol_default_action(kp->pol)) == POL_ALLOW;

	kp->kept += keep;
	return keep;
}

/* What the sweep could not do is said in the apply's diagnostics, on
 * stderr and as a system event (counted with the others in `counters`):
 * the connections it names keep the old verdict. */
static void inl_sweep_said(struct inl *l, FILE *diag, const char *what)
{
	if (diag && diag != stderr)
		fprintf(diag, "%s\n", what);
	fprintf(stderr, "scanwalld: %s\n", what);
	inl_system(l, what);
}

struct inl_forgotten {
	struct inl *l;
	uint64_t n;
};

static void inl_read_forgotten(void *arg)
{
	struct inl_forgotten *fg = arg;

	fg->n = eng_counters(fg->l->eng)->settled_forgotten;
}

/* Only flows the engine does not know need the sweep: at the start (the
 * kernel may forward flows of a run before), after a sweep that kept any
 * (they may be such flows, and stay so), and once the engine has forgotten
 * flows the kernel forwards (idle, the datagram share). A dump walks every
 * conntrack bucket (262,144 on the bench machine; the image sets 16,384)
 * with bottom halves off on its CPU, some milliseconds in which packets
 * handled there wait (docs/engine.md): an apply that needs none skips it. */
static int inl_sweep(void *ctx, const struct pol *pol, FILE *diag)
{
	struct inl *l = ctx;
	struct inl_forgotten fg = { l, 0 };
	struct inl_keep kp = { pol, 0 };
	struct ct_sweep_stats st;
	char what[160];
	int err;

	if (!pol)
		return 0;
	/* unknown first: the start-up sweep runs before l->ct is set */
	if (!l->unknown && l->ct && inl_call(l, inl_read_forgotten, &fg) == 0 &&
	    fg.n == l->swept_forgotten)
		return 0;
	err = ct_sweep(inl_sweep_keep, &kp, &st);
	/* refused connections it could not revoke (over its cap, updates
	 * the kernel refused) are still forwarded: the next apply sweeps */
	l->unknown = err || kp.kept || st.over || st.failed;
	l->swept_forgotten = fg.n;
	fprintf(stderr, "scanwalld: conntrack sweep: %u connections the kernel forwards kept\n",
		kp.kept);
	if (st.revoked)
		fprintf(stderr, "scanwalld: %u connections the kernel forwarded revoked by the policy\n",
			st.revoked);
	if (st.failed) {
		snprintf(what, sizeof(what), "conntrack sweep: the kernel refused %u of its updates "
			 "(%s); those connections keep the old verdict", st.failed,
			 strerror(-st.first_err));
		inl_sweep_said(l, diag, what);
	}
	if (st.over) {
		snprintf(what, sizeof(what), "conntrack sweep: %u refused connections beyond its %u "
			 "keep the old verdict", st.over, CT_SWEEP_MAX);
		inl_sweep_said(l, diag, what);
	}
	return err;
}

static const struct apply_datapath inl_datapath = {
	.check = inl_rs_check, .install = inl_rs_install, .flush = inl_flush,
	.sweep = inl_sweep, .call = inl_call,
};

/* The bundle store's apply hook: the same policy_apply() as a reload, its
 * reason in errbuf. */
static int inl_apply(void *ctx, const char *text, size_t len, char *errbuf, size_t errlen)
{
	struct inl *l = ctx;
	FILE *diag = fmemopen(errbuf, errlen, "w");
	int err = policy_apply(&l->ap, "bundle:policy", text, len, diag);
	size_t n;

	if (diag)
		fclose(diag);
	/* one line in the answer's detail */
	for (n = strnlen(errbuf, errlen); n && errbuf[n - 1] == '\n'; n--)
		errbuf[n - 1] = 0;
	for (char *nl; (nl = memchr(errbuf, '\n', n)); )
		*nl = ' ';
	return err;
}

/* SIGHUP, on the control thread: the socket's `reload` command itself
 * (control_reload: the lock of a signed bundle, the file, policy_apply,
 * the event), its answer on stderr. */
static void inl_hup(void *ctx)
{
	struct inl *l = ctx;
	char *answer = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&answer, &len);

	if (!out)
		return;
	control_reload(l->ctl, out);
	fclose(out);
	fprintf(stderr, "scanwalld: SIGHUP: %s", answer ? answer : "\n");
	free(answer);
}

/* The observation table (docs/commissioning.md), kept in the state
 * directory when there is one. A file that holds no table is moved aside
 * to observed.json.bad (the last one kept) and the box starts empty: it
 * must start, and the next save must not destroy what a technician may
 * still recover by hand. The loop
 * records into it and saves it only at exit; while it runs, the control
 * thread copies it off the loop a slice at a time and saves the copy
 * (obsnap.h). */
static int inl_observe(struct inl *l)
{
	char path[4096];
	int err;

	if (l->o->state && (size_t)snprintf(path, sizeof(path), "%s/observed.json",
					    l->o->state) >= sizeof(path))
		return -ENAMETOOLONG;
	err = eng_observe(l->eng, l->o->state ? path : NULL);
	if (err == -EBADMSG) {
		char bad[sizeof(path) + 4];

		snprintf(bad, sizeof(bad), "%s.bad", path);
		fprintf(stderr, "scanwalld: %s: not an observation table (%s); kept as %s, starting empty\n",
			path, lrn_load_error(eng_observed(l->eng)), bad);
		err = rename(path, bad) ? -errno : 0;
	}
	if (err) {
		fprintf(stderr, "scanwalld: observation table: %s\n", strerror(-err));
		return err;
	}
	l->obs = obsnap_new(&(struct obsnap_cfg){ .eng = l->eng,
		.path = l->o->state ? path : NULL, .call = inl_call, .ctx = l });
	return l->obs ? 0 : -errno;
}

/* At exit, with the control thread gone. */
static void inl_observe_save(struct inl *l)
{
	int err = eng_obs_save(l->eng);

	if (err)
		fprintf(stderr, "scanwalld: saving the observation table: %s\n", strerror(-err));
}

/* --- the loop ------------------------------------------------------------- */

static void inl_signal(struct inl *l)
{
	struct signalfd_siginfo si;

	/* SIGTERM, SIGINT: SIGHUP is the control thread's */
	while (read(l->sfd, &si, sizeof(si)) == sizeof(si))
		l->stop = 1;
}

static void inl_tick(struct inl *l)
{
	uint64_t n;

	if (read(l->tfd, &n, sizeof(n)) != sizeof(n))
		return;
	/* Resends want a finer timer than expiry's second (resend.c). */
	l->ticks += (unsigned)n;
	if (l->ticks < 1000 / ENG_RESEND_TICK_MS) {
		eng_resend(l->eng, l->now_ns);
		return;
	}
	l->ticks = 0;
	/* Here only: fed while the loop that issues verdicts turns. */
	if (l->wdfd >= 0)
		wdog_feed(l->wdfd);
	eng_expire(l->eng, l->now_ns);	/* the packets' clock */
	nfqueue_flush(l->q);
}

/* --- the control thread's callbacks ---------------------------------------- */

static void inl_ctl_ready(void *ctx)
{
	struct inl *l = ctx;

	control_handle(l->ctl);
}

/* The events file's lines the loop handed over (evlog.h). */
static void inl_ctl_events(void *ctx)
{
	struct inl *l = ctx;

	evlog_drain(l->log);
}

static void inl_ctl_tick(void *ctx)
{
	struct inl *l = ctx;

	if (l->bundle)
		bundlectl_tick(l->bundle);	/* the confirm timer: may revert */
	obsnap_tick(l->obs, sw_clock_ns(CLOCK_MONOTONIC));
}

/* The control thread's first work: the start's conntrack sweep, while the
 * loop already judges the queue (with fail closed, packets waiting for a
 * sweep on the loop's thread would wait, and drop, for its whole length). */
static void inl_ctl_first(void *ctx)
{
	struct inl *l = ctx;

	apply_sweep(&l->ap, stderr);
}

/* Started last, once the loop's signals are blocked (the thread inherits
 * the mask); its calls are served from the loop's poll. */
static int inl_ctl_start(struct inl *l)
{
	struct ctlthread_cfg cfg = {
		.start = inl_ctl_first,
		.ctl_fd = l->ctl ? control_fd(l->ctl) : -1, .ctl_ready = inl_ctl_ready,
		.tick = inl_ctl_tick, .hup = inl_hup, .ctx = l,
		.work_fd = l->log ? evlog_handover_fd(l->log) : -1, .work = inl_ctl_events,
	};
	int err = ctlthread_start(&cfg, &l->ct);

	return err ?: inline_add_fd(ctlthread_call_fd(l->ct), ctlthread_serve, l->ct);
}

/* Busy polling. An A-ASSOCIATE-RQ the engine passes is answered by the
 * device's AC within a round trip and the device's think time, the AC
 * must be judged too, and that crossing is on the critical path of every
 * association (a request message and its response likewise). Sleeping in
 * between makes the answer pay a wake-up, which is most of a crossing's
 * cost when the engine's CPU has gone idle (on the bench's virtual machine
 * a halted vCPU; on a board an idle state and a cross-CPU interrupt). So
 * after a batch that passed such a packet (eng_take_answer_due: a DICOM
 * SYN, an RQ or AC, an A-RELEASE-RQ, a whole DIMSE message) the loop polls
 * without sleeping for busy_poll_us, yielding between empty polls (the
 * verdict's send has just woken the server, often on this CPU), then
 * sleeps again. Only then: in a bulk transfer the data keeps coming
 * anyway, and polling eagerly there cut the batches from dozens of packets
 * to a few and cost a tenth of the throughput. Measured in
 * docs/performance.md; 0 turns it off. (A SCHED_FIFO loop's yield gives
 * the CPU to no ordinary process: docs/engine.md, "Scheduling"; hence the
 * spin's budget, spin.h.) */
static int inl_loop(struct inl *l)
{
	enum { P_NFQ, P_TIMER, P_SIG, P__FIXED };
	struct pollfd p[P__FIXED + INL_EXTRA_FDS];
	uint64_t spin_ns = (uint64_t)l->o->busy_poll_us * 1000u, spin_until = 0;
	struct spin_budget budget = { 0 };
	uint64_t t;
	unsigned n, i;
	int err = 0, timeout, ready;

	while (!l->stop && !err) {
		p[P_NFQ] = (struct pollfd){ .fd = nfqueue_fd(l->q), .events = POLLIN };
		p[P_TIMER] = (struct pollfd){ .fd = l->tfd, .events = POLLIN };
		p[P_SIG] = (struct pollfd){ .fd = l->sfd, .events = POLLIN };
		for (n = P__FIXED, i = 0; i < inl_nfds; i++)
			p[n++] = (struct pollfd){ .fd = inl_fds[i].fd, .events = POLLIN };
		timeout = -1;
		if (spin_until && sw_clock_ns(CLOCK_MONOTONIC) < spin_until)
			timeout = 0;
		else
			spin_until = 0;
		ready = poll(p, n, timeout);
		if (ready < 0) {
			err = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (!ready && !timeout)
			sched_yield();
		l->now_ns = sw_clock_ns(CLOCK_MONOTONIC);	/* one read a round */
		if (p[P_NFQ].revents)
			err = nfqueue_receive(l->q, l->now_ns);
		if (p[P_TIMER].revents)
			inl_tick(l);
		if (p[P_SIG].revents)
			inl_signal(l);
		/* Callbacks may add or remove fds: walk what was polled. */
		for (i = P__FIXED; i < n; i++)
			if (p[i].revents && i - P__FIXED < inl_nfds)
				inl_fds[i - P__FIXED].cb(inl_fds[i - P__FIXED].ctx);
		/* whatever judged the packet: the queue, or the tick's release */
		if (eng_take_answer_due(l->eng) && spin_ns) {
			t = sw_clock_ns(CLOCK_MONOTONIC);
			if (spin_charge(&budget, t, spin_ns))
				spin_until = t + spin_ns;
		}
	}
	if (err)
		fprintf(stderr, "scanwalld: queue %u: %s\n", l->o->queue, strerror(-err));
	return err;
}

/* --- start and stop -------------------------------------------------------- */

static int inl_fds_open(struct inl *l)
{
	const struct timespec tick = { 0, ENG_RESEND_TICK_MS * 1000000L };
	struct itimerspec its = { .it_interval = tick, .it_value = tick };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked, so they arrive only through the signalfd; SIGPIPE from a
	 * control client that went away must not kill the engine. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	sigdelset(&set, SIGHUP);	/* the control thread's */
	l->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->sfd < 0 || l->tfd < 0 || timerfd_settime(l->tfd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

static const struct nfqueue_counters *inl_queue_counters(void *ctx)
{
	struct inl *l = ctx;

	return nfqueue_counters(l->q);
}

static const struct inject_counters *inl_inject_counters(void *ctx)
{
	struct inl *l = ctx;

	return l->inj ? inject_counters(l->inj) : NULL;
}

struct inl_hits {
	struct inl *l;
	struct rs_hits_delta d;
};

static void inl_hits_here(void *arg)
{
	struct inl_hits *h = arg;

	rs_hits_add(h->l->eng, &h->d);
}

/* env.counters_sync, on the control thread: the kernel's counters are
 * read here (nft), what they gained is added on the loop. */
static void inl_counters_sync(void *ctx)
{
	static struct inl_hits h;	/* the control thread's alone */

	h.l = ctx;
	if (rs_hits_read(&h.d) == 0)
		inl_call(h.l, inl_hits_here, &h);
}

static int inl_control(struct inl *l)
{
	struct control_env env = {
		.eng = l->eng, .evlog = l->log, .policy_path = l->o->policy,
		.version = l->o->version, .apply = &l->ap, .ctx = l, .obs = l->obs,
		.queue = inl_queue_counters, .inject = inl_inject_counters, .call = inl_call,
		.counters_sync = inl_counters_sync,
		.extra_uid = l->o->control_uid < 0 ? (uid_t)-1 : (uid_t)l->o->control_uid,
	};
	if (l->bundle) {
		env.ext = bundlectl_cmds;
		env.n_ext = bundlectl_ncmds;
		env.ext_ctx = l->bundle;
		env.reload_locked = bundlectl_reload_locked;
	}
	/* Without --control too: SIGHUP runs its `reload`. */
	l->ctl = control_open(l->o->control, &env);
	if (!l->ctl) {
		fprintf(stderr, "scanwalld: %s: %s\n", l->o->control ? l->o->control : "control",
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* The signed bundle in force, if the state directory holds one, else the
 * --policy file. Any other failure of the store stops the start: a box
 * that cannot tell which policy is in force must not guess. */
static int inl_bundle(struct inl *l)
{
	struct bundlectl_cfg bc = { .state_dir = l->o->state, .keyring_dir = l->o->keyring,
				    .crl_export = l->o->bundle_crl,
				    .apply = inl_apply, .event = inl_event, .ctx = l };
	int err;

	if (!l->o->state)
		return -ENOENT;
	l->bundle = bundlectl_open(&bc);
	if (!l->bundle) {
		err = -errno;
		if (bundlectl_installed(l->o->state)) {
			/* A bundle is in force but cannot be verified: starting
			 * on the --policy file could roll the box back. */
			fprintf(stderr, "scanwalld: the installed bundle cannot be opened: %s; "
				"not starting\n", strerror(-err));
			return err == -ENOENT ? -EIO : err;
		}
		fprintf(stderr, "scanwalld: signed bundles off (keyring %s: %s); policy from %s\n",
			l->o->keyring ? l->o->keyring : CONFIG_BUNDLE_KEYRING, strerror(-err),
			l->o->policy);
		return -ENOENT;
	}
	err = bundlectl_load(l->bundle);
	if (err && err != -ENOENT)
		fprintf(stderr, "scanwalld: the installed bundle: %s\n", strerror(-err));
	return err;
}

static bool inl_wants_syn_queue(const struct inl *l)
{
	return IS_ENABLED(CONFIG_ENGINE_SYN_QUEUE) && l->o->queue < 65535;
}

static int inl_engine(struct inl *l)
{
	struct ruleset_cfg base;
	struct eng_cfg cfg;
	char *text = NULL;
	size_t len = 0;
	int err;

	eng_cfg_default(&cfg);
	if (l->o->artim_s)
		cfg.artim_s = l->o->artim_s;
	if (l->o->flows)
		cfg.flows = l->o->flows;
	l->eng = eng_new(&cfg, &inl_ops, l);
	if (!l->eng)
		return -errno;
	ruleset_cfg_default(&base);
	base.queue = l->o->queue;
	base.syn_queue = inl_wants_syn_queue(l);
	apply_init(&l->ap, l->eng, &base, &inl_datapath, l);
	err = inl_observe(l);
	if (err)
		return err;
	err = inl_bundle(l);
	if (err != -ENOENT)
		return err;
	err = sw_read_file(l->o->policy, APPLY_POLICY_MAX, &text, &len);
	if (!err)
		err = policy_apply(&l->ap, l->o->policy, text, len, stderr);
	free(text);
	if (err)
		fprintf(stderr, "scanwalld: %s: %s; not starting\n", l->o->policy, strerror(-err));
	return err;
}

static void inl_syn_receive(void *ctx)
{
	struct inl *l = ctx;

	nfqueue_receive(l->syn, l->now_ns);
}

/* The queue after ours carries new connections' SYNs (ruleset_cfg's
 * syn_queue): a flood of them waits there, and the loop serves it one
 * batch per round beside the established flows' queue. */
static int inl_syn_queue(struct inl *l)
{
	if (!inl_wants_syn_queue(l))
		return 0;
	l->syn = nfqueue_open(l->o->queue + 1);
	if (!l->syn) {
		fprintf(stderr, "scanwalld: binding queue %u: %s\n", l->o->queue + 1, strerror(errno));
		return -errno;
	}
	nfqueue_attach(l->syn, l->eng);
	nfqueue_syn_only(l->syn);
	return inline_add_fd(nfqueue_fd(l->syn), inl_syn_receive, l);
}

static int inl_start(struct inl *l)
{
	struct evlog_cfg ec;
	int err;

	/* The loop formats, the control thread writes (evlog.h). */
	evlog_cfg_default(&ec);
	ec.handover = ec.ring;
	if (l->o->events && !(l->log = evlog_open(l->o->events, &ec))) {
		fprintf(stderr, "scanwalld: %s: %s\n", l->o->events, strerror(errno));
		return -errno;
	}
	err = inl_engine(l);
	if (err)
		return err;
	l->inj = inject_open();
	l->q = nfqueue_open(l->o->queue);
	if (!l->inj || !l->q) {
		err = -errno;
		fprintf(stderr, "scanwalld: %s: %s\n", l->q ? "packet socket" : "binding the queue",
			strerror(errno));
		return err;
	}
	nfqueue_attach(l->q, l->eng);
	err = inl_syn_queue(l);
	if (err)
		return err;
	err = apply_up(&l->ap);
	if (!err)
		err = inl_control(l);
	err = err ?: inl_fds_open(l);
	if (!err && l->o->watchdog) {
		/* A board whose watchdog did not probe still filters. */
		l->wdfd = wdog_open(l->o->watchdog, l->o->watchdog_s);
		if (l->wdfd < 0)
			fprintf(stderr, "scanwalld: watchdog %s: %s; not fed\n", l->o->watchdog,
				strerror(-l->wdfd));
	}
	return err ?: inl_ctl_start(l);
}

/* The engine first: ending its flows releases held and parked packets
 * through the queue and may send answers and events, so the queue, the
 * packet socket and the log must still be there. */
static void inl_stop(struct inl *l)
{
	control_close(l->ctl);
	if (l->eng)
		inl_observe_save(l);
	eng_free(l->eng);
	obsnap_free(l->obs);
	apply_fini(&l->ap);
	nfqueue_close(l->syn);
	nfqueue_close(l->q);
	inject_close(l->inj);
	bundlectl_close(l->bundle);
	evlog_close(l->log);
	wdog_close(l->wdfd);
	if (l->sfd >= 0)
		close(l->sfd);
	if (l->tfd >= 0)
		close(l->tfd);
}

int inline_run(const struct inline_opts *o)
{
	struct inl l = { .o = o, .tfd = -1, .sfd = -1, .wdfd = -1,
			 .unknown = true };	/* until the start-up sweep */
	int err = inl_start(&l);

	if (!err) {
		inl_system(&l, "start");
		fprintf(stderr, "scanwalld: queue %u: running\n", o->queue);
		rtsched_loop();		/* this thread only (rtsched.h) */
		err = inl_loop(&l);
		inl_system(&l, "stop");
	}
	/* The control thread first: what it waits on fails, it ends its
	 * command and stops; then nothing touches what the loop frees. */
	if (l.ct) {
		inline_del_fd(ctlthread_call_fd(l.ct));
		ctlthread_stop(l.ct);
		l.ct = NULL;
	}
	/* No ruleset_flush(): the wire stays closed while we are away. */
	inl_stop(&l);
	return err;
}
