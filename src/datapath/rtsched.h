/* The verdict loop first on the box's CPUs. Every packet the box forwards
 * waits in the queue for this one thread; on two cores it competes with
 * the control thread's helpers (nft and the kernel's commit, a bundle's
 * signature checks, a page of flows' JSON) and with everything else on
 * the board. docs/engine.md ("Scheduling") has the measurement. */
#ifndef SW_DATAPATH_RTSCHED_H
#define SW_DATAPATH_RTSCHED_H

/* Raises the calling thread as Kconfig says: SCHED_FIFO at
 * CONFIG_VERDICT_RT_PRIORITY, or (0, or refused) nice CONFIG_VERDICT_NICE;
 * and with CONFIG_VERDICT_MLOCK locks the process's memory. Call it on the
 * loop's own thread: threads and processes it starts afterwards start as
 * ordinary ones (SCHED_RESET_ON_FORK). What the kernel refuses (a
 * container, no CAP_SYS_NICE) is a warning on stderr: the loop runs as it
 * is. */
void rtsched_loop(void);

#endif
