#!/bin/bash
# 4,096 spoofed SYNs to port 104 from the 64 addresses of a peer range take
# no association slot: a SYN costs one flow table entry, and one source
# only 32 of those (FLOW_SYN_PER_SRC). During the flood's lifetime the
# PACS (lan, named by host address) does a C-ECHO and a C-STORE through
# the box, the image arrives byte for byte, and the counters show the
# flood. Without the fix the SYNs took every DICOM_ASSOC_MAX slot for an
# hour and the PACS was refused.
#
#   stranger (raw socket: SYNs spoofed from 10.77.1.64/26) ─┐
#   lan 10.77.1.10 (PACS: echoscu, storescu) ───────────────┼─ box (scanwalld) ── dev (storescp)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin


peer_make_dicom "$SW_WORK/send" 1 || { fail "attack syn: make a test image"; exit 1; }
peer_storescp "$SW_WORK/recv" || { fail "attack syn: storescp listens"; exit 1; }
sw_start "$here/range.conf" || { fail "attack syn: scanwalld starts"; exit 1; }

sent=$(n_stranger timeout 30 "$here/flood.py" syn 10.77.1.15 104 --net 10.77.1.64 --hosts 64 \
	--count 4096 --seconds 20)
check "attack syn: 4096 spoofed SYNs sent (${sent:-none})" test "${sent:-0}" = 4096

# The flood's flows live FLOW_IDLE_OTHER (60 s): the PACS comes now.
check "attack syn: C-ECHO lan -> scanner during the flood" \
	n_lan timeout 30 echoscu -to 10 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104
check "attack syn: C-STORE lan -> scanner during the flood" \
	n_lan timeout 60 storescu -to 10 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104 \
	"$SW_WORK"/send/*.dcm
peer_check_arrived "attack syn" "$SW_WORK/send" "$SW_WORK/recv"

capped=$(sw_ctl_json 'j["engine"]["syn_capped"]' counters)
check "attack syn: SYNs over their source's cap counted (${capped:-none})" \
	test "${capped:-0}" -gt 0
live=$(sw_ctl_json 'j["engine"]["flows_live"]' counters)
check "attack syn: the flood holds flow entries only, at most 64 x 32 (${live:-none})" \
	test "${live:-0}" -gt 1024 -a "${live:-0}" -le 2100
busy=$(sw_ctl_json 'j["faults"]["busy"]' counters)
check "attack syn: no association refused as busy ($busy)" test "$busy" = 0
check "attack syn: both associations accepted" \
	test "$(sw_event_count '"event":"assoc-accept"' '"calling_ae":"LAN_SCU"')" -ge 2
