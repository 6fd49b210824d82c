#!/bin/bash
# firmware/mkimage.sh BOARD BUILD: assembles the firmware image of BOARD from
# the cross-built programs in BUILD and Debian arm64 packages only, into
# BUILD/image/:
#
#   Image             Debian's arm64 kernel (linux-image-arm64)
#   rootfs.cpio.gz    the root file system as an initramfs (read-only once
#                     booted; see firmware/rootfs/init)
#   rootfs.squashfs   the same tree for boards with a root partition (when
#                     mksquashfs is installed)
#   <board>.dtb       the device tree, for boards that need one
#   cmdline           the kernel command line of the board
#   manifest          the Debian packages (firmware/fetch-debs.sh) and our
#                     files in the image, for scripts/sbom.py
#
# Packages are downloaded into build/debs/arm64 (cached, shared by boards).
set -euo pipefail

board=${1:?usage: mkimage.sh BOARD BUILD}
build=$(cd "${2:?usage: mkimage.sh BOARD BUILD}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
fw=$top/firmware
bconf=$top/board/$board/board.conf
cache=${SW_DEBS:-$top/build/debs/arm64}
out=$build/image
work=$build/image.work
triple=aarch64-linux-gnu
CROSS_COMPILE=${CROSS_COMPILE:-$triple-}

die() { echo "mkimage: $*" >&2; exit 1; }
[ -f "$bconf" ] || die "no $bconf"
# shellcheck source=/dev/null
. "$bconf"

"$fw/fetch-debs.sh" "$cache"

rm -rf "$work" "$out"
mkdir -p "$work/stage" "$work/kernel" "$out"
root=$work/root
stage=$work/stage

# --- unpack -----------------------------------------------------------------
while read -r name _ _ file; do
	case $name in
	linux-image-*) dpkg-deb -x "$cache/$file" "$work/kernel" ;;
	*) dpkg-deb -x "$cache/$file" "$stage" ;;
	esac
done <"$cache/manifest"
kver=$(ls "$work/kernel/lib/modules")
[ "$(echo "$kver" | wc -w)" = 1 ] || die "expected one kernel, found: $kver"

# --- the kernel has what we need ---------------------------------------------
# Each option of the common and the board fragment: =y must be built in,
# =m may be either.
kcfg=$work/kernel/boot/config-$kver
missing=0
while IFS='=' read -r opt want; do
	case $opt in CONFIG_*) ;; *) continue ;; esac
	have=$(sed -n "s/^$opt=//p" "$kcfg")
	if [ -z "$have" ] || { [ "$want" = y ] && [ "$have" != y ]; }; then
		echo "mkimage: kernel $kver: $opt=${have:-unset}, need $want" >&2
		missing=1
	fi
done < <(cat "$fw/kernel/scanwall.config" "$top/board/$board/kernel.config")
[ "$missing" = 0 ] || die "the kernel lacks options (see above)"

# --- tree ------------------------------------------------------------------
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,usr/lib,etc,proc,sys,dev,run,tmp,state,newroot}
ln -s /run/var "$root/var"
cp -a "$fw/rootfs/." "$root/"
cp "$bconf" "$root/etc/scanwall/board.conf"
mkdir -p "$root/etc/scanwall/keys"

# busybox and its applets: the names come from the binary's own applet
# table (it cannot run here to list them).
install -m 0755 "$stage/bin/busybox" "$root/bin/busybox"
/usr/bin/python3 - "$root/bin/busybox" <<'EOF' >"$work/applets"
import sys
d = open(sys.argv[1], 'rb').read()
i = d.find(b'[\0[[\0')
j = d.find(b'\0\0', i)
assert i > 0 and j > i, 'no applet table in busybox'
print('\n'.join(n.decode() for n in d[i:j].split(b'\0')))
EOF
grep -qx watchdog "$work/applets" || die "busybox without watchdog"
sbin_applets=" init getty modprobe insmod rmmod lsmod depmod mdev switch_root sysctl brctl ip "
sbin_applets+="watchdog reboot poweroff halt setpriv mount umount hwclock klogd syslogd ifconfig route "
while read -r a; do
	[ "$a" = busybox ] && continue
	case $sbin_applets in
	*" $a "*) ln -sf /bin/busybox "$root/sbin/$a" ;;
	*) ln -sf /bin/busybox "$root/bin/$a" ;;
	esac
done <"$work/applets"

# nftables and iptables (the nft variant; scanwalld probes nft first)
install -m 0755 "$stage/usr/sbin/nft" "$root/usr/sbin/nft"
install -m 0755 "$stage/usr/sbin/xtables-nft-multi" "$root/usr/sbin/xtables-nft-multi"
for t in iptables iptables-restore iptables-save ip6tables ip6tables-restore ip6tables-save; do
	ln -sf xtables-nft-multi "$root/usr/sbin/$t"
done
mkdir -p "$root/usr/lib/$triple"
cp -a "$stage/usr/lib/$triple/xtables" "$root/usr/lib/$triple/"
cp -a "$stage/etc/protocols" "$stage/etc/ethertypes" "$root/etc/" 2>/dev/null ||
	cp -a "$stage/etc/protocols" "$root/etc/"

# openntpd's ntpd (run-ntpd) and ntpctl, the same program by another name
# (`ntpctl -s all` in the maintenance shell). Its unprivileged engine runs
# as the user ntpd (accounts, below) chrooted to that user's home; the
# wrapper makes the directories it uses under /run. It looks up its port
# with getservbyname("ntp"), and stops without /etc/services (netbase).
install -m 0755 "$stage/usr/sbin/ntpd" "$root/usr/sbin/ntpd"
ln -sf ntpd "$root/usr/sbin/ntpctl"
cp -a "$stage/etc/services" "$root/etc/"

# our programs, stripped (the unstripped ones stay in BUILD for debugging)
ours="$build/scanwalld:usr/sbin/scanwalld"
[ -x "$build/scanwall-mgmtd" ] && ours="$ours $build/scanwall-mgmtd:usr/sbin/scanwall-mgmtd"
[ -x "$build/scanwall" ] && ours="$ours $build/scanwall:usr/bin/scanwall"
for p in $ours; do
	src=${p%%:*} dst=${p#*:}
	file -b "$src" | grep -q 'ARM aarch64' || die "$src is not an aarch64 program"
	"${CROSS_COMPILE}strip" -o "$root/$dst" "$src"
	chmod 0755 "$root/$dst"
done

# --- shared libraries --------------------------------------------------------
# Every ELF in the tree asks for its DT_NEEDED libraries; each is copied from
# the unpacked packages, with its SONAME link, until nothing new is needed.
libdirs="lib/$triple usr/lib/$triple"
copy_lib() {
	local soname=$1 d real
	for d in $libdirs; do
		[ -e "$stage/$d/$soname" ] || continue
		[ -e "$root/$d/$soname" ] && return 0
		mkdir -p "$root/$d"
		real=$(readlink -f "$stage/$d/$soname")
		cp "$real" "$root/$d/"
		[ "$(basename "$real")" = "$soname" ] || ln -sf "$(basename "$real")" "$root/$d/$soname"
		return 0
	done
	die "no $soname in the unpacked packages"
}
needed_all() {
	find "$root" -type f -print0 | while IFS= read -r -d '' f; do
		[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
		"${CROSS_COMPILE}readelf" -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
	done | sort -u
}
prev=""
while :; do
	need=$(needed_all)
	[ "$need" = "$prev" ] && break
	for n in $need; do copy_lib "$n"; done
	prev=$need
done
mkdir -p "$root/lib"
ln -sf "$triple/ld-linux-aarch64.so.1" "$root/lib/ld-linux-aarch64.so.1"
copy_lib ld-linux-aarch64.so.1

# --- kernel modules ------------------------------------------------------------
# The closure of what init loads (the board's drivers and the netfilter
# list), resolved by the host's modprobe against the full module tree.
kmods=$work/kernel/lib/modules/$kver
depmod -b "$work/kernel" "$kver"
mods="squashfs $BOARD_MODULES $(cat "$fw/rootfs/etc/scanwall/modules")"
for m in $mods; do
	modprobe -d "$work/kernel" -S "$kver" --show-depends "$m" >>"$work/modlist" ||
		die "kernel $kver has no module $m"
done
sed -n 's/^insmod \([^ ]*\).*/\1/p' "$work/modlist" | sort -u | while read -r ko; do
	rel=${ko#"$work/kernel"/}
	mkdir -p "$root/$(dirname "$rel")"
	cp "$ko" "$root/$rel"
done
cp "$kmods"/modules.order "$kmods"/modules.builtin* "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"

# --- accounts ----------------------------------------------------------------
# root: init, scanwalld, the console program on the console tty and its
# maintenance shell (`start shell`); scanwall: the unprivileged user of
# scanwall-mgmtd, the control socket's one extra user (run-scanwalld);
# ntpd: openntpd's privilege-separated engine, the name compiled into
# Debian's build (its postinst makes the same user, home /var/run/openntpd):
# the home is its chroot, which must be root's and writable by nobody else
# (run-ntpd makes it on /run, a tmpfs).
# Nobody logs in through login(1): the console program asks for the unit's
# own password, which the technician sets at first start (docs/console.md),
# so root's password is locked and none ships. Only an image without the
# console program falls back to getty and needs one for root:
# SW_CONSOLE_PASSWORD at build time, else a random one written next to the
# image (mode 0600) for whoever flashes it.
rootpw='*'
if [ ! -x "$root/usr/bin/scanwall" ]; then
	pw=${SW_CONSOLE_PASSWORD:-}
	if [ -z "$pw" ]; then
		pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
		(umask 077 && echo "$pw" >"$out/console-password")
	fi
	rootpw=$(openssl passwd -6 -stdin <<<"$pw")
fi
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	'scanwall:x:100:100:scanwall-mgmtd:/nonexistent:/sbin/nologin' \
	'ntpd:x:101:101:openntpd:/run/openntpd:/sbin/nologin' >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'scanwall:x:100:' 'ntpd:x:101:' >"$root/etc/group"
(umask 077 && printf 'root:%s:19000::::::\nscanwall:!:19000::::::\nntpd:!:19000::::::\n' "$rootpw" \
	>"$root/etc/shadow")
echo /bin/sh >"$root/etc/shells"
# glibc's defaults, written down: scanwalld resolves --control-user here,
# ntpd its user and port
printf '%s\n' 'passwd: files' 'group: files' 'shadow: files' 'hosts: files' 'services: files' \
	>"$root/etc/nsswitch.conf"
mkdir -p "$root/root"

# terminfo for the terminal types a serial console announces (busybox init
# sets TERM=vt102 on a serial console): libedit in the console program
# then edits lines with cursor motion instead of a dumb terminal's
for t in dumb linux vt100 vt102 vt220 xterm xterm-256color; do
	f=$(find "$stage/lib/terminfo" "$stage/usr/share/terminfo" -name "$t" 2>/dev/null | head -n 1)
	[ -n "$f" ] || die "no terminfo entry $t (ncurses-base)"
	mkdir -p "$root/usr/share/terminfo/${t:0:1}"
	cp -L "$f" "$root/usr/share/terminfo/${t:0:1}/$t"
done

# --- inittab, from the board ---------------------------------------------------
{
	echo "# generated by firmware/mkimage.sh for $board"
	echo "::sysinit:/etc/init.d/rcS"
	echo "::respawn:/usr/libexec/scanwall/run-scanwalld"
	# the daemons that follow the console's configuration (`scanwall config
	# get`; a commit restarts them through their pidfiles)
	if [ -x "$root/usr/bin/scanwall" ]; then
		[ -n "$PORT_MGMT" ] && [ -f "$root/usr/sbin/scanwall-mgmtd" ] &&
			echo "::respawn:/usr/libexec/scanwall/run-mgmtd"
		echo "::respawn:/usr/libexec/scanwall/run-ntpd"
	fi
	# the console program on the tty as root, a new login after each
	# session (docs/console.md); getty and login only in an image without it
	if [ -x "$root/usr/bin/scanwall" ]; then
		echo "$CONSOLE_TTY::respawn:/usr/bin/scanwall --login --state /state/scanwall --control /run/scanwall/ctl.sock"
	else
		echo "$CONSOLE_TTY::respawn:/sbin/getty -L $CONSOLE_BAUD $CONSOLE_TTY vt100"
	fi
	echo "::ctrlaltdel:/sbin/reboot"
	echo "::shutdown:/usr/libexec/scanwall/shutdown"
} >"$root/etc/inittab"

# --- pack ------------------------------------------------------------------------
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$out/rootfs.cpio.gz"
if command -v mksquashfs >/dev/null; then
	mksquashfs "$root" "$out/rootfs.squashfs" -comp xz -all-root -noappend -quiet >/dev/null
fi
cp "$work/kernel/boot/vmlinuz-$kver" "$out/Image"
if [ -n "$DTB" ]; then
	cp "$work/kernel/usr/lib/linux-image-$kver/$DTB" "$out/$(basename "$DTB")"
fi
echo "$KERNEL_CMDLINE" >"$out/cmdline"

# --- manifest for the SBOM -------------------------------------------------------
{
	echo "# board $board kernel $kver"
	sed 's/^/deb /' "$cache/manifest"
	for p in $ours; do echo "ours ${p#*:} $(sha256sum "$root/${p#*:}" | cut -d' ' -f1)"; done
} >"$out/manifest"
(cd "$root" && find . -type f | LC_ALL=C sort | xargs sha256sum) >"$out/files.sha256"

du -sh "$out"/* | sed 's/^/  /'
rm -rf "$work/stage" "$work/kernel"
