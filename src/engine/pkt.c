/* IPv4/IPv6 and TCP/UDP/ICMP header parsing. Fragments are refused: with
 * conntrack loaded the kernel reassembles before the FORWARD hook, so a
 * fragment reaching us is either an attack or a capture artefact, and an
 * L4 decision on a fragment without its header is no decision at all. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "scanwall/config.h"
#include "scanwall/cursor.h"
#include "pkt.h"

#define IPV6_MAX_EXT 8

/* The timestamp and window scale options, where well formed. Anything
 * else in them is the receiver's business: a malformed list only ends
 * the walk. */
static void pkt_tcp_opts(struct cur *o, struct pkt *p)
{
	uint8_t kind, len, ws;

	while (!cur_u8(o, &kind) && kind != 0) {
		if (kind == 1)
			continue;	/* NOP */
		if (cur_u8(o, &len) || len < 2 || len - 2u > cur_left(o))
			return;
		if (kind == 8 && len == 10)
			p->has_ts = !cur_be32(o, &p->tsval) && !cur_skip(o, 4);
		else if (kind == 3 && len == 3 && !cur_u8(o, &ws))
			p->wscale = ws > 14 ? 14 : ws;	/* RFC 7323 §2.3: 14 at most */
		else
			cur_skip(o, len - 2u);
	}
}

static int pkt_tcp(struct cur *c, struct pkt *p)
{
	uint8_t off, flags;
	struct cur opts;
	int err;

	err = cur_be16(c, &p->key.sport) ?: cur_be16(c, &p->key.dport) ?:
	      cur_be32(c, &p->seq) ?: cur_be32(c, &p->ack) ?:
	      cur_u8(c, &off) ?: cur_u8(c, &flags) ?: cur_be16(c, &p->win) ?:
	      cur_skip(c, 4);
	if (err)
		return err;
	off >>= 4;
	if (off < 5 || cur_sub(c, (size_t)(off - 5) * 4, &opts))
		return -EBADMSG;
	p->has_ts = 0;
	p->wscale = PKT_WSCALE_NONE;
	pkt_tcp_opts(&opts, p);
	p->flags = flags;
	p->plen = cur_left(c);
	return cur_ptr(c, p->plen, &p->payload);
}

static int pkt_udp(struct cur *c, struct pkt *p)
{
	uint16_t ulen;
	int err;

	err = cur_be16(c, &p->key.sport) ?: cur_be16(c, &p->key.dport) ?:
	      cur_be16(c, &ulen) ?: cur_skip(c, 2);
	if (err)
		return err;
	if (ulen < 8 || ulen - 8u > cur_left(c))
		return -EBADMSG;
	p->plen = ulen - 8u;
	return cur_ptr(c, p->plen, &p->payload);
}

/* Echo request and reply share the identifier as both "ports", so a reply
 * finds its request's flow by the reversed key; every other type is keyed
 * by type and code and judged on its own. */
static int pkt_icmp(struct cur *c, struct pkt *p, uint8_t req, uint8_t rep)
{
	uint16_t id;
	int err;

	err = cur_u8(c, &p->icmp_type) ?: cur_u8(c, &p->icmp_code) ?: cur_skip(c, 2) ?:
	      cur_be16(c, &id) ?: cur_skip(c, 2);
	if (err)
		return err;
	if (p->icmp_type == req || p->icmp_type == rep) {
		p->echo = p->icmp_type == req ? 1 : 2;
		p->key.sport = p->key.dport = id;
	} else {
		p->key.dport = (uint16_t)(p->icmp_type << 8 | p->icmp_code);
	}
	return 0;
}

static int pkt_l4(struct cur *c, struct pkt *p)
{
	switch (p->key.proto) {
	case IPPROTO_TCP: return pkt_tcp(c, p);
	case IPPROTO_UDP: return pkt_udp(c, p);
	case IPPROTO_ICMP: return p->key.af == SW_AF_INET ? pkt_icmp(c, p, 8, 0) : -EPROTONOSUPPORT;
	case IPPROTO_ICMPV6: return p->key.af == SW_AF_INET6 ? pkt_icmp(c, p, 128, 129) : -EPROTONOSUPPORT;
	default: return -EPROTONOSUPPORT;
	}
}

static int pkt_ipv4(struct cur *c, struct pkt *p)
{
	uint8_t vihl, proto;
	uint16_t tot, frag;
	struct cur ip;
	int err;

	err = cur_u8(c, &vihl) ?: cur_skip(c, 1) ?: cur_be16(c, &tot) ?: cur_skip(c, 2) ?:
	      cur_be16(c, &frag) ?: cur_skip(c, 1) ?: cur_u8(c, &proto) ?: cur_skip(c, 2) ?:
	      cur_copy(c, p->key.src, 4) ?: cur_copy(c, p->key.dst, 4);
	if (err)
		return err;
	if ((vihl & 0x0f) < 5 || tot < (vihl & 0x0f) * 4 || tot > c->len)
		return -EBADMSG;
	if (frag & 0x3fff)	/* MF set or a non-zero offset */
		return -EPROTONOSUPPORT;
	/* Re-read the packet bounded by its total length: Ethernet padding
	 * after it is not payload. */
	cur_init(&ip, c->p, tot);
	if (cur_skip(&ip, (size_t)(vihl & 0x0f) * 4))
		return -EBADMSG;
	p->key.af = SW_AF_INET;
	p->key.proto = proto;
	p->l3len = tot;
	return pkt_l4(&ip, p);
}

static bool ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60;	/* hop-by-hop, routing, destination */
}

static int pkt_ipv6(struct cur *c, struct pkt *p)
{
	uint16_t plen;
	uint8_t nh, hlen;
	struct cur ip;
	int i, err;

	if (!IS_ENABLED(CONFIG_IPV6))
		return -EPROTONOSUPPORT;
	err = cur_skip(c, 4) ?: cur_be16(c, &plen) ?: cur_u8(c, &nh) ?: cur_skip(c, 1) ?:
	      cur_copy(c, p->key.src, 16) ?: cur_copy(c, p->key.dst, 16);
	if (err)
		return err;
	if (cur_sub(c, plen, &ip))
		return -EBADMSG;
	for (i = 0; ipv6_ext(nh); i++) {
		if (i == IPV6_MAX_EXT)
			return -EPROTONOSUPPORT;
		err = cur_u8(&ip, &nh) ?: cur_u8(&ip, &hlen) ?: cur_skip(&ip, (size_t)hlen * 8 + 6);
		if (err)
			return err;
	}
	if (nh == 44)		/* fragment header */
		return -EPROTONOSUPPORT;
	p->key.af = SW_AF_INET6;
	p->key.proto = nh;
	p->l3len = 40u + plen;
	return pkt_l4(&ip, p);
}

int pkt_parse(const uint8_t *l3, size_t len, struct pkt *p)
{
	struct cur c;
	uint8_t v;

	memset(p, 0, sizeof(*p));
	p->l3 = l3;
	cur_init(&c, l3, len);
	if (cur_peek_u8(&c, &v))
		return -EBADMSG;
	switch (v >> 4) {
	case 4: return pkt_ipv4(&c, p);
	case 6: return pkt_ipv6(&c, p);
	default: return -EBADMSG;
	}
}

void pkt_key_reverse(const struct flow_key *k, struct flow_key *r)
{
	*r = *k;
	memcpy(r->src, k->dst, 16);
	memcpy(r->dst, k->src, 16);
	r->sport = k->dport;
	r->dport = k->sport;
}
