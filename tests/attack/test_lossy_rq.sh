#!/bin/bash
# A large A-ASSOCIATE-RQ (storescu's default proposals: 100+ presentation
# contexts, ~10 KB) crosses the box in MSS segments; the box holds them
# until the request is whole, acknowledging each in the scanner's name,
# then releases them. The scanner's link loses the first of them: the
# sender never sends it again (the box acknowledged it), so the box must,
# from the request it inspected. The association succeeds in seconds,
# long before ARTIM (30 s) would end it.
#
#   lan (storescu, no offloads) ══ box (scanwalld: hold, ACK, release,
#     resend) ══[first RQ segment dropped once]══ dev (storescp, AE SYMBIA)
#
# This kernel has no netem: the loss is an nft rule at the scanner's
# ingress matching the request's first segment as the sender cut it (an
# MSS-sized segment starting with the RQ's PDU type). The box's own copy
# is smaller (crafted segments fit 1280 bytes), so it passes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

attack_ready "lossy rq" 1 64 || exit 1

# MSS segments from the sender, as a real NIC puts them on the wire
check "lossy rq: offloads off on the sender" peer_offloads_off lan
check "lossy rq: the RQ's first segment is lost once at the scanner" n_dev nft -f - <<-NFT
	table inet lossy {
		chain in {
			type filter hook prerouting priority -300; policy accept;
			tcp dport 104 meta length > 1300 @ih,0,16 0x0100 counter drop
		}
	}
NFT
# -ta 20: storescu gives up on the AC well before ARTIM would abort. IPv4
# only: this dcmtk's storescu has no IPv6 (the crafted copy is built by
# reply_tcp, as every answer of the engine for both families).
elapsed_ms n_lan timeout 40 storescu -to 10 -ta 20 -td 20 -aet LAN_SCU -aec SYMBIA \
	10.77.1.15 104 "$SW_WORK"/send/*.dcm
lost=$(n_dev nft list chain inet lossy in | grep -o 'packets [0-9]*' | awk '{ print $2 }')
resent=$(sw_counter tcp_resent)
held=$(sw_counter held)
check "lossy rq: the request came in several segments, held (${held:-?})" test "${held:-0}" -gt 1
check "lossy rq: its first segment was lost on the device link (${lost:-?})" test "${lost:-0}" = 1
check "lossy rq: the box sent the lost bytes again (tcp_resent ${resent:-?})" \
	test "${resent:-0}" -gt 0
check "lossy rq: C-STORE through after the loss (${ELAPSED_MS} ms, exit $RC)" test "$RC" = 0
peer_check_arrived "lossy rq" "$SW_WORK/send" "$SW_WORK/recv"
artim=$(sw_counter assoc_artim)
check "lossy rq: not ended by ARTIM (${artim:-?})" test "${artim:-1}" = 0
echo "lossy rq: ${ELAPSED_MS} ms, held ${held:-?}, lost ${lost:-?}, resent ${resent:-?}"
