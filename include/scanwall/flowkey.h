/* The 5-tuple as every module sees it. IPv4 addresses occupy the first
 * four bytes of the 16 and the rest stay zero, so keys compare with memcmp. */
#ifndef SCANWALL_FLOWKEY_H
#define SCANWALL_FLOWKEY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

enum { SW_AF_INET = 4, SW_AF_INET6 = 6 };

struct flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;		/* host order; ICMP echo: the identifier */
	uint16_t dport;		/* host order; ICMP: type << 8 | code */
	uint8_t af;		/* SW_AF_INET or SW_AF_INET6 */
	uint8_t proto;		/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	uint8_t pad[2];		/* always zero */
};

/* ICMP of either family: the key's ports are its echo identifier and its
 * type and code. */
static inline bool flowkey_proto_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* "tcp", "udp", "icmp", "icmpv6"; "other" for any other protocol. */
const char *flowkey_proto_name(uint8_t proto);

/* "10.20.4.15" or "fd00::15" into buf (at least 46 bytes). */
const char *flowkey_addr_str(uint8_t af, const uint8_t *addr, char *buf, unsigned size);

#endif
