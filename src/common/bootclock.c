/* CLOCK_BOOTTIME and the kernel's boot id (bootclock.h). */
#include <stdio.h>
#include <time.h>

#include "scanwall/bootclock.h"

uint64_t sw_boot_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

/* FNV-1a over the 36-character UUID text. Without /proc (a chroot), one
 * fixed boot: deadlines still run on the boot clock, and a reboot is then
 * not told apart, which errs towards keeping a lockout or a deadline. */
uint64_t sw_boot_id(void)
{
	static uint64_t id;
	FILE *f;
	int c;

	if (id)
		return id;
	id = 0xcbf29ce484222325ULL;
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	while (f && (c = fgetc(f)) != EOF && c != '\n')
		id = (id ^ (uint8_t)c) * 0x100000001b3ULL;
	if (f)
		fclose(f);
	return id ? id : 1;
}
