#!/bin/bash
# Associations the policy does not allow are refused at once (the
# initiator gets its answer within 2 s, far below its own timeouts) and
# each refusal is an event with its reason; nothing reaches storescp.
#
#   lan (LAN_SCU, wrong AEs) ─┐
#   viewer (VIEWER: echo only) ├─ box (scanwalld, netns.conf) ── dev (storescp SYMBIA)
#   stranger (in no rule) ────┘
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

peer_make_dicom "$SW_WORK/send" 1 || { fail "netns refused: make test image"; exit 1; }
peer_storescp "$SW_WORK/recv" || { fail "netns refused: storescp listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns refused: scanwalld starts"; exit 1; }

# refused_fast NAME NS CMD...: CMD must fail, within 2 s.
refused_fast() {
	local name=$1 ns=$2
	shift 2
	elapsed_ms "n_$ns" timeout 30 "$@" >>"$SW_WORK/scu.log" 2>&1
	if [ "$RC" != 0 ] && [ "$ELAPSED_MS" -lt 2000 ]; then
		ok "netns refused: $name (${ELAPSED_MS} ms)"
	else
		fail "netns refused: $name (exit $RC after ${ELAPSED_MS} ms)"
	fi
}
# echo_as CALLING CALLED: echoscu's command line into ECHO (a command, not
# a function, because it runs under `ip netns exec`)
echo_as() { ECHO=(echoscu -to 20 -ta 20 -td 20 -aet "$1" -aec "$2" 10.77.1.15 104); }

# the viewer's rule works at all, so its refusal below is about the service
echo_as VIEWER SYMBIA
check "netns refused: viewer C-ECHO passes" n_viewer timeout 30 "${ECHO[@]}"

echo_as WRONG_AE SYMBIA
refused_fast "wrong calling AE" lan "${ECHO[@]}"
check "netns refused: event for the wrong calling AE" \
	sw_wait_event 5 '"event":"assoc-reject"' '"calling_ae":"WRONG_AE"' '"fault":"calling-ae"'

# The refused initiator got its RJ; the device got a reset, so no half-open
# association waits on storescp. The viewer's association taught the
# engine where the device sits: this one's SYN-ACK passed in the kernel,
# and the reset went out of the remembered port.
established_from_lan() { n_dev ss -Htn state established '( sport = :104 )' | grep -c 10.77.1.10; }
check "netns refused: the device was reset, no connection left ($(established_from_lan))" \
	test "$(established_from_lan)" = 0

echo_as LAN_SCU NOT_SYMBIA
refused_fast "wrong called AE" lan "${ECHO[@]}"
check "netns refused: event for the wrong called AE" \
	sw_wait_event 5 '"event":"assoc-reject"' '"called_ae":"NOT_SYMBIA"' '"fault":"called-ae"'

refused_fast "storage from a verification-only peer" viewer \
	storescu -to 20 -ta 20 -td 20 -aet VIEWER -aec SYMBIA 10.77.1.15 104 "$SW_WORK"/send/*.dcm
check "netns refused: event for the storage refusal" \
	sw_wait_event 5 '"calling_ae":"VIEWER"' '"event":"assoc-'
check "netns refused: nothing was stored" test -z "$(ls -A "$SW_WORK/recv")"

echo_as LAN_SCU SYMBIA
refused_fast "unknown host" stranger "${ECHO[@]}"
check "netns refused: event for the unknown host" \
	sw_wait_event 5 '"event":"reject"' '"src":"10.77.1.66"' '"rule":null'
