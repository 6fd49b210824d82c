/* Conntrack marks over ctnetlink: the update message the verdict loop
 * batches with its verdicts (a revocation), and the control thread's sweep
 * of the connections the kernel forwards by itself (docs/engine.md, "Live
 * flows when the policy changes"). */
#ifndef SW_DATAPATH_CTMARK_H
#define SW_DATAPATH_CTMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flow_key;

/* Room one update takes. */
#define CT_MARK_MSG_MAX 256

/* Writes into buf (CT_MARK_MSG_MAX bytes) an update (IPCTNL_MSG_CT_NEW
 * without NLM_F_CREATE) of the entry k's initiator opened: its ct mark's
 * SW_MARK_MASK bits set to mark. Returns its length. */
size_t ct_mark_msg(void *buf, uint32_t seq, const struct flow_key *k, uint32_t mark);

/* The most entries one sweep revokes: the rest keep the old verdict. */
#define CT_SWEEP_MAX 16384

struct ct_sweep_stats {
	unsigned revoked;	/* set to DENY: keep() said no */
	unsigned failed;	/* updates the kernel refused (not the entries gone) */
	int first_err;		/* the first of those, -errno */
	unsigned over;		/* refused beyond CT_SWEEP_MAX: still ALLOW */
};

/* Every conntrack entry of this network namespace whose mark is ALLOW
 * (the kernel forwards it by itself), by its original tuple: keep(ctx, k)
 * false gives it the DENY mark, so the forward chain drops the rest of
 * that connection. Runs off the verdict loop, on a netlink socket of its
 * own; the table is walked once, again only when the kernel cut the dump
 * (ENOBUFS), 4 dumps at most. Returns 0 or -errno (-ENOBUFS: cut every
 * time; what was read is revoked all the same); *st says the rest. */
int ct_sweep(bool (*keep)(void *ctx, const struct flow_key *k), void *ctx,
	     struct ct_sweep_stats *st);

#endif
