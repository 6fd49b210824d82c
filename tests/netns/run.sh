#!/bin/bash
# tests/netns/run.sh BUILD [DIR]: every DIR/test_*.sh (default: this folder)
# against the real kernel, in namespaces of its own (scripts/topo.sh), each
# under a timeout. tests/attack and tests/stacks run through it too.
# Each test reports its checks through tests/lib.sh; a test that dies or
# times out is one more failure. Needs root (namespaces, nftables).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
SW_BUILD=$(cd "${1:-build}" && pwd)
export SW_BUILD
dir=$(cd "${2:-$here}" && pwd)
suite=$(basename "$dir")
timeout_s=${SW_NETNS_TIMEOUT:-120}

if [ "$(id -u)" != 0 ]; then
	fail "$suite: tests need root (namespaces, netfilter)"
	exit 0
fi
if [ ! -x "$SW_BUILD/scanwalld" ]; then
	fail "$suite: no $SW_BUILD/scanwalld"
	exit 0
fi

# Whatever a killed test left behind: its namespaces and what runs there.
cleanup_prefix() {
	local ns pids
	for ns in $(ip netns list | awk '{print $1}'); do
		[[ $ns == "$1"* ]] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$ns"
	done
}

i=0
for t in "$dir"/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	[ -n "${SW_NETNS_ONLY:-}" ] && [[ $name != *$SW_NETNS_ONLY* ]] && continue
	echo "$suite $name"
	i=$((i + 1))
	export SW_TOPO_PREFIX="sw$$.$i."
	timeout -k 10 "$timeout_s" bash "$t"
	rc=$?
	# -k kills a test stuck in its own cleanup; then nothing ran its trap
	cleanup_prefix "$SW_TOPO_PREFIX"
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail "$suite $name: timed out after ${timeout_s}s"
	elif [ "$rc" != 0 ]; then
		fail "$suite $name: exited $rc"
	fi
done
exit 0
