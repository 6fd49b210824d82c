/* Packet headers as the engine needs them, parsed through the cursor. */
#ifndef SW_ENGINE_PKT_H
#define SW_ENGINE_PKT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwall/flowkey.h"

enum {
	TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10,
	TCP_URG = 0x20, TCP_ECE = 0x40, TCP_CWR = 0x80,
};

struct pkt {
	struct flow_key key;
	const uint8_t *payload;		/* TCP/UDP data (into the caller's buffer) */
	size_t plen;
	const uint8_t *l3;		/* the IP header, for ICMP errors that quote it */
	size_t l3len;			/* IP total length (trailing padding removed) */
	uint32_t seq, ack;		/* TCP */
	uint32_t tsval;			/* TCP timestamp option, if has_ts */
	uint16_t win;
	uint8_t flags;			/* TCP flags */
	uint8_t has_ts;
	uint8_t wscale;			/* TCP window scale option (a SYN's), or: */
#define PKT_WSCALE_NONE 0xff		/* none */
	uint8_t icmp_type, icmp_code;
	uint8_t echo;			/* ICMP echo request (1) or reply (2) */
};

/* Returns 0, -EBADMSG for a malformed header, -EPROTONOSUPPORT for what
 * the engine does not pass at all (fragments, other protocols, IPv6 when
 * it is configured off). */
int pkt_parse(const uint8_t *l3, size_t len, struct pkt *p);

/* A TCP segment that opens a connection: SYN without ACK or RST. */
static inline int pkt_is_syn(const struct pkt *p)
{
	return p->key.proto == IPPROTO_TCP && (p->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN;
}

/* The key as seen from the other end. */
void pkt_key_reverse(const struct flow_key *k, struct flow_key *r);

#endif
