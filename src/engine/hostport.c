/* Where each acceptor sits on the bridge, remembered across associations.
 *
 * The engine answers a refused A-ASSOCIATE-RQ with a reset to the
 * acceptor too, so that a flood of refused associations cannot fill the
 * scanner's connection table; the reset needs the acceptor's bridge port
 * and MAC address. The first association to a host learns them from its
 * SYN-ACK, which the kernel queues for that reason. Later ones find them
 * here, and their SYN-ACKs pass in the kernel (ENG_OPEN_SYNACK): one queue
 * crossing fewer per association. A stale entry (a device moved to the
 * other port, a NIC replaced) only misdirects a reset until the host's
 * next queued packet corrects it.
 *
 * Direct-mapped by a hash of the address: a box protects one device, or a
 * handful; a collision costs a queued SYN-ACK, never a wrong answer. */
#include <string.h>

#include "engine_int.h"

static struct eng_host *host_slot(struct eng *e, uint8_t af, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ af;

	for (unsigned i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return &e->hosts[h % ENG_HOSTS];
}

const struct eng_port *eng_host_port(struct eng *e, uint8_t af, const uint8_t *addr)
{
	const struct eng_host *s = host_slot(e, af, addr);

	if (!s->port.has_mac || s->af != af || memcmp(s->addr, addr, sizeof(s->addr)))
		return NULL;
	return &s->port;
}

void eng_host_learn(struct eng *e, uint8_t af, const uint8_t *addr, const struct eng_port *port)
{
	struct eng_host *s;

	if (!port->ifindex || !port->has_mac)
		return;
	s = host_slot(e, af, addr);
	s->af = af;
	memcpy(s->addr, addr, sizeof(s->addr));
	s->port = *port;
}
