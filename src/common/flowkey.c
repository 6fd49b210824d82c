#include <arpa/inet.h>
#include <sys/socket.h>

#include "scanwall/flowkey.h"

const char *flowkey_addr_str(uint8_t af, const uint8_t *addr, char *buf, unsigned size)
{
	if (!inet_ntop(af == SW_AF_INET6 ? AF_INET6 : AF_INET, addr, buf, size))
		return "?";
	return buf;
}

const char *flowkey_proto_name(uint8_t proto)
{
	static const char *const names[256] = {
		[IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp",
		[IPPROTO_ICMP] = "icmp", [IPPROTO_ICMPV6] = "icmpv6",
	};

	return names[proto] ? names[proto] : "other";
}
