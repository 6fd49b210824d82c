#!/bin/bash
# Golden tests of the policy language, in the style of OpenBSD's pfctl
# regress: every good policy NAME.conf must print exactly NAME.ok with
# `scanwalld --check` (and that output must print itself again: the round
# trip), every broken one bad-NAME.conf must exit 1 with exactly the
# messages of bad-NAME.err on stderr and nothing on stdout.
#
# The device templates (templates/*.conf) are good policies too, with their
# goldens in tests/policy/templates/, and each must name its source document.
#
#   tests/policy/run.sh BUILD/scanwalld [--update]
#
# --update rewrites the goldens from the current output; review the diff.
# Always exits 0: results go to the summary through tests/lib.sh.
. "$(dirname "$0")/../lib.sh"

bin=$(realpath "${1:?usage: $0 BUILD/scanwalld [--update]}")
update=${2:-}
cd "$(dirname "$0")/../.." || exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# differs NAME EXPECTED ACTUAL: prints a diff and records the failure.
differs() {
	if diff -u "$2" "$3"; then return 1; fi
	fail "$1"
	return 0
}

# good CONF [GOLDEN]
good() {
	local conf=$1 name=policy/$(basename "$1" .conf) ok=${2:-${1%.conf}.ok} rc=0
	timeout 10 "$bin" --check "$conf" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ -n "$update" ] && cp "$tmp/out" "$ok"
	if [ "$rc" != 0 ] || [ -s "$tmp/err" ]; then
		cat "$tmp/err" >&2
		fail "$name (exit $rc)"
		return
	fi
	differs "$name" "$ok" "$tmp/out" && return
	ok "$name"
	cp "$tmp/out" "$tmp/normal.conf"
	rc=0
	timeout 10 "$bin" --check "$tmp/normal.conf" >"$tmp/again" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		cat "$tmp/again" >&2
		fail "$name round trip (exit $rc)"
		return
	fi
	differs "$name round trip" "$tmp/out" "$tmp/again" || ok "$name round trip"
}

bad() {
	local conf=$1 name=policy/$(basename "$1" .conf) err=${1%.conf}.err rc=0
	timeout 10 "$bin" --check "$conf" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ -n "$update" ] && cp "$tmp/err" "$err"
	if [ "$rc" != 1 ] || [ -s "$tmp/out" ]; then
		cat "$tmp/out"
		fail "$name (exit $rc, want 1 and no output)"
		return
	fi
	differs "$name" "$err" "$tmp/err" || ok "$name"
}

for conf in tests/policy/*.conf; do
	case $(basename "$conf") in
	bad-*) bad "$conf" ;;
	*) good "$conf" ;;
	esac
done
for conf in templates/*.conf; do
	name=$(basename "$conf" .conf)
	good "$conf" "tests/policy/templates/$name.ok"
	check "policy/$name names its source" grep -q '^# Source:' "$conf"
done
exit 0
