#!/bin/bash
# The control socket under abuse (issue #16) leaves the box judging and
# answering: a FIFO or a symlink named to `bundle install` is refused at
# once (the client opens the file, the engine only reads a regular file
# passed as a descriptor, never a path); 17 clients that never finish a
# line and a `flows` of some 60,000 flows, paged, leave `status` answering
# and a C-ECHO through the box working.
#
#   ctl clients (stalled x17, raw SCM_RIGHTS, --ctl) ─▶ box: scanwalld
#   lan (UDP from 60,000 ports, echoscu) ── box ── dev (storescp)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

FLOWS=60000	# the table holds 65,536: room is left for the C-ECHO
keys=$SW_WORK/keys
mkdir -p "$keys" "$SW_WORK/priv"
"$SW_BUILD/scanwall-bundle" keygen --out "$SW_WORK/priv/a" >/dev/null && cp "$SW_WORK/priv/a.pub" "$keys/"
pol=$SW_WORK/policy.conf
{ cat "$SW_POLICY_DIR/netns.conf"; echo 'allow udp from lan to scanner port 9'; } >"$pol"

peer_storescp "$SW_WORK/recv" || { fail "netns control: storescp listens"; exit 1; }
sw_start "$pol" --keyring "$keys" || { fail "netns control: scanwalld starts"; exit 1; }
echo_ok() { n_lan timeout 20 echoscu -to 5 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104 >>"$SW_WORK/scu.log" 2>&1; }
status_ok() { sw_ctl status | grep -q '"version":'; }

# raw_ctl LINE [FILE]: one line on the control socket, FILE's descriptor
# passed with it (SCM_RIGHTS) when given; prints the answer.
raw_ctl() {
	/usr/bin/python3 - "$SW_WORK/ctl.sock" "$@" <<-'PY'
		import os, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.settimeout(10)
		s.connect(sys.argv[1])
		line = (sys.argv[2] + "\n").encode()
		if len(sys.argv) > 3:
		    fd = os.open(sys.argv[3], os.O_RDWR | os.O_NONBLOCK)
		    socket.send_fds(s, [line], [fd])
		else:
		    s.sendall(line)
		print(s.makefile().readline().strip())
	PY
}

# --- a path is never opened by the engine ---------------------------------
mkfifo "$SW_WORK/fifo"
ln -s /etc/shadow "$SW_WORK/link"
check "netns control: a FIFO named to bundle install is refused at once" \
	grep -q '"error":"bundle install: not a regular file"' <<<"$(sw_ctl bundle install "$SW_WORK/fifo")"
check "netns control: a symlink is refused" \
	grep -q '"error":"bundle install: a symbolic link' <<<"$(sw_ctl bundle install "$SW_WORK/link")"
check "netns control: a bare path is not opened by the engine" \
	grep -q 'the file must come with the command' <<<"$(raw_ctl "bundle install /etc/shadow")"
check "netns control: a FIFO passed as a descriptor is refused" \
	grep -q '"error":"bundle install: not a regular file"' <<<"$(raw_ctl "bundle install x" "$SW_WORK/fifo")"
check "netns control: status answers after them" status_ok

# --- 17 clients that never finish a line ----------------------------------
/usr/bin/python3 - "$SW_WORK/ctl.sock" <<-'PY' &
	import socket, sys, time
	held = []
	for _ in range(17):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    s.connect(sys.argv[1])
	    try:
	        s.send(b"sta")
	    except OSError:
	        pass	# the 17th: "too many clients", closed
	    held.append(s)
	time.sleep(30)
PY
stalled=$!
sleep 0.5	# a silent client may lose its slot after 250 ms
check "netns control: status answers with 17 stalled clients" status_ok

# --- a full flow table, listed in pages -----------------------------------
# UDP from the LAN peer's ports 1024.. to the device's port 9 (allowed: each
# is one settled flow), paced so that the queue does not overflow; sent
# again until the engine holds them (a flow it already settled goes by in
# the kernel).
flood() {
	n_lan /usr/bin/python3 - "$FLOWS" <<-'PY'
		import socket, struct, sys, time
		n = int(sys.argv[1])
		s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
		src, dst = socket.inet_aton("10.77.1.10"), socket.inet_aton("10.77.1.15")
		for i in range(n):
		    udp = struct.pack("!HHHH", 1024 + i, 9, 8, 0)
		    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, src, dst)
		    s.sendto(ip + udp, ("10.77.1.15", 0))
		    if i % 1000 == 999:
		        time.sleep(0.02)
	PY
}
live() { sw_ctl_json 'j["flows_live"]' status; }
for _ in 1 2 3; do
	flood
	[ "$(live)" -ge "$FLOWS" ] && break
done
n=$(live)
echo "flows live: $n" >&2
check "netns control: the engine holds $FLOWS flows and more (has $n)" test "$n" -ge "$FLOWS"

# every page, back to back, while status and a C-ECHO are asked meanwhile
pages() {
	local from=0 seen=0 ans
	while [ "$from" != None ]; do
		ans=$(sw_ctl flows from "$from" count 10000) || return 1
		seen=$((seen + $(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["count"])' <<<"$ans")))
		from=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["next"])' <<<"$ans")
	done
	echo "$seen" >"$SW_WORK/seen"
}
pages &
paging=$!
check "netns control: status answers while flows are paged" status_ok
check "netns control: C-ECHO passes while flows are paged" echo_ok
wait "$paging"
check "netns control: the pages list every flow ($(cat "$SW_WORK/seen" 2>/dev/null))" \
	test "$(cat "$SW_WORK/seen" 2>/dev/null || echo 0)" -ge "$FLOWS"
check "netns control: a whole-table flows answers in one page at most 10000" \
	test "$(sw_ctl_json 'j["count"]' flows)" = 10000
check "netns control: status answers after all of it" status_ok
kill "$stalled" 2>/dev/null
wait "$stalled" 2>/dev/null || true
