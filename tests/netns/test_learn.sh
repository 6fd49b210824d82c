#!/bin/bash
# Commissioning inline (docs/commissioning.md): the box learns what real
# peers do through it, keeps it across a restart, proposes a policy from
# it, and that policy, enforced, passes the same traffic and nothing new.
#
#   lan (LAN_SCU, and an unknown AE) ──┐
#   viewer (VIEWER)                   ├─ box (scanwalld --state) ── dev (storescp, AE SYMBIA)
#                                       observed.json ─propose─▶ proposal ─▶ scanwalld
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

echo_from() {	# NS CALLING: a C-ECHO to the scanner
	"n_$1" timeout 30 echoscu -to 10 -ta 10 -td 10 -aet "$2" -aec SYMBIA 10.77.1.15 104 \
		2>>"$SW_WORK/dcmtk.log"
}
store_from() {	# NS CALLING: a C-STORE of the test images to the scanner
	"n_$1" timeout 60 storescu -to 10 -ta 10 -td 10 -aet "$2" -aec SYMBIA 10.77.1.15 104 \
		"$SW_WORK"/send/*.dcm 2>>"$SW_WORK/dcmtk.log"
}
observed() { sw_ctl_json "$1" observed; }
refused() { ! "$@"; }

peer_make_dicom "$SW_WORK/send" 2 || { fail "netns learn: make test images"; exit 1; }
peer_storescp "$SW_WORK/recv" || { fail "netns learn: storescp listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns learn: scanwalld starts"; exit 1; }

# --- observe: what the peers do through the box under the template ---------
check "netns learn: C-ECHO lan -> scanner" echo_from lan LAN_SCU
check "netns learn: C-STORE of 2 images" store_from lan LAN_SCU
check "netns learn: C-ECHO viewer -> scanner" echo_from viewer VIEWER
check "netns learn: an unknown AE from lan is refused" refused echo_from lan INTRUDER

rel='[r for r in j["relations"] if r["calling_ae"] == "LAN_SCU"][0]'
check "netns learn: the table holds lan's relation (2 associations, both accepted)" \
	test "$(observed "(${rel}['requested'], ${rel}['accepted'], ${rel}['port'])")" = "(2, 2, 104)"
check "netns learn: ... with C-ECHO and C-STORE sent on their classes" \
	test "$(observed "sorted(set(c for k in ${rel}['classes'] for c in k['commands_sent']))")" = \
	"['C-ECHO', 'C-STORE']"
check "netns learn: ... and data bytes counted" \
	test "$(observed "${rel}['bytes_sent'] > 1000")" = True
check "netns learn: the refused AE title is in the table" \
	test "$(observed '[f["fault"] for f in j["flows"] if f["calling_ae"] == "INTRUDER"]')" = \
	"['calling-ae']"

# --- a restart keeps it ---------------------------------------------------------
sw_stop
check "netns learn: scanwalld wrote observed.json at exit" test -s "$SW_WORK/state/observed.json"
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns learn: scanwalld restarts"; exit 1; }
check "netns learn: after a restart the table still holds 2 relations" \
	test "$(observed 'len(j["relations"])')" = 2
sw_stop

# --- a table file that is no table is kept aside, not overwritten -------------
cp "$SW_WORK/state/observed.json" "$SW_WORK/observed.good"
printf '{"relations": [ broken\n' >"$SW_WORK/state/observed.json"
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns learn: scanwalld starts over a broken table"; exit 1; }
check "netns learn: a broken table starts empty" test "$(observed 'len(j["relations"])')" = 0
sw_stop
check "netns learn: ... and the broken file is kept as observed.json.bad" \
	grep -q broken "$SW_WORK/state/observed.json.bad"
cp "$SW_WORK/observed.good" "$SW_WORK/state/observed.json"

# --- propose, and enforce the proposal --------------------------------------
"$SW_BUILD/scanwalld" --propose "$SW_WORK/state/observed.json" \
	--template "$SW_POLICY_DIR/netns.conf" >"$SW_WORK/proposal.conf"
check "netns learn: the proposal passes --check" \
	"$SW_BUILD/scanwalld" --check "$SW_WORK/proposal.conf" >/dev/null
check "netns learn: the proposal allows lan verification and storage" grep -qx \
	'allow dicom from lan to scanner port 104 services verification storage inspect full' \
	"$SW_WORK/proposal.conf"
check "netns learn: what-if: the proposal refuses nothing seen" \
	"$SW_BUILD/scanwalld" --what-if "$SW_WORK/state/observed.json" --policy "$SW_WORK/proposal.conf" \
	>/dev/null
sw_start "$SW_WORK/proposal.conf" || { fail "netns learn: scanwalld starts on the proposal"; exit 1; }
check "netns learn: under the proposal, C-ECHO lan -> scanner" echo_from lan LAN_SCU
check "netns learn: under the proposal, C-STORE" store_from lan LAN_SCU
check "netns learn: under the proposal, the viewer's echo" echo_from viewer VIEWER
check "netns learn: under the proposal, a new AE title on lan is refused" refused echo_from lan NEWAE
check "netns learn: under the proposal, a new peer (stranger) is refused" refused echo_from stranger LAN_SCU
check "netns learn: under the proposal, a new service (storage from the viewer) is refused" \
	refused store_from viewer VIEWER
