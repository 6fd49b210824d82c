#!/bin/bash
# 4,096 spoofed SYNs to port 104 from the 64 addresses of a peer range take
# no association slot: a SYN costs one flow table entry, and one source
# only 32 of those (FLOW_SYN_PER_SRC): 2,048 from 16 addresses leave 512.
# The table here has 1,024 entries (--flows), fewer than the 2,048 the
# whole range may hold: the next 2,048 from the other 48 addresses make
# room by ending the oldest unestablished flows (early drop). During the flood's lifetime the PACS (lan,
# named by host address) does a C-ECHO and a C-STORE through the box, the
# image arrives byte for byte, and the counters show the flood. Without
# the fix the SYNs took every DICOM_ASSOC_MAX slot for an hour and the
# PACS was refused.
#
#   stranger (raw socket: SYNs spoofed from 10.77.1.64/26) ─┐
#   lan 10.77.1.10 (PACS: echoscu, storescu) ───────────────┼─ box (scanwalld) ── dev (storescp)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin


attack_ready "attack syn" 1 "" "$here/range.conf" --flows 1024 || exit 1

flood() { n_stranger timeout 30 "$here/flood.py" syn 10.77.1.15 104 --net "$1" --hosts "$2" \
	--count 2048 --seconds 20; }
sent=$(flood 10.77.1.64 16)
check "attack syn: 2048 SYNs spoofed from 16 addresses (${sent:-none})" test "${sent:-0}" = 2048
capped=$(sw_counter syn_capped)
check "attack syn: SYNs over their source's cap counted (${capped:-none})" \
	test "${capped:-0}" -ge 1024
sent=$(flood 10.77.1.80 48)
check "attack syn: 2048 more from the other 48 (${sent:-none})" test "${sent:-0}" = 2048

# The flood's flows live FLOW_IDLE_OTHER (60 s): the PACS comes now.
check "attack syn: C-ECHO lan -> scanner during the flood" pacs_echo
check "attack syn: C-STORE lan -> scanner during the flood" pacs_store 60 10
peer_check_arrived "attack syn" "$SW_WORK/send" "$SW_WORK/recv"

early=$(sw_counter syn_early_drop)
check "attack syn: the oldest unestablished flows made room (${early:-none})" \
	test "${early:-0}" -gt 0
full=$(sw_counter flows_table_full)
check "attack syn: no flow refused for a full table (${full:-none})" test "${full:-1}" = 0
busy=$(sw_ctl_json 'j["faults"]["busy"]' counters)
check "attack syn: no association refused as busy ($busy)" test "$busy" = 0
check "attack syn: both associations accepted" \
	test "$(sw_event_count '"event":"assoc-accept"' '"calling_ae":"LAN_SCU"')" -ge 2
