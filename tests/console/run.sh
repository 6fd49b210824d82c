#!/bin/bash
# tests/console/run.sh BUILD: the serial console through a pseudo-terminal
# (console.py), first without scanwalld (login, lockout, configure, commit
# confirmed, rollback, garbage, idle logout, factory-reset, what a commit
# puts in force, the daemons' wrappers), then against a scanwalld in a
# throwaway network namespace (show, --json, bundle install).
#
#   console.py ── pty ── scanwall ── ctl.sock ── scanwalld (netns swcon$$)
#   └───────── netns swcona$$ (port mgmt) + a UTS namespace ─────────┘
#
# A commit sets the host name and the mgmt port's address of the machine
# the console runs on, so the driver and every console it starts run in a
# network namespace with a port named mgmt and a UTS namespace of their
# own: the host's name and interfaces are never touched.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
BUILD=$(cd "${1:-build}" && pwd)
ns=swcon$$
nsa=swcona$$
work=$(mktemp -d /tmp/sw-console.XXXXXX)
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 0.3
	for n in "$ns" "$nsa"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

# PASS/FAIL lines from the driver become this suite's results
report() {
	local line
	while IFS= read -r line; do
		case $line in
		PASS\ *) ok "${line#PASS }" ;;
		FAIL\ *) fail "${line#FAIL }" ;;
		*) echo "$line" ;;
		esac
	done
}

if [ ! -x "$BUILD/scanwall" ]; then
	fail "console: no $BUILD/scanwall"
	exit 0
fi

# make a good and a badly signed bundle for scanwalld's keyring (2 of 3)
tool=$BUILD/scanwall-bundle
policy=$here/../netns/policy/netns.conf
mkdir -p "$work/keys" "$work/priv" "$work/state"
setup_bundles() {
	local k compat
	for k in a b c; do
		"$tool" keygen --out "$work/priv/$k" >/dev/null && cp "$work/priv/$k.pub" "$work/keys/" || return 1
	done
	compat=$("$BUILD/scanwalld" --version | cut -d' ' -f3)
	sed 's/services verification storage$/services verification/' "$policy" >"$work/echo.conf"
	"$tool" create --version 2 --compatible "$compat" --policy "$work/echo.conf" --out "$work/good.bundle" >/dev/null &&
		"$tool" sign --key "$work/priv/a.key" "$work/good.bundle" >/dev/null &&
		"$tool" sign --key "$work/priv/b.key" "$work/good.bundle" >/dev/null &&
		"$tool" create --version 3 --compatible "$compat" --policy "$policy" --out "$work/bad.bundle" >/dev/null &&
		"$tool" sign --key "$work/priv/c.key" "$work/bad.bundle" >/dev/null
}

start_scanwalld() {
	local i
	ip netns add "$ns" || return 1
	ip netns exec "$ns" timeout 600 "$BUILD/scanwalld" --policy "$policy" --queue 5 \
		--control "$work/ctl.sock" --state "$work/state" --keyring "$work/keys" --events "$work/events.json" \
		>"$work/scanwalld.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 50; i++)); do
		timeout 5 "$BUILD/scanwalld" --ctl "$work/ctl.sock" status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/scanwalld.log" >&2
	return 1
}

# What a commit applies: two client CAs and a file that is none (the USB
# stick), the image's host name, the console's own namespaces.
setup_apply() {
	local n
	mkdir -p "$work/usb" || return 1
	for n in 1 2; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/O=scanwall test/CN=console CA $n" -keyout "$work/usb/ca$n.key" \
			-out "$work/usb/ca$n.pem" 2>/dev/null || return 1
	done
	echo "not a certificate" >"$work/usb/notes.txt"
	# a CRL of CA 2, PEM and DER, for client-crl
	: >"$work/usb/index.txt"
	printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s\ndefault_md = sha256\n' "$work/usb/index.txt" \
		>"$work/usb/ca.cnf"
	openssl ca -gencrl -config "$work/usb/ca.cnf" -cert "$work/usb/ca2.pem" -keyfile "$work/usb/ca2.key" \
		-crldays 1 -out "$work/usb/crl.pem" 2>/dev/null || return 1
	openssl crl -in "$work/usb/crl.pem" -outform DER -out "$work/usb/crl.der" || return 1
	echo factory-name >"$work/hostname"
	ip netns add "$nsa" || return 1
	ip -n "$nsa" link set lo up
	# a dummy port where the kernel has the module, else one end of a veth
	ip -n "$nsa" link add mgmt type dummy 2>/dev/null ||
		ip -n "$nsa" link add mgmt type veth peer name mgmt-peer
}

runner=()
if [ "$(id -u)" = 0 ]; then
	if setup_apply; then
		runner=(ip netns exec "$nsa" unshare --uts --)
		export SW_APPLY_NS=$nsa SW_USB=$work/usb SW_HOST_UTS=$(readlink /proc/self/ns/uts)
		export SW_WRAPPERS=$here/../../firmware/rootfs/usr/libexec/scanwall
	else
		# without its namespaces a commit would rename this machine: stop
		fail "console: make the console's namespaces and CA files"
		exit 0
	fi
fi

args=()
if [ "$(id -u)" != 0 ]; then
	fail "console: the scanwalld checks need root (a network namespace)"
elif ! setup_bundles; then
	fail "console: make keys and bundles"
elif ! start_scanwalld; then
	fail "console: scanwalld starts in a namespace"
else
	args=("$work/ctl.sock" "$work/good.bundle" "$work/bad.bundle" "$(sha256sum "$policy" | cut -d' ' -f1)")
fi

timeout -k 5 400 "${runner[@]}" /usr/bin/python3 "$here/console.py" "$BUILD/scanwall" "$work" "${args[@]}" | report
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || fail "console: the pty driver exited $rc"
exit 0
