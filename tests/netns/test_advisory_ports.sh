#!/bin/bash
# The advisory's attack surface (ICSMA-17-215-02): IIS on 80/443 is
# rejected, the HP Client Automation agent on 3465 is blocked; every
# attempt is an event carrying the policy's reason, over IPv4 and IPv6,
# and not one byte reaches the listeners on the scanner.
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
