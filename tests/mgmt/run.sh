#!/bin/bash
# scanwall-mgmtd against real clients, all inside one namespace on loopback:
#
#   [ns swmNNN, lo only]
#     scanwalld --control ctl ◄── unix ── scanwall-mgmtd 127.0.0.1:8443 (root)
#                                         scanwall-mgmtd 127.0.0.1:8444 (--user nobody)
#        curl / openssl s_client / raw.py ── mutual TLS ──►  :8443
#        scanwall-mgmtd ── RFC 5425 over TLS ──► rsyslogd (imtcp, ossl) :6514
#        chromium --headless renders the status page fetched by curl
#     scanwall-mgmtd [fd00:9::1]:8449 ◄── raw.py from 100 /64s of fd00:7::/48 (a local
#        route on lo), curl from fd00:9::2: IPv6 sources limited per /64, /56, /48
#     scanwall-mgmtd --make-cert 127.0.0.1:8446 (--user nobody): its own key and
#        self-signed certificate, checked with openssl and trusted by curl
#
#   tests/mgmt/run.sh [BUILD_DIR]      (one ok/FAIL line per check, exit 0)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib.sh"
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
NS=swm$$
TMP=$(mktemp -d /tmp/swmgmt.XXXXXX)
PKI=$TMP/pki
RAW=$ROOT/tests/mgmt/raw.py
SWD_PID= MGMT_PID= MGMT2_PID= MGMT3_PID= MGMT4_PID= MGMT6_PID= MC_PID= RSYS_PID=
URL=https://localhost:8443

ns() { timeout 30 ip netns exec "$NS" "$@"; }

cleanup() {
	for p in $MC_PID $MGMT6_PID $MGMT4_PID $MGMT3_PID $MGMT2_PID $MGMT_PID $RSYS_PID $SWD_PID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# curl as ROLE (reader, operator, or a path prefix of a .crt/.key pair):
# prints the HTTP status, the body goes to $TMP/body.
as() {
	local who=$1 c
	shift
	case $who in /*) c=$who ;; *) c=$PKI/$who ;; esac
	ns curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' --resolve localhost:8443:127.0.0.1 \
		--resolve localhost:8444:127.0.0.1 --cacert "$PKI/ca.crt" --cert "$c.crt" --key "$c.key" "$@"
}
raw() { ns "$RAW" 127.0.0.1 8443 "$PKI/ca.crt" "$PKI/$1.crt" "$PKI/$1.key" "${@:2}"; }
ctl() { ns "$BUILD/scanwalld" --ctl "$TMP/ctl" "$@"; }
metric() { as reader "$URL/metrics" >/dev/null && awk -v m="$1" '$1 == m { print $2 }' "$TMP/body"; }
json_ok() { /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/body"; }
wait_for() {
	local i
	for i in $(seq 50); do "$@" && return 0; sleep 0.2; done
	return 1
}
logged() { grep -q -- "$1" "$TMP/mgmt.log"; }

# --- certificates: the test PKI, plus a stranger, an expired one, a rogue CA
"$ROOT/scripts/pki.sh" "$PKI" >/dev/null || { fail "mgmt: scripts/pki.sh"; exit 0; }
"$ROOT/scripts/pki.sh" "$TMP/rogue" >/dev/null
signed() { # NAME SUBJECT [openssl ca dates]
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$1.key" 2>/dev/null
	openssl req -new -key "$PKI/$1.key" -subj "$2" -out "$TMP/$1.csr" 2>/dev/null
	openssl ca -batch -config "$TMP/ca.cnf" -cert "$PKI/ca.crt" -keyfile "$PKI/ca.key" \
		-notext -in "$TMP/$1.csr" -out "$PKI/$1.crt" "${@:3}" 2>/dev/null
}
mkdir -p "$TMP/newcerts" && : >"$TMP/index.txt" && echo 1000 >"$TMP/serial"
cat >"$TMP/ca.cnf" <<EOC
[ca]
default_ca = t
[t]
database = $TMP/index.txt
new_certs_dir = $TMP/newcerts
serial = $TMP/serial
default_md = sha256
default_days = 30
policy = p
unique_subject = no
[p]
organizationName = optional
commonName = supplied
EOC
signed stranger "/O=scanwall test/CN=stranger"
# revoked later: an operator's subject, a certificate of its own
signed revoked "/O=scanwall test/CN=operator"
crl() { # a new CRL file in place (a new inode, as a copy onto the box makes)
	openssl ca -gencrl -config "$TMP/ca.cnf" -cert "$PKI/ca.crt" -keyfile "$PKI/ca.key" \
		-crldays 1 -out "$TMP/crl.new" 2>/dev/null && mv "$TMP/crl.new" "$TMP/crl.pem"
}
crl
signed expired "/O=scanwall test/CN=operator" -startdate 20200101000000Z -enddate 20200201000000Z
[ -s "$PKI/expired.crt" ] && [ -s "$PKI/stranger.crt" ] || fail "mgmt: extra test certificates"

# --- the namespace, scanwalld, mgmtd (collector not started yet) ----------
ip netns add "$NS" && ip netns exec "$NS" ip link set lo up || { fail "mgmt: netns"; exit 0; }
cat >"$TMP/policy.conf" <<EOP
device mr 192.168.7.2 ae MR1
default block
EOP
mkdir -p "$TMP/state" "$TMP/keys" "$TMP/signers"
# Two signing keys: the host build's bundle threshold is 2 (Kconfig).
for k in k1 k2; do
	"$BUILD/scanwall-bundle" keygen --out "$TMP/signers/$k" >/dev/null 2>&1 &&
		cp "$TMP/signers/$k.pub" "$TMP/keys/"
done
ip netns exec "$NS" timeout 600 "$BUILD/scanwalld" --policy "$TMP/policy.conf" --queue $((100 + $$ % 800)) \
	--events "$TMP/events" --control "$TMP/ctl" --state "$TMP/state" --keyring "$TMP/keys" \
	--control-user nobody --bundle-crl "$TMP/bundle-crl.crl" >"$TMP/swd.log" 2>&1 &
SWD_PID=$!
wait_for test -S "$TMP/ctl" || { fail "mgmt: scanwalld did not start"; cat "$TMP/swd.log" >&2; exit 0; }

ip netns exec "$NS" timeout 600 "$BUILD/scanwall-mgmtd" --listen 127.0.0.1:8443 \
	--cert "$PKI/server.crt" --key "$PKI/server.key" --client-ca "$PKI/ca.crt" \
	--control "$TMP/ctl" --roles "$PKI/roles" --spool "$TMP/spool" --crl "$TMP/crl.pem" \
	--syslog localhost:6514 --syslog-ca "$PKI/ca.crt" \
	--header-timeout 3000 --idle-timeout 60000 --body-timeout 4000 >"$TMP/mgmt.log" 2>&1 &
MGMT_PID=$!
wait_for logged "listening on" || { fail "mgmt: scanwall-mgmtd did not start"; cat "$TMP/mgmt.log" >&2; exit 0; }

# --- every endpoint, both roles -------------------------------------------
for role in reader operator; do
	for ep in /status /flows "/events?since=0" /metrics /observed /proposal /; do
		code=$(as $role "$URL$ep")
		check "mgmt: $role GET $ep is 200" test "$code" = 200
	done
	as $role "$URL/status" >/dev/null
	check "mgmt: $role /status is scanwalld's JSON" grep -q '"policy":{"path"' "$TMP/body"
	as $role "$URL/flows" >/dev/null
	check "mgmt: $role /flows is JSON with flows" sh -c "grep -q '\"flows\":\[' '$TMP/body'"
	as $role "$URL/events?since=0" >/dev/null
	check "mgmt: $role /events holds the start event" grep -q '"reason":"start"' "$TMP/body"
	as $role "$URL/observed" >/dev/null
	check "mgmt: $role /observed is the observation table" grep -q '^{"version":1,"relations":\[' "$TMP/body"
	as $role "$URL/proposal" >/dev/null
	check "mgmt: $role /proposal is a policy from it" grep -q '^{"text":"# Proposed by .*device mr ' "$TMP/body"
	code=$(as $role "$URL/policy")
	case $code in
	200) check "mgmt: $role /policy is JSON" json_ok ;;
	501) ok "mgmt: $role /policy answers 501 (scanwalld has no policy command yet)" ;;
	*) fail "mgmt: $role /policy answered $code" ;;
	esac
done
as reader "$URL/events?since=abc" >/dev/null
check "mgmt: /events?since=abc is 400" test "$(as reader "$URL/events?since=abc")" = 400
check "mgmt: unknown path is 404" test "$(as reader "$URL/nope")" = 404
check "mgmt: DELETE /status is 405" test "$(as reader -X DELETE "$URL/status")" = 405
check "mgmt: HEAD / is 200" test "$(as reader -I "$URL/")" = 200

# --- roles: a reader cannot change anything --------------------------------
for ep in /bundle /bundle/confirm /bundle/rollback; do
	code=$(as reader -X POST --data-binary @"$TMP/policy.conf" "$URL$ep")
	check "mgmt: reader POST $ep is 403" test "$code" = 403
done
check "mgmt: the 403s are logged" logged "refused .*CN=reader.*403 on /bundle"

# --- bundles: a good one changes the policy in force, bad ones do not -------
rules() { ctl status | sed -n 's/.*"rules":\([0-9]*\).*/\1/p'; }
sha() { ctl status | sed -n 's/.*"sha256":"\([0-9a-f]*\)".*/\1/p'; }
compat=$("$BUILD/scanwalld" --version | cut -d" " -f3)
mkbundle() { # VERSION RULES OUT SIGNERS...  (MKB_FILES: more create options)
	local v=$1 n=$2 out=$3 k
	shift 3
	{ echo "device mr 192.168.7.2 ae MR1"; echo "peer ws 192.168.7.10 ae any"
	  for k in $(seq "$n"); do echo "allow tcp from ws to mr port $((2000 + k))"; done
	  echo "default block"; } >"$TMP/p$v.conf"
	"$BUILD/scanwall-bundle" create --version "$v" --compatible "$compat" \
		--policy "$TMP/p$v.conf" ${MKB_FILES:-} --out "$out" >/dev/null 2>&1 || return 1
	for k in "$@"; do
		"$BUILD/scanwall-bundle" sign --key "$TMP/signers/$k.key" "$out" >/dev/null 2>&1 || return 1
	done
}
post() { as operator -X POST --data-binary @"$1" "$URL/bundle${2:-}"; }
before_sha=$(sha) before_rules=$(rules)
head -c 4000 /dev/urandom >"$TMP/garbage.swb"
code=$(post "$TMP/garbage.swb" "?confirm=60")
check "mgmt: operator POST of garbage is 422 ($code)" test "$code" = 422
check "mgmt: the refusal says why" grep -q '"ok":false' "$TMP/body"
check "mgmt: garbage leaves the policy in force" test "$(sha)/$(rules)" = "$before_sha/$before_rules"
mkbundle 2 1 "$TMP/one-sig.swb" k1 || fail "mgmt: scanwall-bundle create/sign"
code=$(post "$TMP/one-sig.swb")
check "mgmt: a bundle short of signatures is 422 ($code)" test "$code" = 422
check "mgmt: ... and leaves the policy in force" test "$(sha)/$(rules)" = "$before_sha/$before_rules"
check "mgmt: uploads are not left in the spool" sh -c "[ -z \"\$(ls -A '$TMP/spool')\" ]"
mkbundle 2 1 "$TMP/v2.swb" k1 k2
code=$(post "$TMP/v2.swb" "?confirm=120")
check "mgmt: a signed bundle pushed with curl is 200 ($code)" test "$code" = 200
check "mgmt: the bundle's policy is in force (1 rule)" test "$(rules)" = 1
bundle_has() { [ "$(as reader "$URL/bundle")" = 200 ] && grep -q "$1" "$TMP/body"; }
check "mgmt: GET /bundle shows version 2 pending confirmation" bundle_has '"pending":{"version":2'
check "mgmt: operator POST /bundle/confirm is 200" test "$(as operator -X POST "$URL/bundle/confirm")" = 200
check "mgmt: confirmed: nothing pending" bundle_has '"pending":null'
check "mgmt: /metrics: scanwall_bundle_version 2" test "$(metric scanwall_bundle_version)" = 2
check "mgmt: /metrics: the bundle's age" sh -c "[ -n \"$(metric scanwall_bundle_age_seconds)\" ]"
mkbundle 3 3 "$TMP/v3.swb" k1 k2
check "mgmt: version 3 pushed is 200" test "$(post "$TMP/v3.swb")" = 200
check "mgmt: version 3 in force (3 rules)" test "$(rules)" = 3
code=$(post "$TMP/v2.swb")
check "mgmt: pushing version 2 again (a rollback attack) is 422 ($code)" test "$code" = 422
check "mgmt: operator POST /bundle/rollback is 200" test "$(as operator -X POST "$URL/bundle/rollback")" = 200
check "mgmt: rolled back: version 2's policy in force (1 rule)" test "$(rules)" = 1
code=$(as operator -X POST "$URL/bundle?confirm=x" --data-binary @"$TMP/garbage.swb")
check "mgmt: POST /bundle?confirm=x is 400" test "$code" = 400

# --- TLS: protocol, suites, certificates ---------------------------------------
sclient() { echo | ns openssl s_client -connect 127.0.0.1:8443 -servername localhost \
	-CAfile "$PKI/ca.crt" "$@" 2>&1; }
check "mgmt: TLS 1.1 refused" sh -c "! echo | timeout 10 ip netns exec $NS openssl s_client \
	-connect 127.0.0.1:8443 -tls1_1 -cert $PKI/reader.crt -key $PKI/reader.key 2>&1 | grep -q 'Cipher is ECDHE'"
sclient -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 -cert "$PKI/reader.crt" -key "$PKI/reader.key" >"$TMP/sc" 
check "mgmt: a CBC suite is refused" sh -c "! grep -q 'Cipher is ECDHE-ECDSA-AES128-SHA256' '$TMP/sc'"
sclient -tls1_2 -cert "$PKI/reader.crt" -key "$PKI/reader.key" >"$TMP/sc"
check "mgmt: TLS 1.2 with an AEAD suite is accepted" grep -Eq 'Cipher is ECDHE-ECDSA-(AES[0-9]+-GCM|CHACHA20)' "$TMP/sc"
check "mgmt: s_client verified mgmtd's certificate" grep -q 'Verify return code: 0' "$TMP/sc"
# cheap handshakes: the server's preference, P-256, over the client's P-521
sclient -tls1_2 -groups P-521:P-384:P-256:X25519 -cert "$PKI/reader.crt" -key "$PKI/reader.key" >"$TMP/sc"
check "mgmt: P-256 chosen though the client lists P-521 first ($(grep -o 'Server Temp Key: [^,]*, [^,]*' "$TMP/sc"))" \
	grep -q 'Server Temp Key: ECDH, prime256v1' "$TMP/sc"
sclient -tls1_2 -sess_out "$TMP/sess" -cert "$PKI/reader.crt" -key "$PKI/reader.key" >/dev/null
sclient -tls1_2 -sess_in "$TMP/sess" -cert "$PKI/reader.crt" -key "$PKI/reader.key" >"$TMP/sc"
check "mgmt: a poller resumes its session from a ticket" grep -q '^Reused, TLSv1.2' "$TMP/sc"
sclient -tls1_2 >"$TMP/sc"
check "mgmt: s_client without a certificate gets a handshake failure alert" \
	grep -q 'alert handshake failure' "$TMP/sc"
check "mgmt: curl without a certificate is refused" test "$(ns curl -s -o /dev/null -w '%{http_code}' \
	--resolve localhost:8443:127.0.0.1 --cacert "$PKI/ca.crt" "$URL/status")" = 000
check "mgmt: no certificate is logged" wait_for logged "No client certification received"
check "mgmt: a certificate of another CA is refused" test "$(as "$TMP/rogue/operator" "$URL/status")" = 000
check "mgmt: the unknown CA is logged" wait_for logged "not correctly signed by the trusted CA"
check "mgmt: an expired certificate is refused" test "$(as expired "$URL/status")" = 000
check "mgmt: the expired certificate is logged" wait_for logged "validity has expired"
check "mgmt: a valid certificate without a role is refused" test "$(as stranger "$URL/status")" = 000
check "mgmt: the role-less certificate is logged" wait_for logged "CN=stranger.*has no role"

# --- revocation: --crl, read again when the file changes and on SIGHUP -----------
mgmtd_pid() { cat "/proc/$MGMT_PID/task/$MGMT_PID/children" 2>/dev/null | awk '{print $1}'; }
check "mgmt: the CRL is read at start" logged "crl .*(start): 0 revoked"
check "mgmt: a certificate not yet revoked is served" test "$(as revoked "$URL/bundle")" = 200
sclient -tls1_2 -sess_out "$TMP/sess.revoked" -cert "$PKI/revoked.crt" -key "$PKI/revoked.key" >/dev/null
openssl ca -config "$TMP/ca.cnf" -cert "$PKI/ca.crt" -keyfile "$PKI/ca.key" -revoke "$PKI/revoked.crt" 2>/dev/null
crl
check "mgmt: a new CRL file is read without a restart" wait_for logged "crl .*(changed): 1 revoked"
check "mgmt: the revoked certificate is refused at the handshake" test "$(as revoked "$URL/bundle")" = 000
check "mgmt: ...logged as revoked" wait_for logged "revoked (is on a CRL)"
sclient -tls1_2 -sess_in "$TMP/sess.revoked" -cert "$PKI/revoked.crt" -key "$PKI/revoked.key" >/dev/null
check "mgmt: ...and when it resumes a session from a ticket" wait_for logged "is revoked (resumed session)"
check "mgmt: the operator's own certificate still works" test "$(as operator "$URL/bundle")" = 200
as reader "$URL/status" >/dev/null
check "mgmt: /status shows the CRL's next update" grep -Eq '"crl":\{"this_update":"[0-9T:-]+Z","next_update":"[0-9T:-]+Z","revoked":1,"stale":false,"files":\[\{"path":"[^"]*crl.pem","present":true,"loaded":true,' "$TMP/body"
as reader "$URL/" >/dev/null
check "mgmt: ...and so does the page" grep -q "Next update</th><td>20" "$TMP/body"
echo "not a CRL" >"$TMP/crl.new" && mv "$TMP/crl.new" "$TMP/crl.pem"
check "mgmt: a CRL file that does not parse is logged" wait_for logged "crl .*(changed): unreadable, the list in force stays"
check "mgmt: ...and the list in force stays" test "$(as revoked "$URL/bundle")" = 000
crl
kill -HUP "$(mgmtd_pid)"
check "mgmt: SIGHUP reads the CRL again" wait_for logged "crl .*(SIGHUP): 1 revoked"

# --- a CRL carried in a signed bundle, and a second --crl file --------------------
#   scanwall-mgmtd :8448 --crl bundle-crl.crl --crl client-crl.crl  (neither exists yet)
#   bundle v4 (policy + crl) ─► scanwalld --bundle-crl FILE ─► bundle-crl.crl (0644)
#   client-crl.crl ◄── tmp + mv: a list of its own (revoked2 only)
#   mgmtd refuses what either file revokes, without a restart; a file that goes away
#   leaves its entries in force
check "mgmt: no bundle CRL exported while the bundle in force has none" test ! -e "$TMP/bundle-crl.crl"
signed revoked2 "/O=scanwall test/CN=operator"
ip netns exec "$NS" timeout 60 "$BUILD/scanwall-mgmtd" --listen 127.0.0.1:8448 \
	--cert "$PKI/server.crt" --key "$PKI/server.key" --client-ca "$PKI/ca.crt" \
	--control "$TMP/ctl" --roles "$PKI/roles" --spool "$TMP/spool4" \
	--crl "$TMP/bundle-crl.crl" --crl "$TMP/client-crl.crl" >"$TMP/mgmt4.log" 2>&1 &
MGMT4_PID=$!
logged4() { grep -q -- "$1" "$TMP/mgmt4.log"; }
check "mgmt: mgmtd starts with --crl files that do not exist yet" wait_for logged4 'listening on'
check "mgmt: ...logged as absent" logged4 "crl .*client-crl.crl (start): absent, read when it appears"
at8448() { as "$1" --resolve localhost:8448:127.0.0.1 "https://localhost:8448/status"; }
check "mgmt: ...and serves a certificate the CA has revoked (no list yet)" test "$(at8448 revoked)" = 200
MKB_FILES="--file crl=$TMP/crl.pem" mkbundle 4 1 "$TMP/v4.swb" k1 k2
check "mgmt: a bundle carrying a CRL is 200" test "$(post "$TMP/v4.swb")" = 200
check "mgmt: scanwalld exports the bundle's CRL, mode 0644" sh -c \
	"cmp -s '$TMP/crl.pem' '$TMP/bundle-crl.crl' && [ \$(stat -c %a '$TMP/bundle-crl.crl') = 644 ]"
check "mgmt: mgmtd reads the bundle's CRL when it appears" wait_for logged4 "crl .*bundle-crl.crl (changed): 1 revoked"
check "mgmt: ...and refuses the revoked certificate without a restart" test "$(at8448 revoked)" = 000
check "mgmt: ...and serves the operator" test "$(at8448 operator)" = 200
check "mgmt: a certificate on no list yet is served" test "$(at8448 revoked2)" = 200
# the second file: another CA database, so that it lists revoked2 alone
sed "s|$TMP/index.txt|$TMP/index2.txt|" "$TMP/ca.cnf" >"$TMP/ca2.cnf" && : >"$TMP/index2.txt"
openssl ca -config "$TMP/ca2.cnf" -cert "$PKI/ca.crt" -keyfile "$PKI/ca.key" -revoke "$PKI/revoked2.crt" 2>/dev/null
openssl ca -gencrl -config "$TMP/ca2.cnf" -cert "$PKI/ca.crt" -keyfile "$PKI/ca.key" \
	-crldays 1 -out "$TMP/client-crl.tmp" 2>/dev/null && mv "$TMP/client-crl.tmp" "$TMP/client-crl.crl"
check "mgmt: the second --crl file is read when it appears" wait_for logged4 "crl .*client-crl.crl (changed): 1 revoked"
check "mgmt: ...the list in force is the union" logged4 "crl in force: 2 revoked from 2 files"
check "mgmt: the second file's certificate is refused" test "$(at8448 revoked2)" = 000
check "mgmt: ...and the first file's still is" test "$(at8448 revoked)" = 000
as reader --resolve localhost:8448:127.0.0.1 "https://localhost:8448/status" >/dev/null
check "mgmt: /status shows the union and each file" grep -Eq \
	'"crl":\{"this_update":"[0-9T:-]+Z","next_update":"[0-9T:-]+Z","revoked":2,"stale":false,"files":\[\{"path":"[^"]*bundle-crl.crl","present":true,"loaded":true,[^]]*"revoked":1,[^]]*\{"path":"[^"]*client-crl.crl","present":true,"loaded":true,[^]]*"revoked":1,' "$TMP/body"
mkbundle 5 1 "$TMP/v5.swb" k1 k2
check "mgmt: a later bundle without a CRL is 200" test "$(post "$TMP/v5.swb")" = 200
check "mgmt: ...and removes the export" test ! -e "$TMP/bundle-crl.crl"
check "mgmt: a --crl file that goes away is logged" wait_for logged4 "crl .*bundle-crl.crl (changed): gone, its 1 revoked stay in force"
check "mgmt: ...and its entries stay in force" test "$(at8448 revoked)" = 000
kill "$MGMT4_PID" 2>/dev/null

# --- malformed, oversized, slow -----------------------------------------------
rawcase() { # NAME EXPECTED-OUTPUT REQUEST
	local got
	got=$(printf '%s' "$3" | raw reader send | tr '\n' ' ')
	check "mgmt: $1 -> $2 (got: $got)" test "$got" = "$2 "
}
rawcase "garbage request line" "400 closed" 'HELLO\r\n\r\n'
rawcase "bare LF line ends" "400 closed" 'GET / HTTP/1.1\nHost: x\n\n'
rawcase "two different Content-Length" "400 closed" \
	'POST /bundle HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'
rawcase "chunked body" "411 closed" \
	'POST /bundle HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
rawcase "body over 1 MiB" "413 closed" \
	'POST /bundle HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n'
rawcase "head over 8 KiB" "431 closed" "GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Big: $(head -c 9000 /dev/zero | tr '\0' a)\\r\\n\\r\\n"
rawcase "too many headers" "431 closed" "GET / HTTP/1.1\\r\\nHost: x\\r\\n$(for i in $(seq 60); do printf 'X-%d: y\\r\\n' "$i"; done)\\r\\n"
rawcase "HTTP/2.0" "505 closed" 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'
rawcase "HTTP/1.1 without Host" "400 closed" 'GET / HTTP/1.1\r\n\r\n'
rawcase "two pipelined requests" "200 404 open" \
	'GET /status HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n'
rawcase "Connection: close" "200 closed" 'GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
got=$(raw reader slow 'GET /status HTTP/1.1\r\nHost: x\r\n')
check "mgmt: a slow request head is cut off ($got)" sh -c "case '$got' in 'closed after '[2-5]' s') true;; *) false;; esac"
check "mgmt: the timeout is logged" logged "timed out (head)"

# --- bounded: strangers cannot lock the operator out (docs/mgmt.md, Connections)
#   127.0.0.2-6  (600 silent TCP, reopened)        ┐
#   127.0.0.7-11 (500 ClientHello, then nothing)   ┼──► :8443  handshakes: 32, 8 a source
#   127.0.0.1    curl as operator, as reader ──────┘           waiting: 512, 16 a source
#                                                               (its oldest closed beyond),
#                                                               early drop when full
mcount() { awk -v m="$1" '$1 == m { print $2 }' "$TMP/body"; }
as reader "$URL/metrics" >/dev/null
away0=$(mcount 'scanwall_mgmt_turned_away_total{reason="early-drop"}')
src0=$(mcount 'scanwall_mgmt_turned_away_total{reason="source"}')
hto0=$(mcount 'scanwall_mgmt_timeouts_total{phase="handshake"}')
lines0=$(wc -l <"$TMP/mgmt.log") t0=$SECONDS
flood=
for i in 2 3 4 5 6; do
	raw reader silent 120 8 127.0.0.$i >"$TMP/silent.$i" &
	flood="$flood $!"
	raw reader silent 100 8 127.0.0.$((i + 5)) hello >"$TMP/hello.$i" &
	flood="$flood $!"
done
established() { ns ss -Htn state established '( sport = :8443 )' | wc -l; }
wait_for sh -c "[ \$(ip netns exec $NS ss -Htn state established '( sport = :8443 )' | wc -l) -ge 500 ]"
held=$(established)
code=$(as operator --max-time 5 "$URL/bundle")
check "mgmt: with $held strangers' connections held, the operator is served ($code)" test "$code" = 200
code=$(as reader --max-time 5 "$URL/status")
check "mgmt: ...and so is a reader ($code)" test "$code" = 200
# shellcheck disable=SC2086
wait $flood
opened=$(cat "$TMP"/silent.* "$TMP"/hello.* | awk '{ n += $1 } END { print n }')
check "mgmt: the strangers reconnected and were held ($opened connections in all)" test "$opened" -gt 1100
as reader "$URL/metrics" >/dev/null
# one address alone past its share (Kconfig MGMT_WAITING_PER_SOURCE, 16):
#   127.0.0.12 (300 silent TCP) ──► 8 handshakes, 16 waiting, each newcomer
#                                   beyond them closes its oldest waiting one
#   127.0.0.1  curl as operator ──► served meanwhile
waiting() { as reader "$URL/metrics" >/dev/null && mcount 'scanwall_mgmt_connections{state="waiting"}'; }
none_waiting() { [ "$(waiting)" = 0 ]; }
# once at least MIN wait (as the function COUNT says), how many half a second later
waiting_at_least() { now_waiting=$("$1"); [ "${now_waiting:-0}" -ge "$2" ]; }
settled_waiting() { # COUNT MIN
	wait_for waiting_at_least "$1" "$2"
	sleep 0.5
	now_waiting=$("$1")
}
wait_for none_waiting
raw reader silent 300 4 127.0.0.12 >/dev/null &
one=$!
settled_waiting waiting 16
check "mgmt: one address holds at most 16 places of the waiting queue ($now_waiting)" \
	test "${now_waiting:-999}" -le 16 -a "${now_waiting:-0}" -ge 1
code=$(as operator --max-time 5 "$URL/bundle")
check "mgmt: ...and another client is served meanwhile ($code)" test "$code" = 200
wait "$one"
as reader "$URL/metrics" >/dev/null
check "mgmt: /metrics counts those turned away for their source's share" \
	test "$(mcount 'scanwall_mgmt_turned_away_total{reason="source"}')" -ge $((src0 + 250))
check "mgmt: ...logged: the oldest of the source closed" logged "connections from its source wait, the oldest closed"
# 40 addresses, 20 each: their 16 waiting places would be 640, past the
# queue's 512 (early drop)
raw reader silent 800 3 "$(echo 127.0.1.{1..40} | tr ' ' ,)" >/dev/null
check "mgmt: /metrics counts the early drops" test "$(mcount 'scanwall_mgmt_turned_away_total{reason="early-drop"}')" -gt "$away0"
check "mgmt: /metrics counts the handshake timeouts" test "$(mcount 'scanwall_mgmt_timeouts_total{phase="handshake"}')" -gt "$hto0"
check "mgmt: the log says they were dropped" grep -Eq "turned away .*: (dropped from the full handshake pool|[0-9]+ connections wait)" "$TMP/mgmt.log"
lines=$(($(wc -l <"$TMP/mgmt.log") - lines0)) bound=$((200 + 20 * (SECONDS - t0 + 1)))
# the log's bucket: 200 at once, then 20 a second
check "mgmt: the log grew by $lines lines under the flood (bound $bound)" test "$lines" -le "$bound"
check "mgmt: the held-back lines are counted in the log" logged "suppressed [0-9]* lines"
check "mgmt: ...and in /metrics" test "$(mcount scanwall_mgmt_log_suppressed_total)" -gt 0
check "mgmt: /metrics counts the resumed sessions" test "$(mcount scanwall_mgmt_resumed_total)" -gt 0

# many addresses, one stalled handshake each (conntrack's early drop):
#   127.0.2.1-160 (160 ClientHello then nothing, reopened)  ┐
#   127.0.4.1-80  (80 silent TCP, reopened)                  ┴─► :8443
#        pool of 32 full, no source holds two more than another (so fairness
#        alone lets no one in), the rest wait
#   127.0.3.1  curl as operator ──► waits its turn: the oldest handshake goes
#        once 500 ms old (Kconfig MGMT_EVICT_AFTER_MS), the pool turns over
#        in that time, not in the 3 s handshake timeout; its own handshake
#        ends in milliseconds
# once the flood holds HELD connections, the operator from SRC within MAX s:
# sets held, code and ms
held_at_least() { [ "$(established)" -ge "$1" ]; }
operator_through() { # HELD SRC MAX
	wait_for held_at_least "$1"
	held=$(established) t1=$(date +%s%N)
	code=$(as operator --max-time "$3" --interface "$2" "$URL/bundle")
	ms=$((($(date +%s%N) - t1) / 1000000))
}
# the same while raw.py silent ARGS... floods from an empty queue, to its end
operator_through_flood() { # HELD SRC MAX ARGS...
	local flood
	wait_for none_waiting
	raw reader silent "${@:4}" >/dev/null &
	flood=$!
	operator_through "$1" "$2" "$3"
	wait "$flood"
}
wait_for none_waiting
evict0=$(mcount 'scanwall_mgmt_turned_away_total{reason="evicted"}')
raw reader silent 160 14 "$(echo 127.0.2.{1..160} | tr ' ' ,)" hello >/dev/null &
flood=$!
raw reader silent 80 14 "$(echo 127.0.4.{1..80} | tr ' ' ,)" >/dev/null &
flood="$flood $!"
operator_through 220 127.0.3.1 10
check "mgmt: with $held stalled connections from 240 addresses, the operator is served ($code in $ms ms, bound 10 s)" test "$code" = 200
# shellcheck disable=SC2086
wait $flood
as reader "$URL/metrics" >/dev/null
check "mgmt: /metrics counts the stalled handshakes evicted" \
	test "$(mcount 'scanwall_mgmt_turned_away_total{reason="evicted"}')" -gt "${evict0:-0}"
check "mgmt: ...logged" grep -q "turned away .*: evicted" "$TMP/mgmt.log"
# fewer addresses, four stalled handshakes each: the waiting go by their
# source's share of the pool, then behind those whose source just had a
# handshake evicted, so the operator's address (holding nothing, stalling
# nothing) waits for one turn of the pool, not for the 200 in the queue
#   127.0.5.1-60 (240 ClientHello then nothing, reopened) ──► :8443
#   127.0.3.2  curl as operator ──► 200 (first in the queue, not last)
operator_through_flood 220 127.0.3.2 3 240 12 "$(echo 127.0.5.{1..60} | tr ' ' ,)" hello
check "mgmt: with $held stalled connections from 60 addresses, the operator is served ($code in $ms ms, bound 3 s)" test "$code" = 200
# the estimate's worst case: one stalled handshake from each of 480 addresses,
# all accepted before the operator's (a client behind N of them started
# within N / 32 x 500 ms: 7.5 s, past its 6 s in the queue)
#   127.0.6.1-240, 127.0.7.1-240 (480 ClientHello then nothing, reopened) ──► :8443
#   127.0.3.3  curl as operator ──► 200: among equals the newest goes first
#        once the queue is not keeping up, and the evicted come back stalled
operator_through_flood 460 127.0.3.3 10 480 10 "$(echo 127.0.6.{1..240} 127.0.7.{1..240} | tr ' ' ,)" hello
check "mgmt: with $held stalled connections from 480 addresses, the operator is served ($code in $ms ms, bound 10 s)" test "$code" = 200
# a stranger never evicted: it closes each handshake itself 300 ms after it
# started, having just opened the next from an address holding nothing (the
# newest when the place frees); one address of its keeps 12 waiting, dropped
# and marked, so that the oldest waiting is always old
#   127.0.13.1-64 (48 ClientHellos, one an address)    ┐
#   127.0.14.1 (12 ClientHellos then nothing, reopened) ┴─► :8443
#   127.0.3.4  curl as operator ──► 200: each handshake closed unfinished counts
#        against its address (two in 10 s mark it), and a connection passed over
#        by 32 newer ones goes before them (it timed out in the queue, passed
#        over by each newer one, when only evicted handshakes counted)
wait_for none_waiting
raw reader silent 12 8 127.0.14.1 hello >/dev/null &
flood=$!
raw reader rotate 48 8 "$(echo 127.0.13.{1..64} | tr ' ' ,)" 300 >/dev/null &
flood="$flood $!"
# the operator once it turns: its first handshakes closed, the oldest waiting old
wait_for logged "refused 127\.0\.13\.[0-9]*:[0-9]*: handshake: .*EOF"
sleep 1
operator_through 56 127.0.3.4 10
check "mgmt: with $held connections from 64 addresses closing their handshakes at 300 ms, the operator is served ($code in $ms ms, bound 10 s)" test "$code" = 200
# shellcheck disable=SC2086
wait $flood
# the early drop of a full queue takes from the sources holding most of it:
#   127.0.10.1-210, 127.0.11.1-210 (420 ClientHello then nothing, one each, once) ┐
#   127.0.12.1-10 (300 silent TCP, 16 of each wait, reopened)                     ┴─► :8443
#        pool 32, queue 512 overflows: the 10 holding 16 each lose their
#        oldest, never a source holding one place (as the operator's does)
wait_for none_waiting
as reader "$URL/metrics" >/dev/null
away0=$(mcount 'scanwall_mgmt_turned_away_total{reason="early-drop"}')
lines0=$(wc -l <"$TMP/mgmt.log")
raw reader silent 420 8 "$(echo 127.0.10.{1..210} 127.0.11.{1..210} | tr ' ' ,)" hello once >/dev/null &
flood=$!
wait_for held_at_least 400
raw reader silent 300 6 "$(echo 127.0.12.{1..10} | tr ' ' ,)" >/dev/null
wait "$flood"
as reader "$URL/metrics" >/dev/null
red() { tail -n +"$lines0" "$TMP/mgmt.log" | grep -c "turned away 127\.0\.$1\.[0-9]*:[0-9]*: 512 connections wait for a handshake slot"; }
heavy=$(red 12) light=$(($(red 10) + $(red 11)))
away1=$(mcount 'scanwall_mgmt_turned_away_total{reason="early-drop"}')
check "mgmt: a queue full of 10 heavy and 420 light sources drops ($((away1 - away0)), $heavy from the heavy logged)" \
	test "$away1" -gt "$away0"
check "mgmt: ...never from a source holding one place ($light logged)" test "$light" = 0

# IPv6: a source is a /64, and a /56 and a /48 are sources too (twice, four times the limits)
#   fd00:7::/48, 100 /64s in 10 /56s (300 silent TCP) ──► [fd00:9::1]:8449
#        16 waiting a /64, 32 a /56, 64 a /48: at most 64 of them wait
#   fd00:9::2  curl as operator ──► served meanwhile
ns ip -6 addr add fd00:9::1/128 dev lo && ns ip -6 addr add fd00:9::2/128 dev lo &&
	ns ip -6 route add local fd00:7::/48 dev lo && ns sysctl -qw net.ipv6.ip_nonlocal_bind=1 ||
	fail "mgmt: IPv6 addresses in the namespace"
ip netns exec "$NS" timeout 60 "$BUILD/scanwall-mgmtd" --listen "[fd00:9::1]:8449" \
	--cert "$PKI/server.crt" --key "$PKI/server.key" --client-ca "$PKI/ca.crt" \
	--control "$TMP/ctl" --roles "$PKI/roles" --spool "$TMP/spool6" >"$TMP/mgmt6.log" 2>&1 &
MGMT6_PID=$!
at8449() { as "$1" --resolve "localhost:8449:[fd00:9::1]" --interface fd00:9::2 "https://localhost:8449$2"; }
waiting6() { at8449 reader /metrics >/dev/null && mcount 'scanwall_mgmt_connections{state="waiting"}'; }
check "mgmt: mgmtd listens on IPv6" wait_for grep -q "listening on" "$TMP/mgmt6.log"
v6srcs=$(for i in $(seq 0 9); do for j in $(seq 10); do printf 'fd00:7:0:%x::1,' $((i * 256 + j)); done; done)
ns "$RAW" fd00:9::1 8449 "$PKI/ca.crt" "$PKI/reader.crt" "$PKI/reader.key" silent 300 5 "${v6srcs%,}" >/dev/null &
flood=$!
settled_waiting waiting6 20
check "mgmt: one /48 from 100 /64s holds at most 64 places of the waiting queue ($now_waiting)" \
	test "${now_waiting:-999}" -le 64 -a "${now_waiting:-0}" -ge 1
code=$(at8449 operator /bundle)
check "mgmt: ...and a client from another /48 is served meanwhile ($code)" test "$code" = 200
wait "$flood"
check "mgmt: ...logged: the oldest of the source closed" grep -q "turned away fd00:7:.*connections from its source wait" "$TMP/mgmt6.log"
kill "$MGMT6_PID" 2>/dev/null

# sessions: readers hold at most 248 of the 256, the rest are the operators'
raw reader hold 250 8 >"$TMP/hold" &
hold_pid=$!
for i in $(seq 150); do [ -s "$TMP/hold" ] && break; sleep 0.2; done
code=$(as operator --max-time 5 "$URL/bundle")
check "mgmt: with every reader session taken ($(cat "$TMP/hold") held), the operator is served ($code)" test "$code" = 200
check "mgmt: a reader beyond them is turned away" test "$(as reader --max-time 3 "$URL/status")" = 000
# (its log line may be among those the log's rate limit held back; the
# readers' sessions are all taken, so the operator scrapes)
as operator "$URL/metrics" >/dev/null
check "mgmt: ...and counted" test "$(mcount 'scanwall_mgmt_turned_away_total{reason="sessions"}')" -ge 1
check "mgmt: 248 reader sessions held at once ($(cat "$TMP/hold"))" test "$(cat "$TMP/hold")" = 248
wait "$hold_pid" 2>/dev/null
check "mgmt: sessions free again, service resumes" wait_for test "$(as reader "$URL/status")" = 200

# a trickled body: the body's deadline (--body-timeout 4000) does not move
got=$(raw operator trickle 'POST /bundle HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' 1)
check "mgmt: a body trickled a byte a second is cut at its deadline ($got)" \
	sh -c "case '$got' in 'closed after '[3-6]' s') true;; *) false;; esac"
check "mgmt: ...logged" logged "timed out (body)"
# a reader's upload is refused from its head, the megabyte never read
rawcase "a reader's POST /bundle, head only" "403 closed" \
	'POST /bundle HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n'
got=$(raw operator trickle 'GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' 1)
check "mgmt: a long body on a GET is refused from its head ($got)" sh -c "case '$got' in 'closed after '[01]' s 413') true;; *) false;; esac"

par=
for i in $(seq 12); do as reader "$URL/status" >"$TMP/par.$i" & par="$par $!"; done
# shellcheck disable=SC2086
wait $par
check "mgmt: 12 clients at once all get 200" sh -c "[ \"\$(cat '$TMP'/par.* | tr -d '\n')\" = '$(printf '200%.0s' $(seq 12))' ]"

# --- metrics ---------------------------------------------------------------------
as reader "$URL/metrics" >/dev/null
cp "$TMP/body" "$TMP/metrics.txt"
check "mgmt: promtool check metrics" sh -c "promtool check metrics <'$TMP/metrics.txt' >'$TMP/promtool.out' 2>&1"
[ -s "$TMP/promtool.out" ] && sed 's/^/        /' "$TMP/promtool.out" | head -5
for m in scanwall_flows_live scanwall_engine_packets_total scanwall_inject_sent_total scanwall_mgmt_control_up \
	scanwall_syslog_dropped_total 'scanwall_default_hits_total{action="block"}' \
	'scanwall_associations_total{outcome="accept"}' 'scanwall_dicom_faults_total{fault="pdu-type"}'; do
	check "mgmt: /metrics has $m" grep -qF "$m " "$TMP/metrics.txt"
done
check "mgmt: /metrics counts the 403s" sh -c "[ \"\$(awk '\$1 == \"scanwall_mgmt_refusals_total{status=\\\"403\\\"}\" {print \$2}' '$TMP/metrics.txt')\" -ge 3 ]"

# --- syslog: queued while the collector is away, delivered when it comes --------
ctl reload >/dev/null
sleep 1.5
check "mgmt: events wait in the queue while the collector is down" \
	sh -c "[ \"$(metric scanwall_syslog_queue_depth)\" -ge 2 ]"
check "mgmt: not connected to an absent collector" test "$(metric scanwall_syslog_connected)" = 0
mkdir -p "$TMP/rsyslog"
cat >"$TMP/rsyslog.conf" <<EOR
global(workDirectory="$TMP/rsyslog" defaultNetstreamDriver="ossl"
       defaultNetstreamDriverCAFile="$PKI/ca.crt"
       defaultNetstreamDriverCertFile="$PKI/collector.crt"
       defaultNetstreamDriverKeyFile="$PKI/collector.key")
module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" port="6514")
template(name="t" type="string" string="%pri% %msgid% %app-name% %structured-data% %msg%\n")
action(type="omfile" file="$TMP/syslog.out" template="t")
EOR
ip netns exec "$NS" timeout 300 rsyslogd -n -f "$TMP/rsyslog.conf" -i "$TMP/rsyslog.pid" \
	>"$TMP/rsyslog.log" 2>&1 &
RSYS_PID=$!
last_seq() { ctl status | sed -n 's/.*"last_seq":\([0-9]*\).*/\1/p'; }
got_seq() { grep -q "seq=\"$1\"\]" "$TMP/syslog.out" 2>/dev/null; }
last=$(last_seq)
wait_for got_seq "$last"
check "mgmt: rsyslog received every queued event over TLS (1..$last)" sh -c \
	"[ \$(grep -c 'scanwall@32473' '$TMP/syslog.out') -ge $last ] && grep -q 'seq=\"$last\"' '$TMP/syslog.out'"
check "mgmt: syslog: RFC 5424 fields (pri, msgid, app, seq)" \
	grep -Eq '^133 system scanwall \[scanwall@32473 seq="[0-9]+"\] \{"ts":' "$TMP/syslog.out"
check "mgmt: syslog: the start event came too" grep -q 'seq="1"\] {.*"reason":"start"' "$TMP/syslog.out"
post "$TMP/garbage.swb" >/dev/null
wait_for got_seq $((last + 1))
check "mgmt: syslog: a live event follows (the refused bundle, seq $((last + 1)))" got_seq $((last + 1))
check "mgmt: /metrics: syslog sent >= 3, queue empty, none dropped" sh -c \
	"[ \"$(metric scanwall_syslog_sent_total)\" -ge 3 ] && [ \"$(metric scanwall_syslog_queue_depth)\" = 0 ] && [ \"$(metric scanwall_syslog_dropped_total)\" = 0 ]"

# --- the status page in a real browser -------------------------------------------
as reader "$URL/" >/dev/null && cp "$TMP/body" "$TMP/page.html"
if command -v chromium >/dev/null; then
	chrome() { timeout 60 ip netns exec "$NS" chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$(mktemp -d "$TMP/chr.XXXX")" "$@" 2>>"$TMP/chromium.log"; }
	chrome --window-size=1000,900 --screenshot="$TMP/page.png" "file://$TMP/page.html" >/dev/null
	check "mgmt: chromium screenshot of the status page" sh -c "[ \$(stat -c %s '$TMP/page.png' 2>/dev/null || echo 0) -gt 5000 ] && head -c 8 '$TMP/page.png' | grep -q PNG"
	chrome --dump-dom "file://$TMP/page.html" >"$TMP/dom.html"
	check "mgmt: page: title and engine state" grep -q 'Engine running' "$TMP/dom.html"
	check "mgmt: page: the policy hash in force" grep -q "$(sha)" "$TMP/dom.html"
		want=$(last_seq); [ "$want" -gt 15 ] && want=15
	check "mgmt: page: the $want most recent events listed" \
		test "$(grep -c '<tr><td>' "$TMP/dom.html")" = "$want"
	check "mgmt: page: no script" sh -c "! grep -qi '<script' '$TMP/page.html'"
	[ -n "${MGMT_KEEP_SCREENSHOT:-}" ] && cp "$TMP/page.png" "$MGMT_KEEP_SCREENSHOT"
else
	fail "mgmt: chromium is not installed (scripts/deps.sh test)"
fi

# --- privileges: --user nobody (scanwalld's --control-user), and another user ---
chmod 711 "$TMP"	# the socket's directory must be searchable by mgmtd's user
# Its roles end in `reader any` (what the console's `set management reader
# any` writes): every other certificate of the CA is a reader. Its log is
# --log with the smallest cap, in a directory nobody cannot write to (as
# on the image): past the cap the file is emptied rather than renamed.
{ cat "$PKI/roles"; echo "reader any"; } >"$TMP/roles-any"
# LeakSanitizer cannot stop a process that dropped to another uid (it is
# no longer dumpable): without this a sanitizer build hangs at exit.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
ip netns exec "$NS" timeout 120 "$BUILD/scanwall-mgmtd" --listen 127.0.0.1:8444 \
	--cert "$PKI/server.crt" --key "$PKI/server.key" --client-ca "$PKI/ca.crt" \
	--control "$TMP/ctl" --roles "$TMP/roles-any" --spool "$TMP/spool2" --user nobody \
	--log "$TMP/mgmt2.log" --log-max 4096 >>"$TMP/mgmt2.log" 2>&1 &
MGMT2_PID=$!
wait_for grep -q 'listening on' "$TMP/mgmt2.log"
child=$(cat "/proc/$MGMT2_PID/task/$MGMT2_PID/children" 2>/dev/null | awk '{print $1}')
uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/${child:-0}/status" 2>/dev/null)
check "mgmt: --user nobody drops every uid ($uid)" test "$uid" = "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)"
code=$(as reader "https://localhost:8444/status")
check "mgmt: as nobody, scanwalld's --control-user, /status answers (200)" test "$code" = 200
check "mgmt: \`reader any': a certificate no other line names is a reader" \
	test "$(as stranger "https://localhost:8444/status")$(as stranger -X POST "https://localhost:8444/bundle/confirm")" = 200403
check "mgmt: ...and a named operator is still an operator" \
	test "$(as operator -X POST "https://localhost:8444/bundle/rollback")" != 403
for i in $(seq 60); do
	ns curl -s -o /dev/null --max-time 3 --resolve localhost:8444:127.0.0.1 --cacert "$PKI/ca.crt" \
		https://localhost:8444/status
done
size=$(stat -c %s "$TMP/mgmt2.log")
check "mgmt: --log-max 4096 holds as nobody after 60 refusals ($size bytes)" test "$size" -le 4608
check "mgmt: ...the file kept the latest lines" grep -q "No client certification received" "$TMP/mgmt2.log"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
ip netns exec "$NS" timeout 120 "$BUILD/scanwall-mgmtd" --listen 127.0.0.1:8445 \
	--cert "$PKI/server.crt" --key "$PKI/server.key" --client-ca "$PKI/ca.crt" \
	--control "$TMP/ctl" --roles "$PKI/roles" --spool "$TMP/spool3" --user daemon \
	>"$TMP/mgmt3.log" 2>&1 &
MGMT3_PID=$!
wait_for grep -q 'listening on' "$TMP/mgmt3.log"
code=$(as reader "https://localhost:8445/status")
check "mgmt: as another user, the control socket says no (502)" test "$code" = 502
as reader "https://localhost:8445/metrics" >/dev/null
check "mgmt: ...and /metrics reports control_up 0" grep -q '^scanwall_mgmt_control_up 0' "$TMP/body"

# --- the certificate in use: logged, in /status, on the page ---------------------
pin() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
srv_fp=$(pin "$PKI/server.crt")
check "mgmt: the certificate's fingerprint is logged at start" logged "SHA256 Fingerprint=$srv_fp"
as reader "$URL/status" >/dev/null
check "mgmt: /status carries mgmt.cert.sha256 (openssl's fingerprint)" \
	grep -qF "\"mgmt\":{\"cert\":{\"sha256\":\"$srv_fp\",\"subject\":\"O=scanwall test, CN=localhost\"" "$TMP/body"
check "mgmt: ...and is still JSON" json_ok
as reader "$URL/" >/dev/null
check "mgmt: the status page shows the fingerprint" grep -qF "$srv_fp" "$TMP/body"

# --- --make-cert: the box makes its own key and self-signed certificate ----------
MC=$TMP/mc
mkdir -p "$MC/key-only" "$MC/cert-only" "$MC/none"
host=$(hostname)
# mgmtd on :8446 with --make-cert, as nobody like on the box (the key is
# made and read as root, before the drop).
mcstart() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	ip netns exec "$NS" timeout 120 "$BUILD/scanwall-mgmtd" --listen 127.0.0.1:8446 \
		--cert "$MC/cert.pem" --key "$MC/key.pem" --client-ca "$PKI/ca.crt" \
		--control "$TMP/ctl" --roles "$PKI/roles" --spool "$TMP/spool4" --user nobody \
		--make-cert >"$1" 2>&1 &
	MC_PID=$!
}
# mgmtd in the foreground on :8447, for the runs that must not start.
mcrun() { # DIR LOG [ARGS]
	ip netns exec "$NS" timeout 20 "$BUILD/scanwall-mgmtd" --listen 127.0.0.1:8447 \
		--cert "$1/cert.pem" --key "$1/key.pem" --client-ca "$PKI/ca.crt" \
		--control "$TMP/ctl" --spool "$TMP/spool5" "${@:3}" >"$2" 2>&1
}
mccurl() { ns curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' --cert "$PKI/reader.crt" \
	--key "$PKI/reader.key" "$@"; }
old_umask=$(umask)
umask 077	# the certificate is 0644 whatever the umask
mcstart "$MC/log1"
umask "$old_umask"
wait_for grep -q 'listening on' "$MC/log1" || { fail "mgmt: --make-cert: mgmtd did not start"; cat "$MC/log1" >&2; }
check "mgmt: --make-cert made the key, mode 0600" test "$(stat -c %a "$MC/key.pem" 2>/dev/null)" = 600
check "mgmt: --make-cert made the certificate, mode 0644 (under umask 077)" \
	test "$(stat -c %a "$MC/cert.pem" 2>/dev/null)" = 644
check "mgmt: both owned by root (made before dropping to nobody)" \
	test "$(stat -c %u:%u "$MC/key.pem" "$MC/cert.pem" 2>/dev/null | tr '\n' ' ')" = "0:0 0:0 "
check "mgmt: no temporary file is left" sh -c "[ -z \"\$(ls '$MC' | grep '\.new\$')\" ]"
openssl x509 -in "$MC/cert.pem" -noout -text >"$MC/text" 2>&1
has() { grep -q -- "$1" "$MC/text"; }
check "mgmt: made certificate: EC P-256 key" sh -c "grep -q 'Public Key Algorithm: id-ecPublicKey' '$MC/text' &&
	grep -q 'NIST CURVE: P-256' '$MC/text'"
check "mgmt: made certificate: X.509 v3, signed with ecdsa-with-SHA256" sh -c "grep -q 'Version: 3' '$MC/text' &&
	[ \$(grep -c 'Signature Algorithm: ecdsa-with-SHA256' '$MC/text') = 2 ]"
check "mgmt: made certificate: subject and issuer CN=$host" test \
	"$(openssl x509 -in "$MC/cert.pem" -noout -subject -issuer -nameopt RFC2253 2>&1 | tr '\n' ' ')" = \
	"subject=CN=$host issuer=CN=$host "
check "mgmt: made certificate: its signature verifies with its own key (self-signed)" \
	sh -c "openssl verify -check_ss_sig -CAfile '$MC/cert.pem' '$MC/cert.pem' | grep -q ': OK\$'"
check "mgmt: made certificate: CA:FALSE" has 'CA:FALSE'
check "mgmt: made certificate: keyUsage digitalSignature only" sh -c \
	"grep -A1 'X509v3 Key Usage' '$MC/text' | tail -1 | grep -Eq '^ *Digital Signature *\$'"
check "mgmt: made certificate: extendedKeyUsage serverAuth" sh -c \
	"grep -A1 'Extended Key Usage' '$MC/text' | tail -1 | grep -Eq '^ *TLS Web Server Authentication *\$'"
check "mgmt: made certificate: subjectAltName DNS:$host, IP:127.0.0.1" has "DNS:$host, IP Address:127.0.0.1\$"
nb=$(date -d "$(openssl x509 -in "$MC/cert.pem" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$MC/cert.pem" -noout -enddate | cut -d= -f2)" +%s)
now=$(date +%s)
check "mgmt: made certificate: valid from now (less an hour)" test "$nb" -le "$now" -a "$nb" -ge $((now - 3700))
check "mgmt: made certificate: valid for 10 years ($(( (na - now) / 86400 )) days)" \
	test $(( (na - now) / 86400 )) -ge 3651 -a $(( (na - now) / 86400 )) -le 3653
openssl pkey -in "$MC/key.pem" -pubout >"$MC/key.pub" 2>&1
openssl x509 -in "$MC/cert.pem" -noout -pubkey >"$MC/cert.pub" 2>&1
check "mgmt: openssl pkey: the key is the certificate's" sh -c \
	"grep -q 'BEGIN PUBLIC KEY' '$MC/key.pub' && cmp -s '$MC/key.pub' '$MC/cert.pub'"
mc_fp=$(pin "$MC/cert.pem")
log_fp=$(sed -n 's/.*--make-cert: made .*SHA256 Fingerprint=\([0-9A-F:]*\)$/\1/p' "$MC/log1")
check "mgmt: the fingerprint logged is openssl's ($log_fp)" test -n "$mc_fp" -a "$log_fp" = "$mc_fp"
code=$(mccurl --cacert "$MC/cert.pem" --resolve "$host:8446:127.0.0.1" "https://$host:8446/status")
check "mgmt: curl --cacert the made certificate, by host name: 200 ($code)" test "$code" = 200
check "mgmt: ...its /status carries the same fingerprint" \
	grep -qF "\"mgmt\":{\"cert\":{\"sha256\":\"$mc_fp\",\"subject\":\"CN=$host\"" "$TMP/body"
code=$(mccurl --cacert "$MC/cert.pem" https://127.0.0.1:8446/status)
check "mgmt: curl --cacert the made certificate, by address: 200 ($code)" test "$code" = 200
code=$(mccurl --cacert "$PKI/ca.crt" https://127.0.0.1:8446/status)
check "mgmt: curl trusting only the test CA refuses the made certificate ($code)" test "$code" = 000
sums=$(sha256sum "$MC/key.pem" "$MC/cert.pem")
kill "$MC_PID" 2>/dev/null
wait "$MC_PID" 2>/dev/null
mcstart "$MC/log2"
wait_for grep -q 'listening on' "$MC/log2" || { fail "mgmt: --make-cert: second start"; cat "$MC/log2" >&2; }
check "mgmt: a second --make-cert start keeps key and certificate" test "$(sha256sum "$MC/key.pem" "$MC/cert.pem")" = "$sums"
check "mgmt: ...makes nothing" sh -c "! grep -q -- '--make-cert: made' '$MC/log2'"
check "mgmt: ...and serves the same certificate (fingerprint $mc_fp)" grep -qF "SHA256 Fingerprint=$mc_fp" "$MC/log2"
code=$(mccurl --cacert "$MC/cert.pem" https://127.0.0.1:8446/status)
check "mgmt: ...which the pinned certificate still trusts: 200 ($code)" test "$code" = 200
kill "$MC_PID" 2>/dev/null
wait "$MC_PID" 2>/dev/null
MC_PID=
cp -p "$MC/key.pem" "$MC/key-only/key.pem"
mcrun "$MC/key-only" "$MC/log3" --make-cert
rc=$?
check "mgmt: --make-cert with a key but no certificate exits nonzero ($rc)" test "$rc" != 0 -a "$rc" != 124
check "mgmt: ...says why" grep -q 'refused: the key .* exists but its certificate .* does not' "$MC/log3"
check "mgmt: ...and leaves the key alone, makes no certificate" sh -c \
	"cmp -s '$MC/key.pem' '$MC/key-only/key.pem' && [ ! -e '$MC/key-only/cert.pem' ] && [ \$(ls '$MC/key-only' | wc -l) = 1 ]"
cp -p "$MC/cert.pem" "$MC/cert-only/cert.pem"
mcrun "$MC/cert-only" "$MC/log4" --make-cert
rc=$?
check "mgmt: --make-cert with a certificate but no key exits nonzero ($rc)" test "$rc" != 0 -a "$rc" != 124
check "mgmt: ...says why, makes no key" sh -c "grep -q 'refused: the certificate .* exists but its key' '$MC/log4' &&
	[ ! -e '$MC/cert-only/key.pem' ]"
mcrun "$MC/none" "$MC/log5"
rc=$?
check "mgmt: without --make-cert, missing files still stop mgmtd ($rc), nothing made" sh -c \
	"[ $rc != 0 ] && [ $rc != 124 ] && [ -z \"\$(ls -A '$MC/none')\" ]"

# --- still up through all of it --------------------------------------------------
check "mgmt: the server is still up" test "$(as operator "$URL/status")" = 200
check "mgmt: mgmtd process alive" kill -0 "$MGMT_PID"
[ -n "${MGMT_VERBOSE:-}" ] && cat "$TMP/mgmt.log" "$TMP/mgmt2.log" "$MC"/log*
exit 0
