/* Ethernet framing and AF_PACKET sending of the engine's crafted packets. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "datapath/inject.h"

#define INJ_FRAME_MAX 1518
#define INJ_PORTS 8

struct inj_port {
	uint32_t ifindex;
	uint8_t mac[ETH_ALEN];
};

struct inject {
	int fd;
	unsigned next;			/* round-robin slot of the port cache */
	struct inj_port ports[INJ_PORTS];
	uint8_t frame[INJ_FRAME_MAX];
	struct inject_counters c;
};

struct inject *inject_open(void)
{
	struct inject *in = calloc(1, sizeof(*in));
	int err;

	if (!in)
		return NULL;
	/* Protocol 0: a send-only socket, it receives nothing. */
	in->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (in->fd < 0) {
		err = errno;
		free(in);
		errno = err;
		return NULL;
	}
	return in;
}

void inject_close(struct inject *in)
{
	if (!in)
		return;
	close(in->fd);
	free(in);
}

/* The port's own MAC, cached: ports of a bridge do not change MAC in
 * practice, and an ioctl pair per reply would be wasted. */
static int inj_port_mac(struct inject *in, uint32_t ifindex, uint8_t *mac)
{
	struct ifreq ifr = { .ifr_ifindex = (int)ifindex };
	struct inj_port *p;

	for (unsigned i = 0; i < INJ_PORTS; i++) {
		if (in->ports[i].ifindex == ifindex) {
			memcpy(mac, in->ports[i].mac, ETH_ALEN);
			return 0;
		}
	}
	if (ioctl(in->fd, SIOCGIFNAME, &ifr) < 0 || ioctl(in->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	p = &in->ports[in->next++ % INJ_PORTS];
	p->ifindex = ifindex;
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	memcpy(mac, p->mac, ETH_ALEN);
	return 0;
}

static int inj_ethertype(const uint8_t *l3, size_t len, uint16_t *type)
{
	if (len < 1)
		return -EINVAL;
	switch (l3[0] >> 4) {
	case 4:
		*type = ETH_P_IP;
		return 0;
	case 6:
		*type = ETH_P_IPV6;
		return 0;
	}
	return -EINVAL;
}

int inject_send(struct inject *in, const uint8_t *l3, size_t len, const struct eng_port *to)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	uint16_t type;
	int err;

	if (!to || !to->ifindex || !to->has_mac) {
		in->c.no_port++;
		return -EHOSTUNREACH;
	}
	if (len > INJ_FRAME_MAX - ETH_HLEN) {
		in->c.too_big++;
		return -EMSGSIZE;
	}
	err = inj_ethertype(l3, len, &type);
	if (!err)
		err = inj_port_mac(in, to->ifindex, in->frame + ETH_ALEN);
	if (err) {
		in->c.errors++;
		return err;
	}
	memcpy(in->frame, to->mac, ETH_ALEN);
	in->frame[12] = (uint8_t)(type >> 8);
	in->frame[13] = (uint8_t)type;
	memcpy(in->frame + ETH_HLEN, l3, len);
	ll.sll_ifindex = (int)to->ifindex;
	ll.sll_protocol = htons(type);
	memcpy(ll.sll_addr, to->mac, ETH_ALEN);
	if (sendto(in->fd, in->frame, ETH_HLEN + len, 0, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		in->c.errors++;
		return -errno;
	}
	in->c.sent++;
	return 0;
}

const struct inject_counters *inject_counters(const struct inject *in)
{
	return &in->c;
}
