#!/bin/bash
# make bench: the box measured against what the kernel alone does, in one
# run, candidates alternating, offloads on and off (docs/performance.md).
#
#   lan 10.77.1.10 ══ box: br0 (+ candidate) ══ dev 10.77.1.15
#   storescu, iperf3 -c,                        storescp --ignore, iperf3 -s
#   bench_assoc.py
#
#   stranger: synflood (or hping3), spoofed SYNs at 80 and 3465 (the `flood` workload)
#   sink: the same flooder into a veth pair of its own, no box
#         (the `sink` workload: what the flooder's CPU alone costs)
#
#   (a) kernel   iptables rules and the ethertype table for the same policy,
#                no userspace: the limit
#   (b) nfqex    libnetfilter_queue's examples/nf-queue.c, accept-all, quiet
#   (c) assoc    scanwalld, `inspect association`
#   (d) full     scanwalld, `inspect full`
#   assoc0, full0  the same with --busy-poll 0 (not in the default list:
#                name them in BENCH_CANDS to measure what busy polling buys)
#   ref          (d) with the scanwalld of BENCH_REF (another build directory,
#                say of main): a change against what it changes, same rounds
#
# Environment: BENCH_ROUNDS (5), BENCH_MB (200), BENCH_ASSOC_SECS (5),
# BENCH_ECHO (1: a C-ECHO in each association; 0 as runs 1 to 12 did),
# BENCH_BULK_REPS (3: studies sent per candidate and round, the median kept),
# BENCH_ASSOC_REPS (3: association-rate samples, the same),
# BENCH_FLOOD_REPS (4: studies of each condition in a flood cell, flood_cell);
# BENCH_FLOODER (synflood: $BUILD/tests/synflood, prebuilt frames in batches;
# hping3: two of them, one a port, as runs before 2026-12-06 evening did),
# BENCH_FLOOD_US (0: as fast as they can; N: N microseconds between one hping3's
# SYNs; for synflood any N bounds it at BENCH_FLOOD_PPS, default 19000 SYNs a
# second, what the two hping3 reached at N=40), BENCH_FLOOD_NICE (0: the flooders'
# nice value);
# for a quick look while working: BENCH_MODES ("on off"), BENCH_CANDS
# ("kernel nfqex assoc full"), BENCH_WORK ("bulk iperf assoc latency flood";
# also "sink"),
# BENCH_ENGINE=0 (no callgrind, memory, size), BENCH_CONTROL=0 (no latency
# under control load; scripts/bench_control.sh has its own settings).
# Raw lines go to build/bench/raw.txt, the table to build/bench/summary.txt.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ROUNDS=${BENCH_ROUNDS:-5}
MB=${BENCH_MB:-200}
ASSOC_SECS=${BENCH_ASSOC_SECS:-5}
BULK_REPS=${BENCH_BULK_REPS:-3}
FLOOD_REPS=${BENCH_FLOOD_REPS:-4}
ASSOC_REPS=${BENCH_ASSOC_REPS:-3}
FLOOD_US=${BENCH_FLOOD_US:-0}
FLOOD_NICE=${BENCH_FLOOD_NICE:-0}
FLOODER=${BENCH_FLOODER:-synflood}
FLOOD_PPS=${BENCH_FLOOD_PPS:-19000}
[ "$FLOOD_US" = 0 ] && FLOOD_PPS=0
case $FLOODER in
synflood) [ -x "$BUILD/tests/synflood" ] || { echo "bench: no $BUILD/tests/synflood (make $BUILD/tests/synflood)" >&2; exit 2; } ;;
hping3) ;;
*) echo "bench: BENCH_FLOODER is synflood or hping3" >&2; exit 2 ;;
esac
OUT=build/bench
mkdir -p "$OUT"
RAW=$OUT/raw.txt
: >"$RAW"
. scripts/topo.sh
export SW_BUILD=$BUILD

scripts/deps.sh bench || exit 1
W=$(mktemp -d /tmp/scanwall-bench.XXXXXX)
cleanup() {
	cand_down 2>/dev/null
	sink_down
	topo_down
	rm -rf "$W"
}
trap cleanup EXIT
topo_up "bn$$"
# Thousands of associations a second, each closed by the client, leave its
# ports in TIME_WAIT: without reuse the client runs out of ports within a
# round and every later figure measures connect() failing. Reused ports
# also exercise the engine's reused-tuple rule (docs/engine.md).
n_lan sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
LAN=10.77.1.10
DEV=10.77.1.15

log() { printf '%s\n' "$*" >&2; }

# --- fixtures ---------------------------------------------------------------
# Four Secondary Capture objects of MB/4 each: a CT series' worth of bytes.
make_study() {
	peer_make_dicom "$W/send" 4 "$(/usr/bin/python3 -c "import math; print(math.isqrt($MB * 1048576 // 4))")"
}

policy() {	# policy INSPECT
	cat <<-POL
		device dev $DEV ae SYMBIA
		peer lan $LAN ae LAN_SCU
		allow dicom from lan to dev port 104 services verification storage inspect $1
		allow tcp from lan to dev port 5201
		reject tcp from any to dev port 80,443 reason "IIS"
		block tcp from any to dev port 3465 reason "HP CA"
		default block
	POL
}

# --- candidates -------------------------------------------------------------
# The same policy in plain iptables, conntrack for replies; and, as the
# policy drops every frame that is not IP (ARP to and from the device
# only), the box's own ethertype table (docs/engine.md), word for word.
kernel_rules() {
	n_box iptables-restore <<-RULES
		*filter
		:FORWARD DROP [0:0]
		-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
		-A FORWARD -p tcp -s $LAN -d $DEV --dport 104 --syn -m conntrack --ctstate NEW -j ACCEPT
		-A FORWARD -p tcp -s $LAN -d $DEV --dport 5201 --syn -m conntrack --ctstate NEW -j ACCEPT
		COMMIT
	RULES
	n_box nft -f - <<-RULES
		table bridge kernelonly {
			chain forward {
				type filter hook forward priority -200; policy drop;
				ether type ip accept
				ether type ip6 accept
				ether type arp arp daddr ip { $DEV/32 } accept
				ether type arp arp saddr ip { $DEV/32 } accept
			}
		}
	RULES
}

cand_up() {
	case $1 in
	kernel) kernel_rules ;;
	nfqex)
		n_box iptables-restore <<-RULES
			*filter
			:FORWARD ACCEPT [0:0]
			-A FORWARD -j NFQUEUE --queue-num 0
			COMMIT
		RULES
		# not through n_box: CAND_PID must be the process itself
		ip netns exec "$(topo_ns box)" "$W/nf-queue" 0 >/dev/null 2>&1 &
		CAND_PID=$!
		sleep 0.5
		cand_alive nfqex ;;
	assoc | full | assoc0 | full0 | ref)
		policy "$([ "${1%0}" = assoc ] && echo association || echo full)" >"$W/$1.conf"
		local opt=() bin=$BUILD
		[ "${1%0}" != "$1" ] && opt=(--busy-poll 0)
		[ "$1" = ref ] && bin=${BENCH_REF:?BENCH_REF: the build directory the ref candidate runs}
		mkdir -p "$W/state"
		ip netns exec "$(topo_ns box)" "$bin/scanwalld" --policy "$W/$1.conf" --queue 0 \
			--control "$W/ctl.sock" --state "$W/state" \
			"${opt[@]}" >>"$W/scanwalld.log" 2>&1 &
		CAND_PID=$!
		for _ in $(seq 50); do
			n_box "$BUILD/scanwalld" --ctl "$W/ctl.sock" status >/dev/null 2>&1 && break
			sleep 0.1
		done
		cand_alive "$1" ;;
	esac
}

# A candidate that did not come up would leave the previous one's rules or
# queue reader measuring in its place: stop the bench rather than report it.
cand_alive() {
	if ! kill -0 "${CAND_PID:-0}" 2>/dev/null; then
		log "bench: candidate $1 did not start:"
		tail -3 "$W/scanwalld.log" >&2 2>/dev/null
		exit 1
	fi
}

cand_down() {
	if [ -n "${CAND_PID:-}" ]; then
		kill "$CAND_PID" 2>/dev/null
		wait "$CAND_PID" 2>/dev/null
		CAND_PID=
	fi
	n_box "$BUILD/scanwalld" --flush >/dev/null 2>&1
	n_box iptables -P FORWARD ACCEPT 2>/dev/null
	n_box iptables -F FORWARD 2>/dev/null
	n_box nft delete table bridge kernelonly 2>/dev/null
	n_box conntrack -F >/dev/null 2>&1 || true
}

# --- workloads --------------------------------------------------------------
now_ns() { date +%s%N; }

bulk() {	# MB/s of one storescu of the study
	local t0 t1
	t0=$(now_ns)
	if ! n_lan timeout 300 storescu -to 20 -ta 20 -td 60 -aet LAN_SCU -aec SYMBIA $DEV 104 \
		"$W"/send/*.dcm >"$W/scu.log" 2>&1; then
		log "bench: storescu failed:"
		tail -3 "$W/scu.log" >&2
		printf 0	# as the figure is printed: bulk_median adds the newline
		return
	fi
	t1=$(now_ns)
	awk -v b="$(du -cb "$W"/send/*.dcm | tail -1 | cut -f1)" -v ns=$((t1 - t0)) \
		'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }'
}

# The flooders' own CPU: on this machine they share the two vCPUs with
# the peers and the box, which a real attacker's do not. The `sink`
# workload runs the same flooder into a veth pair of its own (the
# far end takes each SYN, addressed to a MAC not its own, and drops it
# in ip_rcv; no bridge, no netfilter), so the bulk figure under it is
# what the flooders cost without the box doing anything; under `flood`
# minus that is the box's own share. (This kernel has no dummy driver.)
SINK=10.99.0.2
sink_up() {
	local ns
	ns=$(topo_ns sink)
	ip netns add "$ns" || return 1
	ip -n "$ns" link add s0 type veth peer name s1
	ip -n "$ns" addr add 10.99.0.1/24 dev s0
	ip -n "$ns" link set s0 up
	ip -n "$ns" link set s1 up
	ip -n "$ns" neigh add $SINK lladdr 02:00:00:00:00:02 dev s0
}

sink_down() {
	local ns pids
	ns=$(topo_ns sink)
	[ -e "/run/netns/$ns" ] || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}

# A transfer of a second or two on two shared vCPUs moves by a third from
# one run to the next (with offloads on most of all): each round's figure
# is the median of BULK_REPS studies.
bulk_median() {
	local i
	for i in $(seq "$BULK_REPS"); do bulk; echo; done | median
}

median() {	# of the numbers on stdin, one a line; nothing when there are none
	sort -g | awk '{ v[NR] = $1 } END { if (NR) print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The bulk figure again under a SYN flood from random sources at the two
# refused ports (issue #15: 0.12 to 0.26 of the unloaded rate before the
# box dropped it in the kernel). The flooders are bounded in time and
# count; their rate is what they reach on this machine, in the raw line.
# synflood sends from 8,192 sources in 10.77.128.0/17 (hping3: any address),
# 32 SYNs a batch, one wake-up a batch, where hping3 wakes for each SYN.
# bulk_flood [sink]: one study from the stranger at the device, or into
# the sink; prints MB/s and the flooders' SYNs a second meanwhile.
bulk_flood() {
	local port pids=() b sent t0 rate=(-i "u$FLOOD_US" -c 10000000) ns=stranger to=$DEV
	local dev=eth0 mac
	[ "$FLOOD_US" = 0 ] && rate=(--flood)
	[ "${1:-}" = sink ] && ns=sink to=$SINK dev=s0
	if [ "$FLOODER" = synflood ]; then
		# the frames' destination: the device's port, or the sink's far end
		mac=$(ip netns exec "$(topo_ns dev)" cat /sys/class/net/eth0/address)
		[ "$ns" = sink ] && mac=02:00:00:00:00:02
		ip netns exec "$(topo_ns $ns)" timeout 300 nice -n "$FLOOD_NICE" "$BUILD/tests/synflood" \
			-i $dev -m "$mac" -d $to -p 80,3465 -r "$FLOOD_PPS" -c 100000000 >>"$W/flood.log" 2>&1 &
		pids+=($!)
	else
		for port in 80 3465; do
			ip netns exec "$(topo_ns $ns)" timeout 300 nice -n "$FLOOD_NICE" hping3 -q -S -p $port \
				--rand-source "${rate[@]}" $to >>"$W/flood.log" 2>&1 &
			pids+=($!)
		done
	fi
	# synflood is at its rate within a batch; hping3 within a few ms
	sleep 0.3
	sent=$(flood_count $ns) t0=$(now_ns)
	b=$(bulk)
	sent=$(($(flood_count $ns) - sent))
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	echo "$b $((sent * 1000000000 / ($(now_ns) - t0)))"
}

# The flood figure is a ratio, bulk under the flood over bulk without,
# and one study's rate moves by a fifth from one minute to the next on
# two shared vCPUs: two transfers taken apart measure mostly that drift.
# So a flood cell takes its own baseline: FLOOD_REPS studies each without
# the flood, under it and (with `sink`) into the sink, interleaved and
# rotated (flood sink none, sink none flood, none flood sink, ...), so a
# drift within the cell, and the place in it, weigh on every condition
# alike; a round's figure of each is the median of its studies. Prints
# the raw line's fields (empty for a condition left out), and every
# study's MB/s in the order taken.
flood_cell() {
	local conds=(none) order i c mb pps
	work flood && conds+=(flood)
	work sink && conds+=(sink)
	for i in $(seq "$FLOOD_REPS"); do
		order=("${conds[@]:i % ${#conds[@]}}" "${conds[@]:0:i % ${#conds[@]}}")
		for c in "${order[@]}"; do
			case $c in
			none) echo "none $(bulk) 0" ;;
			*) echo "$c $(bulk_flood "${c#flood}")" ;;
			esac
		done
	done >"$W/cell"
	for c in none flood sink; do
		mb=$(awk -v c=$c '$1 == c { print $2 }' "$W/cell" | median)
		pps=$(awk -v c=$c '$1 == c { print $3 }' "$W/cell" | median)
		case $c in
		none) printf 'bulk_base_MBps=%s ' "$mb" ;;
		*) printf 'bulk_%s_MBps=%s %s_pps=%s ' $c "$mb" $c "${pps%.*}" ;;
		esac
	done
	echo "flood_studies=$(awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $1, $2 }' "$W/cell")"
}

flood_count() {	# packets the flooders' port (in namespace $1) has sent so far
	local dev=eth0
	[ "$1" = sink ] && dev=s0
	ip netns exec "$(topo_ns "$1")" cat /sys/class/net/$dev/statistics/tx_packets
}

iperf() {	# Mbit/s of a 3 s iperf3 on the allowed port
	n_lan timeout 20 iperf3 -c $DEV -t 3 -J 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys
try: print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception: print(0)'
}

cpu_ticks() {	# user and system clock ticks of the candidate's process so far
	awk '{ print $14 + $15 }' "/proc/$CAND_PID/stat"
}

# Completed associations per second, 4 clients: the median of ASSOC_REPS
# samples (one sample moves by a tenth from one to the next, as a bulk
# study does), with the failures of all of them; and the CPU the
# candidate's process took meanwhile, in percent of one core (what busy
# polling costs; "-" for the kernel, which has no process).
assoc_rate() {
	local i c0 c1 t0 rate cpu=-
	[ -n "${CAND_PID:-}" ] && c0=$(cpu_ticks) t0=$(now_ns)
	rate=$(for i in $(seq "$ASSOC_REPS"); do
		n_lan timeout $((ASSOC_SECS + 20)) scripts/bench_assoc.py rate $DEV 104 "$ASSOC_SECS" 4 \
			${BENCH_ECHO:+--echo "$BENCH_ECHO"}
		echo
	done | sort -n | awk -v s="$ASSOC_SECS" 'NF == 2 { r[++n] = $1 / s; f += $2 }
		END { printf "%.0f %d", n ? r[int((n + 1) / 2)] : 0, f }')
	if [ -n "${CAND_PID:-}" ] && c1=$(cpu_ticks 2>/dev/null); then
		cpu=$(awk -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v ns=$(($(now_ns) - t0)) \
			'BEGIN { printf "%.0f", 100 * c / hz / (ns / 1e9) }')
	fi
	echo "$rate $cpu"
}

setup_latency() {	# p50 and p99 of RQ -> AC, microseconds
	n_lan timeout 120 scripts/bench_assoc.py latency $DEV 104 200 | /usr/bin/python3 -c '
import sys
v = sorted(int(x) for x in sys.stdin if x.strip().isdigit())
pick = lambda q: v[min(len(v) - 1, int(len(v) * q))] if v else 0
print(pick(0.5), pick(0.99))'
}

offloads() {	# on|off on every veth end
	local m=$1 h
	for h in lan dev; do
		ip netns exec "$(topo_ns "$h")" ethtool -K eth0 tso "$m" gso "$m" gro "$m" >/dev/null 2>&1
		n_box ethtool -K "${TOPO_PORT[$h]}" tso "$m" gso "$m" gro "$m" >/dev/null 2>&1
	done
}

WORK=" ${BENCH_WORK:-bulk iperf assoc latency flood} "
work() { [[ $WORK == *" $1 "* ]]; }
for w in $WORK; do
	case $w in bulk | iperf | assoc | latency | flood | sink) ;; *) log "bench: no workload '$w'"; exit 2 ;; esac
done

# --- run --------------------------------------------------------------------
log "bench: building the nf-queue reference and a $MB MB study"
# per-packet printing off: every printf/puts becomes an unevaluated sizeof
sed -e 's/\bprintf(/(void)sizeof(/g' -e 's/\bputs(/(void)sizeof(/g' \
	/usr/share/doc/libnetfilter-queue-dev/examples/nf-queue.c >"$W/nf-queue.c"
gcc -O2 -w -o "$W/nf-queue" "$W/nf-queue.c" -lnetfilter_queue -lmnl || exit 1
make_study || { log "bench: could not make the study"; exit 1; }
# TCP_NODELAY=1: Debian's dcmtk leaves Nagle's algorithm on, and storescp
# writes a C-ECHO-RSP in two sends, so every echo would wait 40 ms for the
# client's delayed ACK, in every candidate alike: the association rate
# would measure that timer, not the box. dcmtk reads this variable for it.
n_dev env TCP_NODELAY=1 storescp --ignore -aet SYMBIA 104 >/dev/null 2>&1 &
n_dev iperf3 -s -D >/dev/null 2>&1
topo_wait_tcp dev $DEV 104 || exit 1
topo_wait_tcp dev $DEV 5201 || exit 1
if work sink; then sink_up || exit 1; fi

for mode in ${BENCH_MODES:-on off}; do
	offloads "$mode"
	for round in $(seq "$ROUNDS"); do
		# Odd rounds in one order, even rounds in the other: whatever
		# drifts within a round (the machine's speed, the page cache)
		# weighs on every candidate alike.
		cands=${BENCH_CANDS:-kernel nfqex assoc full}
		[ $((round % 2)) = 0 ] && cands=$(echo "$cands" | tr ' ' '\n' | tac | tr '\n' ' ')
		for cand in $cands; do
			cand_up $cand
			b= i= r= rf= cpu= p50= p99=
			fl="bulk_base_MBps= bulk_flood_MBps= flood_pps= bulk_sink_MBps= sink_pps= flood_studies="
			work bulk && b=$(bulk_median)
			{ work flood || work sink; } && fl=$(flood_cell)
			work iperf && i=$(iperf)
			work assoc && read -r r rf cpu <<<"$(assoc_rate)"
			work latency && read -r p50 p99 <<<"$(setup_latency)"
			cand_down
			line="offloads=$mode round=$round cand=$cand bulk_MBps=$b iperf_Mbps=$i assoc_per_s=$r assoc_failed=$rf assoc_cpu_pct=$cpu setup_p50_us=$p50 setup_p99_us=$p99 $fl flooder=$FLOODER"
			echo "$line" >>"$RAW"
			log "  $line"
		done
	done
done

# --- verdict latency under control load (scripts/bench_control.sh) ----------
if [ "${BENCH_CONTROL:-1}" != 0 ]; then
	log "bench: verdict latency under control load"
	scripts/bench_control.sh "$BUILD" "$RAW"
fi

# --- the engine alone -------------------------------------------------------
report() { /usr/bin/python3 scripts/bench_report.py "$RAW" | tee "$OUT/summary.txt"; }
if [ "${BENCH_ENGINE:-1}" = 0 ]; then
	cat "$RAW"
	report
	exit 0
fi
log "bench: a full-inspection capture of the study (offloads off), for callgrind"
offloads off
cand_up full
# On the lan port, not br0: a capture that puts the bridge in promiscuous
# mode stops the kernel from delivering queued packets (docs/engine.md).
ip netns exec "$(topo_ns box)" tcpdump -i lan0 -s 0 -U -w "$W/store.pcap" tcp port 104 >/dev/null 2>&1 &
TD=$!
sleep 1
bulk >/dev/null
sleep 1
kill $TD; wait $TD 2>/dev/null
cand_down
policy full >"$W/replay.conf"
pkts=$(tcpdump -nr "$W/store.pcap" 2>/dev/null | wc -l)
valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" "$BUILD/scanwalld" \
	--replay "$W/store.pcap" --policy "$W/replay.conf" >/dev/null 2>"$W/cg.err"
ir=$(callgrind_annotate --inclusive=yes "$W/cg.out" 2>/dev/null |
	awk '/eng_packet / { gsub(",", "", $1); print $1; exit }')
echo "callgrind packets=$pkts eng_packet_Ir=$ir per_packet=$((ir / (pkts ? pkts : 1)))" >>"$RAW"

log "bench: resident memory of the inline engine with the flow table full"
# 65,536 UDP flows (one datagram to each port, from two sockets) through
# the box: each is a new, allowed, settled flow in the engine's table.
cat >"$W/flows.conf" <<-POL
	device dev $DEV ae SYMBIA
	peer lan $LAN ae any
	allow udp from lan to dev port 1-65535
	default block
POL
mkdir -p "$W/state"
ip netns exec "$(topo_ns box)" "$BUILD/scanwalld" --policy "$W/flows.conf" --queue 0 \
	--control "$W/ctl.sock" --state "$W/state" >>"$W/scanwalld.log" 2>&1 &
CAND_PID=$!
sleep 1
cand_alive memory
rss0=$(awk '/^VmRSS/ { print $2 }' /proc/$CAND_PID/status)
n_lan /usr/bin/python3 -c '
import socket, time
for s in (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)):
    for port in range(1, 65536):
        s.sendto(b"x", ("'$DEV'", port))
        if port % 2000 == 0:
            time.sleep(0.02)
'
sleep 2
n_box "$BUILD/scanwalld" --ctl "$W/ctl.sock" counters | head -c 300 >&2; echo >&2
flows=$(n_box "$BUILD/scanwalld" --ctl "$W/ctl.sock" counters |
	/usr/bin/python3 -c 'import json,sys; e=json.load(sys.stdin)["engine"]; print(e["flows_live"], e["flows_table_full"])')
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$CAND_PID/status)
cand_down
echo "memory flows=${flows% *} table_full_refusals=${flows#* } rss_kib=$hwm empty_rss_kib=$rss0" >>"$RAW"
cp "$BUILD/scanwalld" "$W/sw.stripped" && strip "$W/sw.stripped"
echo "size scanwalld_stripped_bytes=$(stat -c %s "$W/sw.stripped")" >>"$RAW"

report
