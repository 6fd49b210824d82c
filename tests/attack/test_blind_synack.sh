#!/bin/bash
# A blind SYN-ACK must not teach the box where the scanner sits (dflow.c:
# only a SYN-ACK acknowledging the initiator's SYN exactly is the
# acceptor's). The PACS opens a connection and waits; a stranger on
# another bridge port sends a SYN-ACK in the scanner's name that guesses
# the acknowledgement; then the PACS's request is refused (wrong called
# AE). The PACS gets the A-ASSOCIATE-RJ, and the reset for the scanner's
# end goes to the scanner, not to the stranger that claimed its address.
#
#   lan 10.77.1.10 (connects, waits, sends an RQ to a wrong AE) ─┐
#   stranger (SYN-ACK as 10.77.1.15:104, ack guessed) ───────────┼─ box ── dev 10.77.1.15 (storescp)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

peer_storescp "$SW_WORK/recv" || { fail "blind-synack: storescp listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "blind-synack: scanwalld starts"; exit 1; }
# the box bridges ARP only to and from the scanner
n_stranger ip neigh replace 10.77.1.10 dev eth0 \
	lladdr "$(n_lan cat /sys/class/net/eth0/address)"

out=$("$here/tcpcraft.py" synack "$(topo_ns lan)" "$(topo_ns stranger)" "$(topo_ns dev)" \
	10.77.1.15 104 LAN_SCU NOT_SYMBIA 2>&1)
echo "$out"
check "blind-synack: the refused request got its A-ASSOCIATE-RJ" grep -q "answer 3," <<<"$out"
check "blind-synack: nothing meant for the scanner went to the stranger" \
	grep -q " 0 for the server at the sender" <<<"$out"
check "blind-synack: the scanner's end was reset" grep -q "established 0$" <<<"$out"
