#!/bin/bash
# tests/attack/run.sh BUILD: every tests/attack/test_*.sh through the netns runner
# (namespaces of their own, a timeout each, leftovers removed). Besides the
# daemons they need two helpers that only `make attack-test` builds:
# BUILD/tests/netns-reorder (scripts/topo.sh) and BUILD/tests/synflood.
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
missing=
for helper in netns-reorder synflood; do
	[ -x "$build/tests/$helper" ] || missing="$missing $build/tests/$helper"
done
if [ -n "$missing" ]; then
	. "$here/../lib.sh"
	fail "attack: missing$missing: run 'make attack-test' (or 'make BUILD=$build$missing') first"
	exit 0
fi
exec "$here/../netns/run.sh" "$build" "$here"
