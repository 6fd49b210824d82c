#!/bin/bash
# 96 connections from 16 addresses of a peer range each send the first 10
# bytes of an A-ASSOCIATE-RQ and stop. The range may hold 48 negotiations
# (DICOM_RQ_BUFS 64 less the named peers' quarter): those are held, the
# rest refused at once (A-ASSOCIATE-RJ as far as the source's answer limit
# goes, else a reset to the next try; fault busy). The PACS (lan, named
# by host address) meanwhile does a C-ECHO and a C-STORE, byte for byte.
# After ARTIM (--artim 3 here) each held one gets an A-ABORT, the device a
# reset, and the buffers are free: the PACS does a C-ECHO again.
#
#   stranger 10.77.1.70-85 (16 addresses in 10.77.1.64/26: flood.py stall) ─┐
#   lan 10.77.1.10 (PACS: echoscu, storescu) ───────────────────────────────┼─ box ── dev (storescp --fork)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

srcs=
for i in $(seq 70 85); do
	n_stranger ip addr add "10.77.1.$i/24" dev eth0
	srcs=${srcs:+$srcs,}10.77.1.$i
done

peer_make_dicom "$SW_WORK/send" 1 || { fail "attack stall: make a test image"; exit 1; }
mkdir -p "$SW_WORK/recv"
# --fork: a device that serves one association at a time would wait on the
# stalled ones itself, box or no box
n_dev storescp --fork -aet SYMBIA -od "$SW_WORK/recv" -ta 10 -td 10 104 \
	>>"$SW_WORK/storescp.log" 2>&1 &
topo_wait_tcp dev 10.77.1.15 104 || { fail "attack stall: storescp listens"; exit 1; }
sw_start "$here/range.conf" --artim 3 || { fail "attack stall: scanwalld starts"; exit 1; }

n_stranger timeout 60 "$here/flood.py" stall 10.77.1.15 104 --from "$srcs" --per 6 --bytes 10 \
	--hold 15 >"$SW_WORK/stall.json" 2>>"$SW_WORK/peer.log" &
stall_pid=$!
for _ in $(seq 100); do
	[ "$(sw_ctl_json 'j["faults"]["busy"]' counters)" -ge 48 ] 2>/dev/null && break
	sleep 0.1
done
held=$(sw_counter held)
check "attack stall: the range's 48 negotiations are held (held segments: ${held:-none})" \
	test "${held:-0}" -ge 48
check "attack stall: C-ECHO lan -> scanner while they stall" pacs_echo
check "attack stall: C-STORE lan -> scanner while they stall" pacs_store 60 10
peer_check_arrived "attack stall" "$SW_WORK/send" "$SW_WORK/recv"

wait "$stall_pid"
res() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
	"$SW_WORK/stall.json" "$1" 2>/dev/null; }
# each busy refusal is answered within its source's answer limit (an RJ,
# 5 a second with the resets to the refused flows' ACKs of them), the
# rest with a reset to their next try: none is left waiting
check "attack stall: 48 refused at once as busy (RJ: $(res rj), reset: $(res reset))" \
	test "$(( $(res rj) + $(res reset) ))" = 48 -a "$(res rj)" -ge 16
check "attack stall: 48 held ones answered with an A-ABORT at ARTIM ($(res abort))" \
	test "$(res abort)" = 48
check "attack stall: none left hanging ($(res silent))" test "$(res silent)" = 0
artim=$(sw_counter assoc_artim)
check "attack stall: ARTIM expiries counted ($artim)" test "$artim" = 48
check "attack stall: an event for each" \
	test "$(sw_event_count '"event":"assoc-abort"' '"fault":"artim-expired"')" = 48
busy=$(sw_ctl_json 'j["faults"]["busy"]' counters)
check "attack stall: the busy refusals counted ($busy)" test "$busy" = 48
check "attack stall: the device holds none of them (ESTAB: $(n_dev ss -Htn state established '( sport = :104 )' | wc -l))" \
	test "$(n_dev ss -Htn state established '( sport = :104 )' | wc -l)" = 0
check "attack stall: C-ECHO lan -> scanner after ARTIM" pacs_echo
