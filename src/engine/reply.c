#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "reply.h"

struct wbuf {
	uint8_t *p;
	size_t size, len;
};

static void put8(struct wbuf *w, uint8_t v)
{
	if (w->len < w->size)
		w->p[w->len] = v;
	w->len++;
}

static void put16(struct wbuf *w, uint16_t v)
{
	put8(w, (uint8_t)(v >> 8));
	put8(w, (uint8_t)v);
}

static void put32(struct wbuf *w, uint32_t v)
{
	put16(w, (uint16_t)(v >> 16));
	put16(w, (uint16_t)v);
}

static void putn(struct wbuf *w, const void *src, size_t n)
{
	if (n && w->len <= w->size && n <= w->size - w->len)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t alen(const struct flow_key *k)
{
	return k->af == SW_AF_INET6 ? 16 : 4;
}

/* The IP header for an L4 body of l4len bytes; returns its length. */
static size_t ip_header(struct wbuf *w, const struct flow_key *k, uint8_t proto, size_t l4len)
{
	size_t start = w->len;

	if (k->af == SW_AF_INET6) {
		put32(w, 0x60000000);
		put16(w, (uint16_t)l4len);
		put8(w, proto);
		put8(w, 64);
	} else {
		put8(w, 0x45);
		put8(w, 0);
		put16(w, (uint16_t)(20 + l4len));
		put32(w, 0x00004000);	/* id 0, don't fragment */
		put8(w, 64);
		put8(w, proto);
		put16(w, 0);
	}
	putn(w, k->src, alen(k));
	putn(w, k->dst, alen(k));
	if (k->af == SW_AF_INET && w->len <= w->size)
		set16(w->p + start + 10, csum_fold(csum_add(0, w->p + start, 20)));
	return w->len - start;
}

/* TCP, UDP and ICMPv6 checksums cover a pseudo-header of the addresses. */
static void l4_checksum(struct wbuf *w, const struct flow_key *k, uint8_t proto,
			size_t off, size_t len, size_t csum_at)
{
	uint32_t sum = 0;

	if (w->len > w->size)
		return;
	if (proto != IPPROTO_ICMP) {
		sum = csum_add(sum, k->src, alen(k));
		sum = csum_add(sum, k->dst, alen(k));
		sum += proto + (uint32_t)len;
	}
	sum = csum_add(sum, w->p + off, len);
	set16(w->p + off + csum_at, csum_fold(sum));
}

static int wlen(const struct wbuf *w)
{
	return w->len > w->size ? -ENOSPC : (int)w->len;
}

int reply_tcp(uint8_t *buf, size_t size, const struct reply_tcp *r)
{
	struct wbuf w = { .p = buf, .size = size };
	size_t hlen = r->has_ts ? 32 : 20, l4 = hlen + r->dlen;
	size_t off = ip_header(&w, r->key, IPPROTO_TCP, l4);

	put16(&w, r->key->sport);
	put16(&w, r->key->dport);
	put32(&w, r->seq);
	put32(&w, r->ack);
	put8(&w, (uint8_t)(hlen / 4 << 4));
	put8(&w, r->flags);
	put16(&w, r->flags & TCP_RST ? 0 : r->win ? r->win : 8192);
	put32(&w, 0);		/* checksum, urgent pointer */
	if (r->has_ts) {
		/* NOP, NOP, timestamps (RFC 7323): a stack that negotiated
		 * them may drop a segment without */
		put32(&w, 0x0101080a);
		put32(&w, r->tsval);
		put32(&w, r->tsecr);
	}
	putn(&w, r->data, r->dlen);
	l4_checksum(&w, r->key, IPPROTO_TCP, off, l4, 16);
	return wlen(&w);
}

int reply_tcp_reset(uint8_t *buf, size_t size, const struct pkt *p)
{
	struct flow_key k;
	struct reply_tcp r = { .key = &k, .flags = TCP_RST };

	pkt_key_reverse(&p->key, &k);
	if (p->flags & TCP_ACK) {
		r.seq = p->ack;
	} else {
		r.ack = p->seq + (uint32_t)p->plen + !!(p->flags & TCP_SYN) + !!(p->flags & TCP_FIN);
		r.flags |= TCP_ACK;
	}
	return reply_tcp(buf, size, &r);
}

int reply_icmp_unreach(uint8_t *buf, size_t size, const struct pkt *p, int admin)
{
	struct wbuf w = { .p = buf, .size = size };
	int v6 = p->key.af == SW_AF_INET6;
	uint8_t proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	size_t hdr = v6 ? 40 : 20;
	/* RFC 792 asks for the header and 8 bytes; RFC 4443 for as much as
	 * fits in the minimum MTU. */
	size_t quote = v6 ? REPLY_MAX - hdr - 8 : 28;
	struct flow_key k;
	size_t off;

	if (quote > p->l3len)
		quote = p->l3len;
	pkt_key_reverse(&p->key, &k);
	off = ip_header(&w, &k, proto, 8 + quote);
	put8(&w, v6 ? 1 : 3);
	put8(&w, v6 ? (admin ? 1 : 4) : (admin ? 13 : 3));
	put16(&w, 0);
	put32(&w, 0);
	putn(&w, p->l3, quote);
	l4_checksum(&w, &k, proto, off, 8 + quote, 2);
	return wlen(&w);
}
