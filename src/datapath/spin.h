/* The busy-poll spin's budget (inline.c's loop): a spin is charged whole,
 * when it starts, to a window of SPIN_WINDOW_NS, of which at most
 * 1/SPIN_SHARE may be spent spinning. A SCHED_FIFO loop's spin holds its
 * core from every ordinary process, and each allowed DICOM SYN starts one:
 * without a bound, a few thousand SYNs a second from an allowed range
 * would keep mgmtd and the console off that core (docs/engine.md,
 * "Scheduling"). Past the budget the loop sleeps in poll as usual. */
#ifndef SCANWALL_DATAPATH_SPIN_H
#define SCANWALL_DATAPATH_SPIN_H

#include <stdbool.h>
#include <stdint.h>

#define SPIN_WINDOW_NS	100000000ull	/* 100 ms */
#define SPIN_SHARE	2		/* at most half of it */

struct spin_budget {
	uint64_t window;	/* start of the current window, ns */
	uint64_t spent;		/* charged in it */
};

/* May a spin of spin_ns start at now? If so it is charged. */
static inline bool spin_charge(struct spin_budget *b, uint64_t now, uint64_t spin_ns)
{
	if (now - b->window >= SPIN_WINDOW_NS) {
		b->window = now;
		b->spent = 0;
	}
	if (b->spent + spin_ns > SPIN_WINDOW_NS / SPIN_SHARE)
		return false;
	b->spent += spin_ns;
	return true;
}

#endif
