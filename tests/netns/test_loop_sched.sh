#!/bin/bash
# The verdict loop comes first on the box's CPUs (src/datapath/rtsched.c):
# its thread runs as the build's Kconfig says (SCHED_FIFO at
# VERDICT_RT_PRIORITY, else nice VERDICT_NICE), the control thread and
# what it starts do not inherit it, traffic still passes, and a box that
# may not raise it (no CAP_SYS_NICE, as in a container) warns and filters.
#
#   lan (LAN_SCU) ── box: scanwalld ─ loop thread (tid = pid): FIFO / nice
#                    │               └ every other thread (control: nice 10): not RT
#                    └─ dev (storescp, AE SYMBIA)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

conf() { sed -n "s/^#define CONFIG_$1 //p" "$SW_BUILD/include/generated/autoconf.h"; }
RT=$(conf VERDICT_RT_PRIORITY)
NICE=$(conf VERDICT_NICE)
# policy (0 other, 1 fifo), rt priority and nice of a thread, from its stat
# (fields after the command's closing parenthesis: nice is 19, rt_priority
# 40, policy 41)
sched_of() { sed 's/.*) //' "/proc/$SW_PID/task/$1/stat" | awk '{ print $39, $38, $17 }'; }
# the other threads (the control thread; a sanitizer's own): "policy nice" each
others() {
	local t
	for t in /proc/"$SW_PID"/task/*; do
		[ "${t##*/}" = "$SW_PID" ] || sched_of "${t##*/}" | awk '{ print $1, $3 }'
	done
}

peer_storescp "$SW_WORK/recv" || { fail "loop sched: storescp listens"; exit 1; }
sw_start "$SW_POLICY_DIR/netns.conf" || { fail "loop sched: scanwalld starts"; exit 1; }

read -r pol prio nice < <(sched_of "$SW_PID")
if [ "${RT:-0}" -gt 0 ]; then
	check "loop sched: the loop thread is SCHED_FIFO at $RT (policy $pol, priority $prio)" \
		test "$pol" = 1 -a "$prio" = "$RT"
	check "loop sched: and resets on fork ($(chrt -p "$SW_PID" | head -1))" \
		sh -c "chrt -p $SW_PID | grep -q SCHED_RESET_ON_FORK"
else
	check "loop sched: the loop thread runs at nice ${NICE:-0} (policy $pol, nice $nice)" \
		test "$pol" = 0 -a "$nice" = "${NICE:-0}"
fi
threads=$(others | tr '\n' ' ')
check "loop sched: no other thread inherited real-time ($threads)" \
	test -n "$threads" -a -z "$(others | awk '$1 != 0')"
control_nice10() { others | grep -qx '0 10'; }
check "loop sched: the control thread runs at nice 10 ($threads)" control_nice10
# a reload runs the ruleset tools, started by the control thread
reload() { sw_ctl reload >/dev/null; }
check "loop sched: a reload (the control thread runs the ruleset's tools)" reload
check "loop sched: C-ECHO lan -> scanner through the raised loop" \
	n_lan timeout 30 echoscu -to 10 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104
sw_stop

# Without CAP_SYS_NICE: a warning, and the box filters as before.
if [ "${RT:-0}" -gt 0 ] || [ "${NICE:-0}" -lt 0 ]; then
	sw_start_unraised() {
		ip netns exec "$(topo_ns box)" setpriv --inh-caps=-sys_nice --bounding-set=-sys_nice \
			"$SW_BUILD/scanwalld" --policy "$SW_POLICY_DIR/netns.conf" --queue 0 \
			--control "$SW_WORK/ctl.sock" --state "$SW_WORK/state" >"$SW_WORK/unraised.log" 2>&1 &
		SW_PID=$!
		for _ in $(seq 100); do sw_ctl status >/dev/null 2>&1 && return 0; sleep 0.1; done
		return 1
	}
	check "loop sched: without CAP_SYS_NICE scanwalld still starts" sw_start_unraised
	check "loop sched: and says what it could not raise" \
		grep -q "verdict loop: .*running without it" "$SW_WORK/unraised.log"
	read -r pol prio nice < <(sched_of "$SW_PID")
	check "loop sched: the loop thread is then an ordinary one (policy $pol)" test "$pol" = 0
	check "loop sched: C-ECHO through the unraised box" \
		n_lan timeout 30 echoscu -to 10 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104
fi
