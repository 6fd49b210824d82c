#!/bin/bash
# The bridge table's prerouting chain (refused SYNs before conntrack) sees
# every frame that enters a bridge port, the box's own among them. No
# shipped board puts an address on the bridge (management has a port of
# its own, never enslaved), but should one ever be there, the device's
# policy must not refuse it: that chain takes only SYNs to a device address.
# Here br0 gets 10.77.1.2 and the box listens on 8443, which netns.conf's
# `default reject` would refuse; 20 connections from lan in a row all open,
# and neither table's policy counters count one of them. What marks a
# frame for the box is its MAC, not its address (one a device address
# repeats must not be judged by the device's policy either): 40 SYNs to
# the scanner's blocked port 3465 in frames to br0's MAC are not counted
# by the bridge's policy (its block rule counts what its sample of 10
# lets by).
#
#   lan ── 20 connections ──▶ box: br0 10.77.1.2:8443 (a listener of its own)
#   lan ── 40 SYNs to 10.77.1.15:3465, Ether dst br0 ──▶ box: not judged
#                                   └── dev: a device connection still refused
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

n_box ip addr add 10.77.1.2/24 dev br0
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "box own: scanwalld starts"; exit 1; }
n_box /usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.1.2", 8443)); s.listen(64); s.settimeout(60)
while True:
    s.accept()[0].close()
' >>"$SW_WORK/peer.log" 2>&1 &
topo_wait_tcp box 10.77.1.2 8443 || { fail "box own: the box listens"; exit 1; }

# One SYN each (no retransmission within the timeout): a SYN the policy's
# sample let through would still open, so the counters below decide.
opened=$(n_lan /usr/bin/python3 -c '
import socket
n = 0
for _ in range(20):
    try:
        socket.create_connection(("10.77.1.2", 8443), timeout=0.8).close()
        n += 1
    except OSError:
        pass
print(n)
')
check "box own: 20 connections to the box's own address opened (${opened:-0})" test "${opened:-0}" = 20
policy_hits() { # TABLE: packets of every policy counter in it, summed
	n_box nft list counters table "$1" scanwall | awk '$1 == "packets" { n += $2 } END { print n + 0 }'
}
check "box own: the bridge's policy counters counted none of them ($(policy_hits bridge))" \
	test "$(policy_hits bridge)" = 0
check "box own: the inet table's neither ($(policy_hits inet))" test "$(policy_hits inet)" = 0
check "box own: no event names the box's address" test "$(sw_event_count '"dst":"10.77.1.2"')" = 0

br_mac=$(n_box cat /sys/class/net/br0/address)
n_lan /usr/bin/python3 -c '
import socket, sys
sys.path[:0] = [sys.argv[2]]
import craft
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
src, dst = socket.inet_aton("10.77.1.10"), socket.inet_aton("10.77.1.15")
eth = bytes.fromhex(sys.argv[1].replace(":", "")) + s.getsockname()[4] + b"\x08\x00"
for i in range(40):
    tcp = craft.tcp(src, dst, 41000 + i, 3465, 1, 0, 0x02, b"")
    s.send(eth + craft.ipv4(src, dst, socket.IPPROTO_TCP, tcp, i))
' "$br_mac" "$here/../pcap" >>"$SW_WORK/peer.log" 2>&1
check "box own: 40 SYNs for the device's address in frames to the box's MAC: the bridge's policy counted none ($(policy_hits bridge))" \
	test "$(policy_hits bridge)" = 0

# the device's side unchanged: its refused port is still refused
n_lan "$SW_PEER" connect 10.77.1.15 3465 --timeout 2 >>"$SW_WORK/peer.log" 2>&1
check "box own: a connection to the scanner's refused port still fails (exit $?)" test $? != 0
