/* The conntrack sweep's bookkeeping, without a kernel: the entries a dump
 * hands over (here the update message, which carries the same original
 * tuple) go to the bounded list of refused ones, and what does not fit is
 * counted; the acknowledgements of the updates count a revocation only
 * when the kernel made it. ctmark.c is included to reach its statics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "datapath/ctmark.c"

static bool keep_none(void *ctx, const struct flow_key *k)
{
	(void)ctx;
	(void)k;
	return false;
}

static void key(struct flow_key *k, uint8_t last)
{
	memset(k, 0, sizeof(*k));
	k->af = SW_AF_INET;
	k->proto = IPPROTO_TCP;
	memcpy(k->src, (uint8_t[]){ 10, 77, 0, last }, 4);
	memcpy(k->dst, (uint8_t[]){ 10, 77, 1, 15 }, 4);
	k->sport = 40000;
	k->dport = 8080;
}

/*   entry 1 ─▶ refused[0]      (room 1)
 *   entry 2 ─▶ over = 1        (no room: keeps ALLOW, counted) */
static void test_refused_beyond_room_counted(void **state)
{
	char buf[CT_MARK_MSG_MAX];
	struct flow_key k, got[1];
	struct ct_sweep_stats st = { 0 };
	struct ct_sweep s = { .keep = keep_none, .st = &st, .refused = got, .room = 1 };

	key(&k, 1);
	ct_mark_msg(buf, 1, &k, SW_MARK_ALLOW);
	assert_int_equal(ct_entry_cb((struct nlmsghdr *)buf, &s), MNL_CB_OK);
	assert_int_equal(s.n, 1);
	assert_memory_equal(&got[0], &k, sizeof(k));
	key(&k, 2);
	ct_mark_msg(buf, 2, &k, SW_MARK_ALLOW);
	assert_int_equal(ct_entry_cb((struct nlmsghdr *)buf, &s), MNL_CB_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(st.over, 1);
}

static size_t put_ack(char *buf, int error)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(h, sizeof(*e));

	h->nlmsg_type = NLMSG_ERROR;
	e->error = error;
	return h->nlmsg_len;
}

/*   ack 0 ─▶ revoked   ack -ENOENT ─▶ gone, no error
 *   ack -EPERM ─▶ failed, first_err   another message ─▶ not an ack */
static void test_acks_count_what_the_kernel_did(void **state)
{
	char buf[1024];
	size_t len = 0;
	struct ct_sweep_stats st = { 0 };
	struct nlmsghdr *other;

	len += put_ack(buf + len, 0);
	len += put_ack(buf + len, -ENOENT);
	len += put_ack(buf + len, -EPERM);
	len += put_ack(buf + len, -EBUSY);
	other = mnl_nlmsg_put_header(buf + len);
	other->nlmsg_type = NLMSG_DONE;
	len += other->nlmsg_len;
	assert_int_equal(ct_acks(buf, len, &st), 4);
	assert_int_equal(st.revoked, 1);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.first_err, -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_beyond_room_counted),
		cmocka_unit_test(test_acks_count_what_the_kernel_did),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
