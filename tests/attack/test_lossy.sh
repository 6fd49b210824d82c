#!/bin/bash
# A 50 MB `inspect full` C-STORE over a lossy, slower device link: the
# sender retransmits what the box passed and the link lost, cut as it
# likes (several PDV headers per segment, re-cut into MSS pieces), and the
# box verifies every structural byte of each copy against what it
# inspected. Then a second transfer with the LAN side reordering and
# duplicating segments. Both arrive byte for byte, nothing is refused.
#
#   lan (storescu) ══[reorder, duplicate 1%]══ box (scanwalld) ══[tbf 100mbit,
#     loss 1%]══ dev (storescp, AE SYMBIA)
#
# This kernel has no netem: the rate is tbf on the box's device port, the
# loss nft's random numbers at the scanner's ingress, the reordering
# tests/netns/reorder.c (NFQUEUE), the duplicates iptables' TEE.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

# 7072 x 7072 8-bit pixels: 50 MB
attack_ready "lossy" 1 7072 || exit 1

# dataset_sha FILE: sha256 of the data set after the file meta group (the
# receiver writes its own): peer_check_arrived's text dump is minutes for
# 50 MB of pixels.
dataset_sha() {
	/usr/bin/python3 - "$1" <<-'PY'
		import hashlib, struct, sys
		b = open(sys.argv[1], "rb").read()
		assert b[128:132] == b"DICM"
		off = 132
		while struct.unpack_from("<H", b, off)[0] == 2:	# explicit VR LE
		    vr = b[off + 4:off + 6]
		    if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
		        off += 12 + struct.unpack_from("<I", b, off + 8)[0]
		    else:
		        off += 8 + struct.unpack_from("<H", b, off + 6)[0]
		print(hashlib.sha256(b[off:]).hexdigest())
	PY
}
# arrived LABEL: the one image sent came back with the same data set
arrived() {
	local got
	got=$(find "$SW_WORK/recv" -type f | head -n 1)
	check "$1: 50 MB arrived byte for byte" test -n "$got" -a \
		"$(dataset_sha "$SW_WORK"/send/img1.dcm)" = "$(dataset_sha "${got:-/dev/null}" 2>/dev/null)"
}

store() {
	rm -rf "$SW_WORK/recv"/*
	pacs_store 45
}
invalid() { sw_event_count '"event":"invalid"'; }

# the device link: the box's port toward the scanner runs at 100 Mbit/s
# (an old scanner NIC behind a gigabit LAN) and loses 1% of the segments
# the box passed
check "lossy: tbf rate 100mbit on the device port" \
	n_box tc qdisc add dev dev0 root tbf rate 100mbit burst 64kb latency 20ms
check "lossy: loss 1% at the scanner" n_dev nft -f - <<-NFT
	table inet lossy {
		chain in {
			type filter hook prerouting priority -300; policy accept;
			tcp dport 104 numgen random mod 100 < 1 counter drop
		}
	}
NFT
elapsed_ms store
check "lossy: C-STORE of 50 MB over the lossy device link (${ELAPSED_MS} ms)" test "$RC" = 0
arrived "lossy: device link"
lost=$(n_dev nft list chain inet lossy in | grep -o 'packets [0-9]*' | awk '{ print $2 }')
check "lossy: segments lost on the device link (${lost:-?})" test "${lost:-0}" -gt 0
retx=$(sw_counter tcp_retransmitted)
check "lossy: the box verified and passed retransmitted copies (${retx:-?})" test "${retx:-0}" -gt 0
check "lossy: no invalid event ($(invalid))" test "$(invalid)" = 0
echo "lossy: device link: ${ELAPSED_MS} ms, ${lost:-?} segments lost, $retx copies verified," \
	"tcp_unverifiable $(sw_counter tcp_unverifiable), tcp_out_of_window $(sw_counter tcp_out_of_window)"
n_box tc qdisc del dev dev0 root
n_dev nft delete table inet lossy

# the LAN side: every 3rd data segment leaves after the one behind it, 1%
# are sent twice; per MSS segment, as on a real NIC
check "lossy: offloads off on the sender" peer_offloads_off lan
check "lossy: duplicate 1% on the LAN port" n_lan iptables -t mangle -A POSTROUTING -p tcp \
	--dport 104 -m statistic --mode random --probability 0.01 -j TEE --gateway 10.77.1.15
lan_reorder_start 3 || { fail "lossy: queue rule in the lan namespace"; exit 1; }
elapsed_ms store
kill "$REORDER_PID"
wait "$REORDER_PID" 2>/dev/null
check "lossy: C-STORE of 50 MB with reordering and duplication (${ELAPSED_MS} ms)" test "$RC" = 0
arrived "lossy: reordered"
dups=$(n_lan iptables -t mangle -vxnL POSTROUTING | awk '/TEE/ { print $1 }')
swapped=$(cat "$SW_WORK/swapped" 2>/dev/null)
parked=$(sw_counter tcp_parked)
check "lossy: segments swapped (${swapped:-?}) and duplicated (${dups:-?})" \
	test "${swapped:-0}" -gt 100 -a "${dups:-0}" -gt 10
check "lossy: the box parked reordered segments (${parked:-?})" test "${parked:-0}" -gt 0
check "lossy: no invalid event ($(invalid))" test "$(invalid)" = 0
aborts=$(sw_event_count '"event":"assoc-abort"')
check "lossy: no abort event ($aborts)" test "$aborts" = 0
echo "lossy: reordered: ${ELAPSED_MS} ms, $swapped swapped, $dups duplicated, parked $parked," \
	"tcp_out_of_window $(sw_counter tcp_out_of_window)"
