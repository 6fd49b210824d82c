/* The NFQUEUE glue (nfq.c) without the kernel's packets: the queue is
 * bound in a network namespace of its own, then a socketpair takes the
 * place of its netlink socket, and the test writes packet messages into it
 * as the kernel would (the verdicts sent back fail on it: -EINVAL).
 *
 *   test ──NFQNL_MSG_PACKET──▶ [socketpair] ──▶ nfqueue_receive(q, now) ──▶ engine
 *
 * Every packet of a batch runs on the clock the loop read for the batch
 * (no clock per packet), and the SYN queue takes nothing but a bare SYN. */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "scanwall/bootclock.h"
#include "scanwall/engine.h"
#include "datapath/nfq.h"
#include "pktgen.h"

#define SEC 1000000000ull

static const char policy[] =
	"device scp 10.0.0.2 ae SCP\n"
	"peer pacs 10.0.0.1 ae PACS\n"
	"allow dicom from pacs to scp port 104 services verification\n"
	"default block\n";

struct fx {
	struct eng *e;
	struct nfqueue *q;
	int kernel;		/* the test's end of the socketpair */
};

static int setup(void **state)
{
	static const struct eng_ops ops = { 0 };
	static struct fx fx;
	struct eng_cfg cfg;
	int sp[2];

	if (unshare(CLONE_NEWNET) < 0)
		skip();		/* not root: no namespace, no queue */
	eng_cfg_default(&cfg);
	cfg.flows = 64;
	cfg.assocs = 4;
	cfg.rq_bufs = 2;
	fx.e = eng_new(&cfg, &ops, NULL);
	assert_non_null(fx.e);
	assert_int_equal(eng_set_policy(fx.e, pol_parse("t", policy, sizeof(policy) - 1, stderr)),
			 0);
	fx.q = nfqueue_open(7);
	if (!fx.q)
		skip();		/* no nfnetlink_queue in this kernel */
	nfqueue_attach(fx.q, fx.e);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp), 0);
	assert_int_equal(dup2(sp[1], nfqueue_fd(fx.q)), nfqueue_fd(fx.q));
	close(sp[1]);
	fx.kernel = sp[0];
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	nfqueue_close(fx->q);
	eng_free(fx->e);
	close(fx->kernel);
	return 0;
}

/* One packet message, as the kernel queues it, packet id `id`. */
static void queue_pkt(struct fx *fx, uint32_t id, const struct tpkt *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nfqnl_msg_packet_hdr ph = { .packet_id = htonl(id), .hw_protocol = htons(0x0800),
					   .hook = NF_INET_FORWARD };
	uint8_t l3[256];
	size_t n = tpkt_build(l3, t);

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(7);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFQA_PAYLOAD, n, l3);
	assert_int_equal(send(fx->kernel, buf, nlh->nlmsg_len, 0), (ssize_t)nlh->nlmsg_len);
}

/* A SYN received in a batch the loop timed 1000 s ahead of the clock: the
 * engine sees that time, not the clock's (10 s later its flow is alive;
 * the clock's time would make it 1010 s idle). */
static void batch_runs_on_the_time_passed_in(void **state)
{
	struct fx *fx = *state;
	struct tpkt syn = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 40000, 104, 1, 0, 0x02 };
	uint64_t batch = sw_clock_ns(CLOCK_MONOTONIC) + 1000 * SEC;

	queue_pkt(fx, 1, &syn);
	assert_int_equal(nfqueue_receive(fx->q, batch), -EINVAL);
	assert_int_equal(eng_counters(fx->e)->packets, 1);
	eng_expire(fx->e, batch + 10 * SEC);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
	eng_expire(fx->e, batch + 100 * SEC);
	assert_int_equal(eng_counters(fx->e)->flows_live, 0);
}

/* The SYN queue: anything but a bare SYN is dropped before the engine;
 * the SYN is judged (from the parse that checked it). */
static void syn_queue_takes_bare_syns(void **state)
{
	struct fx *fx = *state;
	struct tpkt ack = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 40000, 104, 1, 1, 0x10 };
	struct tpkt syn = { "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 40001, 104, 1, 0, 0x02 };

	nfqueue_syn_only(fx->q);
	queue_pkt(fx, 1, &ack);
	queue_pkt(fx, 2, &syn);
	assert_int_equal(nfqueue_receive(fx->q, sw_clock_ns(CLOCK_MONOTONIC)), -EINVAL);
	assert_int_equal(nfqueue_counters(fx->q)->malformed, 1);
	assert_int_equal(eng_counters(fx->e)->packets, 1);
	assert_int_equal(eng_counters(fx->e)->flows_live, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(batch_runs_on_the_time_passed_in, setup, teardown),
		cmocka_unit_test_setup_teardown(syn_queue_takes_bare_syns, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
