/* The time limits a caller and its callee must agree on (issue #16).
 * scanwalld bounds every control command that runs helper tools, and its
 * clients (ctlclient.c) wait at least that long for such a command, so
 * no client gives up on an answer while the command it asked for still
 * runs (and reports a failure for a bundle that then comes into force). */
#ifndef SCANWALL_DEADLINES_H
#define SCANWALL_DEADLINES_H

/* One ruleset operation (a check, an install, a read of the counters):
 * all of its helper tools together (nft, iptables, modprobe: each gets
 * what is left, and iptables waits for the xtables lock 5 s of it). */
#define SW_TOOLS_OP_S 10
/* A policy apply runs at most three: the check, the install, and the old
 * ruleset back when the engine's swap fails (control/apply.c). */
#define SW_APPLY_MAX_S (3 * SW_TOOLS_OP_S)

/* What a client waits for an answer, connect included. Commands that run
 * tools (`reload`, `bundle ...`, `counters`) get the apply's bound and
 * 5 s for the rest (a bundle's verification and its store's fsyncs);
 * the others answer in milliseconds, unless they queue behind such a
 * command on the control thread: then the caller hears -ETIMEDOUT after
 * CTL_REQUEST_TIMEOUT_MS rather than wait for the apply. */
#define CTL_REQUEST_TIMEOUT_MS 3000
#define CTL_TOOLS_TIMEOUT_MS ((SW_APPLY_MAX_S + 5) * 1000)

#endif
