/* Crafted replies out of a bridge port (ops.inject of the engine).
 *
 * The engine builds the whole IPv4/IPv6 packet; this module puts an
 * Ethernet header on it and sends it out of the port where the addressee
 * was seen, with an AF_PACKET socket, so the frame does not cross the
 * bridge or netfilter again. */
#ifndef SW_ENGINE_INJECT_H
#define SW_ENGINE_INJECT_H

#include <stddef.h>
#include <stdint.h>

#include "scanwall/engine.h"

struct inject_counters {
	uint64_t sent;
	uint64_t no_port;	/* no port or no MAC known for the addressee */
	uint64_t too_big;
	uint64_t errors;	/* send or port-MAC lookup failed */
};

struct inject;

/* NULL and errno (EPERM without CAP_NET_RAW). */
struct inject *inject_open(void);
void inject_close(struct inject *in);

/* Sends l3 (an IPv4 or IPv6 packet) to to->mac out of to->ifindex, from
 * that port's own MAC. Returns 0 or -errno; every outcome is counted. */
int inject_send(struct inject *in, const uint8_t *l3, size_t len, const struct eng_port *to);

const struct inject_counters *inject_counters(const struct inject *in);

#endif
