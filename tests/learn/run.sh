#!/bin/bash
# Commissioning, offline (docs/commissioning.md): observe, propose, prove.
#
#   tests/pcap/{echo,store,find,wrong-calling,plain}.pcap
#        | scanwalld --replay PCAP --policy tests/replay/lab.conf --learn TABLE
#        v
#      TABLE --propose [--template scanner]--> PROPOSAL  == propose*.ok, passes --check
#        |                                        |
#        +--what-if CANDIDATE--> == whatif-*.ok   +--> --replay every capture through it:
#                                                      the same traffic passes, a new peer
#                                                      (IPv6), a new AE title and a new
#                                                      service (a private class) are refused
#
#   tests/learn/run.sh build/scanwalld       UPDATE=1 rewrites the .ok files
#
# Always exits 0: failures are counted by scripts/summary.sh.
. "$(dirname "$0")/../lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
PCAPS=$(cd "$HERE/../pcap" && pwd)
REPLAY=$(cd "$HERE/../replay" && pwd)
BIN=$1

if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
	fail "learn: no scanwalld binary (${BIN:-none given})"
	exit 0
fi

TMP=$(mktemp -d /tmp/swlearn.XXXXXX)
NS=swlearn$$
SWD_PID=
cleanup() {
	[ -n "$SWD_PID" ] && kill "$SWD_PID" 2>/dev/null && wait "$SWD_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
TABLE=$TMP/observed.json

# golden NAME FILE: FILE must equal tests/learn/NAME
golden() {
	if [ -n "${UPDATE:-}" ]; then cp "$2" "$HERE/$1"; fi
	if diff -u "$HERE/$1" "$2" >"$TMP/diff"; then
		ok "learn $1"
	else
		fail "learn $1"
		sed 's/^/        /' "$TMP/diff" | head -40 >&2
	fi
}

# --- observe: the table from the recorded captures ----------------------------
learnt=0
for p in echo store find wrong-calling plain; do
	"$BIN" --replay "$PCAPS/$p.pcap" --policy "$REPLAY/lab.conf" --learn "$TABLE" \
		>/dev/null 2>"$TMP/err" && learnt=$((learnt + 1))
done
check "learn: --replay --learn over 5 captures" test "$learnt" = 5

# a second run adds to the table, as a restart keeps it: one more echo
cp "$TABLE" "$TMP/again.json"
"$BIN" --replay "$PCAPS/echo.pcap" --policy "$REPLAY/lab.conf" --learn "$TMP/again.json" >/dev/null
check "learn: a table grows across runs (requested 2 -> 3)" \
	grep -q '"calling_ae":"PACS","called_ae":"SCANNER","requested":3,' "$TMP/again.json"
printf 'not json' >"$TMP/bad.json"
"$BIN" --replay "$PCAPS/echo.pcap" --policy "$REPLAY/lab.conf" --learn "$TMP/bad.json" \
	>/dev/null 2>"$TMP/err"
check "learn: a file that is no table is refused" grep -q "not an observation table" "$TMP/err"
# an edited table with a control character in a title: refused, the field named, not repaired
sed 's/"calling_ae":"PACS"/"calling_ae":"PA\\u0007CS"/' "$TABLE" >"$TMP/edited.json"
"$BIN" --propose "$TMP/edited.json" >/dev/null 2>"$TMP/err"
check "learn: an edited table is refused, naming the field" \
	grep -Eq 'not an observation table \(relations\[[0-9]+\]\.calling_ae\)' "$TMP/err"

# --- propose -------------------------------------------------------------------
sed -f "$REPLAY/template-lab.sed" "$HERE/../../templates/siemens-mi-scanner.conf" >"$TMP/scanner.conf"
"$BIN" --propose "$TABLE" >"$TMP/propose.conf" 2>"$TMP/err"
golden propose.ok "$TMP/propose.conf"
"$BIN" --propose "$TABLE" --template "$TMP/scanner.conf" >"$TMP/propose-template.conf" 2>"$TMP/err"
golden propose-template.ok "$TMP/propose-template.conf"
for f in propose propose-template; do
	check "learn: $f passes --check" "$BIN" --check "$TMP/$f.conf" >/dev/null
done

# one machine on two addresses: the pacs side and the scanner over IPv4 and IPv6
# (echo6.pcap) are one peer and one device with both addresses, and one rule
for p in echo echo6 find; do
	"$BIN" --replay "$PCAPS/$p.pcap" --policy "$REPLAY/lab.conf" --learn "$TMP/dual.json" \
		>/dev/null 2>&1
done
"$BIN" --propose "$TMP/dual.json" >"$TMP/propose-dual.conf" 2>"$TMP/err"
golden propose-dual.ok "$TMP/propose-dual.conf"
check "learn: propose-dual passes --check" "$BIN" --check "$TMP/propose-dual.conf" >/dev/null
timeout 10 "$BIN" --replay "$PCAPS/echo6.pcap" --policy "$TMP/propose-dual.conf" >"$TMP/out" 2>&1
check "learn: the dual proposal passes the IPv6 echo" grep -q '"event":"assoc-release"' "$TMP/out"

# --- what-if ---------------------------------------------------------------------
whatif() {	# NAME POLICY WANT_RC
	local rc
	"$BIN" --what-if "$TABLE" --policy "$2" >"$TMP/$1" 2>&1
	rc=$?
	golden "$1" "$TMP/$1"
	check "learn: what-if $1 exits $3" test "$rc" = "$3"
}
whatif whatif-proposal.ok "$TMP/propose-template.conf" 0
whatif whatif-template.ok "$TMP/scanner.conf" 1
whatif whatif-verify-only.ok "$REPLAY/verify-only.conf" 1
# inspect association judges the contexts at the AC too: the store's CT
# context is refused where it is used, as under inspect full
whatif whatif-verify-only-assoc.ok "$REPLAY/verify-only-assoc.conf" 1
# looser than what was seen: the refused INTRUDER would pass, nothing is refused
whatif whatif-loose.ok "$HERE/loose.conf" 0

# --- the proposal enforced: the traffic it was learnt from passes, nothing new ---
enforce() {	# PCAP ASSERTION...
	local pcap=$1 rc
	shift
	timeout 10 "$BIN" --replay "$PCAPS/$pcap" --policy "$TMP/propose-template.conf" \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	if /usr/bin/python3 "$REPLAY/expect.py" "$PCAPS/$pcap" "$rc" "$TMP/out" "$TMP/err" "$@" \
		>"$TMP/why"; then
		ok "learn: proposal enforced on $pcap"
	else
		fail "learn: proposal enforced on $pcap"
		sed 's/^/        /' "$TMP/why" "$TMP/out" | head -30 >&2
	fi
}
enforce echo.pcap  1*assoc-accept,calling_ae=PACS 1*assoc-release !invalid !assoc-abort !assoc-reject !block
enforce store.pcap 1*assoc-accept,calling_ae=PACS 1*assoc-release !invalid !assoc-abort !assoc-reject !block
enforce find.pcap  1*assoc-accept,calling_ae=SCANNER,called_ae=RIS 1*assoc-release !invalid !assoc-abort !block
enforce plain.pcap allow,proto=udp,dport=123 allow,proto=icmp reject,dport=80,reason~CVE-2015-1635 block,dport=3465 !allow,proto=tcp
# a new AE title on a known peer, and a known title calling the wrong AE
enforce wrong-calling.pcap assoc-reject,calling_ae=INTRUDER,fault=calling-ae !assoc-accept
enforce wrong-called.pcap  assoc-reject,called_ae=NOTSCANNER,fault=called-ae !assoc-accept
# a new peer: the same echo from an address never seen
enforce echo6.pcap block,rule=null,src=fd77::10 !assoc-accept !allow
# a new service: a private class the scanner never received
enforce crafted/store-listed.pcap assoc-reject,fault=no-context,refused=1.3.12.2.1107.5.9.1 !assoc-accept !invalid

# --- the box: the table in the state directory outlives a restart, and the ---
# --- console proposes from the engine's table (scanwalld inline in a netns) ---
#
#   TABLE -> NS: scanwalld --state S (loads S/observed.json)
#                  <- scanwalld --ctl observed        the same relations
#                  <- scanwall policy propose T       == the offline proposal
#                SIGTERM: S/observed.json written again, loaded by the next start
ns() { ip netns exec "$NS" "$@"; }
wait_for() {
	local i
	for i in $(seq 50); do "$@" && return 0; sleep 0.2; done
	return 1
}
start_engine() {
	ip netns exec "$NS" timeout 120 "$BIN" --policy "$TMP/scanner.conf" --queue $((100 + $$ % 800)) \
		--control "$TMP/ctl" --state "$TMP/state" >>"$TMP/swd.log" 2>&1 &
	SWD_PID=$!
	wait_for test -S "$TMP/ctl"
}
stop_engine() {
	kill -TERM "$SWD_PID" && wait "$SWD_PID"
	SWD_PID=
}
relations() { ns "$BIN" --ctl "$TMP/ctl" observed | grep -o '"requested":' | wc -l; }
if ! ip netns add "$NS" 2>/dev/null; then
	fail "learn: no network namespace for the inline checks (root needed)"
	exit 0
fi
ns ip link set lo up
mkdir -p "$TMP/state" "$TMP/console"
cp "$TABLE" "$TMP/state/observed.json"
if start_engine; then
	check "learn: the engine loads the table at start (2 relations)" test "$(relations)" = 2
	ns "$(dirname "$BIN")/scanwall" --state "$TMP/console" --control "$TMP/ctl" \
		policy propose "$TMP/scanner.conf" >"$TMP/console-propose.conf" 2>&1
	check "learn: the console's policy propose is the offline one" \
		diff -u "$TMP/propose-template.conf" "$TMP/console-propose.conf"
	ns "$(dirname "$BIN")/scanwall" --state "$TMP/console" --control "$TMP/ctl" \
		policy what-if "$HERE/loose.conf" >"$TMP/console-whatif" 2>&1
	check "learn: the console's policy what-if is the offline one" \
		diff -u "$HERE/whatif-loose.ok" "$TMP/console-whatif"
	rm "$TMP/state/observed.json"
	stop_engine
	check "learn: the engine writes the table at exit" \
		grep -q '"calling_ae":"SCANNER","called_ae":"RIS"' "$TMP/state/observed.json"
	start_engine
	check "learn: a restart keeps the table" test "$(relations)" = 2
	stop_engine
else
	fail "learn: scanwalld did not start inline"
	sed 's/^/        /' "$TMP/swd.log" >&2
fi
exit 0
