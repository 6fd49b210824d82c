#!/bin/bash
# tests/qemu/run.sh IMAGE_DIR: boots the aarch64 firmware image in
# qemu-system-aarch64 (-M virt -cpu cortex-a53, TCG) between two host
# network namespaces and checks, through the emulated ARM box:
#   - it boots to a login on the serial console and the login works;
#   - read-only root, state partition mounted, watchdog fed, scanwalld
#     running with the policy from the state partition;
#   - a C-ECHO from lan passes to storescp in dev; a C-STORE, and an
#     association idle between the pieces of its request, complete while
#     the guest's clock is stepped hours both ways;
#   - port 80 is refused (curl) and 3465 dropped (python connect probe), and
#     nothing reached the listeners there;
#   - kill -9 of scanwalld: init respawns it and C-ECHO passes again;
#   - a host name committed at the console is in force at once (prompt,
#     hostname) and again after a reboot from the same state disk;
#   - an NTP server committed at the console starts openntpd's ntpd with a
#     configuration that names it (its engine unprivileged, chrooted), a
#     new one restarts it, and it runs again after the reboot. No NTP
#     server is reachable from the box here: nothing is synchronised.
#
#   qemu ns (sw<pid>q): tapl ─ bl ─ vl ══ eth0  lan ns 10.77.1.10
#                       tapd ─ bd ─ vd ══ eth0  dev ns 10.77.1.15
# Everything lives in namespaces made here, removed on exit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
img=$(cd "${1:?usage: run.sh IMAGE_DIR}" && pwd)
peer=$here/../netns/peer.py
con=$here/console.py
# the password set at the console program's first start (board.conf)
password=$(. "$here/../../board/qemu-aarch64/board.conf" && echo "$CONSOLE_PASSWORD_TEST")
boot_s=${SW_QEMU_BOOT_TIMEOUT:-180}

if [ "$(id -u)" != 0 ]; then
	fail "qemu: needs root (namespaces, tap devices)"
	exit 0
fi
for f in Image rootfs.cpio.gz cmdline; do
	[ -f "$img/$f" ] || { fail "qemu: no $img/$f (make image BOARD=qemu-aarch64)"; exit 0; }
done

P=sw$$
nq=${P}q nl=${P}l nd=${P}d
work=$(mktemp -d /tmp/scanwall-qemu.XXXXXX)
qpid=

cleanup() {
	local ns pids
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	for ns in $nq $nl $nd; do
		[ -e "/run/netns/$ns" ] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "${SW_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- the host side ---------------------------------------------------------
for ns in $nq $nl $nd; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
for side in l:$nl:10.77.1.10 d:$nd:10.77.1.15; do
	IFS=: read -r s ns addr <<<"$side"
	ip -n "$nq" tuntap add dev "tap$s" mode tap
	ip -n "$nq" link add "b$s" type bridge stp_state 0 forward_delay 0
	ip -n "$nq" link add "v$s" type veth peer name eth0 netns "$ns"
	ip -n "$nq" link set "tap$s" master "b$s" up
	ip -n "$nq" link set "v$s" master "b$s" up
	ip -n "$nq" link set "b$s" up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" addr add "$addr/24" dev eth0
	ip -n "$ns" link set eth0 up
done
# the helper bridges only carry frames: no filtering on them
ip netns exec "$nq" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
	net.bridge.bridge-nf-call-ip6tables=0 2>/dev/null

# --- the state partition: the site's policy, as a field install would ------
mkdir -p "$work/state/scanwall" "$work/state/log"
cp "$here/policy.conf" "$work/state/scanwall/policy.conf"
truncate -s 32M "$work/state.img"
mke2fs -q -t ext4 -F -d "$work/state" "$work/state.img" || { fail "qemu: make state image"; exit 0; }

# --- boot ------------------------------------------------------------------
# boot N: starts the image (the same state disk each time); its console is
# $sock, logged to $clog
boot() {
	sock=$work/console$1.sock clog=$work/console$1.log
	ip netns exec "$nq" timeout -k 5 600 qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 2 -m 512 \
		-display none -monitor none -serial chardev:con0 \
		-chardev "socket,id=con0,path=$sock,server=on,wait=off,logfile=$clog" \
		-kernel "$img/Image" -initrd "$img/rootfs.cpio.gz" -append "$(cat "$img/cmdline")" \
		-drive "file=$work/state.img,if=none,format=raw,id=state" -device virtio-blk-pci,drive=state \
		-device i6300esb \
		-netdev tap,id=lan,ifname=tapl,script=no,downscript=no \
		-device virtio-net-pci,netdev=lan,mac=52:54:00:77:01:01,romfile= \
		-netdev tap,id=dev,ifname=tapd,script=no,downscript=no \
		-device virtio-net-pci,netdev=dev,mac=52:54:00:77:01:02,romfile= \
		-no-reboot </dev/null >"$work/qemu$1.log" 2>&1 &
	qpid=$!
	disown "$qpid"
}

# wait_console REGEX: until the console log shows REGEX (0), or qemu ends
wait_console() {
	local i
	for ((i = 0; i < boot_s * 2; i++)); do
		grep -q "$1" "$clog" 2>/dev/null && return 0
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

t0=$(date +%s)
boot 1
# the console program on the tty (no getty): a fresh state partition is
# its first start, which asks the technician for the unit's password
if ! wait_console 'New password: '; then
	fail "qemu: boots to the console program's first-start password prompt"
	tail -n 30 "$clog" "$work/qemu1.log" >&2
	exit 0
fi
ok "qemu: boots to the console program's first-start password prompt ($(($(date +%s) - t0)) s)"
check "qemu: no getty/login prompt on the console" bash -c "! grep -q 'login: ' '$clog'"

guest() { # guest SECONDS COMMAND: runs COMMAND in the console's shell
	timeout $(($1 + 10)) "$con" "$sock" run "$1" "$2"
}
cli() { # cli SECONDS COMMAND: a console command at the CLI prompt
	timeout $(($1 + 10)) "$con" "$sock" cli "$1" "$2"
}
if ! timeout 90 "$con" "$sock" login "$password" first; then
	fail "qemu: console first start sets the password and logs in"
	tail -n 20 "$clog" >&2
	exit 0
fi
ok "qemu: console first start sets the password and logs in"

# through the console CLI itself: scanwalld's status over the control socket
want=$(sha256sum "$here/policy.conf" | cut -d' ' -f1)
out=
for ((i = 0; i < 60; i++)); do
	out=$(cli 20 'show status' 2>&1)
	grep -q "$want" <<<"$out" && break
	sleep 1
done
check "qemu: console 'show status' shows the state policy's sha256" grep -q "$want" <<<"$out"
grep -q "$want" <<<"$out" || echo "$out" | tail -n 15 >&2
out=$(cli 20 'show interfaces' 2>&1)
check "qemu: console 'show interfaces' lists lan, dev and br0" \
	bash -c 'for p in lan dev br0; do grep -qw "$p" <<<"$1" || exit 1; done' _ "$out"
out=$(cli 20 'start shell --x' 2>&1)
check "qemu: console refuses 'start shell' with arguments" grep -q 'error: usage' <<<"$out"

if ! timeout 40 "$con" "$sock" shell; then
	fail "qemu: console 'start shell' gives a shell"
	tail -n 20 "$clog" >&2
	exit 0
fi
ok "qemu: console 'start shell' gives a shell"
check "qemu: the shell is root's" test "$(guest 10 'id -u' | tr -dc '0-9')" = 0
check "qemu: the console program runs as root on ttyAMA0, no getty" guest 10 \
	'! pidof getty && p=$(pidof scanwall) && readlink /proc/$p/fd/0 | grep -qx /dev/ttyAMA0 &&
	 grep -q "^Uid:[[:space:]]0[[:space:]]" /proc/$p/status'
check "qemu: no password ships (root locked, no admin user)" guest 10 \
	'grep -q "^root:\*:" /etc/shadow && ! grep -q "^admin:" /etc/passwd'
check "qemu: the unit's password is on the state partition" guest 10 \
	'test "$(head -c 3 /state/scanwall/console/passwd)" = "\$y\$"'
# rcS creates br0 only after the closed ruleset loaded (it exits first
# otherwise): its last word says the bridge came up, and no failure before
check "qemu: br0 came up behind the closed ruleset" \
	bash -c "grep -q 'rcS: br0 up' '$clog' && ! grep -q 'closed ruleset failed' '$clog'"
check "qemu: the conntrack hash is the image's 16,384 buckets (the sweep's walk)" guest 10 \
	'test "$(sysctl -n net.netfilter.nf_conntrack_buckets)" = 16384'
check "qemu: root file system is read-only" guest 10 '! touch /probe 2>/dev/null'
check "qemu: state partition mounted (ext4)" guest 10 'grep -q " /state ext4 " /proc/mounts'
check "qemu: watchdog fed by scanwalld" guest 10 \
	'test -c /dev/watchdog && ls -l /proc/$(pidof scanwalld)/fd | grep -q /dev/watchdog'

# scanwalld answers its control socket with the state partition's policy
got=
for ((i = 0; i < 60; i++)); do
	got=$(guest 20 'scanwalld --ctl /run/scanwall/ctl.sock status' 2>/dev/null |
		sed -n 's/.*"sha256":"\([0-9a-f]*\)".*/\1/p' | head -n 1)
	[ -n "$got" ] && break
	sleep 1
done
check "qemu: scanwalld runs with the state policy (${got:0:12})" test "$got" = "$want"
[ "$got" = "$want" ] || guest 20 'tail -n 20 /run/var/log/scanwalld.log' >&2
check "qemu: scanwalld installed the nft backend" \
	guest 20 'nft list table inet scanwall | grep -q "queue"'
# The control socket admits root (the console) and the user scanwall,
# which scanwall-mgmtd drops to (run-mgmtd: --user scanwall). This board
# has no mgmt port, so mgmtd does not run here: its user does what it would.
# Other users are kept out by the socket's mode (and SO_PEERCRED, tested
# on the host by tests/mgmt/run.sh).
check "qemu: control socket owned by scanwall (mode 600), its directory 711" guest 10 \
	'test "$(stat -c "%U %a" /run/scanwall/ctl.sock)" = "scanwall 600" &&
	 test "$(stat -c %a /run/scanwall)" = 711'
check "qemu: user scanwall (scanwall-mgmtd's) reaches the control socket" guest 20 \
	'su -s /bin/sh scanwall -c "id -u; /usr/sbin/scanwalld --ctl /run/scanwall/ctl.sock status" >/tmp/ctl.out &&
	 test "$(head -n 1 /tmp/ctl.out)" = 100 && grep -q "\"sha256\":\"'"$want"'\"" /tmp/ctl.out'
check "qemu: run-mgmtd starts scanwall-mgmtd as that user" guest 10 \
	'grep -q -- "--user scanwall" /usr/libexec/scanwall/run-mgmtd &&
	 grep -q -- "--control-user scanwall" /usr/libexec/scanwall/run-scanwalld'
# until ntp-server is set, run-ntpd waits in sleep under its pidfile's pid
check "qemu: no ntp-server yet: run-ntpd waits (sleep in ntpd.pid), no ntpd" guest 10 \
	'test "$(cat /proc/$(cat /run/scanwall/ntpd.pid)/comm)" = sleep && ! pidof ntpd'

# --- traffic through the emulated box -----------------------------------------
mkdir -p "$work/recv"
ip netns exec "$nd" storescp -aet SYMBIA -od "$work/recv" 104 >"$work/storescp.log" 2>&1 &
ip netns exec "$nd" "$peer" listen --http --record "$work/advisory.rec" 80 443 3465 \
	>"$work/peer.log" 2>&1 &
disown -a
for ((i = 0; i < 50; i++)); do
	ip netns exec "$nd" ss -Htln 'sport = :3465' | grep -q . &&
		ip netns exec "$nd" ss -Htln 'sport = :104' | grep -q . && break
	sleep 0.1
done

echo_ok() {
	ip netns exec "$nl" timeout 60 echoscu -to 20 -ta 20 -td 20 -aet LAN_SCU -aec SYMBIA \
		10.77.1.15 104
}
t1=$(date +%s%N)
check "qemu: C-ECHO lan -> dev through the ARM box" echo_ok
echo "  C-ECHO took $((($(date +%s%N) - t1) / 1000000)) ms"

ip netns exec "$nl" timeout 20 curl -s -o /dev/null --max-time 10 http://10.77.1.15/
rc=$?
# reject: the engine answers for the device with a reset, curl exit 7
check "qemu: port 80 refused with a reset (curl exit $rc)" test "$rc" = 7
ip netns exec "$nl" timeout 20 "$peer" connect 10.77.1.15 3465 --timeout 5
rc=$?
# block: dropped in silence, the probe times out (2)
check "qemu: port 3465 dropped (connect probe exit $rc)" test "$rc" = 2
check "qemu: nothing reached the dev listeners on 80/3465" \
	test ! -s "$work/advisory.rec"
# the refusals are the engine's, not an unreachable host: its events say so
check "qemu: engine logged the reject of port 80" guest 10 \
	'grep "\"event\":\"reject\"" /state/log/events.json | grep -q "\"dport\":80,"'
check "qemu: engine logged the block of port 3465" guest 10 \
	'grep "\"event\":\"block\"" /state/log/events.json | grep -q "\"dport\":3465,"'

# A C-STORE of one 4 MiB image: the data arrives identical, and the rate
# through NFQUEUE under emulation is printed (10-30 Mbit/s expected; a
# functional figure, not a benchmark).
head -c 4194304 /dev/urandom >"$work/pixels.raw"
cat >"$work/big.dump" <<DUMP
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.9.7777.$$.1]
(0008,0060) CS [OT]
(0010,0010) PN [Qemu^Test]
(0020,000d) UI [1.2.826.0.1.3680043.9.7777.$$.2]
(0020,000e) UI [1.2.826.0.1.3680043.9.7777.$$.3]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 2048
(0028,0011) US 2048
(0028,0100) US 8
(0028,0101) US 8
(0028,0102) US 7
(0028,0103) US 0
(7fe0,0010) OB =$work/pixels.raw
DUMP
dump2dcm -q +te "$work/big.dump" "$work/big.dcm"
t1=$(date +%s%N)
check "qemu: C-STORE of a 4 MiB image" ip netns exec "$nl" timeout 120 storescu -to 30 -ta 30 \
	-td 30 -aet LAN_SCU -aec SYMBIA 10.77.1.15 104 "$work/big.dcm"
ms=$((($(date +%s%N) - t1) / 1000000))
got=$(find "$work/recv" -name '*1.2.826.0.1.3680043.9.7777.'"$$"'.1' | head -n 1)
check "qemu: the image arrived identical" cmp -s <(dcmdump -q +P 7fe0,0010 --print-all "$work/big.dcm" | md5sum) \
	<(dcmdump -q +P 7fe0,0010 --print-all "${got:-/dev/null}" 2>/dev/null | md5sum)
echo "  C-STORE 4 MiB: $ms ms, about $((4194304 * 8 / 1000 / (ms > 0 ? ms : 1))) Mbit/s"

# --- the guest's wall clock stepped during a transfer -----------------------------
# Timeouts run on the monotonic clock (docs/engine.md, "Clocks"): while an
# `inspect full` C-STORE of 16 MiB runs, the guest's clock goes two hours
# forward, then two hours and a minute back, and the transfer completes.
# (Only the emulated box's clock moves; the host's is never touched.)
head -c 16777216 /dev/urandom >"$work/pixels.raw"
sed -e 's/US 2048/US 4096/' -e "s/7777\.$$\.1\]/7777.$$.9]/" "$work/big.dump" >"$work/step.dump"
dump2dcm -q +te "$work/step.dump" "$work/step.dcm"
ip netns exec "$nl" timeout 300 storescu -to 60 -ta 60 -td 60 -aet LAN_SCU -aec SYMBIA \
	10.77.1.15 104 "$work/step.dcm" >"$work/step.log" 2>&1 &
spid=$!
sleep 1
guest 10 'date -s @$(($(date +%s) + 7200)) >/dev/null' >/dev/null
sleep 1
guest 10 'date -s @$(($(date +%s) - 7260)) >/dev/null' >/dev/null
wait "$spid"
rc=$?
check "qemu: C-STORE of 16 MiB completes while the guest's clock steps (exit $rc)" test "$rc" = 0
got=$(find "$work/recv" -name '*1.2.826.0.1.3680043.9.7777.'"$$"'.9' | head -n 1)
check "qemu: ...and the image arrived identical" cmp -s \
	<(dcmdump -q +P 7fe0,0010 --print-all "$work/step.dcm" | md5sum) \
	<(dcmdump -q +P 7fe0,0010 --print-all "${got:-/dev/null}" 2>/dev/null | md5sum)
check "qemu: ...with no abort or invalid event" guest 10 \
	'! grep -E "\"event\":\"(assoc-abort|invalid)\"" /state/log/events.json'
# A busy transfer refreshes its flow with every segment; an association
# that waits between two pieces of its A-ASSOCIATE-RQ does not, and on the
# wall clock the step ended it at the next tick (an hour idle, or a
# negative age). Its RQ in three pieces 5 s apart, a step in each pause.
ip netns exec "$nl" timeout 60 "$peer" split 10.77.1.15 104 --calling LAN_SCU --called SYMBIA \
	--pieces 3 --delay 5 >"$work/split.log" 2>&1 &
spid=$!
sleep 2
guest 10 'date -s @$(($(date +%s) + 7200)) >/dev/null' >/dev/null
sleep 5
guest 10 'date -s @$(($(date +%s) - 7260)) >/dev/null' >/dev/null
wait "$spid"
rc=$?
check "qemu: an association idle across both steps is accepted and released (exit $rc)" \
	test "$rc" = 0
guest 10 'date -s @$(($(date +%s) + 120)) >/dev/null' >/dev/null

# --- supervision ----------------------------------------------------------------
old=$(guest 10 'pidof scanwalld' | tr -dc '0-9')
guest 10 'kill -9 $(pidof scanwalld)' >/dev/null
new=
for ((i = 0; i < 30; i++)); do
	sleep 1
	new=$(guest 10 'pidof scanwalld' | tr -dc '0-9')
	[ -n "$new" ] && [ "$new" != "$old" ] && guest 10 \
		'scanwalld --ctl /run/scanwall/ctl.sock status >/dev/null' && break
done
check "qemu: init respawns scanwalld after kill -9 ($old -> ${new:-none})" \
	test -n "$new" -a -n "$old" -a "$new" != "$old"
check "qemu: C-ECHO passes again after the respawn" echo_ok

# --- back to the console CLI -------------------------------------------------------
check "qemu: exit in the shell returns to the console CLI" timeout 30 "$con" "$sock" unshell
out=$(cli 20 'show log' 2>&1)
check "qemu: console 'show log' has the first start, the login and start shell" \
	bash -c 'grep -q "password set at first start" <<<"$1" && grep -q "console: login" <<<"$1" &&
		grep -q "console: start shell" <<<"$1" && grep -q "shell exited (status 0)" <<<"$1"' _ "$out"
# (the engine's ring starts again with the respawn above: the shell's end
# came after it)
out=$(cli 20 'show events' 2>&1)
check "qemu: the engine's events carry the console's events" grep -q "console: shell exited" <<<"$out"

# --- the console's configuration in force -----------------------------------------
# a host name committed at the CLI is the prompt's and the system's at once
out=$(timeout 40 "$con" "$sock" configure 30 'set hostname ct-room-2' commit 2>&1)
check "qemu: commit of a host name: commit complete, applied" \
	bash -c 'grep -q "commit complete" <<<"$1" && grep -q "hostname: ct-room-2" <<<"$1"' _ "$out"
check "qemu: the CLI prompt shows the new host name" grep -qx 'PROMPT technician@ct-room-2>' <<<"$out"
grep -q "commit complete" <<<"$out" || echo "$out" | tail -n 15 >&2
out=$(cli 20 'show log' 2>&1)
check "qemu: the commit and its apply are console events" grep -q "applied after commit (hostname)" <<<"$out"
timeout 40 "$con" "$sock" shell >/dev/null 2>&1
check "qemu: start shell: hostname is the committed one" test "$(guest 10 hostname | tr -d '\r\n')" = ct-room-2

# ntpd_state OLD: once the pid in ntpd.pid is another than OLD, ntpd's, and
# ntpctl gets an answer from its engine (up to 45 s: a restart waits for
# the old ntpd to end, and under TCG that takes seconds), that pid, its
# command line, its configuration, every ntpd process as "PROC pid uid
# root-directory", ntpctl's peers and the end of its log
ntpd_state() {
	# one line: the shell would echo the lines of a longer one amid the output
	guest 60 "old=$1; $(tr '\n' ' ' <<'EOF'
i=0; while [ $i -lt 90 ]; do p=$(cat /run/scanwall/ntpd.pid);
[ "$p" != "$old" ] && [ "$(cat /proc/$p/comm)" = ntpd ] && ntpctl -s status >/dev/null 2>&1 && break;
sleep 0.5; i=$((i + 1)); done;
echo "WAITED $((i / 2)) s"; echo "PID $p $(cat /proc/$p/comm)"; echo "CMD $(tr "\0" " " </proc/$p/cmdline)";
sed "s/^/CONF /" /run/scanwall/ntpd.conf; echo "MODE $(stat -c %a /run/scanwall/ntpd.conf)";
for q in $(pidof ntpd); do
echo "PROC $q $(sed -n "s/^Uid:[[:space:]]*\([0-9]*\).*/\1/p" /proc/$q/status) $(readlink /proc/$q/root)";
done; ntpctl -s peers 2>&1 | sed "s/^/PEERS /"; tail -n 8 /run/var/log/ntpd.log | sed "s/^/LOG /"
EOF
)" 2>&1
}
# ntpd_checks WHAT SERVER STATE
ntpd_checks() {
	local pid
	pid=$(sed -n 's/^PID \([0-9]*\) ntpd$/\1/p' <<<"$3")
	check "qemu: $1: ntpd runs under run-ntpd's pid (${pid:-none})" test -n "$pid"
	check "qemu: $1: ntpd -d -s -f /run/scanwall/ntpd.conf" \
		grep -qx 'CMD ntpd -d -s -f /run/scanwall/ntpd.conf *' <<<"$3"
	check "qemu: $1: its configuration (mode 644) is 'servers $2'" \
		bash -c 'test "$(grep "^CONF " <<<"$1")" = "CONF servers $2" && grep -qx "MODE 644" <<<"$1"' _ "$3" "$2"
	# the network engine as the user ntpd (101) in its chroot: openntpd
	# refuses to start without both
	check "qemu: $1: its engine runs as ntpd, chrooted to /run/openntpd" \
		grep -qx 'PROC [0-9]* 101 /run/openntpd' <<<"$3"
	check "qemu: $1: ntpctl -s peers lists $2" grep -q "^PEERS.* $2\( \|$\)" <<<"$3"
	grep -q "^CONF servers $2" <<<"$3" && grep -q 'PROC [0-9]* 101 /run/openntpd' <<<"$3" &&
		grep -q "^PEERS.* $2" <<<"$3" || echo "$3" >&2
}

# --- the NTP server from the console -------------------------------------------------
ntp0=$(guest 10 'cat /run/scanwall/ntpd.pid' | tr -dc '0-9')
check "qemu: back to the CLI for configure" timeout 30 "$con" "$sock" unshell
out=$(timeout 40 "$con" "$sock" configure 30 'set ntp-server 192.0.2.123' commit 2>&1)
check "qemu: commit of an ntp-server: commit complete, ntpd restarted" \
	bash -c 'grep -q "commit complete" <<<"$1" && grep -q "ntpd: restart" <<<"$1"' _ "$out"
grep -q "ntpd: restart" <<<"$out" || echo "$out" | tail -n 15 >&2
timeout 40 "$con" "$sock" shell >/dev/null 2>&1
state=$(ntpd_state "$ntp0")
ntpd_checks "ntp-server 192.0.2.123" 192.0.2.123 "$state"
ntp1=$(sed -n 's/^PID \([0-9]*\) ntpd$/\1/p' <<<"$state")
# still the same process a while later: not exiting and respawned
sleep 5
check "qemu: ntpd keeps running (no respawn in 5 s)" \
	guest 10 "test -n '$ntp1' && test \"\$(cat /run/scanwall/ntpd.pid)\" = '$ntp1' &&
		test \"\$(cat /proc/$ntp1/comm)\" = ntpd"

check "qemu: back to the CLI for another server" timeout 30 "$con" "$sock" unshell
out=$(timeout 40 "$con" "$sock" configure 30 'set ntp-server 198.51.100.7' commit 2>&1)
check "qemu: commit of a new ntp-server restarts ntpd" grep -q "ntpd: restarted" <<<"$out"
timeout 40 "$con" "$sock" shell >/dev/null 2>&1
state=$(ntpd_state "$ntp1")
ntpd_checks "new ntp-server 198.51.100.7" 198.51.100.7 "$state"
ntp2=$(sed -n 's/^PID \([0-9]*\) ntpd$/\1/p' <<<"$state")
check "qemu: ...a new process (${ntp1:-none} -> ${ntp2:-none}), the old server gone" \
	bash -c 'test -n "$2" -a -n "$3" -a "$2" != "$3" && ! grep -q "192.0.2.123" <<<"$1"' _ "$state" "$ntp1" "$ntp2"
guest 10 'poweroff' >/dev/null 2>&1
timeout 30 tail --pid="$qpid" -f /dev/null
cp "$clog" "$img/../qemu-console.log" 2>/dev/null || true

# Boot again from the same state disk: rcS puts the configuration in force
# (`scanwall apply`) before the console starts; this time it asks for the
# password set above.
boot 2
if ! wait_console 'Password: '; then
	fail "qemu: boots again to the console's password prompt"
	tail -n 30 "$clog" "$work/qemu2.log" >&2
	exit 0
fi
check "qemu: at boot, rcS applied the committed host name" grep -q 'rcS:   hostname: ct-room-2' "$clog"
if timeout 90 "$con" "$sock" login "$password"; then
	out=$(timeout 20 "$con" "$sock" prompt 10 2>&1)
	check "qemu: after the reboot the CLI prompt shows the host name" grep -qx 'technician@ct-room-2>' <<<"$out"
	timeout 40 "$con" "$sock" shell >/dev/null 2>&1
	check "qemu: ...and the system's host name is the committed one" \
		test "$(guest 10 hostname | tr -d '\r\n')" = ct-room-2
	state=$(ntpd_state 0)
	check "qemu: ...and ntpd runs again with the committed server" \
		bash -c 'grep -q "^PID [0-9]* ntpd$" <<<"$1" && grep -qx "CONF servers 198.51.100.7" <<<"$1"' _ "$state"
	guest 10 'poweroff' >/dev/null 2>&1
else
	fail "qemu: logs in again after the reboot"
	tail -n 20 "$clog" >&2
fi
timeout 30 tail --pid="$qpid" -f /dev/null
echo "  qemu test took $(($(date +%s) - t0)) s"
cat "$clog" >>"$img/../qemu-console.log" 2>/dev/null || true
