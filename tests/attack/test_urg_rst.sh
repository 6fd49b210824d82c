#!/bin/bash
# Crafted urgent data and blind resets against live inspected associations
# (tests/attack/tcpcraft.py, raw sockets). An attacker on the LAN who sees
# the traffic but is not on its path sends, with spoofed sources, an URG
# segment ahead of the stream and resets outside and inside each
# receiver's window: the C-STORE in flight completes byte for byte. A
# reset inside the window passes and ends nothing (the receiver answers it
# with a challenge ACK, RFC 5961); one at exactly the receiver's next byte
# ends the association, on the box and on the scanner.
#
#   lan (storescu; the attacker watches here) ── box (scanwalld) ── dev (storescp)
#   stranger (sends as 10.77.1.10 or as 10.77.1.15) ──┘
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

attack_crafted "urg-rst" "URG and blind resets crafted into the C-STORE in flight" \
	blind || exit 1
oow=$(sw_counter tcp_out_of_window)
check "urg-rst: the box dropped the URGs and the resets outside the window (${oow:-?} of 15)" \
	test "${oow:-0}" -ge 15
bad=$(sw_event_count '"event":"invalid"')
check "urg-rst: no invalid event ($bad)" test "$bad" = 0

# an idle association: a reset inside the window leaves it on both sides,
# one at the exact next byte ends it on both
live=$(sw_counter flows_live)
out=$("$craft" idle "$(topo_ns lan)" "$(topo_ns stranger)" "$(topo_ns dev)" 10.77.1.15 104 \
	LAN_SCU SYMBIA 2>&1)
echo "$out"
check "urg-rst: a reset inside the window ends nothing on the scanner" \
	grep -q "after rst-window: established 1" <<<"$out"
check "urg-rst: a reset at the exact sequence ends the association on the scanner" \
	grep -q "after rst-exact: established 0" <<<"$out"
check "urg-rst: ... and on the box (flows $live before, $(sw_counter flows_live) after)" \
	test "$(sw_counter flows_live)" = "$live"

# urgent data from the client itself, at its next byte: the association is
# refused, with an event naming the fault
check "urg-rst: a client's urgent byte ends its association" \
	n_lan "$craft" oob 10.77.1.15 104 LAN_SCU SYMBIA
check "urg-rst: ... with an invalid event, fault tcp-urgent" \
	sw_wait_event 5 '"event":"invalid"' '"fault":"tcp-urgent"'
