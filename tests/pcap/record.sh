#!/bin/bash
# Records the real DICOM and plain-service sessions that tests/replay/ feeds
# to `scanwalld --replay`. Run by hand (as root) when a fixture must change;
# the outputs are committed and `make check` never runs this script, so the
# replay tests do not depend on dcmtk's exact bytes of the day.
#
#   ns $NI "pacs side" (initiator)                 ns $NS "scanner side"
#   10.77.1.10 PACS, 10.77.1.11 RIS                 10.77.1.20 SCANNER
#   fd77::10                                        fd77::20
#             swi$$ ============ veth ============ sws$$
#               ^ tcpdump -s 0 -U -w tests/pcap/<session>.pcap
#
# Both directions of every connection cross the veth, which is what the
# bridge sees. Each session is its own file, captured with a filter that
# keeps only that session's traffic (no ARP, ND or MLD noise).
#
#   tests/pcap/record.sh            re-record every fixture (idempotent)
#   tests/pcap/record.sh echo find  only those
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
NI=swrec$$i
NS=swrec$$s
TMP=$(mktemp -d /tmp/swrec.XXXXXX)
PIDS=()

cleanup() {
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NI" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ni() { ip netns exec "$NI" "$@"; }
ns() { ip netns exec "$NS" "$@"; }

die() { echo "record: $*" >&2; exit 1; }

setup() {
	ip netns add "$NI"
	ip netns add "$NS"
	ip link add "swi$$" netns "$NI" type veth peer name "sws$$" netns "$NS"
	ni ip link set lo up
	ns ip link set lo up
	ni ip addr add 10.77.1.10/24 dev "swi$$"
	ni ip addr add 10.77.1.11/24 dev "swi$$"
	ns ip addr add 10.77.1.20/24 dev "sws$$"
	# nodad: the addresses are usable at once, and no DAD probes wait on
	# a timer before the first session.
	ni ip addr add fd77::10/64 dev "swi$$" nodad
	ns ip addr add fd77::20/64 dev "sws$$" nodad
	ni ip link set "swi$$" up
	ns ip link set "sws$$" up
	# Offloads off where ethtool is installed: the capture then holds the
	# segments as they go on the wire, at most one MSS each, with real
	# checksums. (These sessions are small enough not to need it.)
	ni ethtool -K "swi$$" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
	ns ethtool -K "sws$$" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
}

# wait_port NSFN PROTO PORT: until something listens there (5 s at most).
wait_port() {
	local fn=$1 flag=$2 port=$3
	for _ in $(seq 50); do
		"$fn" ss -Hln"$flag" "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	die "nothing listens on $port"
}

# bg NETNS CMD...: a server in a namespace, killed by cleanup or stop_bg.
# Started with ip netns exec itself (which execs), not through ni/ns: a
# function would put a subshell between $! and the server.
bg() {
	local netns=$1
	shift
	ip netns exec "$netns" timeout 120 "$@" >>"$TMP/servers.log" 2>&1 &
	PIDS+=($!)
}

stop_bg() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
}

# capture NAME FILTER CMD...: one session into $HERE/NAME.pcap. tcpdump is
# packet-buffered (-U) and stopped with SIGTERM only after the session's
# last FIN/ACK had time to cross, then waited for, so the file is complete.
capture() {
	local name=$1 filter=$2 out=$HERE/$1.pcap tpid
	shift 2
	rm -f "$out"
	ip netns exec "$NI" tcpdump -i "swi$$" -s 0 -U -n -w "$out" "$filter" 2>"$TMP/$name.tcpdump" &
	tpid=$!
	for _ in $(seq 50); do
		grep -qs "listening on" "$TMP/$name.tcpdump" && break
		sleep 0.1
	done
	grep -qs "listening on" "$TMP/$name.tcpdump" || die "tcpdump did not start for $name"
	if ! "$@" >"$TMP/$name.out" 2>&1; then
		echo "record: $name: the client failed:" >&2
		cat "$TMP/$name.out" >&2
	fi
	sleep 1
	kill -TERM "$tpid"
	wait "$tpid" || true
	# tcpdump drops to its own user to write: give the file to the repo owner.
	chown --reference="$HERE" "$out"
	printf '  %-18s %s\n' "$name.pcap" "$(grep -h 'packets captured' "$TMP/$name.tcpdump")"
}

make_objects() {
	local f
	mkdir -p "$TMP/obj" "$TMP/wl/RIS" "$TMP/in"
	for f in ct nm sc; do
		dump2dcm --write-xfer-little "$HERE/dcm/$f.dump" "$TMP/obj/$f.dcm"
	done
	dump2dcm --write-xfer-little "$HERE/dcm/worklist.dump" "$TMP/wl/RIS/item1.wl"
	# wlmscpfs serves a called AE title only if a directory of that name
	# holds a lockfile.
	: >"$TMP/wl/RIS/lockfile"
}

STORESCP=(storescp -aet SCANNER -od "$TMP/in" 104)
ECHO_FILTER="ip and tcp port 104"

rec_echo() {
	capture echo "$ECHO_FILTER" ni timeout 20 echoscu -aet PACS -aec SCANNER 10.77.1.20 104
}

rec_store() {
	# -R proposes only the classes of the files sent (CT, NM, SC), which
	# keeps the A-ASSOCIATE-RQ small and every context within `storage`.
	capture store "$ECHO_FILTER" ni timeout 20 storescu -R -aet PACS -aec SCANNER 10.77.1.20 104 \
		"$TMP/obj/ct.dcm" "$TMP/obj/nm.dcm" "$TMP/obj/sc.dcm"
}

rec_wrong_calling() {
	capture wrong-calling "$ECHO_FILTER" ni timeout 20 echoscu -aet INTRUDER -aec SCANNER 10.77.1.20 104
}

rec_wrong_called() {
	capture wrong-called "$ECHO_FILTER" ni timeout 20 echoscu -aet PACS -aec NOTSCANNER 10.77.1.20 104
}

rec_find() {
	# The scanner asks the RIS for its worklist: the scanner initiates.
	bg "$NI" wlmscpfs -dfp "$TMP/wl" 104
	wait_port ni t 104
	capture find "ip and tcp port 104" ns timeout 20 findscu -W -aet SCANNER -aec RIS 10.77.1.11 104 \
		-k "ScheduledProcedureStepSequence[0].Modality=NM" \
		-k "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=SCANNER" \
		-k PatientName -k PatientID -k AccessionNumber
	stop_bg
}

# dcmtk 3.6.7 speaks IPv4 only, so the IPv6 echo goes through one stdlib
# relay (peers.py) on each side: echoscu -> relay [fd77::10 -> fd77::20]:104 -> relay
# -> storescp on loopback. The capture sees only the IPv6 leg, carrying
# dcmtk's PDUs byte for byte.
rec_echo6() {
	bg "$NS" "$PY" "$HERE/peers.py" fd77::20 104 127.0.0.1 11104
	bg "$NS" storescp -aet SCANNER -od "$TMP/in" 11104
	bg "$NI" "$PY" "$HERE/peers.py" 127.0.0.1 104 fd77::20 104
	wait_port ns t 104
	wait_port ns t 11104
	wait_port ni t 104
	capture echo6 "ip6 and tcp port 104" ni timeout 20 echoscu -aet PACS -aec SCANNER 127.0.0.1 104
	stop_bg
}

# Plain services: HTTP (80) and the HP agent port (3465) from the pacs side
# to the scanner, NTP (udp 123) from the scanner, an ICMP echo to it.
rec_plain() {
	bg "$NS" "$PY" -m http.server 80 --bind 10.77.1.20 --directory "$HERE/dcm"
	bg "$NS" "$PY" "$HERE/peers.py" --answer 10.77.1.20 3465
	bg "$NI" "$PY" "$HERE/peers.py" --udp-answer 10.77.1.10 123
	wait_port ns t 80
	wait_port ns t 3465
	wait_port ni u 123
	capture plain "tcp port 80 or tcp port 3465 or udp port 123 or icmp" plain_clients
	stop_bg
}

plain_clients() {
	ni timeout 10 curl -sS -o /dev/null http://10.77.1.20/ct.dump
	ni timeout 10 "$PY" "$HERE/peers.py" --say 10.77.1.20 3465
	ns timeout 10 "$PY" "$HERE/peers.py" --udp-say 10.77.1.10 123
	ni timeout 10 "$PY" "$HERE/peers.py" --ping 10.77.1.20
}

STORESCP_UP=0
need_storescp() {
	[ "$STORESCP_UP" = 1 ] && return 0
	bg "$NS" "${STORESCP[@]}"
	wait_port ns t 104
	STORESCP_UP=1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
setup
make_objects
sessions=${*:-echo store wrong-calling wrong-called find echo6 plain}
for s in $sessions; do
	case $s in
	echo | store | wrong-calling | wrong-called)
		need_storescp
		"rec_${s//-/_}"
		;;
	find | echo6 | plain)
		stop_bg
		STORESCP_UP=0
		"rec_$s"
		;;
	*) die "unknown session $s" ;;
	esac
done
du -b "$HERE"/*.pcap
