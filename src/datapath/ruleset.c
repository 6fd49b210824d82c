/* The kernel ruleset: rendered as text, loaded by nft or iptables-restore.
 *
 * Why text and the command-line tools rather than our own nf_tables
 * netlink: the tools give one atomic transaction per file for free
 * (`nft -f`, `iptables-restore --noflush`), the text is what an operator
 * reads in `nft list ruleset` and what the unit test checks, and the
 * iptables fallback needs the xt NFQUEUE target, which only iptables-nft
 * knows how to encode. The tools run with fixed argument vectors; the only
 * data in the documents are numbers and addresses we format ourselves. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scanwall/deadlines.h"
#include "scanwall/flowkey.h"
#include "scanwall/policy.h"
#include "scanwall/sbuf.h"
#include "datapath/ruleset.h"
#include "datapath/rspolicy.h"

#define RS_CHAIN "SCANWALL"
#define RS_DOC_MAX (4 * 1024 * 1024)	/* the policy's sets (RS_POL_ELEMS_MAX) three times */

/* --- rendering ----------------------------------------------------------- */

static const unsigned rs_nd_types[] = { 133, 134, 135, 136 };

/* No `bypass`: with no engine bound the kernel drops (fail closed). A
 * range balances by a hash of the addresses, which is symmetric, so both
 * directions of a flow reach the same engine; `fanout` (by CPU) would
 * split a flow between engines and is not used. A connection's SYN goes
 * to the queue after them (ruleset_cfg.syn_queue). */
static void rs_nft_queue(struct sbuf *o, const struct ruleset_cfg *c)
{
	if (c->syn_queue)
		sb_put(o, "\t\ttcp flags & (fin | syn | rst | ack) == syn queue num %u\n",
		       c->queue + c->queues);
	if (c->queues > 1)
		sb_put(o, "\t\tqueue num %u-%u\n", c->queue, c->queue + c->queues - 1u);
	else
		sb_put(o, "\t\tqueue num %u\n", c->queue);
}

/* A bare ACK (no SYN, FIN, RST or URG, not one payload byte) of an inspected
 * flow passes in the kernel: it carries nothing to inspect, and in a bulk
 * transfer every other queued packet would be one. "No payload" is the IP
 * length equal to the headers' own, spelled out per TCP header length
 * (20 to 60 bytes): no rule language here can compare two fields. IPv4
 * with IP options and IPv6 with extension headers are simply queued.
 *
 * The test has a chain of its own, entered only by ct mark OPEN, and its
 * first rules send every data segment back at once: a segment of a bulk
 * transfer costs three comparisons here, not eleven rules. Data offset 8
 * (the timestamp option every modern stack sends) is tried first. */
static const unsigned rs_doffs[] = { 8, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15 };
#define RS_V4_HDRS_MAX 80	/* IPv4 without options + the longest TCP header */
#define RS_V6_PAYLOAD_MAX 60	/* IPv6 payload: the longest TCP header */

static void rs_nft_open_chains(struct sbuf *o, const char *pass)
{
	sb_put(o, "\tchain open {\n");
	sb_put(o, "\t\tip length > %u return\n", RS_V4_HDRS_MAX);
	sb_put(o, "\t\tip6 length > %u return\n", RS_V6_PAYLOAD_MAX);
	sb_put(o, "\t\ttcp flags & (fin | syn | rst | ack | urg) == ack goto bare\n");
	/* The acceptor's SYN-ACK, when the engine knows its port already
	 * (hostport.c): the answer to the SYN the engine let through. */
	sb_put(o, "\t\ttcp flags & (fin | syn | rst | ack | urg) == syn | ack "
		  "ct mark & 0x%08x == 0x%08x ct direction reply counter goto bare\n",
		  SW_MARK_SYNACK, SW_MARK_SYNACK);
	sb_put(o, "\t}\n\tchain bare {\n");
	for (unsigned i = 0; i < sizeof(rs_doffs) / sizeof(rs_doffs[0]); i++) {
		unsigned d = rs_doffs[i];

		sb_put(o, "\t\tip hdrlength 5 ip length %u tcp doff %u counter %s\n", 20 + 4 * d, d,
		       pass);
		sb_put(o, "\t\tip6 nexthdr tcp ip6 length %u tcp doff %u counter %s\n", 4 * d, d, pass);
	}
	sb_put(o, "\t}\n");
}

/* The marks our NF_REPEAT verdicts carry (nfq.c), each saved whole. */
static const uint32_t rs_verdict_marks[] = {
	SW_MARK_ALLOW, SW_MARK_OPEN, SW_MARK_OPEN | SW_MARK_SYNACK,
};

/* What the inet table's rules do with a packet they pass. On the nft
 * backend the table is the whole filter, and accept is the answer. On the
 * xt backend it runs ahead of the iptables chain that queues (the kernel
 * has no native queue statement), and an accept here would only end this
 * chain: the packet is marked PASS instead, and the iptables chain's
 * first test lets it go. Each test is then a native expression; as xt
 * matches in the iptables chain (connmark, length, u32, through the nft
 * compat layer) they cost a tenth of the box's CPU in a bulk transfer.
 * The bit is spelled out for the string; the assertion below keeps it
 * SW_MARK_PASS. */
#define RS_PASS_XT(bit) "meta mark set meta mark | " #bit " accept"
_Static_assert(SW_MARK_PASS == 0x10000000u, "RS_PASS_XT's argument must be SW_MARK_PASS");

/* The start of a table's replacement, in the same transaction as the new
 * table: the old one stays in force until the commit. It is declared
 * (created the first time) and emptied, its base chains never deleted:
 * when a netfilter hook goes away the kernel drops every packet waiting
 * in every NFQUEUE of the namespace (nf_queue_nf_hook_drop), and a reload
 * must not cost the packets queued at that instant, nor those the engine
 * holds.
 * The document then defines the rest again into the emptied table
 * (rs_policy_reset() first deletes what must start empty). */
static void rs_nft_replace(struct sbuf *o, const struct ruleset_cfg *c, const char *family)
{
	sb_put(o, "add table %s " SW_RULESET_NAME "\nflush table %s " SW_RULESET_NAME "\n", family,
	       family);
	rs_policy_reset(o, c, family);
}

static void rs_nft_inet(struct sbuf *o, const struct ruleset_cfg *c, bool xt)
{
	const char *pass = xt ? RS_PASS_XT(0x10000000) : "accept";
	char hook[64];

	snprintf(hook, sizeof(hook), "type filter hook forward priority -10; policy %s;",
		 xt ? "accept" : "drop");
	rs_nft_replace(o, c, "inet");
	sb_put(o, "table inet " SW_RULESET_NAME " {\n\tchain forward {\n");
	sb_put(o, "\t\t%s\n", hook);
	/* An NF_REPEAT verdict runs its own hook's chain again: on the xt
	 * backend that is the iptables chain, which saves these itself. */
	for (unsigned i = 0; !xt && i < sizeof(rs_verdict_marks) / sizeof(rs_verdict_marks[0]); i++)
		sb_put(o, "\t\tmeta mark & 0x%08x == 0x%08x ct mark set ct mark & 0x%08x | 0x%08x accept\n",
		       SW_MARK_MASK, rs_verdict_marks[i], ~SW_MARK_MASK, rs_verdict_marks[i]);
	/* Counted: how much the kernel forwards for the engine, in `nft
	 * list ruleset` and in the netns test. */
	sb_put(o, "\t\tct mark & 0x%08x == 0x%08x counter %s\n", SW_MARK_MASK, SW_MARK_ALLOW, pass);
	sb_put(o, "\t\tct mark & 0x%08x == 0x%08x counter drop\n", SW_MARK_MASK, SW_MARK_DENY);
	/* OPEN, with or without SYNACK */
	sb_put(o, "\t\tct mark & 0x%08x == 0x%08x meta l4proto tcp jump open\n", SW_MARK_OPEN,
	       SW_MARK_OPEN);
	/* On the xt backend the iptables chain passes ND; here it only
	 * keeps ND out of the policy chain. */
	if (!xt || c->pol)
		sb_put(o, "\t\ticmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
			  "nd-neighbor-advert } ip6 hoplimit 255 accept\n");
	rs_policy_jump(o, c);
	if (!xt)
		rs_nft_queue(o, c);
	sb_put(o, "\t}\n");
	rs_nft_open_chains(o, pass);
	rs_policy_chains(o, c);
	sb_put(o, "}\n");
}

static void rs_nft_arp(struct sbuf *o, const struct ruleset_cfg *c)
{
	static const char *const dir[] = { "arp daddr ip", "arp saddr ip" };
	unsigned v4 = 0;

	for (unsigned i = 0; i < c->n_devices; i++)
		v4 += c->devices[i].af == SW_AF_INET;
	if (!v4) {
		sb_put(o, "\t\tether type arp accept\n");
		return;
	}
	/* To a device (requests, replies to it) and from it (its own). */
	for (unsigned d = 0; d < 2; d++) {
		sb_put(o, "\t\tether type arp ");
		rs_device_set(o, c, SW_AF_INET, dir[d]);
		sb_put(o, "accept\n");
	}
}

static void rs_nft_bridge(struct sbuf *o, const struct ruleset_cfg *c)
{
	/* Priority -200 is the bridge family's filter slot. The policy drops
	 * every other ethertype, VLAN-tagged frames included: br_netfilter
	 * does not hand tagged frames to the inet hooks (bridge-nf-filter-
	 * vlan-tagged is 0), so a tagged frame would pass the engine unseen. */
	static const char hook[] = "type filter hook forward priority -200; policy drop;";

	rs_nft_replace(o, c, "bridge");
	sb_put(o, "table bridge " SW_RULESET_NAME " {\n\tchain forward {\n");
	sb_put(o, "\t\t%s\n", hook);
	/* Every data frame crosses this chain: IPv4 first, with one compare
	 * (the types are disjoint, so the order changes nothing else). */
	sb_put(o, "\t\tether type ip accept\n");
	if (c->ipv6)
		sb_put(o, "\t\tether type ip6 accept\n");
	rs_nft_arp(o, c);
	sb_put(o, "\t}\n");
	rs_policy_bridge(o, c);
	sb_put(o, "}\n");
}

static const struct {
	uint32_t mark, under;
} rs_ipt_saves[] = {
	{ SW_MARK_ALLOW, SW_MARK_MASK },
	{ SW_MARK_OPEN, SW_MARK_OPEN },
};

static void rs_ipt(struct sbuf *o, const struct ruleset_cfg *c, int af)
{
	/* Naming the chain flushes it under --noflush; the jump from FORWARD
	 * is deleted and put back first, in the same transaction, so it ends
	 * up exactly once and ahead of anyone's ACCEPT. */
	sb_put(o, "*filter\n:" RS_CHAIN " - [0:0]\n");
	/* First what the inet table's chain judged (RS_PASS_XT): the common
	 * case. A queued packet never carries the bit. */
	sb_put(o, "-A " RS_CHAIN " -m mark --mark 0x%08x/0x%08x -j ACCEPT\n", SW_MARK_PASS,
	       SW_MARK_PASS);
	/* Then the marks of our own NF_REPEAT verdicts, saved under the whole
	 * mask: ALLOW exactly; OPEN with or without SYNACK, so the bit goes
	 * with it or a stale one is cleared. */
	for (unsigned i = 0; i < sizeof(rs_ipt_saves) / sizeof(rs_ipt_saves[0]); i++) {
		uint32_t m = rs_ipt_saves[i].mark, under = rs_ipt_saves[i].under;

		sb_put(o, "-A " RS_CHAIN " -m mark --mark 0x%08x/0x%08x -j CONNMARK --save-mark "
			  "--mask 0x%08x\n", m, under, SW_MARK_MASK);
		sb_put(o, "-A " RS_CHAIN " -m mark --mark 0x%08x/0x%08x -j ACCEPT\n", m, under);
	}
	for (unsigned i = 0; af == 6 && i < sizeof(rs_nd_types) / sizeof(rs_nd_types[0]); i++)
		sb_put(o, "-A " RS_CHAIN " -p ipv6-icmp -m icmp6 --icmpv6-type %u -m hl --hl-eq 255 "
			  "-j ACCEPT\n", rs_nd_types[i]);
	if (c->syn_queue)
		sb_put(o, "-A " RS_CHAIN " -p tcp --tcp-flags FIN,SYN,RST,ACK SYN -j NFQUEUE "
			  "--queue-num %u\n", c->queue + c->queues);
	if (c->queues > 1)
		sb_put(o, "-A " RS_CHAIN " -j NFQUEUE --queue-balance %u:%u\n", c->queue,
		       c->queue + c->queues - 1u);
	else
		sb_put(o, "-A " RS_CHAIN " -j NFQUEUE --queue-num %u\n", c->queue);
	if (c->xt_jump_present)
		sb_put(o, "-D FORWARD -j " RS_CHAIN "\n");
	sb_put(o, "-I FORWARD 1 -j " RS_CHAIN "\nCOMMIT\n");
}

static void rs_render_doc(struct sbuf *o, const struct ruleset_cfg *c, enum ruleset_doc doc)
{
	switch (doc) {
	case RULESET_DOC_NFT_INET:
	case RULESET_DOC_NFT_INET_XT:
		rs_nft_inet(o, c, doc == RULESET_DOC_NFT_INET_XT);
		break;
	case RULESET_DOC_NFT_BRIDGE:
		rs_nft_bridge(o, c);
		break;
	case RULESET_DOC_IPT4:
	case RULESET_DOC_IPT6:
		rs_ipt(o, c, doc == RULESET_DOC_IPT6 ? 6 : 4);
		break;
	case RULESET_DOC_NFT_FLUSH:
		sb_put(o, "table inet " SW_RULESET_NAME "\ndelete table inet " SW_RULESET_NAME "\n"
			  "table bridge " SW_RULESET_NAME "\ndelete table bridge " SW_RULESET_NAME "\n");
		break;
	case RULESET_DOC_IPT_FLUSH:
		sb_put(o, "*filter\n:" RS_CHAIN " - [0:0]\n%s-X " RS_CHAIN "\nCOMMIT\n",
		       c->xt_jump_present ? "-D FORWARD -j " RS_CHAIN "\n" : "");
		break;
	default:
		o->err = -EINVAL;
	}
}

int ruleset_render(const struct ruleset_cfg *cfg, enum ruleset_doc doc, char *buf, size_t n)
{
	struct sbuf o = { .p = buf, .size = n };

	if (!n || cfg->queues < 1 || cfg->queue + cfg->queues - (cfg->syn_queue ? 0u : 1u) > 65535u ||
	    cfg->n_devices > RULESET_DEVICES_MAX)
		return -EINVAL;
	buf[0] = '\0';
	rs_render_doc(&o, cfg, doc);
	if (o.err)
		buf[0] = '\0';
	return o.err ? o.err : (int)o.len;
}

void ruleset_cfg_default(struct ruleset_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->queues = 1;
	cfg->ipv6 = true;
}

/* --- running the tools --------------------------------------------------- */

enum { RS_QUIET = 1, RS_SCRATCH_NETNS = 2 };

/* Every tool gets what is left of its operation's SW_TOOLS_OP_S
 * (deadlines.h: a check, an install or a read of the counters, all its
 * tools together), and never more than rs_tool_timeout_s: the control
 * thread waits for it, and its clients wait at most as long, so a wedged
 * tool must cost a refused reload, not a wedged control socket and bundle
 * store. iptables waits for the xtables lock RS_XT_LOCK_WAIT of it.
 * Variables so that a test can shorten them. */
static unsigned rs_tool_timeout_s = SW_TOOLS_OP_S;
static uint64_t rs_op_end_ns;		/* CLOCK_MONOTONIC; 0: no operation */
#define RS_XT_LOCK_WAIT "5"

static uint64_t rs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The start of an operation: its tools share SW_TOOLS_OP_S from here. */
static void rs_op_begin(void)
{
	rs_op_end_ns = rs_now_ns() + (uint64_t)SW_TOOLS_OP_S * 1000000000u;
}

/* Whole seconds a tool may run now, 0: the operation's time is up. */
static unsigned rs_tool_secs(void)
{
	uint64_t now = rs_now_ns(), left;

	if (!rs_op_end_ns)
		return rs_tool_timeout_s;
	if (now >= rs_op_end_ns)
		return 0;
	left = (rs_op_end_ns - now + 999999999u) / 1000000000u;
	return left < rs_tool_timeout_s ? (unsigned)left : rs_tool_timeout_s;
}

static const char *const rs_dirs[] = { "/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/" };
#define RS_NDIRS (sizeof(rs_dirs) / sizeof(rs_dirs[0]))

/* A tool running: its pid and the end of its time (CLOCK_MONOTONIC),
 * which the runner keeps from here (the child of posix_spawn cannot arm
 * an alarm of its own). */
struct rs_tool {
	pid_t pid;
	uint64_t end_ns;
};

/* Milliseconds left of the tool's time, for poll(). */
static int rs_ms_left(const struct rs_tool *t)
{
	uint64_t now = rs_now_ns();

	return now >= t->end_ns ? 0 : (int)((t->end_ns - now + 999999u) / 1000000u);
}

struct rs_exec {
	const char *const *argv;
	const posix_spawn_file_actions_t *fa;
	const posix_spawnattr_t *attr;
	bool scratch;		/* in a network namespace of its own */
	pid_t pid;
	int err;		/* a positive errno */
};

/* The tool is named bare and PATH is not trusted: each directory of
 * rs_dirs in turn. With scratch, on a thread of its own (pthread arg):
 * a network namespace is per thread, the child inherits the thread's,
 * and the thread ends with the spawn, so nothing else ever runs in it. */
static void *rs_exec_dirs(void *arg)
{
	struct rs_exec *x = arg;
	char path[128];
	int first = ENOENT;	/* the first error that is not "not here" */

	if (x->scratch && unshare(CLONE_NEWNET) < 0) {
		x->err = errno;
		return NULL;
	}
	for (unsigned i = 0; i < RS_NDIRS; i++) {
		snprintf(path, sizeof(path), "%s%s", rs_dirs[i], x->argv[0]);
		x->err = posix_spawn(&x->pid, path, x->fa, x->attr, (char *const *)x->argv, environ);
		/* started, or no process to start it in: an exec's failure
		 * tries the next directory */
		if (!x->err || x->err == EAGAIN || x->err == ENOMEM)
			return NULL;
		if (first == ENOENT)
			first = x->err;	/* EACCES says more than the next ENOENT */
	}
	x->err = first;
	return NULL;
}

/* The tool's stdin (in_fd, or /dev/null), stdout (out_fd, or inherited;
 * /dev/null with stderr when RS_QUIET), an empty signal mask and every
 * signal at its default: the engine blocks its signals for the
 * signalfds and ignores SIGPIPE, and the tools must not inherit that. A
 * process group of its own: at the deadline, what the tool started is
 * ended with it (rs_wait); a tool that exits in time leaves its own. */
static int rs_spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, int in_fd,
			  int out_fd, int flags)
{
	sigset_t none, all;
	int err;

	sigemptyset(&none);
	sigfillset(&all);
	err = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					     POSIX_SPAWN_SETPGROUP) ?:
	      posix_spawnattr_setpgroup(attr, 0) ?:
	      posix_spawnattr_setsigmask(attr, &none) ?:
	      posix_spawnattr_setsigdefault(attr, &all);
	if (!err)
		err = in_fd >= 0 ? posix_spawn_file_actions_adddup2(fa, in_fd, STDIN_FILENO)
				 : posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null",
								    O_RDONLY, 0);
	if (!err && (flags & RS_QUIET))
		err = posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0) ?:
		      posix_spawn_file_actions_adddup2(fa, STDOUT_FILENO, STDERR_FILENO);
	else if (!err && out_fd >= 0)
		err = posix_spawn_file_actions_adddup2(fa, out_fd, STDOUT_FILENO);
	return err;
}

/* The one place scanwalld starts a program (the ruleset's tools), on the
 * control thread while the verdict loop runs. posix_spawn, not fork(): a
 * fork would copy the page tables of the whole engine (holding the memory
 * map lock the loop's page faults need, and then a copy-on-write fault
 * for each page the loop writes). glibc's posix_spawn shares the memory
 * and suspends only this thread until the exec (CLONE_VFORK), with every
 * signal blocked and handlers reset in the child, so no handler of ours
 * runs in it. argv[0] is a bare tool name. 0 and *t, or -errno
 * (-ETIMEDOUT: the operation's time is up; -ENOENT: no such tool). */
static int rs_spawn(const char *const argv[], int in_fd, int out_fd, int flags, struct rs_tool *t)
{
	struct rs_exec x = { .argv = argv, .scratch = flags & RS_SCRATCH_NETNS };
	unsigned secs = rs_tool_secs();
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pthread_t tid;
	int err;

	if (!secs)
		return -ETIMEDOUT;
	t->end_ns = rs_now_ns() + (uint64_t)secs * 1000000000u;
	err = posix_spawn_file_actions_init(&fa);
	if (err)
		return -err;
	err = posix_spawnattr_init(&attr);
	if (err)
		goto out_fa;
	err = rs_spawn_setup(&fa, &attr, in_fd, out_fd, flags);
	if (err)
		goto out_attr;
	x.fa = &fa;
	x.attr = &attr;
	if (x.scratch)
		err = pthread_create(&tid, NULL, rs_exec_dirs, &x) ?: pthread_join(tid, NULL);
	else
		rs_exec_dirs(&x);
	err = err ?: x.err;
	t->pid = x.pid;
out_attr:
	posix_spawnattr_destroy(&attr);
out_fa:
	posix_spawn_file_actions_destroy(&fa);
	return -err;
}

/* Waits until fd is ready for events within the tool's time: 0,
 * -ETIMEDOUT or poll's -errno. */
static int rs_ready(int fd, short events, const struct rs_tool *t)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	while ((r = poll(&p, 1, rs_ms_left(t))) < 0)
		if (errno != EINTR)
			return -errno;
	return r ? 0 : -ETIMEDOUT;
}

#define RS_POLL_WAIT_MS 10

/* Without a pidfd (a kernel before 5.3, or fds exhausted): waitpid
 * without hanging, every RS_POLL_WAIT_MS, until the tool's time is up.
 * 1 exited (*st), -ETIMEDOUT or -errno. */
static int rs_wait_polled(const struct rs_tool *t, int *st)
{
	pid_t r;

	while ((r = waitpid(t->pid, st, WNOHANG)) <= 0) {
		if (r < 0 && errno != EINTR)
			return -errno;
		if (!rs_ms_left(t))
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ 0, RS_POLL_WAIT_MS * 1000000L }, NULL);
	}
	return 1;
}

/* Waits for the tool until the end of its time, then ends its process
 * group (SIGKILL: the tool and whatever it started): -ETIMEDOUT. 0 when
 * it exited 0, else -EIO. */
static int rs_wait(const struct rs_tool *t)
{
	int st, fd = pidfd_open(t->pid, 0);
	int err;

	if (fd < 0) {
		err = rs_wait_polled(t, &st);
	} else {
		err = rs_ready(fd, POLLIN, t);
		close(fd);
	}
	if (err < 0)
		kill(-t->pid, SIGKILL);
	/* reaped unless the polled wait did */
	while (err <= 0 && waitpid(t->pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return err < 0 ? err : WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* The tool's stdin, written within its time (fd does not block). */
static int rs_feed(int fd, const char *text, const struct rs_tool *t)
{
	size_t len = text ? strlen(text) : 0, off = 0;
	int err = 0;

	while (!err && off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w > 0)
			off += (size_t)w;
		else if (w == 0 || (errno != EINTR && errno != EAGAIN))
			err = -EIO;
		else if (errno == EAGAIN)
			err = rs_ready(fd, POLLOUT, t);
	}
	return err;
}

/* A pipe whose end of ours (end: 0 read, 1 write) does not block. */
static int rs_pipe(int p[2], int end)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if (fcntl(p[end], F_SETFL, O_NONBLOCK) == 0)
		return 0;
	close(p[0]);
	close(p[1]);
	return -errno;
}

/* Runs argv (a bare tool name in argv[0]) with text on its stdin and
 * returns 0 when it exits 0. */
static int rs_run(const char *const argv[], const char *text, int flags)
{
	struct rs_tool t;
	int p[2], err = rs_pipe(p, 1);

	if (err)
		return err;
	err = rs_spawn(argv, text ? p[0] : -1, -1, flags, &t);
	close(p[0]);
	if (err) {
		close(p[1]);
		return err;
	}
	err = rs_feed(p[1], text, &t);
	close(p[1]);
	return rs_wait(&t) ?: err;
}

/* Runs argv and reads its standard output into buf (NUL-terminated,
 * cut at n - 1 bytes) within its time. Returns 0 when it exits 0. */
static int rs_capture(const char *const argv[], char *buf, size_t n)
{
	struct rs_tool t;
	size_t len = 0;
	int p[2], err = rs_pipe(p, 0);

	if (err)
		return err;
	err = rs_spawn(argv, -1, p[1], 0, &t);
	close(p[1]);
	while (!err && len < n - 1 && !rs_ready(p[0], POLLIN, &t)) {
		ssize_t r = read(p[0], buf + len, n - 1 - len);

		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			break;
		len += r > 0 ? (size_t)r : 0;
	}
	buf[len] = '\0';
	close(p[0]);
	return err ?: rs_wait(&t);
}

static const char *const rs_nft_check[] = { "nft", "-c", "-f", "-", NULL };
static const char *const rs_nft_load[] = { "nft", "-f", "-", NULL };
static const char *const rs_ipt_load[][5] = {
	{ "iptables-restore", "-w", RS_XT_LOCK_WAIT, "--noflush", NULL },
	{ "ip6tables-restore", "-w", RS_XT_LOCK_WAIT, "--noflush", NULL },
};
static const char *const rs_ipt_has_jump[][8] = {
	{ "iptables", "-w", RS_XT_LOCK_WAIT, "-C", "FORWARD", "-j", RS_CHAIN, NULL },
	{ "ip6tables", "-w", RS_XT_LOCK_WAIT, "-C", "FORWARD", "-j", RS_CHAIN, NULL },
};
static const char *const rs_ipt_has_chain[][7] = {
	{ "iptables", "-w", RS_XT_LOCK_WAIT, "-n", "-L", RS_CHAIN, NULL },
	{ "ip6tables", "-w", RS_XT_LOCK_WAIT, "-n", "-L", RS_CHAIN, NULL },
};
static const char *const rs_nft_counters[] = {
	"nft", "list", "counters", NULL
};
static const char *const rs_modprobe[] = { "modprobe", "-q", "br_netfilter", NULL };

/* --- bridge netfilter ---------------------------------------------------- */

static const char *const rs_bridge_sysctls[] = {
	"/proc/sys/net/bridge/bridge-nf-call-iptables",
	"/proc/sys/net/bridge/bridge-nf-call-ip6tables",
};

static int rs_sysctl_one(const char *path)
{
	char v = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1\n", 2) != 2 || lseek(fd, 0, SEEK_SET) < 0 || read(fd, &v, 1) != 1)
		err = -errno ?: -EIO;
	else if (v != '1')
		err = -ENOTSUP;
	close(fd);
	return err;
}

/* Makes bridged traffic reach the inet hooks (br_netfilter, the
 * bridge-nf-call-ip(6)tables sysctls, read back). -ENOTSUP when it cannot:
 * a filter that the bridge bypasses is an open wire, so the caller refuses
 * to start. */
static int ruleset_bridge_nf(void)
{
	/* Built into some kernels (this one has no modules at all), so a
	 * failed modprobe is no error by itself: the read-back decides. */
	rs_run(rs_modprobe, NULL, RS_QUIET);
	for (unsigned i = 0; i < sizeof(rs_bridge_sysctls) / sizeof(rs_bridge_sysctls[0]); i++) {
		int err = rs_sysctl_one(rs_bridge_sysctls[i]);

		if (err) {
			fprintf(stderr, "scanwalld: %s cannot be set to 1 (%s): bridged traffic "
				"would bypass the filter; refusing to start\n",
				rs_bridge_sysctls[i], strerror(-err));
			return -ENOTSUP;
		}
	}
	return 0;
}

/* --- probe, install, flush ----------------------------------------------- */

static char *rs_doc(const struct ruleset_cfg *cfg, enum ruleset_doc a, enum ruleset_doc b,
		    int *err)
{
	char *buf = malloc(RS_DOC_MAX);
	int n;

	*err = -ENOMEM;
	if (!buf)
		return NULL;
	n = ruleset_render(cfg, a, buf, RS_DOC_MAX);
	if (n >= 0 && b != RULESET_DOC__COUNT)
		n = ruleset_render(cfg, b, buf + n, RS_DOC_MAX - (size_t)n);
	*err = n < 0 ? n : 0;
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int rs_run_doc(const char *const argv[], const struct ruleset_cfg *cfg,
		      enum ruleset_doc a, enum ruleset_doc b, int flags)
{
	int err;
	char *text = rs_doc(cfg, a, b, &err);

	if (!text)
		return err;
	err = rs_run(argv, text, flags);
	free(text);
	return err;
}

/* What this kernel can queue with. Starts nft in check mode and the
 * iptables-restore tools inside a throwaway network namespace, so the
 * probe leaves nothing behind. Returns 0 when at least one way works,
 * else -EOPNOTSUPP. */
static int ruleset_probe(struct ruleset_caps *caps)
{
	struct ruleset_cfg cfg;

	ruleset_cfg_default(&cfg);
	/* nft's check mode runs the transaction in the kernel and aborts it:
	 * a kernel without nft_queue fails it, and nothing is left behind. */
	caps->nft_queue = !rs_run_doc(rs_nft_check, &cfg, RULESET_DOC_NFT_INET,
				      RULESET_DOC__COUNT, RS_QUIET);
	/* iptables-restore --test does not reach the kernel, so the real
	 * thing is loaded where it harms nobody: a fresh network namespace. */
	caps->xt_queue = !rs_run_doc(rs_ipt_load[0], &cfg, RULESET_DOC_IPT4, RULESET_DOC__COUNT,
				     RS_QUIET | RS_SCRATCH_NETNS);
	caps->xt6_queue = !rs_run_doc(rs_ipt_load[1], &cfg, RULESET_DOC_IPT6, RULESET_DOC__COUNT,
				      RS_QUIET | RS_SCRATCH_NETNS);
	return caps->nft_queue || (caps->xt_queue && caps->xt6_queue) ? 0 : -EOPNOTSUPP;
}

/* Whether FORWARD jumps to our chain / the chain exists, in family f. */
static bool rs_xt_has(const char *const argv[])
{
	return rs_run(argv, NULL, RS_QUIET) == 0;
}

static int rs_xt_remove(void)
{
	struct ruleset_cfg c;
	int err = 0;

	ruleset_cfg_default(&c);
	for (unsigned f = 0; f < 2; f++) {
		if (!rs_xt_has(rs_ipt_has_chain[f]))
			continue;
		c.xt_jump_present = rs_xt_has(rs_ipt_has_jump[f]);
		err = rs_run_doc(rs_ipt_load[f], &c, RULESET_DOC_IPT_FLUSH, RULESET_DOC__COUNT, 0)
			?: err;
	}
	return err;
}

static int rs_install_nft(const struct ruleset_cfg *cfg)
{
	/* inet and bridge tables in one file: one transaction for both. */
	int err = rs_run_doc(rs_nft_load, cfg, RULESET_DOC_NFT_INET, RULESET_DOC_NFT_BRIDGE, 0);

	/* Only once ours is in: an earlier iptables-backend chain would
	 * still queue to the same engine, and now goes. The transaction is
	 * committed by then, so a chain that cannot go is not a failed
	 * install (the caller would keep the old policy in the engine while
	 * the kernel holds the new one): it queues to the engine, which
	 * judges by the new policy: slower, never more open. */
	if (!err && rs_xt_remove() < 0)
		fprintf(stderr, "ruleset: an old iptables chain could not be removed; it still queues\n");
	return err;
}

static int rs_install_xt(const struct ruleset_cfg *cfg)
{
	struct ruleset_cfg c = *cfg;
	int err = 0;

	for (unsigned f = 0; f < 2 && !err; f++) {
		c.xt_jump_present = rs_xt_has(rs_ipt_has_jump[f]);
		err = rs_run_doc(rs_ipt_load[f], &c, f ? RULESET_DOC_IPT6 : RULESET_DOC_IPT4,
				 RULESET_DOC__COUNT, 0);
	}
	if (err)
		return err;
	/* Then the inet table that judges for the chain, and the bridge
	 * table, in one transaction. Until it is in, nothing is marked PASS:
	 * everything is queued, which is slower, never more open. */
	return rs_run_doc(rs_nft_load, cfg, RULESET_DOC_NFT_INET_XT, RULESET_DOC_NFT_BRIDGE, 0);
}

/* A policy beyond the kernel's limits still works, but part of it is
 * judged in the engine only: an operator must know it. */
static void rs_report_fit(const struct ruleset_cfg *cfg)
{
	const char *why;
	unsigned fit = cfg->pol ? rs_policy_fit(cfg->pol, &why) : 0;

	if (cfg->pol && why)
		fprintf(stderr, "scanwalld: policy rule at line %u and those after it are judged "
			"in the engine only (kernel ruleset limit: %s)\n",
			pol_rule_at(cfg->pol, fit)->line, why);
}

int ruleset_install(const struct ruleset_cfg *cfg)
{
	struct ruleset_caps caps = { 0 };
	enum ruleset_backend b = cfg->backend;
	int err;

	rs_op_begin();
	err = ruleset_bridge_nf();

	if (err)
		return err;
	if (b == RULESET_AUTO) {
		err = ruleset_probe(&caps);
		if (err) {
			fprintf(stderr, "scanwalld: neither nft queue nor iptables NFQUEUE works "
				"in this kernel\n");
			return err;
		}
		b = caps.nft_queue ? RULESET_NFT : RULESET_XT;
	}
	rs_report_fit(cfg);
	err = b == RULESET_NFT ? rs_install_nft(cfg) : rs_install_xt(cfg);
	if (err)
		fprintf(stderr, "scanwalld: installing the %s ruleset failed: %s\n",
			b == RULESET_NFT ? "nft" : "iptables", strerror(-err));
	return err;
}

int ruleset_read_hits(const struct pol *pol,
		      void (*cb)(void *ctx, unsigned index, uint64_t packets), void *ctx)
{
	/* About 60 bytes a counter, up to 80 with 20-digit counts: the
	 * RS_POL_RULES_MAX rules' and the default's, in the inet and the
	 * bridge table (an older policy's are left over there too), fit. A
	 * listing cut short fails the read (nft exits on EPIPE). */
	static char text[96 * 1024];
	int err;

	rs_op_begin();
	err = rs_capture(rs_nft_counters, text, sizeof(text));

	if (!err)
		rs_policy_hits(text, pol, cb, ctx);
	return err;
}

int ruleset_flush(void)
{
	struct ruleset_cfg c;
	int err;

	ruleset_cfg_default(&c);
	rs_op_begin();
	err = rs_xt_remove();
	return rs_run_doc(rs_nft_load, &c, RULESET_DOC_NFT_FLUSH, RULESET_DOC__COUNT, 0) ?: err;
}

int ruleset_check(const struct ruleset_cfg *cfg)
{
	char *buf = malloc(RS_DOC_MAX);
	int err = buf ? 0 : -ENOMEM;

	rs_op_begin();
	/* Every document an install may load must render... */
	for (int d = 0; d < RULESET_DOC__COUNT && !err; d++)
		err = ruleset_render(cfg, (enum ruleset_doc)d, buf, RS_DOC_MAX) < 0 ? -ENOSPC : 0;
	free(buf);
	/* ...and the kernel must take the tables it judges with (check mode:
	 * run in the kernel and aborted). The queue statement is left out:
	 * not every kernel has it, and it does not depend on the policy. */
	if (!err)
		err = rs_run_doc(rs_nft_check, cfg, RULESET_DOC_NFT_INET_XT, RULESET_DOC_NFT_BRIDGE,
				 RS_QUIET);
	return err;
}
