#!/bin/bash
# The inline datapath against the real kernel:
#
#   [lan] l0 10.231.0.1 ── pl ┐            ┌ pd ── d0 10.231.0.2 [dev]
#                             └── br0 [box] ┘
#                          scanwalld --queue Q in box
#
# With the engine: an allowed TCP connection passes (and is settled into
# the kernel), one the policy does not allow fails. Engine stopped, ruleset
# left in place: TCP fails (fail closed), ARP still resolves. Restarted: the
# ruleset is replaced, not doubled, and TCP passes again. --flush removes it.
#
#   tests/netns/test_probe.sh [BUILD_DIR]   (or through tests/netns/run.sh)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib.sh"
BUILD=$(cd "${1:-${SW_BUILD:-$ROOT/build}}" && pwd)
SWD=$BUILD/scanwalld
Q=$((100 + $$ % 900))
P=sw$$
LAN=${P}lan BOX=${P}box DEV=${P}dev
TMP=$(mktemp -d /tmp/swprobe.XXXXXX)
ENGINE_PID=

lan() { timeout 20 ip netns exec "$LAN" "$@"; }
box() { timeout 20 ip netns exec "$BOX" "$@"; }
dev() { timeout 20 ip netns exec "$DEV" "$@"; }

cleanup() {
	[ -n "$ENGINE_PID" ] && kill "$ENGINE_PID" 2>/dev/null
	[ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null
	wait 2>/dev/null
	for n in "$LAN" "$BOX" "$DEV"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

topology() {
	ip netns add "$LAN" && ip netns add "$BOX" && ip netns add "$DEV" || return 1
	ip link add l0 netns "$LAN" type veth peer name pl netns "$BOX"
	ip link add d0 netns "$DEV" type veth peer name pd netns "$BOX"
	box ip link add br0 type bridge
	box ip link set pl master br0
	box ip link set pd master br0
	for i in pl pd br0 lo; do box ip link set "$i" up; done
	lan ip addr add 10.231.0.1/24 dev l0 && lan ip link set l0 up && lan ip link set lo up
	dev ip addr add 10.231.0.2/24 dev d0 && dev ip link set d0 up && dev ip link set lo up
}

cat >"$TMP/policy.conf" <<EOP
device dev 10.231.0.2 ae DEV
peer lan 10.231.0.1 ae any
allow tcp from lan to dev port 5555
default block
EOP
cp "$TMP/policy.conf" "$TMP/policy.conf.orig"

# A TCP echo server in dev on 5555 and 5556, answering each line.
cat >"$TMP/server.py" <<'EOP'
import socket, selectors, sys
sel = selectors.DefaultSelector()
for port in (5555, 5556):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.231.0.2", port)); s.listen(8); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
open(sys.argv[1], "w").close()
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept(); c.settimeout(5)
        try:
            while True:
                d = c.recv(4096)
                if not d: break
                c.sendall(d)
        except OSError:
            pass
        c.close()
EOP

# connect PORT: 20 round trips, exit 0 only when every byte came back.
cat >"$TMP/client.py" <<'EOP'
import socket, sys
s = socket.create_connection(("10.231.0.2", int(sys.argv[1])), timeout=3)
for i in range(20):
    msg = b"ping %d\n" % i
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        d = s.recv(100)
        if not d: sys.exit(2)
        got += d
    if got != msg: sys.exit(3)
EOP

# hold PORT FLAG: one round trip, then waits for FLAG to appear and tries
# another; exits 0 only when the first passed and the second did not.
cat >"$TMP/hold.py" <<'EOP'
import os, socket, sys, time
s = socket.create_connection(("10.231.0.2", int(sys.argv[1])), timeout=3)
s.sendall(b"one\n")
if s.recv(100) != b"one\n": sys.exit(2)
open(sys.argv[2] + ".up", "w").close()
for _ in range(100):
    if os.path.exists(sys.argv[2]): break
    time.sleep(0.1)
time.sleep(0.5)
s.settimeout(2)
try:
    s.sendall(b"two\n")
    sys.exit(4 if s.recv(100) == b"two\n" else 0)
except OSError:
    sys.exit(0)
EOP

tcp() { lan timeout 8 /usr/bin/python3 "$TMP/client.py" "$1" 2>/dev/null; }
no_tcp() { ! tcp "$1"; }

engine_start() {
	ip netns exec "$BOX" timeout 120 "$SWD" --policy "$TMP/policy.conf" --queue "$Q" \
		--events "$TMP/events.json" 2>>"$TMP/engine.log" &
	ENGINE_PID=$!
	for _ in $(seq 50); do
		grep -q "queue $Q: running" "$TMP/engine.log" 2>/dev/null && return 0
		kill -0 "$ENGINE_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/engine.log" >&2
	return 1
}

engine_stop() {
	kill -TERM "$ENGINE_PID" && wait "$ENGINE_PID"
	local rc=$?
	ENGINE_PID=
	return $rc
}

# How many rules of ours jump or queue, whichever backend was chosen.
our_rules() {
	{ box iptables -S FORWARD 2>/dev/null; box ip6tables -S FORWARD 2>/dev/null; } |
		grep -c -- "-j SCANWALL"
}
ruleset_present() {
	box nft list table bridge scanwall >/dev/null 2>&1 &&
		{ [ "$(our_rules)" = 2 ] || box nft list table inet scanwall >/dev/null 2>&1; }
}
ruleset_absent() {
	! box nft list table bridge scanwall >/dev/null 2>&1 &&
		! box nft list table inet scanwall >/dev/null 2>&1 && [ "$(our_rules)" = 0 ]
}
# The policy's refusals in the kernel (docs/engine.md): its allow rule
# hands on to the engine, its default drops after a sample.
policy_in_kernel() {
	local pol
	pol=$(box nft list chain inet scanwall pol 2>/dev/null)
	grep -q 'tcp dport 5555 return' <<<"$pol" && grep -q 'goto dflt' <<<"$pol" &&
		box nft list chain inet scanwall dflt 2>/dev/null | grep -q 'counter name "dflt" drop'
}
no_bypass() { ! { box nft list ruleset; box iptables -S; box ip6tables -S; } 2>/dev/null | grep -qi bypass; }
arp_resolves() {
	lan ip neigh flush dev l0
	tcp 5555	# no ping here: any packet to it makes the kernel resolve
	lan ip neigh show 10.231.0.2 dev l0 | grep -q lladdr
}
kernel_forwarded() {
	box nft list ruleset 2>/dev/null | grep -Eq 'ct mark (&|and) 0x68000000 == 0x40000000 counter packets [1-9]'
}
# A connection settled under the first policy, then SIGHUP with a policy
# that no longer allows it: its conntrack entry is marked DENY.
revoke_on_reload() {
	local rc
	lan timeout 15 /usr/bin/python3 "$TMP/hold.py" 5555 "$TMP/reloaded" &
	local pid=$!
	for _ in $(seq 50); do [ -f "$TMP/reloaded.up" ] && break; sleep 0.1; done
	sed -i '/^allow tcp/d' "$TMP/policy.conf"
	kill -HUP "$ENGINE_PID"
	for _ in $(seq 50); do grep -q 'policy reloaded' "$TMP/events.json" && break; sleep 0.1; done
	touch "$TMP/reloaded"
	wait "$pid"; rc=$?
	cp "$TMP/policy.conf.orig" "$TMP/policy.conf"
	kill -HUP "$ENGINE_PID"
	return $rc
}

echo "netns probe: queue $Q, namespaces $P*"
topology || { fail "probe topology"; exit 1; }
dev /usr/bin/python3 "$TMP/server.py" "$TMP/server.ready" &
SERVER_PID=$!
for _ in $(seq 50); do [ -f "$TMP/server.ready" ] && break; sleep 0.1; done

check "probe engine starts, installs the ruleset" engine_start
check "probe bridge-nf-call-iptables is 1" \
	test "$(box cat /proc/sys/net/bridge/bridge-nf-call-iptables)" = 1
check "probe ruleset present" ruleset_present
check "probe no queue bypass anywhere" no_bypass
check "probe the policy's default is in the kernel" policy_in_kernel
check "probe allowed TCP passes (20 round trips)" tcp 5555
check "probe unlisted TCP port refused" no_tcp 5556
check "probe settled flow forwarded by the kernel (ct mark counter)" kernel_forwarded
check "probe events file has the start event" grep -q '"start"' "$TMP/events.json"
check "probe reload revokes a settled flow the new policy refuses" revoke_on_reload
check "probe engine stops on SIGTERM" engine_stop
cp "$TMP/policy.conf.orig" "$TMP/policy.conf"
check "probe ruleset left in place after exit" ruleset_present
check "probe fail closed: TCP refused with no engine" no_tcp 5555
check "probe ARP resolves with no engine" arp_resolves
check "probe engine restarts over its own ruleset" engine_start
check "probe ruleset replaced, not doubled" ruleset_present
check "probe TCP passes again after restart" tcp 5555
check "probe engine stops again" engine_stop
check "probe --flush removes everything" box "$SWD" --flush
check "probe ruleset gone after --flush" ruleset_absent
exit 0
