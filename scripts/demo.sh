#!/bin/bash
# scripts/demo.sh BUILD (`make demo`): the box between a PACS and a Siemens
# Symbia, in network namespaces, with real DICOM peers.
#
#   pacs   10.77.1.10 (PACS_ARCHIVE) ─┐
#   viewer 10.77.1.30                 ├─ box: br0 + scanwalld (demo.conf) ── symbia 10.77.1.15
#   (stranger 10.77.1.66, unused)    ─┘                                     storescp AE SYMBIA,
#                                                                           IIS on 80/443, HP agent on 3465
#
# Shows an allowed C-ECHO and C-STORE, the advisory's ports refused, a
# wrong AE title refused, then the events and counters from the control
# socket, and what the box learnt of it all: the policy it proposes and
# what-if. Everything is removed at the end, however it ends.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/topo.sh"

SW_BUILD=$(cd "${1:-build}" && pwd)
[ "$(id -u)" = 0 ] || { echo "demo: needs root (namespaces, netfilter)" >&2; exit 1; }
[ -x "$SW_BUILD/scanwalld" ] || { echo "demo: no $SW_BUILD/scanwalld (run make)" >&2; exit 1; }
SW_WORK=$(mktemp -d /tmp/scanwall-demo.XXXXXX)
demo_end() {
	sw_stop
	topo_down
	rm -rf "$SW_WORK"
}
trap demo_end EXIT

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'; else B='' G='' R='' N=''; fi
heading() { printf '\n%s== %s ==%s\n' "$B" "$*" "$N"; }
# show EXPECT DESCRIPTION CMD...: runs CMD (in a namespace), prints its
# outcome and whether that is what the demo expects (pass or refused).
status=0
show() {
	local expect=$1 what=$2 got
	shift 2
	printf '$ %s\n' "$*" | sed "s|$SW_WORK|\$WORK|g; s|ip netns exec [^ ]* ||"
	elapsed_ms timeout 30 "$@" >"$SW_WORK/last.log" 2>&1
	sed 's/^/    /' "$SW_WORK/last.log" | tail -n 4
	[ "$RC" = 0 ] && got=pass || got=refused
	if [ "$got" = "$expect" ]; then
		printf '%s-> %s: %s (%s ms), as it should%s\n' "$G" "$what" "$got" "$ELAPSED_MS" "$N"
	else
		printf '%s-> %s: %s (%s ms), expected %s%s\n' "$R" "$what" "$got" "$ELAPSED_MS" "$expect" "$N"
		status=1
	fi
}

heading "Topology"
sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//'
topo_up "swdemo$$."
peer_make_dicom "$SW_WORK/send" 3 >/dev/null || exit 1
peer_storescp "$SW_WORK/recv" || exit 1
peer_advisory || exit 1

heading "scanwalld with tests/netns/policy/demo.conf"
grep -v '^#' "$here/../tests/netns/policy/demo.conf" | grep .
sw_start "$here/../tests/netns/policy/demo.conf" || exit 1
echo "scanwalld running in the box, pid $SW_PID"

heading "C-ECHO from the PACS: allowed"
show pass "C-ECHO" ip netns exec "$(topo_ns lan)" \
	echoscu -v -to 10 -ta 10 -td 10 -aet PACS_ARCHIVE -aec SYMBIA 10.77.1.15 104

heading "C-STORE of 3 images from the PACS: allowed"
show pass "C-STORE" ip netns exec "$(topo_ns lan)" \
	storescu -to 10 -ta 10 -td 10 -aet PACS_ARCHIVE -aec SYMBIA 10.77.1.15 104 "$SW_WORK"/send/*.dcm
echo "received on the scanner:"
find "$SW_WORK/recv" -type f -printf "%f\n" | sed 's/^/    /'
[ "$(find "$SW_WORK/recv" -type f | wc -l)" = 3 ] || status=1

heading "HTTP to the scanner's IIS (CVE-2015-1635): rejected"
show refused "HTTP :80" ip netns exec "$(topo_ns lan)" curl -sS -m 5 http://10.77.1.15/

heading "HTTPS to the scanner's IIS: rejected"
show refused "HTTPS :443" ip netns exec "$(topo_ns viewer)" curl -sSk -m 5 https://10.77.1.15/

heading "HP Client Automation on 3465 (CVE-2015-1497 ...): blocked, silently"
show refused "TCP :3465" ip netns exec "$(topo_ns lan)" "$SW_PEER" connect 10.77.1.15 3465 --timeout 3

heading "C-ECHO with a wrong calling AE title: refused with A-ASSOCIATE-RJ"
show refused "C-ECHO as EVIL_SCU" ip netns exec "$(topo_ns lan)" \
	echoscu -to 10 -ta 10 -td 10 -aet EVIL_SCU -aec SYMBIA 10.77.1.15 104

heading "What reached the scanner's web and agent ports"
if [ -s "$SW_WORK/advisory.rec" ]; then
	printf '%s%s bytes: the box let something through%s\n' "$R" "$(stat -c %s "$SW_WORK/advisory.rec")" "$N"
	status=1
else
	echo "nothing"
fi

heading "Events (control socket: events)"
sleep 0.3
sw_ctl events | /usr/bin/python3 -c '
import json, sys
for e in json.loads(sys.stdin.readline())["events"]:
    if e.get("proto") == "icmpv6":
        continue    # IPv6 housekeeping of the hosts (MLD), not the story here
    who = "%s:%s -> %s:%s" % (e.get("src"), e.get("sport"), e.get("dst"), e.get("dport")) \
        if e.get("src") else ""
    ae = " %s -> %s" % (e["calling_ae"], e["called_ae"]) if e.get("calling_ae") else ""
    rule = "rule %s" % e["rule"] if e.get("rule") else "default"
    extra = "".join(" %s=%s" % (k, e[k]) for k in ("fault", "answer") if e.get(k))
    print("  %-13s %-34s%s  [%s] %s%s" % (e["event"], who, ae, rule, e.get("reason") or "", extra))
'

heading "Counters (control socket: counters)"
sw_ctl counters | /usr/bin/python3 -c '
import json, sys
j = json.loads(sys.stdin.readline())
e = j["engine"]
print("  packets %(packets)d  accepted %(accepted)d  dropped %(dropped)d  settled %(settled)d  injected %(injected)d" % e)
print("  events: " + ", ".join("%s %d" % kv for kv in j["events"].items() if kv[1]))
faults = ", ".join("%s %d" % kv for kv in j["faults"].items() if kv[1])
print("  faults: " + (faults or "none"))
for r in j["rules"]:
    print("  line %3d %-6s %-5s hits %-4d %s" % (r["line"], r["action"], r["proto"], r["hits"], r["reason"] or ""))
print("  default  %-12s hits %d" % (j["default"]["action"], j["default"]["hits"]))
'

heading "Commissioning: what the box learnt, the policy it proposes, what-if (docs/commissioning.md)"
con() { ip netns exec "$(topo_ns box)" "$SW_BUILD/scanwall" --state "$SW_WORK/console" \
	--control "$SW_WORK/ctl.sock" "$@"; }
mkdir -p "$SW_WORK/console"
echo '$ scanwall policy observed'
con policy observed | grep -v icmpv6 | sed 's/^/    /'
echo '$ scanwall policy propose > proposal.conf      (its rules:)'
con policy propose >"$SW_WORK/proposal.conf"
grep -E '^(allow|block|reject|default)' "$SW_WORK/proposal.conf" | sed 's/^/    /'
echo '$ scanwall policy what-if proposal.conf'
con policy what-if "$SW_WORK/proposal.conf" | sed 's/^/    /'
if "$SW_BUILD/scanwalld" --check "$SW_WORK/proposal.conf" >/dev/null &&
	sw_ctl observed >"$SW_WORK/observed.json" &&
	"$SW_BUILD/scanwalld" --what-if "$SW_WORK/observed.json" --policy "$SW_WORK/proposal.conf" \
		>/dev/null; then
	printf '%s-> the proposal passes --check and refuses nothing the demo did, as it should%s\n' "$G" "$N"
else
	printf '%s-> the proposal fails --check or refuses what the demo did%s\n' "$R" "$N"
	status=1
fi

heading "Result"
if [ "$status" = 0 ]; then
	echo "${G}every step behaved as the policy says${N}"
else
	echo "${R}some step did not behave as the policy says${N}"
fi
exit "$status"
