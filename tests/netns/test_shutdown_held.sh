#!/bin/bash
# Shutdown with packets still held and parked (issue #16, #15 item 11):
# ending the engine's flows releases them through the queue, so the queue
# must outlive the engine. An ASan+UBSan scanwalld (build/san, `make
# netns-test` builds it) is stopped while an A-ASSOCIATE-RQ is held half
# sent and a segment beyond a gap is parked: it must exit 0 with no report.
#
#   lan (peer.py split: RQ piece 1, pause; a crafted segment past a gap)
#     ── box (ASan scanwalld) ── dev (peer.py acceptor :11112)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

san=${SW_SAN_BUILD:-$here/../../build/san}
if [ ! -x "$san/scanwalld" ]; then
	fail "netns shutdown: no ASan scanwalld in $san (make BUILD=build/san SAN=address,undefined build/san/scanwalld)"
	exit 0
fi
rec=$SW_WORK/acceptor.rec
n_dev "$SW_PEER" acceptor --record "$rec" 11112 >>"$SW_WORK/peer.log" 2>&1 &
topo_wait_tcp dev 10.77.1.15 11112 || { fail "netns shutdown: acceptor listens"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SW_BUILD=$san sw_start "$SW_POLICY_DIR/netns.conf" || { fail "netns shutdown: ASan scanwalld starts"; exit 1; }

# the handshake's sequence numbers, for the segment past the gap
n_lan timeout 20 tcpdump -l -n -S -c 2 -i any 'tcp port 11112 and tcp[tcpflags] & tcp-syn != 0' \
	>"$SW_WORK/syn.txt" 2>/dev/null &
dump=$!
sleep 0.5
# 4 pieces 5 s apart: the first is held while we stop the engine
n_lan timeout 30 "$SW_PEER" split 10.77.1.15 11112 --calling LAN_SCU --called SYMBIA \
	--pieces 4 --delay 5 >>"$SW_WORK/peer.log" 2>&1 &
wait "$dump"
read -r sport isn ack < <(/usr/bin/python3 - "$SW_WORK/syn.txt" <<-'PY'
	import re, sys
	syn = synack = None
	for line in open(sys.argv[1]):
	    m = re.search(r"10\.77\.1\.10\.(\d+) > 10\.77\.1\.15\.11112: Flags \[S\], seq (\d+)", line)
	    if m:
	        syn = m.groups()
	    m = re.search(r"> 10\.77\.1\.10\.\d+: Flags \[S\.\], seq (\d+)", line)
	    if m:
	        synack = m.group(1)
	print(syn[0], syn[1], synack) if syn and synack else print("0 0 0")
PY
)
sleep 1
# a segment 100 bytes past what the RQ's first piece can have reached
n_lan /usr/bin/python3 - "$sport" "$isn" "$ack" <<-'PY'
	import socket, struct, sys
	sport, isn, ack = (int(a) for a in sys.argv[1:4])
	src, dst = socket.inet_aton("10.77.1.10"), socket.inet_aton("10.77.1.15")
	def csum(b):
	    b += b"\0" * (len(b) & 1)
	    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	    s = (s >> 16) + (s & 0xffff)
	    return ~(s + (s >> 16)) & 0xffff
	data = b"\0" * 64
	seq = (isn + 1 + 4000) & 0xffffffff
	tcp = struct.pack("!HHIIBBHHH", sport, 11112, seq, (ack + 1) & 0xffffffff, 5 << 4, 0x18, 65535, 0, 0)
	c = csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(data)) + tcp + data)
	tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
	ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(data), 0, 0, 64, 6, 0, src, dst)
	s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
	s.sendto(ip + tcp + data, ("10.77.1.15", 0))
PY
sleep 0.5
counters=$(sw_ctl counters)
held=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["engine"]["held"])' <<<"$counters")
parked=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["engine"]["tcp_parked"])' <<<"$counters")
check "netns shutdown: a packet is held when the engine stops ($held)" test "${held:-0}" -ge 1
check "netns shutdown: a segment is parked when the engine stops ($parked)" test "${parked:-0}" -ge 1

pid=$SW_PID
kill "$pid"
timeout 20 tail --pid="$pid" -f /dev/null
wait "$pid"
rc=$?
SW_PID=
check "netns shutdown: the ASan scanwalld exits 0 (exit $rc)" test "$rc" = 0
check "netns shutdown: ...with no sanitizer report" \
	bash -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' '$SW_WORK/scanwalld.log'"
grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error' "$SW_WORK/scanwalld.log" | head -30 >&2
