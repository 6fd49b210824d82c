#!/bin/bash
# A refused apply changes nothing (issue #16): a policy with 65 device
# addresses, one more than the kernel ruleset's ARP rules hold, is refused
# by `reload` and as a signed bundle, with a reason that says why, and the
# engine's policy (its record and what it prints from the policy it judges
# by), the kernel ruleset and the bundle store stay as they were; the same
# checks see a policy that fits taken.
#
#   scanwall-bundle (65-address policy, signed 2 of 2)
#        │ bundle install / reload
#   lan (echoscu) ── box: scanwalld --state --keyring ── dev (storescp)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

tool=$SW_BUILD/scanwall-bundle
keys=$SW_WORK/keys
mkdir -p "$keys" "$SW_WORK/priv"
for k in a b; do
	"$tool" keygen --out "$SW_WORK/priv/$k" >/dev/null && cp "$SW_WORK/priv/$k.pub" "$keys/$k.pub"
done
compat=$("$SW_BUILD/scanwalld" --version | cut -d' ' -f3)

pol=$SW_WORK/policy.conf
cp "$SW_POLICY_DIR/netns.conf" "$pol"
# the same policy plus a second device of 64 addresses: 66 in all
big=$SW_WORK/big.conf
{
	cat "$pol"
	printf 'device spare 10.78.0.1'
	for i in $(seq 2 64); do printf ', 10.78.0.%d' "$i"; done
	printf ' ae SPARE\n'
} >"$big"

peer_storescp "$SW_WORK/recv" || { fail "netns apply: storescp listens"; exit 1; }
sw_start "$pol" --keyring "$keys" || { fail "netns apply: scanwalld starts"; exit 1; }
echo_ok() { n_lan timeout 20 echoscu -to 5 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104 >>"$SW_WORK/scu.log" 2>&1; }
sha() { sw_ctl_json 'j["policy"]["sha256"]' status; }
rules() { n_box nft -s list ruleset 2>/dev/null; }
current() { sw_ctl_json 'j["current"]' bundle status; }
# the engine's own policy, printed from what it judges by (not the record)
engine_pol() { sw_ctl_json 'j["text"]' policy; }

check "netns apply: C-ECHO passes under the first policy" echo_ok
sha0=$(sha)
rules0=$(rules)
cur0=$(current)
pol0=$(engine_pol)
check "netns apply: the engine prints its policy, devices and all" grep -q '10\.77\.1\.15' <<<"$pol0"

# reload of the 65-address file
cp "$big" "$pol"
answer=$(sw_ctl reload)
check "netns apply: reload refused, with file:line:col" \
	grep -q '"ok":false,"errors":\[".*policy.conf:[0-9]*:[0-9]*: more than 64 device addresses' <<<"$answer"
check "netns apply: ...the policy in force stays" test "$(sha)" = "$sha0"
check "netns apply: ...the engine judges by it still" test "$(engine_pol)" = "$pol0"
check "netns apply: ...the kernel ruleset is unchanged" test "$(rules)" = "$rules0"
check "netns apply: ...C-ECHO still passes" echo_ok

# the same policy in a signed bundle
if "$tool" create --version 1 --compatible "$compat" --policy "$big" --out "$SW_WORK/big.bundle" >/dev/null &&
	"$tool" sign --key "$SW_WORK/priv/a.key" "$SW_WORK/big.bundle" >/dev/null &&
	"$tool" sign --key "$SW_WORK/priv/b.key" "$SW_WORK/big.bundle" >/dev/null; then
	answer=$(sw_ctl bundle install "$SW_WORK/big.bundle")
	check "netns apply: the bundle is refused" \
		test "$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ok"])' "$answer")" = False
	check "netns apply: ...and the detail says why" \
		grep -q '"detail":"[^"]*bundle:policy:[0-9]*:[0-9]*: more than 64 device addresses' <<<"$answer"
	check "netns apply: ...the policy in force stays" test "$(sha)" = "$sha0"
	check "netns apply: ...the engine judges by it still" test "$(engine_pol)" = "$pol0"
	check "netns apply: ...the kernel ruleset is unchanged" test "$(rules)" = "$rules0"
	check "netns apply: ...the store has no new current bundle" test "$(current)" = "$cur0"
	check "netns apply: ...C-ECHO still passes" echo_ok
else
	fail "netns apply: create and sign the 65-address bundle"
fi

# fewer fit: the same checks see an apply that is taken
cp "$big" "$pol"
sed -i 's/, 10\.78\.0\.49, .* ae/ ae/' "$pol"
answer=$(sw_ctl reload)
check "netns apply: 48 spare addresses are taken" grep -q '"ok":true' <<<"$answer"
pol1=$(engine_pol)
check "netns apply: ...the engine judges by the new policy" \
	test "$pol1" != "$pol0" -a -n "$(grep '10\.78\.0\.48' <<<"$pol1")"
check "netns apply: ...and the kernel ruleset changed with it" test "$(rules)" != "$rules0"
