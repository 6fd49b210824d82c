#!/bin/bash
# Segments reordered on purpose on their way to the box: every 4th data
# segment the sender emits leaves after the one behind it. The box parks
# a segment that arrives beyond a gap, sends it through the hook again
# once the gap fills, and the images still arrive byte for byte, with
# nothing dropped as out of window. Offloads are off on the sender, so
# the reordering is per MSS segment, as on a real NIC.
#
#   lan (storescu) ─ OUTPUT: NFQUEUE 3 ─ reorder: 1 2 3 [4] 5 → 1 2 3 5 4
#        └── box (scanwalld, inspect full) ── dev (storescp, AE SYMBIA)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

peer_make_dicom "$SW_WORK/send" 3 700 || { fail "netns reorder: make test images"; exit 1; }
peer_storescp "$SW_WORK/recv" || { fail "netns reorder: storescp listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns reorder: scanwalld starts"; exit 1; }

check "netns reorder: offloads off on the sender" peer_offloads_off lan
lan_reorder_start 4 || { fail "netns reorder: queue rule in the lan namespace"; exit 1; }

check "netns reorder: C-STORE of 3 images (1.4 MB) with every 4th segment swapped" \
	n_lan timeout 60 storescu -to 10 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104 \
	"$SW_WORK"/send/*.dcm
kill "$REORDER_PID"
wait "$REORDER_PID" 2>/dev/null

peer_check_arrived "netns reorder" "$SW_WORK/send" "$SW_WORK/recv"

swapped=$(cat "$SW_WORK/swapped" 2>/dev/null)
check "netns reorder: the reorderer swapped segments (${swapped:-none})" test "${swapped:-0}" -gt 50
parked=$(sw_counter tcp_parked)
oow=$(sw_counter tcp_out_of_window)
check "netns reorder: the box parked segments beyond a gap (${parked:-?})" test "${parked:-0}" -gt 0
check "netns reorder: none dropped as out of window (${oow:-?})" test "${oow:-1}" = 0
bad=$(sw_event_count '"event":"invalid"')
aborts=$(sw_event_count '"event":"assoc-abort"')
check "netns reorder: no invalid or abort events ($bad, $aborts)" test "$bad$aborts" = 00
