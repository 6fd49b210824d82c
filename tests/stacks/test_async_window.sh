#!/bin/bash
# An asynchronous operations window used for real, in both inspection
# modes: pipeline.py proposes a window of 4 and sends four C-ECHO-RQs in one
# write before reading an answer; storescp answers them in order. The box
# lets the four outstanding requests and their answers through (dcmjs-dimse
# negotiates a window in test_dcmjs.sh, but sends one request at a time).
#
#   lan (pipeline.py, PACS) ── box (policy/MODE.conf) ── dev (storescp SYMBIA)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stacks.sh"
stk_begin

peer_storescp "$SW_WORK/recv" || { fail "async window: storescp listens"; exit 1; }
for mode in full association; do
	t="async window $mode"
	stk_mode "$mode" || { fail "$t: scanwalld starts"; continue; }
	check "$t: four C-ECHO-RQs outstanding, four answers in order" \
		n_lan timeout 30 "$here/pipeline.py" 10.77.1.15 104 PACS SYMBIA 4
	# (under inspect association the kernel carries the flow after the AC)
	[ "$mode" = full ] && check "$t: released, not aborted" \
		sw_wait_event 5 '"event":"assoc-release"' '"calling_ae":"PACS"'
	check "$t: no refusal" test "$(sw_event_count '"reason":"association refused"')" = 0
done
