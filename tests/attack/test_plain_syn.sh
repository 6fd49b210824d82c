#!/bin/bash
# 2,048 spoofed SYNs to port 2000, which the policy lets the viewers' range
# reach without inspection, from 48 addresses of that range. Such a flow is
# handed to the kernel only once its handshake is complete, so the flood's
# flows stay unestablished: the table (1,024 entries here, --flows) drops
# the oldest of them for each new flow. The PACS (lan, named by host
# address) then does a C-ECHO and a C-STORE, and the stranger, whose own
# address is in the range, still gets a real connection to port 2000
# through. Without the fix each SYN was settled at once and held its entry
# for FLOW_IDLE_TCP (an hour): the table stayed full and the PACS found no
# flow.
#
#   stranger 10.77.1.66 (raw socket: SYNs spoofed from 10.77.1.80/26;
#                        then a real connection to :2000) ─┐
#   lan 10.77.1.10 (PACS: echoscu, storescu) ──────────────┼─ box (scanwalld) ── dev (storescp :104,
#                                                                                       echo :2000)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
. "$here/lib.sh"
netns_test_begin

cat >"$SW_WORK/echo.py" <<'EOP'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 2000)); s.listen(16); s.settimeout(60)
while True:
    c, _ = s.accept(); c.settimeout(5)
    try:
        c.sendall(c.recv(64))
    except OSError:
        pass
    c.close()
EOP
cat >"$SW_WORK/ask.py" <<'EOP'
import socket, sys
c = socket.create_connection((sys.argv[1], 2000), timeout=5)
c.sendall(b"ping\n")
sys.exit(0 if c.recv(64) == b"ping\n" else 1)
EOP

attack_ready "attack plain syn" 1 "" "$here/range-plain.conf" --flows 1024 || exit 1
n_dev timeout 100 /usr/bin/python3 "$SW_WORK/echo.py" 10.77.1.15 >>"$SW_WORK/peer.log" 2>&1 &
topo_wait_tcp dev 10.77.1.15 2000

sent=$(n_stranger timeout 30 "$here/flood.py" syn 10.77.1.15 2000 --net 10.77.1.80 --hosts 48 \
	--count 2048 --seconds 20)
check "attack plain syn: 2048 SYNs to the plain port spoofed from 48 addresses (${sent:-none})" \
	test "${sent:-0}" = 2048

check "attack plain syn: C-ECHO lan -> scanner after the flood" pacs_echo
check "attack plain syn: C-STORE lan -> scanner after the flood" pacs_store 60 10
peer_check_arrived "attack plain syn" "$SW_WORK/send" "$SW_WORK/recv"
check "attack plain syn: a real connection from the range to the plain port" \
	n_stranger timeout 10 /usr/bin/python3 "$SW_WORK/ask.py" 10.77.1.15

early=$(sw_counter syn_early_drop)
check "attack plain syn: the oldest handshakes made room (${early:-none})" test "${early:-0}" -gt 0
full=$(sw_counter flows_table_full)
check "attack plain syn: no flow refused for a full table (${full:-none})" test "${full:-1}" = 0
check "attack plain syn: both associations accepted" \
	test "$(sw_event_count '"event":"assoc-accept"' '"calling_ae":"LAN_SCU"')" -ge 2
