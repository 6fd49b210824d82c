/* The SYNs the kernel passes by itself (ruleset.c, the syn4/syn6 sets)
 * are logged to an NFLOG group, headers only; the engine reads them here
 * to start their flows as if they had been queued. Not a queue: the SYN
 * does not wait for us, and nobody is woken per SYN. The log is read when
 * a packet of such a flow is queued (its mark says SW_MARK_KSYN: its SYN
 * was logged before it, so the copy is waiting) and on the timer tick. */
#ifndef SW_ENGINE_SYNLOG_H
#define SW_ENGINE_SYNLOG_H

#include <stdint.h>

#include "scanwall/engine.h"

struct synlog_counters {
	uint64_t packets;	/* logged packets read */
	uint64_t enobufs;	/* the socket overflowed: copies lost */
	uint64_t malformed;	/* messages without a payload */
};

struct synlog;

/* Binds NFLOG group `group` (copy of the headers, sent at once). NULL and
 * errno (EBUSY: another process holds the group). */
struct synlog *synlog_open(uint16_t group);
void synlog_close(struct synlog *l);

/* Hands every logged packet waiting to fn, with eng_pkt.passed set.
 * Never blocks. Returns 0 or -errno of a socket failure. */
int synlog_drain(struct synlog *l, void (*fn)(void *ctx, const struct eng_pkt *pk), void *ctx);

const struct synlog_counters *synlog_counters(const struct synlog *l);

#endif
