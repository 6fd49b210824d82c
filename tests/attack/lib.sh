# What the attack tests (tests/attack/test_*.sh) share, sourced after
# tests/lib.sh and scripts/topo.sh: the PACS's own C-ECHO and C-STORE,
# which every attack must leave working, and the crafted segments.
#
#   lan 10.77.1.10 (the PACS, AE LAN_SCU) ── box (scanwalld) ── dev 10.77.1.15 (storescp, AE SYMBIA)

# The crafted segments (raw sockets, scapy): "$craft" MODE ARGS...
craft=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tcpcraft.py

# attack_ready LABEL N SIDE [POLICY [ARGS...]]: N images of SIDE x SIDE
# pixels to send (SIDE empty: peer_make_dicom's), storescp listening,
# scanwalld running POLICY (the netns one when empty) with ARGS; a failed
# step is a failure named after LABEL, and 1.
attack_ready() {
	local label=$1 n=$2 side=$3 policy=${4:-$SW_POLICY_DIR/netns.conf}

	shift $(($# < 4 ? $# : 4))
	peer_make_dicom "$SW_WORK/send" "$n" $side || { fail "$label: make the images to send"; return 1; }
	peer_storescp "$SW_WORK/recv" || { fail "$label: storescp listens"; return 1; }
	sw_start "$policy" "$@" || { fail "$label: scanwalld starts"; return 1; }
}

# pacs_echo: the PACS's C-ECHO to the scanner.
pacs_echo() {
	n_lan timeout 30 echoscu -to 10 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104
}

# pacs_store SECONDS [DIMSE_S]: the PACS's C-STORE of $SW_WORK/send/*.dcm
# to the scanner, given up after SECONDS, or after DIMSE_S (30) without a
# response (the tests under a flood or a stall allow 10).
pacs_store() {
	n_lan timeout "$1" storescu -to 10 -ta 10 -td "${2:-30}" -aet LAN_SCU -aec SYMBIA \
		10.77.1.15 104 "$SW_WORK"/send/*.dcm
}
