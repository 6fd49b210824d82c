#!/bin/bash
# Malformed A-ASSOCIATE-RQs never reach the device: a recording acceptor
# on the scanner writes every byte it receives to a file, which must stay
# empty through every variant; then one valid request shows the recorder
# does record (so the empty file means something).
#
#   lan (peer.py malformed) ── box (scanwalld) ── dev (peer.py acceptor :11112)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

rec=$SW_WORK/acceptor.rec
n_dev "$SW_PEER" acceptor --record "$rec" 11112 >>"$SW_WORK/peer.log" 2>&1 &
topo_wait_tcp dev 10.77.1.15 11112 || { fail "netns malformed: acceptor listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns malformed: scanwalld starts"; exit 1; }

for v in $("$SW_PEER" malformed x 0 list); do
	before=$(sw_event_count '"src":"10.77.1.10"' '"dport":11112')
	n_lan timeout 20 "$SW_PEER" malformed 10.77.1.15 11112 "$v" >>"$SW_WORK/peer.log" 2>&1
	check "netns malformed: $v never reaches the device" test ! -s "$rec"
	sleep 0.2
	after=$(sw_event_count '"src":"10.77.1.10"' '"dport":11112')
	check "netns malformed: $v is an event" test "$after" -gt "$before"
done

n_lan timeout 20 "$SW_PEER" split 10.77.1.15 11112 --calling LAN_SCU --called SYMBIA \
	--pieces 1 >>"$SW_WORK/peer.log" 2>&1
check "netns malformed: a valid request is accepted (exit $?)" test $? = 0
check "netns malformed: ...and recorded, so the recorder works" test -s "$rec"
