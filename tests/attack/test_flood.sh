#!/bin/bash
# A spoofed SYN flood at the advisory's ports (80 and 443 rejected, 3465
# blocked) is dropped in the kernel, at the bridge's prerouting hook
# before conntrack (docs/engine.md, "Fixed verdicts"):
# the PACS's C-ECHO and C-STORE pass while it lasts, the kernel's rule
# counters and the engine's agree, the resets the flooder gets are rate
# limited, a sample of events still names the rule and its reason, and
# nothing reaches the scanner's ports.
#
#   stranger (synflood, 12,288 sources, 10 s) ──┐
#   lan (PACS: echoscu, storescu) ───────────────┴─ box (scanwalld, netns.conf) ─ dev (storescp,
#                                                                                listeners 80 443 3465)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

FLOOD_S=10
iis='"reason":"IIS HTTP.sys, CVE-2015-1635"'
hpca='"reason":"HP Client Automation, CVE-2015-1497 CVE-2015-7860 CVE-2015-7861"'

attack_ready "flood" 3 512 || exit 1
peer_advisory || { fail "flood: listeners up"; exit 1; }

# What reaches the scanner's refused ports, and the resets the flooder gets.
n_dev timeout $((FLOOD_S + 6)) tcpdump -nlq -i eth0 'tcp dst port 80 or tcp dst port 443 or tcp dst port 3465' \
	>"$SW_WORK/dev.cap" 2>/dev/null &
n_stranger timeout $((FLOOD_S + 6)) tcpdump -nlq -i eth0 'tcp[tcpflags] & tcp-rst != 0' \
	>"$SW_WORK/rst.cap" 2>/dev/null &
sleep 1

# Bounded in time and count; the sources (10.77.128.0/17) exist only in
# these namespaces' packets (the scanner has no route to answer them).
# synflood (tests/attack/synflood.c) sends prebuilt frames in batches: the
# three hping3 at -i u100 it replaced (19,000 SYNs a second between them,
# as this) took two thirds of a core: 35 us of CPU a SYN, this 2.
devmac=$(n_dev cat /sys/class/net/eth0/address)
n_stranger timeout $((FLOOD_S + 2)) "$SW_BUILD/tests/synflood" -i eth0 -m "$devmac" -d 10.77.1.15 \
	-p 80,443,3465 -r 19000 -t "$FLOOD_S" -c 200000 >>"$SW_WORK/flood.log" 2>&1 &
flood_pid=$!
sleep 1
check "flood: the PACS's C-ECHO passes during the flood" pacs_echo
check "flood: the PACS's C-STORE passes during the flood" pacs_store 60 10
peer_check_arrived "flood" "$SW_WORK/send" "$SW_WORK/recv"
# new connections' SYNs took a queue of their own (docs/engine.md)
syns=$(n_box iptables -w -vnxL SCANWALL | awk '/tcp flags:0x17\/0x02/ && /NFQUEUE/ { print $1 }')
check "flood: new connections' SYNs (the PACS's, the samples) came through the SYN queue (${syns:-none})" test "${syns:-0}" -ge 2
wait "$flood_pid"
sleep 1

# The kernel's named counter of a rule (its index in the policy), in the
# bridge table (SYNs, before br_netfilter and conntrack) or the inet one.
kernel_hits() {
	n_box nft list counter "$1" scanwall "$2" | awk '$1 == "packets" { print $2 }'
}
engine_hits() { sw_ctl_json "[r[\"hits\"] for r in j[\"rules\"] if r[\"line\"] == $1][0]" counters; }
kb80=$(kernel_hits bridge r3) kb3465=$(kernel_hits bridge r4)
ki80=$(kernel_hits inet r3) ki3465=$(kernel_hits inet r4)
check "flood: the bridge dropped the flood at 80/443 (${kb80:-?} packets)" test "${kb80:-0}" -gt 5000
check "flood: the bridge dropped the flood at 3465 (${kb3465:-?} packets)" test "${kb3465:-0}" -gt 2500
# What the bridge passed on was the sample: the IP hooks (conntrack, the
# inet table) never saw the flood.
check "flood: the inet table saw only the samples (${ki80:-?} + ${ki3465:-?} dropped there)" \
	test $((${ki80:-0} + ${ki3465:-0})) -lt $(((${kb80:-0} + ${kb3465:-0}) / 100))
k80=$((${kb80:-0} + ${ki80:-0})) k3465=$((${kb3465:-0} + ${ki3465:-0}))
ev80=$(sw_event_count '"event":"reject"' '"rule":15')
ev3465=$(sw_event_count '"event":"block"' '"rule":16')
h80=$(engine_hits 15) h3465=$(engine_hits 16)
check "flood: rule 15's hits = kernel + engine ($h80 = $k80 + $ev80)" test "$h80" = $((k80 + ev80))
check "flood: rule 16's hits = kernel + engine ($h3465 = $k3465 + $ev3465)" test "$h3465" = $((k3465 + ev3465))

# Events sampled: at most 100/s (+100) rejects and 10/s (+10) blocks, and
# they still name the rule and its reason.
check "flood: reject events sampled ($ev80 for $k80 dropped)" \
	test "$ev80" -gt 0 -a "$ev80" -le $((100 * (FLOOD_S + 2) + 100))
check "flood: block events sampled ($ev3465 for $k3465 dropped)" \
	test "$ev3465" -gt 0 -a "$ev3465" -le $((10 * (FLOOD_S + 2) + 10))
check "flood: a reject event names the rule and the reason" \
	sw_wait_event 1 '"event":"reject"' '"rule":15' '"dport":80' "$iis"
check "flood: a block event names the rule and the reason" \
	sw_wait_event 1 '"event":"block"' '"rule":16' '"dport":3465' "$hpca"

sleep 2	# the captures end
rst=$(grep -c . "$SW_WORK/rst.cap")
check "flood: the flooder's resets are rate limited ($rst for $k80 SYNs)" \
	test "$rst" -gt 0 -a "$rst" -le $((100 * (FLOOD_S + 2) + 100))
reached=$(grep -c . "$SW_WORK/dev.cap")
check "flood: nothing reached the scanner's ports 80/443/3465 ($reached packets)" test "$reached" = 0
check "flood: no byte reached the scanner's listeners" test ! -s "$SW_WORK/advisory.rec"

# FINs without a connection at 80 from random sources: conntrack calls
# them invalid, no new connection, and before they all crossed the queue.
# The inet table's invalid chain drops them by rule 15 beyond the same
# sample, counted; the engine sees the sample.
ki0=$(kernel_hits inet r3) q0=$(sw_counter packets) ev0=$(sw_event_count '"event":"reject"' '"rule":15')
n_stranger timeout 4 hping3 -q -F -p 80 --rand-source -i u200 -c 10000 10.77.1.15 >>"$SW_WORK/hping.log" 2>&1
sleep 1
fins=$(($(kernel_hits inet r3) - ki0)) q=$(($(sw_counter packets) - q0))
ev=$(($(sw_event_count '"event":"reject"' '"rule":15') - ev0))
check "flood: FINs at 80 without a connection dropped in the inet table ($fins)" test "$fins" -gt 2000
check "flood: the engine saw their sample only ($q packets, $ev reject events)" \
	test "$q" -le $((100 * 5 + 100)) -a "$ev" -gt 0
k80=$(($(kernel_hits bridge r3) + $(kernel_hits inet r3))) ev80=$(sw_event_count '"event":"reject"' '"rule":15')
check "flood: rule 15's hits = kernel + engine after the FINs ($(engine_hits 15) = $k80 + $ev80)" \
	test "$(engine_hits 15)" = $((k80 + ev80))
