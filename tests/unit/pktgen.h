/* Test helper: IPv4/IPv6 TCP, UDP and ICMP packets with correct headers,
 * so tests state what a packet is rather than spell out its bytes. */
#ifndef SW_TEST_PKTGEN_H
#define SW_TEST_PKTGEN_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

struct tpkt {
	const char *src, *dst;	/* "10.0.0.1" or "fd00::1" */
	uint8_t proto;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const void *data;
	size_t dlen;
	uint8_t icmp_type;
	uint8_t has_ts;		/* TCP: a timestamp option with tsval */
	uint32_t tsval;
	uint8_t has_ws, ws;	/* TCP: a window scale option of shift ws */
	uint8_t has_win;	/* TCP: window win (0x2000 otherwise) */
	uint16_t win;
};

static inline size_t tpkt_build(uint8_t *buf, const struct tpkt *t)
{
	int v6 = strchr(t->src, ':') != NULL;
	size_t ip = v6 ? 40 : 20, l4;
	uint8_t *h = buf + ip;

	memset(buf, 0, 128);
	switch (t->proto) {
	case IPPROTO_TCP:
		l4 = 20;
		h[0] = (uint8_t)(t->sport >> 8); h[1] = (uint8_t)t->sport;
		h[2] = (uint8_t)(t->dport >> 8); h[3] = (uint8_t)t->dport;
		h[4] = (uint8_t)(t->seq >> 24); h[5] = (uint8_t)(t->seq >> 16);
		h[6] = (uint8_t)(t->seq >> 8); h[7] = (uint8_t)t->seq;
		h[8] = (uint8_t)(t->ack >> 24); h[9] = (uint8_t)(t->ack >> 16);
		h[10] = (uint8_t)(t->ack >> 8); h[11] = (uint8_t)t->ack;
		h[13] = t->flags; h[14] = 0x20;
		if (t->has_win)
			h[14] = (uint8_t)(t->win >> 8), h[15] = (uint8_t)t->win;
		if (t->has_ts) {	/* NOP NOP TS(10): as Linux sends it */
			h[20] = 1; h[21] = 1; h[22] = 8; h[23] = 10;
			h[24] = (uint8_t)(t->tsval >> 24); h[25] = (uint8_t)(t->tsval >> 16);
			h[26] = (uint8_t)(t->tsval >> 8); h[27] = (uint8_t)t->tsval;
			l4 += 12;
		}
		if (t->has_ws) {	/* NOP WS(3) */
			h[l4] = 1; h[l4 + 1] = 3; h[l4 + 2] = 3; h[l4 + 3] = t->ws;
			l4 += 4;
		}
		h[12] = (uint8_t)(l4 / 4 << 4);
		break;
	case IPPROTO_UDP:
		l4 = 8;
		h[0] = (uint8_t)(t->sport >> 8); h[1] = (uint8_t)t->sport;
		h[2] = (uint8_t)(t->dport >> 8); h[3] = (uint8_t)t->dport;
		h[4] = (uint8_t)((8 + t->dlen) >> 8); h[5] = (uint8_t)(8 + t->dlen);
		break;
	default:
		l4 = 8;
		h[0] = t->icmp_type;
		h[4] = (uint8_t)(t->sport >> 8); h[5] = (uint8_t)t->sport;
		break;
	}
	if (t->dlen)
		memcpy(h + l4, t->data, t->dlen);
	if (v6) {
		size_t pl = l4 + t->dlen;

		buf[0] = 0x60;
		buf[4] = (uint8_t)(pl >> 8); buf[5] = (uint8_t)pl;
		buf[6] = t->proto; buf[7] = 64;
		inet_pton(AF_INET6, t->src, buf + 8);
		inet_pton(AF_INET6, t->dst, buf + 24);
	} else {
		size_t tot = 20 + l4 + t->dlen;

		buf[0] = 0x45;
		buf[2] = (uint8_t)(tot >> 8); buf[3] = (uint8_t)tot;
		buf[8] = 64; buf[9] = t->proto;
		inet_pton(AF_INET, t->src, buf + 12);
		inet_pton(AF_INET, t->dst, buf + 16);
	}
	return ip + l4 + t->dlen;
}

#endif
