#!/bin/bash
# Signed bundles through the running engine: the control socket's
# `bundle install` changes the policy in force only for a bundle signed by
# 2 of the 3 keys, newer than the one installed, for this device class;
# `confirm` keeps it, the confirm timer reverts it; a restart keeps it.
#
#   scanwall-bundle (keys, create, sign) ─▶ box: scanwalld --state --keyring
#   lan (storescu) ── box ── dev (storescp)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

tool=$SW_BUILD/scanwall-bundle
keys=$SW_WORK/keys
mkdir -p "$keys" "$SW_WORK/priv"
for k in a b c; do
	"$tool" keygen --out "$SW_WORK/priv/$k" >/dev/null && cp "$SW_WORK/priv/$k.pub" "$keys/$k.pub"
done
compat=$("$SW_BUILD/scanwalld" --version | cut -d' ' -f3)

# bundle VERSION POLICY OUT KEY... : a signed policy bundle (a failure to
# make one is a failure of the test, never a refusal that passes it)
bundle() {
	local v=$1 pol=$2 out=$3 k
	shift 3
	if ! "$tool" create --version "$v" --compatible "${COMPAT:-$compat}" --policy "$pol" --out "$out" >/dev/null; then
		fail "netns bundle: create $(basename "$out")"
		return 1
	fi
	for k in "$@"; do
		"$tool" sign --key "$SW_WORK/priv/$k.key" "$out" >/dev/null || fail "netns bundle: sign $(basename "$out")"
	done
}

full=$SW_POLICY_DIR/netns.conf
echo_only=$SW_WORK/echo-only.conf
sed 's/services verification storage$/services verification/' "$full" >"$echo_only"

peer_make_dicom "$SW_WORK/send" 1 || { fail "netns bundle: make test image"; exit 1; }
peer_storescp "$SW_WORK/recv" || { fail "netns bundle: storescp listens"; exit 1; }
sw_start "$full" --keyring "$keys" || { fail "netns bundle: scanwalld starts"; exit 1; }
store() { n_lan timeout 30 storescu -to 5 -ta 10 -td 10 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104 "$SW_WORK"/send/*.dcm >>"$SW_WORK/scu.log" 2>&1; }
sha() { sw_ctl_json 'j["policy"]["sha256"]' status; }
install() { sw_ctl_json 'j["ok"]' bundle install "$@"; }

check "netns bundle: C-STORE passes under the factory policy" store
sha0=$(sha)

bundle 1 "$echo_only" "$SW_WORK/one-sig.bundle" a
check "netns bundle: one signature of two refused" test "$(install "$SW_WORK/one-sig.bundle")" = False
check "netns bundle: ...the policy in force is unchanged" test "$(sha)" = "$sha0"

COMPAT=another-box bundle 1 "$echo_only" "$SW_WORK/other.bundle" a b
check "netns bundle: another device class refused" test "$(install "$SW_WORK/other.bundle")" = False

bundle 2 "$echo_only" "$SW_WORK/v2.bundle" a c
cp "$SW_WORK/v2.bundle" "$SW_WORK/v2-bad.bundle"
# every bit of one signature byte flipped (writing a fixed byte left the
# file whole whenever the signature already held it there)
/usr/bin/python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-20] ^= 0xff; open(p, "wb").write(b)' \
	"$SW_WORK/v2-bad.bundle"
check "netns bundle: a damaged signature refused" test "$(install "$SW_WORK/v2-bad.bundle")" = False
check "netns bundle: ...the policy in force is unchanged" test "$(sha)" = "$sha0"
check "netns bundle: refusals are events" sw_wait_event 5 'bundle-refused'

check "netns bundle: 2 of 3 signatures installed" test "$(install "$SW_WORK/v2.bundle")" = True
check "netns bundle: status names the bundle's policy" test "$(sha)" = "$(sha256sum "$echo_only" | cut -d' ' -f1)"
store
check "netns bundle: C-STORE refused under the bundle's policy (exit $?)" test $? != 0
check "netns bundle: reload of the unsigned file is refused" \
	grep -q '"error":"the policy in force came in a signed bundle' <<<"$(sw_ctl reload)"

bundle 1 "$full" "$SW_WORK/v1.bundle" a b
check "netns bundle: an older version refused (anti-rollback)" test "$(install "$SW_WORK/v1.bundle")" = False

bundle 3 "$full" "$SW_WORK/v3.bundle" b c
check "netns bundle: v3 installed with a 2 s confirm timer" test "$(install "$SW_WORK/v3.bundle" confirm 2)" = True
check "netns bundle: ...C-STORE passes under v3" store
sleep 3.5
check "netns bundle: unconfirmed v3 reverted by itself" sw_wait_event 5 'bundle-reverted'
check "netns bundle: ...back to v2's policy" test "$(sha)" = "$(sha256sum "$echo_only" | cut -d' ' -f1)"

bundle 4 "$full" "$SW_WORK/v4.bundle" a b
check "netns bundle: v4 installed with a confirm timer" test "$(install "$SW_WORK/v4.bundle" confirm 2)" = True
check "netns bundle: confirm answers ok" test "$(sw_ctl_json 'j["ok"]' bundle confirm)" = True
sleep 3
check "netns bundle: confirmed v4 stays" test "$(sha)" = "$(sha256sum "$full" | cut -d' ' -f1)"

sw_stop
sw_start "$echo_only" --keyring "$keys" || { fail "netns bundle: scanwalld restarts"; exit 1; }
check "netns bundle: after a restart the bundle's policy is in force, not --policy" \
	test "$(sha)" = "$(sha256sum "$full" | cut -d' ' -f1)"
check "netns bundle: ...and C-STORE passes" store
