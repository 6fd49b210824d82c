#!/bin/bash
# Allowed DICOM passes the box intact: a C-ECHO, then a C-STORE of three
# images whose data sets arrive byte for byte, with the events and the
# control socket's counters telling the same story.
#
#   lan (LAN_SCU) ── box (scanwalld, netns.conf) ── dev (storescp, AE SYMBIA)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

peer_make_dicom "$SW_WORK/send" 3 || { fail "netns pass: make test images"; exit 1; }
peer_storescp "$SW_WORK/recv" || { fail "netns pass: storescp listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns pass: scanwalld starts"; exit 1; }

# The scanner closes first: storescp ends a connection that sends no
# request after its ACSE timeout (-ta 10). The box does not know the
# scanner's port yet, so the SYN-ACK comes to the engine, and so does the
# scanner's FIN, judged by its window (its last ACK, bare, passes in the
# kernel): the client sees the close.
check "netns pass: the scanner closes an idle connection first" n_lan timeout 20 /usr/bin/python3 -c '
import socket; s = socket.create_connection(("10.77.1.15", 104), 5); s.settimeout(15)
assert s.recv(1) == b""; s.close()'

check "netns pass: C-ECHO lan -> scanner" \
	n_lan timeout 30 echoscu -to 10 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104
check "netns pass: C-STORE of 3 images" \
	n_lan timeout 60 storescu -to 10 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104 \
	"$SW_WORK"/send/*.dcm

peer_check_arrived "netns pass" "$SW_WORK/send" "$SW_WORK/recv"

check "netns pass: assoc-accept events name LAN_SCU" \
	sw_wait_event 5 '"event":"assoc-accept"' '"calling_ae":"LAN_SCU"' '"called_ae":"SYMBIA"'
hits=$(sw_ctl_json '[r["hits"] for r in j["rules"] if r["line"] == 9][0]' counters)
if [ "${hits:-0}" -ge 2 ] 2>/dev/null; then
	ok "netns pass: counters show rule 9 hit ($hits)"
else
	fail "netns pass: counters show rule 9 hit (got '${hits:-}')"
fi
check "netns pass: status names the policy's sha256" \
	test "$(sw_ctl_json 'j["policy"]["sha256"]' status)" = \
	"$(sha256sum "$SW_POLICY_DIR/netns.conf" | cut -d' ' -f1)"
refusals=$(sw_event_count '"event":"assoc-reject"')
check "netns pass: no refusal events ($refusals)" test "$refusals" = 0
# the association's bare ACKs went by in the kernel (ct mark OPEN), not
# through the queue; counted by the inet table's own rules, which judge on
# both backends
acks=$(n_box nft list table inet scanwall | awk '/tcp doff/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }')
check "netns pass: bare ACKs passed in the kernel ($acks)" test "${acks:-0}" -gt 0
# the C-ECHO taught the engine where the scanner sits; the C-STORE's
# SYN-ACK then passed in the kernel (docs/engine.md, hostport.c)
synacks=$(n_box nft list chain inet scanwall open | awk '/ct direction reply/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
check "netns pass: the second association's SYN-ACK passed in the kernel (${synacks:-none})" \
	test "${synacks:-0}" -ge 1
# A connection that closes before its RQ (a monitoring probe): its FIN
# reaches the scanner, which closes its end too, and nothing is refused.
blocks_before=$(sw_event_count '"event":"block"')
check "netns pass: a probe connects and closes" n_lan timeout 10 /usr/bin/python3 -c '
import socket; s = socket.create_connection(("10.77.1.15", 104), 5); s.close()'
probe_open() { n_dev ss -Htn state established '( sport = :104 )' | grep -c 10.77.1.10; }
for _ in $(seq 30); do [ "$(probe_open)" = 0 ] && break; sleep 0.1; done
check "netns pass: the probe's FIN reached the scanner ($(probe_open) left open)" test "$(probe_open)" = 0
check "netns pass: no block event for the probe" \
	test "$(sw_event_count '"event":"block"')" = "$blocks_before"
