#!/bin/bash
# Verdict latency under control load (issue #16), part of `make bench`, or
# alone: scripts/bench_control.sh BUILD [RAW].
#
#   lan: prober ── SYN to dev:104 ──▶ box: scanwalld judges ──▶ dev (nothing listens)
#              ◀──────────────── RST ── box: scanwalld judges ◀──┘
#                                     ▲ control socket, back to back:
#                                     (i) 20 reloads (ii) 20 bundle installs
#                                     (iii) every page of `flows` over 65,536 flows
#
# Each probe is a TCP connect to the DICOM port the policy allows, where
# nothing listens: the engine judges the SYN (a DICOM flow is inspected,
# never settled in the kernel) and the device's reset. (A port the policy
# rejects no longer measures the loop: the kernel answers those itself,
# rate limited, rspolicy.c.) Two figures per phase:
#  - transit (ctltransit_*, the target): each probe packet's delay through
#    the box, from captures on the prober's and the device's interfaces
#    (tcpdump, the kernel's nanosecond stamps as the frame passes; paired
#    by port and sequence number in scripts/bench_transit.py). Neither the
#    prober's nor the capture's own scheduling counts. A packet that left
#    one side and never reached the other is lost.
#  - round trip (ctlload_*): the prober's own time to ECONNREFUSED, in
#    userspace on the same CPUs: the box's two crossings plus the kernel's
#    round trip plus the prober's own wake-ups. A probe with no answer
#    within 1 s counts as lost.
# The same probes with no control work give the baseline; the figures are
# each phase's percentiles and what they add to the baseline's.
#
# Environment: BENCH_CTL_RATE (probes per second, 1000), BENCH_CTL_ROUNDS
# (20), BENCH_CTL_FLOWS (65536), BENCH_CTL_ARGS (more scanwalld options,
# e.g. --busy-poll 0), BENCH_CTL_KEEP (non-empty: keep the scratch
# directory, captures included).
set -u
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build}" && pwd)
RAW=${2:-build/bench/control.txt}
RATE=${BENCH_CTL_RATE:-1000}
ROUNDS=${BENCH_CTL_ROUNDS:-20}
FLOWS=${BENCH_CTL_FLOWS:-65536}
mkdir -p "$(dirname "$RAW")"
. scripts/topo.sh
export SW_BUILD=$BUILD
log() { printf '%s\n' "$*" >&2; }

W=$(mktemp -d /tmp/scanwall-benchctl.XXXXXX)
SW_WORK=$W
cleanup() {
	# shellcheck disable=SC2086
	[ -n "${CAP_PIDS:-}" ] && kill $CAP_PIDS 2>/dev/null
	sw_stop
	topo_down
	[ -n "${BENCH_CTL_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
topo_up "bc$$"
DEV=10.77.1.15

keys=$W/keys
mkdir -p "$keys" "$W/priv"
for k in a b; do
	"$BUILD/scanwall-bundle" keygen --out "$W/priv/$k" >/dev/null && cp "$W/priv/$k.pub" "$keys/"
done
cat >"$W/policy.conf" <<-POL
	device dev $DEV ae SYMBIA
	peer lan 10.77.1.10 ae LAN_SCU
	allow dicom from lan to dev port 104 services verification
	allow udp from lan to dev port 9
	reject tcp from any to dev port 80 reason "probe"
	default block
POL
compat=$("$BUILD/scanwalld" --version | cut -d' ' -f3)
log "bench control: $ROUNDS signed bundles"
for v in $(seq "$ROUNDS"); do
	"$BUILD/scanwall-bundle" create --version "$v" --compatible "$compat" --policy "$W/policy.conf" \
		--out "$W/v$v.bundle" >/dev/null &&
		"$BUILD/scanwall-bundle" sign --key "$W/priv/a.key" "$W/v$v.bundle" >/dev/null &&
		"$BUILD/scanwall-bundle" sign --key "$W/priv/b.key" "$W/v$v.bundle" >/dev/null || exit 1
done
# the last phase lists $FLOWS UDP flows, which may hold a quarter of the
# table (FLOW_DGRAM_PCT, 25); the probes' flows need room beside them
# shellcheck disable=SC2086
sw_start "$W/policy.conf" --keyring "$keys" --flows $((FLOWS * 4 + 65536)) ${BENCH_CTL_ARGS:-} || exit 1

# Both sides of the box captured for the whole run, each frame written
# out as it comes (-U), so a phase reads its packets when it ends.
CAP_PIDS=
for h in lan dev; do
	ip netns exec "$(topo_ns $h)" tcpdump -i eth0 -n -U -s 96 -B 16384 --time-stamp-precision=nano \
		-w "$W/$h.pcap" 'tcp port 104' 2>"$W/$h.tcpdump" &
	CAP_PIDS="$CAP_PIDS $!"
done
for h in lan dev; do
	for _ in $(seq 50); do grep -q listening "$W/$h.tcpdump" && break; sleep 0.1; done
done

# probe SECONDS|-: probes until SECONDS pass, or (with -) until a file
# $W/stop appears; prints the round trips in microseconds, "lost" for none
probe() {
	n_lan /usr/bin/python3 - "$DEV" "$RATE" "$1" "$W/stop" <<-'PY'
		import errno, os, select, socket, sys, time
		dev, rate, until, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
		end = time.monotonic() + float(until) if until != "-" else None
		gap, nxt = 1.0 / rate, time.monotonic()
		out = []
		while (end is None and not os.path.exists(stop)) or (end is not None and time.monotonic() < end):
		    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		    s.setblocking(False)
		    t0 = time.perf_counter_ns()
		    err = s.connect_ex((dev, 104))
		    if err == errno.EINPROGRESS:
		        select.select([], [s], [], 1.0)
		        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
		    t1 = time.perf_counter_ns()
		    s.close()
		    out.append(str((t1 - t0) // 1000) if err == errno.ECONNREFUSED else "lost")
		    nxt += gap
		    time.sleep(max(0.0, nxt - time.monotonic()))
		print("\n".join(out))
	PY
}

# phase NAME CMD...: probes while CMD runs, then one raw line for the
# round trips and one for the transits; what they add is against the
# phase named by $BASE (idle)
phase() {
	local name=$1 t0 t1 w0 w1 tr
	shift
	rm -f "$W/stop"
	w0=$(date +%s%N)
	probe - >"$W/$name.rtt" &
	local p=$!
	sleep 0.5
	t0=$(date +%s%N)
	"$@"
	t1=$(date +%s%N)
	sleep 0.5
	touch "$W/stop"
	wait "$p"
	w1=$(date +%s%N)
	# the last frames reach the captures' files: libpcap hands a block of
	# its ring over when full or after its 1 s timeout
	sleep 1.5
	tr=$(/usr/bin/python3 scripts/bench_transit.py "$W/lan.pcap" "$W/dev.pcap" "$w0" "$w1" \
		"$W/$name.transit")
	# where a lost probe went: the engine's drops and the queue's overruns
	sw_ctl counters | /usr/bin/python3 -c 'import json, sys
j = json.load(sys.stdin)
print("bench control: after %s: engine dropped %d, queue enobufs %d, flows live %d" % (sys.argv[1],
      j["engine"]["dropped"], j["queue"]["enobufs"], j["engine"]["flows_live"]))' "$name" >&2
	/usr/bin/python3 - "$name" "$(((t1 - t0) / 1000000))" "$W" "${BASE:-idle}" "$tr" <<-'PY' | tee -a "$RAW" >&2
		import sys
		def pcts(path, scale):
		    words = open(path).read().split()
		    v = sorted(int(x) / scale for x in words if x != "lost")
		    at = lambda q: v[min(len(v) - 1, int(q * len(v)))] if v else 0
		    return len(words), words.count("lost"), at(0.5), at(0.99), at(0.999)
		def line(head, path, base, scale, fmt):
		    n, lost, *p = pcts(path, scale)
		    out = head + " p50_us=%s p99_us=%s p999_us=%s" % tuple(fmt % x for x in p)
		    if path != base:
		        b = pcts(base, scale)[2:]
		        out += " added_p50_us=%s added_p99_us=%s added_p999_us=%s" % tuple(
		            fmt % (x - y) for x, y in zip(p, b))
		    return n, lost, out
		name, ms, w, base, tr = sys.argv[1:]
		n, lost, rtt = line("", f"{w}/{name}.rtt", f"{w}/{base}.rtt", 1, "%d")
		print(f"ctlload_{name} work_ms={ms} probes={n} lost={lost}" + rtt)
		print(f"ctltransit_{name} work_ms={ms} {tr}" +
		      line("", f"{w}/{name}.transit", f"{w}/{base}.transit", 1000, "%.1f")[2])
	PY
}

reloads() { for _ in $(seq "$ROUNDS"); do sw_ctl reload >/dev/null; done; }
installs() { for v in $(seq "$ROUNDS"); do sw_ctl bundle install "$W/v$v.bundle" >/dev/null; done; }
# The page's end names the next slot ("next":N or null); only the end is
# read, so the bench's own parsing of 2 MB a page does not compete with
# the loop it measures (a console or mgmtd parses the rows; the bench
# needs none of them).
pages() {
	local from=0 tail_
	for _ in 1 2 3; do
		from=0
		while [ "$from" != null ]; do
			tail_=$(sw_ctl flows from "$from" count 10000 | tail -c 64)
			from=$(sed -n 's/.*"next":\([0-9]*\|null\),.*/\1/p' <<<"$tail_")
			[ -n "$from" ] || return
		done
	done
}
wait_idle() { sleep "$1"; }

log "bench control: baseline, then reloads, bundle installs, flows"
phase idle wait_idle 10
phase reload reloads
phase bundle installs
# the table filled: one datagram from each of as many source ports (raw,
# so every port is a new allowed flow), paced; not measured
n_lan /usr/bin/python3 - "$FLOWS" <<-'PY'
	import socket, struct, sys, time
	s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
	src, dst = socket.inet_aton("10.77.1.10"), socket.inet_aton("10.77.1.15")
	for i in range(int(sys.argv[1])):
	    udp = struct.pack("!HHHH", (1024 + i) % 65536, 9, 8, 0)
	    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, src, dst)
	    s.sendto(ip + udp, ("10.77.1.15", 0))
	    if i % 1000 == 999:
	        time.sleep(0.02)
PY
sleep 1
log "bench control: $(sw_ctl_json 'j["flows_live"]' status) flows live"
# the same table with no control work: its expiry is the loop's own
BASE=full phase full wait_idle 5
BASE=full phase flows pages
# A frame the capture missed would read as a lost packet: say so.
# shellcheck disable=SC2086
kill -INT $CAP_PIDS 2>/dev/null
wait $CAP_PIDS 2>/dev/null
CAP_PIDS=
for h in lan dev; do
	log "bench control: capture on $h: $(grep -h 'dropped by kernel' "$W/$h.tcpdump")"
done
