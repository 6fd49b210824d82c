# What the attack tests (tests/attack/test_*.sh) share, sourced after
# tests/lib.sh and scripts/topo.sh: the PACS's own C-ECHO and C-STORE,
# which every attack must leave working, and the crafted segments.
#
#   lan 10.77.1.10 (the PACS, AE LAN_SCU) ── box (scanwalld) ── dev 10.77.1.15 (storescp, AE SYMBIA)

# The crafted segments (raw sockets, tcpcraft.py): "$craft" MODE ARGS...
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

# attack_crafted LABEL WHAT MODE: one 9 MB image, through a 20 Mbit/s
# device port (about 4 s in flight, time enough for the attack), stored
# while "$craft" MODE watches it from the LAN and sends from the stranger,
# who knows the LAN host's MAC address as it would on a shared segment (the
# box bridges ARP only to and from the scanner). The store must complete,
# byte for byte.
attack_crafted() {
	local label=$1 what=$2 mode=$3 scu rc

	attack_ready "$label" 1 3000 || return 1
	n_box tc qdisc add dev dev0 root tbf rate 20mbit burst 64kb latency 20ms
	n_stranger ip neigh replace 10.77.1.10 dev eth0 \
		lladdr "$(n_lan cat /sys/class/net/eth0/address)"
	pacs_store 60 >>"$SW_WORK/storescu.log" 2>&1 &
	scu=$!
	check "$label: $what" \
		"$craft" "$mode" "$(topo_ns lan)" "$(topo_ns stranger)" 10.77.1.10 10.77.1.15 104
	wait "$scu"
	rc=$?
	check "$label: the C-STORE completes ($rc)" test "$rc" = 0
	peer_check_arrived "$label" "$SW_WORK/send" "$SW_WORK/recv"
}
