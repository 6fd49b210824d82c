/* The verdict loop's scheduling (rtsched.h). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "scanwall/config.h"
#include "datapath/rtsched.h"

static void rts_warn(const char *what, int err)
{
	fprintf(stderr, "scanwalld: verdict loop: %s: %s; running without it\n", what, strerror(err));
}

/* 0 (the calling thread, in Linux's per-thread sense), not the process:
 * the control thread stays where it put itself (ctlthread.c). */
static int rts_fifo(void)
{
	struct sched_param sp = { .sched_priority = CONFIG_VERDICT_RT_PRIORITY };

	if (CONFIG_VERDICT_RT_PRIORITY <= 0)
		return -EINVAL;
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0) {
		int err = errno;

		rts_warn("SCHED_FIFO", err);
		return -err;
	}
	return 0;
}

void rtsched_loop(void)
{
	if (rts_fifo() < 0 && CONFIG_VERDICT_NICE &&
	    setpriority(PRIO_PROCESS, (id_t)gettid(), CONFIG_VERDICT_NICE) < 0)
		rts_warn("nice", errno);
	/* An appliance: no page fault (a flow table page touched first, a
	 * stack page) ever stands between a packet and its verdict. */
	if (IS_ENABLED(CONFIG_VERDICT_MLOCK) && mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		rts_warn("mlockall", errno);
}
