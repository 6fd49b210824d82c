/* The control thread and its one door into the verdict loop
 * (ctlthread.h). One call at a time: the control thread is the only
 * caller, and it waits for each. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "control/ctlthread.h"

#define CT_BACKOFF_MAX_MS 1000
#define CT_NICE 10

struct ctlthread {
	struct ctlthread_cfg cfg;
	pthread_t tid, loop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int call_fd;		/* the loop polls it: a call waits */
	int stop_fd;		/* the control thread polls it: stop */
	int tfd, sfd;		/* its tick and its SIGHUP */
	void (*fn)(void *arg);	/* the call waiting, under mu; NULL: none */
	void *arg;
	bool done, stopping;
};

/* An fd poll() calls invalid would be ready at once for ever: it leaves
 * the set, said once. */
static void ct_drop_invalid(struct pollfd *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!(p[i].revents & POLLNVAL))
			continue;
		fprintf(stderr, "scanwalld: control thread: fd %d is not open; no longer polled\n",
			p[i].fd);
		p[i].fd = -1;
		p[i].revents = 0;
	}
}

/* poll() itself failing (out of memory, or a bug) must not spin a CPU
 * away from the verdict loop: wait, longer each time, up to a second,
 * and say so once a streak. */
static void ct_backoff(unsigned *ms, int err)
{
	if (!*ms)
		fprintf(stderr, "scanwalld: control thread: poll: %s; retrying\n", strerror(err));
	*ms = *ms ? (*ms * 2 > CT_BACKOFF_MAX_MS ? CT_BACKOFF_MAX_MS : *ms * 2) : 10;
	nanosleep(&(struct timespec){ *ms / 1000, (long)(*ms % 1000) * 1000000L }, NULL);
}

static void *ct_main(void *arg)
{
	struct ctlthread *ct = arg;
	enum { P_STOP, P_TICK, P_HUP, P_WORK, P_CTL };
	struct pollfd p[] = {
		[P_STOP] = { .fd = ct->stop_fd, .events = POLLIN },
		[P_TICK] = { .fd = ct->tfd, .events = POLLIN },
		[P_HUP] = { .fd = ct->sfd, .events = POLLIN },
		[P_WORK] = { .fd = ct->cfg.work_fd, .events = POLLIN },
		[P_CTL] = { .fd = ct->cfg.ctl_fd, .events = POLLIN },
	};
	const unsigned np = sizeof(p) / sizeof(p[0]);
	struct signalfd_siginfo si;
	unsigned backoff_ms = 0;
	uint64_t n;

	/* Below the loop: on two cores a page of flows' JSON, a bundle's
	 * verification or a ruleset tool must not take the CPU the verdicts
	 * wait for. (Linux: a thread's own nice value; the tools it starts
	 * inherit it.) */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), CT_NICE) < 0)
		fprintf(stderr, "scanwalld: control thread: nice %d: %s\n", CT_NICE, strerror(errno));
	if (ct->cfg.start)
		ct->cfg.start(ct->cfg.ctx);

	for (;;) {
		if (poll(p, np, -1) < 0) {
			if (errno != EINTR)
				ct_backoff(&backoff_ms, errno);
			continue;
		}
		backoff_ms = 0;
		ct_drop_invalid(p, np);
		if (p[P_STOP].revents)
			break;
		if (p[P_TICK].revents && read(ct->tfd, &n, sizeof(n)) == sizeof(n) && ct->cfg.tick)
			ct->cfg.tick(ct->cfg.ctx);
		if (p[P_HUP].revents)
			while (read(ct->sfd, &si, sizeof(si)) == sizeof(si))
				if (ct->cfg.hup)
					ct->cfg.hup(ct->cfg.ctx);
		if (p[P_WORK].revents && ct->cfg.work)
			ct->cfg.work(ct->cfg.ctx);
		if (p[P_CTL].revents && ct->cfg.ctl_ready)
			ct->cfg.ctl_ready(ct->cfg.ctx);
	}
	return NULL;
}

static void ct_close_fds(struct ctlthread *ct)
{
	int fds[] = { ct->call_fd, ct->stop_fd, ct->tfd, ct->sfd };

	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int ctlthread_start(const struct ctlthread_cfg *cfg, struct ctlthread **out)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct ctlthread *ct = calloc(1, sizeof(*ct));
	sigset_t hup;
	int err;

	*out = ct;
	if (!ct)
		return -ENOMEM;
	ct->cfg = *cfg;
	ct->loop = pthread_self();
	pthread_mutex_init(&ct->mu, NULL);
	pthread_cond_init(&ct->cv, NULL);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	ct->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ct->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ct->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ct->sfd = signalfd(-1, &hup, SFD_CLOEXEC | SFD_NONBLOCK);
	err = ct->call_fd < 0 || ct->stop_fd < 0 || ct->tfd < 0 || ct->sfd < 0 ||
	      timerfd_settime(ct->tfd, 0, &its, NULL) < 0 ? errno : 0;
	if (!err)
		err = pthread_create(&ct->tid, NULL, ct_main, ct);
	if (err) {
		ct_close_fds(ct);
		free(ct);
		*out = NULL;
		return -err;
	}
	return 0;
}

void ctlthread_stop(struct ctlthread *ct)
{
	uint64_t one = 1;

	if (!ct)
		return;
	pthread_mutex_lock(&ct->mu);
	ct->stopping = true;
	pthread_cond_broadcast(&ct->cv);
	pthread_mutex_unlock(&ct->mu);
	if (write(ct->stop_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only on overflow: it is readable then */
	}
	pthread_join(ct->tid, NULL);
	ct_close_fds(ct);
	pthread_cond_destroy(&ct->cv);
	pthread_mutex_destroy(&ct->mu);
	free(ct);
}

int ctlthread_call_fd(const struct ctlthread *ct)
{
	return ct->call_fd;
}

void ctlthread_serve(void *arg)
{
	struct ctlthread *ct = arg;
	void (*fn)(void *) = NULL;
	void *fn_arg = NULL;
	uint64_t n;

	if (read(ct->call_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&ct->mu);
	if (ct->fn && !ct->done && !ct->stopping) {
		fn = ct->fn;
		fn_arg = ct->arg;
	}
	pthread_mutex_unlock(&ct->mu);
	if (!fn)
		return;
	fn(fn_arg);	/* the caller waits on cv meanwhile */
	pthread_mutex_lock(&ct->mu);
	ct->done = true;
	pthread_cond_broadcast(&ct->cv);
	pthread_mutex_unlock(&ct->mu);
}

int ctlthread_call(struct ctlthread *ct, void (*fn)(void *arg), void *arg)
{
	uint64_t one = 1;
	int err;

	if (!ct || pthread_equal(pthread_self(), ct->loop)) {
		fn(arg);
		return 0;
	}
	pthread_mutex_lock(&ct->mu);
	if (ct->stopping) {
		pthread_mutex_unlock(&ct->mu);
		return -ESHUTDOWN;
	}
	ct->fn = fn;
	ct->arg = arg;
	ct->done = false;
	pthread_mutex_unlock(&ct->mu);
	if (write(ct->call_fd, &one, sizeof(one)) < 0) {
		/* only on overflow: it is readable then */
	}
	pthread_mutex_lock(&ct->mu);
	while (!ct->done && !ct->stopping)
		pthread_cond_wait(&ct->cv, &ct->mu);
	err = ct->done ? 0 : -ESHUTDOWN;
	ct->fn = NULL;
	pthread_mutex_unlock(&ct->mu);
	return err;
}
