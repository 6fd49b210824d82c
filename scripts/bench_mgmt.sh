#!/bin/bash
# make bench, the management plane (docs/mgmt.md, "Measured"): scanwalld and
# scanwall-mgmtd in a throwaway namespace on loopback, one run:
#
#   [ns swbmNNN, lo]  scanwalld ◄─ ctl ─ scanwall-mgmtd 127.0.0.1:8443 ◄─ bench_mgmt.py
#                                                          ◄─ raw.py silent (127.0.0.2-11)
#   1. full handshakes/s (4 threads, 5 s) and resumed ones (session tickets)
#   2. 200 keep-alive readers from 20 addresses (127.0.1.1-20) for 20 s:
#      requests/s, errors, p50/p99, mgmtd CPU
#      per request
#   3. 500 silent connections and 500 strangers mid-handshake held for 15 s:
#      5 operator requests (curl time_total), mgmtd's log growth
#
# Figures go to build/bench/mgmt.txt.  BENCH_MGMT_SECS (20) sets phase 2;
# BENCH_MGMT_BASE=DIR runs the same against DIR/scanwall-mgmtd too (an older
# build), in the same run, for the ratios in docs/mgmt.md.
set -u
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build}" && pwd)
SECS=${BENCH_MGMT_SECS:-20}
OUT=build/bench
mkdir -p "$OUT"
NS=swbm$$
TMP=$(mktemp -d /tmp/swbenchm.XXXXXX)
PKI=$TMP/pki
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
ns() { ip netns exec "$NS" "$@"; }
say() { printf '%s\n' "$*" | tee -a "$OUT/mgmt.txt"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }	# user + system, clock ticks
HZ=$(getconf CLK_TCK)

scripts/pki.sh "$PKI" >/dev/null || exit 1
ip netns add "$NS" && ns ip link set lo up || exit 1
printf 'device mr 192.168.7.2 ae MR1\ndefault block\n' >"$TMP/policy.conf"
mkdir -p "$TMP/state" "$TMP/keys"
ns "$BUILD/scanwalld" --policy "$TMP/policy.conf" --queue $((100 + $$ % 800)) --events "$TMP/events" \
	--control "$TMP/ctl" --state "$TMP/state" --keyring "$TMP/keys" >"$TMP/swd.log" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 50); do [ -S "$TMP/ctl" ] && break; sleep 0.1; done
run_one() { # MGMTD LABEL
say "--- $2: $1"
: >"$TMP/mgmt.log"
ip netns exec "$NS" "$1" --listen 127.0.0.1:8443 --cert "$PKI/server.crt" --key "$PKI/server.key" \
	--client-ca "$PKI/ca.crt" --control "$TMP/ctl" --roles "$PKI/roles" --spool "$TMP/spool" \
	>>"$TMP/mgmt.log" 2>&1 &
MPID=$!
for i in $(seq 50); do grep -q "listening on" "$TMP/mgmt.log" 2>/dev/null && break; sleep 0.1; done
py() { local mode=$1; shift; ns /usr/bin/python3 scripts/bench_mgmt.py "$mode" 127.0.0.1 8443 "$PKI" "$@"; }
for kind in full resumed; do
	t0=$(ticks "$MPID")
	set -- $(py handshakes 5 4 ${kind/full/} 2>&1 | sed 's/^handshakes //')
	t1=$(ticks "$MPID")
	say "$(awk -v n="$1" -v e="$3" -v t=$((t1 - t0)) -v hz="$HZ" -v k="$kind" 'BEGIN {
		printf "handshakes %-8s %6.0f/s  errors %d  mgmtd CPU %.2f ms each\n", k, n / 5, e, n ? t * 1000 / hz / n : 0 }')"
done
t0=$(ticks "$MPID")
set -- $(py readers "$SECS" 200 /status 20)
t1=$(ticks "$MPID")
say "$(awk -v n="$2" -v e="$4" -v p50="$6" -v p99="$8" -v s="$SECS" -v t=$((t1 - t0)) -v hz="$HZ" 'BEGIN {
	printf "readers 200 keep-alive from 20 addresses, %d s: %.0f requests/s  errors %d  p50 %.1f ms  p99 %.1f ms  mgmtd CPU %.3f ms a request\n",
		s, n / s, e, p50, p99, n ? t * 1000 / hz / n : 0 }')"

log0=$(stat -c %s "$TMP/mgmt.log")
for i in 2 3 4 5 6; do
	ns /usr/bin/python3 tests/mgmt/raw.py 127.0.0.1 8443 "$PKI/ca.crt" "$PKI/reader.crt" "$PKI/reader.key" \
		silent 100 15 127.0.0.$i >/dev/null &
	PIDS="$PIDS $!"
	ns /usr/bin/python3 tests/mgmt/raw.py 127.0.0.1 8443 "$PKI/ca.crt" "$PKI/reader.crt" "$PKI/reader.key" \
		silent 100 15 127.0.0.$((i + 5)) hello >/dev/null &
	PIDS="$PIDS $!"
done
sleep 4
held=$(ns ss -Htn state established '( sport = :8443 )' | wc -l)
times=
for i in 1 2 3 4 5; do
	times="$times $(ns curl -s -o /dev/null -w '%{http_code}:%{time_total}' --max-time 10 \
		--resolve localhost:8443:127.0.0.1 --cacert "$PKI/ca.crt" --cert "$PKI/operator.crt" \
		--key "$PKI/operator.key" https://localhost:8443/bundle)"
	sleep 1
done
sleep 6
log1=$(stat -c %s "$TMP/mgmt.log")
say "under attack ($held connections held from 10 addresses, 15 s): operator GET /bundle (status:seconds)$times"
say "$(awk -v b=$((log1 - log0)) 'BEGIN { printf "mgmtd log growth under attack: %d bytes in 15 s (%.0f bytes/s)\n", b, b / 15 }')"
kill "$MPID"
wait "$MPID" 2>/dev/null
}

: >"$OUT/mgmt.txt"
say "mgmt bench $(date -u +%FT%TZ), $(nproc) cores, $(git describe --always --dirty 2>/dev/null)"
run_one "$BUILD/scanwall-mgmtd" "this build"
[ -n "${BENCH_MGMT_BASE:-}" ] && run_one "$BENCH_MGMT_BASE/scanwall-mgmtd" "base"
