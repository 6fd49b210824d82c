/* The clock of deadlines that outlive a process but not a boot: the bundle
 * store's confirm deadline, the console's lockout and commit confirmed.
 * CLOCK_BOOTTIME never steps with the wall clock (NTP, `date`, a board
 * without an RTC that boots in 1970), so a step can neither fire nor
 * postpone a deadline; and a deadline written to a file names the boot it
 * counts in, so that after a reboot its owner can tell it is not of this
 * boot and apply its own rule for that (each says which in its docs). */
#ifndef SCANWALL_BOOTCLOCK_H
#define SCANWALL_BOOTCLOCK_H

#include <stdint.h>
#include <time.h>

/* Any clock in nanoseconds: the engine's timeouts read CLOCK_MONOTONIC,
 * event timestamps CLOCK_REALTIME. One reader for every module. */
static inline uint64_t sw_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Seconds since boot, suspend included. */
uint64_t sw_boot_now(void);
/* This boot, as a number (from /proc/sys/kernel/random/boot_id); never 0,
 * so 0 can mean "no boot named" (a file from before boots were named). */
uint64_t sw_boot_id(void);

#endif
