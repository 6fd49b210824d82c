/* NFLOG over libmnl: the kernel's copies of the SYNs it passed by itself.
 * Hand-built like nfq.c's configuration (one bind, one mode message);
 * attributes are validated by type and length before use, the packet
 * bytes handed on to the engine, which reads them through its cursor. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "engine/synlog.h"

/* IPv6 + the longest TCP header: all the engine reads of a SYN. */
#define SYNLOG_COPY 100
/* A datagram holds one logged packet (the queue threshold is 1). */
#define SYNLOG_RBUF 4096
/* A second's SYNs at a few thousand a second, between two ticks. */
#define SYNLOG_RCVBUF (4 << 20)

struct synlog {
	struct mnl_socket *nl;
	unsigned portid;
	uint16_t group;
	char buf[SYNLOG_RBUF];
	void (*fn)(void *ctx, const struct eng_pkt *pk);
	void *ctx;
	int ack_err;
	struct synlog_counters c;
};

static struct nlmsghdr *synlog_cfg_put(char *buf, uint16_t group)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	return nlh;
}

static int synlog_attr_cb(const struct nlattr *a, void *data)
{
	static const size_t min[NFULA_MAX + 1] = {
		[NFULA_IFINDEX_INDEV] = sizeof(uint32_t),
		[NFULA_IFINDEX_PHYSINDEV] = sizeof(uint32_t),
		[NFULA_HWADDR] = sizeof(struct nfulnl_msg_packet_hw),
		[NFULA_TIMESTAMP] = sizeof(struct nfulnl_msg_packet_timestamp),
	};
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NFULA_MAX) < 0)
		return MNL_CB_OK;	/* newer than us: skipped */
	if (mnl_attr_get_payload_len(a) < min[type])
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static uint32_t synlog_u32(const struct nlattr *a)
{
	return a ? ntohl(mnl_attr_get_u32(a)) : 0;
}

static int synlog_on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct synlog *l = data;
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	struct eng_pkt pk = { .passed = true };
	struct timespec now;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), synlog_attr_cb, tb) < 0 ||
	    !tb[NFULA_PAYLOAD]) {
		l->c.malformed++;
		return MNL_CB_OK;
	}
	l->c.packets++;
	pk.l3 = mnl_attr_get_payload(tb[NFULA_PAYLOAD]);
	pk.len = mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]);
	pk.from.ifindex = synlog_u32(tb[NFULA_IFINDEX_PHYSINDEV]) ?: synlog_u32(tb[NFULA_IFINDEX_INDEV]);
	if (tb[NFULA_HWADDR]) {
		const struct nfulnl_msg_packet_hw *hw = mnl_attr_get_payload(tb[NFULA_HWADDR]);

		if (ntohs(hw->hw_addrlen) == 6) {
			memcpy(pk.from.mac, hw->hw_addr, 6);
			pk.from.has_mac = 1;
		}
	}
	if (tb[NFULA_TIMESTAMP]) {
		const struct nfulnl_msg_packet_timestamp *t = mnl_attr_get_payload(tb[NFULA_TIMESTAMP]);

		pk.ts_ns = be64toh(t->sec) * 1000000000u + be64toh(t->usec) * 1000u;
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		pk.ts_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	}
	if (l->fn)
		l->fn(l->ctx, &pk);
	return MNL_CB_OK;
}

static int synlog_on_error(const struct nlmsghdr *nlh, void *data)
{
	struct synlog *l = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error && !l->ack_err)
		l->ack_err = e->error;
	return MNL_CB_OK;
}

static mnl_cb_t synlog_ctl_cb[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = synlog_on_error };

/* One datagram: -EAGAIN when none waits. */
static int synlog_recv_one(struct synlog *l)
{
	ssize_t n = recv(mnl_socket_get_fd(l->nl), l->buf, sizeof(l->buf), MSG_DONTWAIT);

	if (n < 0) {
		if (errno != ENOBUFS)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		/* Copies lost: their flows' data finds no flow, and is
		 * refused (fail closed). */
		l->c.enobufs++;
		return 0;
	}
	if (mnl_cb_run2(l->buf, (size_t)n, 0, l->portid, synlog_on_packet, l, synlog_ctl_cb,
			NLMSG_MIN_TYPE) < 0)
		l->c.malformed++;
	return 0;
}

int synlog_drain(struct synlog *l, void (*fn)(void *ctx, const struct eng_pkt *pk), void *ctx)
{
	int err;

	l->fn = fn;
	l->ctx = ctx;
	while (!(err = synlog_recv_one(l)))
		;
	l->fn = NULL;
	return err == -EAGAIN || err == -EINTR ? 0 : err;
}

/* Bind, then copy mode and a threshold of one (each copy is sent the
 * moment it is made), each acknowledged: EBUSY and EPERM come back. */
static int synlog_configure(struct synlog *l)
{
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { .copy_range = htonl(SYNLOG_COPY),
					       .copy_mode = NFULNL_COPY_PACKET };
	struct nlmsghdr *nlh;
	size_t off;
	int err;

	nlh = synlog_cfg_put(l->buf, l->group);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	off = nlh->nlmsg_len;
	nlh = synlog_cfg_put(l->buf + off, l->group);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
	off += nlh->nlmsg_len;
	if (mnl_socket_sendto(l->nl, l->buf, off) < 0)
		return -errno;
	/* Both acks were queued while the kernel handled the send. */
	for (unsigned i = 0; i < 2; i++) {
		err = synlog_recv_one(l);
		if (err)
			return err == -EAGAIN ? -ETIMEDOUT : err;
	}
	return l->ack_err;
}

struct synlog *synlog_open(uint16_t group)
{
	struct synlog *l = calloc(1, sizeof(*l));
	int sz = SYNLOG_RCVBUF, err = -ENOMEM;

	if (!l)
		goto out;
	l->group = group;
	l->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!l->nl || mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out_free;
	}
	l->portid = mnl_socket_get_portid(l->nl);
	if (setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	err = synlog_configure(l);
	if (!err)
		return l;
out_free:
	synlog_close(l);
out:
	errno = -err;
	return NULL;
}

void synlog_close(struct synlog *l)
{
	if (!l)
		return;
	if (l->nl)
		mnl_socket_close(l->nl);
	free(l);
}

const struct synlog_counters *synlog_counters(const struct synlog *l)
{
	return &l->c;
}
