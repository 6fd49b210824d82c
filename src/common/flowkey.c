#include <arpa/inet.h>
#include <sys/socket.h>

#include "scanwall/flowkey.h"

const char *flowkey_addr_str(uint8_t af, const uint8_t *addr, char *buf, unsigned size)
{
	if (!inet_ntop(af == SW_AF_INET6 ? AF_INET6 : AF_INET, addr, buf, size))
		return "?";
	return buf;
}
