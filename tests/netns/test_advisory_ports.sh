#!/bin/bash
# The advisory's attack surface (ICSMA-17-215-02): IIS on 80/443 is
# rejected, the HP Client Automation agent on 3465 is blocked; every
# attempt is an event carrying the policy's reason, over IPv4 and IPv6,
# and not one byte reaches the listeners on the scanner. A burst at 3465
# is dropped at the bridge, before conntrack, beyond a sample.
#
#   lan, viewer ── box (scanwalld, netns.conf) ── dev (listeners on 80, 443, 3465)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

peer_advisory || { fail "netns advisory: listeners up"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns advisory: scanwalld starts"; exit 1; }

iis='"reason":"IIS HTTP.sys, CVE-2015-1635"'
hpca='"reason":"HP Client Automation, CVE-2015-1497 CVE-2015-7860 CVE-2015-7861"'

elapsed_ms n_lan curl -s -o /dev/null -m 10 http://10.77.1.15/
check "netns advisory: HTTP refused at once (exit $RC, ${ELAPSED_MS} ms)" \
	test "$RC" != 0 -a "$ELAPSED_MS" -lt 2000
check "netns advisory: HTTP event with the policy's reason" \
	sw_wait_event 5 '"event":"reject"' '"dport":80' "$iis"

elapsed_ms n_lan curl -sk -o /dev/null -m 10 https://10.77.1.15/
check "netns advisory: HTTPS refused at once (exit $RC, ${ELAPSED_MS} ms)" \
	test "$RC" != 0 -a "$ELAPSED_MS" -lt 2000
check "netns advisory: HTTPS event with the policy's reason" \
	sw_wait_event 5 '"event":"reject"' '"dport":443' "$iis"

elapsed_ms n_viewer curl -s -o /dev/null -m 10 -g 'http://[fd77::15]/'
check "netns advisory: HTTP over IPv6 refused (exit $RC)" test "$RC" != 0
check "netns advisory: IPv6 event with the policy's reason" \
	sw_wait_event 5 '"event":"reject"' '"dst":"fd77::15"' "$iis"

n_lan "$SW_PEER" connect 10.77.1.15 3465 --timeout 3 >>"$SW_WORK/peer.log" 2>&1
check "netns advisory: port 3465 gets no connection (exit $?)" test $? != 0
check "netns advisory: 3465 event with the policy's reason" \
	sw_wait_event 5 '"event":"block"' '"dport":3465' "$hpca"

check "netns advisory: no byte reached the scanner's listeners" \
	test ! -s "$SW_WORK/advisory.rec"

# A burst of SYNs at 3465 (50 in 0.1 s): the bridge's prerouting chain
# drops what exceeds the sample (10 a second, burst 10) before conntrack
# and counts it; the engine still logs the sample with the rule and the
# reason, and the rule's hits are the two counts added.
n_lan timeout 10 hping3 -q -S -p 3465 -i u2000 -c 50 10.77.1.15 >>"$SW_WORK/hping.log" 2>&1
sleep 1	# the sample judged and logged
kernel_hits() { n_box nft list counter "$1" scanwall r4 | awk '$1 == "packets" { print $2 }'; }
kb=$(kernel_hits bridge) ki=$(kernel_hits inet)
ev=$(sw_event_count '"event":"block"' '"rule":16' "$hpca")
hits=$(sw_ctl_json '[r["hits"] for r in j["rules"] if r["line"] == 16][0]' counters)
check "netns advisory: the bridge dropped the SYN burst's excess at 3465 (${kb:-?} of 50)" \
	test "${kb:-0}" -ge 25 -a "${kb:-0}" -le 45
check "netns advisory: the burst's sample logged with the reason ($ev block events at 3465)" \
	test "$ev" -ge 6
check "netns advisory: rule 16's hits = bridge + inet + engine ($hits = $kb + $ki + $ev)" \
	test "$hits" = $((${kb:-0} + ${ki:-0} + ev))
