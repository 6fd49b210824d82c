#!/bin/bash
# Where the box's answers to a refused association go, and how many.
#
# 1. A blind SYN-ACK must not teach the box where the scanner sits
#    (dflow.c: only a SYN-ACK acknowledging the initiator's SYN exactly is
#    the acceptor's). The PACS opens a connection and waits; a stranger on
#    another bridge port sends a SYN-ACK in the scanner's name that guesses
#    the acknowledgement; then the PACS's request is refused (wrong called
#    AE). The PACS gets the A-ASSOCIATE-RJ, and the reset for the scanner's
#    end goes to the scanner, not to the stranger that claimed its address.
# 2. The resets to a refused association's later packets go through the
#    per-source answer limit (answerlim.c): conntrack queues the whole
#    connection once the engine took its mark back, so without the limit
#    every packet in its name would be answered. After another refused
#    request the stranger sends 50 segments in the PACS's name on that
#    connection: a second's budget of resets (5 a source, the RJ and the
#    reset to the PACS's ACK of it included) comes back, not 50.
#
#   lan 10.77.1.10 (connects, waits, sends an RQ to a wrong AE) ──────┐
#   stranger (SYN-ACK as 10.77.1.15:104; segments as 10.77.1.10) ────┼─ box ── dev 10.77.1.15 (storescp)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

peer_storescp "$SW_WORK/recv" || { fail "refused: storescp listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "refused: scanwalld starts"; exit 1; }
# the box bridges ARP only to and from the scanner
n_stranger ip neigh replace 10.77.1.10 dev eth0 \
	lladdr "$(n_lan cat /sys/class/net/eth0/address)"
craft() {
	"$craft" "$1" "$(topo_ns lan)" "$(topo_ns stranger)" "$(topo_ns dev)" \
		10.77.1.15 104 LAN_SCU NOT_SYMBIA 2>&1
}

out=$(craft synack)
echo "$out"
check "refused: blind SYN-ACK, then the request got its A-ASSOCIATE-RJ" grep -q "answer 3," <<<"$out"
check "refused: nothing meant for the scanner went to the stranger" \
	grep -q " 0 for the server at the sender" <<<"$out"
check "refused: the scanner's end was reset" grep -q "established 0$" <<<"$out"

sleep 1.2	# the PACS's answer budget refills
out=$(craft refused)
echo "$out"
check "refused: the second request got its A-ASSOCIATE-RJ" grep -q "answer 3," <<<"$out"
resets=$(sed -n 's/.*, \([0-9]*\) resets.*/\1/p' <<<"$out")
check "refused: resets within the source's limit (${resets:-?} for 50 segments)" \
	test "${resets:-99}" -ge 1 -a "${resets:-99}" -le 6
limited=$(sw_counter answers_limited)
check "refused: the rest counted as limited (${limited:-?})" test "${limited:-0}" -ge 40
# The box's crafted answers (the RJs, the resets) left through the packet
# socket, each counted there, and every one the engine crafted is
# accounted for: sent, or not and why (`counters` inject, docs/control.md).
sent=$(sw_ctl_json 'j["inject"]["sent"]' counters)
check "refused: the crafted resets and RJs counted as sent (${sent:-none})" \
	test "${sent:-0}" -ge $((${resets:-0} + 2))
check "refused: every crafted answer accounted for (sent, no port, too big, errors)" \
	test "$(sw_ctl_json 'sum(j["inject"].values()) == j["engine"]["injected"]' counters)" = True
