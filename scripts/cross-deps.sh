#!/bin/sh
# Install what the aarch64 firmware needs on the build host, and only what is
# missing: the cross compiler, the arm64 -dev packages we link against
# (multiarch, beside the amd64 ones), the image tools and QEMU for the boot
# test. The packages that go INTO the image are not installed here: the image
# script downloads them for arm64 without installing them (firmware/mkimage.sh).
#
#   scripts/cross-deps.sh [build|image|test|all]   (default: all)
set -eu

arch=arm64
build_pkgs="gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev:$arch
            libnetfilter-queue-dev:$arch libmnl-dev:$arch libmbedtls-dev:$arch
            libpcap-dev:$arch libedit-dev:$arch python3-kconfiglib"
# cpio and kmod (depmod -b) build the initramfs, squashfs-tools the root
# partition of real boards, e2fsprogs the state image of the boot test,
# openssl the password hash; xz-utils and zstd unpack
# the kernel's compressed modules; file tells the image's ELF objects apart.
image_pkgs="cpio kmod xz-utils zstd file dpkg-dev squashfs-tools e2fsprogs openssl"
test_pkgs="qemu-system-arm iproute2 dcmtk curl"

case "${1:-all}" in
build) want=$build_pkgs ;;
image) want="$build_pkgs $image_pkgs" ;;
test) want="$build_pkgs $image_pkgs $test_pkgs" ;;
all) want="$build_pkgs $image_pkgs $test_pkgs" ;;
*) echo "usage: $0 [build|image|test|all]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "cross-deps: missing Debian packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "cross-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A foreign architecture needs its own package lists: refresh them once when
# it is added, and when the lists are stale (the same stamp as deps.sh).
stamp=/var/lib/apt/periodic/scanwall-update-stamp
if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	dpkg --add-architecture "$arch"
	rm -f "$stamp"
fi
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
	apt-get update -qq
	mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
