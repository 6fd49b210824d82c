/* Crafted answers: TCP resets, ICMP unreachables, and the TCP segment that
 * carries an A-ASSOCIATE-RJ or A-ABORT to a refused initiator. Built into
 * caller storage; the inline engine sends them out of the bridge port the
 * addressee was seen on. */
#ifndef SW_ENGINE_REPLY_H
#define SW_ENGINE_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define REPLY_MAX 1280	/* IPv6 minimum MTU: every answer fits every link */

struct reply_tcp {
	const struct flow_key *key;	/* of the crafted packet: src sends to dst */
	uint32_t seq, ack;
	uint16_t win;		/* advertised window as on the wire; 0: a default */
	uint8_t flags;
	const uint8_t *data;
	size_t dlen;
	uint8_t has_ts;		/* a timestamp option: tsval, tsecr */
	uint32_t tsval, tsecr;
};

/* Each returns the packet's length, or -ENOSPC. */
int reply_tcp(uint8_t *buf, size_t size, const struct reply_tcp *r);
/* The reset that answers p, from p's destination to its source. */
int reply_tcp_reset(uint8_t *buf, size_t size, const struct pkt *p);
/* Port unreachable (admin == 0) or administratively prohibited, quoting p. */
int reply_icmp_unreach(uint8_t *buf, size_t size, const struct pkt *p, int admin);

#endif
