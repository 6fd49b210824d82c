#!/bin/bash
# `reload` over the control socket: a policy without storage takes effect
# for the next association; a broken file is refused with its errors and
# the policy in force stays.
#
#   lan ── box (scanwalld, a copy of netns.conf we edit) ── dev (storescp)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

pol=$SW_WORK/policy.conf
cp "$SW_POLICY_DIR/netns.conf" "$pol"
peer_make_dicom "$SW_WORK/send" 1 || { fail "netns reload: make test image"; exit 1; }
peer_storescp "$SW_WORK/recv" || { fail "netns reload: storescp listens"; exit 1; }
sw_start "$pol" || { fail "netns reload: scanwalld starts"; exit 1; }
store() { n_lan timeout 30 storescu -to 5 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104 "$SW_WORK"/send/*.dcm; }

check "netns reload: C-STORE passes under the first policy" store
sha1=$(sw_ctl_json 'j["policy"]["sha256"]' status)

sed -i 's/services verification storage$/services verification/' "$pol"
check "netns reload: reload answers ok" test "$(sw_ctl_json 'j["ok"]' reload)" = True
store >>"$SW_WORK/scu.log" 2>&1
check "netns reload: C-STORE refused under the new policy (exit $?)" test $? != 0
sha2=$(sw_ctl_json 'j["policy"]["sha256"]' status)
check "netns reload: status shows the new sha256" \
	test "$sha2" = "$(sha256sum "$pol" | cut -d' ' -f1)" -a "$sha2" != "$sha1"

echo 'allow dicom frm lan to scanner' >>"$pol"
answer=$(sw_ctl reload)
check "netns reload: a broken file is refused with file:line:col" \
	grep -q '"ok":false,"errors":\[".*policy.conf:[0-9]*:[0-9]*:' <<<"$answer"
check "netns reload: the policy in force stays" \
	test "$(sw_ctl_json 'j["policy"]["sha256"]' status)" = "$sha2"
check "netns reload: the refusal is an event" sw_wait_event 5 'policy reload refused'

# SIGHUP (init's reload) is the same reload: the policy and the hash status
# shows come from the same bytes; a broken file changes neither
sed -i '$d' "$pol"
echo '# reloaded by SIGHUP' >>"$pol"
kill -HUP "$SW_PID"
for _ in $(seq 20); do
	sha3=$(sw_ctl_json 'j["policy"]["sha256"]' status)
	[ "$sha3" != "$sha2" ] && break
	sleep 0.1
done
check "netns reload: SIGHUP puts the file in force, status shows its sha256" \
	test "$sha3" = "$(sha256sum "$pol" | cut -d' ' -f1)"
echo 'allow dicom frm lan to scanner' >>"$pol"
kill -HUP "$SW_PID"
sleep 0.5
check "netns reload: a broken file on SIGHUP changes nothing" \
	test "$(sw_ctl_json 'j["policy"]["sha256"]' status)" = "$sha3"
check "netns reload: scanwalld still runs" kill -0 "$SW_PID"
