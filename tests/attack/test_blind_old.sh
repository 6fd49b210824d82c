#!/bin/bash
# Retransmissions older than the box keeps cannot be verified (stream.c):
# they are dropped, and only a stuck sender's copies (8 over 10 s with no
# progress) end the flow. A stranger who watches the LAN sends 8 copies in
# the PACS's name at a sequence number from the start of a 30 MB C-STORE,
# once 20 MB have passed (more than the structural bytes kept, 8 KiB, cover
# while the scanner sends no data): the transfer completes byte for byte.
# (8 such copies used to end the association.)
#
#   lan (storescu; the stranger watches here) ── box (scanwalld) ── dev (storescp, 100 Mbit/s)
#   stranger (sends as 10.77.1.10) ──┘
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

# 5500 x 5500 pixels, 30 MB, through a 100 Mbit/s device port: about 3 s
attack_ready "blind-old" 1 5500 || exit 1
n_box tc qdisc add dev dev0 root tbf rate 100mbit burst 64kb latency 20ms

pacs_store 60 >>"$SW_WORK/storescu.log" 2>&1 &
scu=$!
rt0=$(sw_counter tcp_retransmitted)
check "blind-old: 8 copies older than the keep crafted into the C-STORE in flight" \
	"$craft" old "$(topo_ns lan)" "$(topo_ns stranger)" 10.77.1.10 10.77.1.15 104
rt1=$(sw_counter tcp_retransmitted)
wait "$scu"
rc=$?
check "blind-old: the C-STORE completes ($rc)" test "$rc" = 0
peer_check_arrived "blind-old" "$SW_WORK/send" "$SW_WORK/recv"
# Dropped as unverifiable, or, when the box has not yet seen the ACKs that
# free those bytes (bare ACKs pass in the kernel) and still keeps them,
# compared byte for byte and passed as retransmissions: never the end.
unv=$(sw_counter tcp_unverifiable)
rt=$(( ${rt1:-0} - ${rt0:-0} ))
check "blind-old: the box dropped them as unverifiable (${unv:-?}) or verified them ($rt)" \
	test "${unv:-0}" -ge 8 -o "$rt" -ge 8
bad=$(sw_event_count '"event":"invalid"')
check "blind-old: no invalid event ($bad)" test "$bad" = 0
