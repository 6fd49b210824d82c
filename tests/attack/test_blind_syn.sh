#!/bin/bash
# Blind SYNs crafted into a live inspected association's tuple
# (tests/attack/tcpcraft.py, raw sockets). An attacker on the LAN who sees
# the traffic but is not on its path sends, with spoofed sources, SYNs
# with other ISNs in the client's name (bare, and carrying data) and SYNs
# in the scanner's name on the reversed tuple, outside the receiver's
# window; SYNs inside each receiver's window, and SYN+FINs: none ends the
# association. The bare ones outside pass (a synchronized receiver answers
# with an ACK, RFC 5961 §4 or RFC 793); the others are dropped (an RFC 793
# receiver, old Windows, resets on one inside its window; the box answers
# that one with the ACK itself), and the C-STORE in flight completes byte
# for byte. A client that really restarted still gets through: the ACK
# (the scanner's, or the box's when its new ISN lands in the window) draws
# its reset at the exact next byte, which ends the old flow on the box.
#
#   lan (storescu; the attacker watches here) ── box (scanwalld) ── dev (storescp)
#   stranger (sends as 10.77.1.10 or as 10.77.1.15) ──┘
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

# what of them reaches the scanner: the store's SYN and the 5 bare ones
# outside its window, never the 5 inside it nor a SYN+FIN
n_dev nft -f - <<-NFT
	table inet seen {
		counter syn {}
		counter synfin {}
		chain in {
			type filter hook prerouting priority -300; policy accept;
			meta iifname != "lo" tcp dport 104 tcp flags & (fin | syn | ack) == syn counter name syn
			meta iifname != "lo" tcp dport 104 tcp flags & (fin | syn) == fin | syn counter name synfin
		}
	}
NFT
seen() { n_dev nft list counter inet seen "$1" | awk '$1 == "packets" { print $2 }'; }

attack_crafted "blind-syn" \
	"SYNs with other ISNs, in and out of window, SYN+FIN, both ways, crafted into the C-STORE's tuple" \
	syn || exit 1
mis=$(sw_counter handshake_mismatch)
# the 20 bare ones, both ways, in and out of window, reach the engine
# (scanwall's SYN queue drops the 5 with data before it: nfq.c
# nfqueue_bare_syn; conntrack may drop the SYN+FINs as invalid)
check "blind-syn: the box counted the 20 bare SYNs on the open flow (${mis:-?})" \
	test "${mis:-0}" -ge 20
syns=$(seen syn)
check "blind-syn: the scanner got the store's SYN and the 5 outside its window, not the 5 inside (${syns:-?})" \
	test "${syns:-99}" -ge 6 -a "${syns:-99}" -lt 10
check "blind-syn: no SYN+FIN reached the scanner ($(seen synfin))" test "$(seen synfin)" = 0
n_dev nft delete table inet seen
new=$(sw_counter flows_new)
check "blind-syn: no SYN made a new flow (flows_new ${new:-?})" test "${new:-0}" = 1
bad=$(sw_event_count '"event":"invalid"')
check "blind-syn: no invalid event ($bad)" test "$bad" = 0

# a client that really restarted and reuses its port (RFC 5961 §4): its new
# SYN passes, the scanner's challenge ACK draws its reset at the exact next
# byte, which ends the old association on the box, and its SYN sent again
# opens a new one
live=$(sw_counter flows_new)
check "blind-syn: a restarted client's new connection from the same port is accepted" \
	n_lan "$craft" restart 10.77.1.15 104 LAN_SCU SYMBIA
check "blind-syn: ... as a new flow (flows_new $live before, $(sw_counter flows_new) after: the first and the new)" \
	test "$(sw_counter flows_new)" = $((live + 2))
