#!/bin/bash
# An A-ASSOCIATE-RQ split over four TCP segments, sent with pauses, is
# held and judged whole: the acceptor on the scanner receives nothing until
# the last piece, then the association is accepted (IPv4 and IPv6); the
# same request with a wrong calling AE never reaches it at all.
#
#   lan (peer.py split) ── box (scanwalld) ── dev (peer.py acceptor :11112)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

rec=$SW_WORK/acceptor.rec
n_dev "$SW_PEER" acceptor --record "$rec" 11112 >>"$SW_WORK/peer.log" 2>&1 &
topo_wait_tcp dev 10.77.1.15 11112 || { fail "netns split: acceptor listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns split: scanwalld starts"; exit 1; }

split() { n_lan timeout 30 "$SW_PEER" split "$@" --pieces 4 --delay 0.7 --record "$rec"; }

split 10.77.1.15 11112 --calling WRONG_AE --called SYMBIA >>"$SW_WORK/peer.log" 2>&1
check "netns split: wrong calling AE refused (exit $?)" test $? = 4
check "netns split: ...and not one byte reached the device" test ! -s "$rec"

split 10.77.1.15 11112 --calling LAN_SCU --called SYMBIA >>"$SW_WORK/peer.log" 2>&1
rc=$?
check "netns split: held until whole, then accepted over IPv4 (exit $rc)" test $rc = 0
check "netns split: the device got the request" test -s "$rec"

: >"$rec"
split fd77::15 11112 --calling LAN_SCU --called SYMBIA >>"$SW_WORK/peer.log" 2>&1
rc=$?
check "netns split: held until whole, then accepted over IPv6 (exit $rc)" test $rc = 0
