#!/bin/bash
# The resets the box sends to a refused association's later packets go
# through the per-source answer limit (answerlim.c): conntrack queues the
# whole connection once the engine took its mark back, so without the
# limit every packet in its name would be answered. The PACS's request is
# refused (wrong called AE, an A-ASSOCIATE-RJ); a stranger then sends 50
# segments in its name on that connection: the box answers a second's
# budget of them with resets (5 a source, the RJ included), not 50.
#
#   lan 10.77.1.10 (an RQ to a wrong AE) ───────────────────────────────────┐
#   stranger (50 segments as 10.77.1.10 on the refused connection; counts  ├─ box ── dev 10.77.1.15
#             the resets that come back out of its port)  ─────────────────┘
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

peer_storescp "$SW_WORK/recv" || { fail "refused-flood: storescp listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "refused-flood: scanwalld starts"; exit 1; }
# the box bridges ARP only to and from the scanner
n_stranger ip neigh replace 10.77.1.10 dev eth0 \
	lladdr "$(n_lan cat /sys/class/net/eth0/address)"

out=$("$here/tcpcraft.py" refused "$(topo_ns lan)" "$(topo_ns stranger)" "$(topo_ns dev)" \
	10.77.1.15 104 LAN_SCU NOT_SYMBIA 2>&1)
echo "$out"
check "refused-flood: the request got its A-ASSOCIATE-RJ" grep -q "answer 3," <<<"$out"
resets=$(sed -n 's/.*, \([0-9]*\) resets.*/\1/p' <<<"$out")
check "refused-flood: resets within the source's limit (${resets:-?} for 50 segments)" \
	test "${resets:-99}" -ge 1 -a "${resets:-99}" -le 6
limited=$(sw_counter answers_limited)
check "refused-flood: the rest counted as limited (${limited:-?})" test "${limited:-0}" -ge 40
