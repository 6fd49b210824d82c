#!/bin/bash
# Conformance suite of signed bundles (issue #4, docs/bundle.md): real keys,
# real `openssl` signatures, the real scanwall-bundle binary driving the
# same store code scanwalld runs. One attack bundle per refusal; each
# asserts the refusal reason, the event, and that the policy in force is
# unchanged (SHA-256 before and after) along with the anti-rollback floor.
# Then: openssl interop, key rotation, confirm/revert, rollback, and power
# loss at every install step.
#
#   tests/bundle/run.sh BUILD      records one ok/fail per case, exits 0
. "$(dirname "$0")/../lib.sh"
BUILD=${1:-build}
B=$(cd "$BUILD" && pwd)/scanwall-bundle
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/swbundle.XXXXXX)
cleanup() { rm -rf "$W"; }
trap cleanup EXIT
cd "$W" || exit 0
NOW=$(date +%s)
STATE=$W/state
KEYS=$W/keys
EXTRA=()

py() { /usr/bin/python3 "$HERE/bundle.py" "$@"; }
dev() { timeout 20 "$B" "$1" --state "$STATE" --keyring "$KEYS" --compatible scan1 \
	--threshold 2 --now "$NOW" "${EXTRA[@]}" "${@:2}"; }
# mk NAME VERSION [create options]: an unsigned bundle of policy B
mk() { "$B" create --version "$2" --compatible scan1 --policy pol-B.conf "${@:3}" --out "$1.swb"; }
# sg NAME KEY...: signed by each key, with our tool
sg() { local k; for k in "${@:2}"; do "$B" sign --key "$k.key" "$1.swb" || return 1; done; }
inforce() { dev current 2>/dev/null | sha256sum | cut -d' ' -f1; }
floor() { dev status 2>/dev/null | grep -o '"installed_version":[0-9]*'; }
shaof() { sha256sum <"$1" | cut -d' ' -f1; }

# refused CASE REASON BUNDLE [install options]
refused() {
	local name=$1 reason=$2 before after fb fa out rc
	shift 2
	before=$(inforce) fb=$(floor)
	out=$(dev install "$@" 2>&1)
	rc=$?
	after=$(inforce) fa=$(floor)
	if [ $rc = 1 ] && grep -q "event bundle-refused.*$reason" <<<"$out" &&
		[ -n "$before" ] && [ "$before" = "$after" ] && [ "$fb" = "$fa" ]; then
		ok "bundle refuses $name ($reason)"
	else
		fail "bundle refuses $name: rc=$rc want '$reason' got: $out"
	fi
}

# installed CASE SHA BUNDLE [install options]: in force afterwards is SHA
installed() {
	local name=$1 want=$2 out
	shift 2
	out=$(dev install "$@" 2>&1)
	if [ $? = 0 ] && grep -q "event bundle-installed" <<<"$out" && [ "$(inforce)" = "$want" ]; then
		ok "bundle installs $name"
	else
		fail "bundle installs $name: $out"
	fi
}

# --- keys and policies ---------------------------------------------------
mkdir -p "$KEYS" keys-dev
for k in k1 k2 k3 outsider n1 n2 n3 dev-d1; do "$B" keygen --out $k || fail "keygen $k"; done
cp k1.pub k2.pub k3.pub "$KEYS"/
cp k1.pub dev-d1.pub keys-dev/
# k4 is made by openssl alone: a key from an HSM or a CA tool
openssl ecparam -name prime256v1 -genkey -noout -out k4.key 2>/dev/null
openssl ec -in k4.key -pubout -out k4.pub 2>/dev/null
for v in A B C D E F G; do
	printf 'device mr 192.168.7.2 ae MR1\npeer pacs 10.20.1.10 ae PACS\n' >pol-$v.conf
	printf 'allow dicom from pacs to mr port 104 services verification storage\n' >>pol-$v.conf
	printf '# variant %s\ndefault block\n' $v >>pol-$v.conf
done
printf 'device mr 192.168.7.2 ae MR1\nallow dicom from nowhere to mr port 104\n' >pol-bad.conf

# --- baseline: version 5, policy A --------------------------------------
mk base 5 --policy pol-A.conf && sg base k1 k2
installed "baseline v5 (2 of 3 keys)" "$(shaof pol-A.conf)" base.swb
cp -a "$STATE" state-base
A=$(shaof pol-A.conf)
check "policy in force is the bundle's policy byte for byte" [ "$(inforce)" = "$A" ]

# --- one attack bundle per refusal ---------------------------------------
mk unsigned 6
refused "an unsigned bundle" "no signature" unsigned.swb

mk other 6 --policy pol-C.conf
mk badsig 6
"$B" manifest --out other.m other.swb
openssl dgst -sha256 -sign k2.key -out other.sig other.m
sg badsig k1 && "$B" sign --sig other.sig --pub k2.pub badsig.swb
refused "a signature over another manifest" "bad signature" badsig.swb

mk one 6 && sg one k1
refused "one signature of two" "below threshold" one.swb

mk dup 6 && sg dup k1 && py dupsig dup.swb dup2.swb
refused "the same key twice" "below threshold" dup2.swb

mk unknown 6 && sg unknown k1 outsider
refused "a key outside the keyring" "unknown key" unknown.swb

mk same 5 && sg same k1 k2
refused "the installed version again" "rollback" same.swb
mk older 4 && sg older k1 k2
refused "an older version" "rollback" older.swb

mk compat 6 --compatible other-scanner && sg compat k1 k2
refused "another device class" "incompatible" compat.swb

mk expired 6 --expires @1000 && sg expired k1 k2
refused "an expired bundle" "expired" expired.swb
mk fresh 6 --expires 2999-01-01 && sg fresh k1 k2
check "a bundle that has not expired verifies" \
	"$B" verify --keyring "$KEYS" --threshold 2 --compatible scan1 --installed-version 5 fresh.swb

mk tamper 6 && sg tamper k1 k2
/usr/bin/python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(d.replace(b"variant B", b"variant X"))' tamper.swb tamper2.swb
refused "an edited payload" "payload hash mismatch" tamper2.swb

mk trail 6 && sg trail k1 k2 && { cat trail.swb; printf '\0'; } >trail2.swb
refused "a byte after the signatures" "trailing bytes" trail2.swb

mk mixa 6 --policy pol-C.conf && sg mixa k1 k2
mk mixb 7 --policy pol-D.conf && sg mixb k1 k2
py splice mixa.swb mixb.swb mix.swb
refused "v6's signed manifest with v7's signed payload" "payload hash mismatch" mix.swb

mk crit 6 && py field crit.swb crit2.swb 200 1 && sg crit2 k1 k2
refused "an unknown critical field" "unknown critical field" crit2.swb

mk badpol 6 --policy pol-bad.conf && sg badpol k1 k2
refused "a policy that does not compile" "policy does not compile" badpol.swb

head -c $((1024 * 1024 + 1)) /dev/zero >huge.swb
refused "a file over the size cap" "too large" huge.swb

mk trunc 6 && sg trunc k1 k2 && head -c 100 trunc.swb >trunc2.swb
refused "a truncated bundle" "malformed" trunc2.swb

mk devk 6 && sg devk k1 dev-d1
KEYS=$W/keys-dev STATE=$W/state-dev EXTRA=(--release)
refused "development key signatures in a release build" "development key" devk.swb
check "release build: nothing installed" [ -z "$(dev current 2>/dev/null)" ]
EXTRA=()
installed "development key signatures in a development build" "$(shaof pol-B.conf)" devk.swb
KEYS=$W/keys STATE=$W/state

mk noncrit 6 && py field noncrit.swb noncrit2.swb 201 0 && sg noncrit2 k1 k2
installed "an unknown non-critical field is ignored" "$(shaof pol-B.conf)" noncrit2.swb

# --- openssl interop -----------------------------------------------------
mk ossl 7 --policy pol-C.conf
"$B" manifest --out ossl.m ossl.swb
openssl dgst -sha256 -sign k3.key -out ossl3.sig ossl.m
openssl dgst -sha256 -sign k4.key -out ossl4.sig ossl.m
"$B" sign --sig ossl3.sig --keyid "$("$B" keyid k3.pub)" ossl.swb
check "openssl-signed bundle (1 of 2) is below threshold" \
	sh -c "! '$B' verify --keyring '$KEYS' --threshold 2 ossl.swb 2>/dev/null"
"$B" sign --sig ossl4.sig --pub k4.pub ossl.swb
cp k4.pub "$KEYS"/
check "openssl-signed bundle verifies (k3 by openssl, k4 an openssl key)" \
	"$B" verify --keyring "$KEYS" --threshold 2 --compatible scan1 --installed-version 6 ossl.swb
check "the key id is the SHA-256 of the DER public key" [ "$("$B" keyid k4.pub)" = \
	"$(openssl pkey -pubin -in k4.pub -outform DER | sha256sum | cut -d' ' -f1)" ]
py sig ossl.swb 0 ossl-out.sig
check "openssl verifies a signature the tool attached" \
	openssl dgst -sha256 -verify k3.pub -signature ossl-out.sig ossl.m
mk tool 7 && sg tool k1 && "$B" manifest --out tool.m tool.swb && py sig tool.swb 0 tool.sig
check "openssl verifies a signature the tool made" \
	openssl dgst -sha256 -verify k1.pub -signature tool.sig tool.m
installed "an openssl-signed bundle" "$(shaof pol-C.conf)" ossl.swb
rm "$KEYS"/k4.pub

# --- confirm, automatic revert, rollback ---------------------------------
C=$(shaof pol-C.conf)
mk conf8 8 --policy pol-D.conf && sg conf8 k1 k2
installed "with a confirm timer" "$(shaof pol-D.conf)" conf8.swb --confirm 60
check "status shows the pending confirm" sh -c "'$B' status --state '$STATE' --keyring '$KEYS' | grep -q '\"pending\":{\"version\":8'"
mk conf9 9 --policy pol-E.conf && sg conf9 k1 k2
refused "a second install before confirm" "awaiting confirm" conf9.swb
NOW=$((NOW + 30)) dev tick >/dev/null
check "no revert before the deadline" [ "$(inforce)" = "$(shaof pol-D.conf)" ]
out=$(NOW=$((NOW + 61)); dev tick)
check "the box reverts by itself after the deadline" [ "$(inforce)" = "$C" ]
check "the revert is an event" grep -q "event bundle-reverted v7" <<<"$out"
refused "the reverted version again" "rollback" conf8.swb
installed "v9 with a confirm timer" "$(shaof pol-E.conf)" conf9.swb --confirm 60
out=$(dev confirm)
check "confirm is an event" grep -q "event bundle-confirmed v9" <<<"$out"
NOW=$((NOW + 1000)) dev tick >/dev/null
check "a confirmed bundle stays after the deadline" [ "$(inforce)" = "$(shaof pol-E.conf)" ]
out=$(dev rollback)
check "rollback returns to the last known good" [ "$(inforce)" = "$C" ]
check "rollback is an event" grep -q "event bundle-rolled-back v7" <<<"$out"
check "rollback keeps the anti-rollback floor" [ "$(floor)" = '"installed_version":9' ]

# --- a crl payload (for mgmtd) past its 256 KiB cap is never written ------
head -c $((256 * 1024 + 1)) /dev/zero >big.crl
mk bigcrl 50 --file crl=big.crl 2>bigcrl.err
rc=$?
check "create refuses a crl payload over 256 KiB ($rc)" [ $rc != 0 ]
check "...says why and writes nothing" eval 'grep -q "crl payload" bigcrl.err && [ ! -e bigcrl.swb ]'

# --- key rotation ---------------------------------------------------------
STATE=$W/state-rot
cp -a state-base "$STATE"
"$B" create --kind keyring --version 10 --compatible scan1 --threshold 2 \
	--file n1.pub=n1.pub --file n2.pub=n2.pub --file n3.pub=n3.pub --out rot.swb
cp rot.swb rot1.swb && sg rot1 k1
refused "a rotation signed by one current key" "below threshold" rot1.swb
cp rot.swb rot3.swb && sg rot3 n1 n2
refused "a rotation signed by the new keys only" "unknown key" rot3.swb
sg rot k1 k3
out=$(dev install rot.swb 2>&1)
check "a rotation signed by 2 of 3 current keys is installed" grep -q "event bundle-keyring-updated v10" <<<"$out"
check "the policy in force survives the rotation" [ "$(inforce)" = "$A" ]
mk old11 11 && sg old11 k1 k2
refused "the old keys after rotation" "unknown key" old11.swb
mk new11 11 && sg new11 n2 n3
installed "a bundle signed by the new keys" "$(shaof pol-B.conf)" new11.swb

# --- power loss at every step of an install ------------------------------
STATE=$W/state-crash
mk p6 6 --policy pol-F.conf && sg p6 k1 k2
mk p7 7 --policy pol-G.conf && sg p7 k1 k2
F=$(shaof pol-F.conf) G=$(shaof pol-G.conf)
for k in 1 2 3 4 5 6 7 8; do
	rm -rf "$STATE" && cp -a state-base "$STATE"
	out=$(SCANWALL_BUNDLE_CRASH_AT=$k dev install p6.swb --confirm 100 2>&1)
	got=$(inforce)
	if [ $k -lt 6 ]; then want=$A; else want=$F; fi
	if [ -n "$out" ] || [ "$got" != "$want" ]; then
		fail "power loss after install step $k: in force ${got:0:12} want ${want:0:12} ($out)"
		continue
	fi
	# the interrupted store must be whole and usable: a newer bundle installs
	leftovers=$(ls -A "$STATE" | grep -c -e incoming -e '\.tmp')
	out=$(dev install p7.swb 2>&1)
	if [ $? = 0 ] && [ "$(inforce)" = "$G" ] && [ "$leftovers" = 0 ] ||
		{ [ $k -ge 4 ] && grep -q "awaiting confirm" <<<"$out" && dev confirm >/dev/null &&
		  dev install p7.swb >/dev/null 2>&1 && [ "$(inforce)" = "$G" ]; }; then
		ok "power loss after install step $k: $([ $k -lt 6 ] && echo old || echo new) policy whole, store usable"
	else
		fail "power loss after install step $k: store not usable: $out"
	fi
done
exit 0
