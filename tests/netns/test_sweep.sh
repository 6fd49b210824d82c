#!/bin/bash
# A connection the kernel forwards by itself (ct mark ALLOW) that the
# engine no longer knows (a plain flow past FLOW_IDLE_TCP; here, as after
# any restart, a new scanwalld) is judged by every new policy all the same:
# the control thread reads the ALLOW entries from conntrack and revokes
# those the policy refuses.
#
#   lan ──── conn A ──┐                     ┌── dev: echo on 8080
#   viewer ─ conn B ──┴── box (scanwalld) ──┘
#   open A and B; restart scanwalld (same policy): both still echo
#   reload without lan's rule: A stops at once, B still echoes
#   restart without viewer's rule: the start's sweep (on the control
#   thread, the loop already judging) stops B
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

pol=$SW_WORK/policy.conf
cp "$SW_POLICY_DIR/sweep.conf" "$pol"
n_dev /usr/bin/python3 -c '
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.1.15", 8080)); s.listen(8)
def echo(c):
    while True:
        b = c.recv(64)
        if not b:
            return
        c.sendall(b)
while True:
    threading.Thread(target=echo, args=(s.accept()[0],), daemon=True).start()
' >>"$SW_WORK/peer.log" 2>&1 &
topo_wait_tcp dev 10.77.1.15 8080 || { fail "sweep: dev echoes"; exit 1; }
sw_start "$pol" || { fail "sweep: scanwalld starts"; exit 1; }

# client NS NAME: a connection to dev:8080 that echoes a line for each
# line in $SW_WORK/NAME.in (a FIFO) into $SW_WORK/NAME.out, 2 s each
client() {
	mkfifo "$SW_WORK/$2.in"
	ip netns exec "$(topo_ns "$1")" /usr/bin/python3 -c '
import socket, sys
c = socket.create_connection(("10.77.1.15", 8080), timeout=5)
c.settimeout(2)
out = open(sys.argv[2], "w", buffering=1)
for line in open(sys.argv[1]):
    c.sendall(line.encode())
    try:
        out.write(c.recv(64).decode())
    except OSError:
        out.write("lost\n")
' "$SW_WORK/$2.in" "$SW_WORK/$2.out" >>"$SW_WORK/peer.log" 2>&1 &
	disown	# topo_down kills it
	exec {fd}>"$SW_WORK/$2.in"
	eval "fd_$2=$fd"
}
# say NAME WORD: sends WORD on the connection, prints the answer
say() {
	local fd i
	eval "fd=\$fd_$1"
	echo "$2" >&"$fd"
	for ((i = 0; i < 40; i++)); do
		grep -qx "$2\|lost" "$SW_WORK/$1.out" 2>/dev/null && break
		sleep 0.1
	done
	tail -n 1 "$SW_WORK/$1.out"
}
client lan a
client viewer b
check "sweep: lan's connection echoes" test "$(say a one)" = one
check "sweep: viewer's connection echoes" test "$(say b one)" = one
# the engine knows every connection the kernel forwards: a reload needs no
# sweep (a dump walks every conntrack bucket, docs/engine.md)
check "sweep: a reload answers ok" test "$(sw_ctl_json 'j["ok"]' reload)" = True
check "sweep: ...and runs no sweep: the engine knows both connections (one sweep, at the start)" \
	test "$(grep -c "conntrack sweep: .* kept" "$SW_WORK/scanwalld.log")" = 1

sw_stop
sw_start "$pol" || { fail "sweep: scanwalld starts again"; exit 1; }
check "sweep: after the restart lan's connection still echoes (the kernel forwards it)" \
	test "$(say a two)" = two
check "sweep: ...and viewer's" test "$(say b two)" = two

sed -i '/from lan to scanner port 8080/d' "$pol"
check "sweep: reload answers ok" test "$(sw_ctl_json 'j["ok"]' reload)" = True
check "sweep: lan's connection, unknown to this engine, is refused by the new policy" \
	test "$(say a three)" = lost
check "sweep: viewer's connection, still allowed, echoes" test "$(say b three)" = three
check "sweep: scanwalld said what it revoked" grep -q "1 connections the kernel forwarded revoked" "$SW_WORK/scanwalld.log"

sw_stop
sed -i '/from viewer to scanner port 8080/d' "$pol"
sw_start "$pol" || { fail "sweep: scanwalld starts without viewer's rule"; exit 1; }
# the start-up sweep runs on the control thread once the loop turns: wait
# (bounded) for its line, the second in the log
for _ in $(seq 50); do
	[ "$(grep -c "connections the kernel forwarded revoked" "$SW_WORK/scanwalld.log")" -ge 2 ] && break
	sleep 0.1
done
check "sweep: at the start, viewer's connection, refused by the policy, is revoked" \
	test "$(say b four)" = lost
