#!/bin/bash
# 6,000 spoofed UDP datagrams to port 5000, which the policy lets the
# viewers' range reach, from 48 addresses of that range, each from a new
# source port: a new flow each, handed to the kernel at its first datagram.
# They may hold a quarter of the table (1,024 entries here, --flows;
# FLOW_DGRAM_PCT), the oldest forgotten first, so the PACS (lan, named by
# host address) does a C-ECHO and a C-STORE during the flood and after it.
# Without the share each datagram held its entry for FLOW_IDLE_OTHER: the
# table stayed full for a minute after the flood and the PACS's SYNs found
# no entry (no handshake in it to drop early).
#
#   stranger 10.77.1.66 (raw socket: datagrams spoofed from 10.77.1.80/26,
#                        1,000 a second for 6 s) ─┐
#   lan 10.77.1.10 (PACS: echoscu, storescu) ─────┼─ box (scanwalld) ── dev (storescp :104)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

attack_ready "attack udp flood" 1 "" "$here/range-udp.conf" --flows 1024 || exit 1

n_stranger timeout 30 "$here/flood.py" udp 10.77.1.15 5000 --net 10.77.1.80 --hosts 48 \
	--count 6000 --pps 1000 --seconds 20 >"$SW_WORK/sent" 2>>"$SW_WORK/peer.log" &
flood=$!
sleep 2	# the table of 1,024 is full of datagram flows by now without the share
check "attack udp flood: C-ECHO lan -> scanner during the flood" pacs_echo
check "attack udp flood: C-STORE lan -> scanner during the flood" pacs_store 60
peer_check_arrived "attack udp flood: during" "$SW_WORK/send" "$SW_WORK/recv"
wait "$flood"
sent=$(cat "$SW_WORK/sent")
check "attack udp flood: 6000 datagrams spoofed from 48 addresses (${sent:-none})" \
	test "${sent:-0}" = 6000

rm -f "$SW_WORK"/recv/*
check "attack udp flood: C-ECHO lan -> scanner after the flood" pacs_echo
check "attack udp flood: C-STORE lan -> scanner after the flood" pacs_store 60
peer_check_arrived "attack udp flood: after" "$SW_WORK/send" "$SW_WORK/recv"

forgot=$(sw_counter dgram_forgotten)
check "attack udp flood: the oldest datagram flows were forgotten (${forgot:-none})" \
	test "${forgot:-0}" -gt 0
full=$(sw_counter flows_table_full)
check "attack udp flood: no flow refused for a full table (${full:-none})" test "${full:-1}" = 0
# the two after the flood at least: the events file is rate limited, and
# the flood's allow events fill it while it lasts
check "attack udp flood: the PACS's associations accepted" \
	test "$(sw_event_count '"event":"assoc-accept"' '"calling_ae":"LAN_SCU"')" -ge 2
