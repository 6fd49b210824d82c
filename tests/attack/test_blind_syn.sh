#!/bin/bash
# Blind SYNs crafted into a live inspected association's tuple
# (tests/attack/tcpcraft.py, raw sockets). An attacker on the LAN who sees
# the traffic but is not on its path sends, with spoofed sources, SYNs
# with other ISNs in the client's name (bare, and carrying data) and SYNs
# in the scanner's name on the reversed tuple: none ends the association
# (RFC 5961 §4: a synchronized receiver answers a SYN with a challenge
# ACK), and the C-STORE in flight completes byte for byte. A client that
# really restarted still gets through: the scanner's challenge ACK draws
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

attack_crafted "blind-syn" \
	"SYNs with other ISNs, both ways, crafted into the C-STORE's tuple" syn || exit 1
mis=$(sw_counter handshake_mismatch)
# the 10 bare ones, both ways, reach the engine and pass (scanwall's SYN
# queue drops the 5 with data before it: nfq.c nfqueue_bare_syn)
check "blind-syn: the box counted the 10 bare SYNs on the open flow (${mis:-?})" \
	test "${mis:-0}" -ge 10
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
