#!/bin/bash
# Replays every capture of tests/replay/cases.txt through
# `scanwalld --replay PCAP --policy FILE` and checks the JSON events it
# prints against that line's assertions (tests/replay/expect.py). One
# ok/fail per line; on a failure, the events and stderr are shown.
#
#   tests/replay/run.sh build/scanwalld [FILTER]   FILTER: a regex on the line
#
# Always exits 0: failures are counted by scripts/summary.sh.
. "$(dirname "$0")/../lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
PCAPS=$(cd "$HERE/../pcap" && pwd)
PY=/usr/bin/python3
BIN=$1
FILTER=${2:-}

if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
	fail "replay: no scanwalld binary (${BIN:-none given})"
	exit 0
fi

TMP=$(mktemp -d /tmp/swreplay.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

run_case() {
	local pcap=$1 policy=$2 rc trace=
	shift 2
	local name="replay $pcap $policy" file=$HERE/$policy
	# template:NAME is templates/NAME.conf with the lab's placeholders
	if [[ $policy == template:* ]]; then
		file=$TMP/${policy#template:}.conf
		sed -f "$HERE/template-lab.sed" "$HERE/../../templates/${policy#template:}.conf" >"$file"
	fi
	# Per-frame verdicts only when a frame assertion asks for them.
	[[ " $* " == *" frame"* ]] && trace=--trace
	timeout 10 "$BIN" --replay "$PCAPS/$pcap" --policy "$file" $trace \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	if "$PY" "$HERE/expect.py" "$PCAPS/$pcap" "$rc" "$TMP/out" "$TMP/err" "$@" >"$TMP/why"; then
		ok "$name"
		return
	fi
	fail "$name"
	{
		sed 's/^/        want: /' "$TMP/why"
		echo "        exit $rc; events:"
		sed 's/^/          /' "$TMP/out"
		[ -s "$TMP/err" ] && sed 's/^/        stderr: /' "$TMP/err" | head -20
	} >&2
}

set -f # assertions like 1*assoc-accept are words, not globs
while read -r line; do
	line=${line%%#*}
	[ -n "${line// /}" ] || continue
	[ -z "$FILTER" ] || [[ $line =~ $FILTER ]] || continue
	# shellcheck disable=SC2086 # the assertions are whitespace-separated words
	run_case $line
done <"$HERE/cases.txt"
exit 0
