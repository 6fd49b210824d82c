/* Conntrack marks over ctnetlink (ctmark.h).
 *
 * The sweep: the engine forgets a settled plain flow FLOW_IDLE_TCP after
 * its handshake (it sees none of its later packets), and a restarted
 * engine knows none, while conntrack keeps forwarding them by their ALLOW
 * mark. A policy change must reach those too: one dump asks the kernel for
 * the ALLOW entries alone (CTA_MARK under CTA_MARK_MASK filters it there,
 * so the table is walked once), each is judged by its original tuple as it
 * is read, and the refused ones, kept in a bounded list, are updated to
 * DENY once the dump is over (a dump and updates do not share a socket's
 * turn), a datagram of them at a time. A dump the kernel cut (ENOBUFS)
 * still revokes what it read, and is asked again: the entries already
 * DENY are no longer in it. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "scanwall/flowkey.h"
#include "datapath/ctmark.h"
#include "datapath/ruleset.h"

/* The tuple as conntrack keys it: ports, or ICMP id, type and code. */
static void ct_put_proto(struct nlmsghdr *nlh, const struct flow_key *k)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	bool v6 = k->af == SW_AF_INET6;

	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, k->proto);
	if (flowkey_proto_icmp(k->proto)) {
		mnl_attr_put_u16(nlh, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, htons(k->sport));
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE,
				(uint8_t)(k->dport >> 8));
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE,
				(uint8_t)k->dport);
	} else {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(k->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(k->dport));
	}
	mnl_attr_nest_end(nlh, nest);
}

static struct nlmsghdr *ct_msg(void *buf, uint16_t type, uint16_t flags, uint32_t seq,
			       uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	return nlh;
}

size_t ct_mark_msg(void *buf, uint32_t seq, const struct flow_key *k, uint32_t mark)
{
	bool v6 = k->af == SW_AF_INET6;
	size_t alen = v6 ? 16 : 4;
	struct nlattr *tuple, *ip;
	/* An update (no NLM_F_CREATE) of the entry the initiator opened. */
	struct nlmsghdr *nlh = ct_msg(buf, IPCTNL_MSG_CT_NEW, NLM_F_REQUEST, seq,
				      v6 ? AF_INET6 : AF_INET);

	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, alen, k->src);
	mnl_attr_put(nlh, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, alen, k->dst);
	mnl_attr_nest_end(nlh, ip);
	ct_put_proto(nlh, k);
	mnl_attr_nest_end(nlh, tuple);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark & SW_MARK_MASK));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(SW_MARK_MASK));
	return nlh->nlmsg_len;
}

/* --- the sweep ----------------------------------------------------------- */

#define CT_SWEEP_BATCH 256	/* updates a datagram */
#define CT_SWEEP_DUMPS 4	/* one dump, and a retry for each one cut */

struct ct_sweep {
	bool (*keep)(void *ctx, const struct flow_key *k);
	void *ctx;
	struct ct_sweep_stats *st;
	struct flow_key *refused;	/* CT_SWEEP_MAX */
	unsigned n, room;		/* room: what the sweep may still add */
};

/* One nested attribute table; attributes of another type are skipped,
 * the lengths of those read are checked where they are read (ct_get). */
#define CT_NEST_MAX 32
_Static_assert(CTA_PROTO_MAX < CT_NEST_MAX && CTA_IP_MAX < CT_NEST_MAX &&
	       CTA_TUPLE_MAX < CT_NEST_MAX, "CT_NEST_MAX holds every table read");

struct ct_nest {
	const struct nlattr *tb[CT_NEST_MAX];
	int max;
};

static int ct_nest_cb(const struct nlattr *a, void *data)
{
	struct ct_nest *n = data;
	int type = mnl_attr_get_type(a);

	if (type <= n->max)
		n->tb[type] = a;
	return MNL_CB_OK;
}

static int ct_nested(const struct nlattr *a, int max, struct ct_nest *n)
{
	memset(n, 0, sizeof(*n));
	n->max = max;
	return a ? mnl_attr_parse_nested(a, ct_nest_cb, n) : MNL_CB_ERROR;
}

/* attribute a of length len, or NULL */
static const void *ct_get(const struct nlattr *a, size_t len)
{
	return a && mnl_attr_get_payload_len(a) == len ? mnl_attr_get_payload(a) : NULL;
}

static int ct_tuple(const struct nlattr *orig, uint8_t family, struct flow_key *k)
{
	bool v6 = family == AF_INET6;
	size_t alen = v6 ? 16 : 4;
	struct ct_nest t, ip, pr;
	const void *src, *dst, *pn, *a, *b, *c;

	if (ct_nested(orig, CTA_TUPLE_MAX, &t) < 0 || ct_nested(t.tb[CTA_TUPLE_IP], CTA_IP_MAX, &ip) < 0 ||
	    ct_nested(t.tb[CTA_TUPLE_PROTO], CTA_PROTO_MAX, &pr) < 0)
		return -EINVAL;
	src = ct_get(ip.tb[v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC], alen);
	dst = ct_get(ip.tb[v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST], alen);
	pn = ct_get(pr.tb[CTA_PROTO_NUM], 1);
	if (!src || !dst || !pn)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	memcpy(k->src, src, alen);
	memcpy(k->dst, dst, alen);
	k->af = v6 ? SW_AF_INET6 : SW_AF_INET;
	k->proto = *(const uint8_t *)pn;
	if (flowkey_proto_icmp(k->proto)) {
		a = ct_get(pr.tb[v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID], 2);
		b = ct_get(pr.tb[v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE], 1);
		c = ct_get(pr.tb[v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE], 1);
		if (!a || !b || !c)
			return -EINVAL;
		k->sport = ntohs(*(const uint16_t *)a);
		k->dport = (uint16_t)(*(const uint8_t *)b << 8 | *(const uint8_t *)c);
	} else {
		a = ct_get(pr.tb[CTA_PROTO_SRC_PORT], 2);
		b = ct_get(pr.tb[CTA_PROTO_DST_PORT], 2);
		if (!a || !b)
			return -EINVAL;
		k->sport = ntohs(*(const uint16_t *)a);
		k->dport = ntohs(*(const uint16_t *)b);
	}
	return 0;
}

static int ct_entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_sweep *s = data;
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct ct_nest top;
	struct flow_key k;

	memset(&top, 0, sizeof(top));
	top.max = CTA_TUPLE_ORIG;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*nfg) ||
	    (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6) ||
	    mnl_attr_parse(nlh, sizeof(*nfg), ct_nest_cb, &top) < 0 ||
	    ct_tuple(top.tb[CTA_TUPLE_ORIG], nfg->nfgen_family, &k) < 0)
		return MNL_CB_OK;	/* not one we could have marked */
	if (s->keep(s->ctx, &k))
		return MNL_CB_OK;
	if (s->room) {
		s->refused[s->n++] = k;
		s->room--;
	} else {
		s->st->over++;	/* keeps its ALLOW mark */
	}
	return MNL_CB_OK;
}

/* One dump of the ALLOW entries: the refused ones into s->refused.
 * 0, -ENOBUFS when the kernel cut it (what was read is kept), or -errno. */
static int ct_dump(struct mnl_socket *nl, struct ct_sweep *s, uint32_t seq, char *buf, size_t size)
{
	struct nlmsghdr *nlh = ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, seq,
				      AF_UNSPEC);
	unsigned portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	mnl_attr_put_u32(nlh, CTA_MARK, htonl(SW_MARK_ALLOW));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(SW_MARK_MASK));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, size);
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, ct_entry_cb, s);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

/* The acknowledgements in buf: how many, each counted in st (an entry
 * gone meanwhile is answered ENOENT, and is no error here). */
static unsigned ct_acks(const void *buf, size_t len, struct ct_sweep_stats *st)
{
	int left = (int)len;
	unsigned acks = 0;

	for (const struct nlmsghdr *h = buf; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

		if (h->nlmsg_type != NLMSG_ERROR)
			continue;
		acks++;
		if (h->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(e->error) || e->error == -ENOENT)
			continue;
		if (!e->error) {
			st->revoked++;
		} else {
			st->failed++;
			st->first_err = st->first_err ?: e->error;
		}
	}
	return acks;
}

/* The updates of refused[0..n) in one datagram, each acknowledged. */
static int ct_revoke(struct mnl_socket *nl, const struct flow_key *refused, unsigned n,
		     uint32_t *seq, struct ct_sweep_stats *st, char *buf, size_t size)
{
	unsigned acked = 0;
	size_t used = 0;
	ssize_t got;

	for (unsigned i = 0; i < n; i++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + used);

		used += ct_mark_msg(nlh, ++*seq, &refused[i], SW_MARK_DENY);
		nlh->nlmsg_flags |= NLM_F_ACK;
	}
	if (used && mnl_socket_sendto(nl, buf, used) < 0)
		return -errno;
	while (acked < n) {
		got = mnl_socket_recvfrom(nl, buf, size);
		if (got < 0)
			return -errno;
		acked += ct_acks(buf, (size_t)got, st);
	}
	return 0;
}

/* A ctnetlink socket of the sweep's own: a dump the kernel cut may still
 * have parts on the one that read it, so the updates get a fresh one. */
static struct mnl_socket *ct_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int err;

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	return nl;
}

int ct_sweep(bool (*keep)(void *ctx, const struct flow_key *k), void *ctx,
	     struct ct_sweep_stats *st)
{
	/* the control path's, one sweep at a time */
	static char buf[CT_SWEEP_BATCH * CT_MARK_MSG_MAX];
	static uint32_t seq;
	struct ct_sweep s = { .keep = keep, .ctx = ctx, .st = st, .room = CT_SWEEP_MAX };
	struct mnl_socket *nl = NULL;
	int err = 0, cut = -ENOBUFS;

	memset(st, 0, sizeof(*st));
	s.refused = malloc(CT_SWEEP_MAX * sizeof(*s.refused));
	if (!s.refused)
		return -ENOMEM;
	for (unsigned d = 0; !err && cut && d < CT_SWEEP_DUMPS; d++) {
		s.n = 0;
		st->over = 0;	/* the last dump's count */
		nl = ct_open();
		cut = nl ? ct_dump(nl, &s, ++seq, buf, sizeof(buf)) : -errno;
		if (nl && cut == -ENOBUFS) {
			mnl_socket_close(nl);
			nl = ct_open();
		}
		err = !nl ? -errno : cut == -ENOBUFS ? 0 : cut;
		for (unsigned i = 0; !err && i < s.n; i += CT_SWEEP_BATCH)
			err = ct_revoke(nl, s.refused + i,
					s.n - i < CT_SWEEP_BATCH ? s.n - i : CT_SWEEP_BATCH, &seq, st,
					buf, sizeof(buf));
		if (nl)
			mnl_socket_close(nl);
	}
	free(s.refused);
	return err ?: cut;	/* cut every time: said */
}
