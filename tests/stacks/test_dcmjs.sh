#!/bin/bash
# dcmjs-dimse (Node.js) on both sides of the box, in both inspection modes:
# C-ECHO and C-STORE each way (data sets compared at the far end), one with
# an asynchronous operations window and user identity, one over IPv6; the
# scanner's worklist from a dcmjs-dimse RIS (whose C-FIND-RSP names Study
# Root FIND on the worklist context: let through with an `anomaly` event),
# also asked by dcmtk's findscu; MPPS N-CREATE/N-SET; storage commitment
# with its N-EVENT-REPORT on the same association and on a new one from the
# PACS. Refused: MPPS to the PACS's port (not in that rule), a wrong
# calling AE, and the stranger.
#
#   lan: dimse.js PACS (4242), RIS (4243) ── box (policy/MODE.conf) ── dev: dimse.js SYMBIA (104)
#   stranger: dimse.js echo
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stacks.sh"
stk_begin

"$here/npm-deps.sh" || { fail "dcmjs: npm-deps.sh installs dcmjs-dimse"; exit 1; }
# a command, not a function: it runs under `ip netns exec`
js=(timeout 30 node "$here/dimse.js")

# scp HOST PORT AET OUT [--report ...]: a dimse.js SCP in HOST; its pid in SCP_PID
scp() {
	local host=$1 port=$2
	shift 2
	ip netns exec "$(topo_ns "$host")" node "$here/dimse.js" scp "$port" "$@" \
		>>"$SW_WORK/scp-$host-$port.log" 2>&1 &
	SCP_PID=$!
	topo_wait_tcp "$host" - "$port" 15
}

# same LABEL SENT_DIR RECV_DIR: each image sent was written by the SCP
# (OUT/UID.dcm) with the same data set
same() {
	local f
	for f in "$2"/*.dcm; do
		stk_check_same "$1: $(basename "$f") arrived identical" "$f" "$3/$(stk_uid "$f").dcm"
	done
}

scp dev 104 SYMBIA "$SW_WORK/dev" || { fail "dcmjs: the scanner's SCP listens"; exit 1; }
scp lan 4243 RIS "$SW_WORK/ris" || { fail "dcmjs: the RIS's SCP listens"; exit 1; }

for mode in full association; do
	t="dcmjs $mode"
	stk_mode "$mode" || { fail "$t: scanwalld starts"; continue; }
	peer_make_dicom "$SW_WORK/$mode/in" 2 && peer_make_dicom "$SW_WORK/$mode/out" 2 &&
		peer_make_dicom "$SW_WORK/$mode/async" 3 && peer_make_dicom "$SW_WORK/$mode/v6" 1 ||
		{ fail "$t: make test images"; continue; }
	scp lan 4242 PACS "$SW_WORK/pacs" --report same || { fail "$t: the PACS's SCP listens"; continue; }
	pacs=$SCP_PID

	check "$t: C-ECHO PACS -> scanner" n_lan "${js[@]}" echo 10.77.1.15 104 PACS SYMBIA
	check "$t: C-STORE PACS -> scanner" n_lan "${js[@]}" store 10.77.1.15 104 PACS SYMBIA "$SW_WORK/$mode"/in/*.dcm
	same "$t: C-STORE PACS -> scanner" "$SW_WORK/$mode/in" "$SW_WORK/dev"
	check "$t: C-STORE PACS -> scanner, async window 3 and user identity" n_lan env DIMSE_ASYNC=3 \
		DIMSE_USER=pacs:secret "${js[@]}" store 10.77.1.15 104 PACS SYMBIA "$SW_WORK/$mode"/async/*.dcm
	same "$t: C-STORE, async window 3 and user identity" "$SW_WORK/$mode/async" "$SW_WORK/dev"
	check "$t: C-STORE PACS -> scanner over IPv6" n_lan "${js[@]}" store fd77::15 104 PACS SYMBIA \
		"$SW_WORK/$mode"/v6/*.dcm
	same "$t: C-STORE over IPv6" "$SW_WORK/$mode/v6" "$SW_WORK/dev"
	check "$t: ... an IPv6 association the box judged" \
		sw_wait_event 5 '"event":"assoc-accept"' '"src":"fd77::10"' '"calling_ae":"PACS"'
	check "$t: C-ECHO scanner -> PACS" n_dev "${js[@]}" echo 10.77.1.10 4242 SYMBIA PACS
	check "$t: C-STORE scanner -> PACS" n_dev "${js[@]}" store 10.77.1.10 4242 SYMBIA PACS "$SW_WORK/$mode"/out/*.dcm
	same "$t: C-STORE scanner -> PACS" "$SW_WORK/$mode/out" "$SW_WORK/pacs"

	anomalies=$(sw_event_count '"event":"anomaly"' '"dport":4243')
	n_dev "${js[@]}" worklist 10.77.1.10 4243 SYMBIA RIS >"$SW_WORK/wl.out" 2>&1
	check "$t: worklist from the dcmjs-dimse RIS (exit $?)" grep -qx WL0001 "$SW_WORK/wl.out"
	n_dev timeout 30 findscu -to 10 -ta 10 -td 10 -W -k PatientID -aet SYMBIA -aec RIS \
		10.77.1.10 4243 >"$SW_WORK/findscu.out" 2>&1
	check "$t: worklist from the dcmjs-dimse RIS, asked by findscu" grep -q WL0001 "$SW_WORK/findscu.out"
	if [ "$mode" = full ]; then
		check "$t: the RIS's Study Root FIND on the worklist context is an anomaly event" \
			test "$(sw_event_count '"event":"anomaly"' '"dport":4243')" -gt "$anomalies"
	fi

	mpps=1.2.826.0.1.3680043.9.7777.8.$$.$RANDOM
	check "$t: MPPS N-CREATE, N-SET scanner -> RIS" n_dev "${js[@]}" mpps 10.77.1.10 4243 SYMBIA RIS "$mpps"
	check "$t: the RIS holds the procedure step, COMPLETED" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(not (r["created"]["PerformedProcedureStepStatus"] == "IN PROGRESS"
              and r["set"]["PerformedProcedureStepStatus"] == "COMPLETED"))' "$SW_WORK/ris/mpps-$mpps.json"

	check "$t: storage commitment, report on the same association" \
		n_dev "${js[@]}" commit 10.77.1.10 4242 SYMBIA PACS --same "$SW_WORK/$mode"/out/*.dcm
	kill "$pacs"
	wait "$pacs" 2>/dev/null
	scp lan 4242 PACS "$SW_WORK/pacs" --report new 10.77.1.15 104 SYMBIA ||
		{ fail "$t: the PACS's SCP listens again"; continue; }
	pacs=$SCP_PID
	n_dev "${js[@]}" commit 10.77.1.10 4242 SYMBIA PACS "$SW_WORK/$mode"/out/*.dcm >"$SW_WORK/commit.out"
	tx=$(grep -m 1 '^1\.2\.826\.0\.1\.3680043\.9\.7777\.9\.' "$SW_WORK/commit.out")
	for _ in $(seq 50); do [ -s "$SW_WORK/dev/report-$tx.json" ] && break; sleep 0.1; done
	check "$t: storage commitment, report on a new association PACS -> scanner" \
		grep -q "$(stk_uid "$SW_WORK/$mode/out/img1.dcm")" "$SW_WORK/dev/report-$tx.json"

	stk_refused "$t: MPPS to the PACS's port (no mpps in that rule)" '"event":"assoc-reject"' \
		'"calling_ae":"SYMBIA"' '"called_ae":"PACS"' -- n_dev "${js[@]}" mpps 10.77.1.10 4242 SYMBIA PACS 1.2.3.4
	stk_refused "$t: wrong calling AE" '"event":"assoc-reject"' '"fault":"calling-ae"' \
		'"calling_ae":"NOT_PACS"' -- n_lan "${js[@]}" echo 10.77.1.15 104 NOT_PACS SYMBIA
	stk_refused "$t: the stranger" '"event":"reject"' '"src":"10.77.1.66"' '"dport":104' -- \
		n_stranger "${js[@]}" echo 10.77.1.15 104 PACS SYMBIA
	kill "$pacs"
	wait "$pacs" 2>/dev/null || true
done
