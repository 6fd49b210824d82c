/* NFQUEUE glue: netlink messages in, struct eng_pkt to the engine,
 * verdicts out in one datagram per receive batch.
 *
 * The kernel attributes are parsed with nfq_nlmsg_parse(), which validates
 * every attribute's type and length against libnetfilter_queue's policy;
 * the packet bytes themselves are only handed on, the engine reads them
 * through its cursor. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "scanwall/bootclock.h"
#include "scanwall/config.h"
#include "scanwall/flowkey.h"
#include "datapath/ctmark.h"
#include "datapath/nfq.h"
#include "engine/pkt.h"
#include "datapath/ruleset.h"

/* The largest copied packet (64 KiB with GSO) plus its attributes. */
#define NFQUEUE_RBUF (0xffff + 8192)
/* About 40 bytes a verdict: room for a whole batch and the releases it
 * triggers before the buffer has to be sent early. */
#define NFQUEUE_SBUF (64 * 1024)
#define NFQUEUE_VERDICT_MAX 64
#define NFQUEUE_BATCH 64
/* Releases one packet's judging can give: every segment parked on its
 * flow and every packet held for its RQ/AC; more go out at once. */
#define NFQUEUE_LATER_MAX (CONFIG_TCP_PARK_MAX + 128)
#define NFQUEUE_RCVBUF (8 << 20)
#define NFQUEUE_QMAXLEN 4096

struct nfqueue {
	struct mnl_socket *nl;
	unsigned portid;
	uint16_t num;
	uint32_t seq;
	struct eng *eng;
	char *rbuf;
	char *sbuf;
	size_t sused;
	/* Releases the engine gives while it judges a packet (segments parked
	 * behind it, judged from their copies) wait here and go out after that
	 * packet's verdict, so the wire keeps sequence order. */
	bool judging;
	bool syn_only;		/* nfqueue_syn_only() */
	struct nfqueue_later {
		uint32_t id;
		enum eng_verdict v;
	} *later;
	unsigned nlater;
	/* The clocks of the batch being received (nfqueue_receive): every
	 * packet of it is stamped alike, no clock read per packet. wall_ns
	 * is read when a packet first lacks NFQA_TIMESTAMP; 0: not yet. */
	uint64_t now_ns, wall_ns;
	unsigned acks_wanted;
	int ack_err;
	struct nfqueue_counters c;
};

/* Each engine verdict as the kernel's, and the mark an NF_REPEAT carries
 * into the ct mark (ruleset.h); ENG_HOLD has none (0: no verdict now).
 * The kernel here ignores conntrack attributes in verdicts (no
 * NETFILTER_NETLINK_GLUE_CT), so a flow is settled through the packet
 * mark: the packet re-enters the hook and the ruleset copies the mark. */
static const struct {
	int nf;
	uint32_t mark;
} nfqueue_to_nf[] = {
	[ENG_ACCEPT] = { NF_ACCEPT, 0 },
	[ENG_DROP] = { NF_DROP, 0 },
	[ENG_SETTLE] = { NF_REPEAT, SW_MARK_ALLOW },
	[ENG_OPEN] = { NF_REPEAT, SW_MARK_OPEN },
	[ENG_OPEN_SYNACK] = { NF_REPEAT, SW_MARK_OPEN | SW_MARK_SYNACK },
	[ENG_REPEAT] = { NF_REPEAT, 0 },	/* mark untouched: queued again */
};

int nfqueue_flush(struct nfqueue *q)
{
	int err = 0;

	if (!q->sused)
		return 0;
	if (mnl_socket_sendto(q->nl, q->sbuf, q->sused) < 0) {
		err = -errno;
		q->c.send_errors++;
	}
	q->sused = 0;
	return err;
}

/* Queues a verdict for packet id (ENG_HOLD is ignored). ENG_SETTLE and
 * ENG_OPEN pass the packet again through the hook with our ALLOW or OPEN
 * bits in its mark, so the ruleset saves them into the conntrack mark;
 * mark is the packet's mark as received (other bits are kept), or 0 when
 * unknown. ENG_REPEAT passes it through the hook with its mark as it was,
 * so the ruleset queues it to us again. Sent by nfqueue_flush() or when
 * the buffer fills. */
static void nfqueue_verdict(struct nfqueue *q, uint32_t id, enum eng_verdict v, uint32_t mark)
{
	struct nlmsghdr *nlh;

	if (v == ENG_HOLD || (unsigned)v >= sizeof(nfqueue_to_nf) / sizeof(nfqueue_to_nf[0]))
		return;
	if (NFQUEUE_SBUF - q->sused < NFQUEUE_VERDICT_MAX)
		nfqueue_flush(q);
	nlh = nfq_nlmsg_put(q->sbuf + q->sused, NFQNL_MSG_VERDICT, q->num);
	nlh->nlmsg_seq = ++q->seq;
	nfq_nlmsg_verdict_put(nlh, (int)id, nfqueue_to_nf[v].nf);
	if (nfqueue_to_nf[v].mark)
		nfq_nlmsg_verdict_put_mark(nlh, (mark & ~SW_MARK_MASK) | nfqueue_to_nf[v].mark);
	q->sused += nlh->nlmsg_len;
	q->c.verdicts++;
}

void nfqueue_ct_mark(struct nfqueue *q, const struct flow_key *k, uint32_t mark)
{
	if (NFQUEUE_SBUF - q->sused < CT_MARK_MSG_MAX)
		nfqueue_flush(q);
	q->sused += ct_mark_msg(q->sbuf + q->sused, ++q->seq, k, mark);
	q->c.revoked++;
}

static uint32_t nfqueue_attr_u32(struct nlattr *const *attr, int type)
{
	return attr[type] ? ntohl(mnl_attr_get_u32(attr[type])) : 0;
}

/* Time, bridge port and source MAC, as far as the kernel told them. */
static void nfqueue_fill_meta(struct nfqueue *q, struct nlattr *const *attr, struct eng_pkt *p)
{
	p->from.ifindex = nfqueue_attr_u32(attr, NFQA_IFINDEX_PHYSINDEV);
	if (!p->from.ifindex)
		p->from.ifindex = nfqueue_attr_u32(attr, NFQA_IFINDEX_INDEV);
	if (attr[NFQA_HWADDR]) {
		const struct nfqnl_msg_packet_hw *hw = mnl_attr_get_payload(attr[NFQA_HWADDR]);

		if (ntohs(hw->hw_addrlen) == 6) {
			memcpy(p->from.mac, hw->hw_addr, 6);
			p->from.has_mac = 1;
		}
	}
	/* Timeouts run on the monotonic clock, which no step of the wall
	 * clock (NTP, `date`) moves; the wall clock only dates events. */
	p->ts_ns = q->now_ns;
	if (attr[NFQA_TIMESTAMP]) {
		const struct nfqnl_msg_packet_timestamp *t = mnl_attr_get_payload(attr[NFQA_TIMESTAMP]);

		p->wall_ns = be64toh(t->sec) * 1000000000u + be64toh(t->usec) * 1000u;
	} else {
		if (!q->wall_ns)
			q->wall_ns = sw_clock_ns(CLOCK_REALTIME);
		p->wall_ns = q->wall_ns;
	}
}

/* What the SYN queue may hand the engine: a SYN without payload, which
 * the engine never holds (a held packet's release goes out through the
 * main queue). The ruleset sends nothing else there; this makes sure,
 * and the engine judges the packet from this parse (eng_packet_parsed). */
static bool nfqueue_bare_syn(const struct eng_pkt *pk, struct pkt *p)
{
	return !pkt_parse(pk->l3, pk->len, p) && p->key.proto == IPPROTO_TCP &&
	       (p->flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN && !p->plen;
}

/* The engine's verdict for one packet; a packet the engine cannot judge
 * is dropped. */
static enum eng_verdict nfqueue_judge(struct nfqueue *q, struct nlattr *const *attr, uint32_t id)
{
	struct eng_pkt p = { .id = id };
	enum eng_verdict v = ENG_DROP;
	struct pkt syn;
	uint16_t plen;
	int err;

	if (!attr[NFQA_PAYLOAD] || !q->eng) {
		q->c.malformed += !attr[NFQA_PAYLOAD];
		return ENG_DROP;
	}
	plen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	/* A packet larger than the copy range would be judged on part of
	 * its bytes and forwarded whole: never. */
	if (attr[NFQA_CAP_LEN] && nfqueue_attr_u32(attr, NFQA_CAP_LEN) != plen) {
		q->c.truncated++;
		return ENG_DROP;
	}
	p.l3 = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
	p.len = plen;
	if (q->syn_only && !nfqueue_bare_syn(&p, &syn)) {
		q->c.malformed++;
		return ENG_DROP;
	}
	nfqueue_fill_meta(q, attr, &p);
	err = q->syn_only ? eng_packet_parsed(q->eng, &p, &syn, &v) : eng_packet(q->eng, &p, &v);
	if (err < 0) {
		q->c.engine_errors++;
		v = ENG_DROP;
	}
	return v;
}

void nfqueue_release(struct nfqueue *q, uint32_t id, enum eng_verdict v)
{
	if (q->judging && q->nlater < NFQUEUE_LATER_MAX) {
		q->later[q->nlater++] = (struct nfqueue_later){ id, v };
		return;
	}
	nfqueue_verdict(q, id, v, 0);	/* a timer tick, a reload, or more than fit */
}

static int nfqueue_on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct nfqueue *q = data;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;
	enum eng_verdict v;
	uint32_t id;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR]) {
		/* Without an id there is nothing to answer: the packet stays
		 * queued and is dropped when the socket closes. */
		q->c.malformed++;
		return MNL_CB_OK;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	q->c.packets++;
	q->judging = true;
	v = nfqueue_judge(q, attr, id);
	q->judging = false;
	nfqueue_verdict(q, id, v, nfqueue_attr_u32(attr, NFQA_MARK));
	for (unsigned i = 0; i < q->nlater; i++)
		nfqueue_verdict(q, q->later[i].id, q->later[i].v, 0);
	q->nlater = 0;
	return MNL_CB_OK;
}

static int nfqueue_on_error(const struct nlmsghdr *nlh, void *data)
{
	struct nfqueue *q = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_OK;
	if (q->acks_wanted) {
		q->acks_wanted--;
		if (e->error && !q->ack_err)
			q->ack_err = e->error;
	} else if (e->error) {
		/* A verdict for a packet the kernel no longer holds. */
		q->c.send_errors++;
	}
	return MNL_CB_OK;
}

static mnl_cb_t nfqueue_ctl_cb[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = nfqueue_on_error };

/* Runs every message of one datagram; returns -errno of recv, -EAGAIN
 * when nothing was waiting, or 0. */
static int nfqueue_recv_one(struct nfqueue *q)
{
	ssize_t n = recv(mnl_socket_get_fd(q->nl), q->rbuf, NFQUEUE_RBUF, MSG_DONTWAIT);

	if (n < 0) {
		if (errno != ENOBUFS)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		/* The kernel dropped packets when our socket was full; they
		 * are gone (dropped, fail closed), we carry on. */
		q->c.enobufs++;
		return 0;
	}
	if (mnl_cb_run2(q->rbuf, (size_t)n, 0, q->portid, nfqueue_on_packet, q, nfqueue_ctl_cb,
			NLMSG_MIN_TYPE) < 0)
		q->c.malformed++;
	return 0;
}

int nfqueue_receive(struct nfqueue *q, uint64_t now_ns)
{
	int err = 0;

	q->now_ns = now_ns;
	q->wall_ns = 0;
	for (unsigned i = 0; i < NFQUEUE_BATCH && !err; i++)
		err = nfqueue_recv_one(q);
	if (err == -EINTR || err == -EAGAIN)
		err = 0;
	return nfqueue_flush(q) ?: err;
}

/* Binds the queue and sets its parameters in one datagram, each message
 * acknowledged, so EBUSY (queue taken) and EPERM come back to the caller. */
static int nfqueue_configure(struct nfqueue *q)
{
	struct nlmsghdr *nlh;
	size_t off;

	nlh = nfq_nlmsg_put(q->sbuf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nlh->nlmsg_flags |= NLM_F_ACK;
	off = nlh->nlmsg_len;
	nlh = nfq_nlmsg_put(q->sbuf + off, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, NFQUEUE_QMAXLEN);
	/* GSO on: whole 64 KiB segments, no resegmenting. FAIL_OPEN named in
	 * the mask and left clear: a full queue drops, never passes. */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	nlh->nlmsg_flags |= NLM_F_ACK;
	off += nlh->nlmsg_len;
	q->acks_wanted = 2;
	if (mnl_socket_sendto(q->nl, q->sbuf, off) < 0)
		return -errno;
	/* Acks are queued while the kernel handles the send, so they are
	 * already waiting; a packet arriving meanwhile is dropped (no engine). */
	while (q->acks_wanted && !q->ack_err)
		if (nfqueue_recv_one(q) == -EAGAIN)
			return -ETIMEDOUT;
	nfqueue_flush(q);
	return q->ack_err;
}

static int nfqueue_socket(struct nfqueue *q)
{
	int sz = NFQUEUE_RCVBUF, fd;

	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	q->portid = mnl_socket_get_portid(q->nl);
	fd = mnl_socket_get_fd(q->nl);
	/* FORCE needs CAP_NET_ADMIN, which scanwalld has; otherwise the
	 * rmem_max-capped size is the best we get. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return 0;
}

struct nfqueue *nfqueue_open(uint16_t num)
{
	struct nfqueue *q = calloc(1, sizeof(*q));
	int err = -ENOMEM;

	if (!q)
		goto out;
	q->num = num;
	q->rbuf = malloc(NFQUEUE_RBUF);
	q->sbuf = malloc(NFQUEUE_SBUF);
	q->later = calloc(NFQUEUE_LATER_MAX, sizeof(*q->later));
	if (!q->rbuf || !q->sbuf || !q->later)
		goto out_free;
	err = nfqueue_socket(q);
	if (!err)
		err = nfqueue_configure(q);
	if (!err)
		return q;
out_free:
	nfqueue_close(q);
out:
	errno = -err;
	return NULL;
}

void nfqueue_close(struct nfqueue *q)
{
	if (!q)
		return;
	/* Closing the socket destroys the queue instance; the kernel drops
	 * every packet still waiting for a verdict. */
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->rbuf);
	free(q->sbuf);
	free(q->later);
	free(q);
}

void nfqueue_syn_only(struct nfqueue *q)
{
	q->syn_only = true;
}

int nfqueue_fd(const struct nfqueue *q)
{
	return mnl_socket_get_fd(q->nl);
}

void nfqueue_attach(struct nfqueue *q, struct eng *e)
{
	q->eng = e;
}

const struct nfqueue_counters *nfqueue_counters(const struct nfqueue *q)
{
	return &q->c;
}
