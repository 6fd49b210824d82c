#!/bin/bash
# scripts/bench_syncost.sh BUILD [CAND]: the CPU a refused spoofed SYN
# costs, box included, at a fixed rate (docs/performance.md, "Where the
# CPU goes under the flood").
#
#   stranger: synflood ══ lan2 ─ box: br0, CAND ─ dev0 ══ dev
#   sink:     synflood ══ s1 (drops each SYN in ip_rcv: no bridge)
#
# A veth hands each frame to the far end's receive path in the sender's
# own softirq, so the flooder's CPU time (user + system, with the two
# ksoftirqd threads' for what the softirq deferred) over the SYNs it sent
# is what a SYN costs end to end; the same into the sink is the flooder's
# own part, and the difference is the box's. CAND: full (scanwalld,
# `inspect full`, the bench policy: the default) or kernel (bench.sh's
# plain iptables). Environment: SYNCOST_PPS (200000), SYNCOST_SECS (5),
# SYNCOST_REPS (3: the median kept), SYNCOST_NFT (an nft file loaded in
# the box after the candidate: how the ingress trials in
# docs/performance.md were made; the stranger's port is lan2).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
CAND=${2:-full}
PPS=${SYNCOST_PPS:-200000}
SECS=${SYNCOST_SECS:-5}
REPS=${SYNCOST_REPS:-3}
. scripts/topo.sh
export SW_BUILD=$BUILD
W=$(mktemp -d /tmp/scanwall-syncost.XXXXXX)
SINK_NS=sc$$sink
cleanup() {
	[ -n "${SW_PID:-}" ] && kill "$SW_PID" 2>/dev/null && wait "$SW_PID" 2>/dev/null
	ip netns del "$SINK_NS" 2>/dev/null
	topo_down
	rm -rf "$W"
}
trap cleanup EXIT
topo_up "sc$$"
DEV=10.77.1.15

case $CAND in
full)
	cat >"$W/p.conf" <<-POL
		device dev $DEV ae SYMBIA
		peer lan 10.77.1.10 ae LAN_SCU
		allow dicom from lan to dev port 104 services verification storage inspect full
		allow tcp from lan to dev port 5201
		reject tcp from any to dev port 80,443 reason "IIS"
		block tcp from any to dev port 3465 reason "HP CA"
		default block
	POL
	mkdir -p "$W/state"
	ip netns exec "$(topo_ns box)" "$BUILD/scanwalld" --policy "$W/p.conf" --queue 0 \
		--control "$W/ctl.sock" --state "$W/state" >"$W/sw.log" 2>&1 &
	SW_PID=$!
	sleep 1 ;;
kernel)
	n_box iptables -P FORWARD DROP
	n_box iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT ;;
*) echo "bench_syncost: CAND is full or kernel" >&2; exit 2 ;;
esac
if [ -n "${SYNCOST_NFT:-}" ] && ! n_box nft -f "$SYNCOST_NFT"; then
	echo "bench_syncost: $SYNCOST_NFT did not load" >&2
	exit 1
fi

ip netns add "$SINK_NS"
ip -n "$SINK_NS" link add s0 type veth peer name s1
ip -n "$SINK_NS" link set s0 up
ip -n "$SINK_NS" link set s1 up

ticks() {	# CPU ticks of pid $1 and of every ksoftirqd
	awk '{ t += $14 + $15 } END { print t }' "/proc/$1/stat" \
		$(pgrep -x 'ksoftirqd/[0-9]+' | sed 's|.*|/proc/&/stat|')
}

# one NS IFACE MAC: microseconds of CPU a SYN, flooding IFACE in NS
one() {
	local ns=$1 ifc=$2 mac=$3 pid c0 x0 c1 x1
	ip netns exec "$ns" "$BUILD/tests/synflood" -i "$ifc" -m "$mac" -d $DEV -p 80,3465 \
		-r "$PPS" -t $((SECS + 2)) >/dev/null 2>&1 &
	pid=$!
	sleep 1
	x0=$(ip netns exec "$ns" cat "/sys/class/net/$ifc/statistics/tx_packets") c0=$(ticks $pid)
	sleep "$SECS"
	x1=$(ip netns exec "$ns" cat "/sys/class/net/$ifc/statistics/tx_packets") c1=$(ticks $pid)
	wait $pid
	awk -v c=$((c1 - c0)) -v n=$((x1 - x0)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.2f %d\n", n ? c / hz / n * 1e6 : 0, n / '"$SECS"' }'
}

median() { sort -n | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'; }

devmac=$(n_dev cat /sys/class/net/eth0/address)
box=$(for _ in $(seq "$REPS"); do one "$(topo_ns stranger)" eth0 "$devmac"; done | median)
sink=$(for _ in $(seq "$REPS"); do one "$SINK_NS" s0 02:00:00:00:00:02; done | median)
read -r bus bpps <<<"$box"
read -r sus spps <<<"$sink"
awk -v b="$bus" -v s="$sus" -v bp="$bpps" -v sp="$spps" -v c="$CAND" \
	'BEGIN { printf "syncost cand=%s pps=%d us_per_syn=%.2f sink_pps=%d sink_us_per_syn=%.2f box_us_per_syn=%.2f\n", c, bp, b, sp, s, b - s }'
