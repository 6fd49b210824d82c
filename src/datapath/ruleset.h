/* The kernel side of the datapath: our own nftables tables (or our own
 * iptables chain when the kernel has no native `nft queue`), installed by
 * scanwalld at start and left in place when it exits, so that a dead
 * engine means a closed wire, never an open one. docs/engine.md has the
 * full ruleset text and the reasons behind each line. */
#ifndef SW_ENGINE_RULESET_H
#define SW_ENGINE_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Mark bits, in the packet mark and in the conntrack mark. High bits,
 * away from the low bits that routing and tc setups customarily use;
 * every rule matches and writes them under SW_MARK_MASK only, so other
 * users of the mark keep their bits. */
#define SW_MARK_MASK	0x68000000u
#define SW_MARK_ALLOW	0x40000000u	/* engine settled the flow: kernel forwards */
#define SW_MARK_DENY	0x20000000u	/* flow refused for good: kernel drops */
#define SW_MARK_OPEN	0x60000000u	/* flow inspected: kernel passes its bare ACKs */
/* With OPEN: the acceptor's SYN-ACK (no payload, reply direction) passes
 * in the kernel too; the engine knows its bridge port already. */
#define SW_MARK_SYNACK	0x08000000u
/* Packet mark only, never the ct mark: the xt backend's inet chain judged
 * the packet passable, and the iptables chain that queues lets it go. */
#define SW_MARK_PASS	0x10000000u

#define SW_RULESET_NAME	"scanwall"	/* nft tables; the iptables chain is SCANWALL */

enum ruleset_backend {
	RULESET_AUTO,	/* probe: nft when it can queue, else iptables */
	RULESET_NFT,	/* one `nft -f` transaction: inet + bridge tables */
	RULESET_XT,	/* iptables/ip6tables-restore chain that queues, then
			 * nft inet (judges, marks PASS) + bridge tables */
};

/* The texts ruleset_render() produces. */
enum ruleset_doc {
	RULESET_DOC_NFT_INET,	/* table inet scanwall (queue statement) */
	RULESET_DOC_NFT_INET_XT, /* the same without queue: marks PASS for the xt chain */
	RULESET_DOC_NFT_BRIDGE,	/* table bridge scanwall: ethertype filter */
	RULESET_DOC_IPT4,	/* iptables-restore --noflush input */
	RULESET_DOC_IPT6,	/* ip6tables-restore --noflush input */
	RULESET_DOC_NFT_FLUSH,	/* deletes both nft tables, present or not */
	RULESET_DOC_IPT_FLUSH,	/* deletes the SCANWALL chain and its jump */
	RULESET_DOC__COUNT
};

struct pol;

struct ruleset_caps {
	bool nft_queue;		/* nft can load a `queue` statement (CONFIG_NFT_QUEUE) */
	bool xt_queue;		/* iptables -j NFQUEUE loads (in a scratch netns) */
	bool xt6_queue;		/* ip6tables -j NFQUEUE loads */
};

/* A device address: ARP is then let through only to and from these. */
struct ruleset_addr {
	uint8_t af;		/* SW_AF_INET or SW_AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
};

#define RULESET_DEVICES_MAX 64

struct ruleset_cfg {
	uint16_t queue;		/* first NFQUEUE number */
	uint16_t queues;	/* >1: balanced over queue..queue+queues-1 */
	bool ipv6;		/* false: the bridge drops the IPv6 ethertype */
	enum ruleset_backend backend;
	/* A connection's first SYN (no payload can be told apart in every
	 * rule language here, so: SYN alone among SYN, ACK, FIN, RST) goes to
	 * queue + queues, which the engine serves beside the others: a flood
	 * of new connections fills that queue, not the one established
	 * flows wait in. */
	bool syn_queue;
	/* Render only: the FORWARD chain already jumps to SCANWALL, so the
	 * IPT documents delete that jump in the same transaction. */
	bool xt_jump_present;
	/* Its block/reject rules and default go into the kernel (rspolicy.c);
	 * NULL: every new connection is queued. */
	const struct pol *pol;
	unsigned n_devices;	/* 0: any ARP passes */
	struct ruleset_addr devices[RULESET_DEVICES_MAX];
};

void ruleset_cfg_default(struct ruleset_cfg *cfg);

/* Writes one document, NUL-terminated, into buf. Returns its length or
 * -ENOSPC, -EINVAL. Pure: no process is started, so it is unit-testable. */
int ruleset_render(const struct ruleset_cfg *cfg, enum ruleset_doc doc, char *buf, size_t n);

/* ruleset_bridge_nf(), probe, then installs atomically: the old rules stay
 * in force until the new ones are committed, in one transaction per tool.
 * Idempotent. Returns 0 or -errno (messages on stderr). */
int ruleset_install(const struct ruleset_cfg *cfg);

/* What an install of cfg would load, rendered and tested (nft check
 * mode) without changing the kernel: the apply path's prepare step.
 * Returns 0 or -errno. */
int ruleset_check(const struct ruleset_cfg *cfg);

/* The kernel's hit counters of the policy's fixed verdicts (read with
 * `nft list counters`, on the control path): cb gets each one, index =
 * the rule's, pol_rule_count() for the default. They count what the
 * kernel dropped, not the sample it let through to the engine. pol must
 * be the policy the ruleset was installed with. Returns 0 or -errno. */
int ruleset_read_hits(const struct pol *pol,
		      void (*cb)(void *ctx, unsigned index, uint64_t packets), void *ctx);

/* Removes our tables, chain and jump (`scanwalld --flush`); other people's
 * rules are not touched. Returns 0 or -errno. */
int ruleset_flush(void);

#endif
