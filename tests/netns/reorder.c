/* tests/netns/reorder.c: reorders a test host's outgoing packets on
 * purpose, through NFQUEUE. Every Nth queued packet waits until the next
 * one has gone (or 20 ms have passed), so the pair leaves swapped. veth's
 * per-CPU backlogs do this by chance; this does it every run, so that the
 * box's handling of segments beyond a gap is tested, not hoped for.
 *
 *   reorder QUEUE N COUNTFILE     until SIGTERM; then writes the number of
 *                                 swapped pairs to COUNTFILE
 *
 *   host OUTPUT ─ NFQUEUE QUEUE ─ reorder: 1 2 3 [4] 5 → 1 2 3 5 4 ─ wire
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

static volatile sig_atomic_t stop;

struct ro {
	struct mnl_socket *nl;
	uint16_t queue;
	unsigned every, count, swapped;
	uint32_t held;		/* id + 1 of the packet waiting, 0 none */
};

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int send_msg(struct ro *r, struct nlmsghdr *nlh)
{
	return mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

static int accept_id(struct ro *r, uint32_t id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, r->queue);

	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	return send_msg(r, nlh);
}

static int on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct ro *r = data;
	uint32_t id;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_ERROR;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	if (!r->held && ++r->count % r->every == 0) {
		r->held = id + 1;
		return MNL_CB_OK;
	}
	if (accept_id(r, id))
		return MNL_CB_ERROR;
	if (r->held) {
		if (accept_id(r, r->held - 1))
			return MNL_CB_ERROR;
		r->held = 0;
		r->swapped++;
	}
	return MNL_CB_OK;
}

static int bind_queue(struct ro *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, r->queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	err = send_msg(r, nlh);
	if (err)
		return err;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, r->queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_META, 0);	/* ids are all we need */
	return send_msg(r, nlh);
}

static int run(struct ro *r)
{
	static char buf[0x10000 + 4096];
	struct pollfd pfd = { .fd = mnl_socket_get_fd(r->nl), .events = POLLIN };
	int n, err = 0;

	while (!stop && !err) {
		n = poll(&pfd, 1, 20);
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		if (n == 0) {		/* nothing came after it: let it go */
			if (r->held)
				err = accept_id(r, r->held - 1);
			r->held = 0;
			continue;
		}
		n = (int)mnl_socket_recvfrom(r->nl, buf, sizeof(buf));
		if (n < 0)
			return errno == ENOBUFS || errno == EINTR ? 0 : -errno;
		if (mnl_cb_run(buf, (size_t)n, 0, 0, on_packet, r) < 0)
			err = -EPROTO;
	}
	return err;
}

int main(int argc, char **argv)
{
	struct ro r = { 0 };
	struct sigaction sa = { .sa_handler = on_term };
	FILE *out;
	int err;

	if (argc != 4 || (r.every = (unsigned)atoi(argv[2])) < 2) {
		fprintf(stderr, "usage: reorder QUEUE N COUNTFILE   (N >= 2)\n");
		return 2;
	}
	r.queue = (uint16_t)atoi(argv[1]);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	r.nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!r.nl || mnl_socket_bind(r.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("reorder: netlink");
		return 1;
	}
	err = bind_queue(&r) ?: run(&r);
	if (r.held)		/* the kernel would drop it with the queue */
		accept_id(&r, r.held - 1);
	mnl_socket_close(r.nl);
	out = fopen(argv[3], "w");
	if (out) {
		fprintf(out, "%u\n", r.swapped);
		fclose(out);
	}
	if (err)
		fprintf(stderr, "reorder: %s\n", strerror(-err));
	return err ? 1 : 0;
}
