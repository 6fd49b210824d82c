# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are the library's results, for callers)
# The scanwall box between a clinical LAN and one imaging device, built from
# network namespaces. Sourced by tests/netns/test_*.sh and scripts/demo.sh.
#
#   lan      10.77.1.10/24 fd77::10 ──eth0══lan0─┐
#   viewer   10.77.1.30/24 fd77::30 ──eth0══lan1─┤  box: br0 (no address)
#   stranger 10.77.1.66/24 fd77::66 ──eth0══lan2─┤  scanwalld on NFQUEUE
#                                                └─dev0══eth0── dev (the scanner)
#                                                               10.77.1.15/24 fd77::15
#
# lan is a known peer, viewer a peer with fewer rights, stranger is in no
# rule at all; dev plays the imaging device (storescp, IIS on 80/443, the
# HP agent on 3465). The veth pairs are created directly between the
# namespaces, so nothing is ever added to the root namespace.
#
#   topo_up PREFIX     builds it (namespaces PREFIXlan, PREFIXbox, ...);
#                      PREFIX should carry $$ so that runs never collide
#   topo_down          kills what runs in them and removes them; idempotent
#   n_lan CMD...       runs CMD in a namespace (also n_box, n_dev,
#   n_viewer, n_stranger)
#   topo_wait_tcp NS ADDR PORT [SECONDS]   until something listens there
#
# Callers: `topo_up sw$$; trap topo_down EXIT`.

TOPO_PREFIX=${TOPO_PREFIX:-}
TOPO_HOSTS="lan viewer stranger"
declare -A TOPO_ADDR4=([lan]=10.77.1.10 [viewer]=10.77.1.30 [stranger]=10.77.1.66 [dev]=10.77.1.15)
declare -A TOPO_ADDR6=([lan]=fd77::10 [viewer]=fd77::30 [stranger]=fd77::66 [dev]=fd77::15)
declare -A TOPO_PORT=([lan]=lan0 [viewer]=lan1 [stranger]=lan2 [dev]=dev0)

topo_ns() { printf '%s%s' "$TOPO_PREFIX" "$1"; }

n_lan() { ip netns exec "$(topo_ns lan)" "$@"; }
n_viewer() { ip netns exec "$(topo_ns viewer)" "$@"; }
n_stranger() { ip netns exec "$(topo_ns stranger)" "$@"; }
n_box() { ip netns exec "$(topo_ns box)" "$@"; }
n_dev() { ip netns exec "$(topo_ns dev)" "$@"; }

# A host: one interface, both address families, no DAD (the tests start
# at once and a tentative IPv6 address cannot be used).
topo_host() {
	local host=$1 ns
	ns=$(topo_ns "$host")
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$(topo_ns box)" link add "${TOPO_PORT[$host]}" type veth peer name eth0 netns "$ns"
	ip -n "$ns" addr add "${TOPO_ADDR4[$host]}/24" dev eth0
	ip -n "$ns" addr add "${TOPO_ADDR6[$host]}/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	ip -n "$(topo_ns box)" link set "${TOPO_PORT[$host]}" master br0 up
}

# The box: a bridge without addresses whose forwarded frames go through
# the inet hooks (br_netfilter). The bridge-nf sysctls are per namespace
# on current kernels; scanwalld checks them again itself.
topo_box() {
	local ns
	ns=$(topo_ns box)
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	modprobe -q br_netfilter 2>/dev/null || true
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link add br0 type bridge stp_state 0 forward_delay 0
	ip -n "$ns" link set br0 up
	ip netns exec "$ns" sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
		net.bridge.bridge-nf-call-ip6tables=1
}

topo_up() {
	TOPO_PREFIX=${1:?topo_up PREFIX}
	topo_down
	topo_box
	for h in $TOPO_HOSTS dev; do
		topo_host "$h"
	done
}

# Kills every process left in our namespaces (by pid, from the kernel's
# own list) before deleting them, so no daemon outlives a test.
topo_down() {
	local ns pids
	[ -n "$TOPO_PREFIX" ] || return 0
	for h in box $TOPO_HOSTS dev; do
		ns=$(topo_ns "$h")
		[ -e "/run/netns/$ns" ] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# topo_wait_tcp NS ADDR PORT [SECONDS]: waits for a listener, so a test
# never races the server it just started.
topo_wait_tcp() {
	local ns=$1 addr=$2 port=$3 secs=${4:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		ip netns exec "$(topo_ns "$ns")" ss -Htln "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "topo: nothing listens on $addr:$port in $ns" >&2
	return 1
}

# --- the peers and the box's daemon ----------------------------------------
# Shared by the tests and the demo; SW_BUILD (build directory) and SW_WORK
# (a scratch directory of this run) must be set by the caller.

TOPO_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SW_PEER="$TOPO_LIB_DIR/../tests/netns/peer.py"	# #!/usr/bin/python3

# peer_offloads_off NS: NS's eth0 cuts MSS segments itself, as a real NIC
# puts them on the wire; a veth otherwise sends 64 KiB GSO segments, and a
# test that drops or swaps segments touches far fewer of them.
peer_offloads_off() { ip netns exec "$(topo_ns "$1")" ethtool -K eth0 tso off gso off; }

# lan_reorder_start EVERY: the LAN's data segments to port 104 (not the
# handshake or bare ACKs) go through tests/netns/reorder.c on NFQUEUE 3,
# which sends every EVERY-th after the one behind it and writes how many it
# swapped to $SW_WORK/swapped. REORDER_PID: the reorderer, to kill.
lan_reorder_start() {
	n_lan iptables -A OUTPUT -p tcp --dport 104 -m length --length 200:65535 \
		-j NFQUEUE --queue-num 3 || return 1
	ip netns exec "$(topo_ns lan)" "$SW_BUILD/tests/netns-reorder" 3 "$1" "$SW_WORK/swapped" \
		>>"$SW_WORK/reorder.log" 2>&1 &
	REORDER_PID=$!
	sleep 0.3
}

# peer_make_dicom DIR N [SIDE]: N Secondary Capture images of SIDE x SIDE
# random 8-bit pixels (default 64) and unique UIDs, written by dump2dcm.
peer_make_dicom() {
	local dir=$1 n=$2 side=${3:-64} i uid root="1.2.826.0.1.3680043.9.7777.$$.$RANDOM"
	mkdir -p "$dir"
	for ((i = 1; i <= n; i++)); do
		uid="$root.$i"
		head -c $((side * side)) /dev/urandom >"$dir/pixels$i.raw"
		cat >"$dir/img$i.dump" <<-DUMP
			(0008,0016) UI =SecondaryCaptureImageStorage
			(0008,0018) UI [$uid]
			(0008,0060) CS [OT]
			(0010,0010) PN [Test^Patient$i]
			(0010,0020) LO [SW$i]
			(0020,000d) UI [$root.100]
			(0020,000e) UI [$root.200]
			(0028,0002) US 1
			(0028,0004) CS [MONOCHROME2]
			(0028,0010) US $side
			(0028,0011) US $side
			(0028,0100) US 8
			(0028,0101) US 8
			(0028,0102) US 7
			(0028,0103) US 0
			(7fe0,0010) OB =$dir/pixels$i.raw
		DUMP
		dump2dcm -q +te "$dir/img$i.dump" "$dir/img$i.dcm" || return 1
		rm -f "$dir/pixels$i.raw" "$dir/img$i.dump"
	done
}

# peer_dataset FILE: the data set without its file meta group, every value
# printed in full, so two files compare equal exactly when their content is.
peer_dataset() {
	dcmdump -q --print-all --load-all "$1" | grep -v '^(0002,'
}

# peer_check_arrived LABEL SENT RECEIVED: one check per image sent: the
# object storescp wrote for its SOP Instance UID holds the same data set
# (the file meta group is the receiver's own). tests/lib.sh's ok/fail.
peer_check_arrived() {
	local label=$1 sent=$2 recv=$3 f uid got
	for f in "$sent"/*.dcm; do
		uid=$(dcmdump -q +P 0008,0018 "$f" | sed -n 's/.*\[\(.*\)\].*/\1/p')
		got=$(find "$recv" -name "*$uid" | head -n 1)
		if [ -n "$got" ] && diff <(peer_dataset "$f") <(peer_dataset "$got") >/dev/null; then
			ok "$label: $(basename "$f") arrived identical"
		else
			fail "$label: $(basename "$f") arrived identical (got '${got:-nothing}')"
		fi
	done
}

# peer_storescp DIR [PORT]: the scanner's DICOM storage SCP (AE SYMBIA).
peer_storescp() {
	local out=$1 port=${2:-104}
	mkdir -p "$out"
	n_dev storescp -aet SYMBIA -od "$out" -ta 10 -td 10 "$port" >>"$SW_WORK/storescp.log" 2>&1 &
	topo_wait_tcp dev "${TOPO_ADDR4[dev]}" "$port"
}

# peer_advisory: the advisory's attack surface on the scanner: IIS on 80
# and 443, the HP Client Automation agent on 3465, all answering, all
# recording what reaches them into $SW_WORK/advisory.rec.
peer_advisory() {
	n_dev "$SW_PEER" listen --http --record "$SW_WORK/advisory.rec" 80 443 3465 \
		>>"$SW_WORK/peer.log" 2>&1 &
	topo_wait_tcp dev "${TOPO_ADDR4[dev]}" 3465
}

# sw_start POLICY [ARGS...]: scanwalld in the box; returns once its control
# socket answers. The pid is in SW_PID.
sw_start() {
	local policy=$1 i
	shift
	mkdir -p "$SW_WORK/state"
	# not through n_box: a function in the background is a subshell, and
	# SW_PID must be scanwalld itself (`ip netns exec` execs, no fork)
	ip netns exec "$(topo_ns box)" "$SW_BUILD/scanwalld" --policy "$policy" --queue 0 --events "$SW_WORK/events.json" \
		--control "$SW_WORK/ctl.sock" --state "$SW_WORK/state" "$@" \
		>>"$SW_WORK/scanwalld.log" 2>&1 &
	SW_PID=$!
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$SW_PID" 2>/dev/null; then
			echo "scanwalld exited at start:" >&2
			tail -n 20 "$SW_WORK/scanwalld.log" >&2
			return 1
		fi
		sw_ctl status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "scanwalld: control socket does not answer" >&2
	return 1
}

sw_stop() {
	[ -n "${SW_PID:-}" ] || return 0
	kill "$SW_PID" 2>/dev/null
	timeout 5 tail --pid="$SW_PID" -f /dev/null 2>/dev/null || kill -9 "$SW_PID" 2>/dev/null
	wait "$SW_PID" 2>/dev/null
	SW_PID=
}

sw_ctl() { timeout 10 "$SW_BUILD/scanwalld" --ctl "$SW_WORK/ctl.sock" "$@"; }

# sw_event_count PATTERN...: events lines that contain every pattern.
sw_event_count() {
	local f="$SW_WORK/events.json" p
	[ -f "$f" ] || { echo 0; return; }
	local lines
	lines=$(cat "$f")
	for p in "$@"; do
		lines=$(grep -F -- "$p" <<<"$lines")
	done
	if [ -z "$lines" ]; then echo 0; else wc -l <<<"$lines"; fi
}

# sw_wait_event SECONDS PATTERN...: events are written as decisions are
# made, but the test should not depend on the exact moment.
sw_wait_event() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(sw_event_count "$@")" -gt 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# elapsed_ms CMD...: runs CMD, sets ELAPSED_MS and RC.
elapsed_ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@"
	RC=$?
	t1=$(date +%s%N)
	ELAPSED_MS=$(((t1 - t0) / 1000000))
	return 0
}

# netns_test_begin: the prologue of every tests/netns/test_*.sh: a scratch
# directory, the topology under a prefix unique to this process, and a
# cleanup that runs however the test ends. SW_BUILD comes from run.sh.
netns_test_begin() {
	SW_BUILD=${SW_BUILD:-$TOPO_LIB_DIR/../build}
	SW_WORK=$(mktemp -d "/tmp/scanwall-netns.XXXXXX")
	SW_POLICY_DIR="$TOPO_LIB_DIR/../tests/netns/policy"
	trap netns_test_end EXIT
	topo_up "${SW_TOPO_PREFIX:-sw$$.}"
}

netns_test_end() {
	sw_stop
	# a sanitizer build (tests/netns/run.sh build/tsan, build/san) fails
	# the test that made it report, whatever its checks said
	if grep -qE 'WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:' \
		"$SW_WORK/scanwalld.log" 2>/dev/null; then
		fail "$(basename "$0" .sh): sanitizer report in scanwalld.log"
		grep -E -A20 'WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:' \
			"$SW_WORK/scanwalld.log" | head -40 >&2
	fi
	topo_down
	if [ -n "${SW_KEEP:-}" ]; then
		echo "kept $SW_WORK" >&2
	else
		rm -rf "$SW_WORK"
	fi
}

# sw_counter NAME: the engine's counter NAME (`counters` on the control socket).
sw_counter() { sw_ctl_json "j[\"engine\"][\"$1\"]" counters; }

# sw_ctl_json EXPR CMD...: evaluates a Python expression on the control
# socket's JSON answer `j` and prints the result.
sw_ctl_json() {
	local expr=$1
	shift
	sw_ctl "$@" | /usr/bin/python3 -c 'import json,sys; j=json.loads(sys.stdin.readline()); print(eval(sys.argv[1]))' "$expr"
}
