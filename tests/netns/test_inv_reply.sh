#!/bin/bash
# The inet table's `inv` chain (conntrack's invalid TCP) takes only what is
# certainly a refusing rule's: a rule that names no port has no line there.
# `block tcp from lan to scanner` would otherwise drop in the kernel the
# late or out-of-window replies to the scanner's own connection to lan,
# which the engine lets through on that connection.
#
#   lan 10.77.1.10:8080 (listener) ◀── dev (the scanner connects out) ──┐
#   lan: 30 segments from :8080 to the scanner's port, out of window ──▶ box ──▶ dev
#        (conntrack: invalid) ─ reach the engine, not the block rule; all 30 arrive
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

sw_start "$SW_POLICY_DIR/inv-reply.conf" || { fail "inv reply: scanwalld starts"; exit 1; }
# what conntrack calls invalid on the forward path, seen by a table of the
# test's own ahead of ours (it only counts)
n_box nft -f - <<-'NFT'
	table inet probe {
		chain seen {
			type filter hook forward priority -20; policy accept;
			ct state invalid meta l4proto tcp counter
		}
	}
NFT

# dev_capture FILE ARGS...: tcpdump on the scanner's port, once it listens
dev_capture() {
	local out=$1 i
	shift
	n_dev timeout 40 tcpdump -nl -i eth0 "$@" >"$out" 2>"$out.err" &
	for ((i = 0; i < 200; i++)); do grep -qs listening "$out.err" && return 0; sleep 0.1; done
	return 1
}

# lan's first data on the connection, for its sequence numbers
dev_capture "$SW_WORK/ready.cap" -S -c 1 'tcp src port 8080 and tcp[13] & 8 != 0' ||
	{ fail "inv reply: tcpdump on the scanner"; exit 1; }
# lan's server: accepts one connection, waits for "go", answers "late"
n_lan /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.1.10", 8080)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30)
assert c.recv(16) == b"hello"
c.sendall(b"ready")
assert c.recv(16) == b"go"
c.sendall(b"late")
c.recv(16)
' >>"$SW_WORK/peer.log" 2>&1 &
topo_wait_tcp lan 10.77.1.10 8080 || { fail "inv reply: lan listens"; exit 1; }
# the scanner's client: connects, says hello, waits for $SW_WORK/go, says
# go, writes what it got after that into $SW_WORK/late
n_dev /usr/bin/python3 -c '
import os, socket, sys, time
c = socket.create_connection(("10.77.1.10", 8080), timeout=20)
c.sendall(b"hello")
assert c.recv(16) == b"ready"
open(sys.argv[1] + "/eport", "w").write(str(c.getsockname()[1]))
for _ in range(300):
    if os.path.exists(sys.argv[1] + "/go"):
        break
    time.sleep(0.1)
c.sendall(b"go")
open(sys.argv[1] + "/late", "w").write(c.recv(16).decode())
c.close()
' "$SW_WORK" >>"$SW_WORK/peer.log" 2>&1 &
client=$!
for ((i = 0; i < 100; i++)); do [ -s "$SW_WORK/eport" ] && break; sleep 0.1; done
eport=$(cat "$SW_WORK/eport" 2>/dev/null)
check "inv reply: the scanner's connection to lan:8080 opens (port ${eport:-none})" test -n "$eport"

# 30 segments in lan's name on that connection, 1 GiB ahead of its window
# (conntrack lets a segment far behind it through as a late duplicate, but
# calls one ahead of it invalid); the scanner's stack answers each with an
# ACK
# (tcpdump writes its line a moment after the client has read "ready")
for ((i = 0; i < 50; i++)); do grep -qs ' seq [0-9]*:' "$SW_WORK/ready.cap" && break; sleep 0.1; done
seq=$(sed -n 's/.* seq \([0-9]*\):.*/\1/p' "$SW_WORK/ready.cap")
check "inv reply: lan's sequence number seen (${seq:-none})" test -n "$seq"
seq=$(((${seq:-0} + (1 << 30)) % (1 << 32)))
dev_capture "$SW_WORK/dev.cap" -q "tcp src port 8080 and tcp dst port $eport and tcp[4:4] = $seq" ||
	{ fail "inv reply: tcpdump on the scanner"; exit 1; }
n_lan timeout 10 hping3 -q -A -s 8080 -k -p "$eport" -M "$seq" -L 1 -d 8 -i u20000 -c 30 10.77.1.15 \
	>>"$SW_WORK/hping.log" 2>&1
sleep 1
touch "$SW_WORK/go"
wait "$client"
kill %?tcpdump 2>/dev/null
sleep 0.5

inv=$(n_box nft list table inet probe | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
check "inv reply: conntrack called the 30 segments invalid (${inv:-?})" test "${inv:-0}" -ge 30
kept=$(n_box nft list counter inet scanwall r1 2>/dev/null | awk '$1 == "packets" { print $2 }')
check "inv reply: the block rule without a port dropped none of them (${kept:-none})" \
	test "${kept:-0}" = 0
check "inv reply: ...and there is no invalid chain for it" \
	bash -c "! ip netns exec $(topo_ns box) nft list chain inet scanwall inv >/dev/null 2>&1"
got=$(grep -c . "$SW_WORK/dev.cap")
check "inv reply: all 30 reached the scanner ($got)" test "$got" = 30
check "inv reply: the connection still carries lan's reply" test "$(cat "$SW_WORK/late" 2>/dev/null)" = late
