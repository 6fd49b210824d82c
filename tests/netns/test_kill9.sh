#!/bin/bash
# Fail closed: after `kill -9` of scanwalld the kernel ruleset stays and,
# with nobody bound to the queue, a new connection gets nowhere; a restart
# with a bad option changes nothing; a good restart of scanwalld opens the
# wire again (this one without busy polling: the loop that always sleeps).
#
#   lan ── box (scanwalld, then none, then scanwalld again) ── dev (storescp)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

echo_ok() { n_lan timeout 30 echoscu -to 5 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104; }

peer_storescp "$SW_WORK/recv" || { fail "netns kill9: storescp listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns kill9: scanwalld starts"; exit 1; }
check "netns kill9: C-ECHO passes before" echo_ok

kill -9 "$SW_PID"
wait "$SW_PID" 2>/dev/null
SW_PID=
echo_ok >>"$SW_WORK/scu.log" 2>&1
check "netns kill9: C-ECHO fails with the engine dead (exit $?)" test $? != 0
n_lan "$SW_PEER" connect 10.77.1.15 104 --timeout 3 >>"$SW_WORK/peer.log" 2>&1
check "netns kill9: no TCP connection opens either (exit $?)" test $? != 0

n_box timeout 10 "$SW_BUILD/scanwalld" --policy "$SW_POLICY_DIR/netns.conf" --queue 0 \
	--busy-poll 10001 >>"$SW_WORK/scanwalld.log" 2>&1
check "netns kill9: a restart with --busy-poll out of range exits 2 ($?)" test $? = 2
n_lan "$SW_PEER" connect 10.77.1.15 104 --timeout 3 >>"$SW_WORK/peer.log" 2>&1
check "netns kill9: and the wire stays closed (exit $?)" test $? != 0

sw_start "$SW_POLICY_DIR/netns.conf" --busy-poll 0 || { fail "netns kill9: scanwalld restarts"; exit 1; }
check "netns kill9: C-ECHO passes after the restart (--busy-poll 0)" echo_ok
