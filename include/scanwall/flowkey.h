/* The 5-tuple as every module sees it. IPv4 addresses occupy the first
 * four bytes of the 16 and the rest stay zero, so keys compare with memcmp. */
#ifndef SCANWALL_FLOWKEY_H
#define SCANWALL_FLOWKEY_H

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

/* "10.20.4.15" or "fd00::15" into buf (at least 46 bytes). */
const char *flowkey_addr_str(uint8_t af, const uint8_t *addr, char *buf, unsigned size);

#endif
