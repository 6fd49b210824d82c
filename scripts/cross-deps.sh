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

. "$(dirname "$0")/apt-lib.sh"
# shellcheck disable=SC2086
sw_apt_install cross-deps --arch "$arch" $want
